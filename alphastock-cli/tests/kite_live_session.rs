//! A simulated live session on the fake Kite server, black-box: the built `alphastock run
//! --live` (`broker.kind: kite`, Kite's default rate limits) on a clock running 4 times real
//! time from 10:00 IST, warm-started from the broker's minute candles of the morning (SBIN
//! slid from 812 to 800 in the last ten minutes), then climbing along a scripted path. The
//! first quote poll meets a 503 and the first order placement is booked but its answer is
//! lost. The run places each order once (the lost answer found by its tag), the filled entry
//! gets one stop at the broker, which becomes the exit in place (modified to LIMIT) when the
//! climb reaches the target, so the position is covered by that one working sell throughout, the
//! journal agrees with the broker's order and trade books, and the server, counting every call in real time (what Kite counts), sees no
//! breach of Kite's documented limits. A restart on the same journal, straight after the stop,
//! places nothing again and keeps within the limits across both runs.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Value};

use support::fake_kite::live::{
    assert_no_secret, entries, journaled_orders, kite_config, kite_login, most_stops_at_once,
    placed_tags_once, scratch, sl_orders, start, LiveChild, PATIENCE,
};
use support::fake_kite::{FakeKite, Fault, ServerOrder, REQUEST_TOKEN};

/// Simulated seconds per real second: a 5 s quote tick is 1.25 s of real time, inside Kite's
/// quote limit of 1 call a second.
const SPEED: u32 = 4;

/// The allowance for delivery jitter when the server counts calls per window (real time): a
/// client pacing exactly at a limit may see its calls land this much closer together.
const JITTER: Duration = Duration::from_millis(50);

/// The morning's one-minute candles of SBIN (2 December 2025, 09:15 to 09:59), as Kite's
/// historical route answers them: flat at 812 until 09:49, then down 1.2 a minute to 800.
fn morning() -> Vec<Value> {
    let mut open = 812.0;
    (0..45)
        .map(|i: u32| {
            let close = if i < 35 {
                812.0
            } else {
                ((812.0 - 1.2 * f64::from(i - 34)) * 20.0).round() / 20.0
            };
            let (h, m) = (9 + (15 + i) / 60, (15 + i) % 60);
            let row = json!([
                format!("2025-12-02T{h:02}:{m:02}:00+0530"),
                open,
                ((f64::max(open, close) + 0.1) * 20.0).round() / 20.0,
                ((f64::min(open, close) - 0.1) * 20.0).round() / 20.0,
                close,
                10_000
            ]);
            open = close;
            row
        })
        .collect()
}

/// From 10:00 one quote per 5 s climbing from 800 by 0.15 (to 818 at 10:10), then flat.
fn climb() -> Vec<f64> {
    (0..120)
        .map(|i| ((800.0 + 0.15 * f64::from(i)) * 20.0).round() / 20.0)
        .collect()
}

/// The SELL orders of SBIN working at the broker.
fn working_sells(orders: &[ServerOrder]) -> Vec<&ServerOrder> {
    orders
        .iter()
        .filter(|o| o.working() && o.field("transaction_type") == "SELL")
        .collect()
}

