//! Parameter sweep with an in-sample / out-of-sample split.
//!
//! The trading days of the data are split by date: the first 70 % (at least one day) are
//! in-sample, the rest out-of-sample. Every grid combination is backtested on each part
//! separately (a fresh engine each time). Rows are ranked by in-sample Sharpe (undefined last),
//! then by in-sample net P&L; the out-of-sample figures sit beside them, so a combination that
//! only fits the in-sample days shows a gap. Combinations the strategies refuse (e.g.
//! `fast_ema >= slow_ema`) are listed as skipped with the reason.

use std::collections::BTreeSet;
use std::process::ExitCode;

use chrono::NaiveDate;
use serde_json::{json, Value as Json};
use serde_yaml::Value as Yaml;

use alphastock_core::backtest::BacktestReport;
use alphastock_core::config::Config;
use alphastock_core::market::{Candle, IST};
use alphastock_core::strategy::{build_strategy, StrategyBuildError};

use anyhow::Context;

use super::sweep_html::Cell;
use super::{backtest, number, progress_bar, ratio, Inputs};
use crate::commands::EXIT_INVALID;

/// The largest grid the sweep runs.
const MAX_COMBINATIONS: usize = 10_000;

/// Fraction of trading days that are in-sample.
const IN_SAMPLE_FRACTION: f64 = 0.7;

/// One swept parameter and its values.
pub type Axis = (String, Vec<Yaml>);

/// Parses `KEY=A..B` (inclusive integer range) or `KEY=a,b,c` (YAML scalars).
pub fn parse_grid(specs: &[String]) -> Result<Vec<Axis>, String> {
    let mut axes: Vec<Axis> = Vec::new();
    for spec in specs {
        let Some((key, values)) = spec.split_once('=') else {
            return Err(format!("--sweep `{spec}` must be KEY=A..B or KEY=a,b,c"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("--sweep `{spec}` has an empty key"));
        }
        if axes.iter().any(|(k, _)| k == key) {
            return Err(format!("--sweep names `{key}` twice"));
        }
        let values = values.trim();
        let list: Vec<Yaml> = if let Some((a, b)) = values.split_once("..") {
            let parse = |s: &str| {
                s.trim().parse::<i64>().map_err(|_| {
                    format!("--sweep `{spec}`: range bounds must be whole numbers, got `{s}`")
                })
            };
            let (a, b) = (parse(a)?, parse(b)?);
            if a > b {
                return Err(format!("--sweep `{spec}`: the range {a}..{b} is empty"));
            }
            if b - a >= MAX_COMBINATIONS as i64 {
                return Err(format!("--sweep `{spec}`: too many values"));
            }
            (a..=b).map(|v| Yaml::Number(v.into())).collect()
        } else {
            if let Some((range, (a, b))) = values
                .split(',')
                .find_map(|v| looks_like_a_range(v).map(|r| (v.trim(), r)))
            {
                return Err(format!(
                    "--sweep `{spec}`: `{range}` is not a range: write {a}..{b} (inclusive) or list the values a,b,c"
                ));
            }
            values
                .split(',')
                .map(|v| {
                    serde_yaml::from_str(v.trim())
                        .unwrap_or_else(|_| Yaml::String(v.trim().to_string()))
                })
                .collect()
        };
        if list.is_empty() || values.is_empty() {
            return Err(format!("--sweep `{spec}` has no values"));
        }
        axes.push((key.to_string(), list));
    }
    let size = axes
        .iter()
        .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()))
        .unwrap_or(usize::MAX);
    if size > MAX_COMBINATIONS {
        return Err(format!(
            "--sweep grid has {size} combinations; at most {MAX_COMBINATIONS}"
        ));
    }
    Ok(axes)
}

/// The bounds of `3-5` or `3:5` (two whole numbers joined by `-` or `:`, either may be
/// negative): a range written the wrong way, which read as a string would make every
/// combination refused. `None` for anything else.
fn looks_like_a_range(v: &str) -> Option<(String, String)> {
    let v = v.trim();
    let (sign, body) = match v.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", v),
    };
    let (a, b) = body.split_once(['-', ':'])?;
    let whole = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let b_digits = b.strip_prefix('-').unwrap_or(b);
    (whole(a) && whole(b_digits)).then(|| (format!("{sign}{a}"), b.to_string()))
}

/// Why the split's results differ from a plain backtest over all the days.
pub const SPLIT_NOTE: &str = "Each part is its own backtest from the starting capital, with freshly built strategies: \
indicators warm up again on the first out-of-sample day, and positions open at the end of the in-sample days are \
not carried over. In-sample plus out-of-sample therefore differs from a plain backtest of all the days.";

