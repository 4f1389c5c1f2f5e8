//! The broker's answers in every shape it is known to use (the official SDK
//! `tradingapi_a/mconnect.py` and public clients), served from recorded fixtures by the fake
//! server: HTTP-200 error envelopes, Type B boolean/string status, array-wrapped bodies, the
//! API-key/static-IP refusal, quotes without depth or OI, and an LTP in paise.

mod support;

use std::sync::Arc;

use rust_decimal_macros::dec;

use alphastock_cli::broker::{Broker, BrokerError, InstrumentKey, MstockBroker};
use alphastock_cli::mstock::clock::{Clock, SystemClock};
use alphastock_cli::mstock::{MstockClient, MstockError};
use alphastock_core::config::MstockConfig;
use alphastock_core::market::{Exchange, IST};
use alphastock_core::order::{OrderRequest, OrderType, Product, TransactionType, Validity};

use support::fake_mstock::{fixture, test_credentials, FakeMstock, Fault};
use support::live_config::fast_mstock_config;

fn client(server: &FakeMstock, name: &str) -> MstockClient {
    let dir = std::env::temp_dir().join(format!(
        "alphastock-shapes-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let mut c = fast_mstock_config(&server.base_url, &dir);
    c.connect_timeout_ms = 500;
    c.read_timeout_ms = 2000;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    let mut client = MstockClient::with_clock(c, test_credentials(), clock);
    client.login_totp(59).unwrap();
    client
}

fn order() -> OrderRequest {
    OrderRequest {
        tag: "AS2612010001".into(),
        exchange: Exchange::Nfo,
        trading_symbol: "BANKNIFTY25DEC51200CE".into(),
        transaction_type: TransactionType::Buy,
        order_type: OrderType::Limit,
        quantity: 30,
        price: Some(dec!(280.05)),
        trigger_price: None,
        product: Product::Mis,
        validity: Validity::Day,
    }
}

fn key(ex: Exchange, s: &str) -> InstrumentKey {
    InstrumentKey {
        exchange: ex,
        trading_symbol: s.into(),
    }
}

#[test]
fn an_error_envelope_sent_with_http_200_is_an_error_with_the_brokers_words() {
    let server = FakeMstock::start();
    let mut c = client(&server, "http200");
    server.fault(
        "user/fundsummary",
        Fault::Reply(200, fixture("error_http200_envelope.json")),
    );
    let err = c.funds().unwrap_err();
    assert_eq!(
        err,
        MstockError::Api {
            status: 200,
            error_type: "InputException".into(),
            message: "Order rejected: quantity 31 is not a multiple of the lot size 30.".into(),
        }
    );
    // A refusal is not retried, even for a read.
    assert_eq!(server.requests_to("user/fundsummary").len(), 1);
}

#[test]
fn type_b_status_false_as_boolean_or_string_is_an_error() {
    let server = FakeMstock::start();
    let mut c = client(&server, "typeb");
    for (name, message) in [
        ("error_status_false_bool.json", "Invalid instrument"),
        ("error_status_false_string.json", "Session not found"),
    ] {
        server.fault("user/fundsummary", Fault::Reply(200, fixture(name)));
        let err = c.funds().unwrap_err();
        assert_eq!(
            err,
            MstockError::Api {
                status: 200,
                // No `error_type` in these bodies: the SDK's fallback class.
                error_type: "GeneralException".into(),
                message: message.into(),
            },
            "{name}"
        );
    }
}

#[test]
fn boolean_true_status_is_a_success() {
    let server = FakeMstock::start();
    let mut c = client(&server, "true");
    server.fault(
        "user/fundsummary",
        Fault::Reply(200, fixture("fundsummary_status_true.json")),
    );
    let funds = c.funds().unwrap();
    assert_eq!(funds.available, dec!(150000.50));
    assert_eq!(funds.used, dec!(2500.25));
}

#[test]
fn an_array_wrapped_placement_answer_gives_its_order_id() {
    let server = FakeMstock::start();
    let mut c = client(&server, "array");
    // The server's own answer for this order, wrapped as `[{...}]`.
    server.fault("orders/regular", Fault::WrapInArray);
    let id = c.place_order_once(&order()).unwrap();
    assert_eq!(server.orders().len(), 1);
    assert_eq!(id, server.orders()[0].order_id);
    // And the recorded array-wrapped answer.
    server.fault(
        "orders/regular",
        Fault::Reply(200, fixture("place_order_array.json")),
    );
    assert_eq!(c.place_order_once(&order()).unwrap(), "1161251201077");
}

#[test]
fn an_array_wrapped_error_is_an_error_and_the_order_is_not_sent_again() {
    let server = FakeMstock::start();
    let mut c = client(&server, "array-err");
    server.fault(
        "orders/regular",
        Fault::Reply(200, fixture("error_array_envelope.json")),
    );
    let err = c.place_order_once(&order()).unwrap_err();
    assert_eq!(
        err,
        MstockError::Api {
            status: 200,
            error_type: "OrderException".into(),
            message: "Order price is outside the day's price band.".into(),
        }
    );
    assert!(!err.outcome_unknown());
    assert_eq!(server.requests_to("orders/regular").len(), 1);
}

#[test]
fn an_api_key_or_ip_refusal_on_placement_is_reported_and_never_retried() {
    // Whatever HTTP status it comes with: the SDK's exceptions default to code 500, which this
    // client would otherwise take for an order whose outcome is unknown.
    for status in [200u16, 403, 500] {
        let server = FakeMstock::start();
        let mut broker = MstockBroker::new(client(&server, "apikey"));
        server.fault(
            "orders/regular",
            Fault::Reply(status, fixture("error_apikey_ip.json")),
        );
        let err = broker.place_order(&order()).unwrap_err();
        let BrokerError::Rejected {
            error_type,
            message,
        } = &err
        else {
            panic!("HTTP {status}: expected a refusal, got {err:?}");
        };
        assert_eq!(error_type, "APIKeyException");
        assert!(
            message.starts_with("Invalid API key or request from an unregistered IP address."),
            "{message}"
        );
        assert!(message.contains("static IP"), "{message}");
        // Sent once, no reconciliation through the order book, nothing left in doubt.
        assert_eq!(
            server.requests_to("orders/regular").len(),
            1,
            "HTTP {status}"
        );
        assert!(server
            .requests()
            .iter()
            .all(|r| r.path != "openapi/typea/orders"));
        assert!(broker.in_doubt().is_empty());
        assert!(server.orders().is_empty());
    }
}

#[test]
fn an_api_key_refusal_of_a_read_is_not_retried() {
    let server = FakeMstock::start();
    let mut c = client(&server, "apikey-read");
    server.fault(
        "user/fundsummary",
        Fault::Reply(500, fixture("error_apikey_ip.json")),
    );
    let err = c.funds().unwrap_err();
    assert!(err.is_api_key_error() && !err.is_transient(), "{err:?}");
    assert_eq!(server.requests_to("user/fundsummary").len(), 1);
}

#[test]
fn a_quote_without_depth_or_oi_leaves_them_unknown() {
    let server = FakeMstock::start();
    let mut c = client(&server, "nodepth");
    server.fault(
        "quote/ohlc",
        Fault::Reply(200, fixture("quote_ohlc_no_depth.json")),
    );
    let k = key(Exchange::Nfo, "BANKNIFTY25DEC51200CE");
    let q = c
        .quotes(
            std::slice::from_ref(&k),
            chrono::Utc::now().with_timezone(&IST),
        )
        .unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].ltp, dec!(280.05));
    assert_eq!(q[0].low, dec!(262.15));
    assert_eq!((q[0].bid, q[0].ask), (None, None));
    assert_eq!(q[0].oi, None);
    assert_eq!(q[0].volume, None);
}

