//! `alphastock run` in paper mode on the simulated market, run as the built binary.

use std::path::PathBuf;
use std::process::Command;

use alphastock_cli::store::Store;

/// A journal path in a scratch directory that is removed when the guard drops.
fn temp_db(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("alphastock-run-{name}-"))
        .tempdir()
        .unwrap();
    let db = dir.path().join("journal.db");
    (dir, db)
}

fn config() -> String {
    format!("{}/../fixtures/paper.yaml", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_simulated_paper_day_trades_prints_a_summary_and_fills_the_journal() {
    let (_scratch, db) = temp_db("day");
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args([
            "run",
            "--config",
            &config(),
            "--speed",
            "max",
            "--date",
            "2026-12-01",
        ])
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" SIGNAL "), "{stdout}");
    assert!(stdout.contains(" ORDER "), "{stdout}");
    assert!(stdout.contains(" FILL "), "{stdout}");
    assert!(stdout.contains(" EXIT "), "{stdout}");
    let day = stdout
        .lines()
        .find(|l| l.starts_with("DAY 2026-12-01:"))
        .unwrap_or_else(|| panic!("no day summary in\n{stdout}"));
    assert!(day.contains("win rate") && day.contains("net P&L"), "{day}");
    assert!(
        stdout.lines().any(|l| l.starts_with("RUN 1 day(s)")),
        "{stdout}"
    );

    let store = Store::open(&db).unwrap();
    assert!(store.count("signals").unwrap() > 0);
    assert!(store.count("orders").unwrap() > 0);
    assert!(store.count("fills").unwrap() > 0);
    // One quote per underlying per 5-second tick of the 6 h 15 min session.
    assert_eq!(store.count("quotes").unwrap(), 3 * 4500);
    let pnl = store
        .daily_pnl(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        .unwrap()
        .expect("the day's P&L is stored");
    assert_eq!(pnl.net_pnl, pnl.gross_pnl - pnl.charges);
    // The printed net P&L is the stored one.
    assert!(
        day.ends_with(&format!("net P&L {}", pnl.net_pnl.round_dp(2))),
        "{day}"
    );
}

#[test]
fn a_config_with_problems_exits_2_and_live_needs_confirmation() {
    let (_scratch, dir) = temp_db("bad");
    let bad = dir.with_file_name("bad.yaml");
    std::fs::write(&bad, "strategies: {}\nsystem: { log_level: LOUD }\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(["run", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(["run", "--live", "--config", &config()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--confirm-live"));
    // Confirmed, but without credentials: a runtime failure naming the missing variable.
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(["run", "--live", "--confirm-live", "--config", &config()])
        .env_remove("MSTOCK_API_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MSTOCK_API_KEY"));
}

