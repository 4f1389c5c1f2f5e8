//! The expiry grid of the simulated options and their trading symbols.
//!
//! NSE moved its index derivative expiries to **Tuesday** from September 2025. The simulator
//! follows that calendar, kept deliberately simple:
//! - `NIFTY`: weekly options expiring every Tuesday;
//! - every other underlying (`BANKNIFTY`, `FINNIFTY`, stocks): monthly options expiring on the
//!   last Tuesday of the month.
//!
//! An expiry falling on a holiday (or weekend) moves to the previous trading day. A contract
//! trades until 15:30 IST on its expiry day, so on expiry day the expiring series is still the
//! nearest one.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::market::Symbol;

/// How often an underlying's options expire in the simulated market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryCycle {
    /// Every Tuesday (NIFTY).
    WeeklyTuesday,
    /// The last Tuesday of each month (BANKNIFTY, FINNIFTY, stocks).
    MonthlyLastTuesday,
}

/// The expiry cycle the simulator uses for `underlying`.
pub fn expiry_cycle(underlying: &Symbol) -> ExpiryCycle {
    if underlying.as_str() == "NIFTY" {
        ExpiryCycle::WeeklyTuesday
    } else {
        ExpiryCycle::MonthlyLastTuesday
    }
}

fn is_trading_day(d: NaiveDate, holidays: &[NaiveDate]) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&d)
}

/// Moves a nominal expiry back to the nearest trading day on or before it.
fn adjust(mut d: NaiveDate, holidays: &[NaiveDate]) -> NaiveDate {
    for _ in 0..10 {
        if is_trading_day(d, holidays) {
            return d;
        }
        d -= Duration::days(1);
    }
    d
}

fn last_tuesday(year: i32, month: u32) -> Option<NaiveDate> {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let mut d = NaiveDate::from_ymd_opt(ny, nm, 1)? - Duration::days(1);
    while d.weekday() != Weekday::Tue {
        d -= Duration::days(1);
    }
    Some(d)
}

/// The nearest expiry on or after `day` for `underlying` (holiday-adjusted), per the module's
/// calendar.
pub fn next_expiry(underlying: &Symbol, day: NaiveDate, holidays: &[NaiveDate]) -> NaiveDate {
    match expiry_cycle(underlying) {
        ExpiryCycle::WeeklyTuesday => {
            let ahead = (7 + Weekday::Tue.num_days_from_monday() as i64
                - day.weekday().num_days_from_monday() as i64)
                % 7;
            let mut nominal = day + Duration::days(ahead);
            loop {
                let e = adjust(nominal, holidays);
                if e >= day {
                    return e;
                }
                nominal += Duration::days(7);
            }
        }
        ExpiryCycle::MonthlyLastTuesday => {
            let (mut y, mut m) = (day.year(), day.month());
            for _ in 0..3 {
                if let Some(lt) = last_tuesday(y, m) {
                    let e = adjust(lt, holidays);
                    if e >= day {
                        return e;
                    }
                }
                if m == 12 {
                    y += 1;
                    m = 1;
                } else {
                    m += 1;
                }
            }
            day
        }
    }
}

/// True when `expiry` is the last expiry of its month for `underlying` (the monthly series).
fn is_monthly(underlying: &Symbol, expiry: NaiveDate) -> bool {
    match expiry_cycle(underlying) {
        ExpiryCycle::MonthlyLastTuesday => true,
        ExpiryCycle::WeeklyTuesday => (expiry + Duration::days(7)).month() != expiry.month(),
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// The NSE-style trading symbol of a simulated option: monthly series
/// `BANKNIFTY25DEC51200CE` (name, 2-digit year, month, strike, type); weekly series
/// `NIFTY25D0924300PE` (name, year, month code 1–9/O/N/D, 2-digit day, strike, type).
pub fn trading_symbol(underlying: &Symbol, expiry: NaiveDate, strike: &str, ce: bool) -> String {
    let yy = expiry.year().rem_euclid(100);
    let ty = if ce { "CE" } else { "PE" };
    let name = underlying.name();
    let m0 = expiry.month0() as usize;
    if is_monthly(underlying, expiry) {
        format!("{name}{yy:02}{}{strike}{ty}", MONTHS[m0 % 12])
    } else {
        let code = match expiry.month() {
            10 => 'O',
            11 => 'N',
            12 => 'D',
            m => char::from(b'0' + m as u8),
        };
        format!("{name}{yy:02}{code}{:02}{strike}{ty}", expiry.day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn nifty_expires_weekly_on_tuesday_others_last_tuesday_of_month() {
        let nifty = Symbol::parse("NIFTY").unwrap();
        let bank = Symbol::parse("BANKNIFTY").unwrap();
        // 2025-12-03 is a Wednesday: next Tuesday is 2025-12-09.
        assert_eq!(next_expiry(&nifty, d(2025, 12, 3), &[]), d(2025, 12, 9));
        // On expiry day itself the expiring series is the nearest.
        assert_eq!(next_expiry(&nifty, d(2025, 12, 9), &[]), d(2025, 12, 9));
        // Last Tuesday of December 2025 is the 30th.
        assert_eq!(next_expiry(&bank, d(2025, 12, 3), &[]), d(2025, 12, 30));
        // After it, January 2026's last Tuesday (27th).
        assert_eq!(next_expiry(&bank, d(2025, 12, 31), &[]), d(2026, 1, 27));
    }

    #[test]
    fn a_holiday_expiry_moves_to_the_previous_trading_day() {
        let nifty = Symbol::parse("NIFTY").unwrap();
        let holidays = [d(2025, 12, 9)];
        assert_eq!(
            next_expiry(&nifty, d(2025, 12, 3), &holidays),
            d(2025, 12, 8)
        );
        // After the moved expiry has passed, the next one is a week later.
        assert_eq!(
            next_expiry(&nifty, d(2025, 12, 9), &holidays),
            d(2025, 12, 16)
        );
    }

    #[test]
    fn trading_symbols_follow_the_nse_forms() {
        let nifty = Symbol::parse("NIFTY").unwrap();
        let bank = Symbol::parse("BANKNIFTY").unwrap();
        assert_eq!(
            trading_symbol(&bank, d(2025, 12, 30), "51200", true),
            "BANKNIFTY25DEC51200CE"
        );
        assert_eq!(
            trading_symbol(&nifty, d(2025, 12, 9), "24300", false),
            "NIFTY25D0924300PE"
        );
        assert_eq!(
            trading_symbol(&nifty, d(2025, 12, 30), "24300", false),
            "NIFTY25DEC24300PE"
        );
    }
}
