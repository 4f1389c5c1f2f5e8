//! Reads for the dashboard: a read-only connection, the journal's latest day, the day's signals
//! and the last price of an instrument.

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use rust_decimal::Decimal;

use alphastock_core::market::IstTime;

use super::{parse_ts, Store};

/// One journaled signal.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalRow {
    /// Time of the data that produced it (IST).
    pub at: IstTime,
    /// The underlying.
    pub underlying: String,
    /// The strategy (config key) that produced it.
    pub strategy: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Confidence, 0–100.
    pub confidence: i64,
    /// `None` when it led to an order, else why it was dropped.
    pub rejection: Option<String>,
}

/// The latest stored premium of a contract (`?1`) at or before a time (`?2`); served by the
/// `option_snapshots_symbol_ts` index.
pub(super) const LAST_PREMIUM_SQL: &str =
    "SELECT premium, ts FROM option_snapshots WHERE trading_symbol = ?1 AND ts <= ?2 \
     ORDER BY ts DESC LIMIT 1";

impl Store {
    /// Opens an existing journal for reading only (the dashboard of a run on another terminal
    /// or of a past day): no migration, no writes; the running writer is never blocked.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref();
        if !path.is_file() {
            anyhow::bail!("the journal {} does not exist", path.display());
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("opening the journal {} for reading", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(2))
            .context("setting the database busy timeout")?;
        let store = Store { conn };
        let version = store
            .schema_version()
            .with_context(|| format!("{} is not an alphastock journal", path.display()))?;
        if version == 0 || version > super::SCHEMA_VERSION {
            anyhow::bail!(
                "{} has journal schema version {version}; this program reads 1 to {}",
                path.display(),
                super::SCHEMA_VERSION
            );
        }
        Ok(store)
    }

    /// The IST day of the latest quote, order or fill in the journal, if any.
    pub fn latest_day(&self) -> Result<Option<NaiveDate>> {
        let raw: Option<String> = self
            .conn
            .query_row(
                "SELECT MAX(t) FROM (SELECT MAX(ts) AS t FROM quotes \
                 UNION ALL SELECT MAX(created_at) FROM orders UNION ALL SELECT MAX(ts) FROM fills)",
                [],
                |r| r.get(0),
            )
            .context("reading the journal's latest day")?;
        raw.map(|t| parse_ts(&t, "latest").map(|t| t.date_naive()))
            .transpose()
    }

    /// Signals journaled on `day`, newest first, at most `limit`; and how many there were.
    pub fn signals_on(&self, day: NaiveDate, limit: usize) -> Result<(Vec<SignalRow>, u64)> {
        let prefix = format!("{}%", day.format("%Y-%m-%d"));
        let total: u64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM signals WHERE ts LIKE ?1",
                [&prefix],
                |r| r.get(0),
            )
            .context("counting the day's signals")?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT ts, underlying, strategy, side, confidence, rejection FROM signals \
                 WHERE ts LIKE ?1 ORDER BY ts DESC, id DESC LIMIT ?2",
            )
            .context("preparing the signals query")?;
        let rows = stmt
            .query_map(params![prefix, limit as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            })
            .context("reading signals")?;
        let mut out = Vec::new();
        for row in rows {
            let (ts, underlying, strategy, side, confidence, rejection) =
                row.context("reading a signal row")?;
            out.push(SignalRow {
                at: parse_ts(&ts, "signal")?,
                underlying,
                strategy,
                side,
                confidence,
                rejection,
            });
        }
        Ok((out, total))
    }

    /// Each distinct rejection text of `day` with how many signals it dropped.
    pub fn rejections_on(&self, day: NaiveDate) -> Result<Vec<(String, u64)>> {
        let prefix = format!("{}%", day.format("%Y-%m-%d"));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT rejection, COUNT(*) FROM signals WHERE ts LIKE ?1 AND accepted = 0 \
                 AND rejection IS NOT NULL GROUP BY rejection",
            )
            .context("preparing the rejections query")?;
        let rows = stmt
            .query_map([prefix], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
            })
            .context("reading rejections")?;
        rows.map(|r| r.context("reading a rejection count"))
            .collect()
    }

    /// The last price the journal has for `trading_symbol` at or before `until`: an option's
    /// latest stored premium, else an underlying's latest quote; rupees, with its time.
    pub fn last_price(
        &self,
        trading_symbol: &str,
        until: IstTime,
    ) -> Result<Option<(Decimal, IstTime)>> {
        let until = super::ts_text(&until);
        let latest = |sql: &str, what: &str| -> Result<Option<(String, String)>> {
            self.conn
                .query_row(sql, params![trading_symbol, until], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .with_context(|| format!("reading the last {what} of {trading_symbol}"))
        };
        let raw = match latest(LAST_PREMIUM_SQL, "premium")? {
            Some(r) => Some(r),
            None => latest(
                "SELECT ltp, ts FROM quotes WHERE symbol = ?1 AND ts <= ?2 \
                 ORDER BY ts DESC LIMIT 1",
                "quote",
            )?,
        };
        raw.map(|(p, ts)| {
            Ok((
                Decimal::from_str(&p)
                    .with_context(|| format!("stored price `{p}` of {trading_symbol}"))?,
                parse_ts(&ts, "price")?,
            ))
        })
        .transpose()
    }
}
