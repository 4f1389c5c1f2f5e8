//! `alphastock backtest --config FILE --data FILE... [--options SNAPSHOTS.csv] [--from DATE]
//! [--to DATE] [--json] [--report DIR] [--sweep KEY=A..B ...]`: replays historical candles
//! through the same engine the live loop runs, with simulated fills, and reports the trades and
//! the performance metrics.
//!
//! - `--data`: one or more candle CSV files (`timestamp,symbol,open,high,low,close,volume`),
//!   any number of days and symbols; they are merged and replayed in time order.
//! - `--options`: recorded option snapshots (the option-snapshot CSV of
//!   `alphastock_core::sim::replay`, or recorded NSE chains as published, see
//!   `alphastock_core::sim::recorded_chain`); with `--options` and no `--data`, the
//!   underlying's candles are built from the snapshots' spot; without it, chains are priced from the simulated
//!   volatility surface of the config's `simulation` section at each candle's close, and the
//!   output says `option_source: simulated`.
//! - `--from`/`--to`: inclusive IST dates (`YYYY-MM-DD`) limiting the replay. The candles
//!   before `--from` are not traded: they seed the strategies' indicators (warm start), one
//!   `WARM` line per strategy symbol saying how many.
//! - Fills: by the core's `FillModel` (README "How fills are simulated"): an order meets the
//!   first quote of its contract stamped at or after its decision; entries at the ask +
//!   `broker.paper.slippage_ticks` ticks (missed beyond `broker.paper.entry_tolerance_pct`),
//!   exits at the bid − the slippage; expiring options settled at intrinsic value, MIS
//!   positions flat at the close; charges by `options_trading.charges`.
//! - Inputs are checked: a candle that repeats or goes back in time for its symbol (within a
//!   file or across `--data` files) is an error naming the file, line and timestamp (exit 2);
//!   data symbols no enabled strategy trades, and strategy symbols without data, are warned
//!   about on stderr.
//! - Chain age: with recorded snapshots, `options_trading.entry.max_chain_age_seconds` is
//!   raised to the snapshots' own cadence (the median gap between snapshots of an underlying)
//!   when that is longer, and the output says so.
//! - `options_trading.correlation_table: PATH` (optional, relative to the config file): a table
//!   written by `alphastock correlations build`, used by the `historical_correlation` target
//!   method.
//! - `--json` prints one object: `trades` (the trade list), `trade_count`, `net_pnl`,
//!   `gross_pnl`, `charges`, `win_rate` (fraction), `average_win`, `average_loss`,
//!   `profit_factor`, `expectancy`, `max_drawdown` (rupees), `max_drawdown_pct`, `sharpe`,
//!   `sortino`, `exposure` (fraction), `by_strategy`, `by_symbol`, `option_source`,
//!   `starting_capital`, `final_equity`, `open_at_end`, `candles`. Money is in rupees; undefined
//!   ratios are `null`.
//! - `--report DIR` writes `DIR/report.html`: self-contained (inline SVG, no scripts), with the
//!   equity curve, the drawdown, the metrics and the trade table.
//! - `--sweep fast_ema=3..8 slow_ema=15..30`: runs the grid (integer ranges, inclusive, or
//!   comma lists `a,b,c`) over the parameters of every enabled strategy that has those keys;
//!   each combination runs on the first 70 % of the trading days (in-sample) and separately on
//!   the rest (out-of-sample); rows are ranked by in-sample Sharpe with the out-of-sample
//!   results beside them, so overfitting shows as a gap. With `--report DIR` the sweep writes
//!   `DIR/sweep.html`: in- and out-of-sample heatmaps of the grid side by side.
//!
//! A progress bar is drawn on stderr when it is a terminal. Exit codes: 0 done; 2 invalid config,
//! arguments or data (with the line); 1 a file cannot be read or written.

mod charts;
mod html;
mod stream;
mod sweep;
mod sweep_html;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value as Json};

use alphastock_core::backtest::{BacktestConfig, BacktestReport, Backtester, Metrics, TradeRecord};
use alphastock_core::config::Config;
use alphastock_core::engine::{Engine, Event};
use alphastock_core::market::{parse_candle_rows, Candle, OptionChain, Symbol, IST};
use alphastock_core::options::CorrelationTable;
use alphastock_core::sim::recorded_chain::candles_from_chains;
use alphastock_core::sim::replay::{
    parse_option_snapshots, symbols_needing_chains, OptionSource, ReplayFeed,
};

