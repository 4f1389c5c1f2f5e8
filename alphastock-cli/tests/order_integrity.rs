//! Order-state integrity under broker faults, live on simulated time against the fake mStock
//! server: a fill reported twice under two trade ids is booked once; an exit whose placement
//! meets a 503 and never reaches the order book is placed again under a new tag within one
//! poll; `--flatten-on-exit` that cannot close ends with a failure naming what is open; a
//! position the broker holds and the journal does not know is adopted and protected by a stop.

mod support;

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;

use alphastock_cli::commands::run::stop_exit_code;
use alphastock_cli::mstock::clock::{FakeClock, IstClock};
use alphastock_cli::runner::live::LiveFeed;
use alphastock_cli::runner::live_loop::{run_loop, LoopOptions};
use alphastock_cli::runner::recovery;
use alphastock_cli::runner::session::Session;
use alphastock_core::engine::OrderPurpose;
use alphastock_core::market::{IstTime, Symbol, IST};

use support::fake_mstock::FakeMstock;
use support::live_config::{live_session, sbin_config, sbin_price_path};

fn session(server: &FakeMstock, dir: &std::path::Path, wall: &IstClock) -> Session {
    // Only what the test makes: no recorded position of another instrument.
    server.without_fixture_positions();
    live_session(server, dir, wall, &sbin_config(""))
}

/// Tuesday 2 December 2025, 10:00 IST, on a clock that moves only when the loop sleeps.
fn start() -> IstTime {
    IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap()
}

fn feed() -> LiveFeed {
    LiveFeed::new(
        vec![Symbol::parse("NSE:SBIN").unwrap()],
        Vec::new(),
        5,
        5,
        3,
        50,
    )
}

/// Runs the live loop until `end` (a fresh feed: its cadence restarts with each loop).
fn run_until(live: &mut Session, wall: &IstClock, end: IstTime) {
    run_loop(
        live,
        &mut feed(),
        wall,
        &AtomicBool::new(false),
        &[],
        &LoopOptions {
            until: Some(end),
            ..LoopOptions::default()
        },
    )
    .unwrap();
    live.writer.flush().unwrap();
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("alphastock-integrity-")
        .tempdir()
        .unwrap()
}

fn journal_messages(live: &Session, kind: &str) -> Vec<String> {
    live.writer
        .store()
        .journal_since(kind, start() - chrono::Duration::days(1))
        .unwrap()
        .into_iter()
        .map(|(_, d)| d.to_string())
        .collect()
}

fn open_positions(live: &Session) -> Vec<String> {
    live.engine
        .portfolio()
        .open_positions()
        .map(|p| format!("{} {}", p.trading_symbol(), p.quantity()))
        .collect()
}

#[test]
fn a_duplicate_fill_under_a_new_trade_id_is_not_booked_and_exits_are_sized_from_the_real_position()
{
    let server = FakeMstock::start();
    server.script_prices("NSE:SBIN", sbin_price_path());
    server.fill_next(1);
    server.duplicate_next(1);
    let dir = scratch();
    let wall = IstClock::starting_at(start(), Arc::new(FakeClock::default()));
    let mut live = session(&server, dir.path(), &wall);
    recovery::recover(&mut live, Some(start().date_naive())).unwrap();
    run_until(&mut live, &wall, start() + chrono::Duration::minutes(25));

    let orders = server.orders();
    assert_eq!(orders.len(), 2, "the entry and its exit at the target");
    let (entry, exit) = (&orders[0], &orders[1]);
    let quantity = entry.field("quantity");
    // The trade book shows the entry's fill twice (two trade ids); the order book says the
    // order's quantity filled, once.
    let fills = live.writer.store().fills_since(start()).unwrap();
    assert_eq!(
        fills.iter().filter(|f| f.tag == entry.tag).count(),
        2,
        "both reports are journaled as the broker gave them: {fills:?}"
    );
    assert_eq!(open_positions(&live), vec![format!("SBIN {quantity}")]);
    assert_eq!(exit.field("transaction_type"), "SELL");
    assert_eq!(
        exit.field("quantity"),
        quantity,
        "the exit is sized from the real position"
    );
    let alerts = journal_messages(&live, "alert");
    let trade = format!("T{}-2", entry.order_id);
    assert!(
        alerts
            .iter()
            .any(|a| a.contains("broker inconsistency") && a.contains(&trade)),
        "{alerts:?}"
    );
    assert!(
        journal_messages(&live, "adopt_position").is_empty(),
        "the engine agrees with the broker's positions"
    );
}

