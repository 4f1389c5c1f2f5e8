use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal_macros::dec;

use super::*;

fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, dd).unwrap()
}

fn rules() -> &'static MarketRules {
    MarketRules::embedded().unwrap()
}

#[test]
fn the_embedded_tables_parse() {
    assert!(MarketRules::embedded().is_ok());
    assert_eq!(
        rules().underlyings(),
        vec![
            "BANKNIFTY",
            "FINNIFTY",
            "HDFCBANK",
            "MIDCPNIFTY",
            "NIFTY",
            "NIFTYNXT50",
            "RELIANCE",
            "SBIN"
        ]
    );
}

#[test]
fn nse_2026_has_16_weekday_holidays() {
    let h = rules().calendar().holidays_of(2026);
    assert_eq!(h.len(), 16);
    assert!(h
        .iter()
        .all(|(d, _)| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)));
    assert_eq!(rules().calendar().holidays_of(2024).len(), 17);
    assert_eq!(rules().calendar().holidays_of(2025).len(), 14);
}

#[test]
fn no_contract_expires_on_a_holiday_in_2024_to_2026() {
    let cal = rules().calendar();
    let mut day = d(2024, 1, 1);
    let mut checked = 0;
    while day <= d(2026, 12, 31) {
        if cal.is_regular_trading_day(day) {
            for u in rules().underlyings() {
                for e in rules().expiries(u, day).unwrap() {
                    // Dated with the holidays known that day; once the whole 2026 list is
                    // known (2026-01-12), no 2026 expiry falls on any 2026 holiday.
                    assert!(
                        cal.is_regular_trading_day_as_of(e.date, day),
                        "{u} expiry {} listed on {day} is not a trading day",
                        e.date
                    );
                    if day >= d(2026, 1, 12) && e.date.year() == 2026 {
                        assert!(
                            cal.is_regular_trading_day(e.date),
                            "{u} {} on {day}",
                            e.date
                        );
                    }
                    assert!(e.date >= day);
                    checked += 1;
                }
            }
        }
        day = day.succ_opt().unwrap();
    }
    assert!(checked > 20_000, "{checked}");
}

#[test]
fn an_expiry_on_a_2026_holiday_moves_to_the_previous_trading_day() {
    let e = |u: &str, day| -> Vec<NaiveDate> {
        rules()
            .expiries(u, day)
            .unwrap()
            .into_iter()
            .map(|e| e.date)
            .collect()
    };
    // Tuesday 2026-11-10 (Diwali Balipratipada) is a holiday: that week's NIFTY weekly expires
    // on Monday 2026-11-09, and no contract expires on the 10th.
    let nifty = e("NIFTY", d(2026, 11, 2));
    assert!(nifty.contains(&d(2026, 11, 9)), "{nifty:?}");
    assert!(!nifty.contains(&d(2026, 11, 10)));
    // Tuesday 2026-11-24 (Guru Nanak Jayanti) is the last Tuesday of November: the monthly
    // series of every index moves to Monday 2026-11-23.
    for u in ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY"] {
        assert_eq!(
            e(u, d(2026, 11, 2))[..]
                .iter()
                .find(|x| x.month() == 11 && **x > d(2026, 11, 20)),
            Some(&d(2026, 11, 23)),
            "{u}"
        );
    }
    // Tuesday 2026-03-31 (Mahavir Jayanti): the March monthly expires Monday 2026-03-30.
    assert_eq!(e("BANKNIFTY", d(2026, 3, 27))[0], d(2026, 3, 30));
}

#[test]
fn the_2024_banknifty_series_expires_weekly_on_wednesdays_with_lot_15() {
    // 2024-04-29: the week's Wednesday, 2024-05-01, is Maharashtra Day: the weekly moves to
    // Tuesday 2024-04-30. The April monthly (last Wednesday, 2024-04-24) has expired; the May
    // monthly is the last Wednesday of May, 2024-05-29.
    let ex = rules().expiries("BANKNIFTY", d(2024, 4, 29)).unwrap();
    let weekly: Vec<NaiveDate> = ex
        .iter()
        .filter(|e| e.series == Series::Weekly)
        .map(|e| e.date)
        .collect();
    assert_eq!(
        weekly,
        vec![
            d(2024, 4, 30),
            d(2024, 5, 8),
            d(2024, 5, 15),
            d(2024, 5, 22)
        ]
    );
    assert_eq!(
        ex.iter()
            .find(|e| e.series == Series::Monthly)
            .map(|e| e.date),
        Some(d(2024, 5, 29))
    );
    assert!(ex.iter().all(|e| e.lot_size == 15));
    // After 2024-11-13 BANKNIFTY has no weeklies.
    let late = rules().expiries("BANKNIFTY", d(2024, 11, 14)).unwrap();
    assert!(late.iter().all(|e| e.series != Series::Weekly));
}

