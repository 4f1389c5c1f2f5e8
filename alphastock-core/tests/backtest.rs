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

use alphastock_core::market::{Candle, Symbol};
use chrono::NaiveDate;

/// One-minute candles of NIFTY and BANKNIFTY from a seeded random walk (about 0.06 % a step),
/// 375 a day from 09:15 IST on `days` consecutive weekdays from Monday 2026-02-02.
fn index_minutes(days: usize, seed: u64) -> Vec<Candle> {
    use chrono::{Datelike, Duration};
    let mut state = seed.max(1);
    let mut uniform = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    let d = |x: f64| Decimal::from_f64_retain(x).unwrap_or_default().round_dp(2);
    let mut prices = [("NIFTY", 25_000.0_f64), ("BANKNIFTY", 57_000.0)];
    let mut out = Vec::new();
    let mut day = NaiveDate::from_ymd_opt(2026, 2, 2).expect("date");
    let mut done = 0;
    while done < days {
        if day.weekday().number_from_monday() <= 5 {
            let open = at(&format!("{day}T09:15:00+05:30"));
            for m in 0..375 {
                for (name, price) in prices.iter_mut() {
                    let o = *price;
                    *price *= 1.0 + 0.001 * (uniform() + uniform() - 1.0);
                    out.push(Candle {
                        symbol: Symbol::parse(name).expect("symbol"),
                        timestamp: open + Duration::minutes(m),
                        open: d(o),
                        high: d(o.max(*price) * 1.0002),
                        low: d(o.min(*price) * 0.9998),
                        close: d(*price),
                        volume: 1000 + (uniform() * 4000.0) as u64,
                    });
                }
            }
            done += 1;
        }
        day = day.succ_opt().expect("date");
    }
    out
}

/// A strategy of the caller's own that reads the whole chain passed with each candle: it buys
/// when the chain's highest-OI call is above the spot (on every seventh minute, to trade often
/// without trading always). Without the chain it never signals.
struct ReadsTheChain;

impl Strategy for ReadsTheChain {
    fn name(&self) -> &str {
        "reads_the_chain"
    }
    fn warmup_bars(&self) -> usize {
        0
    }
    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        use chrono::Timelike;
        let chain = input.chain?;
        if !input.candle.timestamp.minute().is_multiple_of(7) {
            return None;
        }
        let top = chain
            .quotes
            .iter()
            .filter(|q| q.contract.option_type == OptionType::CE)
            .max_by_key(|q| q.oi)?;
        let c = input.candle.close;
        let side = if top.contract.strike > chain.spot {
            Side::Buy
        } else {
            Side::Sell
        };
        let (target, stop) = match side {
            Side::Buy => (c * dec!(1.003), c * dec!(0.998)),
            Side::Sell => (c * dec!(0.997), c * dec!(1.002)),
        };
        Some(Signal {
            symbol: input.candle.symbol.clone(),
            strategy: "reads_the_chain".to_string(),
            side,
            timestamp: input.candle.timestamp,
            price: c,
            target,
            stop,
            confidence: 80,
            expected_move_pct: match side {
                Side::Buy => 0.3,
                Side::Sell => -0.3,
            },
            reason: format!("top OI call {}", top.contract.strike),
        })
    }
}

/// Five strategies on both indices, default strike selection.
const FIVE_ON_INDICES: &str = r#"
market_data_runner: { candle_minutes: 1 }
strategies:
  ema_crossover: { enabled: true, symbols: [NIFTY, BANKNIFTY], parameters: { fast_ema: 5, slow_ema: 20, min_confidence: 0 } }
  rsi_divergence: { enabled: true, symbols: [NIFTY, BANKNIFTY] }
  bollinger_reversion: { enabled: true, symbols: [NIFTY, BANKNIFTY] }
  price_breakout: { enabled: true, symbols: [NIFTY] }
  volume_spike: { enabled: true, symbols: [BANKNIFTY] }
options_trading:
  enabled: true
  entry: { min_confidence: 0 }
  risk_management: { capital: 1000000, max_premium_per_trade: 100000 }
"#;

