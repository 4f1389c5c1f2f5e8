//! [`IstDay`]: the IST date of an instant, worked out once per day.

use chrono::{Days, NaiveDate, TimeZone};

use super::{IstTime, IST};

/// Remembers the IST day last asked about (its date and the instants it starts and ends at),
/// so the date of an instant on that day is two comparisons instead of a time-zone
/// conversion. Replays and backtests ask for the date of every bar, nearly always the same.
///
/// It is a cache, not state: any two are equal, so a struct holding one compares by its
/// state alone.
#[derive(Debug, Clone, Copy, Default)]
pub struct IstDay {
    /// The date, and the instants its IST day starts (inclusive) and ends (exclusive) at.
    day: Option<(NaiveDate, IstTime, IstTime)>,
}

impl IstDay {
    /// No day remembered yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The IST date of `at`: the same as `at.with_timezone(&IST).date_naive()`.
    pub fn date(&mut self, at: IstTime) -> NaiveDate {
        if let Some((date, start, end)) = self.day {
            if start <= at && at < end {
                return date;
            }
        }
        let date = at.with_timezone(&IST).date_naive();
        let midnight = |d: NaiveDate| IST.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN));
        let bounds = date
            .checked_add_days(Days::new(1))
            .and_then(|next| Some((midnight(date).single()?, midnight(next).single()?)));
        // Without bounds (the last representable day) nothing is remembered.
        self.day = bounds.map(|(start, end)| (date, start, end));
        date
    }
}

impl PartialEq for IstDay {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for IstDay {}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration};

    proptest::proptest! {
        /// Every instant gets the date of the time-zone conversion, whatever it was asked
        /// before (other offsets included: an instant is the same instant in any offset).
        #[test]
        fn dates_are_those_of_the_conversion(
            steps in proptest::collection::vec((-3_000i64..3_000, -12i32..=12), 1..60),
        ) {
            let mut day = IstDay::new();
            let mut t = DateTime::parse_from_rfc3339("2026-03-01T23:59:00+05:30").unwrap();
            for (minutes, hours) in steps {
                t += Duration::minutes(minutes * 7);
                let offset = chrono::FixedOffset::east_opt(hours * 3600).unwrap();
                let at = t.with_timezone(&offset);
                proptest::prop_assert_eq!(day.date(at), t.with_timezone(&IST).date_naive());
            }
        }
    }

    #[test]
    fn the_day_ends_at_ist_midnight() {
        let mut day = IstDay::new();
        let before = DateTime::parse_from_rfc3339("2026-03-01T23:59:59+05:30").unwrap();
        let after = DateTime::parse_from_rfc3339("2026-03-02T00:00:00+05:30").unwrap();
        assert_eq!(day.date(before).to_string(), "2026-03-01");
        assert_eq!(day.date(after).to_string(), "2026-03-02");
        assert_eq!(day.date(before).to_string(), "2026-03-01");
        // 18:30 UTC is IST midnight.
        let utc = DateTime::parse_from_rfc3339("2026-03-01T18:30:00+00:00").unwrap();
        assert_eq!(day.date(utc).to_string(), "2026-03-02");
    }
}
