//! `alphastock ml evaluate-pricing --chains FILE... [--horizon-minutes M] [--holdout F]
//! [--out option_move.json] [--json]`: fits the option-move model
//! (`alphastock_core::ml::option_move`) on recorded NSE chains (the format of
//! `alphastock_core::sim::recorded_chain`: one chain per snapshot, its nearest expiry) and
//! reports its out-of-sample error beside `delta_based`, `reprice` and
//! `historical_correlation`.
//!
//! - **Pairs**: every contract quoted in a snapshot and again in the first snapshot at least
//!   `M` minutes later (at most `M` + 5 minutes later, same expiry) is one pair: start spot,
//!   strike, days to expiry, IV, premium; end spot and premium. The premium is the mid of bid
//!   and ask when both are published, else the recorded premium. Only strikes within 3 % of
//!   spot, with an IV and a start premium of at least 1 rupee, and a non-zero spot move.
//! - **Held back**: in each file (one trading day), the last `F` (default 0.3) of the
//!   snapshots' time span; pairs starting in it are the test set, pairs ending before it the
//!   training set (none straddles). The model and the `historical_correlation` table are fitted
//!   on the training pairs of all files together.
//! - **Error**: each method predicts the end premium from the start state and the end spot
//!   (the unrounded level of `OptionsPricingEngine::unrounded`, IV held at its start value,
//!   holding time = the pair's minutes); reported as mean absolute and root-mean-square error,
//!   rupees, per file and overall, with "unchanged" (the start premium) as the floor to beat.
//! - `--out` writes the fitted model (JSON) for `ml.option_move_model` and the `learned`
//!   target method.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Duration;
use clap::Args;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::json;

use alphastock_core::config::MarketConfig;
use alphastock_core::market::{OptionChain, OptionQuote};
use alphastock_core::ml::{MovePair, OptionMoveModel};
use alphastock_core::options::correlation::MovePair as CorrelationPair;
use alphastock_core::options::{
    days_to_expiry, CorrelationTable, OptionsPricingEngine, PricingInput, TargetMethod,
};
use alphastock_core::sim::recorded_chain::parse_recorded_chains;

use crate::commands::EXIT_INVALID;

