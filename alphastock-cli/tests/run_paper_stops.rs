//! A paper day trades with stops that hold `stop_loss_pct`: every entry's stop is at least its
//! limit × (1 − pct) rounded up to the tick, and a different percent gives a different day.

use std::path::Path;
use std::process::Command;
use std::str::FromStr;

use rust_decimal::Decimal;

/// Runs one simulated paper day (2026-12-01) of `fixtures/paper.yaml` with `stop_loss_pct`
/// set to `pct`; returns stdout.
fn paper_day(dir: &Path, pct: u32) -> String {
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/paper.yaml"
    ))
    .unwrap();
    let text = base.replace("stop_loss_pct: 20", &format!("stop_loss_pct: {pct}"));
    assert!(
        base.contains("stop_loss_pct: 20"),
        "the fixture sets the stop percent"
    );
    let cfg = dir.join(format!("paper{pct}.yaml"));
    std::fs::write(&cfg, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(["run", "--speed", "max", "--date", "2026-12-01", "--config"])
        .arg(&cfg)
        .arg("--db")
        .arg(dir.join(format!("journal{pct}.db")))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// (limit, stop) of every entry order line: `... LIMIT @ 25.65 (entry, target 203.15, stop 20.55) ...`.
fn entries(stdout: &str) -> Vec<(Decimal, Decimal)> {
    stdout
        .lines()
        .filter(|l| l.contains(" ORDER ") && l.contains("(entry, "))
        .map(|l| {
            let limit = l
                .split("LIMIT @ ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            let stop = l
                .split(", stop ")
                .nth(1)
                .unwrap()
                .split(')')
                .next()
                .unwrap();
            (
                Decimal::from_str(limit).unwrap(),
                Decimal::from_str(stop).unwrap(),
            )
        })
        .collect()
}

fn ceil_tick(v: Decimal) -> Decimal {
    let tick = Decimal::new(5, 2);
    (v / tick).ceil() * tick
}

#[test]
fn every_entry_stop_holds_the_percent_and_the_percent_changes_the_day() {
    let dir = tempfile::Builder::new()
        .prefix("alphastock-paper-stops-")
        .tempdir()
        .unwrap();
    let twenty = paper_day(dir.path(), 20);
    let fifty = paper_day(dir.path(), 50);
    for (out, pct) in [(&twenty, 20), (&fifty, 50)] {
        let list = entries(out);
        assert!(list.len() >= 3, "{out}");
        let keep = Decimal::from(100 - pct) / Decimal::ONE_HUNDRED;
        for (limit, stop) in list {
            assert!(
                stop >= ceil_tick(limit * keep) && stop < limit,
                "{pct} %: limit {limit}, stop {stop}"
            );
        }
    }
    // The 20 % day's first entry (hand-checked): 34.50 × 0.80 = 27.60.
    assert!(
        twenty.contains("LIMIT @ 34.50 (entry, target 214.25, stop 27.60)"),
        "{twenty}"
    );
    let day = |out: &str| {
        out.lines()
            .find(|l| l.starts_with("DAY "))
            .unwrap()
            .to_string()
    };
    assert_ne!(day(&twenty), day(&fifty));
}
