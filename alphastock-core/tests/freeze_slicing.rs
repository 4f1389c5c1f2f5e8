//! Freeze-limit slicing in the engine: an intent above the contract's freeze quantity (market
//! rules of the day: BANKNIFTY 900 units) goes out as several orders, each whole lots within the
//! limit, each with a tag derived from the intent's; their fills make one position, and its exit
//! is sliced the same way. Risk limits apply to the whole intent.

mod common;

use alphastock_core::engine::{Action, Engine, Event, OrderPurpose};
use alphastock_core::market::{Exchange, IstTime};
use alphastock_core::order::{Fill, TransactionType};
use alphastock_core::rules::intent_tag;
use common::{at, candle, ce_51200, chain, engine_with_signals, worked_config};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// Room for 15 lots of the 280 CE (lot 75 in the test chain): premium cap 15 × 21,000 =
/// 3,15,000; risk budget 5 % of 1,00,00,000 = 5,00,000 ≥ 15 × 2,250.
const RISK: &str = "
    capital: 10000000
    risk_per_trade_pct: 5
    max_premium_per_trade: 315000
    max_exposure_per_underlying: 400000
    max_total_exposure: 400000
";

fn engine(stop: Decimal) -> Engine {
    engine_with_signals(&worked_config(RISK), stop, 1)
}

fn fill(tag: &str, side: TransactionType, quantity: u32, price: Decimal, t: IstTime) -> Fill {
    Fill {
        order_id: format!("O-{tag}"),
        tag: tag.to_string(),
        trade_id: format!("T-{tag}"),
        exchange: Exchange::Nfo,
        trading_symbol: ce_51200(),
        transaction_type: side,
        quantity,
        price,
        timestamp: t,
    }
}

fn placed(actions: &[Action]) -> Vec<(String, u32, bool)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::PlaceOrder { request, purpose } => Some((
                request.tag.clone(),
                request.quantity,
                matches!(purpose, OrderPurpose::Entry { .. }),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn an_entry_above_the_freeze_quantity_goes_out_in_tagged_whole_lot_slices() {
    let mut e = engine(dec!(51187.3077));
    e.on_event(Event::OptionChain(chain(at("2026-01-05T10:14:58+05:30"))));
    let actions = e.on_event(Event::Candle(candle(at("2026-01-05T10:10:00+05:30"))));
    // 15 lots × 75 = 1,125 units > BANKNIFTY's freeze 900: 12 lots (900) + 3 lots (225).
    let orders = placed(&actions);
    assert_eq!(orders.len(), 2, "{actions:#?}");
    let tag = orders[0].0.clone();
    assert_eq!(orders[0], (tag.clone(), 900, true));
    assert_eq!(orders[1], (format!("{tag}S2"), 225, true));
    assert!(orders.iter().all(|(t, _, _)| intent_tag(t) == tag));

    // Both slices fill: one position of 1,125 units.
    let t = at("2026-01-05T10:20:00+05:30");
    for (slice, qty, _) in &orders {
        e.on_event(Event::Fill(fill(
            slice,
            TransactionType::Buy,
            *qty,
            dec!(280),
            t,
        )));
    }
    let p = e.portfolio().position(&ce_51200()).expect("position");
    assert_eq!(p.quantity(), 1125);

    // The target is reached: the exit of 1,125 units is sliced the same way.
    let mut c = chain(at("2026-01-05T10:25:00+05:30"));
    for q in &mut c.quotes {
        if q.contract.trading_symbol == ce_51200() {
            q.premium = dec!(500);
            q.bid = Some(dec!(499.95));
            q.ask = Some(dec!(500));
        }
    }
    let exits = placed(&e.on_event(Event::OptionChain(c)));
    assert_eq!(exits.len(), 2, "{exits:?}");
    assert_eq!((exits[0].1, exits[1].1), (900, 225));
    assert!(!exits[0].2 && !exits[1].2);
    assert_eq!(exits[1].0, format!("{}S2", exits[0].0));
}
