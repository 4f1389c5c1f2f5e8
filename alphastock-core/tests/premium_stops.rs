//! `stop_loss_pct` and `profit_target_pct` bound the option's stop and target: with a 20 % stop
//! every option position's initial stop is at least its entry × 0.80 rounded up to the tick,
//! and changing the percent changes the trades.

mod common;

use alphastock_core::backtest::BacktestReport;
use alphastock_core::config::Config;
use alphastock_core::market::Candle;
use alphastock_core::options::round_up_to_tick;
use common::{replay_backtest, synthetic_candles};
use rust_decimal::Decimal;

/// A fast EMA crossover on the simulated surface, loose risk limits so that many trades
/// happen; `reprice` gives far stops on cheap options, which the percent must bound.
fn config(stop_pct: u32, target_pct: u32) -> Config {
    Config::from_yaml_str(&format!(
        r#"
strategies:
  ema_crossover:
    enabled: true
    symbols: [BANKNIFTY, NIFTY]
    parameters: {{ fast_ema: 3, slow_ema: 8, min_confidence: 0 }}
options_trading:
  target_calculation_method: reprice
  entry: {{ min_confidence: 0 }}
  risk_management:
    capital: 5000000
    max_premium_per_trade: 500000
    max_exposure_per_underlying: 5000000
    max_total_exposure: 5000000
    daily_loss_limit: 5000000
    max_correlated_positions: 2
    stop_loss_pct: {stop_pct}
    profit_target_pct: {target_pct}
market:
  instruments:
    BANKNIFTY: {{ lot_size: 35, strike_step: 100, tick_size: 0.05 }}
    NIFTY: {{ lot_size: 75, strike_step: 50, tick_size: 0.05 }}
"#
    ))
    .expect("valid config")
}

/// How many option positions were checked, and how many had their stop set by the percent.
#[derive(Debug, Clone, Copy)]
struct Checked {
    positions: usize,
    at_the_bound: usize,
}

/// Runs the backtest and, after every event, checks each open option position's initial stop
/// against its entry (the average fill price): `stop ≥ ceil_tick(entry × (1 − pct/100))`.
fn run_checking(candles: Vec<Candle>, stop_pct: u32, target_pct: u32) -> (BacktestReport, Checked) {
    let config = config(stop_pct, target_pct);
    let (mut bt, feed) = replay_backtest(&config, candles);
    let keep = Decimal::from(100 - stop_pct) / Decimal::ONE_HUNDRED;
    let mut seen = std::collections::BTreeSet::new();
    let mut bound = std::collections::BTreeSet::new();
    for event in feed {
        bt.on_event(event);
        for p in bt.engine().portfolio().open_positions() {
            let meta = p.meta();
            let stop = meta.stop.expect("an option position has a stop");
            let entry = p.average_price();
            let floor = round_up_to_tick(entry * keep, meta.tick_size).expect("tick");
            assert!(
                stop >= floor,
                "{}: entry {entry}, stop {stop} < {floor} ({stop_pct} % stop)",
                meta.trading_symbol
            );
            if stop == floor {
                bound.insert((meta.trading_symbol.clone(), p.opened_at()));
            }
            seen.insert((meta.trading_symbol.clone(), p.opened_at()));
        }
    }
    (
        bt.finish(),
        Checked {
            positions: seen.len(),
            at_the_bound: bound.len(),
        },
    )
}

#[test]
fn with_a_20_pct_stop_every_initial_stop_is_within_20_pct_of_the_entry() {
    let (_, checked) = run_checking(synthetic_candles(), 20, 30);
    assert!(checked.positions >= 2, "{checked:?}");
    // The bound is not idle: some positions' method stop was further away and was replaced.
    assert!(checked.at_the_bound >= 1, "{checked:?}");
}

#[test]
fn changing_stop_loss_pct_changes_the_trades() {
    let (wide, _) = run_checking(synthetic_candles(), 100, 30);
    let (tight, checked) = run_checking(synthetic_candles(), 5, 30);
    assert!(checked.positions >= 2, "{checked:?}");
    assert!(checked.at_the_bound >= 1, "{checked:?}");
    assert_ne!(wide.trades, tight.trades);
    // A 5 % stop closes some trade at its stop.
    assert!(
        tight
            .trades
            .iter()
            .any(|t| t.exit_reason.starts_with("stop")),
        "{:#?}",
        tight.trades
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8))]

    /// On any price path, with any stop percent, no option position opens with its initial stop
    /// further below its entry than the percent allows (NIFTY random walks, ±0.3 % a bar).
    #[test]
    fn no_position_opens_with_a_stop_beyond_the_percent(
        steps in proptest::collection::vec(-1.0f64..1.0, 150..300),
        stop_pct in 1u32..60,
    ) {
        let _ = run_checking(common::walk(&steps, 0.003), stop_pct, 30);
    }
}
