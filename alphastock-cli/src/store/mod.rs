//! Persistent history and journal in an embedded SQLite file (default `alphastock.db`): quotes,
//! candles, option snapshots, signals (accepted and rejected), orders, fills, positions, daily
//! P&L and a free-form journal, so a restart resumes and reconciles instead of duplicating
//! orders.
//!
//! [`Store`] opens the file (WAL mode, schema migrations) and answers the recovery reads;
//! [`StoreWriter`] buffers rows and writes them in one transaction per batch, so the loop pays
//! for one commit per tick at most. Duplicate order tags and trade ids are ignored, not stored
//! twice.

mod reads;
mod rows;
mod schema;
mod writer;

use std::path::Path;
use std::str::FromStr;

use alphastock_core::engine::TagGenerator;
use alphastock_core::market::{Exchange, IstTime, IST};
use alphastock_core::order::{Fill, OrderRequest, OrderStatus, TransactionType};
use anyhow::{anyhow, Context, Result};
use chrono::{DateTime, Datelike, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension, Row as SqlRow};
use rust_decimal::Decimal;

pub use reads::SignalRow;
pub use rows::{DailyPnlRow, PositionRow, Row, SnapshotRow, StoredOrder};
pub use schema::SCHEMA_VERSION;
pub use writer::StoreWriter;

/// The default journal file name.
pub const DEFAULT_DB_FILE: &str = "alphastock.db";

/// An open journal database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

pub(crate) fn ts_text(t: &IstTime) -> String {
    t.with_timezone(&IST).to_rfc3339()
}

fn parse_ts(text: &str, what: &str) -> Result<IstTime> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&IST))
        .with_context(|| format!("stored {what} timestamp `{text}` is not RFC 3339"))
}

fn parse_dec(text: &str, what: &str) -> Result<Decimal> {
    Decimal::from_str(text).with_context(|| format!("stored {what} `{text}` is not a decimal"))
}

/// The serde name of a unit enum variant (e.g. `OrderStatus::Open` → `OPEN`).
pub(crate) fn enum_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn enum_from<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .with_context(|| format!("stored {what} `{text}` is not known"))
}

/// Statuses of orders still working at the broker, as stored.
fn open_statuses() -> [String; 3] {
    [
        enum_text(&OrderStatus::Pending),
        enum_text(&OrderStatus::Open),
        enum_text(&OrderStatus::PartiallyFilled),
    ]
}