fn combinations(axes: &[Axis]) -> Vec<Vec<(String, Yaml)>> {
    let mut out: Vec<Vec<(String, Yaml)>> = vec![Vec::new()];
    for (key, values) in axes {
        let mut next = Vec::with_capacity(out.len() * values.len());
        for combo in &out {
            for v in values {
                let mut c = combo.clone();
                c.push((key.clone(), v.clone()));
                next.push(c);
            }
        }
        out = next;
    }
    out
}

/// True when the strategy kind has parameter `key` (building it with the key does not report
/// the key as unknown).
fn has_key(
    kind: &str,
    name: &str,
    params: &alphastock_core::strategy::StrategyParams,
    key: &str,
    value: &Yaml,
) -> bool {
    let mut p = params.clone();
    p.insert(key.to_string(), value.clone());
    match build_strategy(kind, name, &p) {
        Ok(_) => true,
        Err(StrategyBuildError::InvalidParams(problems)) => !problems
            .iter()
            .any(|pr| pr.key == key && pr.reason.starts_with("is not a parameter")),
        Err(_) => false,
    }
}

/// The config with the combination applied to every enabled strategy that has each key, or
/// the first key no enabled strategy has.
fn apply(base: &Config, combo: &[(String, Yaml)]) -> Result<Config, String> {
    let mut config = base.clone();
    for (key, value) in combo {
        let mut used = false;
        for (name, sc) in config.strategies.iter_mut() {
            if !sc.enabled {
                continue;
            }
            let kind = sc.kind(name).to_string();
            if has_key(&kind, name, &sc.parameters, key, value) {
                sc.parameters.insert(key.clone(), value.clone());
                used = true;
            }
        }
        if !used {
            return Err(format!("no enabled strategy has a parameter `{key}`"));
        }
    }
    Ok(config)
}

fn label(combo: &[(String, Yaml)]) -> String {
    combo
        .iter()
        .map(|(k, v)| {
            let v = serde_yaml::to_string(v).unwrap_or_default();
            format!("{k}={}", v.trim())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Row {
    combo: Vec<(String, Yaml)>,
    in_sample: BacktestReport,
    out_of_sample: Option<BacktestReport>,
}

fn summary_json(r: &BacktestReport) -> Json {
    json!({
        "trade_count": r.metrics.trades,
        "net_pnl": number(r.metrics.net_pnl),
        "win_rate": r.metrics.win_rate,
        "max_drawdown": number(r.metrics.max_drawdown),
        "sharpe": r.metrics.sharpe,
    })
}

/// One point of the grid: each swept key with its value.
type Combination = Vec<(String, Yaml)>;

/// What one combination of the grid gave.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// The combination cannot be applied to the config (the whole sweep is invalid).
    Invalid(String),
    /// A strategy refused the parameters.
    Skipped(String),
    /// The in-sample and (when there are such days) out-of-sample reports.
    Ran(Box<BacktestReport>, Option<Box<BacktestReport>>),
}

/// Backtests one combination on the in-sample and out-of-sample candles.
fn run_one(
    inputs: &Inputs,
    combo: &Combination,
    in_candles: &[Candle],
    out_candles: &[Candle],
) -> Outcome {
    let config = match apply(&inputs.config, combo) {
        Ok(c) => c,
        Err(e) => return Outcome::Invalid(e),
    };
    let in_sample = match backtest(inputs, &config, in_candles, None) {
        Ok(r) => r,
        Err(e) => return Outcome::Skipped(e),
    };
    let out_of_sample = if out_candles.is_empty() {
        None
    } else {
        backtest(inputs, &config, out_candles, None)
            .ok()
            .map(Box::new)
    };
    Outcome::Ran(Box::new(in_sample), out_of_sample)
}

/// Runs every combination on up to `threads` threads (each takes the next combination not yet
/// taken; every backtest has its own engine) and returns the outcomes in the order of
/// `combos`: each run is deterministic and independent, so the result is the same as running
/// them one after another.
fn run_grid(
    inputs: &Inputs,
    combos: &[Combination],
    in_candles: &[Candle],
    out_candles: &[Candle],
    threads: usize,
    progress: Option<&indicatif::ProgressBar>,
) -> Vec<Outcome> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = threads.clamp(1, combos.len().max(1));
    let mut done: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(combo) = combos.get(i) else {
                            break;
                        };
                        mine.push((i, run_one(inputs, combo, in_candles, out_candles)));
                        if let Some(p) = progress {
                            p.inc(1);
                        }
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, o)| o).collect()
}

