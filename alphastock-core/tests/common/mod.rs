//! Setup shared by the engine and backtest tests: the design's worked example (a bullish
//! BANKNIFTY signal at spot 51,245 with the chain around the ATM 51200 strike: lot 75, tick
//! 0.05, expiry 2026-01-08) and the replayed-candle backtests (the synthetic fixture, random
//! walks) with 1 tick of slippage.

#![allow(dead_code)]

use alphastock_core::backtest::{BacktestConfig, Backtester};
use alphastock_core::config::Config;
use alphastock_core::engine::Engine;
use alphastock_core::market::{
    parse_candles, Candle, Exchange, Greeks, IstTime, OptionChain, OptionContract, OptionQuote,
    OptionType, Symbol,
};
use alphastock_core::sim::replay::ReplayFeed;
use alphastock_core::strategy::{MarketInput, Side, Signal, Strategy};
use chrono::{DateTime, Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// The worked example's risk settings: capital 50,000, 5 % risk per trade. One lot of the 280
/// CE costs 280 × 75 = 21,000, so the premium cap must allow it (the seed's 10,000 would refuse
/// it; see `RiskConfig`).
pub const WORKED_RISK: &str = "
    capital: 50000
    risk_per_trade_pct: 5
    max_premium_per_trade: 25000
    max_exposure_per_underlying: 50000
    max_total_exposure: 100000
";

/// The worked example's config with `risk` as its `risk_management` keys (one per line):
/// `ema_crossover` off (the tests add their own strategy on BANKNIFTY), delta-based targets,
/// entries from confidence 70 at the ask (no limit buffer). More `options_trading` keys can be
/// appended at two spaces' indent.
pub fn worked_config(risk: &str) -> String {
    let mut yaml = String::from(
        "strategies: { ema_crossover: { enabled: false, symbols: [BANKNIFTY] } }\n\
         options_trading:\n  enabled: true\n  target_calculation_method: delta_based\n  \
         entry: { min_confidence: 70, limit_buffer_ticks: 0 }\n  risk_management:\n",
    );
    for line in risk.lines().map(str::trim).filter(|l| !l.is_empty()) {
        yaml.push_str("    ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    yaml
}

/// An IST time from RFC 3339 text.
pub fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).expect("valid time")
}

/// The worked example's underlying.
pub fn banknifty() -> Symbol {
    Symbol::parse("BANKNIFTY").expect("symbol")
}

/// The worked example's bullish signal on `candle` from `strategy`: spot 51,245, target
/// 51,655, stop `stop` (underlying points), confidence 78.
pub fn worked_signal(candle: &Candle, strategy: &str, stop: Decimal, reason: &str) -> Signal {
    Signal {
        symbol: candle.symbol.clone(),
        strategy: strategy.into(),
        side: Side::Buy,
        timestamp: candle.timestamp,
        price: dec!(51245),
        target: dec!(51655),
        stop,
        confidence: 78,
        expected_move_pct: 0.8,
        reason: reason.into(),
    }
}

/// Emits the worked example's signal (as `ema_crossover`) on each of its first candles.
pub struct WorkedExample {
    /// The signal's stop, underlying points.
    pub stop: Decimal,
    /// Signals still to emit, one per candle.
    pub remaining: u32,
}

impl Strategy for WorkedExample {
    fn name(&self) -> &str {
        "ema_crossover"
    }
    fn warmup_bars(&self) -> usize {
        0
    }
    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(worked_signal(
            input.candle,
            "ema_crossover",
            self.stop,
            "EMA(5) 51180.00 crossed above EMA(20) 51100.00",
        ))
    }
}

/// An engine on `config` (YAML) with [`WorkedExample`] emitting `signals` signals with `stop`
/// on BANKNIFTY.
pub fn engine_with_signals(config: &str, stop: Decimal, signals: u32) -> Engine {
    let config = Config::from_yaml_str(config).expect("valid config");
    let mut engine = Engine::new(&config).expect("engine");
    engine.add_strategy(
        banknifty(),
        Box::new(WorkedExample {
            stop,
            remaining: signals,
        }),
    );
    engine
}

