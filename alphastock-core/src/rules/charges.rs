//! Statutory and exchange charges by date (`data/charges.csv`): STT, exchange transaction
//! charges, SEBI fee, stamp duty, IPFT and GST, for NSE options and intraday equity.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::table::rows;
use super::RulesError;

/// The market segment a fill is charged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Segment {
    /// NSE index and stock options (charges on premium).
    Options,
    /// NSE cash equity bought and sold the same day (MIS).
    EquityIntraday,
}

impl Segment {
    fn name(self) -> &'static str {
        match self {
            Segment::Options => "options",
            Segment::EquityIntraday => "equity-intraday",
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Segment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "options" => Ok(Segment::Options),
            "equity-intraday" => Ok(Segment::EquityIntraday),
            other => Err(format!("`{other}` is not options or equity-intraday")),
        }
    }
}

/// The statutory and exchange rates in force on one date for one segment. Percents are of
/// turnover (price × quantity, rupees); `_per_crore` are rupees per 1,00,00,000 rupees of
/// turnover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatutoryRates {
    /// Securities transaction tax, percent of the sell side.
    pub stt_sell_pct: Decimal,
    /// Securities transaction tax on an exercised option, percent of its intrinsic value
    /// (`None` for equity).
    pub stt_exercise_pct: Option<Decimal>,
    /// Exchange transaction charges, percent of both sides.
    pub exchange_txn_pct: Decimal,
    /// SEBI turnover fee, rupees per crore of both sides.
    pub sebi_fee_per_crore: Decimal,
    /// Stamp duty, percent of the buy side.
    pub stamp_duty_buy_pct: Decimal,
    /// NSE Investor Protection Fund Trust levy, rupees per crore of both sides.
    pub ipft_per_crore: Decimal,
    /// GST, percent of brokerage + exchange charges + SEBI fee + IPFT.
    pub gst_pct: Decimal,
}

#[derive(Debug, Clone, PartialEq)]
struct ChargeRow {
    segment: Segment,
    charge: String,
    rate: Decimal,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

/// The charge table.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeTable {
    rows: Vec<ChargeRow>,
}

const CHARGES: [(&str, &str); 7] = [
    ("stt", "sell_pct"),
    ("stt_exercise", "exercise_pct"),
    ("exchange", "both_pct"),
    ("sebi", "both_per_crore"),
    ("stamp", "buy_pct"),
    ("ipft", "both_per_crore"),
    ("gst", "gst_pct"),
];

impl ChargeTable {
    pub(crate) fn parse(text: &'static str) -> Result<Self, RulesError> {
        let mut out = Vec::new();
        for r in rows(
            "charges.csv",
            text,
            &["segment", "charge", "basis", "rate", "from", "to", "source"],
        )? {
            let segment = match r.text(0).parse::<Segment>() {
                Ok(s) => s,
                Err(e) => return r.invalid(0, e),
            };
            let charge = r.text(1);
            match CHARGES.iter().find(|(c, _)| *c == charge) {
                Some((_, basis)) if *basis == r.text(2) => {}
                Some((_, basis)) => {
                    return r.invalid(2, format!("{charge} must have basis {basis}"));
                }
                None => return r.invalid(1, format!("unknown charge `{charge}`")),
            }
            let rate = r.decimal(3)?;
            if rate < Decimal::ZERO {
                return r.invalid(3, "a rate must not be negative".into());
            }
            out.push(ChargeRow {
                segment,
                charge: charge.to_string(),
                rate,
                from: r.date(4)?,
                to: r.opt_date(5)?,
            });
        }
        Ok(Self { rows: out })
    }

    /// The first date the table covers for `segment` (earlier dates have no rates).
    pub fn first_date(&self, segment: Segment) -> Option<NaiveDate> {
        self.rows
            .iter()
            .filter(|r| r.segment == segment)
            .map(|r| r.from)
            .min()
    }

    fn rate(&self, segment: Segment, charge: &str, day: NaiveDate) -> Option<Decimal> {
        self.rows
            .iter()
            .find(|r| {
                r.segment == segment
                    && r.charge == charge
                    && r.from <= day
                    && r.to.is_none_or(|t| day <= t)
            })
            .map(|r| r.rate)
    }

    /// The rates of `segment` in force on `day`; an error names the first charge the table
    /// does not cover on that day.
    pub fn rates(&self, segment: Segment, day: NaiveDate) -> Result<StatutoryRates, RulesError> {
        let need = |charge: &'static str| {
            self.rate(segment, charge, day)
                .ok_or_else(|| RulesError::NoCharge {
                    segment: segment.to_string(),
                    charge,
                    date: day,
                })
        };
        Ok(StatutoryRates {
            stt_sell_pct: need("stt")?,
            stt_exercise_pct: self.rate(segment, "stt_exercise", day),
            exchange_txn_pct: need("exchange")?,
            sebi_fee_per_crore: need("sebi")?,
            stamp_duty_buy_pct: need("stamp")?,
            ipft_per_crore: need("ipft")?,
            gst_pct: need("gst")?,
        })
    }
}
