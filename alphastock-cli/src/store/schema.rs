//! The journal's schema: ordered migrations, tracked with SQLite's `PRAGMA user_version`.
//!
//! Conventions: timestamps are RFC 3339 text in IST (`2025-12-03T09:15:00+05:30`, so text order
//! is time order); money is exact decimal text in rupees; quantities are units; JSON columns
//! hold the full serialized record for anything a column does not carry.

use anyhow::{bail, Context, Result};
use rusqlite::Connection;

/// Migrations in order; migration `i` moves the schema from version `i` to `i + 1`. Never edit a
/// released migration: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
    CREATE TABLE quotes (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        symbol TEXT NOT NULL,
        ltp TEXT NOT NULL,
        open TEXT NOT NULL,
        high TEXT NOT NULL,
        low TEXT NOT NULL,
        prev_close TEXT NOT NULL,
        volume INTEGER NOT NULL,
        bid TEXT,
        ask TEXT,
        oi INTEGER
    );
    CREATE INDEX quotes_symbol_ts ON quotes(symbol, ts);

    CREATE TABLE candles (
        symbol TEXT NOT NULL,
        ts TEXT NOT NULL,
        open TEXT NOT NULL,
        high TEXT NOT NULL,
        low TEXT NOT NULL,
        close TEXT NOT NULL,
        volume INTEGER NOT NULL,
        PRIMARY KEY (symbol, ts)
    );

    CREATE TABLE option_snapshots (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        underlying TEXT NOT NULL,
        spot TEXT NOT NULL,
        trading_symbol TEXT NOT NULL,
        expiry TEXT NOT NULL,
        strike TEXT NOT NULL,
        option_type TEXT NOT NULL,
        premium TEXT NOT NULL,
        bid TEXT,
        ask TEXT,
        volume INTEGER NOT NULL,
        oi INTEGER NOT NULL,
        iv REAL,
        delta REAL,
        gamma REAL,
        theta_per_day REAL,
        vega_per_point REAL
    );
    CREATE INDEX option_snapshots_underlying_ts ON option_snapshots(underlying, ts);

    CREATE TABLE signals (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        underlying TEXT NOT NULL,
        strategy TEXT NOT NULL,
        side TEXT NOT NULL,
        confidence INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        rejection TEXT,
        signal TEXT NOT NULL
    );
    CREATE INDEX signals_ts ON signals(ts);

    CREATE TABLE orders (
        tag TEXT PRIMARY KEY,
        order_id TEXT,
        trading_symbol TEXT NOT NULL,
        exchange TEXT NOT NULL,
        transaction_type TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        price TEXT,
        status TEXT NOT NULL,
        filled_quantity INTEGER NOT NULL DEFAULT 0,
        average_price TEXT,
        message TEXT,
        request TEXT NOT NULL,
        purpose TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX orders_status ON orders(status);
    CREATE INDEX orders_order_id ON orders(order_id);

    CREATE TABLE fills (
        trade_id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        tag TEXT NOT NULL,
        exchange TEXT NOT NULL,
        trading_symbol TEXT NOT NULL,
        transaction_type TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        price TEXT NOT NULL,
        ts TEXT NOT NULL
    );
    CREATE INDEX fills_ts ON fills(ts);

    CREATE TABLE positions (
        trading_symbol TEXT PRIMARY KEY,
        exchange TEXT NOT NULL,
        underlying TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        average_price TEXT NOT NULL,
        realised_pnl TEXT NOT NULL,
        detail TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE daily_pnl (
        day TEXT PRIMARY KEY,
        trades INTEGER NOT NULL,
        wins INTEGER NOT NULL,
        gross_pnl TEXT NOT NULL,
        charges TEXT NOT NULL,
        net_pnl TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE journal (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX journal_ts ON journal(ts);
    ",
    // 2: an option quote's volume and open interest may be unknown (NULL), never a made-up 0.
    "
    CREATE TABLE option_snapshots_v2 (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        underlying TEXT NOT NULL,
        spot TEXT NOT NULL,
        trading_symbol TEXT NOT NULL,
        expiry TEXT NOT NULL,
        strike TEXT NOT NULL,
        option_type TEXT NOT NULL,
        premium TEXT NOT NULL,
        bid TEXT,
        ask TEXT,
        volume INTEGER,
        oi INTEGER,
        iv REAL,
        delta REAL,
        gamma REAL,
        theta_per_day REAL,
        vega_per_point REAL
    );
    INSERT INTO option_snapshots_v2 SELECT * FROM option_snapshots;
    DROP TABLE option_snapshots;
    ALTER TABLE option_snapshots_v2 RENAME TO option_snapshots;
    CREATE INDEX option_snapshots_underlying_ts ON option_snapshots(underlying, ts);
    ",
    // 3: a contract's snapshots by time (a position's last premium on the dashboard, the
    // correlation table's pass in contract order) without scanning the whole table.
    "
    CREATE INDEX option_snapshots_symbol_ts ON option_snapshots(trading_symbol, ts);
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the database to [`SCHEMA_VERSION`], applying each missing migration in its own
/// transaction. Refuses a database written by a newer version.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Brings the database to schema version `target` (at most [`SCHEMA_VERSION`]; tests build
/// journals as older releases wrote them with it), as [`migrate`] does.
pub(super) fn migrate_to(conn: &mut Connection, target: u32) -> Result<()> {
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .context("reading the schema version")?;
    if current > SCHEMA_VERSION {
        bail!(
            "the database has schema version {current}, newer than this program's {SCHEMA_VERSION}: upgrade alphastock"
        );
    }
    let wanted = MIGRATIONS.iter().enumerate().take(target as usize);
    for (i, sql) in wanted.skip(current as usize) {
        let to = i + 1;
        let tx = conn
            .transaction()
            .with_context(|| format!("starting migration to schema version {to}"))?;
        tx.execute_batch(sql)
            .with_context(|| format!("applying migration to schema version {to}"))?;
        tx.pragma_update(None, "user_version", to as u32)
            .with_context(|| format!("recording schema version {to}"))?;
        tx.commit()
            .with_context(|| format!("committing migration to schema version {to}"))?;
    }
    Ok(())
}