#[test]
fn lots_belong_to_contracts_across_the_november_2024_revision() {
    let r = rules();
    // 2025-01-10: the January monthly, listed before 2024-11-20, keeps 25; the weeklies and the
    // February monthly listed after it have 75.
    assert_eq!(
        r.lot_size("NIFTY", d(2025, 1, 10), d(2025, 1, 30)).unwrap(),
        25
    );
    assert_eq!(
        r.lot_size("NIFTY", d(2025, 1, 10), d(2025, 1, 16)).unwrap(),
        75
    );
    assert_eq!(
        r.lot_size("NIFTY", d(2025, 1, 10), d(2025, 2, 27)).unwrap(),
        75
    );
    assert_eq!(
        r.lot_size("BANKNIFTY", d(2025, 1, 10), d(2025, 1, 30))
            .unwrap(),
        15
    );
    assert_eq!(
        r.lot_size("BANKNIFTY", d(2025, 1, 10), d(2025, 3, 27))
            .unwrap(),
        30
    );
    // Before the quarterlies were revised (2024-12-27) the March 2025 contract still had 15.
    assert_eq!(
        r.lot_size("BANKNIFTY", d(2024, 12, 2), d(2025, 3, 26))
            .unwrap(),
        15
    );
    // 2026: NIFTY 65, BANKNIFTY 30, FINNIFTY 60, MIDCPNIFTY 120.
    for (u, lot) in [
        ("NIFTY", 65),
        ("BANKNIFTY", 30),
        ("FINNIFTY", 60),
        ("MIDCPNIFTY", 120),
    ] {
        assert!(
            r.expiries(u, d(2026, 3, 27))
                .unwrap()
                .iter()
                .all(|e| e.lot_size == lot),
            "{u}"
        );
    }
    assert!(matches!(
        r.lot_size("NIFTY", d(2025, 1, 10), d(2025, 1, 29)),
        Err(RulesError::NotListed { .. })
    ));
}

#[test]
fn options_stt_is_0_1_pct_on_2026_03_31_and_0_15_pct_from_2026_04_01() {
    let r = rules();
    assert_eq!(
        r.rates(Segment::Options, d(2026, 3, 31))
            .unwrap()
            .stt_sell_pct,
        dec!(0.1)
    );
    assert_eq!(
        r.rates(Segment::Options, d(2026, 4, 1))
            .unwrap()
            .stt_sell_pct,
        dec!(0.15)
    );
    assert_eq!(
        r.rates(Segment::Options, d(2026, 4, 1))
            .unwrap()
            .stt_exercise_pct,
        Some(dec!(0.15))
    );
    assert_eq!(
        r.rates(Segment::Options, d(2024, 9, 30))
            .unwrap()
            .stt_sell_pct,
        dec!(0.0625)
    );
    assert_eq!(
        r.rates(Segment::Options, d(2024, 9, 30))
            .unwrap()
            .exchange_txn_pct,
        dec!(0.0495)
    );
    assert_eq!(
        r.rates(Segment::Options, d(2024, 10, 1))
            .unwrap()
            .exchange_txn_pct,
        dec!(0.03503)
    );
    assert_eq!(
        r.rates(Segment::EquityIntraday, d(2026, 4, 1))
            .unwrap()
            .stt_sell_pct,
        dec!(0.025)
    );
    assert!(matches!(
        r.rates(Segment::Options, d(2023, 12, 29)),
        Err(RulesError::NoCharge { .. })
    ));
}

#[test]
fn special_sessions_open_weekends_and_muhurat_evenings() {
    let cal = rules().calendar();
    assert_eq!(cal.sessions(d(2024, 1, 20)), vec![regular_session()]);
    assert_eq!(cal.sessions(d(2024, 3, 2)).len(), 2);
    assert!(cal.sessions(d(2024, 1, 22)).is_empty());
    assert_eq!(cal.sessions(d(2024, 11, 1)).len(), 1);
    assert!(!cal.is_regular_trading_day(d(2024, 11, 1)));
    // A holiday counts for dating expiries only once announced.
    assert!(cal.holiday_as_of(d(2026, 3, 31), d(2025, 8, 29)).is_none());
    assert!(cal.holiday_as_of(d(2026, 3, 31), d(2025, 12, 1)).is_some());
    assert!(cal.holiday_as_of(d(2026, 12, 25), d(2025, 8, 29)).is_some());
    // Years after the listed ones keep only the fixed-date national holidays.
    assert!(cal.holiday(d(2029, 12, 25)).is_some());
    assert!(cal.holiday(d(2029, 12, 24)).is_none());
    let with = rules().with_extra_holidays(&[d(2026, 12, 1)]);
    assert!(!with.calendar().is_regular_trading_day(d(2026, 12, 1)));
}