#[test]
fn an_exit_lost_to_a_503_and_absent_from_the_order_book_is_placed_again_within_one_poll() {
    let server = FakeMstock::start();
    server.script_prices("NSE:SBIN", sbin_price_path());
    server.fill_next(1);
    // The second placement (the exit) is answered 503 and never reaches the order book.
    server.fail_placement(2, 503);
    let dir = scratch();
    let wall = IstClock::starting_at(start(), Arc::new(FakeClock::default()));
    let mut live = session(&server, dir.path(), &wall);
    recovery::recover(&mut live, Some(start().date_naive())).unwrap();
    run_until(&mut live, &wall, start() + chrono::Duration::minutes(25));

    assert_eq!(server.placements(), 3, "entry, lost exit, exit again");
    let orders = server.orders();
    assert_eq!(orders.len(), 2, "{orders:?}");
    let mut journaled = live.writer.store().orders_on(start().date_naive()).unwrap();
    journaled.sort_by_key(|o| (o.created_at, o.tag.clone()));
    assert_eq!(journaled.len(), 3);
    let (lost, again) = (&journaled[1], &journaled[2]);
    assert!(matches!(lost.purpose, Some(OrderPurpose::Exit { .. })));
    assert!(matches!(again.purpose, Some(OrderPurpose::Exit { .. })));
    assert_ne!(lost.tag, again.tag, "a new tag");
    assert!(
        !orders.iter().any(|o| o.tag == lost.tag),
        "the lost one never reached the broker"
    );
    assert_eq!(orders[1].tag, again.tag);
    assert_eq!(again.request.quantity, lost.request.quantity);
    assert!(
        again.created_at - lost.created_at <= chrono::Duration::seconds(5),
        "placed again within one 5 s poll: {} then {}",
        lost.created_at,
        again.created_at
    );
    assert_eq!(
        lost.status,
        alphastock_core::order::OrderStatus::Rejected,
        "{lost:?}"
    );
}

#[test]
fn flatten_on_exit_that_cannot_close_retries_until_the_deadline_then_fails_naming_what_is_open() {
    let server = FakeMstock::start();
    server.script_prices("NSE:SBIN", sbin_price_path());
    server.fill_next(1);
    let dir = scratch();
    let wall = IstClock::starting_at(start(), Arc::new(FakeClock::default()));
    let mut live = session(&server, dir.path(), &wall);
    recovery::recover(&mut live, Some(start().date_naive())).unwrap();
    let mut end = start();
    while open_positions(&live).is_empty() && end < start() + chrono::Duration::minutes(25) {
        end += chrono::Duration::minutes(1);
        run_until(&mut live, &wall, end);
    }
    let open = open_positions(&live);
    assert_eq!(open.len(), 1, "the entry filled: {open:?}");
    // From now on the broker refuses every order.
    let before = server.placements();
    server.refuse_placements_from(before + 1);
    let asked = wall.now();
    run_loop(
        &mut live,
        &mut feed(),
        &wall,
        &AtomicBool::new(true),
        &[],
        &LoopOptions {
            flatten_on_exit: true,
            flatten_deadline: Some(Duration::from_secs(30)),
            ..LoopOptions::default()
        },
    )
    .unwrap();
    let waited = wall.now() - asked;
    assert!(
        waited >= chrono::Duration::seconds(30) && waited <= chrono::Duration::seconds(40),
        "kept trying until the deadline: {waited}"
    );
    let tries = server.placements() - before;
    assert!(tries >= 5, "an exit every 5 s tick: {tries}");
    let tags: std::collections::BTreeSet<String> = server
        .requests_to("orders/regular")
        .iter()
        .filter(|r| r.method == "POST")
        .skip(before)
        .filter_map(|r| r.form_field("tag").map(str::to_string))
        .collect();
    assert_eq!(tags.len(), tries, "each try under a new tag");
    assert_eq!(open_positions(&live), open, "still open");
    assert_eq!(
        format!("{:?}", stop_exit_code(&live, true)),
        format!("{:?}", ExitCode::from(1))
    );
    assert_eq!(
        format!("{:?}", stop_exit_code(&live, false)),
        format!("{:?}", ExitCode::SUCCESS)
    );
}

