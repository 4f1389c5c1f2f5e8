//! The streamed backtest: candle files are read a line at a time and merged in replay order
//! while the engine runs, closed trades are handed on as they close (held in memory up to
//! [`SPILL_AT`], then written to an anonymous temporary file), the metrics are gathered on the
//! fly and the equity curve is thinned to [`CURVE_POINTS`] points, so memory does not grow
//! with the number of bars. The output is the same as loading everything first.
//!
//! It applies to `backtest --data ...` without `--options` or `--sweep` (those replay from
//! memory). A file whose rows go back in time across symbols (e.g. one symbol after another)
//! cannot be merged a row at a time: the command then loads every candle first, as before.
//! `--report` reads the trade list back into memory to render the trade table.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Seek, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::SyncSender;

use anyhow::Context;
use chrono::NaiveDate;
use indicatif::ProgressBar;

use alphastock_core::backtest::{BacktestReport, TradeRecord};
use alphastock_core::config::Config;
use alphastock_core::market::{Candle, CandleRowReader, IstTime, Symbol, IST};
use alphastock_core::sim::replay::{symbols_needing_chains, ReplayFeed};

use super::{backtester, BacktestArgs};
use crate::commands::correlations::load_config_with_table;
use crate::commands::EXIT_INVALID;

/// Closed trades held in memory before they are written to the temporary file.
pub(crate) const SPILL_AT: usize = 4096;

/// Most points of the equity curve kept for the HTML report's charts (about twice this at
/// most, evenly thinned; the drawdown metric sees every point).
pub(crate) const CURVE_POINTS: usize = 4096;

/// Candles per chunk handed from the reader thread to the replay.
const CHUNK: usize = 1024;

/// Chunks the reader thread may run ahead of the replay.
const CHUNKS_AHEAD: usize = 8;

/// Why the merge stopped early.
#[derive(Debug)]
enum Stop {
    /// Invalid data (exit 2), the message naming the file and line.
    Invalid(String),
    /// A file could not be read (exit 1).
    Io(anyhow::Error),
    /// A file is not in time order across symbols: replay it from memory instead.
    NotMergeable,
}

/// One candle file read a line at a time.
struct FileRows {
    path: PathBuf,
    lines: std::io::Lines<BufReader<File>>,
    reader: CandleRowReader,
    line: usize,
    /// The next row not yet taken: its line and candle.
    head: Option<(usize, Candle)>,
    /// The latest timestamp read from this file.
    latest: Option<IstTime>,
}

impl FileRows {
    /// Reads up to the next candle (`head`), or to the end of the file.
    fn advance(&mut self) -> Result<(), Stop> {
        self.head = None;
        for text in self.lines.by_ref() {
            self.line += 1;
            let text = text
                .with_context(|| format!("cannot read candle file {}", self.path.display()))
                .map_err(Stop::Io)?;
            let candle = self
                .reader
                .line(self.line, &text)
                .map_err(|e| Stop::Invalid(format!("{}: {e}", self.path.display())))?;
            if let Some(c) = candle {
                if self.latest.is_some_and(|t| c.timestamp < t) {
                    return Err(Stop::NotMergeable);
                }
                self.latest = Some(c.timestamp);
                self.head = Some((self.line, c));
                return Ok(());
            }
        }
        self.reader
            .finish()
            .map_err(|e| Stop::Invalid(format!("{}: {e}", self.path.display())))
    }
}

/// The candles of every file merged in replay order (timestamp, then symbol), checked as
/// `load_inputs` checks them (a candle repeated across files is an error naming both), and
/// limited to `--from`/`--to`. Stops at the first problem, leaving it in `stop`.
struct Merge {
    files: Vec<FileRows>,
    /// The candles of the current moment, in replay order.
    batch: std::collections::VecDeque<Candle>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    stop: Option<Stop>,
    seen: Seen,
    progress: Option<ProgressBar>,
}

/// What the merge passed on: the candle count and the symbols.
#[derive(Debug, Default)]
struct Seen {
    candles: u64,
    symbols: BTreeSet<Symbol>,
}

