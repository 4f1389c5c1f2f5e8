//! Shared helpers for the benchmarks.

use chrono::{Duration, TimeZone};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use alphastock_core::backtest::{BacktestConfig, Backtester};
use alphastock_core::config::Config;
use alphastock_core::engine::Engine;
use alphastock_core::market::{Candle, Symbol, IST};
use alphastock_core::sim::replay::ReplayFeed;

/// `n` synthetic 5-minute BANKNIFTY candles (two sine waves around 48,000), deterministic.
pub fn synthetic_candles(n: usize) -> Vec<Candle> {
    let symbol = Symbol::parse("BANKNIFTY").expect("valid symbol");
    let start = IST
        .with_ymd_and_hms(2026, 1, 5, 9, 15, 0)
        .single()
        .expect("valid time");
    let px = |t: f64| 48_000.0 * (1.0 + 0.004 * (t / 7.0).sin() + 0.0015 * (t / 2.3).sin());
    let dec = |x: f64| Decimal::from_f64(x).unwrap_or_default().round_dp(2);
    (0..n)
        .map(|i| {
            let t = i as f64;
            let (o, c) = (px(t - 0.5), px(t));
            Candle {
                symbol: symbol.clone(),
                timestamp: start + Duration::minutes(5 * i as i64),
                open: dec(o),
                high: dec(o.max(c) + 20.0),
                low: dec(o.min(c) - 20.0),
                close: dec(c),
                volume: 1000 + (i as u64 * 37) % 900 + if i % 37 == 11 { 4000 } else { 0 },
            }
        })
        .collect()
}

/// `n` synthetic closes (the same waves as [`synthetic_candles`]).
pub fn synthetic_closes(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let t = i as f64;
            48_000.0 * (1.0 + 0.004 * (t / 7.0).sin() + 0.0015 * (t / 2.3).sin())
        })
        .collect()
}

pub mod comparison;

/// One full backtest of `config` over `candles` with simulated option chains (priced on demand
/// when `lazy`, else whole at every candle), 1 tick of slippage and a 5 % entry tolerance:
/// the number of trades and the net P&L (rupees).
pub fn run_backtest(config: &Config, candles: &[Candle], lazy: bool) -> (usize, Decimal) {
    let mut feed = ReplayFeed::new(
        candles.to_vec(),
        None,
        &config.simulation,
        &config.market,
        1,
    );
    if lazy {
        feed = feed.lazy_chains();
    }
    let source = feed.option_source();
    let engine = Engine::new(config).expect("valid config");
    let report = Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: 1,
            entry_tolerance_pct: Decimal::from(5),
            option_source: source,
        },
    )
    .run(feed);
    (report.trades.len(), report.metrics.net_pnl)
}

/// `n` one-minute candles of `symbol` from a seeded random walk (xorshift64*; 0.05 % standard
/// step, rounded to the paisa) starting at `start_price`, on consecutive weekdays from
/// 2020-01-01, 375 bars a day from 09:15 IST. Deterministic for a seed.
pub fn random_walk_minutes(symbol: &str, start_price: f64, n: usize, seed: u64) -> Vec<Candle> {
    let symbol = Symbol::parse(symbol).expect("valid symbol");
    let mut state = seed.max(1);
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        // Uniform in [-1, 1).
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    };
    let dec = |x: f64| Decimal::from_f64(x).unwrap_or_default().round_dp(2);
    let mut day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date");
    let mut out = Vec::with_capacity(n);
    let mut price = start_price;
    while out.len() < n {
        use chrono::Datelike;
        if day.weekday().number_from_monday() <= 5 {
            let open = IST
                .from_local_datetime(&day.and_hms_opt(9, 15, 0).expect("valid time"))
                .single()
                .expect("IST has no gaps");
            for m in 0..375 {
                if out.len() == n {
                    break;
                }
                let o = price;
                // Sum of two uniforms: a triangular step with standard deviation ≈ 0.05 %.
                let step = (next() + next()) * 0.000_87;
                price = (price * (1.0 + step)).max(1.0);
                let hi = o.max(price) * (1.0 + 0.0002 * next().abs());
                let lo = o.min(price) * (1.0 - 0.0002 * next().abs());
                out.push(Candle {
                    symbol: symbol.clone(),
                    timestamp: open + Duration::minutes(m),
                    open: dec(o),
                    high: dec(hi),
                    low: dec(lo),
                    close: dec(price),
                    volume: 1000 + (out.len() as u64 * 37) % 900,
                });
            }
        }
        day = day.succ_opt().expect("date in range");
    }
    out
}
