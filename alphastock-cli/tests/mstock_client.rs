//! The mStock client and broker against a real loopback HTTP server with injected faults.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rust_decimal_macros::dec;

use alphastock_cli::broker::{Broker, BrokerError, InstrumentKey, MstockBroker};
use alphastock_cli::mstock::breaker::BreakerState;
use alphastock_cli::mstock::clock::{Clock, FakeClock, SystemClock};
use alphastock_cli::mstock::{Credentials, MstockClient, MstockError};
use alphastock_core::config::MstockConfig;
use alphastock_core::market::{Exchange, IST};
use alphastock_core::order::{OrderRequest, OrderType, Product, TransactionType, Validity};

use support::fake_mstock::{test_credentials, FakeMstock, Fault, API_KEY, API_SECRET};
use support::live_config::fast_mstock_config;

const USERNAME: &str = "MA0000001";
const PASSWORD: &str = "pw-Secret-4471";
const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The test account without its TOTP secret: the OTP login (password first, then the code).
fn credentials_without_totp() -> Credentials {
    Credentials::from_lookup(|k| match k {
        "MSTOCK_API_KEY" => Some(API_KEY.into()),
        "MSTOCK_API_SECRET" => Some(API_SECRET.into()),
        "MSTOCK_USERNAME" => Some(USERNAME.into()),
        "MSTOCK_PASSWORD" => Some(PASSWORD.into()),
        _ => None,
    })
    .unwrap()
}