impl Merge {
    fn fail(&mut self, stop: Stop) {
        self.stop.get_or_insert(stop);
        self.files.clear();
    }

    /// Sends the merged candles down `tx` in chunks (on a thread of its own, so reading and
    /// checking the files overlaps the replay), then returns what it passed on and why it
    /// stopped early, if it did.
    fn pump(mut self, tx: SyncSender<Vec<Candle>>) -> (Seen, Option<Stop>) {
        let mut chunk = Vec::with_capacity(CHUNK);
        while let Some(c) = self.next() {
            chunk.push(c);
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                if tx.send(full).is_err() {
                    // The replay stopped listening.
                    return (self.seen, self.stop);
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.send(chunk);
        }
        (self.seen, self.stop)
    }

    /// Fills `batch` with the candles of the earliest moment among the files.
    fn refill(&mut self) -> Result<(), Stop> {
        while self.batch.is_empty() {
            let Some(t) = self
                .files
                .iter()
                .filter_map(|f| f.head.as_ref().map(|(_, c)| c.timestamp))
                .min()
            else {
                return Ok(());
            };
            // (symbol, file index, line, candle) of every row stamped `t`.
            let mut rows: Vec<(usize, usize, Candle)> = Vec::new();
            for (index, file) in self.files.iter_mut().enumerate() {
                while file.head.as_ref().is_some_and(|(_, c)| c.timestamp == t) {
                    if let Some((line, c)) = file.head.take() {
                        rows.push((index, line, c));
                    }
                    file.advance()?;
                }
            }
            rows.sort_by(|a, b| a.2.symbol.cmp(&b.2.symbol).then(a.0.cmp(&b.0)));
            for pair in rows.windows(2) {
                let ((fa, la, a), (fb, lb, b)) = (&pair[0], &pair[1]);
                if a.symbol == b.symbol {
                    return Err(Stop::Invalid(format!(
                        "{}: line {lb}: {} candle at {} is a duplicate of {} line {la}",
                        self.files[*fb].path.display(),
                        b.symbol,
                        b.timestamp.to_rfc3339(),
                        self.files[*fa].path.display()
                    )));
                }
            }
            let day = t.with_timezone(&IST).date_naive();
            if self.from.is_none_or(|f| day >= f) && self.to.is_none_or(|x| day <= x) {
                self.batch.extend(rows.into_iter().map(|(_, _, c)| c));
            }
        }
        Ok(())
    }
}

impl Iterator for Merge {
    type Item = Candle;

    fn next(&mut self) -> Option<Candle> {
        if self.batch.is_empty() {
            if let Err(stop) = self.refill() {
                self.fail(stop);
                return None;
            }
        }
        let candle = self.batch.pop_front()?;
        let seen = &mut self.seen;
        seen.candles += 1;
        if !seen.symbols.contains(&candle.symbol) {
            seen.symbols.insert(candle.symbol.clone());
        }
        if seen.candles.is_multiple_of(4096) {
            if let Some(p) = &self.progress {
                p.set_position(seen.candles);
            }
        }
        Some(candle)
    }
}

/// Closed trades: in memory up to [`SPILL_AT`], then in an anonymous temporary file as JSON
/// lines (the trade record's own serde form, exact for money and times).
#[derive(Default)]
pub(crate) struct TradeSpill {
    held: Vec<TradeRecord>,
    file: Option<BufWriter<File>>,
    count: usize,
}

impl TradeSpill {
    /// Takes one closed trade.
    pub(crate) fn push(&mut self, trade: TradeRecord) -> anyhow::Result<()> {
        self.count += 1;
        self.held.push(trade);
        if self.held.len() >= SPILL_AT {
            if self.file.is_none() {
                let file = tempfile::tempfile()
                    .context("cannot create a temporary file for the trade list")?;
                self.file = Some(BufWriter::new(file));
            }
            if let Some(out) = self.file.as_mut() {
                for t in self.held.drain(..) {
                    serde_json::to_writer(&mut *out, &t)
                        .context("cannot write the trade list's temporary file")?;
                    out.write_all(b"\n")
                        .context("cannot write the trade list's temporary file")?;
                }
            }
        }
        Ok(())
    }

