//! The design's worked example, end to end through `Engine::on_event`: a bullish BANKNIFTY
//! signal becomes a 1-lot order for the ATM 51200 CE at 280, target 493.20 and stop 250.00; the
//! position is marked at 315 (+2,625) and 395 (+8,625, trailing stop above entry) and exits at the
//! target. Plus: a stop too far for the risk budget is refused with its numbers, and the same
//! events always give the same actions.

mod common;

use alphastock_core::engine::{Action, Engine, Event, OrderPurpose, Record};
use alphastock_core::market::{Exchange, IstTime, OptionType};
use alphastock_core::order::{Fill, OrderStatus, OrderType, OrderUpdate, TransactionType};
use common::{at, candle, ce_51200, chain, engine_with_signals, quote, worked_config, WORKED_RISK};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn engine(stop: Decimal) -> Engine {
    engine_with_signals(&worked_config(WORKED_RISK), stop, 1)
}

fn fill(tag: &str, side: TransactionType, price: Decimal, t: IstTime, trade: &str) -> Fill {
    Fill {
        order_id: format!("O-{tag}"),
        tag: tag.to_string(),
        trade_id: trade.to_string(),
        exchange: Exchange::Nfo,
        trading_symbol: ce_51200(),
        transaction_type: side,
        quantity: 75,
        price,
        timestamp: t,
    }
}

fn placed(actions: &[Action]) -> Vec<(&alphastock_core::order::OrderRequest, &OrderPurpose)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::PlaceOrder { request, purpose } => Some((request, purpose)),
            _ => None,
        })
        .collect()
}

/// Stop 51,187.3077: 57.69 points below spot, × delta 0.52 = 30 premium points → 250.00.
const WORKED_STOP: Decimal = dec!(51187.3077);

