//! `protective_stop: broker`: the engine gives every open position one SL order at the broker,
//! moves it in place (same order id) as the trailing stop moves, turns that same order into
//! the exit (a LIMIT at the stop's floor) when another exit of the whole position is due, and
//! cancels it first (then exits) when the broker refuses that; adopts it after a restart
//! instead of placing a second (converted or not), and falls back to its own stop when the
//! broker refuses the stop. Plus the law, over random price paths and exits, that a position
//! is never without a sell order at the broker, never has two and never sells more than it
//! holds.

use alphastock_core::config::Config;
use alphastock_core::engine::{
    Action, AlertLevel, Engine, Event, OrderPurpose, ProtectiveStopMode, Record,
};
use alphastock_core::market::{Exchange, IstTime, OptionContract, OptionQuote, OptionType, Symbol};
use alphastock_core::order::{
    Fill, OrderRequest, OrderStatus, OrderType, OrderUpdate, Product, TransactionType, Validity,
};
use alphastock_core::portfolio::PositionMeta;
use alphastock_core::strategy::Side;
use chrono::{DateTime, Duration, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const SYMBOL: &str = "NIFTY26D0824000CE";

fn t0() -> IstTime {
    DateTime::parse_from_rfc3339("2026-12-01T10:00:00+05:30").unwrap()
}

fn at(seconds: i64) -> IstTime {
    t0() + Duration::seconds(seconds)
}

fn engine(mode: ProtectiveStopMode) -> Engine {
    let config = Config::from_yaml_str(
        "strategies: { ema_crossover: { enabled: false, symbols: [NIFTY] } }\n",
    )
    .unwrap();
    let mut e = Engine::new(&config).unwrap();
    e.set_protective_stop(mode);
    e
}

/// A long position of 150 bought at 100 with target 130 and stop 80, as a restart restores it.
fn open_position(e: &mut Engine) -> Vec<Action> {
    e.restore_instrument(
        PositionMeta {
            trading_symbol: SYMBOL.to_string(),
            exchange: Exchange::Nfo,
            underlying: Symbol::parse("NIFTY").unwrap(),
            lot_size: 75,
            tick_size: dec!(0.05),
            expiry: NaiveDate::from_ymd_opt(2026, 12, 8),
            target: Some(dec!(130)),
            stop: Some(dec!(80)),
        },
        Side::Buy,
    );
    let _ = e.on_event(Event::Timer(t0()));
    e.on_event(Event::Fill(fill(
        "AS1",
        "T1",
        TransactionType::Buy,
        150,
        dec!(100),
        0,
    )))
}

fn fill(tag: &str, trade: &str, side: TransactionType, qty: u32, price: Decimal, s: i64) -> Fill {
    Fill {
        order_id: format!("B-{tag}"),
        tag: tag.to_string(),
        trade_id: trade.to_string(),
        exchange: Exchange::Nfo,
        trading_symbol: SYMBOL.to_string(),
        transaction_type: side,
        quantity: qty,
        price,
        timestamp: at(s),
    }
}

fn quote(premium: Decimal, s: i64) -> Event {
    Event::OptionQuote(OptionQuote {
        contract: OptionContract {
            underlying: Symbol::parse("NIFTY").unwrap(),
            expiry: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            strike: dec!(24000),
            option_type: OptionType::CE,
            lot_size: 75,
            tick_size: dec!(0.05),
            trading_symbol: SYMBOL.to_string(),
            exchange: Exchange::Nfo,
        },
        premium,
        bid: Some(premium - dec!(0.05)),
        ask: Some(premium + dec!(0.05)),
        volume: Some(1000),
        oi: Some(1000),
        iv: None,
        greeks: None,
        timestamp: at(s),
    })
}

fn update(tag: &str, id: &str, status: OrderStatus, s: i64) -> Event {
    Event::OrderUpdate(OrderUpdate {
        order_id: id.to_string(),
        tag: tag.to_string(),
        status,
        filled_quantity: 0,
        average_price: None,
        message: Some("test".to_string()),
        timestamp: at(s),
    })
}

fn placed(actions: &[Action]) -> Vec<OrderRequest> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::PlaceOrder { request, .. } => Some(request.clone()),
            _ => None,
        })
        .collect()
}

/// The stop modifications: (order id, tag, trigger, limit, quantity, reason).
fn modifies(actions: &[Action]) -> Vec<(String, String, Decimal, Decimal, u32, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ModifyStop {
                order_id,
                tag,
                trigger_price,
                price,
                quantity,
                reason,
            } => Some((
                order_id.clone(),
                tag.clone(),
                *trigger_price,
                *price,
                *quantity,
                reason.clone(),
            )),
            _ => None,
        })
        .collect()
}

