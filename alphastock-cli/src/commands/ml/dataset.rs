//! `alphastock ml dataset --config C --data FILE... [--options FILE] [--from D] [--to D] --out
//! FILE`: backtests the config exactly as `alphastock backtest` does (same fill model, charges
//! and data options), with the learned filter replaced by a recorder that notes the features of
//! every option signal at its decision, and writes one CSV row per closed option trade.
//!
//! Columns (header first, comma-separated, one row per trade in the order trades closed):
//!
//! | column | meaning |
//! |---|---|
//! | `date` | IST trading day of the signal (`YYYY-MM-DD`); walk-forward folds split on it |
//! | `signal_time` | the engine's clock at the decision, RFC 3339 IST |
//! | `underlying` | the signal's underlying |
//! | `strategy` | the strategy, or `a+b` when several agreed |
//! | `side` | `BUY` (bullish, a CE) or `SELL` (bearish, a PE) |
//! | `trading_symbol` | the option traded |
//! | `f_side` … `f_momentum_pct` | the 13 features of `alphastock_core::ml::features` (name prefixed `f_`), in its units; empty = unknown |
//! | `net_pnl` | the trade's P&L after charges, rupees |
//! | `win` | 1 when `net_pnl` > 0, else 0 |
//!
//! Trades of strategies that trade the underlying itself are not filtered and not written.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use alphastock_core::market::IST;
use alphastock_core::ml::{SignalFilter, FEATURE_NAMES};

use crate::commands::backtest::{backtest_with, load_inputs, BacktestArgs};
use crate::commands::EXIT_INVALID;

/// Arguments of `alphastock ml dataset`.
#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// The YAML config (strategies, risk, charges, simulated market).
    #[arg(long)]
    pub config: PathBuf,
    /// Candle CSV file(s), as for `alphastock backtest`.
    #[arg(long, num_args = 1.., required_unless_present = "options")]
    pub data: Vec<PathBuf>,
    /// Recorded option snapshots CSV; without it chains are simulated.
    #[arg(long)]
    pub options: Option<PathBuf>,
    /// First day to replay (IST, YYYY-MM-DD, inclusive).
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last day to replay (IST, YYYY-MM-DD, inclusive).
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// Where to write the dataset CSV.
    #[arg(long)]
    pub out: PathBuf,
}

/// The dataset's header line (without the newline).
pub fn header() -> String {
    let mut h = String::from("date,signal_time,underlying,strategy,side,trading_symbol");
    for f in FEATURE_NAMES {
        h.push_str(",f_");
        h.push_str(f);
    }
    h.push_str(",net_pnl,win");
    h
}

/// Runs the command.
pub fn run(args: DatasetArgs) -> anyhow::Result<ExitCode> {
    let bt_args = BacktestArgs {
        config: args.config.clone(),
        data: args.data.clone(),
        options: args.options.clone(),
        from: args.from,
        to: args.to,
        json: false,
        report: None,
        sweep: Vec::new(),
    };
    let inputs = match load_inputs(&bt_args)? {
        Ok(i) => i,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    if inputs.candles.is_empty() {
        eprintln!("error: no candles to replay (check --data, --from and --to)");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let (report, filter) = match backtest_with(
        &inputs,
        &inputs.config,
        &inputs.candles,
        None,
        Some(SignalFilter::recorder()),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let seen: BTreeMap<_, _> = filter
        .as_ref()
        .map(|f| f.seen())
        .unwrap_or(&[])
        .iter()
        .map(|s| ((s.underlying.clone(), s.side, s.decided_at), s.features))
        .collect();
    let mut text = header();
    text.push('\n');
    let (mut rows, mut wins, mut skipped) = (0usize, 0usize, 0usize);
    let mut days = std::collections::BTreeSet::new();
    for t in &report.trades {
        if t.option_type.is_none() {
            continue;
        }
        let Some(features) = seen.get(&(t.underlying.clone(), t.side, t.signal_time)) else {
            skipped += 1;
            continue;
        };
        let date = t.signal_time.with_timezone(&IST).date_naive();
        days.insert(date);
        let win = t.net_pnl > rust_decimal::Decimal::ZERO;
        let _ = write!(
            text,
            "{date},{},{},{},{},{}",
            t.signal_time.to_rfc3339(),
            t.underlying,
            t.strategy,
            t.side.code(),
            t.trading_symbol
        );
        for v in features.0 {
            text.push(',');
            if v.is_finite() {
                let _ = write!(text, "{v}");
            }
        }
        let _ = writeln!(text, ",{},{}", t.net_pnl, u8::from(win));
        rows += 1;
        wins += usize::from(win);
    }
    std::fs::write(&args.out, text)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "{}: {rows} trades on {} days ({wins} wins), {} signals seen, option source {}",
        args.out.display(),
        days.len(),
        filter.as_ref().map_or(0, |f| f.seen().len()),
        crate::commands::backtest::source_name(report.option_source)
    );
    if skipped > 0 {
        eprintln!("warning: {skipped} option trades had no recorded signal and were left out");
    }
    Ok(ExitCode::SUCCESS)
}
