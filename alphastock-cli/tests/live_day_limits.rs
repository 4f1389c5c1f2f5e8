//! A whole simulated live day (09:15–15:30 IST, 22,500 s) of the live feed against the fake
//! mStock server with three indices, after the warm start's history calls: the configured 2 s
//! options cadence holds, and the server, counting market-data calls (quotes and history) per
//! window on the client's clock, sees no breach of the broker's 1/s, 1,000/min and 5,000/h.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone};
use rust_decimal::Decimal;

use alphastock_cli::broker::MstockBroker;
use alphastock_cli::mstock::clock::{Clock, FakeClock, IstClock};
use alphastock_cli::mstock::script_master::ScriptRecord;
use alphastock_cli::mstock::MstockClient;
use alphastock_cli::runner::cadence::plan_quote_load;
use alphastock_cli::runner::live::LiveFeed;
use alphastock_cli::runner::warm_start::seed_from_broker;
use alphastock_core::config::{Config, MstockConfig};
use alphastock_core::engine::{Engine, Event};
use alphastock_core::market::{Exchange, OptionContract, OptionType, Symbol, IST};

use support::fake_mstock::{test_credentials, FakeMstock};

const DAY_SECONDS: u64 = 22_500;

fn contracts(underlying: &str, around: i64, step: i64) -> Vec<OptionContract> {
    let expiry = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
    (-10..=10)
        .flat_map(|i| {
            let k = around + i * step;
            [OptionType::CE, OptionType::PE].map(|t| OptionContract {
                underlying: Symbol::parse(underlying).unwrap(),
                expiry,
                strike: Decimal::from(k),
                option_type: t,
                lot_size: 30,
                tick_size: Decimal::new(5, 2),
                trading_symbol: format!("{underlying}26DEC{k}{t:?}"),
                exchange: Exchange::Nfo,
            })
        })
        .collect()
}

