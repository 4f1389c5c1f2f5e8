//! Option contracts by date: strike step, tick and freeze quantity (`data/instruments.csv`), lot
//! sizes by revision (`data/lot_sizes.csv`) and expiry cycles (`data/expiry_rules.csv`).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rust_decimal::Decimal;
use serde::Serialize;

use super::calendar::Calendar;
use super::table::rows;
use super::RulesError;

/// The static facts of one underlying's options on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstrumentRules {
    /// Rupees between listed strikes near the money.
    pub strike_step: Decimal,
    /// Option price step, rupees.
    pub tick_size: Decimal,
    /// Largest quantity (units) one order may carry; `None` when not in the table (orders are
    /// then not split).
    pub freeze_quantity: Option<u32>,
    /// Where the facts come from.
    pub source: String,
}

/// The cycle an option contract belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Series {
    /// A weekly contract (not in the week of a monthly expiry).
    Weekly,
    /// One of the serial monthly contracts.
    Monthly,
    /// A quarterly contract (March, June, September, December) beyond the serial months.
    Quarterly,
    /// A half-yearly contract (June, December) beyond the quarterly ones.
    HalfYearly,
}

impl Series {
    /// `weekly` for a weekly contract, `monthly` for every contract expiring on a month's
    /// monthly expiry day (serial, quarterly and half-yearly).
    pub fn kind(self) -> &'static str {
        match self {
            Series::Weekly => "weekly",
            _ => "monthly",
        }
    }

    fn parse(s: &str) -> Option<Series> {
        match s {
            "weekly" => Some(Series::Weekly),
            "monthly" => Some(Series::Monthly),
            "quarterly" => Some(Series::Quarterly),
            "half_yearly" => Some(Series::HalfYearly),
            _ => None,
        }
    }
}

/// One option expiry tradable on a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedExpiry {
    /// The expiry date (after any move to the previous trading day).
    pub date: NaiveDate,
    /// The contract's cycle.
    pub series: Series,
    /// Units per lot of this contract on that date.
    pub lot_size: u32,
}

#[derive(Debug, Clone, PartialEq)]
struct InstrumentRow {
    underlying: String,
    from: NaiveDate,
    to: Option<NaiveDate>,
    rules: InstrumentRules,
}

#[derive(Debug, Clone, PartialEq)]
struct LotRow {
    underlying: String,
    lot: u32,
    effective_from: NaiveDate,
    legacy_last_expiry: Option<NaiveDate>,
    existing_switch: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
struct ExpiryRule {
    underlying: String,
    series: Series,
    weekday: Weekday,
    count: u32,
    from: NaiveDate,
    to: Option<NaiveDate>,
    last_expiry: Option<NaiveDate>,
}

/// The contract tables.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractTables {
    instruments: Vec<InstrumentRow>,
    lots: Vec<LotRow>,
    expiries: Vec<ExpiryRule>,
}

fn in_force(from: NaiveDate, to: Option<NaiveDate>, day: NaiveDate) -> bool {
    from <= day && to.is_none_or(|t| day <= t)
}

/// Last `weekday` of (`year`, `month`).
fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let mut d = NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()?;
    while d.weekday() != weekday {
        d = d.pred_opt()?;
    }
    Some(d)
}

fn month_index(d: NaiveDate) -> i32 {
    d.year() * 12 + d.month0() as i32
}

fn from_index(i: i32) -> (i32, u32) {
    (i.div_euclid(12), i.rem_euclid(12) as u32 + 1)
}

