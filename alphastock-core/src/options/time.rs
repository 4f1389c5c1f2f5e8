//! Time to expiry for option pricing.
//!
//! Convention: **calendar** days, expiry at **15:30 IST** on the expiry date, and
//! `years = days / 365`. From an IST timestamp the days are fractional (e.g. 09:30 on the day
//! before expiry is 1.25 days: 30 hours / 24). After 15:30 on the expiry date the time is 0.

use chrono::{NaiveDate, NaiveTime};

use crate::market::{IstTime, IST};

/// Days per year for converting calendar days to years.
pub const DAYS_PER_YEAR: f64 = 365.0;

/// Time of day at which NSE/BSE options expire: 15:30 IST.
pub const EXPIRY_TIME: NaiveTime = match NaiveTime::from_hms_opt(15, 30, 0) {
    Some(t) => t,
    None => panic!("15:30 is a valid time"),
};

/// Years for a number of calendar days: `days / 365`.
pub fn years_from_days(days: f64) -> f64 {
    days / DAYS_PER_YEAR
}

/// Fractional calendar days from `now` until 15:30 IST on `expiry`; 0 once that moment has
/// passed.
pub fn days_to_expiry(now: IstTime, expiry: NaiveDate) -> f64 {
    let local = now.with_timezone(&IST).naive_local();
    let expires = expiry.and_time(EXPIRY_TIME);
    let seconds = (expires - local).num_milliseconds() as f64 / 1000.0;
    (seconds / 86_400.0).max(0.0)
}

/// Years from `now` until 15:30 IST on `expiry`: [`days_to_expiry`] / 365.
pub fn years_to_expiry(now: IstTime, expiry: NaiveDate) -> f64 {
    years_from_days(days_to_expiry(now, expiry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> IstTime {
        IST.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
    }

    #[test]
    fn days_count_calendar_time_to_15_30_ist() {
        let expiry = NaiveDate::from_ymd_opt(2024, 10, 30).unwrap();
        assert_eq!(days_to_expiry(at(2024, 10, 29, 9, 30), expiry), 1.25);
        assert_eq!(days_to_expiry(at(2024, 10, 27, 15, 30), expiry), 3.0);
        assert_eq!(days_to_expiry(at(2024, 10, 30, 15, 30), expiry), 0.0);
        assert_eq!(days_to_expiry(at(2024, 10, 30, 16, 0), expiry), 0.0);
        assert_eq!(
            years_to_expiry(at(2024, 10, 27, 15, 30), expiry),
            3.0 / 365.0
        );
    }

    #[test]
    fn a_utc_timestamp_is_read_in_ist() {
        let expiry = NaiveDate::from_ymd_opt(2024, 10, 30).unwrap();
        // 10:00 UTC is 15:30 IST.
        let utc = chrono::Utc
            .with_ymd_and_hms(2024, 10, 29, 10, 0, 0)
            .single()
            .unwrap()
            .fixed_offset();
        assert_eq!(days_to_expiry(utc, expiry), 1.0);
    }
}
