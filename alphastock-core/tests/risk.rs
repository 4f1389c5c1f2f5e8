//! Risk manager: the worked sizing example, each limit, and the law that an approval never
//! breaches a limit.

use alphastock_core::market::{IstTime, Symbol};
use alphastock_core::risk::{RiskBook, RiskConfig, RiskManager, RiskRejection, TradeProposal};
use alphastock_core::strategy::Side;
use chrono::{DateTime, Duration};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn ten_am() -> IstTime {
    at("2026-04-06T10:00:00+05:30")
}

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

/// The worked example's limits: capital 50,000 and 5 % risk per trade; the premium cap raised to
/// 21,000 because one lot (280 × 75) costs 21,000, above the default 10,000.
fn example_config() -> RiskConfig {
    RiskConfig {
        capital: dec!(50000),
        risk_per_trade_pct: dec!(5),
        max_premium_per_trade: dec!(21000),
        max_exposure_per_underlying: dec!(50000),
        max_total_exposure: dec!(100000),
        ..RiskConfig::default()
    }
}

fn proposal(underlying: &str, entry: Decimal, stop: Decimal) -> TradeProposal {
    TradeProposal {
        underlying: sym(underlying),
        side: Side::Buy,
        trading_symbol: format!("{underlying}26APR51200CE"),
        entry_premium: entry,
        stop_premium: stop,
        lot_size: 75,
        available_funds: None,
    }
}

#[test]
fn worked_example_stop_250_is_one_lot_with_max_loss_2250() {
    let mut rm = RiskManager::new(example_config());
    let ok = rm
        .check(
            proposal("BANKNIFTY", dec!(280), dec!(250)),
            &RiskBook::new(),
            ten_am(),
        )
        .expect("approved");
    assert_eq!(ok.lots(), 1);
    assert_eq!(ok.quantity(), 75);
    assert_eq!(ok.max_loss(), dec!(2250));
    assert_eq!(ok.premium_outlay(), dec!(21000));
}

#[test]
fn worked_example_stop_240_is_refused_for_the_risk_budget() {
    let mut rm = RiskManager::new(example_config());
    let refused = rm
        .check(
            proposal("BANKNIFTY", dec!(280), dec!(240)),
            &RiskBook::new(),
            ten_am(),
        )
        .expect_err("refused");
    assert_eq!(
        refused.reason,
        RiskRejection::RiskBudget {
            max_loss: dec!(3000),
            budget: dec!(2500)
        }
    );
    assert_eq!(
        refused.reason.to_string(),
        "max loss 3000.00 > risk budget 2500.00"
    );
}

#[test]
fn default_premium_cap_refuses_a_21000_lot() {
    let mut rm = RiskManager::new(RiskConfig::default());
    let refused = rm
        .check(
            proposal("BANKNIFTY", dec!(280), dec!(250)),
            &RiskBook::new(),
            ten_am(),
        )
        .unwrap_err();
    assert_eq!(
        refused.reason.to_string(),
        "premium for one lot 21000.00 > max premium per trade 10000.00"
    );
}

#[test]
fn size_is_the_smallest_of_premium_risk_and_funds() {
    let cfg = RiskConfig {
        max_premium_per_trade: dec!(10000),
        capital: dec!(100000),
        risk_per_trade_pct: dec!(2),
        ..RiskConfig::default()
    };
    // 40 × 25 = 1,000 a lot; premium cap 10 lots; risk (40−30) × 25 = 250 a lot, budget 2,000
    // → 8 lots; funds 7,500 → 7 lots.
    let mut p = proposal("NSE:SBIN", dec!(40), dec!(30));
    p.lot_size = 25;
    p.available_funds = Some(dec!(7500));
    let mut rm = RiskManager::new(cfg);
    let ok = rm.check(p.clone(), &RiskBook::new(), ten_am()).unwrap();
    assert_eq!((ok.lots(), ok.quantity()), (7, 175));
    p.available_funds = None;
    let ok = rm.check(p.clone(), &RiskBook::new(), ten_am()).unwrap();
    assert_eq!((ok.lots(), ok.max_loss()), (8, dec!(2000)));
    p.available_funds = Some(dec!(999));
    let err = rm.check(p, &RiskBook::new(), ten_am()).unwrap_err();
    assert_eq!(
        err.reason.to_string(),
        "premium for one lot 1000.00 > available funds 999.00"
    );
}

