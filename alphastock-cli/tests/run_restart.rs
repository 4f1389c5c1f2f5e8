//! A paper run stopped cleanly (SIGTERM) in the middle of a day, then started again on the same
//! journal and date: it continues the day instead of trading it again. The positions left open
//! come back, no signal is entered twice (the market resumes after the last stored quote, the
//! bars before it seeding the strategies) and the day's summary (stored in `daily_pnl`) counts the orders, fills and trades of both runs.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use alphastock_cli::store::Store;
use chrono::NaiveDate;

fn word_after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        if w == marker {
            return words.next();
        }
    }
    None
}

/// The number after `name ` in a summary line (`orders 4, fills 4, trades 2, ...`).
fn count(line: &str, name: &str) -> u64 {
    let pat = format!("{name} ");
    let at = line
        .find(&pat)
        .unwrap_or_else(|| panic!("{name} in {line}"))
        + pat.len();
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {line}"))
}

#[test]
fn a_clean_stop_and_a_restart_continue_the_day_without_entering_a_signal_twice() {
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-restart-")
        .tempdir()
        .unwrap();
    let db: PathBuf = scratch.path().join("journal.db");
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

    // First run: SIGTERM as soon as its first entry has filled.
    let mut child = base("2000").stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut sent = false;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.contains(" FILL ") && !sent {
            let pid = child.id().to_string();
            let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            assert!(killed.success());
            sent = true;
        }
        first.push(line);
    }
    let status = child.wait().unwrap();
    let first_text = first.join("\n");
    assert!(status.success(), "a clean stop exits 0:\n{first_text}");
    let open_line = first
        .iter()
        .find(|l| l.starts_with("RUN "))
        .expect("run summary");
    let still_open = open_line
        .split("still open: ")
        .nth(1)
        .unwrap_or_else(|| panic!("the entry is still open at the stop: {open_line}"))
        .to_string();
    let first_tags: Vec<String> = first
        .iter()
        .filter_map(|l| word_after(l, "ORDER").map(str::to_string))
        .collect();
    let first_signals: Vec<String> = first
        .iter()
        .filter(|l| l.contains(" SIGNAL ") && l.contains(" accepted"))
        .cloned()
        .collect();
    assert!(!first_tags.is_empty());

    // Restart on the same journal and date, to the end of the day.
    let out = base("max").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("RECOVER previous run stopped cleanly; continuing the day"),
        "{text}"
    );
    for open in still_open.split(", ") {
        assert!(
            text.contains(&format!("RECOVER position {open}")),
            "{open} restored:\n{text}"
        );
    }
    assert!(text.contains("resuming after 2026-12-01"), "{text}");
    // The restarted strategies are seeded with the day before and then with the day's bars
    // completed before the resume (09:15 to the resume time, the bar in progress left out).
    let resume = text
        .split("resuming after 2026-12-01 ")
        .nth(1)
        .and_then(|r| r.get(..8))
        .unwrap();
    let at = chrono::NaiveTime::parse_from_str(resume, "%H:%M:%S").unwrap();
    let open = chrono::NaiveTime::from_hms_opt(9, 15, 0).unwrap();
    let done = (at - open).num_minutes() / 5;
    for sym in ["BANKNIFTY", "FINNIFTY", "NIFTY"] {
        for line in [
            format!("WARM   {sym}: seeded with 75 bar(s) of 5 min from the simulated session of 2026-11-30"),
            format!("WARM   {sym}: seeded with {done} bar(s) of 5 min from the day's bars up to {resume}"),
        ] {
            assert!(text.contains(&line), "{line}\n{text}");
        }
    }
    for line in text.lines() {
        if let Some(tag) = word_after(line, "ORDER") {
            assert!(
                !first_tags.iter().any(|t| t == tag),
                "{tag} sent again:\n{text}"
            );
        }
        // The same signal (same time, underlying and side) is never accepted again.
        if line.contains(" SIGNAL ") && line.contains(" accepted") {
            let key: Vec<&str> = line.split_whitespace().take(5).collect();
            assert!(
                !first_signals
                    .iter()
                    .any(|s| s.split_whitespace().take(5).collect::<Vec<_>>() == key),
                "entered twice: {line}"
            );
        }
    }

    // The day's summary covers both runs: every order the journal has for the day.
    let day_line = text
        .lines()
        .find(|l| l.starts_with("DAY 2026-12-01"))
        .expect("day summary");
    let store = Store::open(&db).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let orders_today = store.orders_on(day).unwrap().len() as u64;
    assert_eq!(count(day_line, "orders"), orders_today, "{day_line}");
    assert!(orders_today > first_tags.len() as u64 || text.contains("EXIT"));
    assert_eq!(
        count(day_line, "signals"),
        store.count("signals").unwrap(),
        "signals of both runs: {day_line}"
    );
    let stored = store.daily_pnl(day).unwrap().expect("daily_pnl row");
    assert_eq!(u64::from(stored.trades), count(day_line, "trades"));
}