/// A quote of the BANKNIFTY 2026-01-08 contract at `strike`: `premium` is the ask, the bid a
/// tick below; IV 16 %, the given delta.
pub fn quote(
    strike: Decimal,
    option_type: OptionType,
    premium: Decimal,
    delta: f64,
    t: IstTime,
) -> OptionQuote {
    let kind = match option_type {
        OptionType::CE => "CE",
        OptionType::PE => "PE",
    };
    OptionQuote {
        contract: OptionContract {
            underlying: banknifty(),
            expiry: NaiveDate::from_ymd_opt(2026, 1, 8).expect("date"),
            strike,
            option_type,
            lot_size: 75,
            tick_size: dec!(0.05),
            trading_symbol: format!("BANKNIFTY26JAN{strike}{kind}"),
            exchange: Exchange::Nfo,
        },
        premium,
        bid: Some(premium - dec!(0.05)),
        ask: Some(premium),
        volume: Some(10_000),
        oi: Some(50_000),
        iv: Some(0.16),
        greeks: Some(Greeks {
            delta,
            gamma: 0.0004,
            theta_per_day: -12.0,
            vega_per_point: 20.0,
            rho_per_pct: 3.0,
        }),
        timestamp: t,
    }
}

/// The worked example's chain at `t` (strikes 51100 to 51300, spot 51,245), the ATM 51200 CE
/// at `ce_51200` rupees.
pub fn chain_with_ce(t: IstTime, ce_51200: Decimal) -> OptionChain {
    let mut quotes = Vec::new();
    for (k, ce, ce_delta, pe, pe_delta) in [
        (dec!(51100), dec!(340), 0.58, dec!(190), -0.42),
        (dec!(51200), ce_51200, 0.52, dec!(235), -0.48),
        (dec!(51300), dec!(228), 0.46, dec!(282), -0.54),
    ] {
        quotes.push(quote(k, OptionType::CE, ce, ce_delta, t));
        quotes.push(quote(k, OptionType::PE, pe, pe_delta, t));
    }
    OptionChain {
        underlying: banknifty(),
        spot: dec!(51245),
        expiry: NaiveDate::from_ymd_opt(2026, 1, 8).expect("date"),
        timestamp: t,
        quotes,
    }
}

/// The worked example's chain at `t` with the ATM 51200 CE at 280.
pub fn chain(t: IstTime) -> OptionChain {
    chain_with_ce(t, dec!(280))
}

/// The worked example's 5-minute BANKNIFTY candle starting at `t` (closing at 51,245).
pub fn candle(t: IstTime) -> Candle {
    Candle {
        symbol: banknifty(),
        timestamp: t,
        open: dec!(51200),
        high: dec!(51260),
        low: dec!(51190),
        close: dec!(51245),
        volume: 120_000,
    }
}

/// The trading symbol of the ATM 51200 CE.
pub fn ce_51200() -> String {
    "BANKNIFTY26JAN51200CE".to_string()
}

/// The candles of `fixtures/candles/synthetic_5min.csv`.
pub fn synthetic_candles() -> Vec<Candle> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/candles/synthetic_5min.csv"
    ))
    .expect("fixture");
    parse_candles(&text).expect("candles")
}

/// Five-minute NIFTY candles from a random walk driven by `steps` (each −1..1 moves the price
/// by up to `step` as a fraction, from 22,000), 75 a day from 09:15 IST on weekdays from Monday
/// 2026-01-05.
pub fn walk(steps: &[f64], step: f64) -> Vec<Candle> {
    let nifty = Symbol::parse("NIFTY").expect("symbol");
    let mut out = Vec::new();
    let mut price = 22_000.0_f64;
    let mut day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let mut i = 0;
    while i < steps.len() {
        if day.weekday().number_from_monday() <= 5 {
            let open = at(&format!("{day}T09:15:00+05:30"));
            for m in 0..75 {
                if i == steps.len() {
                    break;
                }
                let o = price;
                price *= 1.0 + step * steps[i];
                let d = |x: f64| Decimal::from_f64_retain(x).unwrap_or_default().round_dp(2);
                out.push(Candle {
                    symbol: nifty.clone(),
                    timestamp: open + Duration::minutes(5 * m),
                    open: d(o),
                    high: d(o.max(price) + 5.0),
                    low: d(o.min(price) - 5.0),
                    close: d(price),
                    volume: 1000,
                });
                i += 1;
            }
        }
        day = day.succ_opt().expect("date");
    }
    out
}

/// A backtester of `config` over `candles` replayed with chains from the simulated surface:
/// 1 tick of slippage, an entry missed when its touch moved more than 5 % after the decision;
/// and the feed to run it on.
pub fn replay_backtest(config: &Config, candles: Vec<Candle>) -> (Backtester, ReplayFeed) {
    let feed = ReplayFeed::new(
        candles,
        None,
        &config.simulation,
        &config.market,
        config.market_data_runner.candle_minutes,
    );
    let engine = Engine::new(config).expect("engine");
    let bt = Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: 1,
            entry_tolerance_pct: dec!(5),
            option_source: feed.option_source(),
        },
    );
    (bt, feed)
}
