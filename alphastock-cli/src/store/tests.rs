//! Journal behaviour: migrations, reopening, duplicates, batching and crash loss bounds.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use alphastock_core::market::{Candle, Exchange, IstTime, Symbol};
use alphastock_core::order::{
    Fill, OrderRequest, OrderStatus, OrderType, OrderUpdate, Product, TransactionType, Validity,
};
use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;

use super::*;

/// A fresh database path in the system temp directory, removed (with its WAL files) on drop.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "alphastock-store-{}-{}-{}",
            std::process::id(),
            name,
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDb(dir.join("alphastock.db"))
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn request(tag: &str) -> OrderRequest {
    OrderRequest {
        tag: tag.to_string(),
        exchange: Exchange::Nfo,
        trading_symbol: "BANKNIFTY25DEC51200CE".to_string(),
        transaction_type: TransactionType::Buy,
        order_type: OrderType::Limit,
        quantity: 35,
        price: Some(Decimal::new(28005, 2)),
        trigger_price: None,
        product: Product::Nrml,
        validity: Validity::Day,
    }
}

fn fill(trade_id: &str, ts: &str) -> Fill {
    Fill {
        order_id: "OID1".to_string(),
        tag: "AS25120300001".to_string(),
        trade_id: trade_id.to_string(),
        exchange: Exchange::Nfo,
        trading_symbol: "BANKNIFTY25DEC51200CE".to_string(),
        transaction_type: TransactionType::Buy,
        quantity: 35,
        price: Decimal::new(28005, 2),
        timestamp: at(ts),
    }
}

fn candle(ts: &str) -> Candle {
    let p = Decimal::from(51245);
    Candle {
        symbol: Symbol::parse("BANKNIFTY").unwrap(),
        timestamp: at(ts),
        open: p,
        high: p,
        low: p,
        close: p,
        volume: 1,
    }
}

fn placed(tag: &str) -> Row {
    Row::OrderPlaced {
        request: request(tag),
        purpose: None,
        at: at("2025-12-03T09:20:00+05:30"),
    }
}

#[test]
fn a_new_file_is_migrated_to_the_current_schema_in_wal_mode() {
    let db = TempDb::new("migrate");
    let store = Store::open(&db.0).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    for t in [
        "quotes",
        "candles",
        "option_snapshots",
        "signals",
        "orders",
        "fills",
        "positions",
        "daily_pnl",
        "journal",
    ] {
        assert_eq!(store.count(t).unwrap(), 0, "{t}");
    }
    assert!(store.count("sqlite_master").is_err());
    drop(store);
    // Opening again is a no-op migration.
    assert_eq!(
        Store::open(&db.0).unwrap().schema_version().unwrap(),
        SCHEMA_VERSION
    );
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let db = TempDb::new("newer");
    {
        let store = Store::open(&db.0).unwrap();
        store
            .conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = format!("{:#}", Store::open(&db.0).unwrap_err());
    assert!(err.contains("newer than this program"), "{err}");
}

#[test]
fn a_journal_of_schema_2_gains_the_contract_index_with_its_snapshots_intact() {
    let db = TempDb::new("schema2");
    let rows = [
        (
            "2025-12-03T09:20:00+05:30",
            "BANKNIFTY25DEC51200CE",
            "CE",
            "280.05",
        ),
        (
            "2025-12-03T09:21:00+05:30",
            "BANKNIFTY25DEC51200CE",
            "CE",
            "281.40",
        ),
        (
            "2025-12-03T09:20:00+05:30",
            "BANKNIFTY25DEC51200PE",
            "PE",
            "233.10",
        ),
    ];
    {
        // The journal as the release before this index wrote it.
        let mut conn = rusqlite::Connection::open(&db.0).unwrap();
        schema::migrate_to(&mut conn, 2).unwrap();
        for (ts, symbol, kind, premium) in rows {
            conn.execute(
                "INSERT INTO option_snapshots (ts, underlying, spot, trading_symbol, expiry, \
                 strike, option_type, premium, bid, ask, volume, oi, iv) \
                 VALUES (?1, 'BANKNIFTY', '51245', ?2, '2025-12-30', '51200', ?3, ?4, NULL, NULL, \
                 NULL, 1200, 0.16)",
                rusqlite::params![ts, symbol, kind, premium],
            )
            .unwrap();
        }
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, 2);
    }
    let store = Store::open(&db.0).unwrap();
    assert_eq!(store.schema_version().unwrap(), 3);
    let indexes: Vec<String> = store
        .conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' \
             AND tbl_name = 'option_snapshots' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        indexes,
        [
            "option_snapshots_symbol_ts",
            "option_snapshots_underlying_ts"
        ]
    );
    // Every row as it was written: time, contract, premium, volume and OI.
    type Stored = (String, String, String, Option<i64>, Option<i64>);
    let kept: Vec<Stored> = store
        .conn
        .prepare("SELECT ts, trading_symbol, premium, volume, oi FROM option_snapshots ORDER BY id")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let written: Vec<_> = rows
        .iter()
        .map(|(ts, s, _, p)| {
            (
                ts.to_string(),
                s.to_string(),
                p.to_string(),
                None,
                Some(1200),
            )
        })
        .collect();
    assert_eq!(kept, written);
    let snapshots = store.option_snapshots().unwrap();
    assert_eq!(snapshots.len(), 3);
    assert_eq!(snapshots[1].premium, Decimal::new(28140, 2));
    // The dashboard's read of a position's last premium goes through the index.
    let plan: Vec<String> = store
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {}", reads::LAST_PREMIUM_SQL))
        .unwrap()
        .query_map(
            rusqlite::params!["BANKNIFTY25DEC51200CE", "2025-12-03T09:30:00+05:30"],
            |r| r.get(3),
        )
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|d| d.contains("USING INDEX option_snapshots_symbol_ts")),
        "{plan:?}"
    );
    assert!(!plan.iter().any(|d| d.starts_with("SCAN")), "{plan:?}");
    assert_eq!(
        store
            .last_price("BANKNIFTY25DEC51200CE", at("2025-12-03T09:30:00+05:30"))
            .unwrap(),
        Some((Decimal::new(28140, 2), at("2025-12-03T09:21:00+05:30")))
    );
}

