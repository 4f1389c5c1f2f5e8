use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, TimeZone, Weekday};

/// A timestamp in Indian Standard Time (UTC+05:30). Every event the core sees carries one.
pub type IstTime = DateTime<FixedOffset>;

/// The IST offset, +05:30 (19,800 seconds east of UTC).
pub const IST: FixedOffset = match FixedOffset::east_opt(5 * 3600 + 30 * 60) {
    Some(offset) => offset,
    None => panic!("+05:30 is a valid offset"),
};

/// The IST offset, +05:30.
pub fn ist_offset() -> FixedOffset {
    IST
}

const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(t) => t,
        None => panic!("valid wall-clock time"),
    }
}

/// The regular NSE equity and F&O session: 09:15 to 15:30 IST on weekdays.
///
/// Holidays are not known to the core; callers pass them in (the config has a list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketSession {
    /// First minute of trading, IST wall-clock time (09:15).
    pub open: NaiveTime,
    /// End of trading, IST wall-clock time (15:30). Trading happens strictly before it.
    pub close: NaiveTime,
}

impl Default for MarketSession {
    fn default() -> Self {
        Self::nse()
    }
}

impl MarketSession {
    /// The NSE session, 09:15–15:30 IST.
    pub fn nse() -> Self {
        Self {
            open: hm(9, 15),
            close: hm(15, 30),
        }
    }

    /// True when `t` (converted to IST) is on a weekday and within `[open, close)`.
    pub fn is_open(&self, t: IstTime) -> bool {
        let local = t.with_timezone(&ist_offset());
        let wd = local.weekday();
        if wd == Weekday::Sat || wd == Weekday::Sun {
            return false;
        }
        let tod = local.time();
        tod >= self.open && tod < self.close
    }

    /// Minutes from `t` until today's close (negative after the close), in whole minutes.
    pub fn minutes_to_close(&self, t: IstTime) -> i64 {
        let local = t.with_timezone(&ist_offset());
        let close = local.date_naive().and_time(self.close);
        (close - local.naive_local()).num_minutes()
    }

    /// The IST timestamp of the session open on the day of `t`.
    pub fn open_on(&self, t: IstTime) -> IstTime {
        let local = t.with_timezone(&ist_offset());
        let naive = local.date_naive().and_time(self.open);
        ist_offset()
            .from_local_datetime(&naive)
            .single()
            .unwrap_or(local)
    }

    /// The IST timestamp of the session close on the day of `t`.
    pub fn close_on(&self, t: IstTime) -> IstTime {
        let local = t.with_timezone(&ist_offset());
        let naive = local.date_naive().and_time(self.close);
        ist_offset()
            .from_local_datetime(&naive)
            .single()
            .unwrap_or(local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> IstTime {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn session_hours_are_0915_to_1530_weekdays() {
        let s = MarketSession::nse();
        assert!(!s.is_open(at("2024-04-29T09:14:59+05:30")));
        assert!(s.is_open(at("2024-04-29T09:15:00+05:30")));
        assert!(s.is_open(at("2024-04-29T15:29:59+05:30")));
        assert!(!s.is_open(at("2024-04-29T15:30:00+05:30")));
        // Saturday
        assert!(!s.is_open(at("2024-05-04T10:00:00+05:30")));
        // 04:00 UTC is 09:30 IST
        assert!(s.is_open(at("2024-04-29T04:00:00+00:00")));
        assert_eq!(s.minutes_to_close(at("2024-04-29T15:10:00+05:30")), 20);
    }
}
