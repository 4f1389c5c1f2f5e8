//! Batched writes: rows are buffered and committed together, one transaction per batch.

use anyhow::{Context, Result};
use rusqlite::{params, Transaction};

use super::rows::Row;
use super::{enum_text, ts_text, Store};
use alphastock_core::order::OrderStatus;

/// Buffers journal rows and writes them in one transaction when `batch_rows` are waiting or on
/// [`flush`](StoreWriter::flush) (the loop calls it once per tick). A crash loses at most the
/// rows pushed since the last commit; use [`push_durable`](StoreWriter::push_durable) for a row
/// that must be on disk before the program acts on it (an order about to be sent). Dropping the
/// writer flushes what is left (errors are then ignored: call `flush` to see them).
#[derive(Debug)]
pub struct StoreWriter {
    store: Store,
    batch_rows: usize,
    buffer: Vec<Row>,
}

impl StoreWriter {
    /// A writer over `store` committing every `batch_rows` rows (at least 1).
    pub fn new(store: Store, batch_rows: usize) -> Self {
        let batch_rows = batch_rows.max(1);
        Self {
            store,
            batch_rows,
            buffer: Vec::with_capacity(batch_rows.min(1024)),
        }
    }

    /// Queues a row; commits the batch when it is full.
    pub fn push(&mut self, row: Row) -> Result<()> {
        self.buffer.push(row);
        if self.buffer.len() >= self.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Queues a row and commits it with everything queued before it, before returning.
    pub fn push_durable(&mut self, row: Row) -> Result<()> {
        self.buffer.push(row);
        self.flush()
    }

    /// Rows waiting to be committed.
    pub fn pending(&self) -> usize {
        self.buffer.len()
    }

    /// Commits every queued row in one transaction. On error nothing of the batch is written and
    /// the rows stay queued.
    pub fn flush(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let tx = self
            .store
            .conn_mut()
            .transaction()
            .context("starting a journal write")?;
        for row in &self.buffer {
            write_row(&tx, row)?;
        }
        tx.commit().context("committing a journal write")?;
        self.buffer.clear();
        Ok(())
    }

    /// The store, for the recovery reads (see [`Store`]); queued rows are not visible until
    /// flushed.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

fn opt_text(v: Option<rust_decimal::Decimal>) -> Option<String> {
    v.map(|d| d.to_string())
}

fn write_row(tx: &Transaction<'_>, row: &Row) -> Result<()> {
    match row {
        Row::Quote(q) => {
            tx.prepare_cached(
                "INSERT INTO quotes (ts, symbol, ltp, open, high, low, prev_close, volume, bid, ask, oi) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                ts_text(&q.timestamp),
                q.symbol.as_str(),
                q.ltp.to_string(),
                q.open.to_string(),
                q.high.to_string(),
                q.low.to_string(),
                q.close.to_string(),
                q.volume as i64,
                opt_text(q.bid),
                opt_text(q.ask),
                q.oi.map(|v| v as i64),
            ])
            .with_context(|| format!("storing a quote of {}", q.symbol))?;
        }
        Row::Candle(c) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO candles (symbol, ts, open, high, low, close, volume) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                c.symbol.as_str(),
                ts_text(&c.timestamp),
                c.open.to_string(),
                c.high.to_string(),
                c.low.to_string(),
                c.close.to_string(),
                c.volume as i64,
            ])
            .with_context(|| format!("storing a candle of {}", c.symbol))?;
        }
        Row::OptionChain(chain) => {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO option_snapshots (ts, underlying, spot, trading_symbol, expiry, strike, \
                 option_type, premium, bid, ask, volume, oi, iv, delta, gamma, theta_per_day, vega_per_point) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?;
            let spot = chain.spot.to_string();
            for q in &chain.quotes {
                let g = q.greeks;
                stmt.execute(params![
                    ts_text(&q.timestamp),
                    chain.underlying.as_str(),
                    spot,
                    q.contract.trading_symbol,
                    q.contract.expiry.to_string(),
                    q.contract.strike.to_string(),
                    q.contract.option_type.code(),
                    q.premium.to_string(),
                    opt_text(q.bid),
                    opt_text(q.ask),
                    q.volume.map(|v| v as i64),
                    q.oi.map(|v| v as i64),
                    q.iv,
                    g.map(|g| g.delta),
                    g.map(|g| g.gamma),
                    g.map(|g| g.theta_per_day),
                    g.map(|g| g.vega_per_point),
                ])
                .with_context(|| {
                    format!(
                        "storing an option snapshot of {}",
                        q.contract.trading_symbol
                    )
                })?;
            }
        }
        Row::Signal { signal, rejected } => {
            tx.prepare_cached(
                "INSERT INTO signals (ts, underlying, strategy, side, confidence, accepted, rejection, signal) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                ts_text(&signal.timestamp),
                signal.symbol.as_str(),
                signal.strategy,
                enum_text(&signal.side),
                signal.confidence,
                rejected.is_none(),
                rejected,
                serde_json::to_string(signal).context("serializing a signal")?,
            ])
            .with_context(|| format!("storing a signal on {}", signal.symbol))?;
        }
        Row::OrderPlaced {
            request,
            purpose,
            at,
        } => {
            let at = ts_text(at);
            tx.prepare_cached(
                "INSERT OR IGNORE INTO orders (tag, order_id, trading_symbol, exchange, transaction_type, \
                 quantity, price, status, filled_quantity, request, purpose, created_at, updated_at) \
                 VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?9, ?10, ?10)",
            )?
            .execute(params![
                request.tag,
                request.trading_symbol,
                request.exchange.code(),
                enum_text(&request.transaction_type),
                request.quantity,
                opt_text(request.price),
                enum_text(&OrderStatus::Pending),
                serde_json::to_string(request).context("serializing an order")?,
                purpose
                    .as_ref()
                    .map(serde_json::to_string)
                    .transpose()
                    .context("serializing an order purpose")?,
                at,
            ])
            .with_context(|| format!("storing order {}", request.tag))?;
        }
        Row::OrderUpdate(u) => {
            let changed = tx
                .prepare_cached(
                    "UPDATE orders SET order_id = ?2, status = ?3, filled_quantity = ?4, \
                     average_price = ?5, message = ?6, updated_at = ?7 WHERE tag = ?1",
                )?
                .execute(params![
                    u.tag,
                    u.order_id,
                    enum_text(&u.status),
                    u.filled_quantity,
                    opt_text(u.average_price),
                    u.message,
                    ts_text(&u.timestamp),
                ])
                .with_context(|| format!("updating order {}", u.tag))?;
            if changed == 0 {
                // An order the journal never saw placed (e.g. found at the broker): keep what
                // is known.
                tx.prepare_cached(
                    "INSERT INTO orders (tag, order_id, trading_symbol, exchange, transaction_type, \
                     quantity, price, status, filled_quantity, average_price, message, request, \
                     purpose, created_at, updated_at) \
                     VALUES (?1, ?2, '', '', '', 0, NULL, ?3, ?4, ?5, ?6, '{}', NULL, ?7, ?7)",
                )?
                .execute(params![
                    u.tag,
                    u.order_id,
                    enum_text(&u.status),
                    u.filled_quantity,
                    opt_text(u.average_price),
                    u.message,
                    ts_text(&u.timestamp),
                ])
                .with_context(|| format!("storing unknown order {}", u.tag))?;
            }
        }
        Row::Fill(f) => {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO fills (trade_id, order_id, tag, exchange, trading_symbol, \
                 transaction_type, quantity, price, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                f.trade_id,
                f.order_id,
                f.tag,
                f.exchange.code(),
                f.trading_symbol,
                enum_text(&f.transaction_type),
                f.quantity,
                f.price.to_string(),
                ts_text(&f.timestamp),
            ])
            .with_context(|| format!("storing fill {}", f.trade_id))?;
        }
        Row::Position(p) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO positions (trading_symbol, exchange, underlying, quantity, \
                 average_price, realised_pnl, detail, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                p.trading_symbol,
                p.exchange.code(),
                p.underlying,
                p.quantity,
                p.average_price.to_string(),
                p.realised_pnl.to_string(),
                p.detail.to_string(),
                ts_text(&p.updated_at),
            ])
            .with_context(|| format!("storing position {}", p.trading_symbol))?;
        }
        Row::DailyPnl(d) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO daily_pnl (day, trades, wins, gross_pnl, charges, net_pnl, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                d.day.to_string(),
                d.trades,
                d.wins,
                d.gross_pnl.to_string(),
                d.charges.to_string(),
                d.net_pnl.to_string(),
                ts_text(&d.updated_at),
            ])
            .with_context(|| format!("storing the P&L of {}", d.day))?;
        }
        Row::Journal { at, kind, detail } => {
            tx.prepare_cached("INSERT INTO journal (ts, kind, detail) VALUES (?1, ?2, ?3)")?
                .execute(params![ts_text(at), kind, detail.to_string()])
                .with_context(|| format!("storing a `{kind}` journal entry"))?;
        }
    }
    Ok(())
}