    /// Trades taken so far.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Hands every trade, in the order taken, to `each`.
    pub(crate) fn for_each(
        self,
        mut each: impl FnMut(&TradeRecord) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        if let Some(out) = self.file {
            let mut file = out.into_inner().map_err(|e| {
                anyhow::anyhow!("cannot write the trade list's temporary file: {e}")
            })?;
            file.rewind()
                .context("cannot read the trade list's temporary file")?;
            let reader = BufReader::new(&mut file);
            for (i, line) in reader.lines().enumerate() {
                let line = line.context("cannot read the trade list's temporary file")?;
                let t: TradeRecord = serde_json::from_str(&line).with_context(|| {
                    format!(
                        "the trade list's temporary file, line {}, is damaged",
                        i + 1
                    )
                })?;
                each(&t)?;
            }
        }
        for t in &self.held {
            each(t)?;
        }
        Ok(())
    }
}

/// What a streamed run produced.
pub(crate) struct Streamed {
    pub report: BacktestReport,
    pub trades: TradeSpill,
    pub candles: u64,
}

/// Runs the streamed backtest of `args` (see the module docs): `Ok(Err(code))` when it ended
/// with an error already printed, `Ok(Ok(None))` when a file needs the in-memory path.
pub(crate) fn run(
    args: &BacktestArgs,
    progress: Option<ProgressBar>,
) -> anyhow::Result<Result<Option<(Config, Streamed)>, ExitCode>> {
    let (config, table) = match load_config_with_table(&args.config)? {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Err(ExitCode::from(EXIT_INVALID)));
        }
    };
    let mut files = Vec::with_capacity(args.data.len());
    for path in &args.data {
        let file = File::open(path)
            .with_context(|| format!("cannot read candle file {}", path.display()))?;
        let mut rows = FileRows {
            path: path.clone(),
            lines: BufReader::with_capacity(1 << 16, file).lines(),
            reader: CandleRowReader::new(),
            line: 0,
            head: None,
            latest: None,
        };
        match rows.advance() {
            Ok(()) => files.push(rows),
            Err(Stop::Invalid(message)) => {
                eprintln!("error: {message}");
                return Ok(Err(ExitCode::from(EXIT_INVALID)));
            }
            Err(Stop::Io(e)) => return Err(e),
            Err(Stop::NotMergeable) => return Ok(Ok(None)),
        }
    }
    let merge = Merge {
        files,
        batch: std::collections::VecDeque::new(),
        from: args.from,
        to: args.to,
        stop: None,
        seen: Seen::default(),
        progress,
    };
    let (tx, rx) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
    let reader = std::thread::spawn(move || merge.pump(tx));
    let candles = rx.into_iter().flatten();
    let feed = ReplayFeed::from_ordered(
        Box::new(candles),
        None,
        &config.simulation,
        &config.market,
        config.market_data_runner.candle_minutes,
    )
    .only_chains_for(symbols_needing_chains(&config));
    let mut bt = match backtester(&config, table.as_ref(), feed.option_source()) {
        Ok(b) => b.with_curve_limit(CURVE_POINTS),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Err(ExitCode::from(EXIT_INVALID)));
        }
    };
    let mut trades = TradeSpill::default();
    for event in feed {
        bt.on_event(event);
        if !bt.trades().is_empty() {
            for t in bt.drain_trades() {
                trades.push(t)?;
            }
        }
    }
    let (seen, stopped) = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the candle reader stopped unexpectedly"))?;
    match stopped {
        None => {}
        Some(Stop::Invalid(message)) => {
            eprintln!("error: {message}");
            return Ok(Err(ExitCode::from(EXIT_INVALID)));
        }
        Some(Stop::Io(e)) => return Err(e),
        Some(Stop::NotMergeable) => return Ok(Ok(None)),
    }
    let candles = seen.candles;
    super::warn_about_symbol_set(&config, &seen.symbols.iter().collect());
    if candles == 0 {
        eprintln!("error: no candles to replay (check --data, --from and --to)");
        return Ok(Err(ExitCode::from(EXIT_INVALID)));
    }
    let mut report = bt.finish();
    for t in std::mem::take(&mut report.trades) {
        trades.push(t)?;
    }
    Ok(Ok(Some((
        config,
        Streamed {
            report,
            trades,
            candles,
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

/// Prints (and writes the report of) a streamed run exactly as the in-memory path does.
pub(crate) fn output(args: &BacktestArgs, streamed: Streamed) -> anyhow::Result<ExitCode> {
    let Streamed {
        mut report,
        trades,
        candles,
    } = streamed;
    let candles = usize::try_from(candles).unwrap_or(usize::MAX);
    let Some(dir) = &args.report else {
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
        trades.for_each(|t| {
            println!("{}", super::trade_line(t));
            Ok(())
        })?;
        return Ok(ExitCode::SUCCESS);
    };
    // The trade table of the HTML report needs the list in memory.
    let mut all = Vec::with_capacity(trades.len());
    trades.for_each(|t| {
        all.push(t.clone());
        Ok(())
    })?;
    report.trades = all;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create report directory {}", dir.display()))?;
    let path = dir.join("report.html");
    std::fs::write(&path, super::html::render(&report))
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("report written to {}", path.display());
    if args.json {
        let text = super::report_json(&report, candles, None).to_string();
        let mut out = std::io::stdout().lock();
        match writeln!(out, "{text}") {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => return Err(e).context("cannot write to stdout"),
        }
    } else {
        super::print_text(&report, candles, None);
    }
    Ok(ExitCode::SUCCESS)
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
            let mut first = true;
            trades.for_each(|t| {
                if !first {
                    out.write_all(b",")?;
                }
                first = false;
                serde_json::to_writer(&mut *out, &super::trade_json(t))?;
                Ok(())
            })?;
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
    use std::path::Path;

    fn fixture(p: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
    }

    fn args(data: Vec<PathBuf>) -> BacktestArgs {
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

    fn all_trades(spill: TradeSpill) -> Vec<TradeRecord> {
        let mut out = Vec::new();
        spill
            .for_each(|t| {
                out.push(t.clone());
                Ok(())
            })
            .unwrap();
        out
    }

    /// The streamed run and the in-memory run give the same trades, metrics, curve and counts
    /// on the same data (two symbols interleaved at the same timestamps).
    #[test]
    fn streamed_and_in_memory_backtests_agree() {
        let a = args(vec![fixture("fixtures/candles/synthetic_5min.csv")]);
        let (_, streamed) = run(&a, None).unwrap().unwrap().unwrap();
        let inputs = super::super::load_inputs(&a).unwrap().unwrap();
        let memory =
            super::super::backtest(&inputs, &inputs.config, &inputs.candles, None).unwrap();
        assert_eq!(streamed.candles as usize, inputs.candles.len());
        assert_eq!(streamed.candles, 300);
        let mut report = streamed.report;
        report.trades = all_trades(streamed.trades);
        assert!(report.trades.len() >= 3, "the fixture trades");
        assert_eq!(report, memory);
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
    /// order.
    #[test]
    fn spilled_trades_come_back_unchanged() {
        let a = args(vec![fixture("fixtures/candles/synthetic_5min.csv")]);
        let (_, streamed) = run(&a, None).unwrap().unwrap().unwrap();
        let some = all_trades(streamed.trades);
        let mut spill = TradeSpill::default();
        let mut expected = Vec::new();
        for i in 0..(2 * SPILL_AT + 3) {
            let t = some[i % some.len()].clone();
            expected.push(t.clone());
            spill.push(t).unwrap();
        }
        assert!(spill.file.is_some());
        assert!(spill.held.len() < SPILL_AT);
        assert_eq!(spill.len(), expected.len());
        assert_eq!(all_trades(spill), expected);
    }
}
