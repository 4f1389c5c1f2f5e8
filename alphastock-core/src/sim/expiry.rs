//! The expiry of the simulated options and their trading symbols, from the market rules of the
//! simulated (or replayed) day ([`crate::rules`]): NIFTY weekly, the other indices and stocks
//! monthly, on the weekday in force that day (Thursday until August 2025, Tuesday since, with
//! BANKNIFTY's 2024 Wednesday weeklies), an expiry on a holiday moved to the previous trading
//! day. A contract trades until 15:30 IST on its expiry day, so on expiry day the expiring series
//! is still the nearest one.
//!
//! Underlyings or dates the rules do not cover fall back to a plain calendar: weekly on Tuesday
//! for NIFTY, the last Tuesday of the month otherwise.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::market::Symbol;
use crate::rules::{MarketRules, Series};

/// The market rules with the config's extra holidays (cloned only when there are some).
fn with_holidays<R>(holidays: &[NaiveDate], f: impl FnOnce(&MarketRules) -> R) -> Option<R> {
    let rules = MarketRules::embedded().ok()?;
    if holidays.is_empty() {
        Some(f(rules))
    } else {
        Some(f(&rules.with_extra_holidays(holidays)))
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

/// The plain calendar for underlyings the rules do not cover.
fn fallback_expiry(underlying: &Symbol, day: NaiveDate, holidays: &[NaiveDate]) -> NaiveDate {
    if underlying.name() == "NIFTY" {
        let ahead = (7 + Weekday::Tue.num_days_from_monday() as i64
            - day.weekday().num_days_from_monday() as i64)
            % 7;
        let mut nominal = day + Duration::days(ahead);
        for _ in 0..3 {
            let e = adjust(nominal, holidays);
            if e >= day {
                return e;
            }
            nominal += Duration::days(7);
        }
        return day;
    }
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

/// The nearest expiry on or after `day` of `underlying`'s options, and whether it is a monthly
/// one: the market rules of `day` (with `holidays` added), else the plain fallback calendar.
pub fn nearest_expiry(
    underlying: &Symbol,
    day: NaiveDate,
    holidays: &[NaiveDate],
) -> (NaiveDate, bool) {
    match with_holidays(holidays, |r| r.nearest_expiry(underlying.name(), day)) {
        Some(Ok(e)) => (e.date, e.series != Series::Weekly),
        _ => {
            let e = fallback_expiry(underlying, day, holidays);
            (e, fallback_is_monthly(underlying, e))
        }
    }
}

/// The nearest expiry on or after `day` for `underlying` (see [`nearest_expiry`]).
pub fn next_expiry(underlying: &Symbol, day: NaiveDate, holidays: &[NaiveDate]) -> NaiveDate {
    nearest_expiry(underlying, day, holidays).0
}

fn fallback_is_monthly(underlying: &Symbol, expiry: NaiveDate) -> bool {
    underlying.name() != "NIFTY" || (expiry + Duration::days(7)).month() != expiry.month()
}

/// True when `expiry` is a monthly expiry of `underlying` (the contract listed as monthly,
/// quarterly or half-yearly on its own expiry day), per the market rules, else the fallback.
pub fn is_monthly(underlying: &Symbol, expiry: NaiveDate) -> bool {
    let listed = with_holidays(&[], |r| r.expiries(underlying.name(), expiry));
    match listed {
        Some(Ok(list)) => match list.iter().find(|e| e.date == expiry) {
            Some(e) => e.series != Series::Weekly,
            None => fallback_is_monthly(underlying, expiry),
        },
        _ => fallback_is_monthly(underlying, expiry),
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// The NSE-style trading symbol of a simulated option: monthly series
/// `BANKNIFTY25DEC51200CE` (name, 2-digit year, month, strike, type); weekly series
/// `NIFTY25D0924300PE` (name, year, month code 1–9/O/N/D, 2-digit day, strike, type). Whether
/// the expiry is monthly comes from the market rules ([`is_monthly`]).
pub fn trading_symbol(underlying: &Symbol, expiry: NaiveDate, strike: &str, ce: bool) -> String {
    trading_symbol_of(
        underlying,
        expiry,
        is_monthly(underlying, expiry),
        strike,
        ce,
    )
}

/// [`trading_symbol`] with the series already known (`monthly`).
pub fn trading_symbol_of(
    underlying: &Symbol,
    expiry: NaiveDate,
    monthly: bool,
    strike: &str,
    ce: bool,
) -> String {
    let yy = expiry.year().rem_euclid(100);
    let ty = if ce { "CE" } else { "PE" };
    let name = underlying.name();
    let m0 = expiry.month0() as usize;
    if monthly {
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

    #[test]
    fn the_rules_know_the_2026_holidays_without_a_config_list() {
        let nifty = Symbol::parse("NIFTY").unwrap();
        // Tuesday 2026-11-10 is Diwali Balipratipada: the week's NIFTY expiry is Monday the 9th
        // (the simulator used to trade NIFTY26N1024000CE, a contract that never existed).
        assert_eq!(
            nearest_expiry(&nifty, d(2026, 11, 4), &[]),
            (d(2026, 11, 9), false)
        );
        assert_eq!(
            trading_symbol(&nifty, d(2026, 11, 9), "24000", true),
            "NIFTY26N0924000CE"
        );
        // Tuesday 2026-11-24 is a holiday too: November's monthly expires Monday the 23rd.
        assert_eq!(
            nearest_expiry(&nifty, d(2026, 11, 18), &[]),
            (d(2026, 11, 23), true)
        );
        assert_eq!(
            trading_symbol(&nifty, d(2026, 11, 23), "24000", false),
            "NIFTY26NOV24000PE"
        );
    }

    #[test]
    fn a_2024_day_gets_the_2024_expiry_cycle() {
        let bank = Symbol::parse("BANKNIFTY").unwrap();
        // BANKNIFTY weekly on Wednesdays in 2024; 2024-05-01 is a holiday.
        assert_eq!(
            nearest_expiry(&bank, d(2024, 4, 29), &[]),
            (d(2024, 4, 30), false)
        );
        let nifty = Symbol::parse("NIFTY").unwrap();
        // NIFTY weekly on Thursdays until August 2025.
        assert_eq!(next_expiry(&nifty, d(2025, 1, 13), &[]), d(2025, 1, 16));
    }

    #[test]
    fn underlyings_outside_the_rules_use_the_plain_calendar() {
        let other = Symbol::parse("NSE:TCS").unwrap();
        assert_eq!(next_expiry(&other, d(2025, 12, 3), &[]), d(2025, 12, 30));
    }
}
