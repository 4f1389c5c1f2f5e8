//! `alphastock scan`: output contract, exit codes, and the crossovers it reports checked against
//! an independent EMA computation.

use std::collections::BTreeMap;
use std::process::Command;

const FIXTURE: &str = "fixtures/candles/synthetic_5min.csv";

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

/// EMA crossovers computed here, directly from the CSV text: TA-Lib seeding (SMA of the first
/// `period` closes), a cross on a bar where the sign of fast − slow differs from the previous
/// bar's (both defined). Returns (timestamp, symbol, side).
fn independent_crossovers(csv: &str, fast: usize, slow: usize) -> Vec<(String, String, String)> {
    fn ema(closes: &[f64], n: usize) -> Vec<Option<f64>> {
        let a = 2.0 / (n as f64 + 1.0);
        let mut out = vec![None; closes.len()];
        if closes.len() < n {
            return out;
        }
        let mut v = closes[..n].iter().sum::<f64>() / n as f64;
        out[n - 1] = Some(v);
        for i in n..closes.len() {
            v += a * (closes[i] - v);
            out[i] = Some(v);
        }
        out
    }
    let mut by_symbol: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    for line in csv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        by_symbol
            .entry(f[1].to_string())
            .or_default()
            .push((f[0].to_string(), f[5].parse().unwrap()));
    }
    let mut out = Vec::new();
    for (symbol, bars) in by_symbol {
        let closes: Vec<f64> = bars.iter().map(|b| b.1).collect();
        let (ef, es) = (ema(&closes, fast), ema(&closes, slow));
        for i in 1..closes.len() {
            if let (Some(pf), Some(ps), Some(f), Some(s)) = (ef[i - 1], es[i - 1], ef[i], es[i]) {
                if pf <= ps && f > s {
                    out.push((bars[i].0.clone(), symbol.clone(), "BUY".to_string()));
                } else if pf >= ps && f < s {
                    out.push((bars[i].0.clone(), symbol.clone(), "SELL".to_string()));
                }
            }
        }
    }
    out.sort();
    out
}

fn json_lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

#[test]
fn json_reports_every_ema_crossover_with_min_confidence_zero() {
    let (code, out, err) = alphastock(&[
        "scan",
        "--strategy",
        "ema_crossover",
        "--param",
        "min_confidence=0",
        "--data",
        FIXTURE,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows = json_lines(&out);
    let mut got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["timestamp"].as_str().unwrap().to_string(),
                r["symbol"].as_str().unwrap().to_string(),
                r["side"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let csv =
        std::fs::read_to_string(format!("{}/../{FIXTURE}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let expected = independent_crossovers(&csv, 5, 20);
    assert!(
        expected.len() >= 6,
        "fixture should cross often: {expected:?}"
    );
    assert!(expected.iter().any(|e| e.1 == "NIFTY") && expected.iter().any(|e| e.1 == "BANKNIFTY"));
    assert_eq!(got, expected);
    for r in &rows {
        assert!(r["timestamp"].as_str().unwrap().ends_with("+05:30"), "{r}");
        let price = r["price"].as_f64().unwrap();
        let (target, stop) = (r["target"].as_f64().unwrap(), r["stop"].as_f64().unwrap());
        let confidence = r["confidence"].as_u64().unwrap();
        assert!(confidence <= 100);
        match r["side"].as_str().unwrap() {
            "BUY" => assert!(stop < price && price < target, "{r}"),
            _ => assert!(target < price && price < stop, "{r}"),
        }
        assert!(r["reason"].as_str().unwrap().contains("crossed"), "{r}");
    }
    assert!(
        err.contains(&format!("{} signal(s) from 300 candle(s)", rows.len())),
        "{err}"
    );
}

#[test]
fn text_output_and_the_confidence_threshold() {
    let (code, all, _) = alphastock(&[
        "scan",
        "--strategy",
        "ema_crossover",
        "--param",
        "min_confidence=0",
        "--data",
        FIXTURE,
    ]);
    assert_eq!(code, 0);
    assert!(
        all.lines()
            .all(|l| l.contains(" BUY ") || l.contains(" SELL ")),
        "{all}"
    );
    let (code, strict, _) = alphastock(&[
        "scan",
        "--strategy",
        "ema_crossover",
        "--param",
        "min_confidence=101",
        "--data",
        FIXTURE,
    ]);
    assert_eq!(code, 2, "101 is out of range");
    assert!(strict.is_empty());
    let (code, some, _) = alphastock(&[
        "scan",
        "--strategy",
        "price_breakout",
        "--param",
        "lookback=10",
        "--data",
        FIXTURE,
    ]);
    assert_eq!(code, 0);
    assert!(some.lines().count() > 0);
}

#[test]
fn bad_strategy_or_parameters_exit_two_naming_them() {
    let (code, _, err) = alphastock(&["scan", "--strategy", "macd", "--data", FIXTURE]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown strategy `macd`") && err.contains("ema_crossover"),
        "{err}"
    );
    let (code, _, err) = alphastock(&[
        "scan",
        "--strategy",
        "ema_crossover",
        "--param",
        "fast_ema=30",
        "--param",
        "slow_emma=9",
        "--data",
        FIXTURE,
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("fast_ema must be < slow_ema (got 30 >= 20)"),
        "{err}"
    );
    assert!(
        err.contains("slow_emma is not a parameter of ema_crossover"),
        "{err}"
    );
    let (code, _, err) = alphastock(&[
        "scan",
        "--strategy",
        "ema_crossover",
        "--param",
        "fast_ema",
        "--data",
        FIXTURE,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("must be key=value"), "{err}");
}

#[test]
fn malformed_candles_exit_two_with_the_line_and_missing_files_exit_one() {
    let dir = std::env::temp_dir().join(format!("alphastock-scan-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "timestamp,symbol,open,high,low,close,volume\n\
         2026-01-05T09:15:00+05:30,NIFTY,100,101,99,100.5,10\n\
         2026-01-05T09:20:00+05:30,NIFTY,100,oops,99,100.5,10\n",
    )
    .unwrap();
    let (code, _, err) = alphastock(&[
        "scan",
        "--strategy",
        "ema_crossover",
        "--data",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("line 3: high `oops`"), "{err}");
    let (code, _, err) = alphastock(&[
        "scan",
        "--strategy",
        "ema_crossover",
        "--data",
        "fixtures/candles/missing.csv",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.csv"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn scan_of_the_real_series_reports_the_talib_crossover_bars() {
    let dir = std::env::var("ALPHASTOCK_REFERENCE").expect("ALPHASTOCK_REFERENCE");
    let real = format!("{dir}/real");
    let (code, out, err) = alphastock(&[
        "scan",
        "--strategy",
        "ema_crossover",
        "--param",
        "min_confidence=0",
        "--data",
        &format!("{real}/banknifty_5min_2024-04-29_2024-05-03.csv"),
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let got: Vec<(String, String)> = json_lines(&out)
        .iter()
        .map(|r| {
            (
                r["timestamp"].as_str().unwrap().to_string(),
                r["side"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let golden = std::fs::read_to_string(format!("{real}/indicators_golden.csv")).unwrap();
    let expected: Vec<(String, String)> = golden
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let cross = f.last()?.trim();
            (!cross.is_empty()).then(|| (f[0].to_string(), cross.to_string()))
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
}
