//! The streamed backtest: candle files are read a line at a time and merged in replay order
//! on a thread of their own while the engine runs ([`merge`]); the bars before `--from` warm
//! the strategies up as they arrive, closed trades are handed on as they close and rendered
//! on a third thread ([`spill`]: held in memory up to [`spill::SPILL_AT`], then in an
//! anonymous temporary file), the metrics are gathered on the fly and the equity curve is
//! thinned to [`CURVE_POINTS`] points, so memory does not grow with the number of bars. The
//! output is the same as loading everything first: the same engine (correlation table,
//! learned models, warm start), the same trades, metrics, text and JSON.
//!
//! It applies to `backtest --data ...` without `--options`, `--sweep` or `--report` (those
//! replay from memory; the report charts every candle). A file whose rows go back in time
//! across symbols (e.g. one symbol after another) cannot be merged a row at a time: the
//! command then loads every candle first, as before.

mod merge;
mod spill;
mod trade_row;

use std::collections::HashMap;
use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use indicatif::ProgressBar;

use alphastock_core::backtest::{BacktestReport, TradeRecord};
use alphastock_core::config::Config;
use alphastock_core::market::{Candle, Symbol};
use alphastock_core::sim::replay::{symbols_needing_chains, ReplayFeed};

use super::BacktestArgs;
use crate::commands::correlations::load_config_with_table;
use crate::commands::EXIT_INVALID;
use merge::{Chunk, FileRows, Merge, Stop};
pub(crate) use spill::{Format, TradeSpill};

/// Most points of the equity curve kept (about twice this at most, evenly thinned; the
/// drawdown metric sees every point).
pub(crate) const CURVE_POINTS: usize = 4096;

/// Chunks the reader thread may run ahead of the replay.
const CHUNKS_AHEAD: usize = 4;

/// Closed trades handed to the rendering thread at a time.
const TRADES_PER_BATCH: usize = 256;

/// Renders closed trades on a thread of its own, in the order they are sent, so the replay
/// does not wait on it.
struct Renderer {
    tx: std::sync::mpsc::SyncSender<Vec<TradeRecord>>,
    thread: std::thread::JoinHandle<anyhow::Result<TradeSpill>>,
}

impl Renderer {
    /// Starts the thread, rendering as `format`.
    fn start(format: Format) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<TradeRecord>>(CHUNKS_AHEAD);
        let thread = std::thread::spawn(move || {
            let mut trades = TradeSpill::new(format);
            for batch in rx {
                for t in &batch {
                    trades.push(t)?;
                }
            }
            Ok(trades)
        });
        Self { tx, thread }
    }

    /// Hands `trades` over; false when the thread has stopped (on an error `finish` returns).
    fn send(&self, trades: Vec<TradeRecord>) -> bool {
        trades.is_empty() || self.tx.send(trades).is_ok()
    }

    /// Waits for every trade sent to be rendered.
    fn finish(self) -> anyhow::Result<TradeSpill> {
        drop(self.tx);
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the trade list stopped unexpectedly"))?
    }
}

/// What a streamed run produced.
pub(crate) struct Streamed {
    /// The report, its trade list empty (the trades are in `trades`).
    pub report: BacktestReport,
    /// Every closed trade, in the order closed, rendered for the output.
    pub trades: TradeSpill,
    /// Candles replayed (not counting the warm-up bars before `--from`).
    pub candles: u64,
    /// Warm-up bars before `--from` read for each symbol.
    pub warm: HashMap<Symbol, usize>,
}

/// Whether `args` can be streamed: candle files only, no sweep, no report.
pub(crate) fn applies(args: &BacktestArgs) -> bool {
    args.options.is_none()
        && args.sweep.is_empty()
        && args.report.is_none()
        && !args.data.is_empty()
}