fn temp_dir(name: &str) -> String {
    let d = std::env::temp_dir().join(format!(
        "alphastock-test-{name}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    d.to_string_lossy().into_owned()
}

/// The shared fast settings with a 150 ms read timeout, retries at most 3 s apart and a
/// breaker that opens after 50 failures and cools down in 50 ms.
fn config(base_url: &str, name: &str) -> MstockConfig {
    let mut c = fast_mstock_config(base_url, std::path::Path::new(&temp_dir(name)));
    c.read_timeout_ms = 150;
    c.retry.max_delay_ms = 3000;
    c.breaker.failure_threshold = 50;
    c.breaker.cooldown_seconds = 0.05;
    c
}

fn client(server: &FakeMstock, name: &str, clock: Arc<dyn Clock>) -> MstockClient {
    MstockClient::with_clock(config(&server.base_url, name), test_credentials(), clock)
}

fn real() -> Arc<dyn Clock> {
    Arc::new(SystemClock::default())
}

fn now() -> alphastock_core::market::IstTime {
    chrono::Utc::now().with_timezone(&IST)
}

fn key(ex: Exchange, s: &str) -> InstrumentKey {
    InstrumentKey {
        exchange: ex,
        trading_symbol: s.into(),
    }
}

#[test]
fn totp_login_sends_the_documented_headers_and_form_fields() {
    let server = FakeMstock::start();
    let mut c = client(&server, "totp", real());
    c.login_totp(59).unwrap();
    let funds = c.funds().unwrap();
    assert_eq!(funds.available, dec!(240512.75));
    assert_eq!(funds.used, dec!(9805.25));

    let login = &server.requests_to("session/verifytotp")[0];
    assert_eq!(login.method, "POST");
    assert_eq!(login.header("X-Mirae-Version"), Some("1"));
    assert!(login
        .header("Content-Type")
        .unwrap_or("")
        .starts_with("application/x-www-form-urlencoded"));
    assert_eq!(login.form_field("api_key"), Some(API_KEY));
    // RFC 6238 value for this secret at t = 59 s.
    assert_eq!(login.form_field("totp"), Some("287082"));
    assert_eq!(login.header("Authorization"), None);
    let call = &server.requests_to("user/fundsummary")[0];
    assert_eq!(call.header("X-Mirae-Version"), Some("1"));
    assert_eq!(
        call.header("Authorization"),
        Some(format!("token {API_KEY}:sess-0001-zz").as_str())
    );
}

#[test]
fn otp_login_sends_password_then_the_request_token_with_checksum_l() {
    let server = FakeMstock::start();
    let mut c = MstockClient::with_clock(
        config(&server.base_url, "otp"),
        credentials_without_totp(),
        real(),
    );
    c.request_otp().unwrap();
    c.complete_login("123456").unwrap();
    assert!(c.is_logged_in());
    let step1 = &server.requests_to("connect/login")[0];
    assert_eq!(step1.form_field("username"), Some(USERNAME));
    assert_eq!(step1.form_field("password"), Some(PASSWORD));
    assert_eq!(step1.header("X-Mirae-Version"), Some("1"));
    let step2 = &server.requests_to("session/token")[0];
    assert_eq!(step2.form_field("api_key"), Some(API_KEY));
    assert_eq!(step2.form_field("request_token"), Some("123456"));
    // What the official SDK and every public client send: the literal `L`, not a hash.
    assert_eq!(step2.form_field("checksum"), Some("L"));
    assert_eq!(server.tokens_issued(), 1);
    // The API secret plays no part in the session call: a wrong one changes nothing.
    let mut other = credentials_without_totp();
    other.api_secret = alphastock_cli::mstock::Secret::new("not-the-secret");
    let mut c = MstockClient::with_clock(config(&server.base_url, "otp2"), other, real());
    c.complete_login("123456").unwrap();
    assert_eq!(server.tokens_issued(), 2);
    let sent = &server.requests_to("session/token")[1];
    assert_eq!(sent.form_field("checksum"), Some("L"));
}

#[test]
fn reads_succeed_through_transient_faults_and_honour_retry_after() {
    let server = FakeMstock::start();
    let clock = Arc::new(FakeClock::default());
    let mut c = client(&server, "transient", clock.clone());
    c.login_totp(1_000_000).unwrap();

    server.fault("user/fundsummary", Fault::TooMany(2));
    server.fault("user/fundsummary", Fault::Html(502));
    assert_eq!(c.funds().unwrap().available, dec!(240512.75));
    assert!(
        clock.sleeps().contains(&Duration::from_secs(2)),
        "{:?}",
        clock.sleeps()
    );

    server.fault("portfolio/positions", Fault::Status(503));
    server.fault("portfolio/positions", Fault::Malformed);
    let pos = c.positions().unwrap();
    assert_eq!(pos[0].net_quantity, 35);

    server.fault("quote/ohlc", Fault::Slow(Duration::from_millis(400)));
    let q = c
        .quotes(
            &[
                key(Exchange::Nse, "SBIN"),
                key(Exchange::Nfo, "BANKNIFTY25DEC51200CE"),
            ],
            now(),
        )
        .unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].ltp, dec!(812.35));
    assert_eq!(q[1].bid, Some(dec!(279.95)));
    assert_eq!(q[1].ask, Some(dec!(280.15)));
    assert_eq!(q[1].oi, Some(912345));

    // Beyond the budget (3 attempts) the error is returned.
    for _ in 0..3 {
        server.fault("tradebook", Fault::Status(500));
    }
    let err = c.trade_book(now()).unwrap_err();
    assert!(
        matches!(err, MstockError::Api { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(server.requests_to("tradebook").len(), 3);
    // A refusal (4xx) is not retried.
    let before = server.requests_to("openapi/typea/orders").len();
    server.fault("openapi/typea/orders", Fault::Status(400));
    assert!(c.order_book(now()).is_err());
    assert_eq!(server.requests_to("openapi/typea/orders").len(), before + 1);
}

#[test]
fn quotes_are_batched_with_repeated_i_parameters() {
    let server = FakeMstock::start();
    let mut cfg = config(&server.base_url, "batch");
    cfg.quote_batch_size = 2;
    let mut c = MstockClient::with_clock(cfg, test_credentials(), real());
    c.login_totp(59).unwrap();
    let keys: Vec<InstrumentKey> = ["SBIN", "INFY", "TCS", "RELIANCE", "ITC"]
        .iter()
        .map(|s| key(Exchange::Nse, s))
        .collect();
    let q = c.quotes(&keys, now()).unwrap();
    assert_eq!(q.len(), 5);
    let calls = server.requests_to("quote/ohlc");
    let sizes: Vec<usize> = calls.iter().map(|r| r.query.len()).collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(calls[0].query[0], ("i".to_string(), "NSE:SBIN".to_string()));
    assert_eq!(calls[2].query[0], ("i".to_string(), "NSE:ITC".to_string()));
}

#[test]
fn breaker_opens_after_consecutive_failures_and_recovers_after_cooldown() {
    let server = FakeMstock::start();
    let clock = Arc::new(FakeClock::default());
    let mut cfg = config(&server.base_url, "breaker");
    cfg.retry.max_attempts = 1;
    cfg.breaker.failure_threshold = 3;
    cfg.breaker.cooldown_seconds = 10.0;
    let mut c = MstockClient::with_clock(cfg, test_credentials(), clock.clone());
    c.login_totp(59).unwrap();
    for _ in 0..3 {
        server.fault("user/fundsummary", Fault::Status(503));
        assert!(c.funds().is_err());
    }
    assert!(matches!(c.breaker_state(), BreakerState::Open { .. }));
    let seen = server.requests().len();
    let err = c.funds().unwrap_err();
    assert!(matches!(err, MstockError::BreakerOpen { .. }), "{err:?}");
    assert_eq!(
        server.requests().len(),
        seen,
        "an open breaker must not call the broker"
    );
    clock.advance(Duration::from_secs(11));
    // The half-open trial fails: open again.
    server.fault("user/fundsummary", Fault::Html(502));
    assert!(c.funds().is_err());
    assert!(matches!(
        c.funds().unwrap_err(),
        MstockError::BreakerOpen { .. }
    ));
    clock.advance(Duration::from_secs(11));
    assert!(c.funds().is_ok());
    assert_eq!(c.breaker_state(), BreakerState::Closed { failures: 0 });
}

#[test]
fn connection_refused_is_reported_as_not_sent() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut c = MstockClient::with_clock(
        config(&format!("http://127.0.0.1:{port}"), "refused"),
        test_credentials(),
        Arc::new(FakeClock::default()),
    );
    let err = c.login_totp(59).unwrap_err();
    assert!(matches!(err, MstockError::NotSent(_)), "{err:?}");
    c.set_access_token(alphastock_cli::mstock::Secret::new("x"));
    let err = c.funds().unwrap_err();
    assert!(matches!(err, MstockError::NotSent(_)), "{err:?}");
    let mut broker = MstockBroker::new(c).with_settle_delay(Duration::ZERO);
    let err = broker.place_order(&order("AS2512010009")).unwrap_err();
    assert!(matches!(err, BrokerError::Unavailable(_)), "{err:?}");
}

#[test]
fn request_rate_seen_by_the_server_never_exceeds_the_limit() {
    let server = FakeMstock::start();
    let mut cfg = config(&server.base_url, "rate");
    cfg.rate_limits.quotes_per_second = 20.0;
    let mut c = MstockClient::with_clock(cfg, test_credentials(), real());
    c.login_totp(59).unwrap();
    for _ in 0..12 {
        c.quotes(&[key(Exchange::Nse, "SBIN")], now()).unwrap();
    }
    let times: Vec<_> = server
        .requests_to("quote/ohlc")
        .iter()
        .map(|r| r.at)
        .collect();
    assert_eq!(times.len(), 12);
    // In any 200 ms window at most 200 ms × 20/s = 4 calls, plus the one at the window's edge.
    for (i, t0) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .filter(|t| t.duration_since(*t0) < Duration::from_millis(200))
            .count();
        assert!(within <= 5, "{within} quote calls within 200 ms");
    }
}

#[test]
fn expired_token_triggers_one_relogin_then_a_clear_failure() {
    let server = FakeMstock::start();
    let mut c = client(&server, "token", real());
    c.login_totp(59).unwrap();
    server.fault("user/fundsummary", Fault::TokenExpired);
    assert!(c.funds().is_ok());
    assert_eq!(server.tokens_issued(), 2);

    server.fault("user/fundsummary", Fault::TokenExpired);
    server.fault("user/fundsummary", Fault::TokenExpired);
    let err = c.funds().unwrap_err();
    assert!(matches!(err, MstockError::Session(_)), "{err:?}");
    assert!(err.to_string().contains("alphastock login"), "{err}");
    assert_eq!(server.tokens_issued(), 3);
}

#[test]
fn without_totp_an_expired_session_fails_clearly_when_unattended() {
    let server = FakeMstock::start();
    let mut c = MstockClient::with_clock(
        config(&server.base_url, "unattended"),
        credentials_without_totp(),
        real(),
    );
    let err = c.funds().unwrap_err();
    assert!(err.to_string().contains("MSTOCK_TOTP_SECRET"), "{err}");
    assert!(server.requests().is_empty());
}

#[test]
fn the_days_token_is_cached_and_reused() {
    let server = FakeMstock::start();
    let cfg = config(&server.base_url, "cache");
    let mut c = MstockClient::with_clock(cfg.clone(), test_credentials(), real());
    let path = c.login(&mut || Ok(String::new())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let mut again = MstockClient::with_clock(cfg, test_credentials(), real());
    again.funds().unwrap();
    assert_eq!(server.tokens_issued(), 1, "the cached token must be reused");
}

fn order(tag: &str) -> OrderRequest {
    OrderRequest {
        tag: tag.into(),
        exchange: Exchange::Nfo,
        trading_symbol: "BANKNIFTY25DEC51200CE".into(),
        transaction_type: TransactionType::Buy,
        order_type: OrderType::Limit,
        quantity: 35,
        price: Some(dec!(280.05)),
        trigger_price: None,
        product: Product::Nrml,
        validity: Validity::Day,
    }
}

#[test]
fn one_order_request_never_makes_two_orders_whatever_the_fault() {
    let faults = [
        ("drop after accept", Some(Fault::DropAfterAccept)),
        (
            "slow after accept",
            Some(Fault::Slow(Duration::from_millis(400))),
        ),
        ("500 after accept", Some(Fault::ErrorAfterAccept)),
        ("malformed after accept", Some(Fault::Malformed)),
        ("503 before accept", Some(Fault::Status(503))),
        ("html 502 before accept", Some(Fault::Html(502))),
        ("429", Some(Fault::TooMany(1))),
        ("token expired", Some(Fault::TokenExpired)),
        ("no fault", None),
    ];
    for (name, fault) in faults {
        let server = FakeMstock::start();
        let mut c = client(&server, "place", real());
        c.login_totp(59).unwrap();
        let mut broker = MstockBroker::new(c).with_settle_delay(Duration::ZERO);
        if let Some(f) = fault {
            server.fault("orders/regular", f);
        }
        let result = broker.place_order(&order("AS2512010001"));
        let orders = server.orders();
        assert!(
            orders.len() <= 1,
            "{name}: {} orders at the server",
            orders.len()
        );
        match (&result, orders.first()) {
            (Ok(id), Some(o)) => assert_eq!(id, &o.order_id, "{name}"),
            (Ok(id), None) => panic!("{name}: got id {id} but the server has no order"),
            (Err(e), Some(o)) => panic!("{name}: server has {} but got {e}", o.order_id),
            (Err(BrokerError::OutcomeUnknown { tag, .. }), None) => {
                assert_eq!(tag, "AS2512010001");
                assert!(broker.in_doubt().contains_key("BANKNIFTY25DEC51200CE"));
                // No new entry in that instrument while in doubt.
                let again = broker.place_order(&order("AS2512010002"));
                assert!(
                    matches!(again, Err(BrokerError::OutcomeUnknown { .. })),
                    "{name}"
                );
                assert!(server.orders().is_empty(), "{name}");
            }
            (Err(BrokerError::NotPlaced { tag, .. }), None) => {
                // The answer was lost and the order book, read afterwards, does not show the
                // tag: it never reached the broker, so nothing stays in doubt.
                assert_eq!(tag, "AS2512010001", "{name}");
                assert!(broker.in_doubt().is_empty(), "{name}");
                assert!(server.orders().is_empty(), "{name}");
            }
            (Err(e), None) => assert!(
                matches!(
                    e,
                    BrokerError::Unavailable(_) | BrokerError::Rejected { .. }
                ),
                "{name}: {e}"
            ),
        }
        if let Some(o) = orders.first() {
            assert_eq!(o.tag, "AS2512010001");
            assert_eq!(
                o.form
                    .iter()
                    .find(|(k, _)| k == "price")
                    .map(|(_, v)| v.as_str()),
                Some("280.05")
            );
        }
    }
}

#[test]
fn modify_and_cancel_reach_the_order() {
    let server = FakeMstock::start();
    let mut c = client(&server, "modify", real());
    c.login_totp(59).unwrap();
    let mut broker = MstockBroker::new(c);
    let id = broker.place_order(&order("AS2512010003")).unwrap();
    broker.modify_order(&id, dec!(281.10), None).unwrap();
    let put = &server.requests_to(&format!("orders/regular/{id}"))[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.form_field("price"), Some("281.1"));
    assert_eq!(put.form_field("quantity"), Some("35"));
    broker.cancel_order(&id).unwrap();
    let book = broker.order_book().unwrap();
    assert_eq!(
        book[0].status,
        alphastock_core::order::OrderStatus::Cancelled
    );
    assert_eq!(book[0].tag, "AS2512010003");
}

#[test]
fn a_stop_order_is_moved_in_place_as_the_sdk_modifies_it() {
    let server = FakeMstock::start();
    let mut c = client(&server, "modify-stop", real());
    c.login_totp(59).unwrap();
    let mut broker = MstockBroker::new(c);
    let mut sl = order("AS2512010004");
    sl.transaction_type = TransactionType::Sell;
    sl.order_type = OrderType::StopLoss;
    sl.trigger_price = Some(dec!(224.15));
    sl.price = Some(dec!(217.40));
    let id = broker.place_order(&sl).unwrap();
    broker
        .modify_stop(&id, dec!(240.00), dec!(232.80), 35)
        .unwrap();
    // `modify_order` of the official SDK: order_type, quantity, price, validity,
    // trigger_price, disclosed_quantity, on the order's own route.
    let put = &server.requests_to(&format!("orders/regular/{id}"))[0];
    assert_eq!(put.method, "PUT");
    for (k, v) in [
        ("order_type", "SL"),
        ("quantity", "35"),
        ("price", "232.8"),
        ("validity", "DAY"),
        ("trigger_price", "240"),
        ("disclosed_quantity", "0"),
    ] {
        assert_eq!(put.form_field(k), Some(v), "{k}");
    }
    let orders = server.orders();
    assert_eq!(orders.len(), 1, "moved, not placed again");
    assert_eq!(orders[0].field("trigger_price"), "240");
    assert_eq!(orders[0].status, "OPEN");
}

#[test]
fn script_master_is_parsed_and_cached_for_the_day() {
    let server = FakeMstock::start();
    let mut c = client(&server, "master", real());
    c.login_totp(59).unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap();
    let recs = c.script_master(day).unwrap();
    let opt = recs.iter().find_map(|r| r.option_contract()).unwrap();
    assert_eq!(opt.lot_size, 35);
    assert_eq!(opt.tick_size, dec!(0.05));
    assert_eq!(c.script_master(day).unwrap().len(), recs.len());
    assert_eq!(
        server.requests_to("scriptmaster").len(),
        1,
        "second read comes from the cache"
    );
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn secrets_never_appear_in_logs_or_debug_output() {
    let server = FakeMstock::start();
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let debug = tracing::subscriber::with_default(subscriber, || {
        let mut c = MstockClient::with_clock(
            config(&server.base_url, "secrets"),
            test_credentials(),
            real(),
        );
        c.request_otp().unwrap();
        c.complete_login("654321").unwrap();
        server.fault("user/fundsummary", Fault::TokenExpired);
        server.fault("user/fundsummary", Fault::Status(500));
        c.funds().unwrap();
        let mut broker = MstockBroker::new(c).with_settle_delay(Duration::ZERO);
        server.fault("orders/regular", Fault::DropAfterAccept);
        broker.place_order(&order("AS2512010004")).unwrap();
        format!(
            "{broker:?} {:?} {:?}",
            test_credentials(),
            config(&server.base_url, "x")
        )
    });
    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("mstock request"),
        "the test must see the client's logs: {logs}"
    );
    for secret in [
        API_KEY,
        API_SECRET,
        PASSWORD,
        TOTP_SECRET,
        "sess-0",
        "654321",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into logs:\n{logs}");
        assert!(
            !debug.contains(secret),
            "{secret} leaked into debug output:\n{debug}"
        );
    }
}

#[test]
fn trade_book_and_order_details_are_typed() {
    let server = FakeMstock::start();
    let mut c = client(&server, "books", real());
    c.login_totp(59).unwrap();
    let trades = c.trade_book(now()).unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].trade_id, "51823341");
    assert_eq!(trades[0].quantity, 35);
    assert_eq!(trades[0].price, dec!(280.15));
    assert_eq!(trades[0].tag, "AS2512010001");
    assert_eq!(
        trades[0].timestamp.to_rfc3339(),
        "2025-12-01T09:31:04+05:30"
    );

    let id = c.place_order_once(&order("AS2512010005")).unwrap();
    let history = c.order_details(&id, true, now()).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].status,
        alphastock_core::order::OrderStatus::Pending
    );
    let req = &server.requests_to("order/details")[0];
    assert_eq!(req.form_field("order_no"), Some(id.as_str()));
    assert_eq!(req.form_field("segment"), Some("D"));
}
