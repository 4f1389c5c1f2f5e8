//! Positions come from fills the broker confirms: a fill is applied at most up to its order's
//! quantity and, once the order finished, up to the quantity the broker reported filled; a new
//! trade id beyond that is a broker inconsistency (a critical alert, no position change). A
//! position the broker holds is adopted and protected by a stop from the configured rule.

use alphastock_core::config::Config;
use alphastock_core::engine::{
    Action, AlertLevel, Engine, Event, FillAdmission, OrderPurpose, OrderRole, OrderTracker,
};
use alphastock_core::market::{Candle, Exchange, IstTime, Quote, Symbol};
use alphastock_core::order::{
    Fill, OrderRequest, OrderStatus, OrderType, OrderUpdate, Product, TransactionType, Validity,
};
use alphastock_core::portfolio::PositionMeta;
use chrono::{DateTime, Duration};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// EMA(2)/EMA(3) crossover trading NSE:SBIN itself (see `underlying_trading.rs`): BUY on bar 4
/// (close 820), SELL (a flip) on bar 6 (close 800).
const CONFIG: &str = r#"
market_data_runner: { candle_minutes: 5 }
strategies:
  sbin_trend:
    strategy: ema_crossover
    symbols: ["NSE:SBIN"]
    instrument: underlying
    parameters: { fast_ema: 2, slow_ema: 3, min_confidence: 0, target_pct: 10, stop_pct: 5 }
options_trading:
  entry: { limit_buffer_ticks: 0 }
  risk_management:
    capital: 1000000
    risk_per_trade_pct: 1
    max_premium_per_trade: 100000
    max_exposure_per_underlying: 200000
    max_total_exposure: 500000
    correlated_groups: []
"#;

const CLOSES: [i64; 7] = [800, 790, 780, 770, 820, 830, 800];

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).expect("valid time")
}

fn sbin() -> Symbol {
    Symbol::parse("NSE:SBIN").expect("symbol")
}

fn candle(i: usize) -> Candle {
    let open = if i == 0 { CLOSES[0] } else { CLOSES[i - 1] };
    let c = CLOSES[i];
    Candle {
        symbol: sbin(),
        timestamp: at("2026-01-05T10:00:00+05:30") + Duration::minutes(5 * i as i64),
        open: Decimal::from(open),
        high: Decimal::from(open.max(c)),
        low: Decimal::from(open.min(c)),
        close: Decimal::from(c),
        volume: 10_000,
    }
}

fn engine() -> Engine {
    Engine::new(&Config::from_yaml_str(CONFIG).expect("valid config")).expect("engine")
}

fn placed(actions: &[Action]) -> Vec<(OrderRequest, OrderPurpose)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::PlaceOrder { request, purpose } => Some((request.clone(), purpose.clone())),
            _ => None,
        })
        .collect()
}

