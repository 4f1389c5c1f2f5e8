//! `max_lots_per_order` cuts an entry down; `max_lots_per_underlying` counts the lots already
//! held (and in flight) in the underlying; funds reported by the broker size the entry.

use alphastock_core::market::{IstTime, Symbol};
use alphastock_core::risk::{RiskBook, RiskConfig, RiskManager, RiskRejection, TradeProposal};
use alphastock_core::strategy::Side;
use chrono::DateTime;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn ten_am() -> IstTime {
    DateTime::parse_from_rfc3339("2026-04-06T10:00:00+05:30").unwrap()
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// Wide limits: only the lot caps under test bind. A 100 premium with a 90 stop and lot 75:
/// 7,500 a lot, 750 at risk a lot; the budget (1,000,000 × 5 % = 50,000) allows 66 lots.
fn roomy(order: Option<u32>, underlying: Option<u32>) -> RiskConfig {
    RiskConfig {
        capital: dec!(1000000),
        risk_per_trade_pct: dec!(5),
        max_premium_per_trade: dec!(10000000),
        max_exposure_per_underlying: dec!(10000000),
        max_total_exposure: dec!(10000000),
        max_positions: 10,
        max_correlated_positions: 10,
        max_lots_per_order: order,
        max_lots_per_underlying: underlying,
        ..RiskConfig::default()
    }
}

fn proposal(funds: Option<Decimal>) -> TradeProposal {
    TradeProposal {
        underlying: sym("NIFTY"),
        side: Side::Buy,
        trading_symbol: "NIFTY26APR24000CE".to_string(),
        entry_premium: dec!(100),
        stop_premium: dec!(90),
        lot_size: 75,
        available_funds: funds,
    }
}

#[test]
fn without_lot_caps_the_risk_budget_sizes_the_entry() {
    let ok = RiskManager::new(roomy(None, None))
        .check(proposal(None), &RiskBook::new(), ten_am())
        .unwrap();
    // floor(50,000 / 750) = 66 lots.
    assert_eq!(ok.lots(), 66);
}

#[test]
fn max_lots_per_order_cuts_the_entry_down() {
    let ok = RiskManager::new(roomy(Some(10), None))
        .check(proposal(None), &RiskBook::new(), ten_am())
        .unwrap();
    assert_eq!(ok.lots(), 10);
    assert_eq!(ok.quantity(), 750);
    assert_eq!(ok.max_loss(), dec!(7500));
}

#[test]
fn max_lots_per_underlying_counts_lots_already_held() {
    let mut book = RiskBook::new();
    book.add_position(sym("NIFTY"), dec!(52500));
    book.add_lots(&sym("NIFTY"), 7);
    let mut rm = RiskManager::new(roomy(None, Some(12)));
    let ok = rm.check(proposal(None), &book, ten_am()).unwrap();
    assert_eq!(ok.lots(), 5);
    // Another underlying's lots do not count.
    let mut other = RiskBook::new();
    other.add_position(sym("BANKNIFTY"), dec!(52500));
    other.add_lots(&sym("BANKNIFTY"), 12);
    assert_eq!(
        rm.check(proposal(None), &other, ten_am()).unwrap().lots(),
        12
    );
    // Full: refused with the numbers.
    book.add_lots(&sym("NIFTY"), 5);
    let refused = rm.check(proposal(None), &book, ten_am()).unwrap_err();
    assert_eq!(
        refused.reason,
        RiskRejection::LotsPerUnderlying {
            underlying: "NIFTY".to_string(),
            held: 12,
            max: 12
        }
    );
    assert_eq!(
        refused.reason.to_string(),
        "lots held in NIFTY 12 >= max lots per underlying 12"
    );
}

#[test]
fn funds_reported_by_the_broker_size_the_entry() {
    let mut rm = RiskManager::new(roomy(None, None));
    // 30,000 of funds buy floor(30,000 / 7,500) = 4 lots.
    let ok = rm
        .check(proposal(Some(dec!(30000))), &RiskBook::new(), ten_am())
        .unwrap();
    assert_eq!(ok.lots(), 4);
    let refused = rm
        .check(proposal(Some(dec!(7499))), &RiskBook::new(), ten_am())
        .unwrap_err();
    assert_eq!(
        refused.reason.to_string(),
        "premium for one lot 7500.00 > available funds 7499.00"
    );
}

#[test]
fn a_zero_lot_cap_is_a_config_error() {
    let c = roomy(Some(0), Some(0));
    let problems = c.validate();
    for key in ["max_lots_per_order", "max_lots_per_underlying"] {
        assert!(
            problems.iter().any(|(k, _)| k == key),
            "{key}: {problems:?}"
        );
    }
}

proptest! {
    /// Any approval respects both lot caps.
    #[test]
    fn approvals_never_exceed_the_lot_caps(
        per_order in 1u32..30,
        per_underlying in 1u32..40,
        held in 0u64..45,
    ) {
        let mut book = RiskBook::new();
        book.add_position(sym("NIFTY"), dec!(1));
        book.add_lots(&sym("NIFTY"), held);
        let mut rm = RiskManager::new(roomy(Some(per_order), Some(per_underlying)));
        match rm.check(proposal(None), &book, ten_am()) {
            Ok(ok) => {
                prop_assert!(ok.lots() <= per_order);
                prop_assert!(u64::from(ok.lots()) + held <= u64::from(per_underlying));
                prop_assert_eq!(ok.quantity(), ok.lots() * 75);
            }
            Err(refused) => {
                prop_assert!(held >= u64::from(per_underlying), "{}", refused.reason);
            }
        }
    }
}
