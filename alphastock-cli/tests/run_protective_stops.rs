//! `protective_stop: broker` on a paper run (the paper broker simulates SL orders): killed
//! (SIGKILL) a few ticks after a stop order was sent, the journal (from which the paper broker is
//! rebuilt on restart, as the broker's own book would be read live) holds exactly one working
//! stop order for each open position; the restart adopts it instead of placing a second; exits
//! turn the stop order into the exit in place instead of cancelling it; the day ends with every
//! position closed and no stop order left working.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use alphastock_cli::store::Store;
use alphastock_core::market::IST;
use alphastock_core::order::OrderType;
use chrono::TimeZone;

fn config(dir: &Path) -> PathBuf {
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/paper.yaml"
    ))
    .unwrap();
    let text = base.replace(
        "options_trading:\n",
        "options_trading:\n  protective_stop: broker\n",
    );
    assert_ne!(text, base);
    let p = dir.join("paper_broker_stops.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Open positions by the journal's fills, and the working stop orders by trading symbol.
fn journal_state(db: &Path) -> (BTreeMap<String, i64>, BTreeMap<String, Vec<String>>) {
    let store = Store::open(db).unwrap();
    let since = IST.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut net: BTreeMap<String, i64> = BTreeMap::new();
    for f in store.fills_since(since).unwrap() {
        *net.entry(f.trading_symbol.clone()).or_default() +=
            f.transaction_type.sign() * i64::from(f.quantity);
    }
    net.retain(|_, q| *q != 0);
    let mut stops: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in store.open_orders().unwrap() {
        if o.request.order_type == OrderType::StopLoss {
            stops
                .entry(o.request.trading_symbol.clone())
                .or_default()
                .push(o.tag.clone());
        }
    }
    (net, stops)
}

#[test]
fn a_killed_run_leaves_one_stop_per_position_and_the_restart_adopts_it() {
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-stops-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().to_path_buf();
    let db = dir.join("journal.db");
    let cfg = config(&dir);
    let base = |speed: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_alphastock"));
        c.args(["run", "--date", "2026-12-01", "--speed", speed, "--config"])
            .arg(&cfg)
            .arg("--db")
            .arg(&db);
        c
    };

    let mut child = base("2000").stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut stop_tag = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.contains(" ORDER ") && line.contains(" SL @ ") {
            stop_tag = line.split_whitespace().nth(3).map(str::to_string);
            // A few simulated ticks later (40 ms at 2000× is 80 s of market time; the first
            // stop is only hit 5 minutes later), so the broker's acknowledgement of the stop is
            // in the journal too.
            std::thread::sleep(std::time::Duration::from_millis(40));
            child.kill().unwrap(); // SIGKILL on unix
            break;
        }
    }
    assert!(!child.wait().unwrap().success(), "the first run was killed");
    let stop_tag = stop_tag.expect("a stop order was sent");

    let (open, stops) = journal_state(&db);
    assert!(!open.is_empty(), "a position is open at the kill");
    for (symbol, qty) in &open {
        assert!(*qty > 0, "{symbol} is short: {qty}");
        let n = stops.get(symbol).map_or(0, Vec::len);
        assert_eq!(n, 1, "{symbol}: {n} working stop orders ({stops:?})");
    }
    for symbol in stops.keys() {
        assert!(
            open.contains_key(symbol),
            "a stop without a position: {symbol}"
        );
    }
    assert!(
        stops.values().flatten().any(|t| *t == stop_tag),
        "{stop_tag} in {stops:?}"
    );

    let out = base("max").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("RECOVER previous run was interrupted"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{} working order(s) adopted", open.len())),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.contains(&format!("ORDER  {stop_tag} "))),
        "{stop_tag} sent again:\n{text}"
    );
    // No second stop for an adopted position before the adopted one is cancelled or the
    // position closes.
    for symbol in open.keys() {
        let mut adopted_live = true;
        for l in text.lines() {
            if l.contains(&format!("CANCEL {stop_tag} "))
                || l.contains(&format!("EXIT   {symbol} "))
            {
                adopted_live = false;
            }
            if adopted_live && l.contains(" ORDER ") && l.contains(symbol) && l.contains(" SL @ ") {
                panic!("a second stop for {symbol} while {stop_tag} works: {l}\n{text}");
            }
        }
    }
    // Exits of the whole position turn the stop order into the exit in place (the paper
    // broker fills the marketable limit at once): no stop is cancelled to make way for one.
    assert!(
        text.lines()
            .any(|l| l.contains(" MODIFY ") && l.contains(" to LIMIT ")),
        "no stop converted into its exit:\n{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.contains("protective stop: exit first")),
        "a stop cancelled before an exit:\n{text}"
    );
    let (open, stops) = journal_state(&db);
    assert!(open.is_empty(), "positions left open: {open:?}\n{text}");
    assert!(
        stops.is_empty(),
        "stop orders left working: {stops:?}\n{text}"
    );
}