fn cancels(actions: &[Action]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::CancelOrder {
                order_id, reason, ..
            } => Some((order_id.clone(), reason.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn local_mode_places_no_stop_order() {
    let mut e = engine(ProtectiveStopMode::Local);
    open_position(&mut e);
    let a = e.on_event(Event::Timer(at(5)));
    assert!(placed(&a).is_empty(), "{a:?}");
}

#[test]
fn a_filled_entry_gets_one_sl_order_at_the_next_tick() {
    let mut e = engine(ProtectiveStopMode::Broker);
    let on_fill = open_position(&mut e);
    assert!(placed(&on_fill).is_empty());
    let a = e.on_event(Event::Timer(at(5)));
    let p = placed(&a);
    assert_eq!(p.len(), 1, "{a:?}");
    let stop = &p[0];
    assert_eq!(stop.order_type, OrderType::StopLoss);
    assert_eq!(stop.transaction_type, TransactionType::Sell);
    assert_eq!(stop.quantity, 150);
    assert_eq!(stop.trigger_price, Some(dec!(80)));
    // 80 × 0.97 = 77.60.
    assert_eq!(stop.price, Some(dec!(77.60)));
    assert_eq!(stop.product, Product::Mis);
    assert_eq!(stop.validity, Validity::Day);
    assert!(a.iter().any(|x| matches!(x,
        Action::PlaceOrder { purpose: OrderPurpose::Exit { reason }, .. }
            if reason == "protective stop, trigger 80")));
    // No second one.
    let a = e.on_event(Event::Timer(at(10)));
    assert!(placed(&a).is_empty(), "{a:?}");
    assert_eq!(e.protective_stops().iter().count(), 1);
}

#[test]
fn the_stop_order_follows_the_trailing_stop_in_place() {
    let mut e = engine(ProtectiveStopMode::Broker);
    open_position(&mut e);
    let first = placed(&e.on_event(Event::Timer(at(5))));
    let tag = first[0].tag.clone();
    let initial = first[0].trigger_price.unwrap();
    // Until the broker's id is known there is nothing to modify.
    assert!(placed(&e.on_event(quote(dec!(120), 6))).is_empty());
    assert!(modifies(&e.on_event(Event::Timer(at(7)))).is_empty());
    e.on_event(update(&tag, "B7", OrderStatus::Open, 8));
    // 120: gained 20 ≥ half the 30 to the target; stop = 100 + (20 − 15) = 105.
    assert!(placed(&e.on_event(quote(dec!(120), 10))).is_empty());
    assert_eq!(e.current_stop(SYMBOL), Some(dec!(105.00)));
    let a = e.on_event(Event::Timer(at(15)));
    assert!(cancels(&a).is_empty() && placed(&a).is_empty(), "{a:?}");
    // The same order (id B7, same tag) moved: trigger 105, limit 105 × 0.97 = 101.85.
    assert_eq!(
        modifies(&a),
        vec![(
            "B7".to_string(),
            tag.clone(),
            dec!(105.00),
            dec!(101.85),
            150,
            format!("protective stop: trigger {initial} to 105.00 for 150")
        )]
    );
    let resting = e.protective_stops().get(SYMBOL).unwrap();
    assert_eq!(resting.trigger(), dec!(105.00));
    assert_eq!(resting.order_id.as_deref(), Some("B7"));
    // Once: the next tick at the same stop asks nothing more.
    let a = e.on_event(Event::Timer(at(20)));
    assert!(modifies(&a).is_empty() && cancels(&a).is_empty() && placed(&a).is_empty());
    // A move under 2 % of the trigger (105 → 107 is 1.9 %) waits; 2.10 (2 %) moves it.
    e.on_event(quote(dec!(122), 25));
    assert_eq!(e.current_stop(SYMBOL), Some(dec!(107.00)));
    assert!(modifies(&e.on_event(Event::Timer(at(26)))).is_empty());
    e.on_event(quote(dec!(123), 30));
    assert_eq!(e.current_stop(SYMBOL), Some(dec!(108.00)));
    let m = modifies(&e.on_event(Event::Timer(at(31))));
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].0.as_str(), m[0].2), ("B7", dec!(108.00)));
}

/// The conversions of stop orders into exits: (order id, tag, price, quantity, reason).
fn conversions(actions: &[Action]) -> Vec<(String, String, Decimal, u32, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ConvertStopToExit {
                order_id,
                tag,
                price,
                quantity,
                reason,
            } => Some((
                order_id.clone(),
                tag.clone(),
                *price,
                *quantity,
                reason.clone(),
            )),
            _ => None,
        })
        .collect()
}

fn repriced(actions: &[Action]) -> Vec<Decimal> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ModifyOrder { price, .. } => Some(*price),
            _ => None,
        })
        .collect()
}