#[test]
fn data_survives_reopening_and_recovery_reads_see_it() {
    let db = TempDb::new("reopen");
    {
        let mut w = Store::open(&db.0).unwrap().writer(100);
        w.push(placed("AS25120300001")).unwrap();
        w.push(placed("AS25120300002")).unwrap();
        w.push(placed("AS25120400007")).unwrap();
        w.push(Row::OrderUpdate(OrderUpdate {
            order_id: "OID1".to_string(),
            tag: "AS25120300001".to_string(),
            status: OrderStatus::Complete,
            filled_quantity: 35,
            average_price: Some(Decimal::new(28005, 2)),
            message: None,
            timestamp: at("2025-12-03T09:20:02+05:30"),
        }))
        .unwrap();
        w.push(Row::Fill(fill("T1", "2025-12-03T09:20:02+05:30")))
            .unwrap();
        w.push(Row::Position(PositionRow {
            trading_symbol: "BANKNIFTY25DEC51200CE".to_string(),
            exchange: Exchange::Nfo,
            underlying: "BANKNIFTY".to_string(),
            quantity: 35,
            average_price: Decimal::new(28005, 2),
            realised_pnl: Decimal::ZERO,
            detail: serde_json::json!({"target": "493.20", "stop": "250.00"}),
            updated_at: at("2025-12-03T09:20:02+05:30"),
        }))
        .unwrap();
        w.push(Row::DailyPnl(DailyPnlRow {
            day: NaiveDate::from_ymd_opt(2025, 12, 3).unwrap(),
            trades: 2,
            wins: 1,
            gross_pnl: Decimal::new(150000, 2),
            charges: Decimal::new(12050, 2),
            net_pnl: Decimal::new(137950, 2),
            updated_at: at("2025-12-03T15:30:00+05:30"),
        }))
        .unwrap();
        w.flush().unwrap();
    }
    let store = Store::open(&db.0).unwrap();
    let open: Vec<String> = store
        .open_orders()
        .unwrap()
        .into_iter()
        .map(|o| o.tag)
        .collect();
    assert_eq!(open, ["AS25120300002", "AS25120400007"]);
    let done = store.order_by_tag("AS25120300001").unwrap().unwrap();
    assert_eq!(done.status, OrderStatus::Complete);
    assert_eq!(done.order_id.as_deref(), Some("OID1"));
    assert_eq!(done.request, request("AS25120300001"));
    assert!(store.order_by_tag("AS25120399999").unwrap().is_none());
    let day = NaiveDate::from_ymd_opt(2025, 12, 3).unwrap();
    assert_eq!(store.last_tag_sequence(day).unwrap(), Some(2));
    assert_eq!(store.max_tag_sequence().unwrap(), Some(7));
    assert_eq!(
        store
            .last_tag_sequence(NaiveDate::from_ymd_opt(2025, 12, 5).unwrap())
            .unwrap(),
        None
    );
    let positions = store.positions().unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].detail["target"], "493.20");
    assert_eq!(
        store.fills_since(at("2025-12-03T09:00:00+05:30")).unwrap(),
        vec![fill("T1", "2025-12-03T09:20:02+05:30")]
    );
    assert!(store
        .fills_since(at("2025-12-03T09:30:00+05:30"))
        .unwrap()
        .is_empty());
    assert_eq!(
        store.daily_pnl(day).unwrap().unwrap().net_pnl,
        Decimal::new(137950, 2)
    );
}

