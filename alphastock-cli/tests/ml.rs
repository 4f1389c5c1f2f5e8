//! `alphastock ml ...` and the `ml` config section through the binary: the dataset's rows are the
//! backtest's option trades with their net P&L; walk-forward training finds a planted rule and
//! reports no benefit on noise; `ml.filter` drops signals in a backtest as rejections carrying
//! the probability; `config check` names the `ml` keys; the option-move model on the real chains
//! (ignored by default: it reads `ALPHASTOCK_REFERENCE`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

const DATA: &str = "fixtures/candles/synthetic_5min.csv";
const CONFIG: &str = "fixtures/backtest.yaml";

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn alphastock(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run alphastock");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn the_dataset_is_the_backtests_option_trades_with_their_net_pnl() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dataset.csv");
    let (code, stdout, err) = alphastock(&[
        "ml",
        "dataset",
        "--config",
        CONFIG,
        "--data",
        DATA,
        "--out",
        s(&out),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("trades on"), "{stdout}");
    let (code, bt, err) = alphastock(&["backtest", "--config", CONFIG, "--data", DATA, "--json"]);
    assert_eq!(code, 0, "{err}");
    let bt: Value = serde_json::from_str(&bt).unwrap();
    let trades = bt["trades"].as_array().unwrap();
    assert!(trades.len() >= 3, "the fixture trades: {}", trades.len());

    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "date");
    assert_eq!(header[6], "f_side");
    assert_eq!(header[header.len() - 2], "net_pnl");
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), trades.len(), "one row per trade");
    let pnl_col = header.len() - 2;
    let mut sum = Decimal::ZERO;
    for (row, t) in rows.iter().zip(trades) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[5], t["trading_symbol"].as_str().unwrap());
        let pnl = Decimal::from_str(row[pnl_col]).unwrap();
        assert_eq!(
            row[pnl_col + 1],
            if pnl > Decimal::ZERO { "1" } else { "0" }
        );
        // side feature: +1 for a bullish signal (a CE), −1 for a bearish one.
        let side = if t["direction"] == "bullish" {
            "1"
        } else {
            "-1"
        };
        assert_eq!(row[6], side);
        sum += pnl;
    }
    let net = bt["net_pnl"].as_f64().unwrap();
    assert!(
        (sum.to_string().parse::<f64>().unwrap() - net).abs() < 0.01,
        "dataset P&L {sum} vs backtest {net}"
    );
}

/// A deterministic generator (64-bit LCG).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A dataset file of 30 days × 30 trades with random features; `p_win(confidence)` decides.
fn synthetic(path: &Path, seed: u64, p_win: impl Fn(f64) -> f64) {
    let names = alphastock_core::ml::FEATURE_NAMES;
    let mut text = String::from("date,signal_time,underlying,strategy,side,trading_symbol");
    for n in names {
        text.push_str(&format!(",f_{n}"));
    }
    text.push_str(",net_pnl,win\n");
    let mut g = Lcg(seed);
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    for d in 0..30 {
        let date = start + chrono::Duration::days(d);
        for _ in 0..30 {
            let x: Vec<f64> = (0..names.len()).map(|_| g.next() * 100.0).collect();
            let win = g.next() < p_win(x[1]);
            let pnl = if win { "150.5" } else { "-100.25" };
            text.push_str(&format!(
                "{date},{date}T10:00:00+05:30,NIFTY,ema_crossover,BUY,NIFTY24X"
            ));
            for v in &x {
                text.push_str(&format!(",{v}"));
            }
            text.push_str(&format!(",{pnl},{}\n", u8::from(win)));
        }
    }
    std::fs::write(path, text).unwrap();
}