#[test]
fn an_ltp_in_paise_is_dropped_and_the_sane_quote_kept() {
    let server = FakeMstock::start();
    let mut c = client(&server, "paise");
    server.fault(
        "quote/ohlc",
        Fault::Reply(200, fixture("quote_ohlc_ltp_paise.json")),
    );
    let keys = [
        key(Exchange::Nfo, "BANKNIFTY25DEC51200CE"),
        key(Exchange::Nse, "SBIN"),
    ];
    let q = c
        .quotes(&keys, chrono::Utc::now().with_timezone(&IST))
        .unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].key.trading_symbol, "SBIN");
    assert_eq!(q[0].ltp, dec!(812.35));
}

fn simulated_client(server: &FakeMstock, orders_per_minute: u32) -> MstockClient {
    use alphastock_cli::mstock::clock::FakeClock;
    let clock = Arc::new(FakeClock::default());
    let source = clock.clone();
    server.set_time_source(Arc::new(move || source.now()));
    let mut c = MstockConfig {
        base_url: server.base_url.clone(),
        read_timeout_ms: 2000,
        token_cache_dir: std::env::temp_dir()
            .join(format!("alphastock-burst-{}", fastrand::u64(..)))
            .to_string_lossy()
            .into_owned(),
        ..MstockConfig::default()
    };
    // The broker's own order figures: 30/s, 250/min (1,000/h by default).
    c.rate_limits.orders_per_second = 30.0;
    c.rate_limits.orders_per_minute = orders_per_minute;
    let mut client = MstockClient::with_clock(c, test_credentials(), clock);
    client.login_totp(59).unwrap();
    client
}

#[test]
fn a_burst_that_would_break_the_per_minute_window_is_held_back() {
    let server = FakeMstock::start();
    let mut c = simulated_client(&server, 250);
    for i in 0..300 {
        let mut o = order();
        o.tag = format!("AS26120100{i:03}");
        c.place_order_once(&o).unwrap();
    }
    assert_eq!(server.orders().len(), 300);
    let minute = std::time::Duration::from_secs(60);
    let second = std::time::Duration::from_secs(1);
    assert_eq!(
        server.window_breaches(&["orders/regular"], 250, minute),
        Vec::<String>::new()
    );
    assert_eq!(
        server.window_breaches(&["orders/regular"], 30, second),
        Vec::<String>::new()
    );
    // The 251st order waited for the first to leave the minute.
    let times: Vec<_> = server
        .requests_to("orders/regular")
        .iter()
        .map(|r| r.sim)
        .collect();
    assert!(times[250] >= times[0] + minute, "{:?}", times[250]);

    // The server's count can fail: a limiter allowed 300 a minute breaks the broker's 250.
    let server = FakeMstock::start();
    let mut c = simulated_client(&server, 300);
    for i in 0..300 {
        let mut o = order();
        o.tag = format!("AS26120100{i:03}");
        c.place_order_once(&o).unwrap();
    }
    assert_eq!(
        server
            .window_breaches(&["orders/regular"], 250, minute)
            .len(),
        50
    );
}