/// One strike out of the money among five watched, a liquidity filter that refuses some of
/// them (so neighbours are taken and whole signals refused), a narrow simulated chain (so the
/// watched window meets its edge), and the IV regime reading the chain.
const OTM_FILTERED_IV: &str = r#"
market_data_runner: { candle_minutes: 1 }
strategies:
  ema_crossover: { enabled: true, symbols: [NIFTY, BANKNIFTY], parameters: { fast_ema: 5, slow_ema: 20, min_confidence: 0 } }
  iv_regime: { enabled: true, symbols: [NIFTY] }
options_data_runner:
  strike_selection:
    strikes_per_side: 5
    choose: otm
    liquidity_filters: { min_oi: 150000, max_spread_pct: 2 }
simulation: { strikes_per_side: 4 }
options_trading:
  enabled: true
  entry: { min_confidence: 0 }
  risk_management: { capital: 1000000, max_premium_per_trade: 100000 }
"#;

/// The report, and with `record` the learned filter's features of every signal it saw (as
/// text: a feature may be NaN).
fn index_run(
    yaml: &str,
    candles: &[Candle],
    lazy: bool,
    custom: bool,
    record: bool,
) -> (alphastock_core::backtest::BacktestReport, String) {
    let config = Config::from_yaml_str(yaml).expect("config");
    let mut feed = ReplayFeed::new(
        candles.to_vec(),
        None,
        &config.simulation,
        &config.market,
        config.market_data_runner.candle_minutes,
    );
    if lazy {
        feed = feed.lazy_chains();
    }
    let mut engine = Engine::new(&config).expect("engine");
    if custom {
        engine.add_strategy(
            Symbol::parse("BANKNIFTY").expect("symbol"),
            Box::new(ReadsTheChain),
        );
    }
    if record {
        engine.set_signal_filter(alphastock_core::ml::SignalFilter::recorder());
    }
    let mut bt = Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: 1,
            entry_tolerance_pct: dec!(5),
            option_source: feed.option_source(),
        },
    );
    for e in feed {
        bt.on_event(e);
    }
    let seen = format!(
        "{:?}",
        bt.engine().signal_filter().map(|f| f.seen().to_vec())
    );
    (bt.finish(), seen)
}

/// Chains priced on demand give the same backtest as chains priced whole at every candle:
/// the same trades (contracts, times, prices, exits), the same rejections with the same
/// numbers, the same equity curve and metrics, for several strategies, an out-of-the-money
/// choice with a liquidity filter and a narrow chain, the IV regime, a strategy of the
/// caller's own reading the chain, and the learned filter's features of every signal.
#[test]
fn lazily_priced_chains_give_the_same_backtest_as_whole_chains() {
    let candles = index_minutes(6, 11);
    for (name, yaml, custom, record) in [
        ("five strategies", FIVE_ON_INDICES, false, false),
        ("otm, filtered, iv regime", OTM_FILTERED_IV, false, false),
        ("a strategy reading the chain", FIVE_ON_INDICES, true, false),
        (
            "the learned filter's features",
            OTM_FILTERED_IV,
            false,
            true,
        ),
    ] {
        let (whole, whole_seen) = index_run(yaml, &candles, false, custom, record);
        let (lazy, lazy_seen) = index_run(yaml, &candles, true, custom, record);
        assert_eq!(whole_seen, lazy_seen, "{name}");
        if record {
            assert!(
                whole_seen.matches("decided_at").count() > 100,
                "{name}: {whole_seen:.300}"
            );
        }
        assert!(
            whole.trades.len() >= 10,
            "{name}: {} trades",
            whole.trades.len()
        );
        assert_eq!(whole.trades, lazy.trades, "{name}");
        assert_eq!(whole, lazy, "{name}");
        if custom {
            assert!(
                whole
                    .trades
                    .iter()
                    .any(|t| t.strategy.contains("reads_the_chain")),
                "{name}"
            );
        }
        if name.starts_with("otm") {
            assert!(
                whole.rejections.keys().any(|r| r.contains("no liquid")),
                "{name}: {:?}",
                whole.rejections
            );
        }
    }
}
