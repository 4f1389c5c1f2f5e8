//! A short live session on simulated time against the fake mStock server: the stock's price
//! moves along a scripted path until the EMA crossover fires, a quote poll meets a server error
//! and the first order placement loses its answer; the loop places each order once (the lost
//! answer is resolved by looking the tag up), journals signals, orders and fills, and a restart
//! reconciles with the broker's books without placing anything again.

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use chrono::TimeZone;

use alphastock_cli::mstock::clock::{FakeClock, IstClock};
use alphastock_cli::runner::live::LiveFeed;
use alphastock_cli::runner::live_loop::{run_loop, LoopOptions};
use alphastock_cli::runner::recovery;
use alphastock_cli::runner::session::Session;
use alphastock_core::market::IST;

use support::fake_mstock::{FakeMstock, Fault};
use support::live_config::{live_session, sbin_config, sbin_price_path};

fn session(server: &FakeMstock, dir: &std::path::Path, wall: &IstClock) -> Session {
    live_session(server, dir, wall, &sbin_config(""))
}

#[test]
fn a_simulated_live_session_trades_through_faults_once_per_tag_and_reconciles_on_restart() {
    let server = FakeMstock::start();
    server.script_prices("NSE:SBIN", sbin_price_path());
    // The entry fills; the exit stays working at the broker.
    server.fill_next(1);
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-live-session-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().to_path_buf();
    // Tuesday 2 December 2025, 10:00 IST, on a clock that moves only when the loop sleeps.
    let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
    let wall = IstClock::starting_at(start, Arc::new(FakeClock::default()));
    let mut live = session(&server, &dir, &wall);
    let day = start.date_naive();
    recovery::recover(&mut live, Some(day)).unwrap();

    // A server error on the first quote poll, and the first placement is carried out but its
    // answer is lost.
    server.fault("quote/ohlc", Fault::Status(503));
    server.fault("orders/regular", Fault::DropAfterAccept);
    let symbols = vec![alphastock_core::market::Symbol::parse("NSE:SBIN").unwrap()];
    let mut feed = LiveFeed::new(symbols.clone(), Vec::new(), 5, 5, 3, 50);
    let end = start + chrono::Duration::minutes(25);
    let stats = run_loop(
        &mut live,
        &mut feed,
        &wall,
        &AtomicBool::new(false),
        &[],
        &LoopOptions {
            until: Some(end),
            ..LoopOptions::default()
        },
    )
    .unwrap();
    assert_eq!(stats.ticks, 25 * 12, "one tick every 5 s for 25 minutes");
    assert!(wall.now() >= end);
    assert_eq!(server.pending_faults(), 0, "both faults were met");
    assert!(
        server.quotes_served("NSE:SBIN") >= 240,
        "the whole path was served"
    );
    assert_eq!(
        server.requests_to("quote/ohlc").len(),
        server.quotes_served("NSE:SBIN") + 1,
        "the poll that met the server error was retried"
    );
    live.writer.flush().unwrap();

    // Orders: at least the entry; exactly one placement per tag, the lost answer included.
    let orders = server.orders();
    assert!(!orders.is_empty(), "the crossover placed an order");
    let placements = server
        .requests_to("orders/regular")
        .into_iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(placements, orders.len(), "nothing placed twice");
    let tags: BTreeSet<&str> = orders.iter().map(|o| o.tag.as_str()).collect();
    assert_eq!(tags.len(), orders.len(), "one order per tag");
    let first = &orders[0];
    assert_eq!(first.field("tradingsymbol"), "SBIN");
    assert_eq!(
        first.field("transaction_type"),
        "BUY",
        "a rising cross buys"
    );
    assert_eq!(orders.len(), 2, "the entry and its exit at the target");
    let exit = &orders[1];
    assert_eq!(exit.field("transaction_type"), "SELL");
    assert_eq!(exit.field("quantity"), first.field("quantity"));
    assert_eq!(exit.status, "OPEN");

    // The journal: the signal, the order with the broker's id found by its tag, the fill.
    let store = live.writer.store();
    assert!(store.count("signals").unwrap() >= 1);
    assert_eq!(store.count("orders").unwrap(), orders.len() as u64);
    let fills = store.fills_since(start).unwrap();
    let ours: Vec<_> = fills.iter().filter(|f| f.tag == first.tag).collect();
    assert_eq!(ours.len(), 1, "the entry's fill, once: {fills:?}");
    assert_eq!(ours[0].quantity.to_string(), first.field("quantity"));
    let stored = store.order_by_tag(&first.tag).unwrap().expect("journaled");
    assert_eq!(stored.order_id.as_deref(), Some(first.order_id.as_str()));
    let open: Vec<String> = live
        .engine
        .portfolio()
        .open_positions()
        .map(|p| format!("{} {}", p.trading_symbol(), p.quantity()))
        .collect();
    drop(live);

    // Besides the SBIN trade, the broker holds a BANKNIFTY option (the recorded fixture's
    // position) that no order of this program made: it is adopted from the broker and managed.
    assert_eq!(
        open,
        vec![
            "BANKNIFTY25DEC51200CE 35".to_string(),
            format!("SBIN {}", first.field("quantity"))
        ]
    );

    // A restart: the journal's fill is replayed, the position agrees with the broker's, the exit
    // still working at the broker is adopted by its tag, and nothing is placed again.
    let mut restarted = session(&server, &dir, &wall);
    let rec = recovery::recover(&mut restarted, Some(day)).unwrap();
    assert_eq!(rec.fills_replayed, 1, "{rec:?}");
    assert_eq!(rec.adopted, vec![exit.tag.clone()], "{rec:?}");
    assert!(
        !rec.mismatches.iter().any(|m| m.contains("SBIN")),
        "{:?}",
        rec.mismatches
    );
    let after: Vec<String> = restarted
        .engine
        .portfolio()
        .open_positions()
        .map(|p| format!("{} {}", p.trading_symbol(), p.quantity()))
        .collect();
    assert_eq!(after, open);
    // The exit is adopted at the price the broker shows (the one it was last re-priced to),
    // not the one first journaled.
    let journaled = restarted
        .writer
        .store()
        .order_by_tag(&exit.tag)
        .unwrap()
        .and_then(|o| o.request.price)
        .map(|p| p.to_string());
    assert_ne!(
        journaled.as_deref(),
        Some(exit.field("price").as_str()),
        "re-priced"
    );
    let adopted = restarted
        .engine
        .working_orders()
        .get(&exit.tag)
        .and_then(|o| o.request.price)
        .map(|p| p.to_string());
    assert_eq!(adopted, Some(exit.field("price")));
    let end2 = end + chrono::Duration::minutes(2);
    run_loop(
        &mut restarted,
        &mut LiveFeed::new(symbols, Vec::new(), 5, 5, 3, 50),
        &wall,
        &AtomicBool::new(false),
        &[],
        &LoopOptions {
            until: Some(end2),
            ..LoopOptions::default()
        },
    )
    .unwrap();
    assert_eq!(server.orders().len(), orders.len(), "no order placed again");
}
