//! A paper run killed (SIGKILL) right after it sent an order, then restarted on the same
//! journal: no order is sent twice and the positions are exactly what the fills add up to.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use alphastock_cli::store::Store;
use alphastock_core::market::IST;
use chrono::TimeZone;

fn order_tag(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        if w == "ORDER" {
            return words.next().map(str::to_string);
        }
    }
    None
}

#[test]
fn a_killed_run_resumes_without_duplicate_orders_and_with_the_same_positions() {
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-recovery-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().to_path_buf();
    let db: PathBuf = dir.join("journal.db");
    let config = format!("{}/../fixtures/paper.yaml", env!("CARGO_MANIFEST_DIR"));
    let base = |speed: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_alphastock"));
        c.args([
            "run",
            "--config",
            &config,
            "--date",
            "2026-12-01",
            "--speed",
            speed,
        ])
        .arg("--db")
        .arg(&db);
        c
    };

    // First run, slow enough to be interrupted: killed as soon as an order line appears.
    let mut child = base("2000").stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut first_tags = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(tag) = order_tag(&line) {
            first_tags.push(tag);
            child.kill().unwrap(); // SIGKILL on unix
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "the first run was killed");
    assert_eq!(first_tags.len(), 1, "an order was sent before the kill");

    // Restart on the same journal, to the end of the day.
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
    let second_tags: Vec<String> = text.lines().filter_map(order_tag).collect();
    for t in &first_tags {
        assert!(
            !second_tags.contains(t),
            "{t} sent again after the restart:\n{text}"
        );
    }
    let distinct: BTreeSet<&String> = second_tags.iter().collect();
    assert_eq!(
        distinct.len(),
        second_tags.len(),
        "a tag sent twice:\n{text}"
    );

    // The journal: every order once, and positions equal to the fills.
    let store = Store::open(&db).unwrap();
    let stored = store.all_tags().unwrap();
    for t in first_tags.iter().chain(&second_tags) {
        assert!(stored.contains(t), "{t} not in the journal");
    }
    // The order whose line was printed before the kill had its broker id on disk: it was found
    // again, not closed as never placed.
    let killed = store
        .order_by_tag(&first_tags[0])
        .unwrap()
        .expect("journaled");
    assert!(
        killed.order_id.as_deref().is_some_and(|id| !id.is_empty()),
        "{killed:?}"
    );
    assert!(
        !killed
            .message
            .as_deref()
            .is_some_and(|m| m.contains("not at the broker after a restart")),
        "{killed:?}"
    );
    let since = IST.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut net: BTreeMap<String, i64> = BTreeMap::new();
    for f in store.fills_since(since).unwrap() {
        *net.entry(f.trading_symbol.clone()).or_default() +=
            f.transaction_type.sign() * i64::from(f.quantity);
    }
    net.retain(|_, q| *q != 0);
    let positions: BTreeMap<String, i64> = store
        .positions()
        .unwrap()
        .into_iter()
        .map(|p| (p.trading_symbol, p.quantity))
        .collect();
    assert_eq!(positions, net, "positions differ from the fills\n{text}");
    assert!(
        store.count("fills").unwrap() >= 1,
        "the order sent before the kill filled"
    );
}

#[test]
fn sigterm_stops_new_entries_prints_the_summary_and_exits_0() {
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-sigterm-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().to_path_buf();
    let db = dir.join("journal.db");
    let config = format!("{}/../fixtures/paper.yaml", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args([
            "run",
            "--config",
            &config,
            "--date",
            "2026-12-01",
            "--speed",
            "2000",
        ])
        .arg("--db")
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // Wait for the start line, then ask the run to stop as a service manager would.
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("alphastock run:"), "{first}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
    let code = child.wait().unwrap();
    assert!(code.success(), "{rest:?}");
    assert!(rest.iter().any(|l| l.contains("STOP")), "{rest:?}");
    assert!(rest.iter().any(|l| l.starts_with("RUN ")), "{rest:?}");
    let store = Store::open(&db).unwrap();
    let last = store
        .last_journal_of(&["run_start", "run_stop"])
        .unwrap()
        .unwrap();
    assert_eq!(last.0, "run_stop", "a clean stop is journaled");
}
