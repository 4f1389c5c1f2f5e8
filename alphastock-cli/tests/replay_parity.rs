//! `alphastock run --replay` (paper broker) and `alphastock backtest` (the backtester) make the
//! same trades on the same candles and config: the same contracts, fill prices and net P&L,
//! because both read candles at their end, price the option chain at that moment and fill by
//! the core's fill model.

use std::process::Command;

use serde_json::Value;

const DATA: &str = "fixtures/candles/synthetic_5min.csv";
const CONFIG: &str = "fixtures/backtest.yaml";

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

#[test]
fn replay_and_backtest_give_the_same_trades_on_the_same_data() {
    let (code, out, err) = alphastock(&["backtest", "--config", CONFIG, "--data", DATA, "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    let trades = v["trades"].as_array().expect("trades");
    assert!(trades.len() >= 2, "{v}");
    // The backtest's fills, in order: (side, contract, price).
    let mut want: Vec<(String, String, String)> = Vec::new();
    for t in trades {
        let sym = t["trading_symbol"].as_str().expect("symbol").to_string();
        let px = |k: &str| format!("{:.2}", t[k].as_f64().expect("price"));
        want.push(("BUY".into(), sym.clone(), px("entry_price")));
        want.push(("SELL".into(), sym, px("exit_price")));
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("replay.db");
    let (code, out, err) = alphastock(&[
        "run",
        "--config",
        CONFIG,
        "--replay",
        DATA,
        "--db",
        &db.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    // `... FILL   TAG SIDE QTY CONTRACT @ PRICE (trade ...)`
    let got: Vec<(String, String, String)> = out
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(" FILL ")?.1;
            let w: Vec<&str> = rest.split_whitespace().collect();
            Some((w[1].to_string(), w[3].to_string(), w[5].to_string()))
        })
        .collect();
    assert_eq!(got, want, "{out}");
    // And the same net P&L (the run's total line against the backtest's).
    let run_net = out
        .lines()
        .find(|l| l.starts_with("RUN "))
        .and_then(|l| l.rsplit_once("net P&L "))
        .map(|(_, n)| n.trim().parse::<f64>().expect("number"))
        .expect("RUN line");
    let bt_net = v["net_pnl"].as_f64().expect("net");
    assert!(
        (run_net - bt_net).abs() < 0.005,
        "run {run_net} vs backtest {bt_net}"
    );
}
