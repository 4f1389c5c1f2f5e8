//! Bad input ends with a clear error and exit 2, never a panic: a config or candle file that is
//! not UTF-8 text, a candle price near `Decimal`'s limit in a replay, a speed too slow to
//! represent. A pipe whose reader goes away ends the run quietly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_alphastock"))
}

fn fixture(name: &str) -> String {
    format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("alphastock-input-")
        .tempdir()
        .unwrap()
}

#[test]
fn a_config_or_candle_file_that_is_not_utf8_is_invalid_input() {
    let dir = scratch();
    let bad = dir.path().join("latin1.yaml");
    std::fs::write(
        &bad,
        b"strategies:\n  ema_crossover: { symbols: [\"NIFTY\xff\"] }\n",
    )
    .unwrap();
    let csv = dir.path().join("latin1.csv");
    std::fs::write(
        &csv,
        b"timestamp,symbol,open,high,low,close,volume\n2026-01-05T10:00:00+05:30,NSE:SBIN,8\xe900,810,790,805,1000\n",
    )
    .unwrap();
    let db = dir.path().join("j.db");
    let config = fixture("paper_stock.yaml");
    let runs: [Vec<&std::ffi::OsStr>; 4] = [
        vec!["run".as_ref(), "--config".as_ref(), bad.as_os_str()],
        vec!["config".as_ref(), "check".as_ref(), bad.as_os_str()],
        vec![
            "scan".as_ref(),
            "--strategy".as_ref(),
            "ema_crossover".as_ref(),
            "--data".as_ref(),
            csv.as_os_str(),
        ],
        vec![
            "run".as_ref(),
            "--config".as_ref(),
            config.as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            "--replay".as_ref(),
            csv.as_os_str(),
        ],
    ];
    for args in runs {
        let out = bin().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("UTF-8"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn a_replayed_close_near_the_decimal_limit_is_refused_naming_the_line() {
    let dir = scratch();
    let csv = dir.path().join("huge.csv");
    std::fs::write(
        &csv,
        "timestamp,symbol,open,high,low,close,volume\n\
         2026-01-05T10:00:00+05:30,NSE:SBIN,800,810,790,805,1000\n\
         2026-01-05T10:05:00+05:30,NSE:SBIN,800,79228162514264337593543950335,790,79228162514264337593543950335,1000\n",
    )
    .unwrap();
    let out = bin()
        .args(["run", "--config", &fixture("paper_stock.yaml"), "--replay"])
        .arg(&csv)
        .arg("--db")
        .arg(dir.path().join("j.db"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("line 3: high"), "{err}");
    assert!(err.contains("out of range"), "{err}");
}

#[test]
fn a_speed_too_slow_to_represent_is_refused() {
    let out = bin()
        .args([
            "run",
            "--config",
            &fixture("paper.yaml"),
            "--speed",
            "1e-20",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("1e-20") && err.contains("0.001"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_run_whose_output_reader_goes_away_ends_quietly() {
    let dir = scratch();
    let mut child = bin()
        .args([
            "run",
            "--config",
            &fixture("paper.yaml"),
            "--date",
            "2026-12-01",
        ])
        .arg("--db")
        .arg(dir.path().join("j.db"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first line, then close the pipe (`alphastock run ... | head -1`).
    let stdout = child.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    assert!(first.starts_with("alphastock run"), "{first}");
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(out.status.code(), Some(0) | Some(141)),
        "{:?}: {err}",
        out.status
    );
}

#[test]
fn a_volatility_too_large_to_mean_anything_is_refused() {
    let out = bin()
        .args([
            "greeks", "--type", "CE", "--spot", "100", "--strike", "100", "--days", "3", "--vol",
            "1e308",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--vol") && err.contains("1e308"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("inf"));
}