fn critical(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Alert {
                level: AlertLevel::Critical,
                message,
            } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn fill_of(request: &OrderRequest, trade_id: &str, quantity: u32, time: IstTime) -> Fill {
    Fill {
        order_id: format!("O-{}", request.tag),
        tag: request.tag.clone(),
        trade_id: trade_id.into(),
        exchange: request.exchange,
        trading_symbol: request.trading_symbol.clone(),
        transaction_type: request.transaction_type,
        quantity,
        price: request.price.expect("a limit order"),
        timestamp: time,
    }
}

#[test]
fn a_second_report_of_a_fill_under_a_new_trade_id_is_not_booked_and_the_flip_is_sized_from_the_real_position(
) {
    let mut e = engine();
    let mut orders = Vec::new();
    for i in 0..=4 {
        orders.extend(placed(&e.on_event(Event::Candle(candle(i)))));
    }
    let [(entry, OrderPurpose::Entry { .. })] = &orders[..] else {
        panic!("one entry on bar 4: {orders:?}");
    };
    let q = entry.quantity;
    assert!(q > 0);
    let t = at("2026-01-05T10:25:01+05:30");
    let first = e.on_event(Event::Fill(fill_of(entry, "X1", q, t)));
    assert!(critical(&first).is_empty(), "{first:?}");
    let position = |e: &Engine| e.portfolio().position("SBIN").map(|p| p.quantity());
    assert_eq!(position(&e), Some(i64::from(q)));

    // The broker's trade book shows the same execution again under another trade id.
    let again = e.on_event(Event::Fill(fill_of(entry, "X2", q, t)));
    assert_eq!(position(&e), Some(i64::from(q)), "no phantom units");
    let alerts = critical(&again);
    assert_eq!(alerts.len(), 1, "{again:?}");
    assert!(alerts[0].contains("broker inconsistency"), "{}", alerts[0]);
    assert!(alerts[0].contains("X2"), "{}", alerts[0]);
    assert!(
        alerts[0].contains(&format!("{q} not applied")),
        "{}",
        alerts[0]
    );
    // The same trade id once more is a plain duplicate: silently ignored.
    assert!(e
        .on_event(Event::Fill(fill_of(entry, "X2", q, t)))
        .is_empty());

    // Bar 6 flips to short: the close is sized from the real position, not the phantom one.
    let mut flip = Vec::new();
    for i in 5..=6 {
        flip.extend(placed(&e.on_event(Event::Candle(candle(i)))));
    }
    let close = flip
        .iter()
        .find(|(_, p)| matches!(p, OrderPurpose::Exit { .. }))
        .expect("the flip closes the long");
    assert_eq!(close.0.transaction_type, TransactionType::Sell);
    assert_eq!(close.0.quantity, q);
}

#[test]
fn fills_of_a_finished_order_stop_at_the_quantity_the_broker_reported_filled() {
    let mut e = engine();
    let mut orders = Vec::new();
    for i in 0..=4 {
        orders.extend(placed(&e.on_event(Event::Candle(candle(i)))));
    }
    let entry = orders[0].0.clone();
    assert!(entry.quantity >= 2, "{}", entry.quantity);
    let half = entry.quantity / 2;
    let t = at("2026-01-05T10:25:01+05:30");
    // The order was cancelled after `half` units filled; the trade book then shows the fill
    // under two trade ids.
    e.on_event(Event::OrderUpdate(OrderUpdate {
        order_id: "O1".into(),
        tag: entry.tag.clone(),
        status: OrderStatus::Cancelled,
        filled_quantity: half,
        average_price: entry.price,
        message: None,
        timestamp: t,
    }));
    e.on_event(Event::Fill(fill_of(&entry, "X1", half, t)));
    let dup = e.on_event(Event::Fill(fill_of(&entry, "X2", half, t)));
    assert_eq!(
        e.portfolio().position("SBIN").map(|p| p.quantity()),
        Some(i64::from(half))
    );
    assert!(critical(&dup)[0].contains(&format!("broker reports {half} filled")));
}

#[test]
fn a_broker_position_is_adopted_with_the_configured_stop_and_the_stop_is_acted_on() {
    let mut e = engine();
    let t = at("2026-01-05T10:30:00+05:30");
    let meta = PositionMeta {
        trading_symbol: "SBIN".into(),
        exchange: Exchange::Nse,
        underlying: sbin(),
        lot_size: 1,
        tick_size: dec!(0.05),
        expiry: None,
        target: None,
        stop: None,
    };
    let alerts = critical(&e.adopt_position(meta, -368, dec!(800), t));
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].contains("broker has -368, engine had 0"),
        "{}",
        alerts[0]
    );
    let p = e.portfolio().position("SBIN").expect("adopted");
    assert_eq!(p.quantity(), -368);
    assert_eq!(p.average_price(), dec!(800));
    // The defaults: stop 20 % and target 30 % of the price, on the losing and winning side of
    // a short.
    assert_eq!(p.meta().stop, Some(dec!(960)));
    assert_eq!(p.meta().target, Some(dec!(560)));
    assert_eq!(p.charges(), Decimal::ZERO, "taking over costs nothing");

    let quote = |px: Decimal, s: &str| Quote {
        symbol: sbin(),
        ltp: px,
        open: dec!(800),
        high: px.max(dec!(800)),
        low: dec!(800),
        close: dec!(800),
        volume: 1000,
        bid: Some(px - dec!(0.05)),
        ask: Some(px + dec!(0.05)),
        oi: None,
        timestamp: at(s),
    };
    assert!(
        placed(&e.on_event(Event::Quote(quote(dec!(950), "2026-01-05T10:30:05+05:30")))).is_empty()
    );
    let exit = placed(&e.on_event(Event::Quote(quote(dec!(961), "2026-01-05T10:30:10+05:30"))));
    let [(request, OrderPurpose::Exit { reason })] = &exit[..] else {
        panic!("{exit:?}");
    };
    assert_eq!(request.transaction_type, TransactionType::Buy);
    assert_eq!(request.quantity, 368);
    assert!(reason.contains("stop"), "{reason}");
}

fn request(tag: &str, quantity: u32) -> OrderRequest {
    OrderRequest {
        tag: tag.into(),
        exchange: Exchange::Nse,
        trading_symbol: "SBIN".into(),
        transaction_type: TransactionType::Buy,
        order_type: OrderType::Limit,
        quantity,
        price: Some(dec!(800)),
        trigger_price: None,
        product: Product::Mis,
        validity: Validity::Day,
    }
}

#[derive(Debug, Clone)]
enum Step {
    Fill { trade: u8, quantity: u32 },
    Finish { filled: u32 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u8..12, 1u32..400).prop_map(|(trade, quantity)| Step::Fill { trade, quantity }),
        1 => (0u32..400).prop_map(|filled| Step::Finish { filled }),
    ]
}

