//! The live loop's pieces against the fake mStock server: polling underlyings and the option
//! contracts around the spot (through a server fault), journaling what was polled, and the
//! start-up reconciliation with the broker's books.

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;

use alphastock_cli::broker::MstockBroker;
use alphastock_cli::mstock::clock::{FakeClock, IstClock};
use alphastock_cli::runner::executor::Executor;
use alphastock_cli::runner::live::LiveFeed;
use alphastock_cli::runner::recovery;
use alphastock_cli::runner::session::{BrokerSlot, Session, SessionOptions};
use alphastock_cli::store::Store;
use alphastock_core::config::Config;
use alphastock_core::engine::{Engine, Event};
use alphastock_core::market::{Symbol, IST};

use support::fake_mstock::{FakeMstock, Fault};
use support::live_config::live_client;

#[test]
fn the_live_loop_polls_through_a_fault_journals_and_reconciles_with_the_broker() {
    let server = FakeMstock::start();
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-live-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().to_path_buf();
    // A session on a day the fixtures' contracts (expiry 2025-12-30) are listed.
    let now = IST.with_ymd_and_hms(2025, 12, 1, 10, 0, 0).unwrap();
    let mut c = live_client(&server, &dir);
    let contracts: Vec<_> = c
        .script_master(now.date_naive())
        .unwrap()
        .iter()
        .filter_map(|r| r.option_contract())
        .collect();
    assert!(!contracts.is_empty());
    let banknifty = Symbol::parse("BANKNIFTY").unwrap();
    let mut feed = LiveFeed::new(vec![banknifty.clone()], contracts, 5, 2, 3, 50);

    let config = Config::from_yaml_str(
        "strategies:\n  ema_crossover: { enabled: true, symbols: [BANKNIFTY] }\n",
    )
    .unwrap();
    let store = Store::open(dir.join("journal.db")).unwrap();
    let mut session = Session::new(
        Engine::new(&config).unwrap(),
        // The broker stamps what it reports on the session's clock (10:00 IST), not the real
        // time of day the test happens to run at.
        BrokerSlot::Live(Box::new(MstockBroker::new(c).with_wall_clock(
            IstClock::starting_at(now, Arc::new(FakeClock::default())),
        ))),
        Executor::new(),
        store.writer(100),
        SessionOptions::default(),
    );

    // Start-up reconciliation: the broker holds a position the journal knows nothing of.
    let rec = recovery::recover(&mut session, Some(now.date_naive())).unwrap();
    assert!(
        rec.mismatches
            .iter()
            .any(|m| m.contains("BANKNIFTY25DEC51200CE") && m.contains("broker has 35")),
        "{:?}",
        rec.mismatches
    );
    // ... which is adopted from the broker, with a stop 20 % below its average price 280.15.
    let adopted = session
        .engine
        .portfolio()
        .position("BANKNIFTY25DEC51200CE")
        .expect("adopted");
    assert_eq!(adopted.quantity(), 35);
    assert_eq!(
        adopted.meta().stop.map(|d| d.normalize().to_string()),
        Some("224.15".into())
    );

    // First tick: one server error on the quote call is retried; the underlying and its
    // option window are polled.
    server.fault("quote/ohlc", Fault::Status(503));
    let before = server.requests_to("quote/ohlc").len();
    let (events, problems) = feed.poll(session.broker.as_dyn(), Duration::ZERO, now, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        server.requests_to("quote/ohlc").len() >= before + 3,
        "retried"
    );
    assert!(matches!(&events[0], Event::Quote(q) if q.symbol == banknifty));
    let chain = events
        .iter()
        .find_map(|e| match e {
            Event::OptionChain(c) => Some(c.clone()),
            _ => None,
        })
        .expect("an option chain was polled");
    assert!(chain
        .quotes
        .iter()
        .all(|q| q.contract.underlying == banknifty));
    for e in events {
        session.on_market_event(e).unwrap();
    }
    session.on_market_event(Event::Timer(now)).unwrap();

    // Nothing is due again before the next grid point.
    let (again, _) = feed.poll(session.broker.as_dyn(), Duration::from_secs(1), now, &[]);
    assert!(again.is_empty());

    let store = session.writer.store();
    assert_eq!(store.count("quotes").unwrap(), 1);
    assert_eq!(
        store.count("option_snapshots").unwrap(),
        chain.quotes.len() as u64
    );
    let orders = store.orders_on(now.date_naive()).unwrap();
    assert_eq!(
        store.count("orders").unwrap(),
        0,
        "no signal, and the adopted position is inside its stop and target: no order: {orders:?}"
    );
}