/// Runs the sweep and prints the ranking; with `report`, writes `sweep.html` there too.
pub fn run(
    inputs: &Inputs,
    axes: &[Axis],
    as_json: bool,
    report: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let days: BTreeSet<NaiveDate> = inputs
        .candles
        .iter()
        .map(|c| c.timestamp.with_timezone(&IST).date_naive())
        .collect();
    let days: Vec<NaiveDate> = days.into_iter().collect();
    let n_in = ((days.len() as f64 * IN_SAMPLE_FRACTION).floor() as usize).clamp(1, days.len());
    let (in_days, out_days) = days.split_at(n_in);
    let last_in = in_days[in_days.len() - 1];
    let (in_candles, out_candles): (Vec<Candle>, Vec<Candle>) = inputs
        .candles
        .iter()
        .cloned()
        .partition(|c| c.timestamp.with_timezone(&IST).date_naive() <= last_in);
    let combos = combinations(axes);
    let progress = progress_bar(combos.len() as u64, "combinations");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let outcomes = run_grid(
        inputs,
        &combos,
        &in_candles,
        &out_candles,
        threads,
        progress.as_ref(),
    );
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    let mut rows = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    for (combo, outcome) in combos.into_iter().zip(outcomes) {
        match outcome {
            Outcome::Invalid(e) => {
                eprintln!("error: --sweep: {e}");
                return Ok(ExitCode::from(EXIT_INVALID));
            }
            Outcome::Skipped(e) => skipped.push((label(&combo), e)),
            Outcome::Ran(in_sample, out_of_sample) => rows.push(Row {
                combo,
                in_sample: *in_sample,
                out_of_sample: out_of_sample.map(|r| *r),
            }),
        }
    }
    if rows.is_empty() {
        eprintln!("error: --sweep: every combination was refused by the strategies:");
        for (p, reason) in &skipped {
            eprintln!("  {p}: {reason}");
        }
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    rows.sort_by(|a, b| {
        let (sa, sb) = (a.in_sample.metrics.sharpe, b.in_sample.metrics.sharpe);
        let by_sharpe = match (sa, sb) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        by_sharpe.then_with(|| {
            b.in_sample
                .metrics
                .net_pnl
                .cmp(&a.in_sample.metrics.net_pnl)
        })
    });
    if let Some(dir) = report {
        let cells: Vec<Cell> = rows
            .iter()
            .map(|r| Cell {
                combo: r.combo.clone(),
                in_sample: (r.in_sample.metrics.net_pnl, r.in_sample.metrics.trades),
                out_of_sample: r
                    .out_of_sample
                    .as_ref()
                    .map(|o| (o.metrics.net_pnl, o.metrics.trades)),
            })
            .collect();
        let span = |d: &[NaiveDate]| match (d.first(), d.last()) {
            (Some(a), Some(b)) => format!("{} day(s) {a}..{b}", d.len()),
            _ => "no days".to_string(),
        };
        let html =
            super::sweep_html::render(axes, &cells, &skipped, &span(in_days), &span(out_days));
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create report directory {}", dir.display()))?;
        let path = dir.join("sweep.html");
        std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    if as_json {
        let results: Vec<Json> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let params: serde_json::Map<String, Json> = r
                    .combo
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Json::Null)))
                    .collect();
                json!({
                    "rank": i + 1,
                    "params": params,
                    "in_sample": summary_json(&r.in_sample),
                    "out_of_sample": r.out_of_sample.as_ref().map(summary_json),
                })
            })
            .collect();
        let skipped: Vec<Json> = skipped
            .iter()
            .map(|(p, reason)| json!({"params": p, "reason": reason}))
            .collect();
        let out = json!({
            "in_sample_days": in_days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "out_of_sample_days": out_days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "ranked_by": "in-sample sharpe, then in-sample net_pnl",
            "note": SPLIT_NOTE,
            "results": results,
            "skipped": skipped,
        });
        println!("{out}");
    } else {
        println!(
            "In-sample: {} day(s) {}..{}; out-of-sample: {} day(s){}",
            in_days.len(),
            in_days[0],
            last_in,
            out_days.len(),
            match (out_days.first(), out_days.last()) {
                (Some(a), Some(b)) => format!(" {a}..{b}"),
                _ => String::new(),
            }
        );
        println!(
            "{:>4}  {:<28} {:>6} {:>12} {:>7} | {:>6} {:>12} {:>7}",
            "rank", "parameters", "trades", "net P&L", "Sharpe", "trades", "net P&L", "Sharpe"
        );
        for (i, r) in rows.iter().enumerate() {
            let m = &r.in_sample.metrics;
            let (ot, on, os) = match &r.out_of_sample {
                Some(o) => (
                    o.metrics.trades.to_string(),
                    format!("{:.2}", o.metrics.net_pnl),
                    ratio(o.metrics.sharpe),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            println!(
                "{:>4}  {:<28} {:>6} {:>12.2} {:>7} | {:>6} {:>12} {:>7}",
                i + 1,
                label(&r.combo),
                m.trades,
                m.net_pnl,
                ratio(m.sharpe),
                ot,
                on,
                os
            );
        }
        for (p, reason) in &skipped {
            println!("skipped {p}: {reason}");
        }
        println!("{SPLIT_NOTE}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn ranges_are_inclusive_and_lists_are_yaml_scalars() {
        let g = parse_grid(&specs(&["fast_ema=3..5", "min_confidence=50,60.5"])).unwrap();
        assert_eq!(g[0].0, "fast_ema");
        assert_eq!(
            g[0].1,
            vec![Yaml::from(3i64), Yaml::from(4i64), Yaml::from(5i64)]
        );
        assert_eq!(g[1].1, vec![Yaml::from(50i64), Yaml::from(60.5f64)]);
        assert_eq!(combinations(&g).len(), 6);
        // A negative number and a date-like string are values, not ranges.
        let values = parse_grid(&specs(&["x=-3,4", "d=2026-12-01"])).unwrap();
        assert_eq!(values[0].1, vec![Yaml::from(-3i64), Yaml::from(4i64)]);
        assert_eq!(values[1].1.len(), 1);
        assert_eq!(
            label(&combinations(&g)[5]),
            "fast_ema=5 min_confidence=60.5"
        );
    }

    #[test]
    fn malformed_or_oversized_grids_are_refused_with_the_reason() {
        for (spec, reason) in [
            (vec!["fast_ema"], "KEY=A..B"),
            (vec!["=3..5"], "empty key"),
            (vec!["fast_ema=5..3"], "is empty"),
            (vec!["fast_ema=a..3"], "whole numbers"),
            (vec!["fast_ema=1..2", "fast_ema=3..4"], "twice"),
            (vec!["a=1..200", "b=1..200"], "combinations"),
            (vec!["fast_ema=3-5"], "`3-5` is not a range: write 3..5"),
            (vec!["fast_ema=3:5"], "write 3..5"),
            (vec!["fast_ema=2,-3-5"], "write -3..5"),
        ] {
            let e = parse_grid(&specs(&spec)).unwrap_err();
            assert!(e.contains(reason), "{spec:?}: {e}");
        }
    }
}

#[cfg(test)]
mod parallel_tests {
    use super::*;
    use alphastock_core::market::parse_candles;

    /// The sweep on every thread gives the same outcome for every combination, in the same
    /// order, as running the combinations one after another.
    #[test]
    fn parallel_grid_matches_the_serial_run() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let config = Config::from_yaml_str(
            &std::fs::read_to_string(root.join("fixtures/backtest.yaml")).unwrap(),
        )
        .unwrap();
        let candles = parse_candles(
            &std::fs::read_to_string(root.join("fixtures/candles/synthetic_5min.csv")).unwrap(),
        )
        .unwrap();
        let inputs = Inputs {
            config,
            chain_age_raised: None,
            table: None,
            candles: candles.clone(),
            snapshots: None,
            history: Vec::new(),
            models: Default::default(),
        };
        let grid = parse_grid(&["fast_ema=3..5".to_string(), "slow_ema=5,12".to_string()]).unwrap();
        let combos = combinations(&grid);
        let (first, rest) = candles.split_at(candles.len() / 2);
        let serial = run_grid(&inputs, &combos, first, rest, 1, None);
        let parallel = run_grid(&inputs, &combos, first, rest, 3, None);
        assert_eq!(serial.len(), 6);
        // fast_ema=5 slow_ema=5 is refused by the strategy; the others ran and traded.
        assert!(matches!(serial[4], Outcome::Skipped(_)));
        assert!(serial
            .iter()
            .filter_map(|o| match o {
                Outcome::Ran(r, _) => Some(r.metrics.trades),
                _ => None,
            })
            .all(|n| n > 0));
        assert_eq!(serial, parallel);
    }
}