/// Runs the streamed backtest of `args` (see the module docs): `Ok(Err(code))` when it ended
/// with an error already printed, `Ok(Ok(None))` when a file needs the in-memory path.
pub(crate) fn run(
    args: &BacktestArgs,
    progress: Option<ProgressBar>,
) -> anyhow::Result<Result<Option<(Config, Streamed)>, ExitCode>> {
    let invalid = |message: &dyn std::fmt::Display| {
        eprintln!("error: {message}");
        Ok(Err(ExitCode::from(EXIT_INVALID)))
    };
    let (config, table) = match load_config_with_table(&args.config)? {
        Ok(c) => c,
        Err(e) => return invalid(&e),
    };
    let mut files = Vec::with_capacity(args.data.len());
    for path in &args.data {
        match FileRows::open(path.clone()) {
            Ok(rows) => files.push(rows),
            Err(Stop::Invalid(message)) => return invalid(&message),
            Err(Stop::Io(e)) => return Err(e),
            Err(Stop::NotMergeable) => return Ok(Ok(None)),
        }
    }
    let models = match crate::commands::ml::load_models(&config, &args.config) {
        Ok(m) => m,
        Err(e) if e.unreadable => return Err(anyhow::anyhow!("{e}")),
        Err(e) => return invalid(&e),
    };
    let mut engine = match super::engine(&config, table.as_ref(), &models, None) {
        Ok(e) => e,
        Err(e) => return invalid(&e),
    };
    let merge = Merge::new(files, args.from, args.to, progress);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(CHUNKS_AHEAD);
    let reader = std::thread::spawn(move || merge.pump(tx));
    let mut chunks = rx.into_iter();
    // The bars before --from come first: they seed the strategies, as `warm_up` of the whole
    // history does in the in-memory path.
    let mut warm: HashMap<Symbol, usize> = HashMap::new();
    let mut first: Option<Vec<Candle>> = None;
    for chunk in chunks.by_ref() {
        if !chunk.warm {
            first = Some(chunk.candles);
            break;
        }
        for c in &chunk.candles {
            *warm.entry(c.symbol.clone()).or_default() += 1;
        }
        engine.warm_up(&chunk.candles);
    }
    let candles = first.into_iter().chain(chunks.map(|c| c.candles)).flatten();
    let feed = ReplayFeed::from_ordered(
        Box::new(candles),
        None,
        &config.simulation,
        &config.market,
        config.market_data_runner.candle_minutes,
    )
    .only_chains_for(symbols_needing_chains(&config))
    .lazy_chains();
    let mut bt =
        super::backtester(&config, engine, feed.option_source()).with_curve_limit(CURVE_POINTS);
    let renderer = Renderer::start(if args.json {
        Format::Json
    } else {
        Format::Text
    });
    let mut batch = Vec::with_capacity(TRADES_PER_BATCH);
    let mut rendering = true;
    for event in feed {
        bt.on_event(event);
        if !bt.trades().is_empty() {
            batch.extend(bt.drain_trades());
            if batch.len() >= TRADES_PER_BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(TRADES_PER_BATCH));
                if !renderer.send(full) {
                    // The renderer stopped on an error, reported below.
                    rendering = false;
                    break;
                }
            }
        }
    }
    if !rendering {
        // Stops the candle reader: its channel is gone with the feed.
        let _ = reader.join();
        return Err(renderer
            .finish()
            .err()
            .unwrap_or_else(|| anyhow::anyhow!("the trade list stopped unexpectedly")));
    }
    let (seen, stopped) = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the candle reader stopped unexpectedly"))?;
    match stopped {
        None => {}
        Some(Stop::Invalid(message)) => return invalid(&message),
        Some(Stop::Io(e)) => return Err(e),
        Some(Stop::NotMergeable) => return Ok(Ok(None)),
    }
    super::warn_about_symbol_set(&config, &seen.symbols.iter().collect());
    if seen.candles == 0 {
        return invalid(&"no candles to replay (check --data, --from and --to)");
    }
    let mut report = bt.finish();
    batch.append(&mut report.trades);
    renderer.send(batch);
    let trades = renderer.finish()?;
    Ok(Ok(Some((
        config,
        Streamed {
            report,
            trades,
            candles: seen.candles,
            warm,
        },
    ))))
}

/// A counter of candles replayed on stderr when it is a terminal (the total is not known
/// before the files are read).
pub(crate) fn progress_counter() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{pos} candles ({per_sec})") {
        bar.set_style(style);
    }
    Some(bar)
}