/// 45 one-minute SBIN bars of 2 December 2025 from 09:15 to 09:59, sliding from 830 to 808,
/// in the broker's historical shape (`+05` offsets).
fn falling_morning() -> Vec<serde_json::Value> {
    (0..45)
        .map(|i| {
            let t =
                IST.with_ymd_and_hms(2025, 12, 2, 9, 15, 0).unwrap() + chrono::Duration::minutes(i);
            let close = 830.0 - 0.5 * i as f64;
            serde_json::json!([
                t.format("%Y-%m-%dT%H:%M:%S+05").to_string(),
                close + 0.5,
                close + 0.75,
                close - 0.25,
                close,
                1000 + i
            ])
        })
        .collect()
}

/// A live session from 10:00 to 10:01:30 whose first bar (10:00) jumps to 825: with the
/// morning's history the 3-bar EMA crosses above the 8-bar one on that bar; without it the
/// strategy has one bar and cannot fire. Returns the signals journaled and the warm-start
/// lines printed.
fn first_bar_signals(warm: bool) -> (u64, Vec<String>) {
    use alphastock_cli::runner::live_loop::{run_loop, LoopOptions};
    use alphastock_cli::runner::warm_start::seed_from_broker;
    use std::sync::atomic::AtomicBool;

    let server = FakeMstock::start();
    server.without_fixture_positions();
    server.script_history("3045", falling_morning());
    server.script_prices("NSE:SBIN", vec![825.0; 40]);
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-warm-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().to_path_buf();
    let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
    let wall = IstClock::starting_at(start, Arc::new(FakeClock::default()));
    let config = Config::from_yaml_str(
        r#"
market_data_runner: { frequency_seconds: 5, candle_minutes: 1 }
strategies:
  ema_crossover:
    symbols: ["NSE:SBIN"]
    instrument: underlying
    parameters: { fast_ema: 3, slow_ema: 8, min_confidence: 0 }
"#,
    )
    .unwrap();
    let mut engine = Engine::new(&config).unwrap();
    let mut c = live_client(&server, &dir);
    c.set_interactive(false);
    let records = c.script_master(start.date_naive()).unwrap();
    let lines = if warm {
        seed_from_broker(&mut engine, &mut c, &records, start, &[])
    } else {
        Vec::new()
    };
    let mut session = Session::new(
        engine,
        BrokerSlot::Live(Box::new(
            MstockBroker::new(c)
                .with_settle_delay(Duration::from_millis(10))
                .with_wall_clock(wall.clone()),
        )),
        Executor::new(),
        Store::open(dir.join("journal.db")).unwrap().writer(100),
        SessionOptions::default(),
    );
    recovery::recover(&mut session, Some(start.date_naive())).unwrap();
    let sbin = Symbol::parse("NSE:SBIN").unwrap();
    let mut feed = LiveFeed::new(vec![sbin], Vec::new(), 5, 5, 3, 50);
    run_loop(
        &mut session,
        &mut feed,
        &wall,
        &AtomicBool::new(false),
        &[],
        &LoopOptions {
            until: Some(start + chrono::Duration::seconds(90)),
            ..LoopOptions::default()
        },
    )
    .unwrap();
    session.writer.flush().unwrap();
    if warm {
        // One history call: today's session up to the start, SBIN by its script-master token
        // on NSE, one-minute bars (enough for the 9 bars the strategy needs).
        let calls = server.requests_to("instruments/historical");
        assert_eq!(calls.len(), 1, "{calls:?}");
        assert!(
            calls[0]
                .path
                .ends_with("instruments/historical/NSE/3045/minute"),
            "{}",
            calls[0].path
        );
        assert_eq!(
            calls[0].query,
            vec![
                ("from".to_string(), "2025-12-02 09:15:00".to_string()),
                ("to".to_string(), "2025-12-02 10:00:00".to_string())
            ]
        );
    }
    (session.writer.store().count("signals").unwrap(), lines)
}

