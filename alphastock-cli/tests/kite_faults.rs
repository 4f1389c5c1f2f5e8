//! Zerodha Kite Connect v3 as the live broker, black-box: the built `alphastock` binary against
//! the fake Kite server (`support/fake_kite.rs`, which speaks the wire as the official SDK
//! `zerodha/pykiteconnect` does).
//!
//! - The fake server itself, through raw HTTP: headers, envelopes, the session checksum, the
//!   instruments CSV, full quotes, an order book that fills and triggers stops from scripted
//!   prices, and every fault it can inject.
//! - Login: `alphastock login --broker kite` makes the session with the SDK's checksum and caches
//!   the access token; a broker command without a cached token exits 2 naming the login command.
//! - The fault suite: under every fault on the order placement (429, 5xx, an HTML error page, a
//!   slow answer beyond the client's timeout, broken JSON, a connection dropped after the order
//!   was booked) each intent reaches the broker at most once, a lost answer is resolved by the
//!   order's tag, the filled entry gets exactly one working stop, and no secret appears in
//!   stdout, stderr or the journal.
//! - A SIGKILL at the worst moments and a restart on the same journal: exactly one working stop
//!   at the broker, the entry bought once.
//! - Token expiry mid-run: no further order, a message naming `alphastock login --broker kite`,
//!   the stop left at the broker; after a new login the restart adopts the position and its stop.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use alphastock_core::market::IstTime;

use support::crash::{self, CrashRig, Crashed, KillAt, LiveRun};
use support::fake_http::FakeHttp;
use support::fake_kite::live::{
    alphastock, assert_no_secret, entries, entry_filled, journaled_orders, kite_config, kite_login,
    placed_tags_once, scratch, sl_orders, start, stop_resting, text, LiveChild, PATIENCE,
};
use support::fake_kite::{
    checksum, CallClass, FakeKite, Fault, ServerOrder, API_KEY, API_SECRET, REQUEST_TOKEN,
};

// ---------------------------------------------------------------------------------------------
// The fake server, through raw HTTP.
// ---------------------------------------------------------------------------------------------

/// A raw HTTP answer: status, content type, body.
type Raw = (u16, String, String);

fn agent(timeout_ms: u64) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_millis(timeout_ms)))
        .build()
        .into()
}