/// Prints a streamed run exactly as the in-memory path prints the same run: the warm-start
/// lines, then the text or JSON report with every trade.
pub(crate) fn output(
    args: &BacktestArgs,
    config: &Config,
    streamed: Streamed,
) -> anyhow::Result<ExitCode> {
    let Streamed {
        report,
        trades,
        candles,
        warm,
    } = streamed;
    if let Some(from) = args.from {
        super::print_warm_lines(config, from, args.json, |s| {
            warm.get(s).copied().unwrap_or(0)
        });
    }
    let candles = usize::try_from(candles).unwrap_or(usize::MAX);
    if args.json {
        let map = match super::report_json(&report, candles, None) {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let mut out = BufWriter::new(std::io::stdout().lock());
        return match write_json(&mut out, &map, trades) {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(e) if is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
            Err(e) => Err(e).context("cannot write to stdout"),
        };
    }
    super::print_text(&report, candles, None);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = trades.write_to(&mut out).and_then(|()| {
        for caveat in super::html::caveats(&report) {
            writeln!(out, "Caveat: {caveat}")?;
        }
        out.flush()?;
        Ok(())
    });
    match written {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if is_broken_pipe(&e) => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("cannot write to stdout"),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

/// Writes `map` as one compact JSON object and a newline, with the `trades` array streamed
/// from `trades`: the same bytes as printing the whole object.
fn write_json(
    out: &mut impl Write,
    map: &serde_json::Map<String, serde_json::Value>,
    trades: TradeSpill,
) -> anyhow::Result<()> {
    let mut trades = Some(trades);
    out.write_all(b"{")?;
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":")?;
        let streamed = if key == "trades" { trades.take() } else { None };
        if let Some(trades) = streamed {
            out.write_all(b"[")?;
            trades.write_to(out)?;
            out.write_all(b"]")?;
        } else {
            serde_json::to_writer(&mut *out, value)?;
        }
    }
    out.write_all(b"}\n")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    use chrono::NaiveDate;

    use alphastock_core::ml::features::FEATURE_NAMES;
    use alphastock_core::ml::logistic::LogisticModel;

    /// A file of the repository's `fixtures` (and the like), by its path from the root.
    pub(super) fn fixture(p: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
    }

    /// Backtest arguments of the fixture config over `data`, with `--json`.
    pub(super) fn args(data: Vec<PathBuf>) -> BacktestArgs {
        BacktestArgs {
            config: fixture("fixtures/backtest.yaml"),
            data,
            options: None,
            from: None,
            to: None,
            json: true,
            report: None,
            sweep: Vec::new(),
        }
    }

    fn bytes(spill: TradeSpill) -> String {
        let mut out = Vec::new();
        spill.write_to(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// One run of `a` both ways.
    struct BothWays {
        /// The streamed report (its trades are in the JSON and text).
        streamed: BacktestReport,
        /// The in-memory report with its trades taken out (they are in the JSON and text).
        memory: BacktestReport,
        streamed_json: String,
        memory_json: String,
        /// The trade lines of the text output, streamed and in memory.
        streamed_text: String,
        memory_text: String,
    }

    /// Runs `a` streamed (JSON and text) and in memory, checking the candle and warm-up
    /// counts agree.
    fn both_ways(a: &BacktestArgs) -> BothWays {
        let inputs = super::super::load_inputs(a).unwrap().unwrap();
        let mut memory =
            super::super::backtest(&inputs, &inputs.config, &inputs.candles, None).unwrap();
        let memory_json = format!(
            "{}\n",
            super::super::report_json(&memory, inputs.candles.len(), None)
        );
        let memory_text: String = memory
            .trades
            .iter()
            .map(|t| super::super::trade_line(t) + "\n")
            .collect();
        let (_, s) = run(a, None).unwrap().unwrap().unwrap();
        assert_eq!(s.candles as usize, inputs.candles.len());
        assert_eq!(s.warm.values().sum::<usize>(), inputs.history.len());
        for (symbol, n) in &s.warm {
            let in_memory = inputs
                .history
                .iter()
                .filter(|c| &c.symbol == symbol)
                .count();
            assert_eq!(*n, in_memory, "{symbol}");
        }
        let map = match super::super::report_json(&s.report, s.candles as usize, None) {
            serde_json::Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        };
        let mut json = Vec::new();
        write_json(&mut json, &map, s.trades).unwrap();
        let text = BacktestArgs {
            json: false,
            ..a.clone()
        };
        let (_, t) = run(&text, None).unwrap().unwrap().unwrap();
        assert_eq!(t.report, s.report);
        memory.trades.clear();
        BothWays {
            streamed: s.report,
            memory,
            streamed_json: String::from_utf8(json).unwrap(),
            memory_json,
            streamed_text: bytes(t.trades),
            memory_text,
        }
    }

    impl BothWays {
        /// The same report, JSON bytes and trade lines.
        fn assert_same(&self) {
            assert_eq!(self.streamed, self.memory);
            assert_eq!(self.streamed_json, self.memory_json);
            assert_eq!(self.streamed_text, self.memory_text);
        }
    }

    /// The streamed run and the in-memory run give the same trades, metrics, curve, counts
    /// and JSON bytes on the same data (two symbols interleaved at the same timestamps).
    #[test]
    fn streamed_and_in_memory_backtests_agree() {
        let a = args(vec![fixture("fixtures/candles/synthetic_5min.csv")]);
        let r = both_ways(&a);
        assert!(r.memory.metrics.trades >= 3, "the fixture trades");
        r.assert_same();
    }

    /// More trades than one batch of the rendering thread, flipping long and short on 1-minute
    /// bars of a seeded random walk: the streamed trades come out in the same order and bytes
    /// as in memory, across batches.
    #[test]
    fn trades_rendered_in_batches_keep_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("walk.csv");
        let mut csv = String::from("timestamp,symbol,open,high,low,close,volume\n");
        let mut seed: u64 = 7;
        let mut price: i64 = 50_000; // paise
        for day in [6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24] {
            for minute in 0..375 {
                let (h, m) = (9 + (15 + minute) / 60, (15 + minute) % 60);
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let step = i64::try_from(seed >> 59).unwrap() * 5 - 75;
                let open = price;
                price = (price + step).max(1_000);
                let (high, low) = (open.max(price) + 5, open.min(price) - 5);
                let rupees = |p: i64| format!("{}.{:02}", p / 100, p % 100);
                csv.push_str(&format!(
                    "2020-01-{day:02}T{h:02}:{m:02}:00+05:30,NSE:SBIN,{},{},{},{},1000\n",
                    rupees(open),
                    rupees(high),
                    rupees(low),
                    rupees(price)
                ));
            }
        }
        std::fs::write(&data, csv).unwrap();
        let a = BacktestArgs {
            config: fixture("benches/peers/alphastock.yaml"),
            ..args(vec![data])
        };
        let r = both_ways(&a);
        assert!(
            r.memory.metrics.trades > TRADES_PER_BATCH,
            "{} trades",
            r.memory.metrics.trades
        );
        r.assert_same();
    }

    /// Writes the fixture's candles into one file per symbol (so the merge has two files)
    /// and a config with the learned filter of a hand-made model: the win probability rises
    /// with the signal's momentum, and signals below one half are dropped.
    fn split_fixture_with_filter(dir: &Path) -> (Vec<PathBuf>, PathBuf) {
        let text = std::fs::read_to_string(fixture("fixtures/candles/synthetic_5min.csv")).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        let mut files = Vec::new();
        for symbol in ["NIFTY", "BANKNIFTY"] {
            let rows: Vec<&str> = text
                .lines()
                .skip(1)
                .filter(|l| l.split(',').nth(1) == Some(symbol))
                .collect();
            let path = dir.join(format!("{symbol}.csv"));
            std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
            files.push(path);
        }
        let n = FEATURE_NAMES.len();
        let mut weights = vec![0.0; n];
        weights[n - 1] = 3.0;
        let model = LogisticModel {
            features: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
            mean: vec![0.0; n],
            scale: vec![1.0; n],
            weights,
            bias: 0.0,
        };
        std::fs::write(
            dir.join("model.json"),
            serde_json::to_string(&model).unwrap(),
        )
        .unwrap();
        let base = std::fs::read_to_string(fixture("fixtures/backtest.yaml")).unwrap();
        let config = dir.join("config.yaml");
        std::fs::write(
            &config,
            format!("{base}\nml:\n  filter: {{ model: model.json, min_probability: 0.5 }}\n"),
        )
        .unwrap();
        (files, config)
    }

    /// With the warm start (`--from`: the first day only seeds the strategies) and the learned
    /// filter, over two files merged a row at a time, the streamed run is still the in-memory
    /// run: same trades, metrics, warm-up counts and JSON bytes. Both features change the
    /// result, so the comparison would catch a streamed path that skipped either.
    #[test]
    fn streamed_run_keeps_the_warm_start_and_the_learned_filter() {
        let dir = tempfile::tempdir().unwrap();
        let (files, config) = split_fixture_with_filter(dir.path());
        let mut a = args(files.clone());
        a.config = config;
        a.from = NaiveDate::from_ymd_opt(2026, 1, 6);
        let r = both_ways(&a);
        r.assert_same();
        let filtered: u64 = r
            .memory
            .rejections
            .iter()
            .filter(|(k, _)| k.starts_with("learned filter"))
            .map(|(_, n)| *n)
            .sum();
        assert!(
            filtered > 0,
            "the filter drops signals: {:?}",
            r.memory.rejections
        );
        assert!(r.memory.metrics.trades > 0, "some signals pass the filter");

        // Without the filter, or without the warm start, the run differs.
        let mut plain = args(files.clone());
        plain.from = a.from;
        let unfiltered = both_ways(&plain);
        unfiltered.assert_same();
        assert!(!unfiltered
            .streamed
            .rejections
            .keys()
            .any(|k| k.starts_with("learned filter")));
        let mut cold = args(files);
        cold.from = a.from;
        cold.config = a.config.clone();
        let history = std::fs::read_to_string(&cold.data[0]).unwrap();
        let day_two: Vec<&str> = history
            .lines()
            .filter(|l| !l.starts_with("2026-01-05"))
            .collect();
        let cold_file = dir.path().join("cold.csv");
        std::fs::write(&cold_file, day_two.join("\n") + "\n").unwrap();
        let other = std::fs::read_to_string(&cold.data[1]).unwrap();
        let other_two: Vec<&str> = other
            .lines()
            .filter(|l| !l.starts_with("2026-01-05"))
            .collect();
        let other_file = dir.path().join("cold_other.csv");
        std::fs::write(&other_file, other_two.join("\n") + "\n").unwrap();
        cold.data = vec![cold_file, other_file];
        let unwarmed = both_ways(&cold);
        unwarmed.assert_same();
        assert_ne!(unwarmed.memory.signals, r.memory.signals);
    }

    /// A file whose rows go back in time across symbols is left to the in-memory path.
    #[test]
    fn a_file_in_symbol_blocks_is_not_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocks.csv");
        std::fs::write(
            &path,
            "timestamp,symbol,open,high,low,close,volume\n\
             2026-01-05T09:15:00+05:30,NIFTY,1,2,1,2,5\n\
             2026-01-05T09:20:00+05:30,NIFTY,1,2,1,2,5\n\
             2026-01-05T09:15:00+05:30,BANKNIFTY,1,2,1,2,5\n",
        )
        .unwrap();
        assert!(run(&args(vec![path]), None).unwrap().unwrap().is_none());
    }

    /// Trades past the in-memory limit go to the temporary file and come back unchanged, in
    /// order, in either format.
    #[test]
    fn spilled_trades_come_back_unchanged() {
        let a = args(vec![fixture("fixtures/candles/synthetic_5min.csv")]);
        let inputs = super::super::load_inputs(&a).unwrap().unwrap();
        let some = super::super::backtest(&inputs, &inputs.config, &inputs.candles, None)
            .unwrap()
            .trades;
        for format in [Format::Json, Format::Text] {
            let mut spill = TradeSpill::new(format);
            let mut expected = String::new();
            let mut i = 0;
            while spill.file.is_none() || spill.held.len() < 1000 {
                let t = &some[i % some.len()];
                match format {
                    Format::Json => {
                        if i > 0 {
                            expected.push(',');
                        }
                        expected.push_str(&super::super::trade_json(t).to_string());
                    }
                    Format::Text => {
                        expected.push_str(&super::super::trade_line(t));
                        expected.push('\n');
                    }
                }
                spill.push(t).unwrap();
                i += 1;
            }
            assert!(spill.held.len() < spill::SPILL_BYTES);
            assert_eq!(spill.len(), i);
            assert_eq!(bytes(spill), expected);
        }
    }
}
