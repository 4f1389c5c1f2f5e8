//! The one candle CSV format the product reads and writes everywhere (scan, replay, backtest).
//!
//! ```text
//! timestamp,symbol,open,high,low,close,volume
//! 2024-04-29T09:15:00+05:30,BANKNIFTY,48550.05,48620.00,48540.10,48581.25,125000
//! ```
//!
//! - `timestamp`: the bar's start, RFC 3339 with an explicit offset; it is converted to IST.
//! - `symbol`: as [`Symbol::parse`] accepts (`BANKNIFTY`, `NSE:SBIN`).
//! - `open`, `high`, `low`, `close`: rupees, plain decimals; `low ≤ open, close ≤ high`.
//! - `volume`: whole units traded in the bar.
//!
//! Rows are in strictly increasing time order per symbol; several symbols may be interleaved.
//! A row stamped at or before the previous row of its symbol is an error (a duplicate when the
//! timestamps are equal, out of order otherwise) naming both lines and the timestamp: a file
//! passed twice or written backwards must never replay as if it were data. Blank lines are
//! skipped. Every error names its 1-based line number.

use std::fmt::Write as _;
use std::str::FromStr;

use chrono::DateTime;
use rust_decimal::Decimal;
use thiserror::Error;

use super::{Candle, Symbol, IST};

mod fast;

/// The header line of a candle CSV file.
pub const CANDLE_CSV_HEADER: &str = "timestamp,symbol,open,high,low,close,volume";

/// Why a candle CSV text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CandleCsvError {
    /// The text has no header line.
    #[error("empty candle file: expected the header `{CANDLE_CSV_HEADER}`")]
    Empty,
    /// The first line is not the expected header.
    #[error("line 1: expected the header `{CANDLE_CSV_HEADER}`, got `{found}`")]
    BadHeader {
        /// The first line as found.
        found: String,
    },
    /// A row repeats or goes back in time for its symbol.
    #[error("line {line}: {symbol} candle at {timestamp} {problem} (line {previous_line} has {previous})")]
    OutOfOrder {
        /// 1-based line number of the offending row.
        line: usize,
        /// The row's symbol.
        symbol: String,
        /// The row's timestamp (RFC 3339, IST).
        timestamp: String,
        /// `is a duplicate` or `is out of time order`.
        problem: &'static str,
        /// 1-based line of the previous row of that symbol.
        previous_line: usize,
        /// That row's timestamp (RFC 3339, IST).
        previous: String,
    },
    /// A data row is malformed.
    #[error("line {line}: {reason}")]
    BadRow {
        /// 1-based line number in the text.
        line: usize,
        /// What is wrong, naming the column.
        reason: String,
    },
}

/// Parses candle CSV text (see the module docs). Stops at the first bad row.
pub fn parse_candles(text: &str) -> Result<Vec<Candle>, CandleCsvError> {
    Ok(parse_candle_rows(text)?
        .into_iter()
        .map(|(_, c)| c)
        .collect())
}

/// Parses candle CSV text like [`parse_candles`], keeping each candle's 1-based line number (so
/// a caller merging several files can name the file and line of a clash between them).
pub fn parse_candle_rows(text: &str) -> Result<Vec<(usize, Candle)>, CandleCsvError> {
    let mut reader = CandleRowReader::new();
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        if let Some(candle) = reader.line(i + 1, raw)? {
            out.push((i + 1, candle));
        }
    }
    reader.finish()?;
    Ok(out)
}

/// Reads candle CSV one line at a time with every check of [`parse_candle_rows`] (the header,
/// each row, and per symbol strictly increasing time), so a file can be streamed without
/// holding it: feed every line in order with its 1-based number to [`CandleRowReader::line`],
/// then call [`CandleRowReader::finish`]. It keeps one entry per symbol, and hands out one
/// shared [`Symbol`] per symbol (rows of a symbol seen before cost no allocation).
#[derive(Debug, Clone, Default)]
pub struct CandleRowReader {
    header_seen: bool,
    /// The index in `symbols` of each symbol's text as written in the file.
    by_text: std::collections::HashMap<Box<str>, usize>,
    /// Each symbol with its last row: line and timestamp.
    symbols: Vec<(Symbol, Option<(usize, super::IstTime)>)>,
    /// The index of the symbol of the previous row.
    previous: usize,
}