#[test]
fn a_warm_live_start_signals_on_the_first_bar_where_a_cold_one_cannot() {
    let (warm, lines) = first_bar_signals(true);
    assert_eq!(
        lines,
        vec!["WARM   NSE:SBIN: seeded with 45 bar(s) of 1 min from the broker's history"]
    );
    assert_eq!(warm, 1, "the 10:00 bar crosses");
    let (cold, _) = first_bar_signals(false);
    assert_eq!(cold, 0, "one bar: no EMA yet");
}

#[test]
fn a_failed_history_call_starts_cold_and_says_why() {
    use alphastock_cli::runner::warm_start::seed_from_broker;
    let server = FakeMstock::start();
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-warm-fail-")
        .tempdir()
        .unwrap();
    let mut c = live_client(&server, scratch.path());
    c.set_interactive(false);
    let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
    let records = c.script_master(start.date_naive()).unwrap();
    // A `DataException` is the broker failing, so a read meeting one is tried again: it
    // fails for good when every attempt meets it.
    for _ in 0..c.config().retry.max_attempts {
        server.fault(
            "instruments/historical",
            Fault::Reply(
                200,
                r#"{"status":"error","message":"No data found","error_type":"DataException"}"#
                    .to_string(),
            ),
        );
    }
    let config = Config::from_yaml_str(
        "strategies:\n  ema_crossover: { enabled: true, symbols: [BANKNIFTY, FINNIFTY] }\n",
    )
    .unwrap();
    let mut engine = Engine::new(&config).unwrap();
    let lines = seed_from_broker(&mut engine, &mut c, &records, start, &[]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("WARM   BANKNIFTY: no history (history call failed: ")
            && lines[0].contains("No data found")
            && lines[0].ends_with("; starting cold"),
        "{lines:?}"
    );
    assert_eq!(
        lines[1],
        "WARM   FINNIFTY: no history (no instrument token for NIFTY FIN SERVICE in the script master); starting cold"
    );
}

