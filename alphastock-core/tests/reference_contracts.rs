//! The market rules against real NSE F&O contract lists (2025-01-10, 2026-03-27) and the
//! expiries of the real NIFTY chains (2025-08-29, 2026-08-18).
//!
//! The real data is never copied into the repository: these tests read it from the directory
//! in `ALPHASTOCK_REFERENCE` (CI sets it to `../shared/reference`) and are ignored by default.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use alphastock_core::rules::MarketRules;
use chrono::NaiveDate;

fn reference_dir() -> PathBuf {
    let dir = std::env::var("ALPHASTOCK_REFERENCE")
        .unwrap_or_else(|_| panic!("set ALPHASTOCK_REFERENCE to the reference directory"));
    PathBuf::from(dir).join("real")
}

fn read(name: &str) -> String {
    let path = reference_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("date {s}: {e}"))
}

/// (symbol → expiry → lot) of the option rows (IDO for indices; STO for the named stocks).
fn option_rows(
    file: &str,
    stocks: &[&str],
) -> (NaiveDate, BTreeMap<String, BTreeMap<NaiveDate, u32>>) {
    let text = read(&format!("contracts/{file}"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (td, sym, ty, ex, lot) = (
        col("trade_date"),
        col("symbol"),
        col("instrument_type"),
        col("expiry"),
        col("lot_size"),
    );
    let mut trade_date = None;
    let mut out: BTreeMap<String, BTreeMap<NaiveDate, u32>> = BTreeMap::new();
    for line in lines {
        let c: Vec<&str> = line.split(',').collect();
        trade_date = Some(date(c[td]));
        let wanted = c[ty] == "IDO" || (c[ty] == "STO" && stocks.contains(&c[sym]));
        if wanted {
            out.entry(c[sym].to_string())
                .or_default()
                .insert(date(c[ex]), c[lot].parse().unwrap());
        }
    }
    (trade_date.unwrap(), out)
}

fn check_list(file: &str) {
    let rules = MarketRules::embedded().unwrap();
    let (day, listed) = option_rows(file, &["SBIN", "RELIANCE", "HDFCBANK"]);
    assert!(listed.len() >= 8, "{file}: {:?}", listed.keys());
    let mut expiries_checked = 0;
    for (symbol, want) in &listed {
        let got: BTreeMap<NaiveDate, u32> = rules
            .expiries(symbol, day)
            .unwrap_or_else(|e| panic!("{file}: {symbol}: {e}"))
            .into_iter()
            .map(|e| (e.date, e.lot_size))
            .collect();
        assert_eq!(
            &got, want,
            "{file}: {symbol} on {day}: rules (left) vs NSE list (right)"
        );
        expiries_checked += want.len();
    }
    println!(
        "{file}: {} underlyings, {expiries_checked} expiries",
        listed.len()
    );
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn every_option_expiry_and_lot_of_the_2025_01_10_contract_list() {
    check_list("NSE_FO_contracts_2025-01-10.csv");
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn every_option_expiry_and_lot_of_the_2026_03_27_contract_list() {
    check_list("NSE_FO_contracts_2026-03-27.csv");
}

fn chain_expiries(file: &str) -> BTreeSet<NaiveDate> {
    let text = read(&format!("chains/{file}"));
    text.lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(3))
        .map(date)
        .collect()
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn the_expiries_of_the_2025_08_29_nifty_chain_are_the_listed_ones() {
    let rules = MarketRules::embedded().unwrap();
    let want = chain_expiries("NIFTY_chain_20250829.csv");
    let got: BTreeSet<NaiveDate> = rules
        .expiries("NIFTY", date("2025-08-29"))
        .unwrap()
        .into_iter()
        .map(|e| e.date)
        .collect();
    assert_eq!(got, want);
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn the_four_expiries_of_the_2026_08_18_nifty_chain_are_the_nearest_listed() {
    let rules = MarketRules::embedded().unwrap();
    let want: Vec<NaiveDate> = chain_expiries("NIFTY_chain_20260818.csv")
        .into_iter()
        .collect();
    let got: Vec<NaiveDate> = rules
        .expiries("NIFTY", date("2026-08-18"))
        .unwrap()
        .into_iter()
        .map(|e| e.date)
        .take(want.len())
        .collect();
    assert_eq!(want.len(), 4);
    assert_eq!(got, want);
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn every_real_2024_index_bar_falls_in_a_session_of_the_calendar() {
    let rules = MarketRules::embedded().unwrap();
    let cal = rules.calendar();
    for file in [
        "candles/NSE_NIFTY_1min_2024-01_2024-04.csv",
        "candles/NSE_BANKNIFTY_1min_2024-01_2024-04.csv",
    ] {
        let text = read(file);
        let mut days = BTreeSet::new();
        for line in text.lines().skip(1) {
            let ts = line.split(',').next().unwrap();
            let day = date(&ts[..10]);
            let time = chrono::NaiveTime::parse_from_str(&ts[11..16], "%H:%M").unwrap();
            let sessions = cal.sessions(day);
            assert!(
                sessions.iter().any(|s| s.open <= time && time < s.close),
                "{file}: bar {ts} outside the sessions {sessions:?} of {day}"
            );
            days.insert(day);
        }
        // The Saturday sessions of 2024-01-20 (full) and 2024-03-02 (two short sessions) are in
        // the data; no listed holiday is.
        assert!(days.contains(&date("2024-01-20")) && days.contains(&date("2024-03-02")));
        assert!(days.iter().all(|d| cal.holiday(*d).is_none()));
        println!("{file}: {} days", days.len());
    }
}
