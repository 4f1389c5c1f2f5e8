//! The backtester on a crafted series with known trades: the exact trade list and P&L, fills
//! with slippage, charges from the schedule, and the same report on a second run. Plus a run
//! over the committed synthetic candles with simulated option chains, twice, identical.

mod common;

use alphastock_core::backtest::{BacktestConfig, Backtester};
use alphastock_core::config::Config;
use alphastock_core::engine::{Engine, Event};
use alphastock_core::market::{parse_candles, IstTime, OptionType};
use alphastock_core::sim::replay::{OptionSource, ReplayFeed};
use alphastock_core::strategy::{MarketInput, Side, Signal, Strategy};
use common::{
    at, banknifty, chain_with_ce, replay_backtest, worked_config, worked_signal, WORKED_RISK,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// The worked example's risk settings; charges are a flat 20 rupees per order and nothing else,
/// so a round trip costs exactly 40.
fn config() -> String {
    format!(
        "{}  charges:
    brokerage_per_order: 20
    stt_sell_pct: 0
    exchange_txn_pct: 0
    sebi_fee_per_crore: 0
    stamp_duty_buy_pct: 0
    gst_pct: 0
    ipft_per_crore: 0
",
        worked_config(WORKED_RISK)
    )
}

/// Emits the worked example's bullish signal on the candles stamped at the given times.
struct Scripted {
    fire_at: Vec<IstTime>,
}

impl Strategy for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn warmup_bars(&self) -> usize {
        0
    }
    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        if !self.fire_at.contains(&input.candle.timestamp) {
            return None;
        }
        Some(worked_signal(
            input.candle,
            "scripted",
            dec!(51187.3077),
            "scripted",
        ))
    }
}

/// The worked example's chain with the ATM 51200 CE at `ce_51200`.
fn chain(t: &str, ce_51200: Decimal) -> Event {
    Event::OptionChain(chain_with_ce(at(t), ce_51200))
}

fn candle(t: &str) -> Event {
    Event::Candle(common::candle(at(t)))
}

fn timer(t: &str) -> Event {
    Event::Timer(at(t))
}

/// Trade 1: signal on the 10:10 bar (decided at its end, 10:15), entry fills on the 10:20 chain
/// (the first at or after 10:15), the 10:25 chain (CE at 500) is above the 493.20 target and
/// the exit fills on that same chain (the first quote at or after the trigger).
/// Trade 2: signal on the 10:50 bar, entry fills at 11:00, the 11:05 chain (CE at 240) is below
/// the 250.00 stop and the exit fills on it.
fn events() -> Vec<Event> {
    vec![
        chain("2026-01-05T10:14:58+05:30", dec!(280)),
        candle("2026-01-05T10:10:00+05:30"),
        timer("2026-01-05T10:15:00+05:30"),
        chain("2026-01-05T10:20:00+05:30", dec!(280)),
        timer("2026-01-05T10:20:00+05:30"),
        chain("2026-01-05T10:25:00+05:30", dec!(500)),
        timer("2026-01-05T10:25:00+05:30"),
        chain("2026-01-05T10:30:00+05:30", dec!(500)),
        timer("2026-01-05T10:30:00+05:30"),
        chain("2026-01-05T10:54:58+05:30", dec!(280)),
        candle("2026-01-05T10:50:00+05:30"),
        timer("2026-01-05T10:55:00+05:30"),
        chain("2026-01-05T11:00:00+05:30", dec!(280)),
        timer("2026-01-05T11:00:00+05:30"),
        chain("2026-01-05T11:05:00+05:30", dec!(240)),
        timer("2026-01-05T11:05:00+05:30"),
        chain("2026-01-05T11:10:00+05:30", dec!(240)),
        timer("2026-01-05T11:10:00+05:30"),
        timer("2026-01-05T11:15:00+05:30"),
    ]
}

fn backtester(slippage_ticks: u32) -> Backtester {
    let config = Config::from_yaml_str(&config()).expect("valid config");
    let mut engine = Engine::new(&config).expect("engine");
    engine.add_strategy(
        banknifty(),
        Box::new(Scripted {
            fire_at: vec![
                at("2026-01-05T10:10:00+05:30"),
                at("2026-01-05T10:50:00+05:30"),
            ],
        }),
    );
    Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks,
            entry_tolerance_pct: dec!(5),
            option_source: OptionSource::Recorded,
        },
    )
}