#[test]
fn a_duplicate_tag_or_trade_id_is_ignored_not_stored_twice() {
    let db = TempDb::new("dupes");
    let mut w = Store::open(&db.0).unwrap().writer(10);
    w.push(placed("AS25120300001")).unwrap();
    let mut changed = request("AS25120300001");
    changed.quantity = 70;
    w.push(Row::OrderPlaced {
        request: changed,
        purpose: None,
        at: at("2025-12-03T09:25:00+05:30"),
    })
    .unwrap();
    w.push(Row::Fill(fill("T1", "2025-12-03T09:20:02+05:30")))
        .unwrap();
    w.push(Row::Fill(fill("T1", "2025-12-03T09:20:02+05:30")))
        .unwrap();
    w.flush().unwrap();
    // And again in a later batch.
    w.push(placed("AS25120300001")).unwrap();
    w.push(Row::Fill(fill("T1", "2025-12-03T09:20:02+05:30")))
        .unwrap();
    w.flush().unwrap();
    let s = w.store();
    assert_eq!(s.count("orders").unwrap(), 1);
    assert_eq!(s.count("fills").unwrap(), 1);
    // The first version is kept.
    assert_eq!(
        s.order_by_tag("AS25120300001")
            .unwrap()
            .unwrap()
            .request
            .quantity,
        35
    );
}

#[test]
fn batched_rows_are_visible_after_flush_and_a_full_batch_commits_itself() {
    let db = TempDb::new("batch");
    let mut w = Store::open(&db.0).unwrap().writer(3);
    w.push(Row::Candle(candle("2025-12-03T09:15:00+05:30")))
        .unwrap();
    w.push(Row::Candle(candle("2025-12-03T09:20:00+05:30")))
        .unwrap();
    assert_eq!(w.pending(), 2);
    // A second connection (another reader) sees nothing yet.
    assert_eq!(Store::open(&db.0).unwrap().count("candles").unwrap(), 0);
    w.push(Row::Candle(candle("2025-12-03T09:25:00+05:30")))
        .unwrap();
    assert_eq!(w.pending(), 0);
    assert_eq!(Store::open(&db.0).unwrap().count("candles").unwrap(), 3);
    w.push(Row::Candle(candle("2025-12-03T09:30:00+05:30")))
        .unwrap();
    w.flush().unwrap();
    assert_eq!(Store::open(&db.0).unwrap().count("candles").unwrap(), 4);
    // The same bar stored again replaces the earlier version.
    w.push(Row::Candle(candle("2025-12-03T09:30:00+05:30")))
        .unwrap();
    w.flush().unwrap();
    assert_eq!(w.store().count("candles").unwrap(), 4);
}

#[test]
fn a_crash_before_flush_loses_only_the_unflushed_batch() {
    let db = TempDb::new("crash");
    let mut w = Store::open(&db.0).unwrap().writer(1000);
    w.push(Row::Candle(candle("2025-12-03T09:15:00+05:30")))
        .unwrap();
    w.push_durable(placed("AS25120300001")).unwrap();
    w.push(Row::Candle(candle("2025-12-03T09:20:00+05:30")))
        .unwrap();
    w.push(Row::Fill(fill("T1", "2025-12-03T09:20:02+05:30")))
        .unwrap();
    // Simulate a crash: the writer never gets to flush or drop.
    std::mem::forget(w);
    let store = Store::open(&db.0).unwrap();
    assert_eq!(store.count("candles").unwrap(), 1);
    assert_eq!(store.count("orders").unwrap(), 1);
    assert_eq!(store.count("fills").unwrap(), 0);
}