#[test]
fn a_simulated_kite_session_trades_once_per_tag_within_every_limit_and_journals_what_the_broker_did(
) {
    let server = FakeKite::start();
    server.script_prices("NSE:SBIN", climb());
    server.script_history("779521", morning());
    // The entry fills; every other limit order rests.
    server.fill_next(1);
    // A server error on the first quote poll; the first placement booked, its answer lost.
    server.fault("quote", Fault::Status(503));
    server.fault("orders/regular", Fault::DropAfterAccept);
    let scratch = scratch("session");
    let dir = scratch.path();
    let config = kite_config(dir, "");
    kite_login(&server, &config, REQUEST_TOKEN);

    let mut child = LiveChild::spawn(&server, dir, &config, start(), SPEED);
    // Ten simulated minutes of quotes (120 at 5 s, the whole climb).
    let patience = PATIENCE * 2;
    let served = server.wait_quotes("NSE:SBIN", 120, patience);
    let first_out = child.output();
    let code = child.terminate(Duration::from_secs(30));
    let quotes = server.quotes_served("NSE:SBIN");
    assert!(served, "quotes {quotes}:\n{first_out}");
    assert!(
        matches!(code, Some(Some(_))),
        "a clean stop on SIGTERM: {code:?}\n{first_out}"
    );
    let restart_at = child.after();

    // The warm start read the morning's minute candles by SBIN's Kite token.
    let history = server.requests_to("instruments/historical/779521/minute");
    assert!(!history.is_empty(), "no warm start");
    for r in &history {
        for k in ["from", "to"] {
            let v = r
                .query
                .iter()
                .find(|(q, _)| q == k)
                .map(|(_, v)| v.as_str());
            assert!(
                v.is_some_and(
                    |v| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").is_ok()
                ),
                "{k}={v:?} is not yyyy-mm-dd HH:MM:SS as the SDK sends it"
            );
        }
    }
    assert_eq!(server.pending_faults(), 0, "both faults were met");
    let polls = server
        .requests_to("quote")
        .iter()
        .filter(|r| r.query.iter().any(|(k, v)| k == "i" && v == "NSE:SBIN"))
        .count();
    assert_eq!(polls, quotes + 1, "the poll that met the 503 was retried");

    // Orders: one placement per order at the broker, one order per tag, the lost answer
    // included; the entry a BUY of SBIN, filled; exactly one stop, a SELL of the whole
    // position with its trigger on the tick grid below the entry.
    let tags = placed_tags_once(&server);
    let orders = server.orders();
    assert_eq!(tags.len(), orders.len(), "nothing placed twice: {orders:?}");
    let entry = &orders[0];
    assert_eq!(entries(&orders).len(), 1, "{orders:?}");
    assert_eq!(entry.field("tradingsymbol"), "SBIN");
    assert_eq!(
        entry.field("transaction_type"),
        "BUY",
        "a rising cross buys"
    );
    assert!(entry.filled);
    // The stop: placed once, a SELL of the whole position with its trigger on the tick grid
    // below the entry; never two working at once.
    let placed_stops: Vec<_> = server
        .placement_requests()
        .into_iter()
        .filter(|r| r.form_field("order_type") == Some("SL"))
        .collect();
    assert_eq!(placed_stops.len(), 1, "{placed_stops:?}");
    let placed_stop = &placed_stops[0];
    let stop_tag = placed_stop.form_field("tag").unwrap_or_default();
    let stop = orders
        .iter()
        .find(|o| o.tag == stop_tag)
        .unwrap_or_else(|| panic!("stop {stop_tag} not at the broker: {orders:?}"));
    assert!(sl_orders(&orders).len() <= 1, "{orders:?}");
    assert_eq!(stop.field("transaction_type"), "SELL");
    assert_eq!(stop.field("quantity"), entry.field("quantity"));
    let trigger: f64 = placed_stop
        .form_field("trigger_price")
        .unwrap_or_default()
        .parse()
        .unwrap();
    assert!(trigger > 0.0 && trigger < entry.average_price, "{stop:?}");
    assert!(
        ((trigger / 0.05) - (trigger / 0.05).round()).abs() < 1e-6,
        "{stop:?}"
    );
    assert_eq!(most_stops_at_once(&server), 1);
    // The climb reached the target: the stop order itself was turned into the exit (a modify
    // of its id to LIMIT, no trigger), never cancelled, and no other sell was placed. At the
    // end that one order, of the whole position, is the only working SELL at the broker.
    let changes = server.requests_to("orders/regular/");
    assert!(
        changes.iter().all(|r| r.method != "DELETE"),
        "nothing cancelled: {changes:?}"
    );
    assert!(
        changes.iter().any(|r| r.method == "PUT"
            && r.path.ends_with(&stop.order_id)
            && r.form_field("order_type") == Some("LIMIT")),
        "the stop converted in place: {changes:?}"
    );
    let sells = server
        .placement_requests()
        .iter()
        .filter(|r| r.form_field("transaction_type") == Some("SELL"))
        .count();
    assert_eq!(sells, 1, "only the stop was ever placed to sell");
    assert_eq!(stop.field("order_type"), "LIMIT", "{stop:?}");
    let covering = working_sells(&orders);
    assert_eq!(covering.len(), 1, "{orders:?}");
    assert_eq!(covering[0].order_id, stop.order_id, "{orders:?}");
    assert_eq!(covering[0].field("quantity"), entry.field("quantity"));

    // The journal equals the broker: every broker order under its tag with the broker's id,
    // every journaled id at the broker, every trade journaled once as the broker reported it.
    let journal = journaled_orders(dir);
    for o in &orders {
        let row = journal.iter().find(|(t, _)| *t == o.tag);
        assert_eq!(
            row.and_then(|(_, id)| id.clone()),
            Some(o.order_id.clone()),
            "{} at the broker, journal {journal:?}",
            o.tag
        );
    }
    for (tag, id) in &journal {
        if let Some(id) = id {
            assert!(
                orders.iter().any(|o| &o.order_id == id && &o.tag == tag),
                "{tag} {id} journaled, not at the broker"
            );
        }
    }
    let store = alphastock_cli::store::Store::open(dir.join("journal.db")).unwrap();
    let fills = store
        .fills_since(start() - chrono::Duration::days(1))
        .unwrap();
    let trades = server.trade_book();
    assert_eq!(fills.len(), trades.len(), "{fills:?}\n{trades:?}");
    for t in &trades {
        let f = fills
            .iter()
            .find(|f| json!(f.trade_id) == t["trade_id"])
            .unwrap_or_else(|| panic!("trade {t} not journaled: {fills:?}"));
        assert_eq!(json!(f.order_id), t["order_id"]);
        assert_eq!(json!(f.quantity), t["quantity"]);
        let price: f64 = f.price.to_string().parse().unwrap();
        assert!((price - t["average_price"].as_f64().unwrap()).abs() < 1e-9);
    }

    // Kite's limits held, counted in real time by the server.
    let breaches = server.limit_breaches(JITTER);
    assert!(breaches.is_empty(), "{breaches:?}");

    // A restart on the same journal, straight after the stop: nothing placed again, the
    // working exit adopted. Kite counts calls per API key, not per process: the new process
    // paces its first calls after the last ones of the old (remembered in the cache
    // directory), so the two runs together stay within every limit.
    let placed = server.placements();
    let tags_before: BTreeSet<String> = orders.iter().map(|o| o.tag.clone()).collect();
    let mut second = LiveChild::spawn(&server, dir, &config, restart_at, SPEED);
    let served = server.quotes_served("NSE:SBIN");
    let ticked = server.wait_quotes("NSE:SBIN", served + 12, patience);
    let out = second.output();
    second.terminate(Duration::from_secs(30));
    assert!(ticked, "the restarted run stopped polling:\n{out}");
    assert_eq!(server.placements(), placed, "nothing placed again:\n{out}");
    let after: BTreeSet<String> = server.orders().iter().map(|o| o.tag.clone()).collect();
    assert_eq!(after, tags_before);
    let orders = server.orders();
    let covering = working_sells(&orders);
    assert_eq!(covering.len(), 1, "{orders:?}\n{out}");
    assert_eq!(covering[0].order_id, stop.order_id, "{orders:?}\n{out}");
    assert!(
        server
            .requests_to("orders/regular/")
            .iter()
            .all(|r| r.method != "DELETE"),
        "nothing cancelled after the restart either"
    );
    let breaches = server.limit_breaches(JITTER);
    assert!(breaches.is_empty(), "{breaches:?}");
    assert_no_secret(
        &server,
        &[REQUEST_TOKEN],
        &format!("{first_out}\n{out}"),
        dir,
    );
}
