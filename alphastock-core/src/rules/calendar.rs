//! The NSE trading calendar: holidays, special sessions and market hours, from
//! `data/nse_holidays.csv`, `data/nse_recurring_holidays.csv` and `data/nse_special_sessions.csv`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};

use super::table::rows;
use super::RulesError;

/// One trading session of a day, IST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// Opening time, IST.
    pub open: NaiveTime,
    /// Closing time, IST.
    pub close: NaiveTime,
}

/// The regular NSE equity and F&O session: 09:15 to 15:30 IST.
pub fn regular_session() -> Session {
    Session {
        open: NaiveTime::from_hms_opt(9, 15, 0).unwrap_or_default(),
        close: NaiveTime::from_hms_opt(15, 30, 0).unwrap_or_default(),
    }
}

/// NSE's calendar: weekday holidays of the listed years, fixed-date national holidays of later
/// years, special sessions (weekend sessions, Muhurat trading) and dates a user adds.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    /// Holiday → (name, the day it became known).
    holidays: BTreeMap<NaiveDate, (String, NaiveDate)>,
    /// (month, day, name) of holidays assumed in years whose list is not published.
    recurring: Vec<(u32, u32, String)>,
    /// Year → the day its holiday list was published (the earliest `announced` of the year).
    published: BTreeMap<i32, NaiveDate>,
    last_listed_year: i32,
    special: BTreeMap<NaiveDate, Vec<Session>>,
    extra: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub(crate) fn parse(
        holidays: &'static str,
        recurring: &'static str,
        special: &'static str,
    ) -> Result<Self, RulesError> {
        let mut map = BTreeMap::new();
        for r in rows(
            "nse_holidays.csv",
            holidays,
            &["date", "name", "announced", "source"],
        )? {
            let d = r.date(0)?;
            if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                return r.invalid(0, format!("{d} is a weekend: list weekday holidays only"));
            }
            let announced = r.date(2)?;
            if announced > d {
                return r.invalid(2, format!("announced {announced} after the holiday {d}"));
            }
            map.insert(d, (r.text(1).to_string(), announced));
        }
        let last_listed_year = map.keys().next_back().map(|d| d.year()).unwrap_or(2023);
        let mut published: BTreeMap<i32, NaiveDate> = BTreeMap::new();
        for (d, (_, a)) in &map {
            let e = published.entry(d.year()).or_insert(*a);
            *e = (*e).min(*a);
        }
        let mut rec = Vec::new();
        for r in rows(
            "nse_recurring_holidays.csv",
            recurring,
            &["month_day", "name", "source"],
        )? {
            let md = r.text(0);
            let parsed = md
                .split_once('-')
                .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
                .filter(|(m, d)| NaiveDate::from_ymd_opt(2024, *m, *d).is_some());
            match parsed {
                Some((m, d)) => rec.push((m, d, r.text(1).to_string())),
                None => return r.invalid(0, format!("`{md}` is not MM-DD")),
            }
        }
        let mut sp: BTreeMap<NaiveDate, Vec<Session>> = BTreeMap::new();
        for r in rows(
            "nse_special_sessions.csv",
            special,
            &["date", "open", "close", "name", "source"],
        )? {
            let s = Session {
                open: r.time(1)?,
                close: r.time(2)?,
            };
            if s.close <= s.open {
                return r.invalid(2, "close must be after open".into());
            }
            sp.entry(r.date(0)?).or_default().push(s);
        }
        Ok(Self {
            holidays: map,
            recurring: rec,
            published,
            last_listed_year,
            special: sp,
            extra: BTreeSet::new(),
        })
    }

    /// This calendar with `dates` added as holidays (the config's `market.holidays`).
    pub fn with_extra_holidays(&self, dates: &[NaiveDate]) -> Calendar {
        let mut c = self.clone();
        c.extra.extend(dates.iter().copied());
        c
    }

    /// The last year whose holiday list is in the data; later years assume only the fixed-date
    /// national holidays.
    pub fn last_listed_year(&self) -> i32 {
        self.last_listed_year
    }

    /// The name of the holiday on `day`, if it is one (weekends are not holidays).
    pub fn holiday(&self, day: NaiveDate) -> Option<&str> {
        self.holiday_as_of(day, NaiveDate::MAX)
    }

    /// The name of the holiday on `day` as known on `as_of`: listed holidays announced by
    /// then, dates added in the config, and, for a year whose list was not yet published, the
    /// fixed-date national holidays.
    pub fn holiday_as_of(&self, day: NaiveDate, as_of: NaiveDate) -> Option<&str> {
        if let Some((n, announced)) = self.holidays.get(&day) {
            if *announced <= as_of {
                return Some(n);
            }
        }
        if self.extra.contains(&day) {
            return Some("holiday added in the config (market.holidays)");
        }
        let list_out = self.published.get(&day.year()).is_some_and(|p| *p <= as_of);
        if !list_out && !is_weekend(day) {
            return self
                .recurring
                .iter()
                .find(|(m, d, _)| *m == day.month() && *d == day.day())
                .map(|(_, _, n)| n.as_str());
        }
        None
    }

    /// True on a weekday that is not a holiday: a day with the regular 09:15-15:30 session.
    /// Contracts expire only on regular trading days.
    pub fn is_regular_trading_day(&self, day: NaiveDate) -> bool {
        self.is_regular_trading_day_as_of(day, NaiveDate::MAX)
    }

    /// [`Calendar::is_regular_trading_day`] with the holidays known on `as_of`.
    pub fn is_regular_trading_day_as_of(&self, day: NaiveDate, as_of: NaiveDate) -> bool {
        !is_weekend(day) && self.holiday_as_of(day, as_of).is_none()
    }

    /// The sessions of `day`, IST: the special sessions when the day has any (a Saturday
    /// session, Muhurat trading on a holiday), else the regular session on a regular trading
    /// day, else none.
    pub fn sessions(&self, day: NaiveDate) -> Vec<Session> {
        if let Some(s) = self.special.get(&day) {
            return s.clone();
        }
        if self.is_regular_trading_day(day) {
            vec![regular_session()]
        } else {
            Vec::new()
        }
    }

    /// The special sessions in the data, by date.
    pub fn special_sessions(&self) -> impl Iterator<Item = (NaiveDate, &[Session])> {
        self.special.iter().map(|(d, s)| (*d, s.as_slice()))
    }

    /// The nearest regular trading day on or before `day` (where an expiry falling on a holiday
    /// moves).
    pub fn on_or_before(&self, day: NaiveDate) -> NaiveDate {
        self.on_or_before_as_of(day, NaiveDate::MAX)
    }

    /// [`Calendar::on_or_before`] with the holidays known on `as_of` (how NSE dated an expiry
    /// on that trade date).
    pub fn on_or_before_as_of(&self, day: NaiveDate, as_of: NaiveDate) -> NaiveDate {
        let mut d = day;
        for _ in 0..30 {
            if self.is_regular_trading_day_as_of(d, as_of) {
                return d;
            }
            d -= Duration::days(1);
        }
        d
    }

    /// The regular trading day before `day`.
    pub fn previous_trading_day(&self, day: NaiveDate) -> NaiveDate {
        self.on_or_before(day - Duration::days(1))
    }

    /// The first `n` regular trading days on or after `start`.
    pub fn trading_days(&self, start: NaiveDate, n: usize) -> Vec<NaiveDate> {
        let mut out = Vec::with_capacity(n);
        let mut d = start;
        while out.len() < n {
            if self.is_regular_trading_day(d) {
                out.push(d);
            }
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        out
    }

    /// Every listed weekday holiday, in date order.
    pub fn listed_holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.keys().copied()
    }

    /// The listed weekday holidays of `year`, in date order.
    pub fn holidays_of(&self, year: i32) -> Vec<(NaiveDate, &str)> {
        self.holidays
            .iter()
            .filter(|(d, _)| d.year() == year)
            .map(|(d, (n, _))| (*d, n.as_str()))
            .collect()
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}