#[test]
fn the_worked_example_from_signal_to_target_exit() {
    let mut e = engine(WORKED_STOP);
    // Step 1–2: the chain, then the candle whose close fires the signal (10:10–10:15 bar).
    assert!(e
        .on_event(Event::OptionChain(chain(at("2026-01-05T10:14:58+05:30"))))
        .is_empty());
    let actions = e.on_event(Event::Candle(candle(at("2026-01-05T10:10:00+05:30"))));
    let recorded: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Record(Record::Signal { signal, rejected }) => Some((signal, rejected)),
            _ => None,
        })
        .collect();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].1, &None, "the signal is accepted");
    // Step 3–5: ATM 51200 CE, target 280 + 0.52 × 410 = 493.20, stop 250.00, 1 lot of 75.
    let orders = placed(&actions);
    assert_eq!(orders.len(), 1);
    let (request, purpose) = orders[0];
    assert_eq!(request.trading_symbol, ce_51200());
    assert_eq!(request.exchange, Exchange::Nfo);
    assert_eq!(request.transaction_type, TransactionType::Buy);
    assert_eq!(request.order_type, OrderType::Limit);
    assert_eq!(request.quantity, 75);
    assert_eq!(request.price, Some(dec!(280.00)));
    match purpose {
        OrderPurpose::Entry { target, stop, .. } => {
            assert_eq!(*target, dec!(493.20));
            assert_eq!(*stop, dec!(250.00));
        }
        other => panic!("expected an entry, got {other:?}"),
    }
    let tag = request.tag.clone();

    // Step 6: the broker accepts and fills it.
    let t = at("2026-01-05T10:15:02+05:30");
    e.on_event(Event::OrderUpdate(OrderUpdate {
        order_id: format!("O-{tag}"),
        tag: tag.clone(),
        status: OrderStatus::Open,
        filled_quantity: 0,
        average_price: None,
        message: None,
        timestamp: t,
    }));
    let after_fill = e.on_event(Event::Fill(fill(
        &tag,
        TransactionType::Buy,
        dec!(280),
        t,
        "T1",
    )));
    assert!(placed(&after_fill).is_empty());
    let position = e.portfolio().position(&ce_51200()).expect("position");
    assert_eq!(position.quantity(), 75);
    assert_eq!(position.average_price(), dec!(280));

    // Step 7: monitoring. 315 → +2,625; 395 → +8,625 and the stop trails above entry.
    let a315 = e.on_event(Event::OptionQuote(quote(
        dec!(51200),
        OptionType::CE,
        dec!(315),
        0.55,
        at("2026-01-05T10:30:00+05:30"),
    )));
    assert!(placed(&a315).is_empty(), "no exit at 315");
    assert_eq!(
        e.current_stop(&ce_51200()),
        Some(dec!(250.00)),
        "stop unchanged at 315"
    );
    let p = e.portfolio().position(&ce_51200()).expect("position");
    assert_eq!(p.unrealised_pnl(), dec!(2625));
    let a395 = e.on_event(Event::OptionQuote(quote(
        dec!(51200),
        OptionType::CE,
        dec!(395),
        0.62,
        at("2026-01-05T11:00:00+05:30"),
    )));
    assert!(placed(&a395).is_empty(), "no exit at 395");
    let p = e.portfolio().position(&ce_51200()).expect("position");
    assert_eq!(p.unrealised_pnl(), dec!(8625));
    let trailed = e.current_stop(&ce_51200()).expect("a stop");
    assert!(
        trailed > dec!(280),
        "trailing stop {trailed} is above the entry"
    );

    // Target reached: one SELL of the whole position, and the closed trade is recorded.
    let hit = e.on_event(Event::OptionQuote(quote(
        dec!(51200),
        OptionType::CE,
        dec!(493.20),
        0.70,
        at("2026-01-05T11:30:00+05:30"),
    )));
    let exits = placed(&hit);
    assert_eq!(exits.len(), 1);
    let (exit, why) = exits[0];
    assert_eq!(exit.transaction_type, TransactionType::Sell);
    assert_eq!(exit.quantity, 75);
    assert!(
        matches!(why, OrderPurpose::Exit { reason } if reason.contains("target")),
        "{why:?}"
    );
    // A second quote while the exit works does not send a second exit.
    let again = e.on_event(Event::OptionQuote(quote(
        dec!(51200),
        OptionType::CE,
        dec!(494),
        0.70,
        at("2026-01-05T11:30:02+05:30"),
    )));
    assert!(placed(&again).is_empty());
    let closed = e.on_event(Event::Fill(fill(
        &exit.tag,
        TransactionType::Sell,
        dec!(493.20),
        at("2026-01-05T11:30:03+05:30"),
        "T2",
    )));
    let net = closed
        .iter()
        .find_map(|a| match a {
            Action::Record(Record::PositionClosed { net_pnl, .. }) => Some(*net_pnl),
            _ => None,
        })
        .expect("closed trade recorded");
    // Gross (493.20 − 280) × 75 = 15,990 less the round trip's charges.
    let p = e.portfolio().position(&ce_51200()).expect("position");
    assert_eq!(p.realised_pnl(), dec!(15990));
    // Charges at the rules of 2026-01-05 (STT 0.1 %, NSE 0.03503 %, IPFT ₹50 per crore):
    // buy 21,000 → brokerage 20 + exchange 7.36 + SEBI 0.02 + stamp 0.63 + IPFT 0.11 (0.105
    // rounded half up) + GST 18 % of 27.49 = 4.95 → 33.07; sell 36,990 → brokerage 20 + STT
    // 36.99 + exchange 12.96 + SEBI 0.04 + IPFT 0.18 + GST 18 % of 33.18 = 5.97 → 76.14; in
    // all 109.21 (108.87 before IPFT was charged).
    assert_eq!(p.charges(), dec!(109.21));
    assert_eq!(net, dec!(15880.79));
}

#[test]
fn a_stop_too_far_for_the_risk_budget_is_refused_with_its_numbers() {
    // Stop 51,168.0769: 76.92 points × 0.52 = 40 premium points → stop premium 240;
    // max loss (280 − 240) × 75 = 3,000 > 5 % of 50,000 = 2,500.
    let mut e = engine(dec!(51168.0769));
    e.on_event(Event::OptionChain(chain(at("2026-01-05T10:14:58+05:30"))));
    let actions = e.on_event(Event::Candle(candle(at("2026-01-05T10:10:00+05:30"))));
    assert!(placed(&actions).is_empty(), "no order for a refused signal");
    let reason = actions
        .iter()
        .find_map(|a| match a {
            Action::Record(Record::Signal {
                rejected: Some(r), ..
            }) => Some(r.clone()),
            _ => None,
        })
        .expect("rejection recorded");
    assert!(
        reason.contains("3000") && reason.contains("2500"),
        "{reason}"
    );
}

#[test]
fn the_same_events_give_the_same_actions() {
    let events = [
        Event::OptionChain(chain(at("2026-01-05T10:14:58+05:30"))),
        Event::Candle(candle(at("2026-01-05T10:10:00+05:30"))),
        Event::OptionQuote(quote(
            dec!(51200),
            OptionType::CE,
            dec!(240),
            0.45,
            at("2026-01-05T10:20:00+05:30"),
        )),
        Event::Timer(at("2026-01-05T10:20:05+05:30")),
    ];
    let run = || {
        let mut e = engine(WORKED_STOP);
        events
            .iter()
            .cloned()
            .flat_map(|ev| e.on_event(ev))
            .collect::<Vec<_>>()
    };
    let first = run();
    assert!(!first.is_empty());
    assert_eq!(first, run());
}