/// Arguments of `alphastock ml evaluate-pricing`.
#[derive(Debug, Args)]
pub struct EvaluatePricingArgs {
    /// Recorded chain CSV file(s), one trading day each.
    #[arg(long, num_args = 1.., required = true)]
    pub chains: Vec<PathBuf>,
    /// Minutes between the two snapshots of a pair.
    #[arg(long, default_value_t = 15)]
    pub horizon_minutes: u32,
    /// Fraction (0–1) of each day's snapshot time span held back for testing, at its end.
    #[arg(long, default_value_t = 0.3)]
    pub holdout: f64,
    /// Write the fitted model (JSON) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The methods compared, in report order ("unchanged" first).
const METHODS: [&str; 5] = [
    "unchanged",
    "delta_based",
    "reprice",
    "historical_correlation",
    "learned",
];

/// Sums of absolute and squared errors, rupees.
#[derive(Debug, Clone, Copy, Default)]
struct Errors {
    n: usize,
    abs: f64,
    sq: f64,
}

impl Errors {
    fn add(&mut self, e: f64) {
        self.n += 1;
        self.abs += e.abs();
        self.sq += e * e;
    }
    fn mae(&self) -> Option<f64> {
        (self.n > 0).then(|| self.abs / self.n as f64)
    }
    fn rmse(&self) -> Option<f64> {
        (self.n > 0).then(|| (self.sq / self.n as f64).sqrt())
    }
}

/// One pair with its file and whether it is held back.
struct Labelled {
    file: usize,
    test: bool,
    pair: MovePair,
}

fn price(q: &OptionQuote) -> Option<f64> {
    let p = match (q.bid, q.ask) {
        (Some(b), Some(a)) if b > Decimal::ZERO && a >= b => (b + a) / Decimal::TWO,
        _ => q.premium,
    };
    p.to_f64().filter(|p| *p > 0.0)
}

/// The pairs of one day's chains (see the module docs).
fn pairs_of(chains: &[OptionChain], horizon: Duration, holdout: f64, file: usize) -> Vec<Labelled> {
    let (Some(first), Some(last)) = (chains.first(), chains.last()) else {
        return Vec::new();
    };
    let span = (last.timestamp - first.timestamp).num_seconds() as f64;
    let cut = first.timestamp + Duration::seconds((span * (1.0 - holdout)) as i64);
    let mut out = Vec::new();
    for (i, a) in chains.iter().enumerate() {
        let Some(b) = chains[i + 1..]
            .iter()
            .find(|b| b.timestamp >= a.timestamp + horizon)
        else {
            continue;
        };
        if b.timestamp > a.timestamp + horizon + Duration::minutes(5) || b.expiry != a.expiry {
            continue;
        }
        let test = a.timestamp >= cut;
        if !test && b.timestamp > cut {
            continue;
        }
        let (Some(s0), Some(s1)) = (a.spot.to_f64(), b.spot.to_f64()) else {
            continue;
        };
        if s0 <= 0.0 || s1 == s0 {
            continue;
        }
        let days = days_to_expiry(a.timestamp, a.expiry);
        let minutes = (b.timestamp - a.timestamp).num_seconds() as f64 / 60.0;
        for q in &a.quotes {
            let Some(k) = q.contract.strike.to_f64() else {
                continue;
            };
            let Some(iv) = q.iv.filter(|v| v.is_finite() && *v > 0.0) else {
                continue;
            };
            if (k / s0 - 1.0).abs() > 0.03 {
                continue;
            }
            let Some(q2) = b.by_trading_symbol(&q.contract.trading_symbol) else {
                continue;
            };
            let (Some(p0), Some(p1)) = (price(q), price(q2)) else {
                continue;
            };
            if p0 < 1.0 {
                continue;
            }
            out.push(Labelled {
                file,
                test,
                pair: MovePair {
                    option_type: q.contract.option_type,
                    strike: k,
                    spot: s0,
                    days_to_expiry: days,
                    iv,
                    premium: p0,
                    new_spot: s1,
                    new_premium: p1,
                    minutes,
                },
            });
        }
    }
    out
}

/// The end premium `method` predicts for `p`, rupees.
fn predict(engine: &OptionsPricingEngine, method: &str, p: &MovePair) -> Option<f64> {
    if method == "unchanged" {
        return Some(p.premium);
    }
    let m: TargetMethod = method.parse().ok()?;
    let d = p.option_type.sign();
    let favourable = d * (p.new_spot - p.spot) > 0.0;
    let mirror = 2.0 * p.spot - p.new_spot;
    let (target, stop) = if favourable {
        (p.new_spot, mirror)
    } else {
        (mirror, p.new_spot)
    };
    let dec = |v: f64| Decimal::from_f64_retain(v).map(|d| d.round_dp(6));
    let mut input = PricingInput::new(
        p.option_type,
        dec(p.spot)?,
        dec(target)?,
        dec(stop)?,
        dec(p.premium)?,
    );
    input.strike = dec(p.strike);
    input.days_to_expiry = Some(p.days_to_expiry);
    input.iv = Some(p.iv);
    input.holding_minutes = p.minutes;
    let (t, s) = engine.unrounded(m, &input).ok()?;
    Some(if favourable { t } else { s })
}

/// Runs the command.
pub fn run(args: EvaluatePricingArgs) -> anyhow::Result<ExitCode> {
    if !(args.holdout > 0.0 && args.holdout < 1.0) {
        eprintln!(
            "error: --holdout must be a fraction between 0 and 1, got {}",
            args.holdout
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    if args.horizon_minutes == 0 {
        eprintln!("error: --horizon-minutes must be at least 1");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let horizon = Duration::minutes(i64::from(args.horizon_minutes));
    let market = MarketConfig::default();
    let mut pairs = Vec::new();
    for (i, file) in args.chains.iter().enumerate() {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read chain file {}", file.display()))?;
        let chains = match parse_recorded_chains(&text, &market) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {}: {e}", file.display());
                return Ok(ExitCode::from(EXIT_INVALID));
            }
        };
        pairs.extend(pairs_of(&chains, horizon, args.holdout, i));
    }
    let train: Vec<MovePair> = pairs.iter().filter(|l| !l.test).map(|l| l.pair).collect();
    let Some(model) = OptionMoveModel::fit(&train) else {
        eprintln!(
            "error: {} training pairs are too few to fit the option-move model",
            train.len()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    };
    let table = CorrelationTable::fit(
        &train
            .iter()
            .map(|p| CorrelationPair {
                option_type: p.option_type,
                moneyness_pct: p.strike / p.spot * 100.0,
                days_to_expiry: p.days_to_expiry,
                underlying_move_pct: (p.new_spot / p.spot - 1.0) * 100.0,
                option_move_pct: (p.new_premium / p.premium - 1.0) * 100.0,
                iv: Some(p.iv),
            })
            .collect::<Vec<_>>(),
    );
    let mut engine = OptionsPricingEngine::new(table);
    engine.option_move = Some(model.clone());
    // errors[file][method]; the last row is every file.
    let files = args.chains.len();
    let mut errors = vec![[Errors::default(); METHODS.len()]; files + 1];
    let mut counts = vec![(0usize, 0usize); files + 1];
    for l in &pairs {
        let c = &mut counts[l.file];
        if l.test {
            c.1 += 1;
        } else {
            c.0 += 1;
        }
        if !l.test {
            continue;
        }
        // A pair counts only when every method can price it, so all are judged on the same set.
        let preds: Option<Vec<f64>> = METHODS
            .iter()
            .map(|m| predict(&engine, m, &l.pair))
            .collect();
        let Some(preds) = preds else {
            continue;
        };
        for (j, p) in preds.iter().enumerate() {
            let e = p - l.pair.new_premium;
            errors[l.file][j].add(e);
            errors[files][j].add(e);
        }
    }
    counts[files] = counts[..files]
        .iter()
        .fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
    if let Some(out) = &args.out {
        let body = serde_json::to_string_pretty(&model).context("cannot encode the model")?;
        std::fs::write(out, body + "\n")
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    let name = |i: usize| {
        if i == files {
            "all".to_string()
        } else {
            args.chains[i].file_name().map_or_else(
                || args.chains[i].display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        }
    };
    if args.json {
        let rows: Vec<_> = (0..=files)
            .map(|i| {
                let methods: serde_json::Map<String, serde_json::Value> = METHODS
                    .iter()
                    .enumerate()
                    .map(|(j, m)| {
                        (
                            m.to_string(),
                            json!({"mae": errors[i][j].mae(), "rmse": errors[i][j].rmse(), "pairs": errors[i][j].n}),
                        )
                    })
                    .collect();
                json!({"file": name(i), "train_pairs": counts[i].0, "test_pairs": counts[i].1, "methods": methods})
            })
            .collect();
        println!(
            "{}",
            json!({"horizon_minutes": args.horizon_minutes, "holdout": args.holdout, "results": rows, "model": model})
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "option-move model fitted on {} training pairs ({}-minute moves; the last {:.0} % of each day held back)",
        model.samples,
        args.horizon_minutes,
        args.holdout * 100.0
    );
    for i in 0..=files {
        println!(
            "{}: {} training pairs, {} held-back pairs; error of the predicted premium, rupees (MAE / RMSE):",
            name(i),
            counts[i].0,
            counts[i].1
        );
        for (j, m) in METHODS.iter().enumerate() {
            let e = &errors[i][j];
            match (e.mae(), e.rmse()) {
                (Some(a), Some(r)) => println!("  {m:<24} {a:>9.2} {r:>9.2}   ({} pairs)", e.n),
                _ => println!("  {m:<24} {:>9} {:>9}   (0 pairs)", "-", "-"),
            }
        }
    }
    if let Some(out) = &args.out {
        println!("model written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
