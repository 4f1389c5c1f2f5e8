//! `alphastock ml train --dataset FILE --out model.json [--folds N] [--min-probability P]
//! [--json]`: trains the signal filter on a dataset of `alphastock ml dataset` with walk-forward
//! splits by date (`alphastock_core::ml::walk_forward`: train on earlier days only, test on the
//! next block of days), prints each fold's out-of-sample trade count, precision and net P&L
//! with and without the filter, and the verdict ("out-of-sample benefit" or "no out-of-sample
//! benefit", see `alphastock_core::ml::evaluate`). Then fits the model on every row and writes
//! it (JSON: the model's fields plus `min_probability`, the threshold chosen on all rows, and
//! the walk-forward verdict). Exit 0 either way; 2 for a dataset that cannot be read as one.

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use rust_decimal::Decimal;
use serde_json::json;

use alphastock_core::ml::evaluate::{fit, Tally};
use alphastock_core::ml::{
    walk_forward_report, FeatureVector, Sample, TrainSettings, WalkForwardReport, FEATURE_COUNT,
    FEATURE_NAMES,
};

use crate::commands::EXIT_INVALID;

/// Arguments of `alphastock ml train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// A dataset written by `alphastock ml dataset`.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Where to write the model (JSON).
    #[arg(long)]
    pub out: PathBuf,
    /// Walk-forward folds: the days are cut into FOLDS + 1 consecutive blocks.
    #[arg(long, default_value_t = 4)]
    pub folds: usize,
    /// A fixed win-probability threshold (0–1); default: chosen on each fold's training days.
    #[arg(long)]
    pub min_probability: Option<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Reads a dataset: columns found by their header names (`date`, `f_<feature>` for every
/// feature, `net_pnl`). Errors name the line and column.
pub fn parse_dataset(text: &str) -> Result<Vec<Sample>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, head)) = lines.next() else {
        return Err("line 1: empty file; expected the header of `alphastock ml dataset`".into());
    };
    let cols: Vec<&str> = head
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(str::trim)
        .collect();
    let find = |name: &str| {
        cols.iter()
            .position(|c| *c == name)
            .ok_or_else(|| format!("line 1: no `{name}` column in the header"))
    };
    let date_col = find("date")?;
    let pnl_col = find("net_pnl")?;
    let mut feature_cols = [0usize; FEATURE_COUNT];
    for (i, f) in FEATURE_NAMES.iter().enumerate() {
        feature_cols[i] = find(&format!("f_{f}"))?;
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != cols.len() {
            return Err(format!(
                "line {n}: {} cells, the header has {}",
                cells.len(),
                cols.len()
            ));
        }
        let date = NaiveDate::from_str(cells[date_col])
            .map_err(|e| format!("line {n}, column date: `{}`: {e}", cells[date_col]))?;
        let net_pnl = Decimal::from_str(cells[pnl_col])
            .map_err(|e| format!("line {n}, column net_pnl: `{}`: {e}", cells[pnl_col]))?;
        let mut x = [f64::NAN; FEATURE_COUNT];
        for (j, &c) in feature_cols.iter().enumerate() {
            if cells[c].is_empty() {
                continue;
            }
            x[j] = cells[c]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!(
                        "line {n}, column f_{}: `{}` is not a number",
                        FEATURE_NAMES[j], cells[c]
                    )
                })?;
        }
        out.push(Sample {
            date,
            features: FeatureVector(x),
            net_pnl,
        });
    }
    Ok(out)
}

fn precision(t: &Tally) -> String {
    t.precision()
        .map_or_else(|| "-".to_string(), |p| format!("{:.1} %", p * 100.0))
}

fn tally_json(t: &Tally) -> serde_json::Value {
    json!({
        "trades": t.trades,
        "wins": t.wins,
        "precision": t.precision(),
        "net_pnl": crate::commands::backtest::number(t.net_pnl),
    })
}

