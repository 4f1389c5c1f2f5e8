//! Laws of an option entry intent for any premium, spread, underlying stop and percent bound:
//! the order carries exactly the approved quantity in whole lots; the stop sized against is
//! the stop placed; the stop is never further below the limit than `stop_loss_pct` allows
//! (rounded up to the tick); and with the bound the loss at the stop never exceeds the percent
//! of the premium paid.

use alphastock_core::market::{
    Exchange, Greeks, IstTime, MarketSession, OptionChain, OptionContract, OptionQuote, OptionType,
    Symbol,
};
use alphastock_core::options::pricing::{OptionsPricingEngine, TargetMethod};
use alphastock_core::options::{round_up_to_tick, PremiumBounds, StrikeSelector};
use alphastock_core::risk::{RiskBook, RiskConfig, RiskManager};
use alphastock_core::signal::{EntryConfig, ProcessContext, SignalProcessor, ValidationContext};
use alphastock_core::strategy::{Side, Signal};
use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn nifty() -> Symbol {
    Symbol::parse("NIFTY").unwrap()
}

/// A one-contract chain: the NIFTY 24000 CE at `premium` with `spread_ticks` between bid and
/// ask, delta 0.5.
fn chain(premium: Decimal, spread_ticks: u32, now: IstTime) -> OptionChain {
    let tick = dec!(0.05);
    let half = tick * Decimal::from(spread_ticks) / Decimal::TWO;
    let bid = round_up_to_tick((premium - half).max(tick), tick).unwrap();
    let ask = bid + tick * Decimal::from(spread_ticks.max(1));
    OptionChain {
        underlying: nifty(),
        spot: dec!(24000),
        expiry: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
        timestamp: now,
        quotes: vec![OptionQuote {
            contract: OptionContract {
                underlying: nifty(),
                expiry: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
                strike: dec!(24000),
                option_type: OptionType::CE,
                lot_size: 75,
                tick_size: tick,
                trading_symbol: "NIFTY26D0824000CE".to_string(),
                exchange: Exchange::Nfo,
            },
            premium,
            bid: Some(bid),
            ask: Some(ask),
            volume: Some(100_000),
            oi: Some(500_000),
            iv: Some(0.12),
            greeks: Some(Greeks {
                delta: 0.5,
                gamma: 0.0005,
                theta_per_day: -8.0,
                vega_per_point: 12.0,
                rho_per_pct: 2.0,
            }),
            timestamp: now,
        }],
    }
}

fn processor(stop_pct: Decimal) -> SignalProcessor {
    SignalProcessor {
        entry: EntryConfig::default(),
        selector: StrikeSelector::new(Default::default()),
        pricing: OptionsPricingEngine::default(),
        method: TargetMethod::DeltaBased,
        rate: 0.0,
        bounds: PremiumBounds::new(stop_pct, dec!(30)),
    }
}

fn risk() -> RiskManager {
    RiskManager::new(RiskConfig {
        capital: dec!(2000000),
        risk_per_trade_pct: dec!(2),
        max_premium_per_trade: dec!(500000),
        max_exposure_per_underlying: dec!(1000000),
        max_total_exposure: dec!(1000000),
        ..RiskConfig::default()
    })
}

