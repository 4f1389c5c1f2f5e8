//! `alphastock contracts` and `alphastock charges`: the market rules of a date as traders see
//! them, with values checked by hand (and, for contracts, against NSE's own contract list of
//! 2026-03-27, whose NIFTY rows are quoted below).

use std::process::Command;

fn alphastock(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run alphastock");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = alphastock(args);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn contracts_json_gives_the_nifty_rules_of_2026_03_27() {
    // NSE's F&O list of 2026-03-27 has NIFTY options expiring 03-30 (the March monthly, moved
    // from Tuesday 31 for Mahavir Jayanti), 04-07, 04-13 (moved from the 14th), 04-21, 04-28,
    // 05-05 and 05-26 within 90 days, all with lot 65.
    let v = json(&["contracts", "NIFTY", "--date", "2026-03-27", "--json"]);
    assert_eq!(v["underlying"], "NIFTY");
    assert_eq!(v["date"], "2026-03-27");
    assert_eq!(v["strike_step"], "50");
    assert_eq!(v["tick_size"], "0.05");
    assert_eq!(v["freeze_quantity"], 1800);
    let got: Vec<(String, String, u64)> = v["expiries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["date"].as_str().unwrap().to_string(),
                e["kind"].as_str().unwrap().to_string(),
                e["lot_size"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, u64)> = [
        ("2026-03-30", "monthly"),
        ("2026-04-07", "weekly"),
        ("2026-04-13", "weekly"),
        ("2026-04-21", "weekly"),
        ("2026-04-28", "monthly"),
        ("2026-05-05", "weekly"),
        ("2026-05-26", "monthly"),
    ]
    .iter()
    .map(|(d, k)| (d.to_string(), k.to_string(), 65))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn contracts_of_2024_use_2024_rules_and_unknown_underlyings_exit_2() {
    // BANKNIFTY on 2024-04-29: weekly Wednesday expiries (2024-05-01 is a holiday, so that
    // week's moves to Tuesday 04-30), lot 15.
    let v = json(&[
        "contracts",
        "BANKNIFTY",
        "--date",
        "2024-04-29",
        "--days",
        "10",
        "--json",
    ]);
    let exp = v["expiries"].as_array().unwrap();
    assert_eq!(exp.len(), 2);
    assert_eq!(exp[0]["date"], "2024-04-30");
    assert_eq!(exp[1]["date"], "2024-05-08");
    assert!(exp
        .iter()
        .all(|e| e["lot_size"] == 15 && e["kind"] == "weekly"));
    let (code, _, err) = alphastock(&["contracts", "NOSUCH", "--date", "2026-01-05"]);
    assert_eq!(code, 2);
    assert!(err.contains("NOSUCH"), "{err}");
}

#[test]
fn charges_json_switches_stt_from_0_1_to_0_15_pct_on_2026_04_01() {
    // Buy 75 @ 280 (21,000) and sell 75 @ 493.20 (36,990) of NSE options, brokerage 20/order.
    // Buy: exchange 0.03503 % 7.36, SEBI 0.02, stamp 0.003 % 0.63, IPFT 50/crore 0.11, GST
    // 18 % × 27.49 = 4.95 → 33.07. Sell: exchange 12.96, SEBI 0.04, IPFT 0.18, GST 18 % ×
    // 33.18 = 5.97, STT 36.99 at 0.1 % (→ 76.14) or 55.485 → 55.49 at 0.15 % (→ 94.64).
    let args = |d: &'static str| {
        vec![
            "charges",
            "--date",
            d,
            "--segment",
            "options",
            "--buy",
            "280",
            "--sell",
            "493.20",
            "--quantity",
            "75",
            "--json",
        ]
    };
    let before = json(&args("2026-03-31"));
    assert_eq!(before["rates"]["stt_sell_pct"], "0.1");
    assert_eq!(before["charges"]["stt"], "36.99");
    assert_eq!(before["total"], "109.21");
    let after = json(&args("2026-04-01"));
    assert_eq!(after["rates"]["stt_sell_pct"], "0.15");
    assert_eq!(after["charges"]["stt"], "55.49");
    assert_eq!(after["charges"]["ipft"], "0.29");
    assert_eq!(after["charges"]["gst"], "10.92");
    assert_eq!(after["total"], "127.71");
    // 2024-09-30: STT 0.0625 % (23.12) and NSE's old 0.0495 % (10.40 + 18.31).
    let old = json(&args("2024-09-30"));
    assert_eq!(old["charges"]["stt"], "23.12");
    assert_eq!(old["charges"]["exchange"], "28.71");
    let (code, _, err) = alphastock(&args("2023-06-01"));
    assert_eq!(code, 2);
    assert!(err.contains("2023-06-01"), "{err}");
}

/// (symbol → expiry → lot) of the index option rows (IDO) of a real NSE contract list.
fn index_options(
    file: &str,
) -> (
    String,
    std::collections::BTreeMap<String, Vec<(String, u64)>>,
) {
    // ALPHASTOCK_REFERENCE, else ../shared/reference beside the checkout (as CI lays it out).
    let dir = std::env::var("ALPHASTOCK_REFERENCE").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference").to_string()
    });
    let path = std::path::Path::new(&dir).join("real/contracts").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut day = String::new();
    let mut out: std::collections::BTreeMap<String, Vec<(String, u64)>> = Default::default();
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        day = c[0].to_string();
        if c[2] == "IDO" {
            out.entry(c[1].to_string())
                .or_default()
                .push((c[3].to_string(), c[4].parse().unwrap()));
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    (day, out)
}

fn contracts_command_matches(file: &str) {
    let (day, listed) = index_options(file);
    assert!(listed.len() >= 5, "{listed:?}");
    for (symbol, want) in listed {
        // --days 2200: the longest NIFTY contracts run about five years.
        let v = json(&[
            "contracts",
            &symbol,
            "--date",
            &day,
            "--days",
            "2200",
            "--json",
        ]);
        let got: Vec<(String, u64)> = v["expiries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["date"].as_str().unwrap().to_string(),
                    e["lot_size"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, want, "{file}: {symbol}");
    }
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn contracts_command_gives_every_index_option_expiry_and_lot_of_2025_01_10() {
    contracts_command_matches("NSE_FO_contracts_2025-01-10.csv");
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn contracts_command_gives_every_index_option_expiry_and_lot_of_2026_03_27() {
    contracts_command_matches("NSE_FO_contracts_2026-03-27.csv");
}