proptest! {
    /// Whatever the broker reports, in any order and repeated: the units applied never exceed
    /// the order's quantity, never exceed a finished order's reported filled quantity once it
    /// is known, and a trade id is applied at most once.
    #[test]
    fn applied_units_never_exceed_what_the_order_and_the_broker_allow(
        ordered in 1u32..300,
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let mut book = OrderTracker::new();
        let req = request("AS26010500001", ordered);
        book.insert(
            req.clone(),
            OrderRole::Exit { reason: "test".into() },
            at("2026-01-05T10:00:00+05:30"),
        );
        let t = at("2026-01-05T10:00:05+05:30");
        let mut applied = 0u32;
        let mut seen = std::collections::BTreeSet::new();
        let mut final_filled: Option<u32> = None;
        for s in steps {
            match s {
                Step::Fill { trade, quantity } => {
                    let f = fill_of(&req, &format!("T{trade}"), quantity, t);
                    match book.admit_fill(&f) {
                        FillAdmission::Duplicate => prop_assert!(seen.contains(&trade)),
                        FillAdmission::Unknown => prop_assert!(false, "the order is known"),
                        FillAdmission::Known { apply, excess, .. } => {
                            prop_assert!(seen.insert(trade));
                            prop_assert_eq!(apply + excess, quantity);
                            applied += apply;
                        }
                    }
                }
                Step::Finish { filled } => {
                    book.on_update(&OrderUpdate {
                        order_id: "O1".into(),
                        tag: req.tag.clone(),
                        status: OrderStatus::Cancelled,
                        filled_quantity: filled,
                        average_price: None,
                        message: None,
                        timestamp: t,
                    });
                    final_filled = Some(filled);
                }
            }
            prop_assert!(applied <= ordered);
            prop_assert_eq!(book.ledger(&req.tag).map(|l| l.applied), Some(applied));
            if let Some(f) = final_filled {
                // Units applied after the broker's final word stay within it (those applied
                // before it stand: they were confirmed fills when they came).
                let room = book.ledger(&req.tag).map(|l| l.room()).unwrap_or(0);
                prop_assert!(room <= f.min(ordered).saturating_sub(applied.min(f.min(ordered))));
            }
        }
    }
}

#[test]
fn while_an_exit_is_in_doubt_the_stop_is_still_watched_and_a_lost_exit_is_placed_again_under_a_new_tag(
) {
    let mut e = engine();
    let meta = PositionMeta {
        trading_symbol: "SBIN".into(),
        exchange: Exchange::Nse,
        underlying: sbin(),
        lot_size: 1,
        tick_size: dec!(0.05),
        expiry: None,
        target: None,
        stop: None,
    };
    e.adopt_position(meta, -368, dec!(800), at("2026-01-05T10:30:00+05:30"));
    let quote = |px: Decimal, s: &str| Quote {
        symbol: sbin(),
        ltp: px,
        open: dec!(800),
        high: px.max(dec!(800)),
        low: dec!(800),
        close: dec!(800),
        volume: 1000,
        bid: Some(px - dec!(0.05)),
        ask: Some(px + dec!(0.05)),
        oi: None,
        timestamp: at(s),
    };
    let first = placed(&e.on_event(Event::Quote(quote(dec!(961), "2026-01-05T10:30:05+05:30"))));
    let tag = first[0].0.tag.clone();
    // The placement's answer is lost and the order book cannot be read.
    let doubt = e.on_event(Event::OrderOutcomeUnknown {
        tag: tag.clone(),
        at: at("2026-01-05T10:30:05+05:30"),
    });
    assert_eq!(critical(&doubt).len(), 1, "{doubt:?}");
    let next = e.on_event(Event::Quote(quote(dec!(970), "2026-01-05T10:30:10+05:30")));
    assert!(placed(&next).is_empty(), "one exit at a time");
    let alerts = critical(&next);
    assert_eq!(alerts.len(), 1, "{next:?}");
    assert!(
        alerts[0].contains("stop") && alerts[0].contains("in doubt") && alerts[0].contains(&tag),
        "{}",
        alerts[0]
    );
    let again = e.on_event(Event::Quote(quote(dec!(975), "2026-01-05T10:30:15+05:30")));
    assert!(critical(&again).is_empty(), "alerted once");
    // The order book, read at last, does not show it: refused, never placed.
    e.on_event(Event::OrderUpdate(OrderUpdate {
        order_id: String::new(),
        tag: tag.clone(),
        status: OrderStatus::Rejected,
        filled_quantity: 0,
        average_price: None,
        message: Some("not in the order book: never placed".into()),
        timestamp: at("2026-01-05T10:30:20+05:30"),
    }));
    let resent = placed(&e.on_event(Event::Quote(quote(dec!(976), "2026-01-05T10:30:20+05:30"))));
    let [(request, OrderPurpose::Exit { .. })] = &resent[..] else {
        panic!("{resent:?}");
    };
    assert_ne!(request.tag, tag, "a new tag");
    assert_eq!(request.quantity, 368);
    assert_eq!(request.transaction_type, TransactionType::Buy);
}
