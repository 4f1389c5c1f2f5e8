//! Closed trades of a streamed backtest, rendered as they close into the bytes the output
//! prints (JSON objects separated by commas for `--json`, else one text line each): held in
//! memory up to [`SPILL_BYTES`], then appended to an anonymous temporary file, so a run of any
//! length holds a bounded amount of them and prints them by copying bytes.

use std::fs::File;
use std::io::{BufWriter, Seek, Write};

use anyhow::Context;

use alphastock_core::backtest::TradeRecord;

/// Rendered trades held in memory before they are written to the temporary file, bytes.
pub(crate) const SPILL_BYTES: usize = 1 << 20;

/// How the trades are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// The elements of the `trades` array of `--json`, comma-separated.
    Json,
    /// The text output's trade lines, each ending in a newline.
    Text,
}

/// Closed trades, rendered: in memory up to [`SPILL_BYTES`], then in an anonymous temporary
/// file.
pub(crate) struct TradeSpill {
    format: Format,
    pub(super) held: Vec<u8>,
    pub(super) file: Option<BufWriter<File>>,
    count: usize,
}

impl TradeSpill {
    /// An empty list rendered as `format`.
    pub(crate) fn new(format: Format) -> Self {
        Self {
            format,
            held: Vec::new(),
            file: None,
            count: 0,
        }
    }

    /// Takes one closed trade.
    pub(crate) fn push(&mut self, trade: &TradeRecord) -> anyhow::Result<()> {
        match self.format {
            Format::Json => {
                if self.count > 0 {
                    self.held.push(b',');
                }
                super::trade_row::write_json(&mut self.held, trade)
                    .context("cannot render a trade as JSON")?;
            }
            Format::Text => {
                self.held
                    .extend_from_slice(super::super::trade_line(trade).as_bytes());
                self.held.push(b'\n');
            }
        }
        self.count += 1;
        if self.held.len() >= SPILL_BYTES {
            if self.file.is_none() {
                let file = tempfile::tempfile()
                    .context("cannot create a temporary file for the trade list")?;
                self.file = Some(BufWriter::new(file));
            }
            if let Some(out) = self.file.as_mut() {
                out.write_all(&self.held)
                    .context("cannot write the trade list's temporary file")?;
            }
            self.held.clear();
        }
        Ok(())
    }

    /// Trades taken so far.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Writes every trade, in the order taken, to `out`.
    pub(crate) fn write_to(self, out: &mut impl Write) -> anyhow::Result<()> {
        if let Some(spilled) = self.file {
            let mut file = spilled.into_inner().map_err(|e| {
                anyhow::anyhow!("cannot write the trade list's temporary file: {e}")
            })?;
            file.rewind()
                .context("cannot read the trade list's temporary file")?;
            std::io::copy(&mut file, out)?;
        }
        out.write_all(&self.held)?;
        Ok(())
    }
}