#[test]
fn max_positions_and_correlation_refuse_new_entries() {
    let cfg = RiskConfig {
        max_positions: 2,
        ..example_config()
    };
    let mut rm = RiskManager::new(cfg);
    let mut book = RiskBook::new();
    book.add_position(sym("NIFTY"), dec!(10000));
    // BANKNIFTY is in NIFTY's group: one correlated position already open.
    let err = rm
        .check(proposal("BANKNIFTY", dec!(280), dec!(250)), &book, ten_am())
        .unwrap_err();
    assert!(matches!(
        err.reason,
        RiskRejection::Correlated {
            open: 1,
            max: 1,
            ..
        }
    ));
    // A stock is in no group.
    assert!(rm
        .check(proposal("NSE:SBIN", dec!(280), dec!(250)), &book, ten_am())
        .is_ok());
    book.add_position(sym("NSE:RELIANCE"), dec!(5000));
    let err = rm
        .check(proposal("NSE:SBIN", dec!(280), dec!(250)), &book, ten_am())
        .unwrap_err();
    assert_eq!(
        err.reason.to_string(),
        "open positions 2 >= max positions 2"
    );
}

#[test]
fn exposure_limits_cap_and_refuse() {
    let cfg = RiskConfig {
        max_exposure_per_underlying: dec!(30000),
        max_total_exposure: dec!(40000),
        max_correlated_positions: 5,
        ..example_config()
    };
    let mut rm = RiskManager::new(cfg);
    let mut book = RiskBook::new();
    book.add_position(sym("BANKNIFTY"), dec!(10000));
    let err = rm
        .check(proposal("BANKNIFTY", dec!(280), dec!(250)), &book, ten_am())
        .unwrap_err();
    assert_eq!(
        err.reason.to_string(),
        "exposure in BANKNIFTY would be 31000.00 > max exposure per underlying 30000.00"
    );
    book.add_position(sym("NIFTY"), dec!(15000));
    let err = rm
        .check(proposal("FINNIFTY", dec!(280), dec!(250)), &book, ten_am())
        .unwrap_err();
    assert_eq!(
        err.reason.to_string(),
        "total exposure would be 46000.00 > max total exposure 40000.00"
    );
}

#[test]
fn daily_loss_trips_the_kill_switch_until_the_next_day() {
    let cfg = RiskConfig {
        flatten_on_kill_switch: true,
        ..example_config()
    };
    let mut rm = RiskManager::new(cfg);
    let book = RiskBook {
        day_realised_pnl: dec!(-3000),
        day_unrealised_pnl: dec!(-2000),
        ..RiskBook::default()
    };
    let trip = rm.update(&book, ten_am()).expect("tripped");
    assert!(trip.reason.contains("-5000.00"), "{}", trip.reason);
    assert!(rm.should_flatten(ten_am()));
    let err = rm
        .check(
            proposal("BANKNIFTY", dec!(280), dec!(250)),
            &RiskBook::new(),
            ten_am() + Duration::hours(1),
        )
        .unwrap_err();
    assert!(matches!(err.reason, RiskRejection::KillSwitch(_)));
    // The next trading day starts clean.
    let next_day = at("2026-04-07T09:30:00+05:30");
    assert!(!rm.is_kill_switch_on(next_day));
    assert!(rm
        .check(
            proposal("BANKNIFTY", dec!(280), dec!(250)),
            &RiskBook::new(),
            next_day
        )
        .is_ok());
    // A loss just short of the limit does not trip it.
    let book = RiskBook {
        day_realised_pnl: dec!(-4999.99),
        ..RiskBook::default()
    };
    assert!(rm.update(&book, next_day).is_none());
}

#[test]
fn order_rate_cap_refuses_the_order_that_would_exceed_it() {
    let mut rm = RiskManager::new(example_config());
    for i in 0..5 {
        rm.record_order(ten_am() + Duration::milliseconds(i * 10));
    }
    let err = rm
        .check(
            proposal("BANKNIFTY", dec!(280), dec!(250)),
            &RiskBook::new(),
            ten_am() + Duration::milliseconds(500),
        )
        .unwrap_err();
    assert_eq!(
        err.reason.to_string(),
        "orders in the last second 5 >= max orders per second 5"
    );
}

fn config_strategy() -> impl Strategy<Value = RiskConfig> {
    (
        1u32..100_000,
        0i64..8,
        1u32..400_000,
        1u32..20,
        1u32..120_000,
        1u32..240_000,
        1_000u32..20_000,
        1u32..10,
        1u32..3,
        1u32..5,
    )
        .prop_map(
            |(prem, maxpos, capital, pct, exp_u, exp_t, dll, per_s, per_m_mult, corr)| RiskConfig {
                max_premium_per_trade: Decimal::from(prem),
                max_positions: maxpos,
                capital: Decimal::from(capital),
                risk_per_trade_pct: Decimal::from(pct),
                max_exposure_per_underlying: Decimal::from(exp_u),
                max_total_exposure: Decimal::from(exp_t),
                daily_loss_limit: Decimal::from(dll),
                max_orders_per_second: per_s,
                max_orders_per_minute: per_s * per_m_mult * 3,
                max_correlated_positions: corr,
                ..RiskConfig::default()
            },
        )
}