fn train(dataset: &Path, model: &Path) -> Value {
    let (code, out, err) = alphastock(&[
        "ml",
        "train",
        "--dataset",
        s(dataset),
        "--out",
        s(model),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn walk_forward_training_finds_a_planted_rule_and_nothing_in_noise() {
    let dir = tempfile::tempdir().unwrap();
    // Planted: 80 % wins above confidence 60, 20 % below (base rate about 44 %).
    let planted = dir.path().join("planted.csv");
    synthetic(&planted, 11, |c| if c > 60.0 { 0.8 } else { 0.2 });
    let model = dir.path().join("model.json");
    let r = train(&planted, &model);
    assert_eq!(r["folds"].as_array().unwrap().len(), 4);
    let base = r["all"]["precision"].as_f64().unwrap();
    let kept = r["kept"]["precision"].as_f64().unwrap();
    assert!(
        kept - base > 0.20,
        "precision lifted by more than 20 points: {base} → {kept}"
    );
    assert_eq!(r["benefit"], true, "{}", r["verdict"]);
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(m["features"].as_array().unwrap().len(), 13);
    assert!(
        m["weights"][1].as_f64().unwrap() > 0.5,
        "confidence carries the rule: {m}"
    );

    // Noise: same shape, the win a coin with p = 0.45 whatever the features.
    let noise = dir.path().join("noise.csv");
    synthetic(&noise, 12, |_| 0.45);
    let (code, out, err) = alphastock(&[
        "ml",
        "train",
        "--dataset",
        s(&noise),
        "--out",
        s(&dir.path().join("noise.json")),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("no out-of-sample benefit"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.contains("2024-0")).count(),
        4,
        "{out}"
    );
}

#[test]
fn a_dataset_that_is_not_one_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    synthetic(&bad, 1, |_| 0.5);
    let text = std::fs::read_to_string(&bad).unwrap();
    let broken = text.replacen("NIFTY24X,", "NIFTY24X,abc", 1);
    std::fs::write(&bad, broken).unwrap();
    let (code, _, err) = alphastock(&[
        "ml",
        "train",
        "--dataset",
        s(&bad),
        "--out",
        s(&dir.path().join("m.json")),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2, column f_side"), "{err}");
}

/// The fixture config with an `ml` section appended, written beside a model.
fn config_with(dir: &Path, ml: &str) -> PathBuf {
    let base = std::fs::read_to_string(root().join(CONFIG)).unwrap();
    let path = dir.join("config.yaml");
    std::fs::write(&path, format!("{base}\n{ml}\n")).unwrap();
    path
}

fn backtest(config: &Path) -> Value {
    let (code, out, err) =
        alphastock(&["backtest", "--config", s(config), "--data", DATA, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn the_filter_drops_signals_below_its_probability_as_rejections() {
    let dir = tempfile::tempdir().unwrap();
    let planted = dir.path().join("planted.csv");
    synthetic(&planted, 3, |c| if c > 60.0 { 0.8 } else { 0.2 });
    train(&planted, &dir.path().join("model.json"));
    let plain = backtest(&root().join(CONFIG));
    let n = plain["trade_count"].as_u64().unwrap();
    assert!(n > 0);

    // Every probability is below 1: nothing is traded, every decision is a filter rejection.
    let all_out = backtest(&config_with(
        dir.path(),
        "ml:\n  filter: { model: model.json, min_probability: 1.0 }",
    ));
    assert_eq!(all_out["trade_count"], 0);
    let rejections = all_out["rejections"].as_object().unwrap();
    let learned: u64 = rejections
        .iter()
        .filter(|(k, _)| k.starts_with("learned filter: win probability #"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    assert!(learned >= n, "{rejections:?}");

    // A threshold of 0 passes everything: the same trades as without a filter.
    let none_out = backtest(&config_with(
        dir.path(),
        "ml:\n  filter: { model: model.json, min_probability: 0.0 }",
    ));
    assert_eq!(none_out["trades"], plain["trades"]);
}

#[test]
fn config_check_names_the_ml_keys() {
    let dir = tempfile::tempdir().unwrap();
    let c = config_with(
        dir.path(),
        "ml:\n  filter: { model: missing.json, min_probability: 0.6 }",
    );
    let (code, out, err) = alphastock(&["config", "check", s(&c)]);
    let err = format!("{out}{err}");
    assert_eq!(code, 2);
    assert!(err.contains("ml.filter.model"), "{err}");
    assert!(err.contains("missing.json"), "{err}");

    let c = config_with(
        dir.path(),
        "ml:\n  filter: { model: m.json, min_probability: 1.5 }",
    );
    let (code, out, err) = alphastock(&["config", "check", s(&c)]);
    let err = format!("{out}{err}");
    assert_eq!(code, 2);
    assert!(err.contains("ml.filter.min_probability"), "{err}");

    std::fs::write(dir.path().join("junk.json"), "{\"weights\": 3}").unwrap();
    let c = config_with(dir.path(), "ml:\n  option_move_model: junk.json");
    let (code, out, err) = alphastock(&["config", "check", s(&c)]);
    let err = format!("{out}{err}");
    assert_eq!(code, 2);
    assert!(err.contains("ml.option_move_model"), "{err}");

    let c = dir.path().join("learned.yaml");
    std::fs::write(
        &c,
        "strategies:\n  ema_crossover: { symbols: [NIFTY] }\noptions_trading: { target_calculation_method: learned }\n",
    )
    .unwrap();
    let (code, out, err) = alphastock(&["config", "check", s(&c)]);
    let err = format!("{out}{err}");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ml.option_move_model"), "{err}");
}

fn chains_dir() -> PathBuf {
    let dir = std::env::var("ALPHASTOCK_REFERENCE").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/reference").to_string()
    });
    PathBuf::from(dir).join("real").join("chains")
}

#[test]
#[ignore = "reads real chains from ../shared/reference (ALPHASTOCK_REFERENCE); CI runs it"]
fn the_option_move_model_is_judged_on_held_back_real_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("option_move.json");
    let a = chains_dir().join("NIFTY_chain_20250829.csv");
    let b = chains_dir().join("NIFTY_chain_20260818.csv");
    let (code, out, err) = alphastock(&[
        "ml",
        "evaluate-pricing",
        "--chains",
        s(&a),
        s(&b),
        "--out",
        s(&model),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let all = r["results"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(all["file"], "all");
    assert!(all["train_pairs"].as_u64().unwrap() > 1000, "{all}");
    let methods = all["methods"].as_object().unwrap();
    let n = methods["unchanged"]["pairs"].as_u64().unwrap();
    assert!(n > 500, "{all}");
    for (m, v) in methods {
        assert_eq!(
            v["pairs"].as_u64().unwrap(),
            n,
            "{m} judged on the same pairs"
        );
        assert!(v["mae"].as_f64().unwrap().is_finite(), "{m}");
    }
    // The model is usable by the `learned` target method.
    let config = dir.path().join("c.yaml");
    std::fs::write(
        &config,
        "strategies:\n  ema_crossover: { symbols: [NIFTY] }\noptions_trading: { target_calculation_method: learned }\nml: { option_move_model: option_move.json }\n",
    )
    .unwrap();
    let (code, out, err) = alphastock(&[
        "price-option",
        "--config",
        s(&config),
        "--type",
        "CE",
        "--spot",
        "24000",
        "--underlying-target",
        "24100",
        "--underlying-stop",
        "23950",
        "--premium",
        "120",
        "--strike",
        "24000",
        "--days",
        "3",
        "--iv",
        "0.12",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("learned CE: entry 120 → target "), "{out}");
}

#[test]
#[ignore = "reads real 1-minute candles from ../shared/reference (ALPHASTOCK_REFERENCE); CI runs it"]
fn the_filter_is_judged_out_of_sample_on_real_2024_index_candles() {
    let dir = tempfile::tempdir().unwrap();
    let candles = chains_dir().join("..").join("candles");
    let dataset = dir.path().join("dataset.csv");
    let (code, out, err) = alphastock(&[
        "ml",
        "dataset",
        "--config",
        "fixtures/ml_filter.yaml",
        "--data",
        s(&candles.join("NSE_NIFTY_1min_2024-01_2024-04.csv")),
        s(&candles.join("NSE_BANKNIFTY_1min_2024-01_2024-04.csv")),
        "--out",
        s(&dataset),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("trades on 77 days"), "{out}");
    let r = train(&dataset, &dir.path().join("model.json"));
    assert_eq!(r["folds"].as_array().unwrap().len(), 4);
    assert!(r["all"]["trades"].as_u64().unwrap() > 1000, "{r}");
    // Whatever the verdict, it is one of the two and matches the flag.
    let verdict = r["verdict"].as_str().unwrap();
    assert_eq!(
        verdict.starts_with("out-of-sample benefit"),
        r["benefit"].as_bool().unwrap(),
        "{verdict}"
    );
}