impl ContractTables {
    pub(crate) fn parse(
        instruments: &'static str,
        lots: &'static str,
        expiries: &'static str,
    ) -> Result<Self, RulesError> {
        let mut ins = Vec::new();
        for r in rows(
            "instruments.csv",
            instruments,
            &[
                "underlying",
                "from",
                "to",
                "strike_step",
                "tick_size",
                "freeze_quantity",
                "source",
            ],
        )? {
            let rules = InstrumentRules {
                strike_step: r.decimal(3)?,
                tick_size: r.decimal(4)?,
                freeze_quantity: r.opt_count(5)?,
                source: r.text(6).to_string(),
            };
            if rules.strike_step <= Decimal::ZERO || rules.tick_size <= Decimal::ZERO {
                return r.invalid(3, "strike step and tick must be positive".into());
            }
            ins.push(InstrumentRow {
                underlying: r.text(0).to_string(),
                from: r.date(1)?,
                to: r.opt_date(2)?,
                rules,
            });
        }
        let mut lot_rows = Vec::new();
        for r in rows(
            "lot_sizes.csv",
            lots,
            &[
                "underlying",
                "lot_size",
                "effective_from",
                "legacy_last_expiry",
                "existing_switch",
                "source",
            ],
        )? {
            let lot = r.count(1)?;
            if lot == 0 {
                return r.invalid(1, "a lot must be at least 1 unit".into());
            }
            lot_rows.push(LotRow {
                underlying: r.text(0).to_string(),
                lot,
                effective_from: r.date(2)?,
                legacy_last_expiry: r.opt_date(3)?,
                existing_switch: r.opt_date(4)?,
            });
        }
        lot_rows.sort_by(|a, b| {
            (a.underlying.as_str(), a.effective_from)
                .cmp(&(b.underlying.as_str(), b.effective_from))
        });
        let mut ex = Vec::new();
        for r in rows(
            "expiry_rules.csv",
            expiries,
            &[
                "underlying",
                "series",
                "weekday",
                "count",
                "from",
                "to",
                "last_expiry",
                "source",
            ],
        )? {
            let Some(series) = Series::parse(r.text(1)) else {
                return r.invalid(
                    1,
                    format!(
                        "`{}` is not weekly, monthly, quarterly or half_yearly",
                        r.text(1)
                    ),
                );
            };
            ex.push(ExpiryRule {
                underlying: r.text(0).to_string(),
                series,
                weekday: r.weekday(2)?,
                count: r.count(3)?,
                from: r.date(4)?,
                to: r.opt_date(5)?,
                last_expiry: r.opt_date(6)?,
            });
        }
        Ok(Self {
            instruments: ins,
            lots: lot_rows,
            expiries: ex,
        })
    }

    /// The underlyings in the tables, sorted.
    pub fn underlyings(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.lots.iter().map(|l| l.underlying.as_str()).collect();
        v.dedup();
        v
    }

    /// Strike step, tick and freeze quantity of `underlying`'s options on `day`.
    pub fn instrument(
        &self,
        underlying: &str,
        day: NaiveDate,
    ) -> Result<InstrumentRules, RulesError> {
        self.instruments
            .iter()
            .find(|r| r.underlying == underlying && in_force(r.from, r.to, day))
            .map(|r| r.rules.clone())
            .ok_or_else(|| RulesError::NotCovered {
                what: "strike step, tick and freeze quantity",
                underlying: underlying.to_string(),
                date: day,
            })
    }

    /// The expiries of `underlying` tradable on `day` (dates and series, no lots), sorted.
    fn expiry_dates(
        &self,
        underlying: &str,
        day: NaiveDate,
        cal: &Calendar,
    ) -> Result<Vec<(NaiveDate, Series)>, RulesError> {
        let rules: Vec<&ExpiryRule> = self
            .expiries
            .iter()
            .filter(|r| r.underlying == underlying && in_force(r.from, r.to, day))
            .collect();
        let monthly = rules
            .iter()
            .find(|r| r.series == Series::Monthly)
            .ok_or_else(|| RulesError::NotCovered {
                what: "expiry cycle",
                underlying: underlying.to_string(),
                date: day,
            })?;
        let monthly_on = |y: i32, m: u32, w: Weekday| {
            last_weekday(y, m, w).map(|d| cal.on_or_before_as_of(d, day))
        };
        let mut out: Vec<(NaiveDate, Series)> = Vec::new();
        // Serial months.
        let mut idx = month_index(day);
        let mut last_month = idx;
        let mut taken = 0;
        while taken < monthly.count {
            let (y, m) = from_index(idx);
            if let Some(e) = monthly_on(y, m, monthly.weekday) {
                if e >= day && monthly.last_expiry.is_none_or(|l| e <= l) {
                    out.push((e, Series::Monthly));
                    last_month = idx;
                    taken += 1;
                }
            }
            idx += 1;
            if idx > month_index(day) + 36 {
                break;
            }
        }
        for (series, step) in [(Series::Quarterly, 3), (Series::HalfYearly, 6)] {
            let Some(rule) = rules.iter().find(|r| r.series == series) else {
                continue;
            };
            let mut idx = last_month + 1;
            let mut taken = 0;
            while taken < rule.count && idx <= last_month + 12 * 10 {
                let (y, m) = from_index(idx);
                if m % step == 0 {
                    if let Some(e) = monthly_on(y, m, rule.weekday) {
                        out.push((e, series));
                        taken += 1;
                        last_month = idx;
                    }
                }
                idx += 1;
            }
        }
        if let Some(weekly) = rules.iter().find(|r| r.series == Series::Weekly) {
            let back = (7 + day.weekday().num_days_from_monday() as i64
                - weekly.weekday.num_days_from_monday() as i64)
                % 7;
            let mut nominal = day - Duration::days(back);
            let mut taken = 0;
            for _ in 0..60 {
                if taken >= weekly.count {
                    break;
                }
                let e = cal.on_or_before_as_of(nominal, day);
                nominal += Duration::days(7);
                if e < day {
                    continue;
                }
                if weekly.last_expiry.is_some_and(|l| e > l) {
                    break;
                }
                let month_expiry = monthly_on(e.year(), e.month(), monthly.weekday);
                if month_expiry == Some(e) || out.iter().any(|(d, _)| *d == e) {
                    continue;
                }
                out.push((e, Series::Weekly));
                taken += 1;
            }
        }
        out.sort();
        Ok(out)
    }