const UNDERLYINGS: [&str; 5] = ["BANKNIFTY", "NIFTY", "FINNIFTY", "NSE:SBIN", "NSE:RELIANCE"];

fn book_strategy() -> impl Strategy<Value = RiskBook> {
    (
        prop::collection::vec((0usize..5, 1u32..30_000), 0..4),
        -4_000i64..3_000,
        -4_000i64..3_000,
    )
        .prop_map(|(positions, realised, unrealised)| {
            let mut book = RiskBook::new();
            for (u, exposure) in positions {
                book.add_position(sym(UNDERLYINGS[u]), Decimal::from(exposure));
            }
            book.day_realised_pnl = Decimal::from(realised);
            book.day_unrealised_pnl = Decimal::from(unrealised);
            book
        })
}

fn proposal_strategy() -> impl Strategy<Value = TradeProposal> {
    (
        0usize..5,
        1u32..30_000,
        0u32..=110,
        0u32..100,
        prop::option::of(0u32..100_000),
    )
        .prop_map(|(u, entry_paise, stop_pct, lot, funds)| {
            // Stops from 0 to 110 % of entry: the last tenth are invalid (not below entry).
            let entry = Decimal::new(i64::from(entry_paise), 2);
            TradeProposal {
                underlying: sym(UNDERLYINGS[u]),
                side: Side::Buy,
                trading_symbol: "X".to_string(),
                entry_premium: entry,
                stop_premium: (entry * Decimal::from(stop_pct) / Decimal::ONE_HUNDRED).round_dp(2),
                lot_size: lot,
                available_funds: funds.map(Decimal::from),
            }
        })
}

proptest! {
    #[test]
    fn an_approval_never_breaches_a_limit(
        cfg in config_strategy(),
        book in book_strategy(),
        p in proposal_strategy(),
        sent_ms in prop::collection::vec(0i64..120_000, 0..12),
    ) {
        let mut rm = RiskManager::new(cfg.clone());
        let now = ten_am() + Duration::seconds(120);
        let mut sent_ms = sent_ms;
        sent_ms.sort();
        for ms in &sent_ms {
            rm.record_order(ten_am() + Duration::milliseconds(*ms));
        }
        if let Ok(ok) = rm.check(p.clone(), &book, now) {
            let lot = Decimal::from(p.lot_size);
            prop_assert!(ok.lots() >= 1);
            prop_assert!(ok.quantity() > 0);
            prop_assert_eq!(ok.quantity() % p.lot_size, 0);
            prop_assert_eq!(ok.quantity(), ok.lots() * p.lot_size);
            let outlay = p.entry_premium * Decimal::from(ok.quantity());
            prop_assert_eq!(ok.premium_outlay(), outlay);
            prop_assert!(outlay <= cfg.max_premium_per_trade);
            if let Some(f) = p.available_funds { prop_assert!(outlay <= f); }
            let loss = (p.entry_premium - p.stop_premium) * Decimal::from(ok.quantity());
            prop_assert_eq!(ok.max_loss(), loss);
            prop_assert!(p.stop_premium < p.entry_premium && lot > Decimal::ZERO);
            prop_assert!(loss <= cfg.risk_budget());
            prop_assert!(book.exposure_in(&p.underlying) + outlay <= cfg.max_exposure_per_underlying);
            prop_assert!(book.total_exposure() + outlay <= cfg.max_total_exposure);
            prop_assert!((book.open_positions() as i64) < cfg.max_positions);
            prop_assert!(book.day_pnl() > -cfg.daily_loss_limit);
            for g in cfg.groups_of(&p.underlying) {
                let open: usize = g.iter().map(|s| book.positions_in(s)).sum();
                prop_assert!(open < cfg.max_correlated_positions as usize);
            }
            rm.record_order(now);
            let sec = sent_ms.iter().filter(|&&ms| ms > 119_000).count() + 1;
            let min = sent_ms.iter().filter(|&&ms| ms > 60_000).count() + 1;
            prop_assert!(sec <= cfg.max_orders_per_second as usize);
            prop_assert!(min <= cfg.max_orders_per_minute as usize);
        }
    }
}