#[test]
fn a_live_day_with_three_indices_keeps_the_options_cadence_within_the_limits() {
    let server = FakeMstock::start();
    let clock = Arc::new(FakeClock::default());
    let source = clock.clone();
    server.set_time_source(Arc::new(move || source.now()));
    server.script_prices("NSE:NIFTY BANK", vec![51_245.0]);
    server.script_prices("NSE:NIFTY 50", vec![24_010.0]);
    server.script_prices("NSE:NIFTY FIN SERVICE", vec![23_490.0]);

    // The broker's market-data figures are the client's defaults.
    let cfg = MstockConfig {
        base_url: server.base_url.clone(),
        read_timeout_ms: 2000,
        token_cache_dir: tempfile::tempdir()
            .unwrap()
            .keep()
            .to_string_lossy()
            .into_owned(),
        ..MstockConfig::default()
    };
    let limits = cfg.rate_limits.clone();
    assert_eq!(
        (
            limits.quotes_per_second,
            limits.quotes_per_minute,
            limits.quotes_per_hour
        ),
        (1.0, 1000, 5000)
    );
    let mut client = MstockClient::with_clock(cfg, test_credentials(), clock.clone());
    client.login_totp(59).unwrap();
    let open = IST.with_ymd_and_hms(2026, 12, 1, 9, 15, 0).unwrap();
    let wall = IstClock::starting_at(open, clock.clone());

    // Warm start at the open: the previous session's 5-minute bars of each index, one history
    // call each (NIFTY 50 and NIFTY BANK by their SDK tokens, FINNIFTY by the script master's).
    let previous: Vec<serde_json::Value> = (0..75)
        .map(|i| {
            let t = IST.with_ymd_and_hms(2026, 11, 30, 9, 15, 0).unwrap()
                + chrono::Duration::minutes(5 * i);
            serde_json::json!([
                t.format("%Y-%m-%dT%H:%M:%S+05").to_string(),
                100,
                101,
                99,
                100,
                0
            ])
        })
        .collect();
    for token in ["26000", "26009", "26037"] {
        server.script_history(token, previous.clone());
    }
    let fin = ScriptRecord {
        instrument_token: "26037".into(),
        exchange: Exchange::Nse,
        trading_symbol: "NIFTY FIN SERVICE".into(),
        name: "FINNIFTY".into(),
        expiry: None,
        strike: None,
        tick_size: Decimal::new(5, 2),
        lot_size: 1,
        instrument_type: "INDEX".into(),
    };
    let config = Config::from_yaml_str(
        "strategies:\n  ema_crossover: { enabled: true, symbols: [BANKNIFTY, NIFTY, FINNIFTY] }\n",
    )
    .unwrap();
    let mut engine = Engine::new(&config).unwrap();
    let lines = seed_from_broker(&mut engine, &mut client, &[fin], wall.now(), &[]);
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l.contains("seeded with 75 bar(s) of 5 min")),
        "{lines:?}"
    );
    assert_eq!(server.requests_to("instruments/historical").len(), 3);
    let mut broker = MstockBroker::new(client).with_wall_clock(wall.clone());

    let indices = ["BANKNIFTY", "NIFTY", "FINNIFTY"];
    let symbols: Vec<Symbol> = indices.iter().map(|s| Symbol::parse(s).unwrap()).collect();
    let mut all = contracts("BANKNIFTY", 51_200, 100);
    all.extend(contracts("NIFTY", 24_000, 50));
    all.extend(contracts("FINNIFTY", 23_500, 50));
    // The cadence the limits allow, as computed at start: the configured 2 s holds.
    let load = plan_quote_load(3, 3, 3, 50, 5, &limits);
    assert_eq!(load.options_seconds(2), Ok((2, None)));
    let mut feed = LiveFeed::new(symbols.clone(), all, 5, 2, 3, 50);

    let origin = clock.now();
    let mut chains: BTreeMap<String, usize> = BTreeMap::new();
    let mut spots: BTreeMap<String, Decimal> = BTreeMap::new();
    loop {
        let elapsed = clock.now() - origin;
        if elapsed >= Duration::from_secs(DAY_SECONDS) {
            break;
        }
        let (events, problems) = feed.poll(&mut broker, elapsed, wall.now(), &[]);
        assert!(problems.is_empty(), "at {elapsed:?}: {problems:?}");
        for e in events {
            if let Event::OptionChain(c) = e {
                assert_eq!(c.quotes.len(), 6, "3 CE + 3 PE for {}", c.underlying);
                *chains.entry(c.underlying.to_string()).or_default() += 1;
                spots.insert(c.underlying.to_string(), c.spot);
            }
        }
        let due = feed.next_due();
        let at = clock.now() - origin;
        if due > at {
            clock.advance(due - at);
        }
    }

    // Every options tick of the day (0, 2, …, 22,498 s) gave every index its chain, with the
    // spot from the same call.
    for i in indices {
        assert_eq!(chains.get(i), Some(&11_250), "{i}: {chains:?}");
    }
    assert_eq!(spots["BANKNIFTY"], Decimal::from(51_245));
    assert_eq!(spots["FINNIFTY"], Decimal::from(23_490));

    // Calls: one options call a tick (3 spots + 18 contracts), and the market ticks that do not
    // fall on an options tick (5, 15, 25, … s: 2,250), plus the first market call at 0 s, made
    // before any spot was known: 11,250 + 2,250 + 1.
    let calls = server.requests_to("quote/ohlc");
    assert_eq!(calls.len(), 13_501);
    assert_eq!(calls.iter().filter(|r| r.query.len() == 21).count(), 11_250);
    assert_eq!(calls.iter().filter(|r| r.query.len() == 3).count(), 2_251);

    // The server's count of every published market-data window, history calls included.
    for (limit, seconds) in [(1, 1), (1000, 60), (5000, 3600)] {
        let breaches = server.window_breaches(
            &["quote/ohlc", "instruments/historical"],
            limit,
            Duration::from_secs(seconds),
        );
        assert!(
            breaches.is_empty(),
            "{} breaches, first: {}",
            breaches.len(),
            breaches[0]
        );
    }
}
