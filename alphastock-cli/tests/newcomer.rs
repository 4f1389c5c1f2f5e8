//! What a new user meets first: order sides and directions named as traders name them, a day
//! never traded twice into one journal without being asked, files written where they belong,
//! and clear messages for the usual mistakes.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_alphastock"))
}

fn fixture(name: &str) -> String {
    format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("alphastock-newcomer-")
        .tempdir()
        .unwrap()
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("HOME", dir.join("home"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn run_names_a_signal_by_its_direction_and_buys_the_option_it_trades() {
    let dir = scratch();
    let config = fixture("paper.yaml");
    let out = run_in(
        dir.path(),
        &["run", "--config", &config, "--date", "2026-12-01"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let signals: Vec<&str> = stdout.lines().filter(|l| l.contains(" SIGNAL ")).collect();
    assert!(!signals.is_empty(), "{stdout}");
    for l in &signals {
        let words: Vec<&str> = l.split_whitespace().collect();
        assert!(
            words[4] == "bullish" || words[4] == "bearish",
            "a signal says its direction: {l}"
        );
    }
    // Every entry order buys its option: a bearish signal buys a PE, a bullish one a CE.
    let entries: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" ORDER ") && l.contains("(entry"))
        .collect();
    assert!(!entries.is_empty(), "{stdout}");
    for l in entries {
        assert!(l.contains(" BUY "), "{l}");
    }
    assert!(
        signals.iter().any(|l| l.contains(" bearish ")),
        "the fixture day has a bearish signal:\n{stdout}"
    );
}

#[test]
fn backtest_text_json_and_html_say_bearish_buy_pe() {
    let dir = scratch();
    let args = [
        "backtest",
        "--config",
        &fixture("backtest.yaml"),
        "--data",
        &fixture("candles/synthetic_5min.csv"),
    ];
    let out = run_in(dir.path(), &args);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let trades: Vec<&str> = stdout.lines().filter(|l| l.contains(" signal ")).collect();
    assert!(!trades.is_empty(), "{stdout}");
    for l in &trades {
        if l.contains("PE x") {
            assert!(l.contains("bearish BUY "), "{l}");
        }
        if l.contains("CE x") {
            assert!(l.contains("bullish BUY "), "{l}");
        }
        assert!(
            !l.contains(" SELL "),
            "an options trade is never named a sale: {l}"
        );
    }

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = run_in(dir.path(), &json_args);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v["trades"].as_array().unwrap();
    assert!(!list.is_empty());
    for t in list {
        assert!(t.get("side").is_none(), "no ambiguous `side`: {t}");
        assert_eq!(t["order_side"], "BUY", "{t}");
        let want = match t["option_type"].as_str().unwrap() {
            "PE" => "bearish",
            "CE" => "bullish",
            other => panic!("option type {other}"),
        };
        assert_eq!(t["direction"], want, "{t}");
    }

    let report = dir.path().join("rep");
    let mut html_args = args.to_vec();
    html_args.extend(["--report", report.to_str().unwrap()]);
    let out = run_in(dir.path(), &html_args);
    assert!(out.status.success());
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("<td>bearish</td><td>BUY</td>"), "{html}");
    assert!(!html.contains("<td>SELL</td>"));
}

#[test]
fn a_day_already_in_the_journal_asks_for_resume_or_fresh_and_loses_nothing() {
    let dir = scratch();
    let config = fixture("paper.yaml");
    let day = ["run", "--config", &config, "--date", "2026-12-02"];
    let first = run_in(dir.path(), &day);
    let (first_out, err) = text(&first);
    assert!(first.status.success(), "{err}");
    let day_line = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("DAY 2026-12-02"))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("{s}"))
    };
    let first_day = day_line(&first_out);
    let orders = first_out.lines().filter(|l| l.contains(" ORDER ")).count();
    assert!(orders > 0);

    // The same day again: refused with the two choices named, the journal untouched.
    let journal = dir.path().join("alphastock-paper.db");
    let before = std::fs::metadata(&journal).unwrap().len();
    let again = run_in(dir.path(), &day);
    let (out, err) = text(&again);
    assert_eq!(again.status.code(), Some(2), "{out}\n{err}");
    assert!(err.contains("already has 2026-12-02"), "{err}");
    assert!(err.contains("--resume") && err.contains("--fresh"), "{err}");
    assert!(!out.contains(" ORDER "), "{out}");
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), before);

    // --resume: continues, trades nothing again, and the day's summary is the first run's.
    let mut resume = day.to_vec();
    resume.push("--resume");
    let resumed = run_in(dir.path(), &resume);
    let (out, err) = text(&resumed);
    assert!(resumed.status.success(), "{err}");
    assert!(!out.contains(" ORDER "), "nothing is traded twice:\n{out}");
    assert_eq!(day_line(&out), first_day);

    // --fresh: the old journal is kept under a new name, the day is traded anew.
    let mut fresh = day.to_vec();
    fresh.push("--fresh");
    let anew = run_in(dir.path(), &fresh);
    let (out, err) = text(&anew);
    assert!(anew.status.success(), "{err}");
    assert!(err.contains("the previous journal is kept as"), "{err}");
    assert_eq!(
        out.lines().filter(|l| l.contains(" ORDER ")).count(),
        orders
    );
    assert_eq!(day_line(&out), first_day);
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("alphastock-paper.replaced-") && n.ends_with(".db"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let old = rusqlite::Connection::open(dir.path().join(&kept[0])).unwrap();
    let n: i64 = old
        .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, orders, "the old rows are all still there");

    // --resume and --fresh together make no sense.
    let mut both = resume.clone();
    both.push("--fresh");
    assert_eq!(run_in(dir.path(), &both).status.code(), Some(2));
}

#[test]
fn correlations_build_reads_the_quick_start_journal_and_writes_outside_the_clone() {
    let dir = scratch();
    let config = fixture("paper.yaml");
    let ran = run_in(
        dir.path(),
        &[
            "run",
            "--config",
            &config,
            "--date",
            "2026-12-01",
            "--chain-every",
            "1",
        ],
    );
    assert!(ran.status.success());
    assert!(dir.path().join("alphastock-paper.db").exists());
    let built = run_in(dir.path(), &["correlations", "build"]);
    let (out, err) = text(&built);
    assert!(built.status.success(), "{out}\n{err}");
    let table = dir
        .path()
        .join("data")
        .join("alphastock")
        .join("correlation_table.json");
    assert!(table.exists(), "{err}");
    assert!(err.contains(&table.display().to_string()), "{err}");
    assert!(!dir.path().join("correlation_table.json").exists());

    // Without XDG_DATA_HOME: ~/.local/share/alphastock.
    let built = bin()
        .current_dir(dir.path())
        .env_remove("XDG_DATA_HOME")
        .env("HOME", dir.path().join("home"))
        .args(["correlations", "build", "--config", &config])
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", text(&built).1);
    assert!(dir
        .path()
        .join("home/.local/share/alphastock/correlation_table.json")
        .exists());

    // An empty directory: the missing journal is named with what to do.
    let empty = scratch();
    let o = run_in(empty.path(), &["correlations", "build"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o)
            .1
            .contains("no journal database at alphastock-paper.db"),
        "{}",
        text(&o).1
    );
}