#[test]
fn crafted_series_gives_exactly_the_expected_trades_and_pnl() {
    let report = backtester(1).run(events());
    assert_eq!(report.trades.len(), 2, "{:#?}", report.trades);
    let [win, loss] = [&report.trades[0], &report.trades[1]];

    // Entry at the ask 280.00 + 1 tick = 280.05; exit at the bid 499.95 − 1 tick = 499.90.
    assert_eq!(win.trading_symbol, "BANKNIFTY26JAN51200CE");
    assert_eq!(win.strategy, "scripted");
    assert_eq!(win.side, Side::Buy);
    assert_eq!(win.quantity, 75);
    assert_eq!(win.signal_time, at("2026-01-05T10:15:00+05:30"));
    assert_eq!(win.entry_time, at("2026-01-05T10:20:00+05:30"));
    assert_eq!(win.exit_decided_at, at("2026-01-05T10:25:00+05:30"));
    assert_eq!(win.exit_time, at("2026-01-05T10:25:00+05:30"));
    assert_eq!(win.initial_target, dec!(493.20));
    assert_eq!(win.initial_stop, dec!(250.00));
    assert_eq!(win.strike, Some(dec!(51200)));
    assert_eq!(win.option_type, Some(OptionType::CE));
    assert_eq!(win.entry_price, dec!(280.05));
    assert_eq!(win.exit_price, dec!(499.90));
    // (499.90 − 280.05) × 75 = 16,488.75; charges 2 × 20.
    assert_eq!(win.gross_pnl, dec!(16488.75));
    assert_eq!(win.charges, dec!(40));
    assert_eq!(win.net_pnl, dec!(16448.75));
    assert!(win.exit_reason.contains("target"), "{}", win.exit_reason);

    // Exit at the bid 239.95 − 1 tick = 239.90: (239.90 − 280.05) × 75 = −3,011.25.
    assert_eq!(loss.entry_time, at("2026-01-05T11:00:00+05:30"));
    assert_eq!(loss.exit_time, at("2026-01-05T11:05:00+05:30"));
    assert_eq!(loss.entry_price, dec!(280.05));
    assert_eq!(loss.exit_price, dec!(239.90));
    assert_eq!(loss.gross_pnl, dec!(-3011.25));
    assert_eq!(loss.net_pnl, dec!(-3051.25));
    assert!(loss.exit_reason.contains("stop"), "{}", loss.exit_reason);

    let m = &report.metrics;
    assert_eq!(m.trades, 2);
    assert_eq!(m.net_pnl, dec!(13397.50));
    assert_eq!(m.gross_pnl, dec!(13477.50));
    assert_eq!(m.charges, dec!(80));
    assert_eq!(m.win_rate, Some(0.5));
    assert_eq!(m.profit_factor, Some(16448.75 / 3051.25));
    assert_eq!(m.expectancy, Some(dec!(6698.75)));
    assert_eq!(report.open_at_end, 0);
    assert_eq!(report.option_source, OptionSource::Recorded);

    // Equity: 50,000 → 49,976.25 while the first trade is marked at 280 (its net then is
    // (280 − 280.05) × 75 − 20 entry brokerage) → 66,448.75 after its exit at 10:25 →
    // 66,425.00 while the second is marked at 280 → 63,397.50 after the loss. The deepest
    // fall is from the 66,448.75 peak to the end: 3,051.25.
    assert_eq!(
        report.equity_curve.last().map(|p| p.equity),
        Some(dec!(63397.50))
    );
    assert_eq!(m.max_drawdown, dec!(3051.25));
    assert!((m.max_drawdown_pct - 305125.0 / 66448.75).abs() < 1e-9);
    // Nine timer steps (10:15, 10:20, 10:25, 10:30, 10:55, 11:00, 11:05, 11:10, 11:15);
    // a position is open at the end of 10:20 and 11:00 only: 2 of 9.
    assert!((m.exposure - 2.0 / 9.0).abs() < 1e-12, "{}", m.exposure);
    assert_eq!(report.signals, 2);
    assert_eq!(report.missed_entries, 0);
    assert_eq!(report.missed_exits, 0);
    assert_eq!(m.by_strategy["scripted"].trades, 2);
    assert_eq!(m.by_symbol["BANKNIFTY"].net_pnl, dec!(13397.50));
}

#[test]
fn without_slippage_fills_are_at_the_touch() {
    let report = backtester(0).run(events());
    assert_eq!(report.trades[0].entry_price, dec!(280));
    assert_eq!(report.trades[0].exit_price, dec!(499.95));
}

#[test]
fn the_same_backtest_twice_gives_identical_results() {
    let a = backtester(1).run(events());
    let b = backtester(1).run(events());
    assert_eq!(a, b);
}

const EMA_CONFIG: &str = r#"
strategies:
  ema_crossover:
    enabled: true
    symbols: [BANKNIFTY, NIFTY]
    parameters: { fast_ema: 3, slow_ema: 8, min_confidence: 0 }
options_trading:
  enabled: true
  entry: { min_confidence: 0 }
  risk_management:
    capital: 500000
    max_premium_per_trade: 50000
market:
  instruments:
    BANKNIFTY: { lot_size: 35, strike_step: 100, tick_size: 0.05 }
    NIFTY: { lot_size: 75, strike_step: 50, tick_size: 0.05 }
"#;

fn synthetic_run() -> alphastock_core::backtest::BacktestReport {
    let config = Config::from_yaml_str(EMA_CONFIG).expect("config");
    let (bt, feed) = replay_backtest(&config, common::synthetic_candles());
    bt.run(feed)
}

