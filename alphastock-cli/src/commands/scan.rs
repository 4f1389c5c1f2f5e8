//! `alphastock scan --strategy NAME [--param key=value ...] --data FILE [--json]`: runs one
//! built-in strategy over a candle CSV file and prints the signals it would have emitted.
//!
//! Every symbol in the file gets its own instance of the strategy; candles are fed in file order.
//! Text output is one line per signal; `--json` prints one JSON object per line with
//! `timestamp` (RFC 3339, IST), `symbol`, `strategy`, `side` (`BUY`/`SELL`, the signal's side on the underlying),
//! `direction` (`bullish`/`bearish`: options trade it by buying a CE or a PE), `price`,
//! `confidence`, `target`, `stop`, `expected_move_pct` and `reason`. A summary goes to stderr.
//!
//! Exit codes: 0 done (even with no signals); 2 unknown strategy, bad parameter or malformed
//! candle file (line number given); 1 the file cannot be read.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::Context;
use clap::Args;
use rust_decimal::Decimal;
use serde_json::{json, Value as Json};

use alphastock_core::market::{parse_candles, Symbol};
use alphastock_core::strategy::{
    build_strategy, MarketInput, Signal, Strategy, StrategyBuildError, StrategyParams,
};

use super::EXIT_INVALID;

/// Arguments of `alphastock scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Built-in strategy to run (ema_crossover, rsi_divergence, bollinger_reversion,
    /// price_breakout, volume_spike, iv_regime).
    #[arg(long)]
    pub strategy: String,
    /// A strategy parameter as key=value (repeatable), e.g. `--param min_confidence=0`.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Candle CSV file (`timestamp,symbol,open,high,low,close,volume`).
    #[arg(long)]
    pub data: PathBuf,
    /// One JSON object per signal per line instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses `key=value` pairs; values are read as YAML scalars (`5`, `0.8`, `true`, text).
pub fn parse_params(pairs: &[String]) -> Result<StrategyParams, String> {
    let mut out = StrategyParams::new();
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!("--param `{pair}` must be key=value"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("--param `{pair}` has an empty key"));
        }
        let value: serde_yaml::Value = serde_yaml::from_str(value.trim())
            .unwrap_or_else(|_| serde_yaml::Value::String(value.trim().to_string()));
        out.insert(key.to_string(), value);
    }
    Ok(out)
}

/// Runs the scan.
pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let params = match parse_params(&args.params) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    // Check the strategy and its parameters before touching the data.
    if let Err(e) = build_strategy(&args.strategy, &args.strategy, &params) {
        report_build_error(&args.strategy, &e);
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let text = std::fs::read_to_string(&args.data)
        .with_context(|| format!("cannot read candle file {}", args.data.display()))?;
    let candles = match parse_candles(&text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}: {e}", args.data.display());
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let mut strategies: BTreeMap<Symbol, Box<dyn Strategy>> = BTreeMap::new();
    let mut count = 0usize;
    let mut out = std::io::stdout().lock();
    for candle in &candles {
        let strategy = match strategies.get_mut(&candle.symbol) {
            Some(s) => s,
            None => {
                let s = build_strategy(&args.strategy, &args.strategy, &params)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                strategies.entry(candle.symbol.clone()).or_insert(s)
            }
        };
        if let Some(signal) = strategy.analyze(&MarketInput {
            candle,
            chain: None,
        }) {
            count += 1;
            let line = if args.json {
                signal_json(&signal).to_string()
            } else {
                signal_line(&signal)
            };
            match writeln!(out, "{line}") {
                Ok(()) => {}
                // The reader went away (e.g. `| head`): nothing more to do.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(ExitCode::SUCCESS)
                }
                Err(e) => return Err(e).context("cannot write to stdout"),
            }
        }
    }
    drop(out);
    let symbols: Vec<&str> = strategies.keys().map(Symbol::as_str).collect();
    eprintln!(
        "{count} signal(s) from {} candle(s) of {} ({})",
        candles.len(),
        symbols.join(", "),
        args.strategy
    );
    Ok(ExitCode::SUCCESS)
}

fn report_build_error(kind: &str, e: &StrategyBuildError) {
    match e {
        StrategyBuildError::UnknownStrategy { kind, known } => {
            eprintln!(
                "error: unknown strategy `{kind}`; known: {}",
                known.join(", ")
            );
        }
        StrategyBuildError::InvalidParams(problems) => {
            eprintln!("error: invalid parameters for {kind}:");
            for p in problems {
                eprintln!("--param {p}");
            }
        }
    }
}

/// A decimal as a JSON number (its exact text when it fits a double's round trip).
fn number(d: Decimal) -> Json {
    serde_json::Number::from_str(&d.normalize().to_string())
        .map(Json::Number)
        .unwrap_or_else(|_| Json::String(d.to_string()))
}

/// The JSON line for one signal.
pub fn signal_json(s: &Signal) -> Json {
    json!({
        "timestamp": s.timestamp.to_rfc3339(),
        "symbol": s.symbol.as_str(),
        "strategy": s.strategy,
        "side": s.side.code(),
        "direction": s.side.direction(),
        "price": number(s.price),
        "confidence": s.confidence,
        "target": number(s.target),
        "stop": number(s.stop),
        "expected_move_pct": (s.expected_move_pct * 1e4).round() / 1e4,
        "reason": s.reason,
    })
}

/// The text line for one signal.
pub fn signal_line(s: &Signal) -> String {
    format!(
        "{} {} {:<4} {:<7} price {} confidence {:>3} target {} stop {}  {}",
        s.timestamp.to_rfc3339(),
        s.symbol,
        s.side.code(),
        s.side.direction(),
        s.price,
        s.confidence,
        s.target,
        s.stop,
        s.reason
    )
}