#[test]
fn a_stock_strategy_trades_the_stock_itself_and_the_paper_broker_fills_it() {
    let (_scratch, db) = temp_db("stock");
    let config = format!(
        "{}/../fixtures/paper_stock.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args([
            "run",
            "--config",
            &config,
            "--speed",
            "max",
            "--date",
            "2026-12-01",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fills: Vec<&str> = stdout.lines().filter(|l| l.contains(" FILL ")).collect();
    assert!(!fills.is_empty(), "{stdout}");
    assert!(fills.iter().all(|l| l.contains(" SBIN ")), "{fills:?}");
    assert!(
        stdout.contains("reversed by a"),
        "a flip closes the old side: {stdout}"
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(store.count("fills").unwrap(), fills.len() as u64);
}

#[test]
fn a_paper_run_is_seeded_from_the_simulated_day_before_and_can_signal_on_its_first_bar() {
    use alphastock_core::config::Config;
    use alphastock_core::engine::{Action, Engine, Record};
    use alphastock_core::sim::SimMarket;

    let (_scratch, db) = temp_db("warm");
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(["run", "--config", &config(), "--date", "2026-12-01"])
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for sym in ["BANKNIFTY", "FINNIFTY", "NIFTY"] {
        let line = format!(
            "WARM   {sym}: seeded with 75 bar(s) of 5 min from the simulated session of 2026-11-30"
        );
        assert!(stdout.contains(&line), "{line}\n{stdout}");
    }
    // The first 09:15 bar completes at 09:20 and, warm, already signals.
    let first_bar = " SIGNAL BANKNIFTY bearish rsi_divergence at 51391.85";
    assert!(
        stdout.contains(&format!("2026-12-01 09:15:00{first_bar}")),
        "{stdout}"
    );

    // The same day cold: no strategy has its warm-up before its 20th five-minute bar (20 for
    // the RSI divergence, 14 + 5 + 1; 21 for the 20-bar EMA), the 10:50 bar, so nothing can
    // signal on an earlier one.
    let text = std::fs::read_to_string(config()).unwrap();
    let cfg = Config::from_yaml_str(&text).unwrap();
    let mut cold = Engine::new(&cfg).unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let mut first_signal = None;
    for e in SimMarket::new(&cfg.simulation, &cfg.market, day).unwrap() {
        let signalled = cold.on_event(e).iter().find_map(|a| match a {
            Action::Record(Record::Signal { signal, .. }) => Some(signal.timestamp),
            _ => None,
        });
        if signalled.is_some() {
            first_signal = signalled;
            break;
        }
    }
    let first = first_signal.expect("a cold day signals eventually");
    let earliest = chrono::NaiveTime::from_hms_opt(10, 50, 0).unwrap();
    assert!(first.time() >= earliest, "cold first signal at {first}");
}

#[test]
fn a_replay_from_date_is_seeded_with_the_bars_before_it() {
    let (_scratch, db) = temp_db("replay-warm");
    let data = format!(
        "{}/../fixtures/candles/synthetic_5min.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let cfg = format!("{}/../fixtures/backtest.yaml", env!("CARGO_MANIFEST_DIR"));
    let run = |date: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_alphastock"));
        cmd.args(["run", "--config", &cfg, "--replay", &data])
            .arg("--db")
            .arg(&db);
        if let Some(d) = date {
            cmd.args(["--date", d]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let warm = run(Some("2026-01-06"));
    for sym in ["BANKNIFTY", "NIFTY"] {
        let line =
            format!("WARM   {sym}: seeded with 75 bar(s) of 5 min from {data} before 2026-01-06");
        assert!(warm.contains(&line), "{line}\n{warm}");
    }
    assert!(
        !warm.contains("2026-01-05 "),
        "history is not replayed:\n{warm}"
    );
    // As in the backtest of the same day: the first bar's crossing is traded.
    assert!(warm.contains("2026-01-06 09:15:00 SIGNAL"), "{warm}");
    // Without --date the replay starts at the file's first bar, cold, and says so.
    let _ = std::fs::remove_file(&db);
    let cold = run(None);
    assert!(
        cold.contains("WARM   BANKNIFTY: no history (the replay starts at the file's first bar; --date DAY replays from DAY and seeds from the bars before it); starting cold"),
        "{cold}"
    );
}

#[test]
fn the_paper_accounts_funds_size_entries_as_a_live_accounts_do() {
    let (scratch, db) = temp_db("funds");
    let base = std::fs::read_to_string(config()).unwrap();
    let cfg = scratch.path().join("small_account.yaml");
    std::fs::write(
        &cfg,
        format!("{base}broker:\n  paper: {{ starting_funds: 20000 }}\n"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(["run", "--speed", "max", "--date", "2026-12-01", "--config"])
        .arg(&cfg)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    // The paper account's 20,000, read at the start like a live account's funds, sizes every
    // entry. BANKNIFTY's first signal needs 30 × 688.55 = 20,656.50 for one lot: refused.
    assert!(
        stdout.contains("rejected: risk: premium for one lot 20656.50 > available funds 20000.00"),
        "{stdout}"
    );
    // At 10:15 two entries go out in the same tick. FINNIFTY takes one lot of 60 at 277.70 =
    // 16,662 (two would be 33,324); NIFTY is sized against what is left of the read, 20,000 −
    // 16,662 = 3,338: one lot of 65 at 29.35 = 1,907.75 (two would be 3,815.50). Nothing is
    // sized on funds the broker no longer has, so the broker refuses nothing.
    let entries: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" ORDER ") && l.contains("(entry"))
        .collect();
    assert!(
        entries
            .first()
            .is_some_and(|l| l.contains(" BUY 60 FINNIFTY26DEC23450PE LIMIT @ 277.70 ")),
        "{stdout}"
    );
    assert!(
        entries
            .get(1)
            .is_some_and(|l| l.contains(" BUY 65 NIFTY26D0124250PE LIMIT @ 29.35 ")),
        "{stdout}"
    );
    assert!(!stdout.contains("insufficient funds"), "{stdout}");
}