impl CandleRowReader {
    /// A reader that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes line number `line` (1-based) of the text: the candle of a data row, `None` for a
    /// blank line or the header, or the error naming the line.
    pub fn line(&mut self, line: usize, raw: &str) -> Result<Option<Candle>, CandleCsvError> {
        let row = raw.trim();
        if row.is_empty() {
            return Ok(None);
        }
        if !self.header_seen {
            let header = row.trim_start_matches('\u{feff}');
            let normalized: String = header
                .split(',')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(",");
            if normalized != CANDLE_CSV_HEADER {
                return Err(CandleCsvError::BadHeader {
                    found: clip(header),
                });
            }
            self.header_seen = true;
            return Ok(None);
        }
        let fast = fast::fields(row).and_then(|f| {
            let index = self.known(f[1])?;
            Some((fast::candle(&f, self.symbols[index].0.clone())?, index))
        });
        let (candle, index) = match fast {
            Some(found) => found,
            None => {
                let candle =
                    parse_row(row).map_err(|reason| CandleCsvError::BadRow { line, reason })?;
                let index = self.index_of(&candle.symbol);
                (candle, index)
            }
        };
        self.previous = index;
        let last = &mut self.symbols[index].1;
        if let Some((previous_line, previous)) = last {
            if candle.timestamp <= *previous {
                return Err(CandleCsvError::OutOfOrder {
                    line,
                    symbol: candle.symbol.to_string(),
                    timestamp: candle.timestamp.to_rfc3339(),
                    problem: if candle.timestamp == *previous {
                        "is a duplicate"
                    } else {
                        "is out of time order"
                    },
                    previous_line: *previous_line,
                    previous: previous.to_rfc3339(),
                });
            }
        }
        *last = Some((line, candle.timestamp));
        Ok(Some(candle))
    }

    /// The index of the symbol written `text` when a row has used that text before.
    fn known(&self, text: &str) -> Option<usize> {
        if self
            .symbols
            .get(self.previous)
            .is_some_and(|(s, _)| s.as_str() == text)
        {
            return Some(self.previous);
        }
        self.by_text.get(text).copied()
    }

    /// The index of `symbol`, added when new.
    fn index_of(&mut self, symbol: &Symbol) -> usize {
        if let Some(&i) = self.by_text.get(symbol.as_str()) {
            return i;
        }
        self.symbols.push((symbol.clone(), None));
        let i = self.symbols.len() - 1;
        self.by_text.insert(symbol.as_str().into(), i);
        i
    }

    /// After the last line: an error when the text had no header line.
    pub fn finish(&self) -> Result<(), CandleCsvError> {
        if self.header_seen {
            Ok(())
        } else {
            Err(CandleCsvError::Empty)
        }
    }
}

/// Largest price accepted in a candle, rupees (100 crore per unit: far above any NSE price),
/// so arithmetic on prices and quantities stays inside `Decimal`'s range.
pub const MAX_CANDLE_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Largest volume accepted in a candle, units.
pub const MAX_CANDLE_VOLUME: u64 = 1_000_000_000_000;
/// Longest piece of an input line quoted in an error message, characters.
const QUOTE_CHARS: usize = 60;