/// One options tick of BANKNIFTY at 10:00 on 1 December 2025 (spot 51,245) with the quote
/// calls answered by `answers` in order; the chain it builds.
fn one_chain(answers: &[serde_json::Value]) -> alphastock_core::market::OptionChain {
    let server = FakeMstock::start();
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-chain-")
        .tempdir()
        .unwrap();
    let now = IST.with_ymd_and_hms(2025, 12, 1, 10, 0, 0).unwrap();
    let mut c = live_client(&server, scratch.path());
    c.set_interactive(false);
    let contracts: Vec<_> = c
        .script_master(now.date_naive())
        .unwrap()
        .iter()
        .filter_map(|r| r.option_contract())
        .collect();
    for a in answers {
        server.fault("quote/ohlc", Fault::Reply(200, a.to_string()));
    }
    let banknifty = Symbol::parse("BANKNIFTY").unwrap();
    let mut feed = LiveFeed::new(vec![banknifty], contracts, 5, 2, 3, 50);
    feed.set_risk_free_rate(0.065);
    let mut broker = MstockBroker::new(c)
        .with_wall_clock(IstClock::starting_at(now, Arc::new(FakeClock::default())));
    let (events, problems) = feed.poll(&mut broker, Duration::ZERO, now, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(server.pending_faults(), 0, "both calls made");
    events
        .into_iter()
        .find_map(|e| match e {
            Event::OptionChain(c) => Some(c),
            _ => None,
        })
        .expect("a chain")
}

#[test]
fn a_live_chain_computes_iv_from_the_mid_and_leaves_what_the_broker_omits_unknown() {
    use alphastock_core::options::strike::{Illiquid, LiquidityFilters};
    use alphastock_core::options::time::{days_to_expiry, years_from_days};
    use alphastock_core::options::{price, BsInput};
    use rust_decimal::prelude::ToPrimitive;

    let spot = serde_json::json!({"instrument_token": 26009, "last_price": 51245.0,
        "ohlc": {"open": 51100.0, "high": 51300.0, "low": 51050.0, "close": 51120.0}});
    let ce = |depth: bool| {
        let mut q = serde_json::json!({"instrument_token": 35001, "last_price": 880.05,
            "ohlc": {"open": 901.0, "high": 952.5, "low": 850.15, "close": 895.4}});
        if depth {
            q["volume"] = serde_json::json!(1843200);
            q["oi"] = serde_json::json!(912345);
            q["depth"] = serde_json::json!({
                "buy": [{"price": 879.95, "quantity": 300, "orders": 4}],
                "sell": [{"price": 880.15, "quantity": 420, "orders": 6}]});
        }
        q
    };
    let answers = |depth: bool| {
        [
            serde_json::json!({"status": "success", "data": {"NSE:NIFTY BANK": spot}}),
            serde_json::json!({"status": "success", "data": {
                "NSE:NIFTY BANK": spot, "NFO:BANKNIFTY25DEC51200CE": ce(depth)}}),
        ]
    };

    // With depth: the implied vol is the one whose Black-Scholes value is the mid, 880.05.
    let chain = one_chain(&answers(true));
    assert_eq!(chain.spot.normalize().to_string(), "51245");
    let q = chain
        .quotes
        .iter()
        .find(|q| q.contract.trading_symbol == "BANKNIFTY25DEC51200CE")
        .unwrap();
    let iv = q.iv.expect("iv from the mid");
    let now = IST.with_ymd_and_hms(2025, 12, 1, 10, 0, 0).unwrap();
    let repriced = price(&BsInput {
        option_type: q.contract.option_type,
        spot: 51_245.0,
        strike: 51_200.0,
        years: years_from_days(days_to_expiry(now, q.contract.expiry)),
        vol: iv,
        rate: 0.065,
        carry: 0.0,
    })
    .unwrap();
    assert!(
        (repriced - 880.05).abs() < 0.01,
        "{iv} prices to {repriced}"
    );
    assert!(iv > 0.05 && iv < 1.0, "{iv}");
    assert_eq!((q.oi, q.volume), (Some(912_345), Some(1_843_200)));
    assert_eq!(LiquidityFilters::default().rejection(q), None);

    // The documented OHLC answer: no depth, volume or OI. They stay unknown (never zero), no
    // implied vol can be had, and the liquidity filter says which field it could not check.
    let chain = one_chain(&answers(false));
    let q = chain
        .quotes
        .iter()
        .find(|q| q.contract.trading_symbol == "BANKNIFTY25DEC51200CE")
        .unwrap();
    assert_eq!(q.premium.to_f64(), Some(880.05));
    assert_eq!(
        (q.bid, q.ask, q.oi, q.volume, q.iv),
        (None, None, None, None, None)
    );
    let why = LiquidityFilters::default().rejection(q).unwrap();
    assert_eq!(why, Illiquid::OpenInterestUnknown { min_oi: 100 });
    assert_eq!(
        why.to_string(),
        "open interest unknown (the quote carries none), so min_oi 100 cannot be checked"
    );
}