#[test]
fn synthetic_candles_with_simulated_chains_replay_identically() {
    let a = synthetic_run();
    let b = synthetic_run();
    assert_eq!(a.option_source, OptionSource::Simulated);
    assert_eq!(a, b);
    assert!(!a.trades.is_empty());
    // Every closed trade's net is its gross less positive charges, and the metrics add up.
    for t in &a.trades {
        assert!(t.charges > Decimal::ZERO, "{t:?}");
        assert_eq!(t.gross_pnl - t.charges, t.net_pnl);
    }
    let sum: Decimal = a.trades.iter().map(|t| t.net_pnl).sum();
    assert_eq!(a.metrics.net_pnl, sum);
    eprintln!(
        "{} trades, net {}, open at end {}",
        a.trades.len(),
        a.metrics.net_pnl,
        a.open_at_end
    );
}

/// The EMA crossover backtested over five-minute NIFTY candles from a random walk driven by
/// `steps` (each −1..1, ±0.2 %), 75 a day from 09:15 IST on weekdays from Monday 2026-01-05.
fn walk_run(steps: &[f64]) -> alphastock_core::backtest::BacktestReport {
    let config = Config::from_yaml_str(EMA_CONFIG).expect("config");
    let (bt, feed) = replay_backtest(&config, common::walk(steps, 0.002));
    bt.run(feed)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// For any price path: the report is the same twice; every trade's net is its gross less
    /// positive charges; the totals are the sums of the trades; with nothing left open the final
    /// equity is capital + net P&L; drawdown and exposure stay in range.
    #[test]
    fn backtest_laws_hold_for_any_price_path(steps in proptest::collection::vec(-1.0f64..1.0, 150..400)) {
        let a = walk_run(&steps);
        let b = walk_run(&steps);
        proptest::prop_assert_eq!(&a, &b);
        for t in &a.trades {
            proptest::prop_assert!(t.charges > Decimal::ZERO);
            proptest::prop_assert_eq!(t.gross_pnl - t.charges, t.net_pnl);
            proptest::prop_assert!(t.exit_time >= t.entry_time);
            // No fill before its decision: entries after the signal's decision, exits after
            // their trigger.
            proptest::prop_assert!(t.entry_time >= t.signal_time, "{:?}", t);
            proptest::prop_assert!(t.exit_time >= t.exit_decided_at, "{:?}", t);
            // MIS (the default product) never crosses a session close.
            let day = t.entry_time.date_naive();
            proptest::prop_assert_eq!(t.exit_time.date_naive(), day, "{:?}", t);
            let close = at(&format!("{day}T15:30:00+05:30"));
            proptest::prop_assert!(t.exit_time <= close, "{:?}", t);
            // No option outlives its expiry.
            if let Some(expiry) = t.expiry {
                proptest::prop_assert!(t.exit_time.date_naive() <= expiry, "{:?}", t);
            }
        }
        // Everything is MIS: nothing may be left open at the end of the data.
        proptest::prop_assert_eq!(a.open_at_end, 0);
        let net: Decimal = a.trades.iter().map(|t| t.net_pnl).sum();
        proptest::prop_assert_eq!(a.metrics.net_pnl, net);
        if a.open_at_end == 0 {
            let end = a.equity_curve.last().map_or(a.starting_capital, |p| p.equity);
            proptest::prop_assert_eq!(end, a.starting_capital + net);
        }
        proptest::prop_assert!(a.metrics.max_drawdown >= Decimal::ZERO);
        proptest::prop_assert!((0.0..=1.0).contains(&a.metrics.exposure));
    }
}

/// Handing trades on as they close and thinning the equity curve change nothing the report
/// computes: the same trades in the same order, the same metrics (drawdown included, taken
/// from every point) and daily equity; the thinned curve is part of the full one and ends on
/// its last point.
#[test]
fn drained_trades_and_a_thinned_curve_give_the_same_results() {
    let full = synthetic_run();
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/candles/synthetic_5min.csv"
    ))
    .expect("fixture");
    let candles = parse_candles(&text).expect("candles");
    let config = Config::from_yaml_str(EMA_CONFIG).expect("config");
    let feed = ReplayFeed::from_ordered(
        Box::new(candles.into_iter()),
        None,
        &config.simulation,
        &config.market,
        config.market_data_runner.candle_minutes,
    );
    let mut bt = Backtester::new(
        Engine::new(&config).expect("engine"),
        BacktestConfig {
            slippage_ticks: 1,
            entry_tolerance_pct: dec!(5),
            option_source: feed.option_source(),
        },
    )
    .with_curve_limit(3);
    let mut trades = Vec::new();
    for e in feed {
        bt.on_event(e);
        trades.extend(bt.drain_trades());
    }
    let mut thin = bt.finish();
    trades.append(&mut thin.trades);
    assert!(full.trades.len() >= 3, "the fixture trades");
    assert!(full.equity_curve.len() > 6, "a curve long enough to thin");
    assert_eq!(trades, full.trades);
    assert_eq!(thin.metrics, full.metrics);
    assert_eq!(thin.daily_equity, full.daily_equity);
    assert!(thin.equity_curve.len() < 6);
    assert_eq!(thin.equity_curve.last(), full.equity_curve.last());
    assert!(thin
        .equity_curve
        .iter()
        .all(|p| full.equity_curve.contains(p)));
}