proptest! {
    #[test]
    fn an_intent_orders_its_approved_quantity_with_the_stop_it_was_sized_on(
        premium_paise in 100i64..100_000,
        spread_ticks in 1u32..8,
        stop_points in 5i64..400,
        stop_pct in 1i64..100,
    ) {
        let now = at("2026-12-01T11:00:00+05:30");
        let premium = round_up_to_tick(Decimal::new(premium_paise, 2), dec!(0.05)).unwrap();
        let chain = chain(premium, spread_ticks, now);
        let signal = Signal {
            symbol: nifty(),
            strategy: "scripted".into(),
            side: Side::Buy,
            timestamp: at("2026-12-01T10:55:00+05:30"),
            price: dec!(24000),
            target: dec!(24400),
            stop: Decimal::from(24000 - stop_points),
            confidence: 80,
            expected_move_pct: 1.7,
            reason: "scripted".into(),
        };
        let holidays = [];
        let book = RiskBook::new();
        let ctx = ProcessContext {
            validation: ValidationContext {
                now,
                candle_minutes: 5,
                session: MarketSession::nse(),
                holidays: &holidays,
                trading_enabled: true,
                kill_switch: false,
                blocked_by: None,
                positioned_same_direction: false,
            },
            chain: Some(&chain),
            available_funds: None,
            book: &book,
        };
        let pct = Decimal::from(stop_pct);
        let mut rm = risk();
        let intent = match processor(pct).process(&signal, &ctx, &mut rm, || "AS1".to_string()) {
            Ok(i) => i,
            // Only a stop at or above the entry (a bound tighter than the spread) or a spread
            // too wide for the liquidity filter may refuse.
            Err(e) => {
                let text = e.to_string();
                prop_assert!(
                    text.starts_with("no reward") || text.contains("max_spread_pct"),
                    "{text}"
                );
                return Ok(());
            }
        };
        let request = intent.request();
        let approval = intent.approval();
        prop_assert_eq!(request.quantity, approval.quantity());
        prop_assert_eq!(request.quantity % 75, 0);
        prop_assert!(approval.lots() >= 1);
        prop_assert_eq!(approval.proposal().stop_premium, intent.stop());
        let limit = request.price.unwrap();
        prop_assert_eq!(approval.proposal().entry_premium, limit);
        let floor = round_up_to_tick(
            limit * (Decimal::ONE_HUNDRED - pct) / Decimal::ONE_HUNDRED,
            dec!(0.05),
        )
        .unwrap();
        prop_assert!(intent.stop() >= floor, "stop {} < {floor}", intent.stop());
        prop_assert!(intent.stop() >= intent.method_stop());
        // Loss at the stop for the approved size ≤ pct % of the premium paid at the limit.
        let loss = (limit - intent.stop()) * Decimal::from(request.quantity);
        let paid = limit * Decimal::from(request.quantity);
        prop_assert!(loss <= paid * pct / Decimal::ONE_HUNDRED);
        prop_assert_eq!(approval.max_loss(), loss);
    }
}

#[test]
fn the_percent_stop_replaces_a_stop_at_one_tick() {
    // A 25.55 premium with an underlying stop so far that delta puts the stop below zero: the
    // method's stop is one tick; the 20 % bound of the 25.65 limit (ask 25.55 + 2 ticks) is
    // 20.52 → 20.55, and the risk manager sizes against 20.55.
    let now = at("2026-12-01T11:00:00+05:30");
    let chain = chain(dec!(25.50), 1, now);
    let signal = Signal {
        symbol: nifty(),
        strategy: "scripted".into(),
        side: Side::Buy,
        timestamp: at("2026-12-01T10:55:00+05:30"),
        price: dec!(24000),
        target: dec!(24400),
        stop: dec!(23900),
        confidence: 80,
        expected_move_pct: 1.7,
        reason: "scripted".into(),
    };
    let holidays = [];
    let book = RiskBook::new();
    let ctx = ProcessContext {
        validation: ValidationContext {
            now,
            candle_minutes: 5,
            session: MarketSession::nse(),
            holidays: &holidays,
            trading_enabled: true,
            kill_switch: false,
            blocked_by: None,
            positioned_same_direction: false,
        },
        chain: Some(&chain),
        available_funds: None,
        book: &book,
    };
    let intent = processor(dec!(20))
        .process(&signal, &ctx, &mut risk(), || "AS1".to_string())
        .unwrap();
    // Premium 25.50: bid 25.50, ask 25.55; limit 25.55 + 0.10 = 25.65.
    assert_eq!(intent.request().price, Some(dec!(25.65)));
    // delta 0.5 × (23,900 − 24,000) = −50: the method's stop is one tick.
    assert_eq!(intent.method_stop(), dec!(0.05));
    assert_eq!(intent.stop(), dec!(20.55));
    assert_eq!(intent.approval().proposal().stop_premium, dec!(20.55));
    // Budget 40,000 / ((25.65 − 20.55) × 75 = 382.50) = 104 lots; premium cap 500,000 /
    // 1,923.75 = 259; exposure 1,000,000 / 1,923.75 = 519: 104 lots.
    assert_eq!(intent.approval().lots(), 104);
}