#[test]
fn the_target_exit_turns_the_stop_order_into_the_exit_in_place() {
    let mut e = engine(ProtectiveStopMode::Broker);
    open_position(&mut e);
    let stop = placed(&e.on_event(Event::Timer(at(5))))[0].clone();
    // Trigger 80, limit 3 % below: 77.60.
    assert_eq!(stop.price, Some(dec!(77.60)));
    e.on_event(update(&stop.tag, "B7", OrderStatus::Open, 5));
    let a = e.on_event(quote(dec!(131), 10));
    // No cancel, no new order: the same order (id B7, same tag) becomes a LIMIT SELL of the
    // whole position at the stop's own limit, the lower of it and the marketable 130.85
    // (bid 130.95 less 2 ticks).
    assert!(placed(&a).is_empty() && cancels(&a).is_empty(), "{a:?}");
    let c = conversions(&a);
    assert_eq!(c.len(), 1, "{a:?}");
    assert_eq!(
        (c[0].0.as_str(), c[0].1.as_str(), c[0].2, c[0].3),
        ("B7", stop.tag.as_str(), dec!(77.60), 150)
    );
    assert!(c[0].4.starts_with("target"), "{}", c[0].4);
    // It is the position's working exit now, no longer a stop.
    assert!(e.protective_stops().get(SYMBOL).is_none());
    let w = e
        .working_orders()
        .get(&stop.tag)
        .expect("tracked as the exit");
    assert_eq!(w.order_id.as_deref(), Some("B7"));
    assert_eq!(w.request.order_type, OrderType::Limit);
    assert_eq!(w.request.trigger_price, None);
    // While it works: no stop placed, nothing cancelled, converted once.
    let a = e.on_event(Event::Timer(at(15)));
    assert!(placed(&a).is_empty() && cancels(&a).is_empty(), "{a:?}");
    let a = e.on_event(quote(dec!(131), 20));
    assert!(conversions(&a).is_empty() && placed(&a).is_empty(), "{a:?}");
    // Not filled after the timeout, the market still above the floor: the re-price keeps the
    // floor (moving up to 130.85 would leave nothing protecting the position below it).
    let a = e.on_event(Event::Timer(at(45)));
    assert!(repriced(&a).is_empty(), "{a:?}");
    // The market falls through the floor: the exit follows it down, as any exit.
    e.on_event(quote(dec!(70), 50));
    let a = e.on_event(Event::Timer(at(80)));
    assert_eq!(repriced(&a), vec![dec!(69.90)], "{a:?}");
    let a = e.on_event(Event::Fill(fill(
        &stop.tag,
        "T2",
        TransactionType::Sell,
        150,
        dec!(69.90),
        81,
    )));
    assert!(
        a.iter().any(|x| matches!(x,
            Action::Record(Record::PositionClosed { reason, .. }) if reason.starts_with("target"))),
        "{a:?}"
    );
    let a = e.on_event(Event::Timer(at(85)));
    assert!(placed(&a).is_empty() && cancels(&a).is_empty(), "{a:?}");
    assert_eq!(e.protective_stops().iter().count(), 0);
    assert!(!e.protective_stops().is_converted(&stop.tag));
}

#[test]
fn a_stop_hit_and_not_filled_in_time_becomes_a_marketable_exit_in_place() {
    let mut e = engine(ProtectiveStopMode::Broker);
    open_position(&mut e);
    let stop = placed(&e.on_event(Event::Timer(at(5))))[0].clone();
    e.on_event(update(&stop.tag, "B7", OrderStatus::Open, 5));
    // At the trigger: the broker's SL is given the entry timeout (30 s) to fill.
    let a = e.on_event(quote(dec!(79), 10));
    assert!(
        conversions(&a).is_empty() && cancels(&a).is_empty(),
        "{a:?}"
    );
    // Below its limit 77.60 and still not filled: the marketable price (bid 74.95 less two
    // ticks), not the floor, which the market has left.
    let a = e.on_event(quote(dec!(75), 41));
    let c = conversions(&a);
    assert_eq!(c.len(), 1, "{a:?}");
    assert_eq!((c[0].0.as_str(), c[0].2, c[0].3), ("B7", dec!(74.85), 150));
    assert!(cancels(&a).is_empty() && placed(&a).is_empty(), "{a:?}");
}