/// Places the worked example's entry and fills it; returns the entry tag.
fn enter(e: &mut Engine, day: &str) -> String {
    e.on_event(Event::OptionChain(chain(at(&format!(
        "{day}T10:14:58+05:30"
    )))));
    let actions = e.on_event(Event::Candle(candle(at(&format!("{day}T10:10:00+05:30")))));
    let tag = placed(&actions)
        .first()
        .map(|(r, _)| r.tag.clone())
        .expect("an entry");
    let t = at(&format!("{day}T10:15:02+05:30"));
    e.on_event(Event::Fill(fill(
        &tag,
        TransactionType::Buy,
        dec!(280),
        t,
        &format!("{day}-T1"),
    )));
    tag
}

#[test]
fn broker_timestamps_do_not_move_the_market_clock() {
    let mut e = engine(WORKED_STOP);
    e.on_event(Event::OptionChain(chain(at("2026-01-05T10:14:58+05:30"))));
    let actions = e.on_event(Event::Candle(candle(at("2026-01-05T10:10:00+05:30"))));
    let tag = placed(&actions)[0].0.tag.clone();
    let before = e.clock();
    // A fill stamped 40 minutes ahead by a broker's clock.
    e.on_event(Event::Fill(fill(
        &tag,
        TransactionType::Buy,
        dec!(280),
        at("2026-01-05T10:55:00+05:30"),
        "T1",
    )));
    assert_eq!(e.clock(), before);
    assert_eq!(
        e.portfolio().position(&ce_51200()).map(|p| p.quantity()),
        Some(75)
    );
}

#[test]
fn a_day_that_trips_the_kill_switch_does_not_block_the_next_day() {
    let mut e = engine_with_signals(&worked_config(WORKED_RISK), WORKED_STOP, 2);
    enter(&mut e, "2026-01-05");
    // The stop is hit and the exit fills far lower: 75 × (280 − 200) = 6,000 lost, beyond the
    // 5,000 daily loss limit.
    let hit = e.on_event(Event::OptionQuote(quote(
        dec!(51200),
        OptionType::CE,
        dec!(249),
        0.45,
        at("2026-01-05T10:30:00+05:30"),
    )));
    let exit = placed(&hit)[0].0.tag.clone();
    e.on_event(Event::Fill(fill(
        &exit,
        TransactionType::Sell,
        dec!(200),
        at("2026-01-05T10:30:01+05:30"),
        "T2",
    )));
    assert!(e.kill_switch_on(at("2026-01-05T10:31:00+05:30")));
    // The next trading day starts clean.
    e.on_event(Event::OptionChain(chain(at("2026-01-06T10:14:58+05:30"))));
    let actions = e.on_event(Event::Candle(candle(at("2026-01-06T10:10:00+05:30"))));
    assert_eq!(placed(&actions).len(), 1, "{actions:?}");
}

#[test]
fn a_resting_exit_is_repriced_once_the_market_leaves_it() {
    let mut e = engine(WORKED_STOP);
    enter(&mut e, "2026-01-05");
    let hit = e.on_event(Event::OptionQuote(quote(
        dec!(51200),
        OptionType::CE,
        dec!(249),
        0.45,
        at("2026-01-05T10:30:00+05:30"),
    )));
    let (exit, _) = placed(&hit)[0];
    let (tag, first_price) = (exit.tag.clone(), exit.price);
    assert_eq!(first_price, Some(dec!(248.95)), "bid 248.95, no buffer");
    e.on_event(Event::OrderUpdate(OrderUpdate {
        order_id: "X1".into(),
        tag: tag.clone(),
        status: OrderStatus::Open,
        filled_quantity: 0,
        average_price: None,
        message: None,
        timestamp: at("2026-01-05T10:30:01+05:30"),
    }));
    // The premium keeps falling; the exit rests unfilled.
    e.on_event(Event::OptionQuote(quote(
        dec!(51200),
        OptionType::CE,
        dec!(240),
        0.42,
        at("2026-01-05T10:30:20+05:30"),
    )));
    let early = e.on_event(Event::Timer(at("2026-01-05T10:30:20+05:30")));
    assert!(!early
        .iter()
        .any(|a| matches!(a, Action::ModifyOrder { .. })));
    let later = e.on_event(Event::Timer(at("2026-01-05T10:30:31+05:30")));
    let modified: Vec<_> = later
        .iter()
        .filter_map(|a| match a {
            Action::ModifyOrder { tag: t, price, .. } => Some((t.clone(), *price)),
            _ => None,
        })
        .collect();
    assert_eq!(modified, vec![(tag, dec!(240))]);
    assert!(placed(&later).is_empty(), "re-priced, not a second exit");
}
