//! Shared helpers for the benchmarks.

use chrono::{Duration, TimeZone};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;

use alphastock_core::market::{Candle, Symbol, IST};

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
