//! The candle files of a streamed backtest read a line at a time and merged in replay order
//! (timestamp, then symbol) on a thread of their own, with every check `load_inputs` makes:
//! each file's rows by [`CandleRowReader`], and a candle repeated across files named with both
//! files and lines. The bars before `--from` come first, marked as warm-up bars, in the order
//! the in-memory path hands them to the engine (time, then file, then line); the bars after
//! `--to` are read and checked but not passed on.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::mpsc::SyncSender;

use anyhow::Context;
use chrono::NaiveDate;
use indicatif::ProgressBar;

use alphastock_core::market::{Candle, CandleRowReader, IstTime, Symbol, IST};

/// Candles per chunk handed from the reader thread to the replay.
const CHUNK: usize = 4096;

/// Bytes read from a candle file at a time.
const READ_BUFFER: usize = 1 << 16;

/// Why the merge stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// Invalid data (exit 2), the message naming the file and line.
    Invalid(String),
    /// A file could not be read (exit 1).
    Io(anyhow::Error),
    /// A file is not in time order across symbols: replay it from memory instead.
    NotMergeable,
}

/// A run of merged candles: all bars before `--from` (`warm`, to seed the strategies) or all
/// bars to replay.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// The candles are before `--from`: they warm the strategies up and are not traded.
    pub warm: bool,
    /// The candles, in replay order.
    pub candles: Vec<Candle>,
}

/// What the merge passed on for replay: the candle count and the symbols.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// Candles passed on for replay (not counting warm-up bars).
    pub candles: u64,
    /// The symbols of those candles.
    pub symbols: BTreeSet<Symbol>,
}

/// One candle file read a line at a time.
pub(crate) struct FileRows {
    path: PathBuf,
    input: BufReader<File>,
    /// The line being read, reused.
    buffer: Vec<u8>,
    reader: CandleRowReader,
    line: usize,
    /// The next row not yet taken: its line and candle.
    head: Option<(usize, Candle)>,
    /// The latest timestamp read from this file.
    latest: Option<IstTime>,
}

impl FileRows {
    /// Opens `path` and reads up to its first candle.
    pub(crate) fn open(path: PathBuf) -> Result<Self, Stop> {
        let file = File::open(&path)
            .with_context(|| format!("cannot read candle file {}", path.display()))
            .map_err(Stop::Io)?;
        let mut rows = FileRows {
            path,
            input: BufReader::with_capacity(READ_BUFFER, file),
            buffer: Vec::with_capacity(128),
            reader: CandleRowReader::new(),
            line: 0,
            head: None,
            latest: None,
        };
        rows.advance()?;
        Ok(rows)
    }

    /// Reads up to the next candle (`head`), or to the end of the file.
    fn advance(&mut self) -> Result<(), Stop> {
        self.head = None;
        loop {
            self.buffer.clear();
            let n = self
                .input
                .read_until(b'\n', &mut self.buffer)
                .with_context(|| format!("cannot read candle file {}", self.path.display()))
                .map_err(Stop::Io)?;
            if n == 0 {
                break;
            }
            self.line += 1;
            let text = std::str::from_utf8(&self.buffer)
                .map_err(|_| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "stream did not contain valid UTF-8",
                    )
                })
                .with_context(|| format!("cannot read candle file {}", self.path.display()))
                .map_err(Stop::Io)?;
            let candle = self
                .reader
                .line(self.line, text)
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

/// The merge of every file's rows, stopping at the first problem.
pub(crate) struct Merge {
    files: Vec<FileRows>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// The rows of the current moment: file index, line, candle (reused).
    rows: Vec<(usize, usize, Candle)>,
    seen: Seen,
    progress: Option<ProgressBar>,
}

impl Merge {
    /// The merge of `files` (each opened with [`FileRows::open`]) limited to `from`..=`to`
    /// (IST dates), bars before `from` passed on as warm-up bars.
    pub(crate) fn new(
        files: Vec<FileRows>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        progress: Option<ProgressBar>,
    ) -> Self {
        Self {
            files,
            from,
            to,
            rows: Vec::new(),
            seen: Seen::default(),
            progress,
        }
    }