#[test]
fn a_broker_position_the_journal_does_not_know_is_adopted_and_protected_by_a_stop() {
    let server = FakeMstock::start();
    // Someone sold 368 SBIN at 800 outside this program; then the price runs up through the
    // stop (20 % above 800 = 960).
    server.add_position("SBIN", "NSE", -368, 800.0);
    let mut path = vec![800.0; 12];
    path.extend([900.0, 961.0, 965.0]);
    server.script_prices("NSE:SBIN", path);
    server.fill_next(1);
    let dir = scratch();
    let wall = IstClock::starting_at(start(), Arc::new(FakeClock::default()));
    let mut live = session(&server, dir.path(), &wall);
    let rec = recovery::recover(&mut live, Some(start().date_naive())).unwrap();
    assert_eq!(
        rec.mismatches,
        vec!["position SBIN: broker has -368, journal has 0".to_string()]
    );
    let p = live.engine.portfolio().position("SBIN").expect("adopted");
    assert_eq!(p.quantity(), -368);
    assert_eq!(p.average_price().normalize().to_string(), "800");
    assert_eq!(
        p.meta().stop.map(|d| d.normalize().to_string()),
        Some("960".to_string())
    );
    assert_eq!(
        p.meta().target.map(|d| d.normalize().to_string()),
        Some("560".to_string())
    );
    live.writer.flush().unwrap();
    let adopted = journal_messages(&live, "adopt_position");
    assert_eq!(adopted.len(), 1, "{adopted:?}");
    assert!(adopted[0].contains("-368"), "{adopted:?}");
    assert!(journal_messages(&live, "alert")
        .iter()
        .any(|a| a.contains("adopted the broker's position")));

    run_until(&mut live, &wall, start() + chrono::Duration::minutes(2));
    let orders = server.orders();
    let first = orders.first().expect("the stop placed an exit");
    assert_eq!(first.field("tradingsymbol"), "SBIN");
    assert_eq!(first.field("transaction_type"), "BUY");
    assert_eq!(first.field("quantity"), "368");
    let journaled = live
        .writer
        .store()
        .order_by_tag(&first.tag)
        .unwrap()
        .unwrap();
    match journaled.purpose {
        Some(OrderPurpose::Exit { reason }) => assert!(reason.contains("stop"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_position_the_broker_shows_during_the_session_is_adopted_after_two_checks() {
    let server = FakeMstock::start();
    server.script_prices("NSE:SBIN", vec![800.0; 400]);
    let dir = scratch();
    let wall = IstClock::starting_at(start(), Arc::new(FakeClock::default()));
    let mut live = session(&server, dir.path(), &wall);
    recovery::recover(&mut live, Some(start().date_naive())).unwrap();
    run_until(&mut live, &wall, start() + chrono::Duration::minutes(1));
    assert!(open_positions(&live).is_empty());
    server.add_position("SBIN", "NSE", 122, 800.0);
    // A stock no strategy watches: quoted from then on (the fake server quotes it at 100.50).
    server.add_position("INFY", "NSE", 50, 1500.0);
    run_until(
        &mut live,
        &wall,
        start() + chrono::Duration::minutes(1) + chrono::Duration::seconds(4),
    );
    assert!(
        open_positions(&live).is_empty(),
        "one check is not enough: a fill may be on its way"
    );
    run_until(&mut live, &wall, start() + chrono::Duration::minutes(2));
    assert_eq!(
        open_positions(&live),
        vec!["INFY 50".to_string(), "SBIN 122".to_string()]
    );
    let p = live.engine.portfolio().position("SBIN").unwrap();
    assert_eq!(
        p.meta().stop.map(|d| d.normalize().to_string()),
        Some("640".to_string()),
        "20 % below 800"
    );
    assert_eq!(journal_messages(&live, "adopt_position").len(), 2);
    // INFY's stop (1,200) is below its quote: it is sold.
    let infy: Vec<_> = server
        .orders()
        .into_iter()
        .filter(|o| o.field("tradingsymbol") == "INFY")
        .collect();
    assert_eq!(infy.len(), 1, "{infy:?}");
    assert_eq!(infy[0].field("transaction_type"), "SELL");
    assert_eq!(infy[0].field("quantity"), "50");
}
