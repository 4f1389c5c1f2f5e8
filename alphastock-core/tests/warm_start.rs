//! Warm start: strategies seeded with the bars before the session can fire on its first bar;
//! what they would have signalled on history is not traded.

use alphastock_core::config::Config;
use alphastock_core::engine::{Action, Engine, Event, Record};
use alphastock_core::market::{Candle, Symbol, IST};
use chrono::{Duration, TimeZone};
use rust_decimal::Decimal;

fn bar(i: i64, close: i64) -> Candle {
    let t = IST.with_ymd_and_hms(2026, 12, 1, 9, 15, 0).unwrap() + Duration::minutes(5 * i);
    Candle {
        symbol: Symbol::parse("BANKNIFTY").unwrap(),
        timestamp: t,
        open: Decimal::from(close),
        high: Decimal::from(close + 10),
        low: Decimal::from(close - 10),
        close: Decimal::from(close),
        volume: 1000,
    }
}

fn engine() -> Engine {
    let config = Config::from_yaml_str(
        "strategies:\n  ema_crossover:\n    enabled: true\n    symbols: [BANKNIFTY]\n    parameters: { fast_ema: 5, slow_ema: 20 }\n",
    )
    .unwrap();
    Engine::new(&config).unwrap()
}

fn signals(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Record(Record::Signal { .. })))
        .count()
}

#[test]
fn a_warmed_engine_signals_on_the_first_session_bar_and_a_cold_one_cannot() {
    // 30 bars of history falling 20 points a bar (fast EMA under slow), then a session bar
    // 1,500 points up: the 5-bar EMA jumps above the 20-bar one on that bar.
    let history: Vec<Candle> = (0..30).map(|i| bar(i, 52_000 - 20 * i)).collect();
    let first = bar(30, 52_900);

    let mut warm = engine();
    assert_eq!(warm.warm_up(&history), 30);
    let actions = warm.on_event(Event::Candle(first.clone()));
    assert_eq!(signals(&actions), 1, "{actions:#?}");

    // Without the history the strategy has one bar and no EMA: nothing can fire.
    let mut cold = engine();
    let actions = cold.on_event(Event::Candle(first));
    assert_eq!(signals(&actions), 0, "{actions:#?}");
}

#[test]
fn history_is_not_traded_and_unwatched_symbols_are_skipped() {
    // A crossing inside the history itself: warm-up discards it, no action comes out.
    let mut history: Vec<Candle> = (0..30).map(|i| bar(i, 52_000 - 20 * i)).collect();
    history.push(bar(30, 52_900));
    let mut other = bar(31, 800);
    other.symbol = Symbol::parse("NSE:SBIN").unwrap();
    history.push(other);
    let mut e = engine();
    assert_eq!(e.warm_up(&history), 31);
    assert!(e.working_orders().is_empty());
    assert!(e.portfolio().open_positions().next().is_none());
}