    /// Sends the merged candles down `tx` in chunks (run it on a thread of its own, so reading
    /// and checking the files overlaps the replay), then returns what it passed on for replay
    /// and why it stopped early, if it did.
    pub(crate) fn pump(mut self, tx: SyncSender<Chunk>) -> (Seen, Option<Stop>) {
        let mut chunk = Chunk {
            warm: true,
            candles: Vec::with_capacity(CHUNK),
        };
        loop {
            let warm = match self.next_moment() {
                Ok(Some(warm)) => warm,
                Ok(None) => break,
                Err(stop) => {
                    if !chunk.candles.is_empty() {
                        let _ = tx.send(chunk);
                    }
                    return (self.seen, Some(stop));
                }
            };
            if warm != chunk.warm || chunk.candles.len() >= CHUNK {
                let next = Chunk {
                    warm,
                    candles: Vec::with_capacity(CHUNK),
                };
                let full = std::mem::replace(&mut chunk, next);
                if !full.candles.is_empty() && tx.send(full).is_err() {
                    // The replay stopped listening.
                    return (self.seen, None);
                }
            }
            if !warm {
                self.count_replayed();
            }
            chunk.candles.extend(self.rows.drain(..).map(|(_, _, c)| c));
        }
        if !chunk.candles.is_empty() {
            let _ = tx.send(chunk);
        }
        (self.seen, None)
    }

    /// Counts the candles of the current moment as replayed.
    fn count_replayed(&mut self) {
        let before = self.seen.candles;
        self.seen.candles += self.rows.len() as u64;
        for (_, _, c) in &self.rows {
            if !self.seen.symbols.contains(&c.symbol) {
                self.seen.symbols.insert(c.symbol.clone());
            }
        }
        if let Some(p) = &self.progress {
            if before / 4096 != self.seen.candles / 4096 {
                p.set_position(self.seen.candles);
            }
        }
    }

    /// Takes the rows of the earliest moment among the files into `rows`, in the order they
    /// are passed on: `Some(true)` for warm-up bars, `Some(false)` for bars to replay, `None`
    /// at the end of every file. Moments after `--to` are checked and skipped.
    fn next_moment(&mut self) -> Result<Option<bool>, Stop> {
        loop {
            self.rows.clear();
            let Some(t) = self
                .files
                .iter()
                .filter_map(|f| f.head.as_ref().map(|(_, c)| c.timestamp))
                .min()
            else {
                return Ok(None);
            };
            for (index, file) in self.files.iter_mut().enumerate() {
                while file.head.as_ref().is_some_and(|(_, c)| c.timestamp == t) {
                    if let Some((line, c)) = file.head.take() {
                        self.rows.push((index, line, c));
                    }
                    file.advance()?;
                }
            }
            if self.rows.len() > 1 {
                self.rows
                    .sort_by(|a, b| a.2.symbol.cmp(&b.2.symbol).then(a.0.cmp(&b.0)));
                self.refuse_duplicates()?;
            }
            let day = t.with_timezone(&IST).date_naive();
            if self.from.is_some_and(|f| day < f) {
                // Warm-up bars go to the engine as the in-memory path hands them: by file,
                // then line.
                self.rows.sort_by_key(|(file, line, _)| (*file, *line));
                return Ok(Some(true));
            }
            if self.to.is_none_or(|x| day <= x) {
                return Ok(Some(false));
            }
        }
    }

    /// An error naming both files and lines when two rows of the moment (sorted by symbol)
    /// are the same symbol's.
    fn refuse_duplicates(&self) -> Result<(), Stop> {
        for pair in self.rows.windows(2) {
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
        Ok(())
    }
}
