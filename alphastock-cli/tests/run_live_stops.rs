//! `protective_stop: broker` through the live loop against the fake mStock server: the filled
//! entry gets an `SL` order (trigger and limit on the tick grid) at the broker; the process
//! then dies without a clean stop; the restart adopts that stop order by its tag instead of
//! placing a second one; and over the whole session the broker never holds two working stop
//! orders for the position (each replacement is placed only after its predecessor's cancel).

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;

use alphastock_cli::broker::MstockBroker;
use alphastock_cli::mstock::clock::{FakeClock, IstClock, SystemClock};
use alphastock_cli::mstock::{Credentials, MstockClient};
use alphastock_cli::runner::executor::Executor;
use alphastock_cli::runner::live::LiveFeed;
use alphastock_cli::runner::live_loop::{run_loop, LoopOptions};
use alphastock_cli::runner::recovery;
use alphastock_cli::runner::session::{BrokerSlot, Session, SessionOptions};
use alphastock_cli::store::Store;
use alphastock_core::config::{Config, MstockConfig};
use alphastock_core::engine::{Engine, ProtectiveStopMode};
use alphastock_core::market::{IstTime, Symbol, IST};

use support::fake_mstock::{FakeMstock, API_KEY, API_SECRET};

const CONFIG: &str = r#"
market_data_runner: { frequency_seconds: 5, candle_minutes: 1 }
options_data_runner: { frequency_seconds: 5 }
strategies:
  ema_crossover:
    symbols: ["NSE:SBIN"]
    instrument: underlying
    parameters: { fast_ema: 3, slow_ema: 8, min_confidence: 0 }
options_trading:
  protective_stop: broker
  risk_management:
    capital: 1000000000
    risk_per_trade_pct: 1
    max_premium_per_trade: 100000
    max_exposure_per_underlying: 1000000000
    max_total_exposure: 1000000000
    daily_loss_limit: 1000000000000
    correlated_groups: []
"#;

fn session(server: &FakeMstock, dir: &std::path::Path, wall: &IstClock) -> Session {
    let mut c = MstockConfig {
        base_url: server.base_url.clone(),
        connect_timeout_ms: 200,
        read_timeout_ms: 300,
        token_cache_dir: dir.join("tokens").to_string_lossy().into_owned(),
        ..MstockConfig::default()
    };
    c.rate_limits.orders_per_second = 500.0;
    c.rate_limits.quotes_per_second = 500.0;
    c.rate_limits.other_per_second = 500.0;
    c.retry.max_attempts = 3;
    c.retry.base_delay_ms = 5;
    let credentials = Credentials::from_lookup(|k| match k {
        "MSTOCK_API_KEY" => Some(API_KEY.into()),
        "MSTOCK_API_SECRET" => Some(API_SECRET.into()),
        "MSTOCK_USERNAME" => Some("MA0000001".into()),
        "MSTOCK_PASSWORD" => Some("pw-Secret-4471".into()),
        "MSTOCK_TOTP_SECRET" => Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into()),
        _ => None,
    })
    .unwrap();
    let mut client = MstockClient::with_clock(c, credentials, Arc::new(SystemClock::default()));
    client.set_interactive(false);
    let broker = MstockBroker::new(client)
        .with_settle_delay(Duration::from_millis(10))
        .with_wall_clock(wall.clone());
    let config = Config::from_yaml_str(CONFIG).unwrap();
    let mut engine = Engine::new(&config).unwrap();
    // As `alphastock run --live` does with this config.
    engine.set_protective_stop(
        config
            .options_trading
            .protective_stop
            .unwrap_or(ProtectiveStopMode::Broker),
    );
    Session::new(
        engine,
        BrokerSlot::Live(Box::new(broker)),
        Executor::new(),
        Store::open(dir.join("journal.db")).unwrap().writer(100),
        SessionOptions::default(),
    )
}

/// 10 minutes sliding from 812 to 800, then 10 minutes climbing to 818, one price per 5 s.
fn price_path() -> Vec<f64> {
    let down = (0..120).map(|i| 812.0 - 0.1 * f64::from(i));
    let up = (0..120).map(|i| 800.0 + 0.15 * f64::from(i));
    down.chain(up).map(|p| (p * 20.0).round() / 20.0).collect()
}

fn run_until(s: &mut Session, wall: &IstClock, until: IstTime) {
    let symbols = vec![Symbol::parse("NSE:SBIN").unwrap()];
    run_loop(
        s,
        &mut LiveFeed::new(symbols, Vec::new(), 5, 5, 3, 50),
        wall,
        &AtomicBool::new(false),
        &[],
        &LoopOptions {
            until: Some(until),
            ..LoopOptions::default()
        },
    )
    .unwrap();
}