fn print_text(r: &WalkForwardReport, rows: usize, days: usize) {
    println!(
        "walk-forward: {} fold(s) over {rows} trades on {days} days; each fold trains on earlier days only",
        r.folds.len()
    );
    println!(
        "{:<4} {:<23} {:>6} {:>6} | {:>6} {:>9} {:>12} | {:>6} {:>9} {:>12}",
        "fold",
        "test days",
        "train",
        "min_p",
        "trades",
        "precision",
        "net P&L",
        "kept",
        "precision",
        "net P&L"
    );
    for (i, f) in r.folds.iter().enumerate() {
        println!(
            "{:<4} {:<23} {:>6} {:>6.3} | {:>6} {:>9} {:>12} | {:>6} {:>9} {:>12}",
            i + 1,
            format!("{}..{}", f.test_from, f.test_to),
            f.train_trades,
            f.min_probability,
            f.all.trades,
            precision(&f.all),
            f.all.net_pnl.round_dp(2),
            f.kept.trades,
            precision(&f.kept),
            f.kept.net_pnl.round_dp(2)
        );
    }
    println!(
        "{:<4} {:<23} {:>6} {:>6} | {:>6} {:>9} {:>12} | {:>6} {:>9} {:>12}",
        "all",
        "",
        "",
        "",
        r.all.trades,
        precision(&r.all),
        r.all.net_pnl.round_dp(2),
        r.kept.trades,
        precision(&r.kept),
        r.kept.net_pnl.round_dp(2)
    );
    println!("{}", r.verdict);
}

/// Runs the command.
pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    if let Some(p) = args.min_probability {
        if !(0.0..=1.0).contains(&p) {
            eprintln!("error: --min-probability must be between 0 and 1, got {p}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    }
    if args.folds == 0 {
        eprintln!("error: --folds must be at least 1");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let text = std::fs::read_to_string(&args.dataset)
        .with_context(|| format!("cannot read dataset {}", args.dataset.display()))?;
    let samples = match parse_dataset(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", args.dataset.display());
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let days: std::collections::BTreeSet<NaiveDate> = samples.iter().map(|s| s.date).collect();
    if days.len() < 2 {
        eprintln!(
            "error: {}: {} trades on {} day(s); walk-forward needs at least 2 days",
            args.dataset.display(),
            samples.len(),
            days.len()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let settings = TrainSettings::default();
    let report = walk_forward_report(&samples, args.folds, settings, args.min_probability);
    let all: Vec<&Sample> = samples.iter().collect();
    let (model, threshold) = fit(&all, settings, args.min_probability);
    let mut doc = serde_json::to_value(&model).context("cannot encode the model")?;
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("min_probability".into(), json!(threshold));
        obj.insert("trained_on_trades".into(), json!(samples.len()));
        obj.insert("out_of_sample_benefit".into(), json!(report.benefit));
        obj.insert("verdict".into(), json!(report.verdict));
    }
    let body = serde_json::to_string_pretty(&doc).context("cannot encode the model")?;
    std::fs::write(&args.out, body + "\n")
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    if args.json {
        let folds: Vec<_> = report
            .folds
            .iter()
            .map(|f| {
                json!({
                    "test_from": f.test_from.to_string(),
                    "test_to": f.test_to.to_string(),
                    "train_trades": f.train_trades,
                    "min_probability": f.min_probability,
                    "all": tally_json(&f.all),
                    "kept": tally_json(&f.kept),
                })
            })
            .collect();
        println!(
            "{}",
            json!({
                "folds": folds,
                "all": tally_json(&report.all),
                "kept": tally_json(&report.kept),
                "benefit": report.benefit,
                "verdict": report.verdict,
                "model": args.out.display().to_string(),
                "min_probability": threshold,
            })
        );
    } else {
        print_text(&report, samples.len(), days.len());
        println!(
            "model written to {} (fitted on all {} trades; min_probability chosen on them: {:.3})",
            args.out.display(),
            samples.len(),
            threshold
        );
    }
    Ok(ExitCode::SUCCESS)
}
