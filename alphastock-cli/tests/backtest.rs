//! `alphastock backtest` and `alphastock correlations build` through the binary: output
//! contracts, the HTML report, the parameter sweep with its in/out-of-sample split, exit codes,
//! and a correlation table learned from synthetic snapshots with a known multiplier.

use std::process::Command;
use std::str::FromStr;

use alphastock_cli::store::{Row, Store};
use alphastock_core::market::{
    Exchange, OptionChain, OptionContract, OptionQuote, OptionType, Symbol,
};
use chrono::{DateTime, Duration, NaiveDate};
use rust_decimal::Decimal;
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

fn json_run(extra: &[&str]) -> Value {
    let mut args = vec!["backtest", "--config", CONFIG, "--data", DATA, "--json"];
    args.extend_from_slice(extra);
    let (code, out, err) = alphastock(&args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("one JSON object")
}

#[test]
fn json_has_the_trade_list_and_metrics_and_says_options_were_simulated() {
    let v = json_run(&[]);
    for key in [
        "trades",
        "net_pnl",
        "win_rate",
        "max_drawdown",
        "sharpe",
        "option_source",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["option_source"], "simulated");
    let trades = v["trades"].as_array().expect("trade list");
    assert!(!trades.is_empty());
    assert_eq!(v["trade_count"].as_u64(), Some(trades.len() as u64));
    // The total is the sum of the trades (to the paisa).
    let sum: f64 = trades.iter().map(|t| t["net_pnl"].as_f64().unwrap()).sum();
    assert!(
        (sum - v["net_pnl"].as_f64().unwrap()).abs() < 0.005,
        "{sum} vs {}",
        v["net_pnl"]
    );
    let wins = trades
        .iter()
        .filter(|t| t["net_pnl"].as_f64().unwrap() > 0.0)
        .count();
    assert_eq!(
        v["win_rate"].as_f64(),
        Some(wins as f64 / trades.len() as f64)
    );
    // Equity ends at capital + net P&L when nothing is left open.
    assert_eq!(v["open_at_end"], 0);
    let end = v["starting_capital"].as_f64().unwrap() + v["net_pnl"].as_f64().unwrap();
    assert!((end - v["final_equity"].as_f64().unwrap()).abs() < 0.005);
}

#[test]
fn the_same_backtest_twice_prints_the_same_json() {
    assert_eq!(json_run(&[]), json_run(&[]));
}

#[test]
fn from_and_to_limit_the_replay_to_those_days() {
    let v = json_run(&["--from", "2026-01-06", "--to", "2026-01-06"]);
    assert_eq!(v["candles"], 150);
    for t in v["trades"].as_array().unwrap() {
        assert!(
            t["entry_time"].as_str().unwrap().starts_with("2026-01-06"),
            "{t}"
        );
    }
}

#[test]
fn text_output_names_the_option_source_and_the_metrics() {
    let (code, out, err) = alphastock(&["backtest", "--config", CONFIG, "--data", DATA]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("options simulated"), "{out}");
    for word in [
        "Net P&L",
        "Max drawdown",
        "Sharpe",
        "Sortino",
        "exposure",
        "strategy ema_crossover",
    ] {
        assert!(out.contains(word), "missing {word}: {out}");
    }
}

#[test]
fn report_is_one_self_contained_html_file_with_charts_and_trades() {
    let dir = std::env::temp_dir().join(format!("alphastock-report-{}", std::process::id()));
    let dir_s = dir.to_string_lossy().into_owned();
    let (code, out, err) = alphastock(&[
        "backtest", "--config", CONFIG, "--data", DATA, "--json", "--report", &dir_s,
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg").count(),
        5,
        "equity, drawdown, daily P&L, and the price of BANKNIFTY and of NIFTY"
    );
    // Lines: the equity curve and the two prices; the drawdown is an area closed on zero.
    assert_eq!(html.matches("<polyline").count(), 3);
    let trades = v["trades"].as_array().unwrap().len();
    // Every trade's entry and exit is marked on its underlying's price.
    assert_eq!(html.matches("class=\"marker\"").count(), 2 * trades);
    // One bar per trading day; a time axis with the days and hours; value ticks.
    assert_eq!(html.matches("class=\"bar\"").count(), 2);
    assert!(html.contains(">2026-01-05</text>") && html.contains(">2026-01-06</text>"));
    assert!(html.contains(">14:00</text>"));
    assert!(html.contains(">500,000</text>"), "equity ticks");
    assert!(!html.contains(">-0<"), "no minus zero");
    // Short-sample caveats and the config used.
    assert!(html.contains("Sharpe and Sortino are computed from 2 daily return(s)"));
    assert!(html.contains("<h2>Config used</h2>") && html.contains("fast_ema: 3"));
    assert!(!html.contains("<script") && !html.contains("src=\"http"));
    // One table row per trade in the trade table (after its header).
    let trade_table = html.split("<h2>Trades</h2>").nth(1).unwrap();
    assert_eq!(
        trade_table.matches("<tr>").count() - 1,
        v["trades"].as_array().unwrap().len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_ranks_the_grid_with_in_and_out_of_sample_results_and_skips_invalid_combinations() {
    let (code, out, err) = alphastock(&[
        "backtest",
        "--config",
        CONFIG,
        "--data",
        DATA,
        "--json",
        "--sweep",
        "fast_ema=3..5",
        "slow_ema=4,8",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    // Two days: the first (70 % of 2, at least 1) in-sample, the second out-of-sample.
    assert_eq!(v["in_sample_days"], serde_json::json!(["2026-01-05"]));
    assert_eq!(v["out_of_sample_days"], serde_json::json!(["2026-01-06"]));
    let results = v["results"].as_array().unwrap();
    let skipped = v["skipped"].as_array().unwrap();
    // 3 × 2 = 6 combinations; fast_ema ≥ slow_ema (4/4, 5/4) is refused by the strategy.
    assert_eq!(results.len() + skipped.len(), 6);
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    for r in results {
        assert!(r["in_sample"]["net_pnl"].is_number());
        assert!(r["out_of_sample"]["trade_count"].is_number());
    }
    // Ranked: in-sample Sharpe (undefined on one day) then in-sample net P&L, descending.
    let nets: Vec<f64> = results
        .iter()
        .map(|r| r["in_sample"]["net_pnl"].as_f64().unwrap())
        .collect();
    assert!(nets.windows(2).all(|w| w[0] >= w[1]), "{nets:?}");
    // The in-sample run of a combination equals a plain backtest of the first day.
    let best = &results[0];
    let fast = best["params"]["fast_ema"].to_string();
    let slow = best["params"]["slow_ema"].to_string();
    let config = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../",
        "fixtures/backtest.yaml"
    ))
    .unwrap()
    .replace(
        "fast_ema: 3, slow_ema: 8",
        &format!("fast_ema: {fast}, slow_ema: {slow}"),
    );
    let path = std::env::temp_dir().join(format!("alphastock-sweep-{}.yaml", std::process::id()));
    std::fs::write(&path, config).unwrap();
    let (code, out, err) = alphastock(&[
        "backtest",
        "--config",
        &path.to_string_lossy(),
        "--data",
        DATA,
        "--json",
        "--to",
        "2026-01-05",
    ]);
    assert_eq!(code, 0, "{err}");
    let plain: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plain["net_pnl"], best["in_sample"]["net_pnl"]);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn invalid_input_exits_2_with_the_reason() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--from", "2026-01-07", "--to", "2026-01-05"],
            "after --to",
        ),
        (&["--sweep", "fast_ema=9..3"], "empty"),
        (
            &["--sweep", "no_such_key=1..2"],
            "no enabled strategy has a parameter `no_such_key`",
        ),
        (&["--sweep", "fast_ema"], "KEY=A..B"),
    ];
    for (extra, reason) in cases {
        let mut args = vec!["backtest", "--config", CONFIG, "--data", DATA];
        args.extend_from_slice(extra);
        let (code, _, err) = alphastock(&args);
        assert_eq!(code, 2, "{extra:?}: {err}");
        assert!(err.contains(reason), "{extra:?}: {err}");
    }
    let (code, _, err) = alphastock(&[
        "backtest",
        "--config",
        "fixtures/config_with_problems.yaml",
        "--data",
        DATA,
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn recorded_snapshots_are_used_when_given() {
    let snapshots = "timestamp,underlying,spot,expiry,strike,option_type,premium,bid,ask,volume,oi,iv\n\
        2026-01-05T09:20:00+05:30,NIFTY,22100,2026-01-06,22100,CE,120,119.9,120.1,100000,500000,0.12\n";
    let path = std::env::temp_dir().join(format!("alphastock-snap-{}.csv", std::process::id()));
    std::fs::write(&path, snapshots).unwrap();
    let v = json_run(&["--options", &path.to_string_lossy()]);
    assert_eq!(v["option_source"], "recorded");
    let _ = std::fs::remove_file(&path);
}

fn at(s: &str) -> alphastock_core::market::IstTime {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// Snapshots of one ATM CE and one ATM PE whose premiums move exactly 5× the underlying's
/// percent move (in the option's favour), every minute of one morning.
fn synthetic_chains() -> Vec<OptionChain> {
    let nifty = Symbol::parse("NIFTY").unwrap();
    let expiry = NaiveDate::from_ymd_opt(2026, 1, 8).unwrap();
    let contract = |ot: OptionType, code: &str| OptionContract {
        underlying: nifty.clone(),
        expiry,
        strike: Decimal::from(22000),
        option_type: ot,
        lot_size: 75,
        tick_size: Decimal::new(5, 2),
        trading_symbol: format!("NIFTY26JAN22000{code}"),
        exchange: Exchange::Nfo,
    };
    let (mut spot, mut ce, mut pe) = (22000.0_f64, 150.0_f64, 140.0_f64);
    let mut out = Vec::new();
    for i in 0..40 {
        let t = at("2026-01-05T09:30:00+05:30") + Duration::minutes(i);
        let quote = |c: OptionContract, p: f64| OptionQuote {
            contract: c,
            premium: Decimal::from_str(&format!("{p:.8}")).unwrap(),
            bid: None,
            ask: None,
            volume: Some(1000),
            oi: Some(1000),
            iv: Some(0.12),
            greeks: None,
            timestamp: t,
        };
        out.push(OptionChain {
            underlying: nifty.clone(),
            spot: Decimal::from_str(&format!("{spot:.8}")).unwrap(),
            expiry,
            timestamp: t,
            quotes: vec![
                quote(contract(OptionType::CE, "CE"), ce),
                quote(contract(OptionType::PE, "PE"), pe),
            ],
        });
        // A zig-zag of ±0.05 %..0.2 % moves that keeps the strike at the money.
        let r = [0.001, -0.0015, 0.002, -0.0005, 0.0005, -0.002][i as usize % 6];
        let next = (spot * (1.0 + r) * 1e8).round() / 1e8;
        let r = next / spot - 1.0;
        ce *= 1.0 + 5.0 * r;
        pe *= 1.0 - 5.0 * r;
        spot = next;
    }
    out
}

#[test]
fn correlations_build_learns_a_known_multiplier_of_five() {
    let dir = std::env::temp_dir().join(format!("alphastock-corr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("journal.db");
    let mut w = Store::open(&db).unwrap().writer(100);
    for c in synthetic_chains() {
        w.push(Row::OptionChain(c)).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let out = dir.join("table.json");
    let (code, stdout, err) = alphastock(&[
        "correlations",
        "build",
        "--db",
        &db.to_string_lossy(),
        "--out",
        &out.to_string_lossy(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(file, printed);
    assert_eq!(file["format"], "alphastock-correlation-table");
    let entries = file["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    for e in entries {
        assert_eq!(e["moneyness"], "atm");
        assert_eq!(e["expiry"], "up_to_7_days");
        assert_eq!(e["samples"], 39);
        let m = e["multiplier"].as_f64().unwrap();
        assert!((m - 5.0).abs() < 1e-4, "{e}");
    }

    // A backtest config naming the table loads it (a broken table is refused with exit 2).
    let config = format!(
        "{}\n",
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/backtest.yaml"
        ))
        .unwrap()
        .replace(
            "options_trading:\n",
            "options_trading:\n  correlation_table: table.json\n"
        )
    );
    let cfg = dir.join("config.yaml");
    std::fs::write(&cfg, &config).unwrap();
    let (code, _, err) = alphastock(&[
        "backtest",
        "--config",
        &cfg.to_string_lossy(),
        "--data",
        DATA,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(&out, "{\"format\": \"something else\"}").unwrap();
    let (code, _, err) = alphastock(&[
        "backtest",
        "--config",
        &cfg.to_string_lossy(),
        "--data",
        DATA,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("correlation table"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_bars_before_from_seed_the_strategies_so_they_can_trade_from_the_first_bar() {
    // With --from, 5 January's 75 bars per index seed the 3/8-bar EMAs and are not traded.
    let (code, out, err) = alphastock(&[
        "backtest",
        "--config",
        CONFIG,
        "--data",
        DATA,
        "--from",
        "2026-01-06",
        "--to",
        "2026-01-06",
    ]);
    assert_eq!(code, 0, "{err}");
    for sym in ["BANKNIFTY", "NIFTY"] {
        let line = format!(
            "WARM   {sym}: seeded with 75 bar(s) of 5 min from the data before --from 2026-01-06"
        );
        assert!(out.contains(&line), "{line}\n{out}");
    }
    let warm = json_run(&["--from", "2026-01-06", "--to", "2026-01-06"]);
    assert_eq!(warm["candles"], 150, "history is not replayed");
    let first_entry = |v: &Value| {
        v["trades"].as_array().unwrap()[0]["entry_time"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Warm, the first 6 January bar (09:15) crosses and the entry is decided at its close.
    assert_eq!(first_entry(&warm), "2026-01-06T09:20:00+05:30");

    // The same day alone starts cold: the slow EMA needs 9 bars (09:15 to 09:55), so no entry
    // before 10:00.
    let scratch = tempfile::tempdir().unwrap();
    let day = scratch.path().join("day6.csv");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/candles/synthetic_5min.csv"
    ))
    .unwrap();
    let only: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("timestamp") || l.starts_with("2026-01-06"))
        .collect();
    std::fs::write(&day, only.join("\n")).unwrap();
    let (code, out, err) = alphastock(&[
        "backtest",
        "--config",
        CONFIG,
        "--data",
        day.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let cold: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(cold["candles"], 150);
    assert!(
        first_entry(&cold).as_str() >= "2026-01-06T10:00:00+05:30",
        "{}",
        first_entry(&cold)
    );
}

fn real_candles() -> [String; 2] {
    let dir = std::env::var("ALPHASTOCK_REFERENCE").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference").to_string()
    });
    let dir = std::path::PathBuf::from(dir).join("real").join("candles");
    ["NIFTY", "BANKNIFTY"].map(|u| {
        dir.join(format!("NSE_{u}_1min_2024-01_2024-04.csv"))
            .to_string_lossy()
            .into_owned()
    })
}

/// What a backtest found, to compare with the numbers of the same run before option chains
/// were priced on demand: trade count, net P&L, charges, signals, max drawdown, final equity,
/// and the first and last trades (contract, entry time, entry and exit premium, units, net).
fn summary(v: &Value) -> String {
    let trade = |t: &Value| {
        format!(
            "{} {} {} -> {} x{} net {}",
            t["trading_symbol"].as_str().unwrap_or("?"),
            t["entry_time"].as_str().unwrap_or("?"),
            t["entry_price"],
            t["exit_price"],
            t["quantity"],
            t["net_pnl"]
        )
    };
    let trades = v["trades"].as_array().cloned().unwrap_or_default();
    format!(
        "{} trades, net {}, charges {}, signals {}, drawdown {}, equity {}; first {}; last {}",
        v["trade_count"],
        v["net_pnl"],
        v["charges"],
        v["signals"],
        v["max_drawdown"],
        v["final_equity"],
        trades.first().map(trade).unwrap_or_default(),
        trades.last().map(trade).unwrap_or_default()
    )
}

/// Golden numbers of backtests on four months of real 1-minute NIFTY and BANKNIFTY candles
/// with simulated option chains, taken when every chain was priced whole at every candle: the
/// chains priced on demand give the very same trades and metrics. One run is the learned
/// filter's dataset config (three strategies, default strike selection), the other buys one
/// strike out of the money among five watched, with a liquidity filter that refuses some
/// contracts, a narrow simulated chain and the IV regime reading the chain.
#[test]
#[ignore = "reads real 1-minute candles from ../shared/reference (ALPHASTOCK_REFERENCE); CI runs it"]
fn real_index_candles_backtest_to_the_numbers_of_whole_chains() {
    let [nifty, banknifty] = real_candles();
    let dir = tempfile::tempdir().unwrap();
    let otm = dir.path().join("otm.yaml");
    std::fs::write(
        &otm,
        r#"
market_data_runner: { candle_minutes: 1 }
strategies:
  ema_crossover:
    enabled: true
    symbols: ["NSE:NIFTY", "NSE:BANKNIFTY"]
    parameters: { fast_ema: 5, slow_ema: 20, min_confidence: 0 }
  iv_regime: { enabled: true, symbols: ["NSE:NIFTY"] }
options_data_runner:
  strike_selection:
    strikes_per_side: 5
    choose: otm
    liquidity_filters: { min_oi: 150000, max_spread_pct: 2 }
simulation: { strikes_per_side: 4 }
options_trading:
  enabled: true
  entry: { min_confidence: 0 }
  risk_management: { capital: 1000000, max_premium_per_trade: 100000 }
"#,
    )
    .unwrap();
    let cases = [
        (
            "fixtures/ml_filter.yaml".to_string(),
            "1339 trades, net 3344308.67, charges 349772.08, signals 6436, drawdown 938322.98, \
             equity 4344308.67; first BANKNIFTY2410348200PE 2024-01-01T09:38:00+05:30 192.05 -> \
             152.65 x510 net -20296.73; last NIFTY2450222700CE 2024-04-30T09:16:00+05:30 98.45 -> \
             99.55 x1000 net 870.57",
        ),
        (
            otm.to_string_lossy().into_owned(),
            "142 trades, net 130508.89, charges 13693.61, signals 5993, drawdown 189295.37, \
             equity 1130508.89; first NIFTY2410421700PE 2024-01-01T09:40:00+05:30 119.0 -> 94.3 \
             x200 net -5024.92; last NIFTY2450222500CE 2024-04-29T09:16:00+05:30 120.2 -> \
             208.05 x200 net 17457.26",
        ),
    ];
    for (config, want) in cases {
        let (code, out, err) = alphastock(&[
            "backtest", "--config", &config, "--data", &nifty, &banknifty, "--json",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: Value = serde_json::from_str(&out).expect("one JSON object");
        assert_eq!(v["option_prices"], "simulated");
        assert_eq!(summary(&v), want, "{config}");
    }
}

/// 2,250 one-minute NSE:SBIN bars (six weekdays from 2020-01-06), a seeded integer random walk
/// on the 0.05 tick: every value is whole paise, so the file is the same on every machine.
fn random_walk_csv(n: usize) -> String {
    let mut state: u64 = 12345;
    let mut price: u64 = 50_000;
    let mut out = String::from("timestamp,symbol,open,high,low,close,volume\n");
    let rupees = |p: u64| format!("{}.{:02}", p / 100, p % 100);
    let mut day = NaiveDate::from_ymd_opt(2020, 1, 6).unwrap();
    let mut i = 0;
    while i < n {
        use chrono::Datelike;
        if day.weekday().number_from_monday() <= 5 {
            for m in 0..375 {
                if i == n {
                    break;
                }
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let r = state >> 33;
                let o = price;
                let c = (o + (r % 41) * 5).saturating_sub(100).max(5);
                let hi = o.max(c) + 5 * ((r >> 8) % 3);
                let lo = (o.min(c).saturating_sub(5 * ((r >> 16) % 3))).max(5);
                let t = day.and_hms_opt(9, 15, 0).unwrap() + Duration::minutes(m);
                out.push_str(&format!(
                    "{}+05:30,NSE:SBIN,{},{},{},{},{}\n",
                    t.format("%Y-%m-%dT%H:%M:%S"),
                    rupees(o),
                    rupees(hi),
                    rupees(lo),
                    rupees(c),
                    1000 + (r >> 20) % 9000
                ));
                price = c;
                i += 1;
            }
        }
        day = day.succ_opt().unwrap();
    }
    out
}

#[test]
fn the_report_of_a_small_backtest_is_byte_for_byte_what_it_was() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("bars.csv");
    std::fs::write(&data, random_walk_csv(2250)).unwrap();
    let report = dir.path().join("report");
    let (code, _, err) = alphastock(&[
        "backtest",
        "--config",
        // The comparison case: EMA(5/20) on NSE:SBIN itself, flipping.
        "benches/peers/alphastock.yaml",
        "--data",
        data.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read(report.join("report.html")).unwrap();
    let text = String::from_utf8_lossy(&html);
    // 135 trades, each marked twice on the price chart, every bar drawn.
    assert_eq!(text.matches("class=\"marker\"").count(), 270);
    // The digest of the report as written before the price lookup became a binary search.
    let digest: String = Sha256::digest(&html)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        digest,
        "5c3571a13960828c267ad8c33c4cb1b477629ea7d9e493f409c39c9b5f5788c2"
    );
}