fn read(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Raw, String> {
    let mut resp = resp.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    Ok((status, ct, body))
}

/// A Kite call as the SDK makes it: `X-Kite-Version: 3`, the session's `Authorization` when
/// `token` is given, the form for POST/PUT, the query for GET/DELETE.
fn call(
    server: &FakeKite,
    method: &str,
    path: &str,
    token: Option<&str>,
    params: &[(&str, &str)],
) -> Result<Raw, String> {
    call_with(server, method, path, token, params, 2000)
}

fn call_with(
    server: &FakeKite,
    method: &str,
    path: &str,
    token: Option<&str>,
    params: &[(&str, &str)],
    timeout_ms: u64,
) -> Result<Raw, String> {
    let a = agent(timeout_ms);
    let url = format!("{}{path}", server.base_url);
    let auth = token.map(|t| format!("token {API_KEY}:{t}"));
    macro_rules! headers {
        ($b:expr) => {{
            let mut b = $b.header("X-Kite-Version", "3");
            if let Some(a) = &auth {
                b = b.header("Authorization", a);
            }
            b
        }};
    }
    let q = params.iter().map(|(k, v)| (*k, *v));
    read(match method {
        "GET" => headers!(a.get(&url)).query_pairs(q).call(),
        "DELETE" => headers!(a.delete(&url)).query_pairs(q).call(),
        "POST" => headers!(a.post(&url)).send_form(q),
        _ => headers!(a.put(&url)).send_form(q),
    })
}

fn data(raw: &Raw) -> Value {
    let v: Value = serde_json::from_str(&raw.2).unwrap_or_else(|e| panic!("{e}: {raw:?}"));
    assert_eq!(v["status"], "success", "{raw:?}");
    v["data"].clone()
}

fn error_type(raw: &Raw) -> String {
    let v: Value = serde_json::from_str(&raw.2).unwrap_or_else(|e| panic!("{e}: {raw:?}"));
    assert_eq!(v["status"], "error", "{raw:?}");
    assert_eq!(v["data"], Value::Null, "{raw:?}");
    v["error_type"].as_str().unwrap_or("").to_string()
}

/// `POST /session/token` as `generate_session` sends it, with this `checksum`.
fn session_call(server: &FakeKite, request_token: &str, sum: &str) -> Raw {
    call(
        server,
        "POST",
        "/session/token",
        None,
        &[
            ("api_key", API_KEY),
            ("request_token", request_token),
            ("checksum", sum),
        ],
    )
    .unwrap()
}

/// A session made with the right checksum; its access token.
fn login(server: &FakeKite, request_token: &str) -> String {
    let sum = checksum(API_KEY, request_token, API_SECRET);
    data(&session_call(server, request_token, &sum))["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

fn limit_order<'a>(
    side: &'a str,
    qty: &'a str,
    price: &'a str,
    tag: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("variety", "regular"),
        ("exchange", "NSE"),
        ("tradingsymbol", "SBIN"),
        ("transaction_type", side),
        ("quantity", qty),
        ("product", "MIS"),
        ("order_type", "LIMIT"),
        ("price", price),
        ("validity", "DAY"),
        ("tag", tag),
    ]
}

#[test]
fn the_checksum_is_the_hex_sha256_of_key_token_and_secret() {
    // FIPS 180-2's test vector: SHA-256("abc").
    assert_eq!(
        checksum("a", "b", "c"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn the_fake_kite_session_needs_the_version_header_the_checksum_and_a_fresh_request_token() {
    let server = FakeKite::start();
    // No session yet: a TokenException, in the error envelope, with 403.
    let raw = call(&server, "GET", "/user/margins", Some("nothing"), &[]).unwrap();
    assert_eq!(raw.0, 403);
    assert_eq!(error_type(&raw), "TokenException");
    // A wrong checksum (the secret left out) is refused.
    let raw = session_call(
        &server,
        REQUEST_TOKEN,
        &checksum(API_KEY, REQUEST_TOKEN, ""),
    );
    assert_eq!((raw.0, error_type(&raw).as_str()), (403, "TokenException"));
    let token = login(&server, REQUEST_TOKEN);
    assert_eq!(server.access_tokens(), vec![token.clone()]);
    // A request token is good once.
    let sum = checksum(API_KEY, REQUEST_TOKEN, API_SECRET);
    let raw = session_call(&server, REQUEST_TOKEN, &sum);
    assert_eq!(raw.0, 403);
    assert_eq!(server.refused_sessions(), 2);
    // Without `X-Kite-Version: 3` an InputException.
    let raw = read(
        agent(2000)
            .get(format!("{}/user/margins", server.base_url))
            .header("Authorization", format!("token {API_KEY}:{token}"))
            .call(),
    )
    .unwrap();
    assert_eq!((raw.0, error_type(&raw).as_str()), (400, "InputException"));
    // With both: the margins, as the SDK's recorded answer shapes them.
    let m = data(&call(&server, "GET", "/user/margins", Some(&token), &[]).unwrap());
    assert_eq!(m["equity"]["available"]["live_balance"], json!(1_000_000.0));
    assert_eq!(m["equity"]["available"]["cash"], json!(1_000_000.0));
    assert_eq!(m["equity"]["utilised"]["debits"], json!(0.0));
    // The session ends: every call is a TokenException until a new login.
    server.expire_session();
    let raw = call(&server, "GET", "/user/margins", Some(&token), &[]).unwrap();
    assert_eq!((raw.0, error_type(&raw).as_str()), (403, "TokenException"));
    let again = login(&server, "reqtok-second");
    assert_ne!(again, token);
    assert_eq!(
        call(&server, "GET", "/user/margins", Some(&again), &[])
            .unwrap()
            .0,
        200
    );
}

#[test]
fn the_fake_kite_lists_instruments_as_csv_and_quotes_in_full_with_depth_and_oi() {
    let server = FakeKite::start();
    let token = server.open_session();
    let (status, ct, csv) = call(&server, "GET", "/instruments/NSE", Some(&token), &[]).unwrap();
    assert_eq!((status, ct.as_str()), (200, "text/csv"));
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(rows.contains(&"779521,3045,SBIN,STATE BANK OF INDIA,0,,0,0.05,1,EQ,NSE,NSE"));
    assert!(rows.contains(&"256265,1001,NIFTY 50,NIFTY 50,0,,0,0,0,EQ,INDICES,NSE"));
    assert!(rows.iter().all(|r| r.ends_with(",NSE")), "NSE only");
    let nfo = call(&server, "GET", "/instruments/NFO", Some(&token), &[])
        .unwrap()
        .2;
    assert!(nfo
        .lines()
        .any(|l| l.contains(",NIFTY25DEC24000CE,NIFTY,0,2025-12-30,24000,0.05,75,CE,NFO-OPT,NFO")));

    server.script_prices("NSE:SBIN", vec![800.0, 801.5]);
    let q = |keys: &[&str]| {
        let params: Vec<(&str, &str)> = keys.iter().map(|k| ("i", *k)).collect();
        data(&call(&server, "GET", "/quote", Some(&token), &params).unwrap())
    };
    let first = q(&["NSE:SBIN", "NFO:NIFTY25DEC24000CE", "NSE:NOSUCH"]);
    assert_eq!(
        first.as_object().unwrap().len(),
        2,
        "unknown instruments are left out"
    );
    let sbin = &first["NSE:SBIN"];
    assert_eq!(sbin["instrument_token"], json!(779_521));
    assert_eq!(sbin["last_price"], json!(800.0));
    assert_eq!(sbin["depth"]["buy"].as_array().unwrap().len(), 5);
    assert_eq!(sbin["depth"]["sell"].as_array().unwrap().len(), 5);
    assert_eq!(sbin["depth"]["buy"][0]["price"], json!(799.95));
    assert_eq!(sbin["depth"]["sell"][0]["price"], json!(800.05));
    assert_eq!(sbin["oi"], json!(0));
    assert_eq!(first["NFO:NIFTY25DEC24000CE"]["oi"], json!(1_250_000));
    let ts = sbin["timestamp"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{ts}"
    );
    let second = q(&["NSE:SBIN"]);
    assert_eq!(second["NSE:SBIN"]["last_price"], json!(801.5));
    assert_eq!(
        second["NSE:SBIN"]["ohlc"],
        json!({"open": 800.0, "high": 801.5, "low": 800.0, "close": 800.0})
    );
    assert_eq!(server.quotes_served("NSE:SBIN"), 2);
    // At most 500 instruments a call.
    let many: Vec<(&str, &str)> = std::iter::repeat_n(("i", "NSE:SBIN"), 501).collect();
    let raw = call(&server, "GET", "/quote", Some(&token), &many).unwrap();
    assert_eq!((raw.0, error_type(&raw).as_str()), (400, "InputException"));
}

#[test]
fn the_fake_kite_order_book_fills_limits_triggers_stops_and_checks_what_kite_checks() {
    let server = FakeKite::start();
    let token = server.open_session();
    server.script_prices("NSE:SBIN", vec![800.0, 790.0, 779.0, 776.0]);
    server.fill_next(1);
    let place = |form: &[(&str, &str)]| {
        call(&server, "POST", "/orders/regular", Some(&token), form).unwrap()
    };
    let entry = data(&place(&limit_order("BUY", "10", "800.05", "AS2512020001")));
    let entry_id = entry["order_id"].as_str().unwrap().to_string();
    // A stop: SELL SL, trigger 780, limit 776.6.
    let mut stop = limit_order("SELL", "10", "776.60", "AS2512020002");
    stop[6] = ("order_type", "SL");
    stop.push(("trigger_price", "780.00"));
    let stop_id = data(&place(&stop))["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    let book = |id: &str| {
        let all = data(&call(&server, "GET", "/orders", Some(&token), &[]).unwrap());
        all.as_array()
            .unwrap()
            .iter()
            .find(|o| o["order_id"] == json!(id))
            .cloned()
            .unwrap()
    };
    let e = book(&entry_id);
    assert_eq!(e["status"], "COMPLETE");
    assert_eq!(e["filled_quantity"], json!(10));
    assert_eq!(e["pending_quantity"], json!(0));
    assert_eq!(e["average_price"], json!(800.05));
    assert_eq!(e["tag"], "AS2512020001");
    assert_eq!(e["variety"], "regular");
    assert_eq!(book(&stop_id)["status"], "TRIGGER PENDING");
    assert_eq!(book(&stop_id)["pending_quantity"], json!(10));

    // Rejections as Kite gives them: a 21-character tag, a price off the tick grid, a
    // quantity not in whole lots, a missing trigger.
    let long = limit_order("BUY", "1", "800.00", "AS25120200010000000000");
    assert_eq!(error_type(&place(&long)), "InputException");
    assert_eq!(
        error_type(&place(&limit_order("BUY", "1", "800.03", "X1"))),
        "InputException"
    );
    let mut odd = limit_order("BUY", "10", "100.00", "X2");
    odd[2] = ("tradingsymbol", "NIFTY25DEC24000CE");
    odd[1] = ("exchange", "NFO");
    let raw = place(&odd);
    assert!(raw.2.contains("multiple of lot size (75)"), "{raw:?}");
    let mut no_trigger = limit_order("SELL", "1", "700.00", "X3");
    no_trigger[6] = ("order_type", "SL");
    assert_eq!(error_type(&place(&no_trigger)), "InputException");
    assert_eq!(server.orders().len(), 2, "refused placements book nothing");
    assert_eq!(server.placements(), 6);

    // Modify the stop (trigger up a tick) up to 25 times; the 26th is refused.
    for i in 0..25 {
        let trigger = format!("{:.2}", 780.0 + 0.05 * f64::from(i + 1));
        let raw = call(
            &server,
            "PUT",
            &format!("/orders/regular/{stop_id}"),
            Some(&token),
            &[("trigger_price", &trigger), ("order_type", "SL")],
        )
        .unwrap();
        assert_eq!(raw.0, 200, "{i}: {raw:?}");
    }
    let raw = call(
        &server,
        "PUT",
        &format!("/orders/regular/{stop_id}"),
        Some(&token),
        &[("trigger_price", "780.00")],
    )
    .unwrap();
    assert_eq!((raw.0, error_type(&raw).as_str()), (400, "InputException"));
    assert_eq!(book(&stop_id)["trigger_price"], json!(781.25));
    assert!(server
        .limit_breaches(Duration::ZERO)
        .iter()
        .all(|b| !b.contains("modified")));

    // Quotes move the book: 800 and 790 leave the stop pending; 779 crosses 781.25 and the
    // stop (a limit at 776.60 once triggered) sells at 779.
    let quote = || {
        call(&server, "GET", "/quote", Some(&token), &[("i", "NSE:SBIN")]).unwrap();
    };
    quote();
    quote();
    assert_eq!(book(&stop_id)["status"], "TRIGGER PENDING");
    quote();
    let s = book(&stop_id);
    assert_eq!(s["status"], "COMPLETE");
    assert_eq!(s["average_price"], json!(779.0));
    // A triggered order is no longer working: cancelling it is refused.
    let raw = call(
        &server,
        "DELETE",
        &format!("/orders/regular/{stop_id}"),
        Some(&token),
        &[],
    )
    .unwrap();
    assert_eq!(raw.0, 400);

    // Trades (no tag, as the SDK's recorded trade book) and positions: flat, P&L realised.
    let trades = data(&call(&server, "GET", "/trades", Some(&token), &[]).unwrap());
    let trades = trades.as_array().unwrap();
    assert_eq!(trades.len(), 2);
    assert_eq!(trades[0]["order_id"], json!(entry_id));
    assert_eq!(trades[0]["quantity"], json!(10));
    assert!(trades[0].get("tag").is_none());
    let pos = data(&call(&server, "GET", "/portfolio/positions", Some(&token), &[]).unwrap());
    let net = &pos["net"][0];
    assert_eq!(net["tradingsymbol"], "SBIN");
    assert_eq!(net["quantity"], json!(0));
    assert_eq!(net["buy_quantity"], json!(10));
    assert_eq!(net["sell_quantity"], json!(10));
    // (779 - 800.05) x 10 = -210.5
    assert!((net["pnl"].as_f64().unwrap() + 210.5).abs() < 1e-6, "{net}");
    assert_eq!(pos["day"], pos["net"]);

    // A resting limit and its cancel.
    let id = data(&place(&limit_order("BUY", "5", "700.00", "AS2512020003")))["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(book(&id)["status"], "OPEN");
    let raw = call(
        &server,
        "DELETE",
        &format!("/orders/regular/{id}"),
        Some(&token),
        &[],
    )
    .unwrap();
    assert_eq!(data(&raw)["order_id"], json!(id));
    assert_eq!(book(&id)["status"], "CANCELLED");
    assert_eq!(book(&id)["cancelled_quantity"], json!(5));
}

#[test]
fn the_fake_kite_answers_history_between_from_and_to() {
    let server = FakeKite::start();
    let token = server.open_session();
    let rows: Vec<Value> = (0..4)
        .map(|i| {
            json!([
                format!("2025-12-01T09:{:02}:00+0530", 15 + i),
                1,
                2,
                0.5,
                1.5,
                100,
                7
            ])
        })
        .collect();
    server.script_history("779521", rows);
    let raw = call(
        &server,
        "GET",
        "/instruments/historical/779521/minute",
        Some(&token),
        &[
            ("from", "2025-12-01 09:16:00"),
            ("to", "2025-12-01 09:17:00"),
            ("oi", "1"),
        ],
    )
    .unwrap();
    let candles = data(&raw)["candles"].clone();
    assert_eq!(candles.as_array().unwrap().len(), 2);
    assert_eq!(candles[0][0], "2025-12-01T09:16:00+0530");
    let raw = call(
        &server,
        "GET",
        "/instruments/historical/779521/2minute",
        Some(&token),
        &[
            ("from", "2025-12-01 09:16:00"),
            ("to", "2025-12-01 09:17:00"),
        ],
    )
    .unwrap();
    assert_eq!(error_type(&raw), "InputException");
}

#[test]
fn the_fake_kite_injects_every_fault_and_books_what_it_accepted() {
    let server = FakeKite::start();
    let token = server.open_session();
    let place = |tag: &str, timeout_ms: u64| {
        call_with(
            &server,
            "POST",
            "/orders/regular",
            Some(&token),
            &limit_order("BUY", "1", "800.00", tag),
            timeout_ms,
        )
    };
    // Before processing: nothing booked.
    server.fault("orders/regular", Fault::TooMany(0));
    let raw = place("F1", 2000).unwrap();
    assert_eq!(
        (raw.0, error_type(&raw).as_str()),
        (429, "NetworkException")
    );
    server.fault("orders/regular", Fault::Status(503));
    let raw = place("F2", 2000).unwrap();
    assert_eq!(
        (raw.0, error_type(&raw).as_str()),
        (503, "NetworkException")
    );
    server.fault("orders/regular", Fault::Html(502));
    let raw = place("F3", 2000).unwrap();
    assert_eq!((raw.0, raw.1.as_str()), (502, "text/html"));
    assert!(raw.2.contains("502 Bad Gateway"));
    assert!(server.orders().is_empty());
    // After processing: booked, the answer lost or broken.
    server.fault("orders/regular", Fault::Slow(Duration::from_millis(1500)));
    assert!(place("F4", 300).is_err(), "the client timed out");
    server.fault("orders/regular", Fault::Malformed);
    let raw = place("F5", 2000).unwrap();
    assert_eq!(raw.0, 200);
    assert!(serde_json::from_str::<Value>(&raw.2).is_err());
    server.fault("orders/regular", Fault::DropAfterAccept);
    assert!(place("F6", 2000).is_err(), "connection dropped");
    server.fault("orders/regular", Fault::ErrorAfterAccept);
    assert_eq!(place("F7", 2000).unwrap().0, 500);
    let tags: Vec<String> = server.orders().iter().map(|o| o.tag.clone()).collect();
    assert_eq!(tags, ["F4", "F5", "F6", "F7"]);
    assert_eq!(server.pending_faults(), 0);

    // A held placement, released into the book: its client never hears back.
    server.hold_next_placement("LIMIT");
    let (base, tok) = (server.base_url.clone(), token.clone());
    let held = std::thread::spawn(move || {
        read(
            agent(5000)
                .post(format!("{base}/orders/regular"))
                .header("X-Kite-Version", "3")
                .header("Authorization", format!("token {API_KEY}:{tok}"))
                .send_form(limit_order("BUY", "1", "800.00", "HELD1")),
        )
    });
    assert!(server.wait_held(Duration::from_secs(10)));
    assert_eq!(server.orders().len(), 4, "not booked while held");
    server.release_held(true);
    assert!(held.join().unwrap().is_err(), "the answer was lost");
    assert_eq!(server.orders().len(), 5);

    // A 403 TokenException ends the session.
    server.fault("user/margins", Fault::TokenExpired);
    assert_eq!(
        call(&server, "GET", "/user/margins", Some(&token), &[])
            .unwrap()
            .0,
        403
    );
    assert_eq!(
        call(&server, "GET", "/orders", Some(&token), &[])
            .unwrap()
            .0,
        403
    );
}

#[test]
fn the_fake_kite_counts_every_documented_window() {
    let server = FakeKite::start();
    let now = Arc::new(AtomicU64::new(0));
    let clock = now.clone();
    server.set_time_source(Arc::new(move || {
        Duration::from_millis(clock.load(Ordering::SeqCst))
    }));
    let token = server.open_session();
    let at = |ms: u64| now.store(ms, Ordering::SeqCst);
    let quote = || {
        call(&server, "GET", "/quote", Some(&token), &[("i", "NSE:SBIN")]).unwrap();
    };
    // Quotes 1.0 s apart hold 1/s; a third 0.5 s later breaks it.
    at(0);
    quote();
    at(1000);
    quote();
    assert!(server.limit_breaches(Duration::ZERO).is_empty());
    at(1500);
    quote();
    let b = server.limit_breaches(Duration::ZERO);
    assert_eq!(b.len(), 1, "{b:?}");
    assert!(b[0].contains("Quote") && b[0].contains("limit 1"), "{b:?}");
    // Ten other calls in one instant hold 10/s; the eleventh breaks it.
    at(5000);
    for _ in 0..10 {
        call(&server, "GET", "/orders", Some(&token), &[]).unwrap();
    }
    assert_eq!(
        server
            .class_breaches(CallClass::Other, 10, Duration::from_secs(1), Duration::ZERO)
            .len(),
        0
    );
    call(&server, "GET", "/trades", Some(&token), &[]).unwrap();
    assert_eq!(
        server
            .class_breaches(CallClass::Other, 10, Duration::from_secs(1), Duration::ZERO)
            .len(),
        1
    );
    // 201 placements spread over 59 s (never more than 10 in a second) break the minute.
    for i in 0..201u64 {
        at(10_000 + i * 59_000 / 200);
        let tag = format!("M{i}");
        call(
            &server,
            "POST",
            "/orders/regular",
            Some(&token),
            &limit_order("BUY", "1", "700.00", &tag),
        )
        .unwrap();
    }
    let minute = server.class_breaches(
        CallClass::Placement,
        200,
        Duration::from_secs(60),
        Duration::ZERO,
    );
    assert_eq!(minute.len(), 1, "{minute:?}");
    assert!(server
        .class_breaches(
            CallClass::Placement,
            10,
            Duration::from_secs(1),
            Duration::ZERO
        )
        .is_empty());
}

// ---------------------------------------------------------------------------------------------
// The binary.
// ---------------------------------------------------------------------------------------------

/// Simulated seconds per real second of the live runs' clock (the broker's rate limits are
/// raised in their config to match: see [`config`]): a 5 s quote tick is about 21 ms of real
/// time, and the 5 h 30 min from the 10:00 start to the close take 82 s, far beyond any run
/// here, so a restart a simulated minute after the kill still meets an open market.
const SPEED: u32 = 240;
/// The client's read timeout in the config, ms.
const READ_TIMEOUT_MS: u64 = 1000;

/// The live config of these tests: a 1 s read timeout, and rate limits far above Kite's,
/// since the clock runs [`SPEED`] times real time (the limits themselves are checked in
/// `kite_live_session.rs`, on a clock near real time).
fn config(dir: &Path) -> PathBuf {
    kite_config(
        dir,
        &format!(
            "    read_timeout_ms: {READ_TIMEOUT_MS}\n    rate_limits: {{ quotes_per_second: 1000, \
             historical_per_second: 1000, orders_per_second: 1000, orders_per_minute: 100000, \
             orders_per_day: 100000, other_per_second: 1000 }}\n"
        ),
    )
}

/// The files of the token cache directory and their contents.
fn cache_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join("tokens"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let p = e.path();
        if p.is_file() {
            let body = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
            out.push((p, body));
        }
    }
    out
}

#[test]
fn trace_logging_of_a_kite_login_and_broker_reads_shows_no_secret() {
    let server = FakeKite::start();
    let dir = scratch("trace");
    let config = config(dir.path());
    let mut login_out = String::new();
    let mut reads_out = String::new();
    for (i, level) in ["trace", "ureq_proto=trace,ureq=trace,rustls=trace,trace"]
        .iter()
        .enumerate()
    {
        let request_token = format!("reqtok-trace-{i}");
        let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
            .args([
                "login",
                "--broker",
                "kite",
                "--request-token",
                &request_token,
            ])
            .arg("--config")
            .arg(&config)
            .envs(server.env())
            .env("RUST_LOG", level)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        login_out.push_str(&text(&out));
        for args in [
            &["quote", "--broker", "kite", "NSE:SBIN"][..],
            &["funds", "--broker", "kite"][..],
        ] {
            let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
                .args(args)
                .arg("--config")
                .arg(&config)
                .envs(server.env())
                .env("RUST_LOG", level)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
            reads_out.push_str(&text(&out));
        }
    }
    assert_eq!(server.access_tokens().len(), 2);
    let all = format!("{login_out}{reads_out}");
    // The login URL carries the API key by design; nothing else does.
    let mut secrets = vec![API_SECRET.to_string()];
    secrets.extend(server.access_tokens());
    for i in 0..2 {
        let t = format!("reqtok-trace-{i}");
        secrets.push(checksum(API_KEY, &t, API_SECRET));
    }
    for secret in &secrets {
        assert!(!all.contains(secret.as_str()), "`{secret}` leaked:\n{all}");
    }
    assert!(
        !reads_out.contains(API_KEY),
        "the API key logged:\n{reads_out}"
    );
    assert!(!all.contains("ureq_proto"), "wire dump shown:\n{all}");
}

#[test]
fn doctor_with_kite_reads_the_account_and_places_nothing() {
    let server = FakeKite::start();
    let dir = scratch("doctor");
    // Kite's own limits (the doctor fails configured figures above the broker's).
    let config = kite_config(dir.path(), "");
    kite_login(&server, &config, REQUEST_TOKEN);
    let out = alphastock(&server, &config, &["doctor", "--broker", "kite"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!server.requests_to("user/margins").is_empty(), "funds read");
    assert!(!server.requests_to("quote").is_empty(), "a quote read");
    let writes: Vec<String> = server
        .requests()
        .iter()
        .filter(|r| r.path != "session/token" && r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "doctor sent {writes:?}");
    assert_eq!(
        server.access_tokens().len(),
        1,
        "the cached token, no new login"
    );
}

#[test]
fn processes_started_back_to_back_keep_kites_quote_window_between_them() {
    let server = FakeKite::start();
    let dir = scratch("restart-pacing");
    // Kite's own limits: one quote call a second, counted per API key, not per process.
    let config = kite_config(dir.path(), "");
    kite_login(&server, &config, REQUEST_TOKEN);
    let quote = || {
        let out = alphastock(
            &server,
            &config,
            &["quote", "--broker", "kite", "NSE:SBIN"],
            "",
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    };
    for _ in 0..3 {
        quote();
    }
    assert!(server.requests_to("quote").len() >= 3);
    let breaches = server.limit_breaches(Duration::from_millis(50));
    assert!(breaches.is_empty(), "{breaches:?}");
    // Each class's last call is remembered in a private file of the cache directory.
    let memory = dir.path().join("tokens").join("kite-rate-windows.json");
    let body = std::fs::read_to_string(&memory).unwrap();
    let last: serde_json::Map<String, Value> = serde_json::from_str(&body).unwrap();
    assert!(last.contains_key("quote"), "{body}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&memory).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
    // A corrupt file is ignored with a warning: the command still works.
    std::fs::write(&memory, "{\"quote\": 17").unwrap();
    quote();
}

#[test]
fn live_with_the_paper_broker_kind_is_refused() {
    let dir = scratch("paper-live");
    let config = dir.path().join("paper.yaml");
    std::fs::write(
        &config,
        format!(
            "{}broker:\n  kind: paper\n",
            support::fake_kite::live::STRATEGY
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(["run", "--live", "--confirm-live", "--config"])
        .arg(&config)
        .arg("--db")
        .arg(dir.path().join("journal.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("paper"), "{}", text(&out));
}

/// 10 minutes sliding from 812 to 800, then 10 minutes climbing to 818, one price per 5 s:
/// the EMA(3/8) crossover buys on the way up.
fn price_path() -> Vec<f64> {
    let down = (0..120).map(|i| 812.0 - 0.1 * f64::from(i));
    let up = (0..120).map(|i| 800.0 + 0.15 * f64::from(i));
    down.chain(up).map(|p| (p * 20.0).round() / 20.0).collect()
}

/// A server set up for one SBIN trade: the scripted path, no earlier bars (a cold start, so
/// the path alone decides when the strategy signals), the entry filling on acceptance.
fn trading_server() -> FakeKite {
    let server = FakeKite::start();
    server.script_prices("NSE:SBIN", price_path());
    server.script_history("779521", Vec::new());
    server.fill_next(1);
    server
}

/// Holds the price where it is now: no trailing move, no stop hit, no new signal.
fn freeze_price(server: &FakeKite) {
    let path = price_path();
    let served = server.quotes_served("NSE:SBIN");
    let last = path[served.saturating_sub(1).min(path.len() - 1)];
    server.script_prices("NSE:SBIN", vec![last]);
}

#[test]
fn login_with_a_request_token_makes_the_session_with_the_sdk_checksum_and_caches_the_token() {
    let server = FakeKite::start();
    let dir = scratch("login");
    let config = config(dir.path());
    let out = kite_login(&server, &config, REQUEST_TOKEN);

    let calls = server.requests_to("session/token");
    assert_eq!(calls.len(), 1, "{}", text(&out));
    let c = &calls[0];
    assert_eq!(c.method, "POST");
    assert_eq!(c.header("X-Kite-Version"), Some("3"));
    assert_eq!(c.form_field("api_key"), Some(API_KEY));
    assert_eq!(c.form_field("request_token"), Some(REQUEST_TOKEN));
    assert_eq!(
        c.form_field("checksum"),
        Some(checksum(API_KEY, REQUEST_TOKEN, API_SECRET).as_str())
    );
    assert!(
        c.form.iter().all(|(_, v)| v != API_SECRET),
        "the secret itself is never sent"
    );
    let token = server.access_tokens()[0].clone();

    // The access token is cached in a private file of the cache directory.
    let cached: Vec<_> = cache_files(dir.path())
        .into_iter()
        .filter(|(_, body)| body.contains(&token))
        .collect();
    assert_eq!(cached.len(), 1, "{:?}", cache_files(dir.path()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cached[0].0)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "token file mode {mode:o}");
    }

    // Broker commands use it: no new session, the session's Authorization header.
    for args in [
        &["funds", "--broker", "kite"][..],
        &["positions", "--broker", "kite"][..],
        &["orders", "--broker", "kite"][..],
        &["quote", "--broker", "kite", "NSE:SBIN"][..],
    ] {
        let out = alphastock(&server, &config, args, "");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    }
    assert_eq!(server.requests_to("session/token").len(), 1);
    let authed: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path != "session/token")
        .collect();
    assert!(authed.len() >= 4);
    let expected = format!("token {API_KEY}:{token}");
    for r in &authed {
        assert_eq!(r.header("Authorization"), Some(expected.as_str()), "{r:?}");
        assert_eq!(r.header("X-Kite-Version"), Some("3"), "{r:?}");
    }
    assert!(!server.requests_to("user/margins").is_empty());
    assert!(!server.requests_to("portfolio/positions").is_empty());
    let quotes = server.requests_to("quote");
    assert!(
        quotes
            .iter()
            .any(|r| r.query.iter().any(|(k, v)| k == "i" && v == "NSE:SBIN")),
        "{quotes:?}"
    );
}

#[test]
fn login_prints_the_login_url_and_reads_the_request_token_from_stdin() {
    let server = FakeKite::start();
    let dir = scratch("login-stdin");
    let config = config(dir.path());
    let out = alphastock(
        &server,
        &config,
        &["login", "--broker", "kite"],
        &format!("{REQUEST_TOKEN}\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "https://kite.example/connect/login?v=3&api_key={API_KEY}"
        )),
        "{}",
        text(&out)
    );
    let calls = server.requests_to("session/token");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].form_field("request_token"), Some(REQUEST_TOKEN));
    assert_eq!(server.access_tokens().len(), 1);
}

#[test]
fn a_kite_command_without_a_cached_token_exits_2_naming_the_login_command() {
    let server = FakeKite::start();
    let dir = scratch("no-token");
    let config = config(dir.path());
    let db = dir.path().join("journal.db").display().to_string();
    for args in [
        &["funds", "--broker", "kite"][..],
        &["positions", "--broker", "kite"][..],
        &["run", "--live", "--confirm-live", "--db", &db][..],
    ] {
        // At 10:00 IST on a simulated clock: a closed market does not hide the answer.
        let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
            .args(args)
            .arg("--config")
            .arg(&config)
            .envs(server.env())
            .env(
                "ALPHASTOCK_SIM_CLOCK",
                format!("{}@1", start().to_rfc3339()),
            )
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("alphastock login --broker kite"),
            "{args:?}: {}",
            text(&out)
        );
    }
    assert!(server.requests_to("orders").is_empty(), "nothing traded");
    assert!(server.access_tokens().is_empty());
}

#[test]
fn a_wrong_api_secret_fails_the_login_and_caches_nothing() {
    let server = FakeKite::start();
    let dir = scratch("bad-secret");
    let config = config(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args([
            "login",
            "--broker",
            "kite",
            "--request-token",
            REQUEST_TOKEN,
        ])
        .arg("--config")
        .arg(&config)
        .envs(server.env())
        .env("KITE_API_SECRET", "not-the-secret")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(server.refused_sessions(), 1);
    assert!(server.access_tokens().is_empty());
    assert!(!text(&out).contains("not-the-secret"), "{}", text(&out));
    assert!(cache_files(dir.path())
        .iter()
        .all(|(_, b)| !b.contains("kacc")));
}

/// 10 minutes sliding from 812 to 800, then 10 minutes climbing to 818, one price per 5 s:
/// broker, for a simulated 25 minutes), then checks what reached the broker and the journal.
fn entry_under_fault(name: &str, fault: Fault, reaches_broker: bool) {
    let server = trading_server();
    server.fault("orders/regular", fault);
    let dir = scratch(name);
    let config = config(dir.path());
    kite_login(&server, &config, REQUEST_TOKEN);
    let child = LiveChild::spawn(&server, dir.path(), &config, start(), SPEED);
    let done = if reaches_broker {
        server.wait_orders(PATIENCE, |o| entry_filled(o) && stop_resting(o))
    } else {
        server.wait_quotes("NSE:SBIN", 300, PATIENCE)
    };
    // A few more ticks: nothing else may happen for the entry.
    let served = server.quotes_served("NSE:SBIN");
    freeze_price(&server);
    server.wait_quotes("NSE:SBIN", served + 6, PATIENCE);
    let out = child.output();
    child.kill();
    assert!(done, "{name}: never got there\n{out}");
    assert_eq!(
        server.pending_faults(),
        0,
        "{name}: the fault was met\n{out}"
    );

    let tags = placed_tags_once(&server);
    let orders = server.orders();
    let first = tags.first().cloned().unwrap_or_default();
    assert!(!first.is_empty(), "{name}: nothing placed\n{out}");
    let bought = entries(&orders);
    if reaches_broker {
        // The lost answer was resolved by the tag: the entry at the broker once, under the
        // first tag, journaled with the broker's order id; exactly one working stop.
        assert_eq!(bought.len(), 1, "{name}: {orders:?}\n{out}");
        assert_eq!(bought[0].tag, first, "{name}");
        let journal = journaled_orders(dir.path());
        let row = journal.iter().find(|(t, _)| *t == first);
        assert_eq!(
            row.and_then(|(_, id)| id.clone()),
            Some(bought[0].order_id.clone()),
            "{name}: {journal:?}"
        );
        let stops = sl_orders(&orders);
        assert_eq!(stops.len(), 1, "{name}: {stops:?}\n{out}");
        assert_eq!(stops[0].status, "TRIGGER PENDING");
        assert_eq!(stops[0].field("transaction_type"), "SELL");
        assert_eq!(stops[0].field("quantity"), bought[0].field("quantity"));
    } else {
        // Refused before the broker booked it: the first tag is not at the broker, and no
        // entry was placed again under it.
        assert!(
            orders.iter().all(|o| o.tag != first),
            "{name}: {orders:?}\n{out}"
        );
        assert!(bought.len() <= 1, "{name}: {orders:?}\n{out}");
    }
    assert_no_secret(&server, &[REQUEST_TOKEN], &out, dir.path());
}

#[test]
fn an_entry_whose_connection_drops_after_the_broker_booked_it_is_found_by_its_tag() {
    entry_under_fault("drop", Fault::DropAfterAccept, true);
}

#[test]
fn an_entry_answered_after_the_client_timeout_is_found_by_its_tag() {
    entry_under_fault(
        "slow",
        Fault::Slow(Duration::from_millis(3 * READ_TIMEOUT_MS)),
        true,
    );
}

#[test]
fn an_entry_answered_with_broken_json_after_booking_is_found_by_its_tag() {
    entry_under_fault("malformed", Fault::Malformed, true);
}

#[test]
fn an_entry_answered_500_after_booking_is_found_by_its_tag() {
    entry_under_fault("500-after", Fault::ErrorAfterAccept, true);
}

#[test]
fn an_entry_refused_with_503_is_not_placed_twice() {
    entry_under_fault("503", Fault::Status(503), false);
}

#[test]
fn an_entry_refused_with_an_html_502_page_is_not_placed_twice() {
    entry_under_fault("html", Fault::Html(502), false);
}

#[test]
fn an_entry_refused_with_429_is_not_placed_twice() {
    entry_under_fault("429", Fault::TooMany(0), false);
}

#[test]
fn an_entry_met_by_token_expiry_is_not_placed_and_the_run_stops_naming_the_login() {
    let server = trading_server();
    server.fault("orders/regular", Fault::TokenExpired);
    let dir = scratch("expiry-entry");
    let config = config(dir.path());
    kite_login(&server, &config, REQUEST_TOKEN);
    let mut child = LiveChild::spawn(&server, dir.path(), &config, start(), SPEED);
    let code = child.wait_exit(PATIENCE);
    let out = child.output();
    assert!(
        matches!(code, Some(Some(c)) if c != 0),
        "exits non-zero on its own: {code:?}\n{out}"
    );
    assert_eq!(
        server.pending_faults(),
        0,
        "the entry met the expiry\n{out}"
    );
    assert!(out.contains("alphastock login --broker kite"), "{out}");
    assert!(server.orders().is_empty(), "{:?}", server.orders());
    assert_eq!(
        server.placements(),
        1,
        "no placement after the TokenException\n{out}"
    );
    assert_no_secret(&server, &[REQUEST_TOKEN], &out, dir.path());
}

/// The fake Kite server set up for one SBIN trade and logged in, with the binary's journal
/// and config.
struct KiteRig {
    server: FakeKite,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl LiveRun for LiveChild {
    fn output(&self) -> String {
        LiveChild::output(self)
    }
    fn kill(self) -> (IstTime, String) {
        let out = LiveChild::output(&self);
        (LiveChild::kill(self), out)
    }
}

impl CrashRig for KiteRig {
    type Order = ServerOrder;
    type Run = LiveChild;
    type State = support::fake_kite::State;
    const PATIENCE: Duration = PATIENCE;

    fn server(&self) -> &FakeHttp<Self::State> {
        &self.server
    }

    fn spawn(&self, at: IstTime) -> LiveChild {
        LiveChild::spawn(&self.server, self.dir.path(), &self.config, at, SPEED)
    }
    fn orders(&self) -> Vec<ServerOrder> {
        self.server.orders()
    }
    fn wait_orders(&self, timeout: Duration, done: &dyn Fn(&[ServerOrder]) -> bool) -> bool {
        self.server.wait_orders(timeout, done)
    }
    fn wait_more_quotes(&self, n: usize, timeout: Duration) -> bool {
        let served = self.server.quotes_served("NSE:SBIN");
        self.server.wait_quotes("NSE:SBIN", served + n, timeout)
    }
    fn freeze_price(&self) {
        freeze_price(&self.server);
    }
    fn entry_filled(orders: &[ServerOrder]) -> bool {
        entry_filled(orders)
    }
    fn stop_resting(orders: &[ServerOrder]) -> bool {
        stop_resting(orders)
    }
    fn stops(orders: &[ServerOrder]) -> Vec<&ServerOrder> {
        sl_orders(orders)
    }
    fn working(order: &ServerOrder) -> bool {
        order.working()
    }
    fn order_id(order: &ServerOrder) -> String {
        order.order_id.clone()
    }
}

/// The crash scenario on Kite; then the entry once, the stop covering it, every tag placed
/// once and no secret printed or journaled.
fn crash_and_restart(kill_at: KillAt) {
    let server = trading_server();
    let dir = scratch("crash");
    let config = config(dir.path());
    kite_login(&server, &config, REQUEST_TOKEN);
    let rig = KiteRig {
        server,
        dir,
        config,
    };
    let Crashed {
        orders, stop, text, ..
    } = crash::crash_and_restart(&rig, start(), kill_at);
    let bought = entries(&orders);
    assert_eq!(bought.len(), 1, "the entry once: {orders:?}\n{text}");
    assert_eq!(stop.field("quantity"), bought[0].field("quantity"));
    assert_eq!(stop.field("transaction_type"), "SELL");
    placed_tags_once(&rig.server);
    assert_no_secret(&rig.server, &[REQUEST_TOKEN], &text, rig.dir.path());
}

#[test]
fn a_sigkilled_kite_run_leaves_one_stop_at_the_broker_after_the_restart() {
    crash_and_restart(KillAt::Resting);
}

#[test]
fn a_kill_before_the_stop_reached_kite_places_it_once_after_the_restart() {
    crash_and_restart(KillAt::NeverArrived);
}

#[test]
fn a_kill_before_kite_acknowledged_the_stop_adopts_it_after_the_restart() {
    crash_and_restart(KillAt::AcceptedUnanswered);
}

#[test]
fn token_expiry_mid_run_stops_trading_leaves_the_stop_and_a_restart_after_login_adopts() {
    let server = trading_server();
    let dir = scratch("expiry");
    let config = config(dir.path());
    kite_login(&server, &config, REQUEST_TOKEN);
    let mut first = LiveChild::spawn(&server, dir.path(), &config, start(), SPEED);
    let ready = server.wait_orders(PATIENCE, |o| entry_filled(o) && stop_resting(o));
    assert!(ready, "no stop:\n{}", first.output());
    // The session ends at Kite (the 06:00 expiry, or a login elsewhere).
    let placements_before = server.placements();
    let orders_before = server.orders();
    server.expire_session();
    let code = first.wait_exit(PATIENCE);
    let out = first.output();
    assert!(
        matches!(code, Some(Some(c)) if c != 0),
        "exits non-zero on its own: {code:?}\n{out}"
    );
    assert!(out.contains("alphastock login --broker kite"), "{out}");
    // No further order: nothing placed, modified or cancelled after the expiry was met; the
    // stop still rests at the broker.
    let after = server.orders();
    assert_eq!(after.len(), orders_before.len(), "{after:?}");
    assert!(
        server.placements() <= placements_before + 1,
        "placements kept coming after a TokenException\n{out}"
    );
    let stops = sl_orders(&after);
    assert_eq!(stops.len(), 1);
    assert_eq!(
        stops[0].status, "TRIGGER PENDING",
        "not flattened: {after:?}"
    );
    assert!(
        !after
            .iter()
            .any(|o| o.field("transaction_type") == "SELL" && o.filled),
        "not flattened: {after:?}"
    );

    // A new login, then the restart adopts the position and its stop.
    freeze_price(&server);
    kite_login(&server, &config, "reqtok-after-expiry");
    let restart_at = first.after();
    let second = LiveChild::spawn(&server, dir.path(), &config, restart_at, SPEED);
    let served = server.quotes_served("NSE:SBIN");
    let ticked = server.wait_quotes("NSE:SBIN", served + 12, PATIENCE);
    let second_out = second.output();
    second.kill();
    assert!(ticked, "the restarted run stopped polling:\n{second_out}");
    let orders = server.orders();
    assert_eq!(entries(&orders).len(), 1, "no second entry: {orders:?}");
    let stops = sl_orders(&orders);
    assert_eq!(stops.len(), 1, "no second stop: {stops:?}\n{second_out}");
    assert!(stops[0].working());
    let last_token = server.access_tokens().last().cloned().unwrap();
    assert!(
        server
            .requests()
            .iter()
            .rev()
            .take(5)
            .all(|r| r.header("Authorization") == Some(&format!("token {API_KEY}:{last_token}"))),
        "the restart uses the new session"
    );
    let text = format!("{out}\n{second_out}");
    assert_no_secret(
        &server,
        &[REQUEST_TOKEN, "reqtok-after-expiry"],
        &text,
        dir.path(),
    );
}