#[test]
fn a_refused_conversion_cancels_the_stop_first_then_exits() {
    let mut e = engine(ProtectiveStopMode::Broker);
    open_position(&mut e);
    let tag = placed(&e.on_event(Event::Timer(at(5))))[0].tag.clone();
    e.on_event(update(&tag, "B7", OrderStatus::Open, 5));
    let a = e.on_event(quote(dec!(131), 10));
    assert_eq!(conversions(&a).len(), 1, "{a:?}");
    // The broker refuses: the stop rests as it was and is a stop again, with a warning.
    let a = e.on_event(Event::ConversionRefused {
        tag: tag.clone(),
        message: "RMS: order type change refused".to_string(),
        at: at(10),
    });
    assert!(
        a.iter().any(
            |x| matches!(x, Action::Alert { level: AlertLevel::Warning, message }
            if message.contains("RMS: order type change refused") && message.contains(&tag))
        ),
        "{a:?}"
    );
    assert_eq!(
        e.protective_stops()
            .get(SYMBOL)
            .map(|s| s.request.tag.clone()),
        Some(tag.clone())
    );
    assert!(e.working_orders().is_empty());
    // Then as before: the stop is cancelled first, the exit placed once that is confirmed.
    assert!(placed(&a).is_empty() && conversions(&a).is_empty(), "{a:?}");
    assert_eq!(cancels(&a).len(), 1);
    assert!(cancels(&a)[0]
        .1
        .starts_with("protective stop: exit first (target"));
    // Still resting: no second cancel, no exit.
    let a = e.on_event(quote(dec!(131), 12));
    assert!(placed(&a).is_empty() && cancels(&a).is_empty(), "{a:?}");
    e.on_event(update(&tag, "B7", OrderStatus::Cancelled, 13));
    let a = e.on_event(quote(dec!(131), 14));
    let p = placed(&a);
    assert_eq!(p.len(), 1, "{a:?}");
    assert_eq!(p[0].order_type, OrderType::Limit);
    assert_eq!(p[0].transaction_type, TransactionType::Sell);
    assert_eq!(p[0].quantity, 150);
    // While the exit works no new stop is placed.
    let a = e.on_event(Event::Timer(at(15)));
    assert!(placed(&a).is_empty(), "{a:?}");
}

#[test]
fn a_restart_adopts_a_stop_converted_into_the_exit_as_that_exit() {
    let mut first = engine(ProtectiveStopMode::Broker);
    open_position(&mut first);
    let stop = placed(&first.on_event(Event::Timer(at(5))))[0].clone();
    // The crash came right after the conversion: the broker's book shows the stop's tag as a
    // LIMIT order at the stop's limit, no trigger (the journal's request, as recovery
    // updates it from the book).
    let mut converted = stop.clone();
    converted.order_type = OrderType::Limit;
    converted.trigger_price = None;
    let mut e = engine(ProtectiveStopMode::Broker);
    e.adopt_order(
        converted,
        OrderPurpose::Exit {
            reason: "protective stop, trigger 80".to_string(),
        },
        at(5),
    );
    open_position(&mut e);
    e.on_event(update(&stop.tag, "B7", OrderStatus::Open, 40));
    assert!(e.protective_stops().get(SYMBOL).is_none());
    // Nothing placed, converted or cancelled: the working exit is the position's one order.
    for s in [45, 50, 55] {
        let a = e.on_event(quote(dec!(131), s));
        let a2 = e.on_event(Event::Timer(at(s)));
        for x in [&a, &a2] {
            assert!(
                placed(x).is_empty() && cancels(x).is_empty() && conversions(x).is_empty(),
                "{x:?}"
            );
        }
    }
    assert_eq!(e.working_orders().len(), 1);
    // Re-priced as any exit, keeping the stop's floor while the market is above it.
    let a = e.on_event(Event::Timer(at(75)));
    assert!(repriced(&a).is_empty(), "{a:?}");
    e.on_event(quote(dec!(70), 76));
    let a = e.on_event(Event::Timer(at(110)));
    assert_eq!(repriced(&a), vec![dec!(69.90)], "{a:?}");
}

#[test]
fn a_stop_that_fills_at_the_broker_closes_the_position() {
    let mut e = engine(ProtectiveStopMode::Broker);
    open_position(&mut e);
    let tag = placed(&e.on_event(Event::Timer(at(5))))[0].tag.clone();
    e.on_event(update(&tag, "B7", OrderStatus::Open, 5));
    let a = e.on_event(Event::Fill(fill(
        &tag,
        "T2",
        TransactionType::Sell,
        150,
        dec!(79.50),
        30,
    )));
    assert!(
        a.iter().any(|x| matches!(x,
        Action::Record(Record::PositionClosed { reason, .. })
            if reason == "protective stop 80 hit at the broker")),
        "{a:?}"
    );
    let a = e.on_event(Event::Timer(at(35)));
    assert!(placed(&a).is_empty() && cancels(&a).is_empty(), "{a:?}");
    assert_eq!(e.protective_stops().iter().count(), 0);
}

#[test]
fn a_restart_adopts_the_stop_at_the_broker_instead_of_placing_a_second() {
    let mut first = engine(ProtectiveStopMode::Broker);
    open_position(&mut first);
    let stop = placed(&first.on_event(Event::Timer(at(5))))[0].clone();
    // The restart: the journal's working stop is adopted, then the day's fills are replayed.
    let mut e = engine(ProtectiveStopMode::Broker);
    e.adopt_order(
        stop.clone(),
        OrderPurpose::Exit {
            reason: "protective stop, trigger 80".to_string(),
        },
        at(5),
    );
    open_position(&mut e);
    e.on_event(update(&stop.tag, "B7", OrderStatus::Open, 40));
    let a = e.on_event(Event::Timer(at(45)));
    assert!(placed(&a).is_empty(), "{a:?}");
    assert_eq!(
        e.protective_stops().get(SYMBOL).unwrap().request.tag,
        stop.tag
    );
    assert!(
        e.working_orders().is_empty(),
        "not tracked as an exit to re-price"
    );
}