#[test]
fn a_simulated_chain_is_stored_as_one_snapshot_row_per_contract() {
    use alphastock_core::config::MarketConfig;
    use alphastock_core::engine::Event;
    use alphastock_core::sim::{SimConfig, SimMarket};
    let db = TempDb::new("chain");
    let mut w = Store::open(&db.0).unwrap().writer(64);
    let cfg = SimConfig::default();
    let day = NaiveDate::from_ymd_opt(2025, 12, 3).unwrap();
    let mut quotes = 0;
    let mut contracts = 0;
    for e in SimMarket::new(&cfg, &MarketConfig::default(), day)
        .unwrap()
        .take(7 * 10)
    {
        match &e {
            Event::Quote(_) => quotes += 1,
            Event::OptionChain(c) => contracts += c.quotes.len() as u64,
            Event::Timer(_) => w.flush().unwrap(),
            _ => {}
        }
        if let Some(row) = Row::from_event(&e) {
            w.push(row).unwrap();
        }
    }
    assert_eq!(w.store().count("quotes").unwrap(), quotes);
    assert_eq!(w.store().count("option_snapshots").unwrap(), contracts);
    let (spot, delta): (String, Option<f64>) = w
        .store()
        .conn
        .query_row(
            "SELECT spot, delta FROM option_snapshots WHERE option_type = 'CE' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(spot.parse::<Decimal>().unwrap() > Decimal::ZERO);
    assert!(delta.unwrap() > 0.0 && delta.unwrap() < 1.0);
}

#[test]
fn accepted_and_rejected_signals_and_closed_positions_are_journaled() {
    use alphastock_core::engine::Record;
    use alphastock_core::strategy::{Side, Signal};
    let db = TempDb::new("signals");
    let mut w = Store::open(&db.0).unwrap().writer(10);
    let signal = Signal {
        symbol: Symbol::parse("BANKNIFTY").unwrap(),
        strategy: "ema_crossover".to_string(),
        side: Side::Buy,
        timestamp: at("2025-12-03T10:05:00+05:30"),
        price: Decimal::from(51245),
        target: Decimal::from(51655),
        stop: Decimal::from(51040),
        confidence: 78,
        expected_move_pct: 0.8,
        reason: "EMA(5) crossed above EMA(20)".to_string(),
    };
    for rejected in [
        None,
        Some("max loss 3,000.00 > risk budget 2,500.00".to_string()),
    ] {
        w.push(Row::from_record(&Record::Signal {
            signal: signal.clone(),
            rejected,
        }))
        .unwrap();
    }
    w.push(Row::from_record(&Record::PositionClosed {
        trading_symbol: "BANKNIFTY25DEC51200CE".to_string(),
        underlying: Symbol::parse("BANKNIFTY").unwrap(),
        net_pnl: Decimal::new(-112050, 2),
        reason: "stop loss".to_string(),
        at: at("2025-12-03T11:00:00+05:30"),
    }))
    .unwrap();
    w.flush().unwrap();
    let s = w.store();
    let rows: Vec<(bool, Option<String>, String)> = s
        .conn
        .prepare("SELECT accepted, rejection, side FROM signals ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0], (true, None, "BUY".to_string()));
    assert!(!rows[1].0 && rows[1].1.as_deref().unwrap().contains("risk budget"));
    let detail: String = s
        .conn
        .query_row(
            "SELECT detail FROM journal WHERE kind = 'position_closed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        detail.contains("-1120.50") && detail.contains("stop loss"),
        "{detail}"
    );
}

#[test]
fn an_unbounded_batch_size_only_commits_on_flush() {
    let db = TempDb::new("unbounded");
    let mut w = Store::open(&db.0).unwrap().writer(usize::MAX);
    w.push(Row::Candle(candle("2025-12-03T09:15:00+05:30")))
        .unwrap();
    assert_eq!(w.pending(), 1);
    w.flush().unwrap();
    assert_eq!(w.store().count("candles").unwrap(), 1);
}