/// Replays the server's request log: the most stop orders working at once for one symbol.
fn most_stops_at_once(server: &FakeMstock) -> usize {
    let orders = server.orders();
    let stop_ids: BTreeMap<String, String> = orders
        .iter()
        .filter(|o| o.field("order_type") == "SL")
        .map(|o| (o.order_id.clone(), o.field("tradingsymbol")))
        .collect();
    let mut working: BTreeMap<String, usize> = BTreeMap::new();
    let mut most = 0;
    let mut placed = 0;
    for r in server.requests_to("orders/regular") {
        if r.method == "POST" && r.form_field("order_type") == Some("SL") {
            let sym = r.form_field("tradingsymbol").unwrap_or("").to_string();
            let n = working.entry(sym).or_default();
            *n += 1;
            most = most.max(*n);
            placed += 1;
        } else if r.method == "DELETE" {
            let id = r.path.rsplit('/').next().unwrap_or("");
            if let Some(sym) = stop_ids.get(id) {
                if let Some(n) = working.get_mut(sym) {
                    *n = n.saturating_sub(1);
                }
            }
        }
    }
    assert!(placed > 0, "no stop order was placed");
    most
}

#[test]
fn the_live_loop_keeps_one_stop_order_at_the_broker_across_a_crash() {
    let server = FakeMstock::start();
    // Only this test's SBIN trade: the recorded fixture's BANKNIFTY position would be adopted
    // and its stop would take the one fill this test scripts.
    server.without_fixture_positions();
    server.script_prices("NSE:SBIN", price_path());
    // The entry fills; every other order rests.
    server.fill_next(1);
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-live-stops-")
        .tempdir()
        .unwrap();
    let dir = scratch.path().to_path_buf();
    let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
    let wall = IstClock::starting_at(start, Arc::new(FakeClock::default()));
    let day = start.date_naive();

    // Run minute by minute until a stop order rests at the broker, then die without a clean
    // stop (the session is dropped: nothing more is sent or journaled).
    let mut live = session(&server, &dir, &wall);
    recovery::recover(&mut live, Some(day)).unwrap();
    let mut minute = 0;
    let stop = loop {
        minute += 1;
        assert!(minute <= 25, "no stop order within 25 minutes");
        run_until(&mut live, &wall, start + chrono::Duration::minutes(minute));
        let orders = server.orders();
        if let Some(o) = orders
            .iter()
            .find(|o| o.field("order_type") == "SL" && o.status == "OPEN")
        {
            break o.clone();
        }
    };
    live.writer.flush().unwrap();
    drop(live);

    // The stop order: a SELL of the whole position, trigger at the stop, limit 3 % below.
    let entry = &server.orders()[0];
    assert_eq!(entry.field("transaction_type"), "BUY");
    assert_eq!(stop.field("transaction_type"), "SELL");
    assert_eq!(stop.field("tradingsymbol"), "SBIN");
    assert_eq!(stop.field("quantity"), entry.field("quantity"));
    let trigger: f64 = stop.field("trigger_price").parse().unwrap();
    let limit: f64 = stop.field("price").parse().unwrap();
    assert!(trigger > 0.0 && limit < trigger, "{stop:?}");
    assert!(
        (limit - (trigger * 0.97 / 0.05).floor() * 0.05).abs() < 1e-6,
        "{stop:?}"
    );

    // The restart adopts it by its tag; nothing new is placed for the position meanwhile.
    let placed_before = server.orders().len();
    let mut restarted = session(&server, &dir, &wall);
    let rec = recovery::recover(&mut restarted, Some(day)).unwrap();
    assert!(rec.adopted.contains(&stop.tag), "{rec:?}");
    assert_eq!(
        restarted
            .engine
            .protective_stops()
            .get("SBIN")
            .map(|s| s.request.tag.clone()),
        Some(stop.tag.clone())
    );
    run_until(
        &mut restarted,
        &wall,
        start + chrono::Duration::minutes(minute) + chrono::Duration::seconds(30),
    );
    let new_stops = server.orders()[placed_before..]
        .iter()
        .filter(|o| o.field("order_type") == "SL")
        .count();
    let cancelled = server
        .orders()
        .iter()
        .any(|o| o.tag == stop.tag && o.status == "CANCELLED");
    assert!(
        new_stops == 0 || cancelled,
        "a second stop placed while the adopted one works"
    );

    // To the end of the session: never two working stop orders for SBIN at the broker.
    run_until(&mut restarted, &wall, start + chrono::Duration::minutes(27));
    assert_eq!(most_stops_at_once(&server), 1);
    let tags: std::collections::BTreeSet<String> =
        server.orders().iter().map(|o| o.tag.clone()).collect();
    assert_eq!(tags.len(), server.orders().len(), "one order per tag");
}
