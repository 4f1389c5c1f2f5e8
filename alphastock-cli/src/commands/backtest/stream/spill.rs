//! Closed trades of a streamed backtest: held in memory up to [`SPILL_AT`], then written to an
//! anonymous temporary file, so a run of any length holds a bounded number of them.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};

use anyhow::Context;

use alphastock_core::backtest::TradeRecord;

/// Closed trades held in memory before they are written to the temporary file.
pub(crate) const SPILL_AT: usize = 4096;

/// Closed trades: in memory up to [`SPILL_AT`], then in an anonymous temporary file as JSON
/// lines (the trade record's own serde form, exact for money and times).
#[derive(Default)]
pub(crate) struct TradeSpill {
    pub(super) held: Vec<TradeRecord>,
    pub(super) file: Option<BufWriter<File>>,
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
    #[cfg(test)]
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
