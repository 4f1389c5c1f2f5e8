//! Bad candle data never replays as if it were data: the same file passed twice, a file in
//! reverse time order (in `backtest`, `scan` and `run --replay`), and symbols that no strategy
//! trades. And the backtest's JSON says what happened: decision times, initial levels, the
//! order side and direction, rejections counted by reason, missed entries and exits.

use std::process::Command;

use serde_json::Value;

const DATA: &str = "fixtures/candles/synthetic_5min.csv";
const CONFIG: &str = "fixtures/backtest.yaml";

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn alphastock(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run alphastock");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The synthetic candles with the data rows in reverse order.
fn reversed_file(dir: &tempfile::TempDir) -> String {
    let text = std::fs::read_to_string(root().join(DATA)).expect("fixture");
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let path = dir.path().join("reversed.csv");
    std::fs::write(&path, format!("{header}\n{}\n", lines.join("\n"))).expect("write");
    path.display().to_string()
}

#[test]
fn the_same_file_twice_is_an_error_naming_both_files_the_line_and_the_timestamp() {
    let (code, out, err) = alphastock(&["backtest", "--config", CONFIG, "--data", DATA, DATA]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    // The first data row of the second copy repeats the first row of the first.
    assert!(
        err.contains(&format!(
            "{DATA}: line 2: BANKNIFTY candle at 2026-01-05T09:15:00+05:30 is a duplicate of {DATA} line 2"
        )),
        "{err}"
    );
}

#[test]
fn a_file_in_reverse_time_order_is_refused_by_backtest_scan_and_replay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = reversed_file(&dir);
    // Row 2 is the last NIFTY bar (15:25 on 2026-01-06); row 4 is NIFTY's 15:20 bar.
    let want = "line 4: NIFTY candle at 2026-01-06T15:20:00+05:30 is out of time order (line 2 has 2026-01-06T15:25:00+05:30)";
    let db = dir.path().join("replay.db");
    let db = db.display().to_string();
    for args in [
        vec!["backtest", "--config", CONFIG, "--data", &file],
        vec!["scan", "--strategy", "ema_crossover", "--data", &file],
        vec!["run", "--config", CONFIG, "--replay", &file, "--db", &db],
    ] {
        let (code, out, err) = alphastock(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(err.contains(&file), "{args:?} names the file: {err}");
    }
}

#[test]
fn symbols_without_a_strategy_and_strategies_without_data_are_warned_about() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("nifty_only.yaml");
    let text = std::fs::read_to_string(root().join(CONFIG))
        .expect("config")
        .replace("symbols: [BANKNIFTY, NIFTY]", "symbols: [NIFTY, FINNIFTY]");
    std::fs::write(&config, text).expect("write");
    let config = config.display().to_string();
    let (code, _, err) = alphastock(&["backtest", "--config", &config, "--data", DATA]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "warning: the data has BANKNIFTY candles but no enabled strategy trades BANKNIFTY"
        ),
        "{err}"
    );
    assert!(
        err.contains("warning: strategies trade FINNIFTY but the data has no FINNIFTY candles"),
        "{err}"
    );
}

#[test]
fn json_trades_carry_decision_times_levels_and_sides_and_the_report_counts_what_did_not_happen() {
    let (code, out, err) = alphastock(&["backtest", "--config", CONFIG, "--data", DATA, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("one JSON object");
    for key in [
        "signals",
        "rejections",
        "missed_entries",
        "missed_exits",
        "open_at_end",
        "option_prices",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["option_prices"], "simulated");
    let trades = v["trades"].as_array().expect("trades");
    assert!(!trades.is_empty());
    let rejected: u64 = v["rejections"]
        .as_object()
        .expect("rejections by reason")
        .values()
        .map(|n| n.as_u64().expect("count"))
        .sum();
    // Every signal either became an order or was rejected for a counted reason.
    let signals = v["signals"].as_u64().expect("signals");
    assert!(rejected < signals, "{rejected} of {signals}");
    assert!(signals >= trades.len() as u64);
    for t in trades {
        for key in [
            "signal_time",
            "entry_time",
            "exit_time",
            "entry_price",
            "exit_price",
            "initial_stop",
            "initial_target",
            "quantity",
            "expiry",
            "strike",
            "option_type",
            "order_side",
            "direction",
            "gross_pnl",
            "charges",
            "net_pnl",
            "exit_reason",
        ] {
            assert!(t.get(key).is_some(), "missing {key}: {t}");
        }
        // Options are always bought: a bearish signal buys a PE.
        assert_eq!(t["order_side"], "BUY", "{t}");
        let want_type = if t["direction"] == "bullish" {
            "CE"
        } else {
            "PE"
        };
        assert_eq!(t["option_type"], want_type, "{t}");
        let time = |k: &str| {
            chrono::DateTime::parse_from_rfc3339(t[k].as_str().expect("time")).expect("rfc3339")
        };
        assert!(time("entry_time") >= time("signal_time"), "{t}");
        assert!(time("exit_time") >= time("entry_time"), "{t}");
        let (gross, charges, net) = (
            t["gross_pnl"].as_f64().unwrap(),
            t["charges"].as_f64().unwrap(),
            t["net_pnl"].as_f64().unwrap(),
        );
        assert!(charges > 0.0, "{t}");
        assert!((gross - charges - net).abs() < 0.005, "{t}");
        // Gross is (exit − entry) × quantity for a bought option.
        let q = t["quantity"].as_f64().unwrap();
        let by_price = (t["exit_price"].as_f64().unwrap() - t["entry_price"].as_f64().unwrap()) * q;
        assert!((by_price - gross).abs() < 0.01, "{t}");
    }
}

#[test]
fn the_html_report_shows_signals_missed_orders_and_rejections_by_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().display().to_string();
    let (code, _, err) = alphastock(&[
        "backtest", "--config", CONFIG, "--data", DATA, "--report", &out_dir,
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("report");
    assert!(
        html.contains("<tr><th>Signals</th><td>22</td></tr>"),
        "{html}"
    );
    assert!(html.contains("<tr><th>Missed entries</th><td>0</td></tr>"));
    assert!(html.contains("<h3>Rejected signals</h3>"));
    // 2026-01-06 is a NIFTY expiry: two signals fell inside its exit-before-expiry window.
    assert!(html.contains("exit-before-expiry window</td><td>2</td>"));
    // The 09:20 NIFTY put of 2026-01-06 stops out at 09:30 for -5,334.12, past the 5,000 daily
    // loss limit: the other 11 signals of that day meet the kill switch (same count as the text
    // output's `rejected 11 x: kill switch is on`).
    assert!(html.contains("kill switch is on: no new entries</td><td>11</td>"));
    assert!(html.contains("<th>signal</th><th>entry</th><th>exit</th>"));
}