use super::correlations::load_config_with_table;
use super::EXIT_INVALID;
use crate::runner::warm_start::{cold_line, seed_line};

/// Arguments of `alphastock backtest`.
#[derive(Debug, Clone, Args)]
pub struct BacktestArgs {
    /// The YAML config (strategies, risk, charges, simulated market).
    #[arg(long)]
    pub config: PathBuf,
    /// Candle CSV file(s), merged in time order; without it (and with --options), the
    /// underlying's candles are built from the recorded snapshots' spot.
    #[arg(long, num_args = 1.., required_unless_present = "options")]
    pub data: Vec<PathBuf>,
    /// Recorded option snapshots CSV; without it chains are simulated.
    #[arg(long)]
    pub options: Option<PathBuf>,
    /// First day to replay (IST, YYYY-MM-DD, inclusive); the bars before it are not traded
    /// but seed the strategies' indicators.
    #[arg(long, value_parser = super::parse_date)]
    pub from: Option<NaiveDate>,
    /// Last day to replay (IST, YYYY-MM-DD, inclusive).
    #[arg(long, value_parser = super::parse_date)]
    pub to: Option<NaiveDate>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write a self-contained HTML report into this directory: report.html, or sweep.html (the
    /// grid as in- and out-of-sample heatmaps) with --sweep.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Parameter grid as KEY=A..B (inclusive integers) or KEY=a,b,c (repeatable).
    #[arg(long, num_args = 1.., value_name = "KEY=RANGE")]
    pub sweep: Vec<String>,
}

/// The inputs of one backtest, loaded and checked.
pub(crate) struct Inputs {
    pub config: Config,
    /// The chain-age limit raised to the snapshots' cadence, seconds, when it was.
    pub chain_age_raised: Option<u64>,
    pub table: Option<CorrelationTable>,
    pub candles: Vec<Candle>,
    pub snapshots: Option<Vec<OptionChain>>,
    /// Candles before `--from`: they seed the strategies' indicators (warm start) and are
    /// not traded.
    pub history: Vec<Candle>,
    /// The learned models of the config's `ml` section.
    pub models: super::ml::Models,
}

/// Runs the command.
pub fn run(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    if let (Some(from), Some(to)) = (args.from, args.to) {
        if from > to {
            eprintln!("error: --from {from} is after --to {to}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    }
    let grid = match sweep::parse_grid(&args.sweep) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    if stream::applies(&args) {
        match stream::run(&args, stream::progress_counter())? {
            Err(code) => return Ok(code),
            Ok(Some((config, streamed))) => return stream::output(&args, &config, streamed),
            // A file not in time order across symbols: replay it from memory.
            Ok(None) => {}
        }
    }
    let inputs = match load_inputs(&args)? {
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
    if let Some(from) = args.from {
        print_warm_lines(&inputs.config, from, args.json, |symbol| {
            inputs
                .history
                .iter()
                .filter(|c| &c.symbol == symbol)
                .count()
        });
    }
    if !grid.is_empty() {
        return sweep::run(&inputs, &grid, args.json, args.report.as_deref());
    }
    let progress = progress_bar(inputs.candles.len() as u64, "candles");
    let report = match backtest(&inputs, &inputs.config, &inputs.candles, progress.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create report directory {}", dir.display()))?;
        let path = dir.join("report.html");
        std::fs::write(
            &path,
            html::render(&report, &inputs.candles, &inputs.config),
        )
        .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("report written to {}", path.display());
    }
    if args.json {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        match writeln!(
            out,
            "{}",
            report_json(&report, inputs.candles.len(), inputs.chain_age_raised)
        ) {
            Ok(()) => {}
            // The reader went away (e.g. `| head`): nothing more to do.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => return Err(e).context("cannot write to stdout"),
        }
    } else {
        print_text(&report, inputs.candles.len(), inputs.chain_age_raised);
        for caveat in html::caveats(&report) {
            println!("Caveat: {caveat}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints which bars before `from` seed each strategy symbol of `config`, one `WARM` line
/// each, `bars(symbol)` being how many (on stderr under `--json`, whose stdout is one JSON
/// object).
pub(crate) fn print_warm_lines(
    config: &Config,
    from: NaiveDate,
    json: bool,
    bars: impl Fn(&Symbol) -> usize,
) {
    let engine = Engine::new(config).ok();
    let symbols = engine.as_ref().map(Engine::symbols).unwrap_or_default();
    for symbol in symbols {
        let n = bars(&symbol);
        let line = if n == 0 {
            cold_line(&symbol, &format!("no bars before --from {from}"))
        } else {
            seed_line(
                &symbol,
                n,
                config.market_data_runner.candle_minutes,
                &format!("the data before --from {from}"),
            )
        };
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// Reads the config, candles and snapshots. The outer error is an I/O failure (exit 1), the
/// inner one invalid input (exit 2).
pub(crate) fn load_inputs(args: &BacktestArgs) -> anyhow::Result<Result<Inputs, String>> {
    let (config, table) = match load_config_with_table(&args.config)? {
        Ok(c) => c,
        Err(e) => return Ok(Err(e)),
    };
    let in_range = |t: &alphastock_core::market::IstTime| {
        let d = t.with_timezone(&IST).date_naive();
        args.from.is_none_or(|f| d >= f) && args.to.is_none_or(|x| d <= x)
    };
    let before_from = |t: &alphastock_core::market::IstTime| {
        args.from
            .is_some_and(|f| t.with_timezone(&IST).date_naive() < f)
    };
    let mut candles = Vec::new();
    let mut history = Vec::new();
    // (symbol, start) → (file, line) of every candle read, to refuse the same bar twice.
    let mut seen: std::collections::HashMap<
        (Symbol, chrono::DateTime<chrono::FixedOffset>),
        (usize, usize),
    > = std::collections::HashMap::new();
    for (file_index, file) in args.data.iter().enumerate() {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read candle file {}", file.display()))?;
        match parse_candle_rows(&text) {
            Ok(rows) => {
                for (line, c) in rows {
                    let key = (c.symbol.clone(), c.timestamp);
                    if let Some((other_file, other_line)) = seen.get(&key) {
                        return Ok(Err(format!(
                            "{}: line {line}: {} candle at {} is a duplicate of {} line {other_line}",
                            file.display(),
                            c.symbol,
                            c.timestamp.to_rfc3339(),
                            args.data[*other_file].display()
                        )));
                    }
                    seen.insert(key, (file_index, line));
                    if in_range(&c.timestamp) {
                        candles.push(c);
                    } else if before_from(&c.timestamp) {
                        history.push(c);
                    }
                }
            }
            Err(e) => return Ok(Err(format!("{}: {e}", file.display()))),
        }
    }
    let snapshots = match &args.options {
        None => None,
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read option snapshots {}", file.display()))?;
            match parse_option_snapshots(&text, &config.market) {
                Ok(c) => {
                    let (earlier, chains): (Vec<OptionChain>, Vec<OptionChain>) =
                        c.into_iter().partition(|c| before_from(&c.timestamp));
                    if args.data.is_empty() {
                        history =
                            candles_from_chains(&earlier, config.market_data_runner.candle_minutes);
                    }
                    Some(
                        chains
                            .into_iter()
                            .filter(|c| in_range(&c.timestamp))
                            .collect::<Vec<_>>(),
                    )
                }
                Err(e) => return Ok(Err(format!("{}: {e}", file.display()))),
            }
        }
    };
    if args.data.is_empty() {
        if let Some(chains) = &snapshots {
            candles = candles_from_chains(chains, config.market_data_runner.candle_minutes);
        }
    }
    history.sort_by_key(|c| c.timestamp);
    warn_about_symbols(&config, &candles);
    let mut config = config;
    let chain_age_raised = snapshots
        .as_deref()
        .and_then(snapshot_cadence_seconds)
        .filter(|cadence| *cadence > config.options_trading.entry.max_chain_age_seconds);
    if let Some(cadence) = chain_age_raised {
        config.options_trading.entry.max_chain_age_seconds = cadence;
    }
    let models = match super::ml::load_models(&config, &args.config) {
        Ok(m) => m,
        Err(e) if e.unreadable => return Err(anyhow::anyhow!("{e}")),
        Err(e) => return Ok(Err(e.to_string())),
    };
    Ok(Ok(Inputs {
        models,
        config,
        chain_age_raised,
        table,
        candles,
        snapshots,
        history,
    }))
}

/// The recorded snapshots' cadence: the median gap between consecutive snapshots of one
/// underlying, seconds; `None` with fewer than two snapshots.
pub(crate) fn snapshot_cadence_seconds(chains: &[OptionChain]) -> Option<u64> {
    let mut last: std::collections::HashMap<&Symbol, chrono::DateTime<chrono::FixedOffset>> =
        std::collections::HashMap::new();
    let mut gaps: Vec<i64> = Vec::new();
    for c in chains {
        if let Some(prev) = last.insert(&c.underlying, c.timestamp) {
            let gap = (c.timestamp - prev).num_seconds();
            if gap > 0 {
                gaps.push(gap);
            }
        }
    }
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_unstable();
    u64::try_from(gaps[gaps.len() / 2]).ok()
}

/// Warns (stderr) about data symbols no enabled strategy trades and strategy symbols that have
/// no data: either way those strategies make no trades, and the reader should know why.
pub(crate) fn warn_about_symbols(config: &Config, candles: &[Candle]) {
    warn_about_symbol_set(config, &candles.iter().map(|c| &c.symbol).collect());
}

/// [`warn_about_symbols`] for the set of symbols the data has.
pub(crate) fn warn_about_symbol_set(config: &Config, data: &std::collections::BTreeSet<&Symbol>) {
    let traded: std::collections::BTreeSet<&Symbol> = config
        .strategies
        .values()
        .filter(|s| s.enabled)
        .flat_map(|s| s.symbols.iter())
        .collect();
    for s in data.difference(&traded) {
        eprintln!("warning: the data has {s} candles but no enabled strategy trades {s}");
    }
    for s in traded.difference(data) {
        eprintln!("warning: strategies trade {s} but the data has no {s} candles");
    }
}

/// A progress bar on stderr when it is a terminal and the run is long enough to need one.
pub(crate) fn progress_bar(total: u64, unit: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() || total < 10_000 && unit == "candles" {
        return None;
    }
    let bar = ProgressBar::new(total);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Runs one backtest of `config` over `candles` (and the inputs' snapshots in their time
/// range).
pub(crate) fn backtest(
    inputs: &Inputs,
    config: &Config,
    candles: &[Candle],
    progress: Option<&ProgressBar>,
) -> Result<BacktestReport, String> {
    backtest_with(inputs, config, candles, progress, None).map(|(r, _)| r)
}

/// [`backtest`] with `filter` in place of the config's learned filter; returns the filter as
/// the run left it too (a recorder holds the features of every signal it saw).
pub(crate) fn backtest_with(
    inputs: &Inputs,
    config: &Config,
    candles: &[Candle],
    progress: Option<&ProgressBar>,
    filter: Option<alphastock_core::ml::SignalFilter>,
) -> Result<(BacktestReport, Option<alphastock_core::ml::SignalFilter>), String> {
    let (first, last) = match (candles.first(), candles.last()) {
        (Some(a), Some(b)) => (
            candles
                .iter()
                .map(|c| c.timestamp)
                .min()
                .unwrap_or(a.timestamp),
            candles
                .iter()
                .map(|c| c.timestamp)
                .max()
                .unwrap_or(b.timestamp),
        ),
        _ => return Err("no candles to replay".to_string()),
    };
    let snapshots = inputs.snapshots.as_ref().map(|s| {
        s.iter()
            .filter(|c| c.timestamp >= first && c.timestamp <= last + chrono::Duration::days(1))
            .cloned()
            .collect::<Vec<_>>()
    });
    let feed = ReplayFeed::new(
        candles.to_vec(),
        snapshots,
        &config.simulation,
        &config.market,
        config.market_data_runner.candle_minutes,
    )
    .only_chains_for(symbols_needing_chains(config))
    .lazy_chains();
    let mut engine = engine(config, inputs.table.as_ref(), &inputs.models, filter)?;
    engine.warm_up(&inputs.history);
    let mut bt = backtester(config, engine, feed.option_source());
    let mut seen = 0u64;
    for e in feed {
        if matches!(e, Event::Candle(_)) {
            seen += 1;
            if seen.is_multiple_of(4096) {
                if let Some(p) = progress {
                    p.set_position(seen);
                }
            }
        }
        bt.on_event(e);
    }
    let filter = bt.engine().signal_filter().cloned();
    Ok((bt.finish(), filter))
}

/// The engine of `config` with the correlation table when there is one, the config's learned
/// models, and `filter` (when given) in place of the config's learned filter; not yet warmed up.
pub(crate) fn engine(
    config: &Config,
    table: Option<&CorrelationTable>,
    models: &super::ml::Models,
    filter: Option<alphastock_core::ml::SignalFilter>,
) -> Result<Engine, String> {
    let mut engine = Engine::new(config).map_err(|e| e.to_string())?;
    if let Some(t) = table {
        engine.set_correlations(t.clone());
    }
    models.apply(&mut engine);
    if let Some(f) = filter {
        engine.set_signal_filter(f);
    }
    Ok(engine)
}

/// The backtester of `engine` with `config`'s paper-fill settings.
pub(crate) fn backtester(config: &Config, engine: Engine, source: OptionSource) -> Backtester {
    Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: config.broker.paper.slippage_ticks,
            entry_tolerance_pct: config.broker.paper.entry_tolerance_pct,
            option_source: source,
        },
    )
}

/// `recorded` or `simulated`.
pub(crate) fn source_name(s: OptionSource) -> &'static str {
    match s {
        OptionSource::Recorded => "recorded",
        OptionSource::Simulated => "simulated",
    }
}

/// A decimal as a JSON number.
pub(crate) fn number(d: Decimal) -> Json {
    d.to_f64().map_or(Json::Null, |f| json!(f))
}

fn opt_number(d: Option<Decimal>) -> Json {
    d.map_or(Json::Null, number)
}

/// `bullish` for a BUY signal, `bearish` for a SELL.
pub(crate) fn direction(t: &TradeRecord) -> &'static str {
    t.side.direction()
}

pub(crate) fn trade_json(t: &TradeRecord) -> Json {
    json!({
        "trading_symbol": t.trading_symbol,
        "underlying": t.underlying.as_str(),
        "strategy": t.strategy,
        "direction": direction(t),
        "order_side": t.order_side.code(),
        "signal_time": t.signal_time.to_rfc3339(),
        "entry_time": t.entry_time.to_rfc3339(),
        "exit_decided_at": t.exit_decided_at.to_rfc3339(),
        "exit_time": t.exit_time.to_rfc3339(),
        "quantity": t.quantity,
        "product": t.product.code(),
        "expiry": t.expiry.map(|e| e.to_string()),
        "strike": opt_number(t.strike),
        "option_type": t.option_type.map(|o| o.to_string()),
        "entry_price": number(t.entry_price),
        "exit_price": number(t.exit_price),
        "initial_stop": number(t.initial_stop),
        "initial_target": number(t.initial_target),
        "gross_pnl": number(t.gross_pnl),
        "charges": number(t.charges),
        "net_pnl": number(t.net_pnl),
        "exit_reason": t.exit_reason,
    })
}

/// The metrics as JSON fields (money as numbers of rupees).
pub(crate) fn metrics_json(m: &Metrics) -> serde_json::Map<String, Json> {
    let breakdown = |rows: &std::collections::BTreeMap<
        String,
        alphastock_core::backtest::metrics::BreakdownRow,
    >| {
        rows.iter()
            .map(|(k, r)| {
                (
                    k.clone(),
                    json!({
                        "trades": r.trades,
                        "wins": r.wins,
                        "net_pnl": number(r.net_pnl),
                        "gross_pnl": number(r.gross_pnl),
                        "win_rate": r.win_rate,
                    }),
                )
            })
            .collect::<serde_json::Map<String, Json>>()
    };
    let v = json!({
        "trade_count": m.trades,
        "wins": m.wins,
        "losses": m.losses,
        "net_pnl": number(m.net_pnl),
        "gross_pnl": number(m.gross_pnl),
        "charges": number(m.charges),
        "win_rate": m.win_rate,
        "average_win": opt_number(m.average_win),
        "average_loss": opt_number(m.average_loss),
        "profit_factor": m.profit_factor,
        "expectancy": opt_number(m.expectancy),
        "max_drawdown": number(m.max_drawdown),
        "max_drawdown_pct": m.max_drawdown_pct,
        "sharpe": m.sharpe,
        "sortino": m.sortino,
        "exposure": m.exposure,
        "by_strategy": breakdown(&m.by_strategy),
        "by_symbol": breakdown(&m.by_symbol),
    });
    match v {
        Json::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

pub(crate) fn report_json(
    r: &BacktestReport,
    candles: usize,
    chain_age_raised: Option<u64>,
) -> Json {
    let mut map = metrics_json(&r.metrics);
    map.insert(
        "trades".into(),
        Json::Array(r.trades.iter().map(trade_json).collect()),
    );
    map.insert("option_source".into(), json!(source_name(r.option_source)));
    map.insert("starting_capital".into(), number(r.starting_capital));
    map.insert(
        "final_equity".into(),
        number(
            r.equity_curve
                .last()
                .map_or(r.starting_capital, |p| p.equity),
        ),
    );
    map.insert("open_at_end".into(), json!(r.open_at_end));
    map.insert("candles".into(), json!(candles));
    map.insert("signals".into(), json!(r.signals));
    map.insert("rejections".into(), json!(r.rejections));
    map.insert("missed_entries".into(), json!(r.missed_entries));
    map.insert("missed_exits".into(), json!(r.missed_exits));
    map.insert("option_prices".into(), json!(source_name(r.option_source)));
    map.insert(
        "chain_age_limit_raised_to_seconds".into(),
        json!(chain_age_raised),
    );
    Json::Object(map)
}

/// `12.34`, or `-` when undefined.
pub(crate) fn ratio(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |v| format!("{v:.2}"))
}

pub(crate) fn print_text(r: &BacktestReport, candles: usize, chain_age_raised: Option<u64>) {
    let m = &r.metrics;
    let money = |d: Option<Decimal>| d.map_or("-".to_string(), |v| format!("{:.2}", v));
    println!(
        "Backtest: {candles} candles, {} days, options {}",
        r.daily_equity.len(),
        source_name(r.option_source)
    );
    if let Some(s) = chain_age_raised {
        println!("Chain age limit raised to {s} s: the recorded snapshots come every {s} s");
    }
    println!(
        "Signals {}, missed entries {}, missed exits {}, open at the end {}",
        r.signals, r.missed_entries, r.missed_exits, r.open_at_end
    );
    for (reason, n) in &r.rejections {
        println!("  rejected {n} x: {reason}");
    }
    println!(
        "Trades {} (won {}, lost {}), win rate {}",
        m.trades,
        m.wins,
        m.losses,
        m.win_rate
            .map_or("-".to_string(), |w| format!("{:.1} %", w * 100.0))
    );
    println!(
        "Net P&L {:.2}  gross {:.2}  charges {:.2} (rupees)",
        m.net_pnl, m.gross_pnl, m.charges
    );
    println!(
        "Average win {}  average loss {}  expectancy {}  profit factor {}",
        money(m.average_win),
        money(m.average_loss),
        money(m.expectancy),
        ratio(m.profit_factor)
    );
    println!(
        "Max drawdown {:.2} ({:.2} %)  Sharpe {}  Sortino {}  exposure {:.1} %",
        m.max_drawdown,
        m.max_drawdown_pct,
        ratio(m.sharpe),
        ratio(m.sortino),
        m.exposure * 100.0
    );
    for (name, row) in &m.by_strategy {
        println!(
            "  strategy {name}: {} trades, net {:.2}, win rate {:.1} %",
            row.trades,
            row.net_pnl,
            row.win_rate * 100.0
        );
    }
    for (name, row) in &m.by_symbol {
        println!(
            "  symbol {name}: {} trades, net {:.2}, win rate {:.1} %",
            row.trades,
            row.net_pnl,
            row.win_rate * 100.0
        );
    }
    if r.open_at_end > 0 {
        println!(
            "{} position(s) still open at the end of the data (not in the trade list)",
            r.open_at_end
        );
    }
    for t in &r.trades {
        println!("{}", trade_line(t));
    }
}

/// One trade as a line of the text output.
pub(crate) fn trade_line(t: &TradeRecord) -> String {
    format!(
            "{} signal {}  in {}  out {}  {} {} {} x{} {:.2} -> {:.2} (stop {:.2}, target {:.2})  gross {:.2}  charges {:.2}  net {:.2}  ({})",
            t.signal_time.format("%Y-%m-%d"),
            t.signal_time.format("%H:%M:%S"),
            t.entry_time.format("%H:%M:%S"),
            t.exit_time.format("%H:%M:%S"),
            direction(t),
            t.order_side.code(),
            t.trading_symbol,
            t.quantity,
            t.entry_price,
            t.exit_price,
            t.initial_stop,
            t.initial_target,
            t.gross_pnl,
            t.charges,
            t.net_pnl,
        t.exit_reason
    )
}
