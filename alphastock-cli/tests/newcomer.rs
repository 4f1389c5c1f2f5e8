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

/// Runs the binary with `args` (in a scratch directory) and gives exit code, stdout, stderr.
fn alphastock(args: &[&str]) -> (i32, String, String) {
    let dir = scratch();
    let o = run_in(dir.path(), args);
    let (out, err) = text(&o);
    (o.status.code().unwrap_or(-1), out, err)
}

#[test]
fn a_volatility_typed_as_a_percentage_is_refused_or_warned_with_the_fraction_meant() {
    let base = [
        "greeks", "--type", "CE", "--spot", "100", "--strike", "100", "--days", "3", "--vol",
    ];
    let mut sixteen = base.to_vec();
    sixteen.push("16");
    let (code, _, err) = alphastock(&sixteen);
    assert_eq!(code, 2);
    assert!(
        err.contains("got 16; for 16 % a year pass --vol 0.16"),
        "{err}"
    );

    let mut five = base.to_vec();
    five.push("5");
    let (code, out, err) = alphastock(&five);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("vol 500.0000 %"), "{out}");
    assert!(
        err.contains(
            "warning: --vol 5 is read as a fraction: 500 % a year; for 5 % pass --vol 0.05"
        ),
        "{err}"
    );

    let mut usual = base.to_vec();
    usual.push("0.16");
    let (code, _, err) = alphastock(&usual);
    assert_eq!(code, 0);
    assert!(err.is_empty(), "no warning for a fraction: {err}");
}