#[test]
fn a_rejected_stop_falls_back_to_the_engines_own_stop() {
    let mut e = engine(ProtectiveStopMode::Broker);
    open_position(&mut e);
    let tag = placed(&e.on_event(Event::Timer(at(5))))[0].tag.clone();
    let a = e.on_event(update(&tag, "B7", OrderStatus::Rejected, 6));
    assert!(a.iter().any(
        |x| matches!(x, Action::Alert { level: AlertLevel::Critical, message }
        if message.contains("protective stop") && message.contains("rejected"))
    ));
    let a = e.on_event(Event::Timer(at(10)));
    assert!(placed(&a).is_empty(), "not retried: {a:?}");
    // The engine's stop acts: 79 is below 80.
    let a = e.on_event(quote(dec!(79), 12));
    let p = placed(&a);
    assert_eq!(p.len(), 1, "{a:?}");
    assert_eq!(p[0].order_type, OrderType::Limit);
    assert_eq!(p[0].quantity, 150);
}

/// A broker that answers every placement and cancel at once and triggers SL orders when a
/// quote trades at or through the trigger, filling at the trigger's limit or better. A stop
/// converted into a LIMIT exit fills at once when the price is at or above its limit, else
/// rests until it is; with `refuse_conversions` every conversion is refused.
#[derive(Default)]
struct Broker {
    resting: Vec<(String, OrderRequest)>,
    next: u32,
    trades: u32,
    refuse_conversions: bool,
    refused: u32,
}