    /// The expiries of `underlying` tradable on `day`, each with its lot size, sorted by date.
    pub fn expiries(
        &self,
        underlying: &str,
        day: NaiveDate,
        cal: &Calendar,
    ) -> Result<Vec<ListedExpiry>, RulesError> {
        self.expiry_dates(underlying, day, cal)?
            .into_iter()
            .map(|(date, series)| {
                Ok(ListedExpiry {
                    date,
                    series,
                    lot_size: self.lot_of(underlying, day, date, series, cal, 0)?,
                })
            })
            .collect()
    }

    /// The lot size of `underlying`'s contract expiring on `expiry`, as traded on `day`.
    pub fn lot_size(
        &self,
        underlying: &str,
        day: NaiveDate,
        expiry: NaiveDate,
        cal: &Calendar,
    ) -> Result<u32, RulesError> {
        let listed = self.expiry_dates(underlying, day, cal)?;
        let Some((_, series)) = listed.iter().find(|(d, _)| *d == expiry) else {
            return Err(RulesError::NotListed {
                underlying: underlying.to_string(),
                expiry,
                date: day,
            });
        };
        self.lot_of(underlying, day, expiry, *series, cal, 0)
    }

    /// The expiry of `underlying` nearest to `day` (on or after it) with its lot.
    pub fn nearest_expiry(
        &self,
        underlying: &str,
        day: NaiveDate,
        cal: &Calendar,
    ) -> Result<ListedExpiry, RulesError> {
        let first = self
            .expiry_dates(underlying, day, cal)?
            .into_iter()
            .next()
            .ok_or_else(|| RulesError::NotCovered {
                what: "expiry cycle",
                underlying: underlying.to_string(),
                date: day,
            })?;
        Ok(ListedExpiry {
            date: first.0,
            series: first.1,
            lot_size: self.lot_of(underlying, day, first.0, first.1, cal, 0)?,
        })
    }

    fn lot_of(
        &self,
        underlying: &str,
        day: NaiveDate,
        expiry: NaiveDate,
        series: Series,
        cal: &Calendar,
        depth: u32,
    ) -> Result<u32, RulesError> {
        let rows: Vec<&LotRow> = self
            .lots
            .iter()
            .filter(|r| r.underlying == underlying)
            .collect();
        let Some(i) = rows.iter().rposition(|r| r.effective_from <= day) else {
            return Err(RulesError::NotCovered {
                what: "lot size",
                underlying: underlying.to_string(),
                date: day,
            });
        };
        let row = rows[i];
        if i == 0 || depth > 8 {
            return Ok(row.lot);
        }
        if row.legacy_last_expiry.is_none() && row.existing_switch.is_none() {
            return Ok(row.lot);
        }
        let before = cal.previous_trading_day(row.effective_from);
        let listed_before = self
            .expiry_dates(underlying, before, cal)?
            .into_iter()
            .any(|(d, s)| same_contract((d, s), (expiry, series)));
        if !listed_before {
            return Ok(row.lot);
        }
        let keeps_old = row.legacy_last_expiry.is_some_and(|l| expiry <= l)
            || row.existing_switch.is_some_and(|s| day < s);
        if keeps_old {
            // Dated as of the day before the revision; a contract's identity is its month for
            // monthly cycles, since NSE re-dated them when expiry days changed.
            let then = self
                .expiry_dates(underlying, before, cal)?
                .into_iter()
                .find(|c| same_contract(*c, (expiry, series)))
                .map(|c| c.0)
                .unwrap_or(expiry);
            let s = if series == Series::Weekly {
                Series::Weekly
            } else {
                Series::Monthly
            };
            return self.lot_of(underlying, before, then, s, cal, depth + 1);
        }
        Ok(row.lot)
    }
}

/// True when two (expiry, series) pairs name the same contract: the same date for weeklies, the
/// same month for the monthly cycles (whose expiry day NSE moved when it changed weekdays).
fn same_contract(a: (NaiveDate, Series), b: (NaiveDate, Series)) -> bool {
    match (a.1 == Series::Weekly, b.1 == Series::Weekly) {
        (true, true) => a.0 == b.0,
        (false, false) => month_index(a.0) == month_index(b.0),
        _ => false,
    }
}