impl Store {
    /// Opens (creating if needed) the journal at `path`, switches it to WAL mode and brings its
    /// schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        let mut conn = Connection::open(path)
            .with_context(|| format!("opening the journal database {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .context("setting the database busy timeout")?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .with_context(|| format!("switching {} to WAL mode", path.display()))?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(anyhow!(
                "{} could not be switched to WAL mode (it is in `{mode}` mode)",
                path.display()
            ));
        }
        // WAL + NORMAL: a commit survives a process crash; only an OS crash or power loss can
        // lose the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .context("setting synchronous = NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .context("enabling foreign keys")?;
        schema::migrate(&mut conn)
            .with_context(|| format!("migrating the journal database {}", path.display()))?;
        Ok(Store { conn })
    }

    /// Every stored option snapshot row, ordered by contract (trading symbol) then time.
    pub fn option_snapshots(&self) -> Result<Vec<SnapshotRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT ts, underlying, spot, trading_symbol, expiry, strike, option_type, premium, iv \
             FROM option_snapshots ORDER BY trading_symbol, ts, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<f64>>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (ts, underlying, spot, symbol, expiry, strike, kind, premium, iv) =
                row.context("reading an option snapshot")?;
            let dec = |text: &str, what: &str| {
                Decimal::from_str(text)
                    .with_context(|| format!("stored {what} `{text}` of {symbol} is not a number"))
            };
            out.push(SnapshotRow {
                timestamp: parse_ts(&ts, "option snapshot")?,
                underlying,
                spot: dec(&spot, "spot")?,
                expiry: NaiveDate::parse_from_str(&expiry, "%Y-%m-%d").with_context(|| {
                    format!("stored expiry `{expiry}` of {symbol} is not a date")
                })?,
                strike: dec(&strike, "strike")?,
                option_type: match kind.as_str() {
                    "CE" => alphastock_core::market::OptionType::CE,
                    "PE" => alphastock_core::market::OptionType::PE,
                    other => {
                        return Err(anyhow!(
                            "stored option type `{other}` of {symbol} is not CE or PE"
                        ))
                    }
                },
                premium: dec(&premium, "premium")?,
                iv,
                trading_symbol: symbol,
            });
        }
        Ok(out)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .context("reading the schema version")
    }

    /// A buffered writer over this store that commits every `batch_rows` rows (at least 1) or on
    /// [`StoreWriter::flush`].
    pub fn writer(self, batch_rows: usize) -> StoreWriter {
        StoreWriter::new(self, batch_rows)
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Orders still working (status PENDING, OPEN or PARTIALLY-FILLED), oldest first.
    pub fn open_orders(&self) -> Result<Vec<StoredOrder>> {
        let [a, b, c] = open_statuses();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE status IN (?1, ?2, ?3) ORDER BY created_at, tag"
            ))
            .context("preparing the open-orders query")?;
        let rows = stmt
            .query_map(params![a, b, c], raw_order)
            .context("reading open orders")?;
        rows.map(|r| {
            r.context("reading an order row")
                .and_then(RawOrder::into_order)
        })
        .collect()
    }

    /// The order placed with `tag`, if the journal has it.
    pub fn order_by_tag(&self, tag: &str) -> Result<Option<StoredOrder>> {
        let raw = self
            .conn
            .query_row(
                &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE tag = ?1"),
                params![tag],
                raw_order,
            )
            .optional()
            .with_context(|| format!("reading order {tag}"))?;
        raw.map(RawOrder::into_order).transpose()
    }

    /// All tags of orders placed on `day` (IST), in tag order.
    pub fn tags_on(&self, day: NaiveDate) -> Result<Vec<String>> {
        let prefix = format!(
            "AS{:02}{:02}{:02}",
            day.year().rem_euclid(100),
            day.month(),
            day.day()
        );
        let mut stmt = self
            .conn
            .prepare_cached("SELECT tag FROM orders WHERE substr(tag, 1, 8) = ?1 ORDER BY tag")
            .context("preparing the tags query")?;
        let tags = stmt
            .query_map(params![prefix], |r| r.get::<_, String>(0))
            .context("reading tags")?;
        tags.map(|t| t.context("reading a tag")).collect()
    }

    /// The highest tag sequence used on `day` (see [`TagGenerator`]), if any order was placed
    /// that day. Resume a generator with `resume_after(store.tags_on(day)?)` or past this number.
    pub fn last_tag_sequence(&self, day: NaiveDate) -> Result<Option<u32>> {
        Ok(self
            .tags_on(day)?
            .iter()
            .filter_map(|t| TagGenerator::sequence_of(t))
            .max())
    }

    /// The highest tag sequence in the whole journal (tags made by [`TagGenerator`]).
    pub fn max_tag_sequence(&self) -> Result<Option<u32>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT tag FROM orders")
            .context("preparing the tags query")?;
        let tags = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .context("reading tags")?;
        let mut best = None;
        for t in tags {
            let t = t.context("reading a tag")?;
            best = best.max(TagGenerator::sequence_of(&t));
        }
        Ok(best)
    }

    /// Fills at or after `since`, oldest first.
    pub fn fills_since(&self, since: IstTime) -> Result<Vec<Fill>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT order_id, tag, trade_id, exchange, trading_symbol, transaction_type, \
                 quantity, price, ts FROM fills WHERE ts >= ?1 ORDER BY ts, trade_id",
            )
            .context("preparing the fills query")?;
        let rows = stmt
            .query_map(params![ts_text(&since)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, u32>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })
            .context("reading fills")?;
        let mut out = Vec::new();
        for row in rows {
            let (order_id, tag, trade_id, exch, ts_sym, tt, qty, price, ts) =
                row.context("reading a fill row")?;
            out.push(Fill {
                order_id,
                tag,
                exchange: Exchange::from_str(&exch)
                    .map_err(|e| anyhow!("stored fill {trade_id}: {e}"))?,
                trading_symbol: ts_sym,
                transaction_type: enum_from::<TransactionType>(&tt, "transaction type")?,
                quantity: qty,
                price: parse_dec(&price, "fill price")?,
                timestamp: parse_ts(&ts, "fill")?,
                trade_id,
            });
        }
        Ok(out)
    }

    /// Positions with a non-zero quantity, by trading symbol.
    pub fn positions(&self) -> Result<Vec<PositionRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT trading_symbol, exchange, underlying, quantity, average_price, \
                 realised_pnl, detail, updated_at FROM positions WHERE quantity != 0 \
                 ORDER BY trading_symbol",
            )
            .context("preparing the positions query")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .context("reading positions")?;
        let mut out = Vec::new();
        for row in rows {
            let (sym, exch, underlying, qty, avg, realised, detail, updated) =
                row.context("reading a position row")?;
            out.push(PositionRow {
                exchange: Exchange::from_str(&exch)
                    .map_err(|e| anyhow!("stored position {sym}: {e}"))?,
                underlying,
                quantity: qty,
                average_price: parse_dec(&avg, "average price")?,
                realised_pnl: parse_dec(&realised, "realised P&L")?,
                detail: serde_json::from_str(&detail)
                    .with_context(|| format!("stored position {sym} detail is not JSON"))?,
                updated_at: parse_ts(&updated, "position")?,
                trading_symbol: sym,
            });
        }
        Ok(out)
    }

    /// The day's P&L summary, if recorded.
    pub fn daily_pnl(&self, day: NaiveDate) -> Result<Option<DailyPnlRow>> {
        let raw = self
            .conn
            .query_row(
                "SELECT trades, wins, gross_pnl, charges, net_pnl, updated_at FROM daily_pnl WHERE day = ?1",
                params![day.to_string()],
                |r| {
                    Ok((
                        r.get::<_, u32>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .optional()
            .with_context(|| format!("reading the P&L of {day}"))?;
        raw.map(|(trades, wins, gross, charges, net, updated)| {
            Ok(DailyPnlRow {
                day,
                trades,
                wins,
                gross_pnl: parse_dec(&gross, "gross P&L")?,
                charges: parse_dec(&charges, "charges")?,
                net_pnl: parse_dec(&net, "net P&L")?,
                updated_at: parse_ts(&updated, "daily P&L")?,
            })
        })
        .transpose()
    }

    /// Every order placed on `day` (IST), in tag order, whatever its state.
    pub fn orders_on(&self, day: NaiveDate) -> Result<Vec<StoredOrder>> {
        let mut out = Vec::new();
        for tag in self.tags_on(day)? {
            if let Some(o) = self.order_by_tag(&tag)? {
                out.push(o);
            }
        }
        Ok(out)
    }

    /// Every order tag in the journal (a restarted engine numbers new tags after them).
    pub fn all_tags(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT tag FROM orders ORDER BY tag")
            .context("preparing the tags query")?;
        let tags = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .context("reading tags")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context("reading a tag")?;
        Ok(tags)
    }

    /// Every broker order id and trade id in the journal (so a restarted paper broker numbers
    /// new ones past them, and trades already applied are not reported again).
    pub fn known_ids(&self) -> Result<(Vec<String>, Vec<String>)> {
        let mut orders = self
            .conn
            .prepare_cached("SELECT order_id FROM orders WHERE order_id IS NOT NULL")
            .context("preparing the order-id query")?;
        let order_ids = orders
            .query_map([], |r| r.get::<_, String>(0))
            .context("reading order ids")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context("reading an order id")?;
        let mut trades = self
            .conn
            .prepare_cached("SELECT trade_id FROM fills")
            .context("preparing the trade-id query")?;
        let trade_ids = trades
            .query_map([], |r| r.get::<_, String>(0))
            .context("reading trade ids")?
            .collect::<rusqlite::Result<Vec<_>>>()
            .context("reading a trade id")?;
        Ok((order_ids, trade_ids))
    }

    /// The latest journal entry of one of `kinds` (e.g. `run_start`, `run_stop`): its kind and
    /// time.
    pub fn last_journal_of(&self, kinds: &[&str]) -> Result<Option<(String, IstTime)>> {
        let list = kinds
            .iter()
            .map(|k| format!("'{}'", k.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ");
        let raw = self
            .conn
            .query_row(
                &format!(
                    "SELECT kind, ts FROM journal WHERE kind IN ({list}) ORDER BY id DESC LIMIT 1"
                ),
                [],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
            .context("reading the journal")?;
        raw.map(|(k, ts)| Ok((k, parse_ts(&ts, "journal")?)))
            .transpose()
    }

    /// Signals journaled on `day` (IST): how many, and how many were accepted.
    pub fn signal_counts_on(&self, day: NaiveDate) -> Result<(u32, u32)> {
        let prefix = format!("{}%", day.format("%Y-%m-%d"));
        self.conn
            .query_row(
                "SELECT COUNT(*), COALESCE(SUM(accepted), 0) FROM signals WHERE ts LIKE ?1",
                [prefix],
                |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?)),
            )
            .context("counting the day's signals")
    }

    /// Journal entries of `kind` stamped at or after `since`, oldest first: time and detail.
    pub fn journal_since(
        &self,
        kind: &str,
        since: IstTime,
    ) -> Result<Vec<(IstTime, serde_json::Value)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT ts, detail FROM journal WHERE kind = ?1 ORDER BY id")
            .context("reading the journal")?;
        let rows = stmt
            .query_map([kind], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .context("reading the journal")?;
        let mut out = Vec::new();
        for row in rows {
            let (ts, detail) = row.context("reading the journal")?;
            let at = parse_ts(&ts, "journal")?;
            if at >= since {
                out.push((
                    at,
                    serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                ));
            }
        }
        Ok(out)
    }

    /// The time of the latest stored underlying quote, if any (where an interrupted run of a
    /// simulated or replayed market resumes).
    pub fn latest_quote_time(&self) -> Result<Option<IstTime>> {
        let raw: Option<String> = self
            .conn
            .query_row("SELECT MAX(ts) FROM quotes", [], |r| r.get(0))
            .context("reading the latest quote time")?;
        raw.map(|t| parse_ts(&t, "quote")).transpose()
    }

    /// Number of rows in `table` (one of the journal's tables), e.g. for a run summary.
    pub fn count(&self, table: &str) -> Result<u64> {
        const TABLES: [&str; 9] = [
            "quotes",
            "candles",
            "option_snapshots",
            "signals",
            "orders",
            "fills",
            "positions",
            "daily_pnl",
            "journal",
        ];
        if !TABLES.contains(&table) {
            return Err(anyhow!(
                "`{table}` is not a journal table ({})",
                TABLES.join(", ")
            ));
        }
        self.conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .with_context(|| format!("counting rows of {table}"))
    }
}

const ORDER_COLUMNS: &str =
    "tag, order_id, status, filled_quantity, average_price, message, request, purpose, created_at, updated_at";

struct RawOrder {
    tag: String,
    order_id: Option<String>,
    status: String,
    filled: u32,
    average_price: Option<String>,
    message: Option<String>,
    request: String,
    purpose: Option<String>,
    created_at: String,
    updated_at: String,
}

fn raw_order(r: &SqlRow<'_>) -> rusqlite::Result<RawOrder> {
    Ok(RawOrder {
        tag: r.get(0)?,
        order_id: r.get(1)?,
        status: r.get(2)?,
        filled: r.get(3)?,
        average_price: r.get(4)?,
        message: r.get(5)?,
        request: r.get(6)?,
        purpose: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

impl RawOrder {
    fn into_order(self) -> Result<StoredOrder> {
        let tag = self.tag;
        Ok(StoredOrder {
            request: serde_json::from_str::<OrderRequest>(&self.request)
                .with_context(|| format!("stored order {tag}: request is not a valid order"))?,
            purpose: match self.purpose {
                Some(p) => Some(
                    serde_json::from_str(&p)
                        .with_context(|| format!("stored order {tag}: purpose is not valid"))?,
                ),
                None => None,
            },
            order_id: self.order_id,
            status: enum_from(&self.status, "order status")?,
            filled_quantity: self.filled,
            average_price: self
                .average_price
                .map(|p| parse_dec(&p, "average price"))
                .transpose()?,
            message: self.message,
            created_at: parse_ts(&self.created_at, "order")?,
            updated_at: parse_ts(&self.updated_at, "order")?,
            tag,
        })
    }
}

#[cfg(test)]
mod tests;