impl Broker {
    fn carry_out(&mut self, actions: Vec<Action>, now: IstTime, premium: Decimal) -> Vec<Event> {
        let mut out = Vec::new();
        for a in actions {
            match a {
                Action::PlaceOrder { request, .. } => {
                    self.next += 1;
                    let id = format!("B{}", self.next);
                    if request.order_type == OrderType::Limit {
                        // A marketable exit fills at once.
                        self.trades += 1;
                        out.push(Event::Fill(Fill {
                            order_id: id,
                            tag: request.tag.clone(),
                            trade_id: format!("BT{}", self.trades),
                            exchange: request.exchange,
                            trading_symbol: request.trading_symbol.clone(),
                            transaction_type: request.transaction_type,
                            quantity: request.quantity,
                            price: premium.max(dec!(0.05)),
                            timestamp: now,
                        }));
                    } else {
                        out.push(Event::OrderUpdate(OrderUpdate {
                            order_id: id.clone(),
                            tag: request.tag.clone(),
                            status: OrderStatus::Open,
                            filled_quantity: 0,
                            average_price: None,
                            message: None,
                            timestamp: now,
                        }));
                        self.resting.push((id, request));
                    }
                }
                Action::ModifyStop {
                    order_id,
                    trigger_price,
                    price,
                    quantity,
                    ..
                } => {
                    if let Some((_, r)) = self.resting.iter_mut().find(|(id, _)| *id == order_id) {
                        r.trigger_price = Some(trigger_price);
                        r.price = Some(price);
                        r.quantity = quantity;
                    }
                }
                Action::ConvertStopToExit {
                    order_id,
                    tag,
                    price,
                    quantity,
                    ..
                } if self.refuse_conversions => {
                    let _ = (order_id, price, quantity);
                    self.refused += 1;
                    out.push(Event::ConversionRefused {
                        tag,
                        message: "refused".to_string(),
                        at: now,
                    });
                }
                Action::ConvertStopToExit {
                    order_id,
                    price,
                    quantity,
                    ..
                } => {
                    if let Some((_, r)) = self.resting.iter_mut().find(|(id, _)| *id == order_id) {
                        r.order_type = OrderType::Limit;
                        r.trigger_price = None;
                        r.price = Some(price);
                        r.quantity = quantity;
                    }
                    out.extend(self.on_price(premium, now));
                }
                Action::ModifyOrder {
                    order_id, price, ..
                } => {
                    if let Some((_, r)) = self.resting.iter_mut().find(|(id, _)| *id == order_id) {
                        r.price = Some(price);
                    }
                }
                Action::CancelOrder { order_id, tag, .. } => {
                    if let Some(i) = self.resting.iter().position(|(id, _)| *id == order_id) {
                        self.resting.remove(i);
                        out.push(Event::OrderUpdate(OrderUpdate {
                            order_id,
                            tag,
                            status: OrderStatus::Cancelled,
                            filled_quantity: 0,
                            average_price: None,
                            message: None,
                            timestamp: now,
                        }));
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn on_price(&mut self, premium: Decimal, now: IstTime) -> Vec<Event> {
        let mut out = Vec::new();
        let hit: Vec<usize> = self
            .resting
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| match r.order_type {
                OrderType::Limit => r.price.is_some_and(|p| premium >= p),
                _ => r.trigger_price.is_some_and(|t| premium <= t),
            })
            .map(|(i, _)| i)
            .collect();
        for i in hit.into_iter().rev() {
            let (id, r) = self.resting.remove(i);
            self.trades += 1;
            out.push(Event::Fill(Fill {
                order_id: id,
                tag: r.tag.clone(),
                trade_id: format!("BT{}", self.trades),
                exchange: r.exchange,
                trading_symbol: r.trading_symbol.clone(),
                transaction_type: r.transaction_type,
                quantity: r.quantity,
                price: premium.max(dec!(0.05)),
                timestamp: now,
            }));
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// On any premium path with a tick every 5 s, exits by target, stop, trailing stop or a
    /// flattening shutdown at any tick: after every tick an open position has exactly one
    /// sell order at the broker, its stop or that stop turned into its exit in place (never
    /// none, never two, never more than it holds), the same order (one order id) for the life
    /// of the position unless the engine cancelled it, its trigger never below the initial
    /// stop and never more than 2 % of the trigger (or a tick) behind the engine's trailing
    /// stop. When the broker refuses every conversion, the exit cancels the stop first: then
    /// for one tick at most neither rests (between the confirmed cancel and the exit).
    #[test]
    fn an_open_position_always_has_exactly_one_stop_at_the_broker(
        steps in proptest::collection::vec(-6i64..7, 10..120),
        refuse_conversions in proptest::bool::weighted(0.25),
        shutdown_at in proptest::option::of(0usize..120),
    ) {
        let mut e = engine(ProtectiveStopMode::Broker);
        let mut broker = Broker { refuse_conversions, ..Broker::default() };
        open_position(&mut e);
        let mut premium = dec!(100);
        let mut gap = 0u32;
        let mut stop_seen = false;
        let mut stop_id: Option<String> = None;
        let mut cancelled: Vec<String> = Vec::new();
        let mut initial: Option<Decimal> = None;
        for (i, step) in steps.iter().enumerate() {
            let now = at(5 * (i as i64 + 1));
            premium = (premium + Decimal::from(*step)).max(dec!(1));
            let mut queue = broker.on_price(premium, now);
            queue.push(quote(premium, 5 * (i as i64 + 1)));
            queue.push(Event::Timer(now));
            if shutdown_at == Some(i) {
                queue.push(Event::Shutdown { flatten: true, at: now });
            }
            while let Some(ev) = (!queue.is_empty()).then(|| queue.remove(0)) {
                let actions = e.on_event(ev);
                cancelled.extend(cancels(&actions).into_iter().map(|(id, _)| id));
                queue.extend(broker.carry_out(actions, now, premium));
            }
            let open = e.portfolio().position(SYMBOL).is_some_and(|p| p.is_open());
            let at_broker: Vec<&OrderRequest> = broker.resting.iter().map(|(_, r)| r).collect();
            prop_assert!(at_broker.len() <= 1, "two sells at the broker: {at_broker:?}");
            if open {
                let held = e.portfolio().position(SYMBOL).map_or(0, |p| p.quantity());
                let selling: i64 = at_broker.iter().map(|r| i64::from(r.quantity)).sum();
                prop_assert!(selling <= held, "working sells {} beyond the held {}", selling, held);
                let exiting = !e.working_orders().is_empty();
                stop_seen |= !at_broker.is_empty();
                if at_broker.is_empty() && stop_seen {
                    // Only when the broker refused the conversion: between the confirmed
                    // cancel of the stop and the exit's placement at the next tick (the
                    // exit itself, marketable, fills at once in this model).
                    prop_assert!(broker.refused > 0, "a tick without a sell order at the broker");
                    if !exiting {
                        gap += 1;
                    }
                    prop_assert!(gap <= 1, "a tick without a stop and no exit");
                } else {
                    gap = 0;
                }
                if let Some((id, r)) = broker.resting.first() {
                    // The trailing stop moves the order in place: a new one only follows a
                    // cancel the engine asked for (before a target exit the price then left).
                    if let Some(old) = stop_id.replace(id.clone()).filter(|old| old != id) {
                        prop_assert!(cancelled.contains(&old), "{} replaced by {} without a cancel", old, id);
                    }
                    prop_assert_eq!(i64::from(r.quantity), held);
                    prop_assert_eq!(r.transaction_type, TransactionType::Sell);
                    let Some(trigger) = r.trigger_price else {
                        // The stop turned into the exit: a LIMIT at or below its floor.
                        prop_assert_eq!(r.order_type, OrderType::Limit);
                        prop_assert!(e.working_orders().get(&r.tag).is_some());
                        continue;
                    };
                    prop_assert!(trigger >= *initial.get_or_insert(trigger));
                    if let Some(stop) = e.current_stop(SYMBOL) {
                        let step = (trigger * dec!(0.02)).max(dec!(0.05));
                        prop_assert!(stop < trigger + step, "trigger {} behind the stop {}", trigger, stop);
                    }
                }
            } else {
                prop_assert!(at_broker.is_empty(), "a stop left after the position closed");
                prop_assert!(never_short(&e));
                break;
            }
        }
    }
}

/// The position was never sold below zero.
fn never_short(e: &Engine) -> bool {
    e.portfolio()
        .position(SYMBOL)
        .is_none_or(|p| p.quantity() >= 0)
}

#[test]
fn a_second_stop_adopted_after_a_crash_is_cancelled_and_the_later_one_kept() {
    let mut first = engine(ProtectiveStopMode::Broker);
    open_position(&mut first);
    let old = placed(&first.on_event(Event::Timer(at(5))))[0].clone();
    // The cancel of `old` (a trailing replacement) never reached the journal before the crash,
    // so the restart finds two working stops for the position.
    let mut new = old.clone();
    new.tag = "AS26120100009".to_string();
    new.trigger_price = Some(dec!(90));
    let mut e = engine(ProtectiveStopMode::Broker);
    for r in [&new, &old] {
        e.adopt_order(
            r.clone(),
            OrderPurpose::Exit {
                reason: "protective stop".to_string(),
            },
            at(5),
        );
    }
    open_position(&mut e);
    e.on_event(update(&old.tag, "B1", OrderStatus::Open, 40));
    e.on_event(update(&new.tag, "B9", OrderStatus::Open, 40));
    assert_eq!(
        e.protective_stops().get(SYMBOL).unwrap().request.tag,
        new.tag
    );
    let a = e.on_event(Event::Timer(at(45)));
    assert!(placed(&a).is_empty(), "{a:?}");
    assert_eq!(cancels(&a).len(), 1, "{a:?}");
    assert_eq!(cancels(&a)[0].0, "B1");
    let a = e.on_event(Event::Timer(at(50)));
    assert!(cancels(&a).is_empty(), "asked once: {a:?}");
    e.on_event(update(&old.tag, "B1", OrderStatus::Cancelled, 51));
    assert!(e.protective_stops().orphans().is_empty());
}

/// SBIN traded itself, EMA(2)/EMA(3): BUY on the 5th bar (820), SELL on the 7th (800); stops 5 %.
const STOCK: &str = r#"
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

#[test]
fn a_reversal_waits_for_the_stop_order_to_be_cancelled() {
    use alphastock_core::market::Candle;
    let config = Config::from_yaml_str(STOCK).unwrap();
    let mut e = Engine::new(&config).unwrap();
    e.set_protective_stop(ProtectiveStopMode::Broker);
    let mut broker = Broker::default();
    let closes = [800i64, 790, 780, 770, 820, 830, 800];
    let start = DateTime::parse_from_rfc3339("2026-01-05T10:00:00+05:30").unwrap();
    let mut log: Vec<Action> = Vec::new();
    let mut prev = closes[0];
    for (i, c) in closes.iter().enumerate() {
        let ts = start + Duration::minutes(5 * i as i64);
        let end = ts + Duration::minutes(5);
        let candle = Candle {
            symbol: Symbol::parse("NSE:SBIN").unwrap(),
            timestamp: ts,
            open: Decimal::from(prev),
            high: Decimal::from(prev.max(*c)),
            low: Decimal::from(prev.min(*c)),
            close: Decimal::from(*c),
            volume: 10_000,
        };
        prev = *c;
        let mut queue = vec![Event::Candle(candle), Event::Timer(end)];
        while !queue.is_empty() {
            let ev = queue.remove(0);
            let actions = e.on_event(ev);
            log.extend(actions.iter().cloned());
            queue.extend(broker.carry_out(actions, end, Decimal::from(*c)));
        }
        if i == 5 {
            // Long since bar 4, with its SELL stop resting at the broker.
            assert!(e
                .portfolio()
                .position("SBIN")
                .is_some_and(|p| p.quantity() > 0));
            assert_eq!(broker.resting.len(), 1);
            log.clear();
        }
    }
    // The next tick.
    let next = start + Duration::minutes(5 * closes.len() as i64 + 5);
    let actions = e.on_event(Event::Timer(next));
    log.extend(actions.iter().cloned());
    broker.carry_out(actions, next, dec!(800));
    // At the SELL crossover: the stop is cancelled first; only then the close and the short.
    let kinds: Vec<String> = log
        .iter()
        .filter_map(|a| match a {
            Action::CancelOrder { reason, .. } => Some(format!("cancel: {reason}")),
            Action::PlaceOrder { request, .. } => Some(format!(
                "{} {:?} {}",
                request.transaction_type.code(),
                request.order_type,
                request.quantity
            )),
            _ => None,
        })
        .collect();
    assert!(
        kinds[0].starts_with("cancel: protective stop: reverse first"),
        "{kinds:?}"
    );
    assert!(kinds[1].starts_with("SELL Limit"), "{kinds:?}");
    assert!(kinds[2].starts_with("SELL Limit"), "{kinds:?}");
    // The short gets its BUY stop at the next tick.
    assert!(kinds[3].starts_with("BUY StopLoss"), "{kinds:?}");
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    let short = e.portfolio().position("SBIN").unwrap().quantity();
    assert!(short < 0);
    let stop = &broker.resting[0].1;
    assert_eq!(stop.transaction_type, TransactionType::Buy);
    assert_eq!(i64::from(stop.quantity), -short);
    assert!(stop.trigger_price.unwrap() > dec!(800));
    assert!(stop.price.unwrap() > stop.trigger_price.unwrap());
}

#[test]
fn a_reversal_before_the_stop_is_acknowledged_cancels_it_once_its_id_is_known() {
    use alphastock_core::market::Candle;
    let config = Config::from_yaml_str(STOCK).unwrap();
    let mut e = Engine::new(&config).unwrap();
    e.set_protective_stop(ProtectiveStopMode::Broker);
    let closes = [800i64, 790, 780, 770, 820, 830, 800];
    let start = DateTime::parse_from_rfc3339("2026-01-05T10:00:00+05:30").unwrap();
    let mut prev = closes[0];
    let mut stop_tag = None;
    let mut log: Vec<Action> = Vec::new();
    for (i, c) in closes.iter().enumerate() {
        let ts = start + Duration::minutes(5 * i as i64);
        let end = ts + Duration::minutes(5);
        let candle = Candle {
            symbol: Symbol::parse("NSE:SBIN").unwrap(),
            timestamp: ts,
            open: Decimal::from(prev),
            high: Decimal::from(prev.max(*c)),
            low: Decimal::from(prev.min(*c)),
            close: Decimal::from(*c),
            volume: 10_000,
        };
        prev = *c;
        let mut queue = vec![Event::Candle(candle), Event::Timer(end)];
        while !queue.is_empty() {
            let ev = queue.remove(0);
            for a in e.on_event(ev) {
                if let Action::PlaceOrder { request, .. } = &a {
                    if request.order_type == OrderType::Limit {
                        // Entries and exits fill at once.
                        queue.push(Event::Fill(Fill {
                            order_id: format!("X{}", request.tag),
                            tag: request.tag.clone(),
                            trade_id: format!("XT{}", request.tag),
                            exchange: request.exchange,
                            trading_symbol: request.trading_symbol.clone(),
                            transaction_type: request.transaction_type,
                            quantity: request.quantity,
                            price: request.price.unwrap(),
                            timestamp: end,
                        }));
                    } else {
                        // The stop's acknowledgement is late.
                        stop_tag = Some(request.tag.clone());
                    }
                }
                if i == 6 {
                    log.push(a);
                }
            }
        }
    }
    // The SELL crossover: the stop has no id yet, so nothing can be cancelled and nothing is
    // sold.
    assert!(
        placed(&log).is_empty() && cancels(&log).is_empty(),
        "{log:?}"
    );
    let tag = stop_tag.expect("a stop was placed");
    let t = start + Duration::minutes(35) + Duration::seconds(30);
    e.on_event(Event::OrderUpdate(OrderUpdate {
        order_id: "B9".to_string(),
        tag: tag.clone(),
        status: OrderStatus::Open,
        filled_quantity: 0,
        average_price: None,
        message: None,
        timestamp: t,
    }));
    let a = e.on_event(Event::Timer(t));
    assert_eq!(cancels(&a).len(), 1, "{a:?}");
    assert_eq!(cancels(&a)[0].0, "B9");
    assert!(placed(&a).is_empty(), "{a:?}");
    let a = e.on_event(Event::OrderUpdate(OrderUpdate {
        order_id: "B9".to_string(),
        tag,
        status: OrderStatus::Cancelled,
        filled_quantity: 0,
        average_price: None,
        message: None,
        timestamp: t,
    }));
    // Now the close and the short.
    let p = placed(&a);
    assert_eq!(p.len(), 2, "{a:?}");
    assert!(p
        .iter()
        .all(|r| r.transaction_type == TransactionType::Sell));
}

#[test]
fn a_stop_whose_placement_outcome_is_unknown_is_not_placed_twice() {
    let mut e = engine(ProtectiveStopMode::Broker);
    open_position(&mut e);
    let tag = placed(&e.on_event(Event::Timer(at(5))))[0].tag.clone();
    let a = e.on_event(Event::OrderOutcomeUnknown {
        tag: tag.clone(),
        at: at(6),
    });
    assert!(
        a.iter().any(
            |x| matches!(x, Action::Alert { level: AlertLevel::Critical, message }
        if message.starts_with(&format!("protective stop {tag} outcome unknown")))
        ),
        "{a:?}"
    );
    for s in [10, 15, 20] {
        let a = e.on_event(Event::Timer(at(s)));
        assert!(placed(&a).is_empty(), "{a:?}");
    }
}