/// `text` as quoted in an error: at most [`QUOTE_CHARS`] characters, with `...` when cut.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(QUOTE_CHARS).collect();
    if text.chars().nth(QUOTE_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

fn parse_row(row: &str) -> Result<Candle, String> {
    let fields: Vec<&str> = row.split(',').map(str::trim).collect();
    if fields.len() != 7 {
        return Err(format!(
            "expected 7 columns ({CANDLE_CSV_HEADER}), got {}",
            fields.len()
        ));
    }
    let timestamp = DateTime::parse_from_rfc3339(fields[0])
        .map_err(|e| {
            format!(
                "timestamp `{}` is not RFC 3339 with an offset (e.g. 2024-04-29T09:15:00+05:30): {e}",
                clip(fields[0])
            )
        })?
        .with_timezone(&IST);
    let symbol = Symbol::parse(fields[1]).map_err(|e| {
        if fields[1].chars().count() > QUOTE_CHARS {
            format!("symbol `{}` is not a symbol", clip(fields[1]))
        } else {
            format!("symbol: {e}")
        }
    })?;
    let price = |name: &str, text: &str| {
        let value = Decimal::from_str(text)
            .map_err(|_| format!("{name} `{}` is not a decimal number", clip(text)))?;
        if value.abs() > MAX_CANDLE_PRICE {
            return Err(format!(
                "{name} `{}` is out of range: prices must be at most {MAX_CANDLE_PRICE} rupees",
                clip(text)
            ));
        }
        Ok(value)
    };
    let open = price("open", fields[2])?;
    let high = price("high", fields[3])?;
    let low = price("low", fields[4])?;
    let close = price("close", fields[5])?;
    let volume = fields[6]
        .parse::<u64>()
        .ok()
        .filter(|v| *v <= MAX_CANDLE_VOLUME)
        .ok_or_else(|| {
            format!(
                "volume `{}` is not a whole number of units up to {MAX_CANDLE_VOLUME}",
                clip(fields[6])
            )
        })?;
    let candle = Candle {
        symbol,
        timestamp,
        open,
        high,
        low,
        close,
        volume,
    };
    candle.validate().map_err(|e| e.to_string())?;
    Ok(candle)
}

/// Writes candles as CSV text with the header, one row per candle, timestamps in RFC 3339 with
/// the +05:30 offset. [`parse_candles`] reads it back unchanged.
pub fn write_candles(candles: &[Candle]) -> String {
    let mut out = String::with_capacity(64 * (candles.len() + 1));
    out.push_str(CANDLE_CSV_HEADER);
    out.push('\n');
    for c in candles {
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            c.timestamp.to_rfc3339(),
            c.symbol,
            c.open,
            c.high,
            c.low,
            c.close,
            c.volume
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const GOOD: &str = "timestamp,symbol,open,high,low,close,volume\n\
        2024-04-29T09:15:00+05:30,BANKNIFTY,48550.05,48620,48540.1,48581.25,125000\n\
        \n\
        2024-04-29T03:50:00Z,NSE:SBIN,820.5,822,819.95,821.4,3400\n";

    #[test]
    fn reads_rows_and_converts_times_to_ist() {
        let cs = parse_candles(GOOD).unwrap();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].symbol.as_str(), "BANKNIFTY");
        assert_eq!(cs[0].close, dec!(48581.25));
        assert_eq!(cs[0].volume, 125_000);
        assert_eq!(cs[1].timestamp.to_rfc3339(), "2024-04-29T09:20:00+05:30");
    }

    #[test]
    fn writes_what_it_reads() {
        let cs = parse_candles(GOOD).unwrap();
        let text = write_candles(&cs);
        assert!(text.starts_with(CANDLE_CSV_HEADER));
        assert!(text.contains(
            "2024-04-29T09:15:00+05:30,BANKNIFTY,48550.05,48620,48540.1,48581.25,125000"
        ));
        assert_eq!(parse_candles(&text).unwrap(), cs);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let bad = |row: &str| {
            parse_candles(&format!("{CANDLE_CSV_HEADER}\n{GOOD_ROW}\n{row}\n"))
                .unwrap_err()
                .to_string()
        };
        const GOOD_ROW: &str = "2024-04-29T09:15:00+05:30,NIFTY,1,2,1,2,5";
        assert!(bad("2024-04-29 09:20,NIFTY,1,2,1,2,5").starts_with("line 3: timestamp"));
        assert!(bad("2024-04-29T09:20:00+05:30,nifty,1,2,1,2,5").starts_with("line 3: symbol"));
        assert!(bad("2024-04-29T09:20:00+05:30,NIFTY,1,x,1,2,5").starts_with("line 3: high `x`"));
        assert!(bad("2024-04-29T09:20:00+05:30,NIFTY,1,2,1,2,-5").starts_with("line 3: volume"));
        assert!(bad("2024-04-29T09:20:00+05:30,NIFTY,1,2,1,3,5").contains("within low"));
        assert!(
            bad("2024-04-29T09:20:00+05:30,NIFTY,1,2").starts_with("line 3: expected 7 columns")
        );
        assert_eq!(parse_candles("").unwrap_err(), CandleCsvError::Empty);
        assert_eq!(
            bad("2024-04-29T09:15:00+05:30,NIFTY,1,2,1,2,5"),
            "line 3: NIFTY candle at 2024-04-29T09:15:00+05:30 is a duplicate \
             (line 2 has 2024-04-29T09:15:00+05:30)"
        );
        assert_eq!(
            bad("2024-04-29T09:10:00+05:30,NIFTY,1,2,1,2,5"),
            "line 3: NIFTY candle at 2024-04-29T09:10:00+05:30 is out of time order \
             (line 2 has 2024-04-29T09:15:00+05:30)"
        );
        // Another symbol at the same time is fine.
        assert!(parse_candles(&format!(
            "{CANDLE_CSV_HEADER}\n{GOOD_ROW}\n2024-04-29T09:15:00+05:30,BANKNIFTY,1,2,1,2,5\n"
        ))
        .is_ok());
        assert!(matches!(
            parse_candles("time,open\n").unwrap_err(),
            CandleCsvError::BadHeader { .. }
        ));
    }
}