#[test]
fn a_date_typo_names_the_flag_and_the_format() {
    let config = fixture("paper.yaml");
    let data = fixture("candles/synthetic_5min.csv");
    let bt = fixture("backtest.yaml");
    for (args, flag, why) in [
        (
            vec!["run", "--config", &config, "--date", "2026-12-01x"],
            "--date",
            "extra characters",
        ),
        (
            vec!["run", "--config", &config, "--date", "01-12-2026"],
            "--date",
            "the year goes first",
        ),
        (
            vec![
                "backtest",
                "--config",
                &bt,
                "--data",
                &data,
                "--from",
                "2026-02-30",
            ],
            "--from",
            "no such day",
        ),
        (
            vec!["contracts", "NIFTY", "--date", "2026/12/01"],
            "--date",
            "not in that form",
        ),
        (
            vec![
                "charges",
                "--date",
                "tomorrow",
                "--segment",
                "options",
                "--buy",
                "1",
                "--sell",
                "2",
                "--quantity",
                "75",
            ],
            "--date",
            "not in that form",
        ),
    ] {
        let (code, _, err) = alphastock(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(
            err.contains("expected a date as YYYY-MM-DD, e.g. 2026-12-01"),
            "{args:?}: {err}"
        );
        assert!(err.contains(why), "{args:?}: {err}");
        assert!(!err.contains("trailing input"), "{err}");
    }
}

#[test]
fn a_weekend_date_is_announced_and_flags_that_do_nothing_are_refused() {
    let config = fixture("paper.yaml");
    let (code, out, err) = alphastock(&["run", "--config", &config, "--date", "2026-12-05"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("note: --date 2026-12-05 is a Saturday, not a trading day; the run starts on the next trading day, Monday 2026-12-07"),
        "{err}"
    );
    assert!(out.contains("DAY 2026-12-07"), "{out}");

    // --date with --live: a live run trades today.
    let (code, _, err) = alphastock(&[
        "run",
        "--config",
        &config,
        "--live",
        "--confirm-live",
        "--date",
        "2026-01-05",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("'--live' cannot be used with '--date <DATE>'"),
        "{err}"
    );
    // --once only means something live.
    let (code, _, err) = alphastock(&["run", "--config", &config, "--once"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("required arguments were not provided") && err.contains("--live"),
        "{err}"
    );
}

#[test]
fn flags_a_run_would_ignore_are_refused_with_exit_2() {
    let config = fixture("paper.yaml");
    let candles = fixture("candles/synthetic_5min.csv");
    // --days with --replay: the replay runs its file's days, so N would be dropped unsaid.
    let (code, out, err) = alphastock(&[
        "run", "--config", &config, "--replay", &candles, "--days", "2",
    ]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("error: --days only applies to the simulated market: a replay runs every day of its candle file"),
        "{err}"
    );
    assert!(!out.contains(" ORDER "), "nothing traded: {out}");
    // --days with --live: a live run trades until stopped.
    let (code, _, err) = alphastock(&[
        "run",
        "--config",
        &config,
        "--live",
        "--confirm-live",
        "--days",
        "2",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "--days only applies to the simulated market: a live run trades until it is stopped"
        ),
        "{err}"
    );
    // --confirm-live without --live confirms nothing: refused, not a paper run.
    let (code, out, err) = alphastock(&[
        "run",
        "--config",
        &config,
        "--date",
        "2026-12-01",
        "--confirm-live",
    ]);
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(
        err.contains("error: --confirm-live only applies with --live"),
        "{err}"
    );
    assert!(out.is_empty(), "no run started: {out}");
}

#[test]
fn sweep_mistakes_exit_2_and_the_split_is_explained() {
    let config = fixture("backtest.yaml");
    let data = fixture("candles/synthetic_5min.csv");
    let base = ["backtest", "--config", &config, "--data", &data, "--sweep"];

    let mut dashed = base.to_vec();
    dashed.push("fast_ema=3-5");
    let (code, out, err) = alphastock(&dashed);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("--sweep `fast_ema=3-5`: `3-5` is not a range: write 3..5"),
        "{err}"
    );

    // A value every strategy refuses: no ranking of nothing with exit 0.
    let mut refused = base.to_vec();
    refused.push("fast_ema=50");
    let (code, _, err) = alphastock(&refused);
    assert_eq!(code, 2);
    assert!(err.contains("every combination was refused"), "{err}");
    assert!(err.contains("fast_ema=50:"), "{err}");

    // With --report: the grid as in- and out-of-sample heatmaps side by side.
    let dir = scratch();
    let report = dir.path().join("rep");
    let mut with_report = base.to_vec();
    with_report.extend([
        "fast_ema=3..5",
        "slow_ema=8,12",
        "--report",
        report.to_str().unwrap(),
    ]);
    let o = run_in(dir.path(), &with_report);
    assert!(o.status.success(), "{}", text(&o).1);
    let html = std::fs::read_to_string(report.join("sweep.html")).unwrap();
    assert_eq!(html.matches("<table class=\"heat\">").count(), 2);
    // 3 x 2 cells in each heatmap, every combination valid here.
    assert_eq!(
        html.matches("<td style=\"background:").count(),
        12,
        "{html}"
    );
    assert!(html.contains("<th>fast_ema=4</th>") && html.contains("<th>slow_ema=12</th>"));
    assert!(html.contains("In-sample: 1 day(s) 2026-01-05..2026-01-05"));
    assert!(html.contains("warm up again"));
    assert!(!html.contains("<script"));

    let mut good = base.to_vec();
    good.push("fast_ema=3..4");
    let (code, out, err) = alphastock(&good);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("In-sample plus out-of-sample therefore differs from a plain backtest"),
        "{out}"
    );
    good.push("--json");
    let (_, out, _) = alphastock(&good);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert!(v["note"].as_str().unwrap().contains("warm up again"), "{v}");
}

#[test]
fn logs_redirected_to_a_file_or_pipe_carry_no_colour_codes() {
    let dir = scratch();
    let o = bin()
        .current_dir(dir.path())
        .env("RUST_LOG", "alphastock=info")
        .env_remove("NO_COLOR")
        .args([
            "run",
            "--config",
            &fixture("paper.yaml"),
            "--date",
            "2026-12-01",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("INFO"), "logs were written: {err}");
    assert!(!err.contains('\u{1b}'), "no escape codes: {err:?}");
}

#[test]
fn the_journal_reads_back_without_sqlite3() {
    let dir = scratch();
    let config = fixture("paper.yaml");
    let ran = run_in(
        dir.path(),
        &["run", "--config", &config, "--date", "2026-12-01"],
    );
    let (run_out, _) = text(&ran);
    assert!(ran.status.success());
    let count = |word: &str| run_out.lines().filter(|l| l.contains(word)).count();

    let json = |view: &str, extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["journal", view, "--json"];
        args.extend(extra);
        let o = run_in(dir.path(), &args);
        assert!(o.status.success(), "{}", text(&o).1);
        serde_json::from_slice::<Value>(&o.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    // The default journal is the one the run wrote (the config's storage.path).
    let trades = json("trades", &[]);
    assert_eq!(trades.len(), count(" EXIT "));
    let orders = json("orders", &["--date", "2026-12-01"]);
    assert_eq!(orders.len(), count(" ORDER "));
    let signals = json("signals", &[]);
    assert_eq!(signals.len(), count(" SIGNAL "));
    let pnl = json("pnl", &[]);
    assert_eq!(pnl.len(), 1);

    // The numbers are the run's: the DAY line's net P&L and the trades' sum.
    let day = run_out
        .lines()
        .find(|l| l.starts_with("DAY 2026-12-01"))
        .unwrap();
    let dec = |s: &str| s.trim().parse::<rust_decimal::Decimal>().unwrap();
    let net = dec(day.rsplit("net P&L ").next().unwrap());
    assert_eq!(dec(&pnl[0]["net_pnl"].to_string()), net, "{day}");
    let sum: rust_decimal::Decimal = trades.iter().map(|t| dec(&t["net_pnl"].to_string())).sum();
    assert_eq!(sum, net);
    for s in &signals {
        let d = s["direction"].as_str().unwrap();
        assert!(d == "bullish" || d == "bearish", "{s}");
    }
    // Every EXIT line's contract and P&L is a trade row.
    for l in run_out.lines().filter(|l| l.contains(" EXIT ")) {
        let contract = l.split_whitespace().nth(3).unwrap();
        assert!(
            trades.iter().any(|t| t["contract"] == contract),
            "{contract}"
        );
    }

    // Text: a header and one line per row; another day has none.
    let o = run_in(dir.path(), &["journal", "orders"]);
    let (out, _) = text(&o);
    assert!(out.starts_with("time "), "{out}");
    assert_eq!(out.lines().count(), 1 + count(" ORDER "));
    let o = run_in(dir.path(), &["journal", "trades", "--date", "2026-12-02"]);
    assert_eq!(
        text(&o).0,
        "time  underlying  contract  net_pnl  reason\n(none)\n"
    );

    // No journal, or a file that is not one: exit 2 naming it.
    let o = run_in(dir.path(), &["journal", "pnl", "--db", "missing.db"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("no journal database at missing.db"));
    std::fs::write(dir.path().join("notes.db"), "not sqlite").unwrap();
    let o = run_in(dir.path(), &["journal", "pnl", "--db", "notes.db"]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    assert!(text(&o).1.contains("notes.db is not an alphastock journal"));
}

#[test]
fn strategies_lists_every_strategy_with_its_parameters() {
    let o = run_in(scratch().path(), &["strategies", "--json"]);
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let all = v.as_array().unwrap();
    let kinds: Vec<&str> = all.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "ema_crossover",
            "rsi_divergence",
            "bollinger_reversion",
            "price_breakout",
            "volume_spike",
            "iv_regime"
        ]
    );
    let ema = &all[0]["parameters"];
    assert_eq!(ema[0]["key"], "fast_ema");
    assert_eq!(ema[0]["default"], 5);
    assert_eq!(ema[0]["range"], "1..=500");
    assert_eq!(ema[1]["key"], "slow_ema");
    assert_eq!(ema[1]["default"], 20);
    // Every default is accepted by the strategy itself: scan runs with each one given.
    for s in all {
        for p in s["parameters"].as_array().unwrap() {
            assert!(!p["meaning"].as_str().unwrap().is_empty(), "{p}");
        }
    }
    let o = run_in(
        scratch().path(),
        &[
            "scan",
            "--strategy",
            "bollinger_reversion",
            "--param",
            &format!("std_dev={}", all[2]["parameters"][1]["default"]),
            "--data",
            &fixture("candles/synthetic_5min.csv"),
        ],
    );
    assert!(o.status.success(), "{}", text(&o).1);
}
