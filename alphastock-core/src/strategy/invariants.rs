//! Laws every built-in strategy obeys, checked on random candle series (with random chains).

use proptest::prelude::*;
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde_yaml::Value;

use super::test_support::{candles, chain};
use super::{build_strategy, known_strategies, MarketInput, Side, StrategyParams};

/// A random walk of closes (±1.5 % a bar) with volumes and optional ATM IVs.
fn series() -> impl Strategy<Value = (f64, Vec<(f64, u64, Option<f64>)>)> {
    (
        1.0f64..60_000.0,
        prop::collection::vec(
            (
                -1.5f64..1.5,
                0u64..20_000,
                prop::option::weighted(0.9, 0.05f64..0.6),
            ),
            0..160,
        ),
    )
}

/// Small periods so random series of this length signal often.
fn fast_params(kind: &str) -> StrategyParams {
    let pairs: &[(&str, u64)] = match kind {
        "ema_crossover" => &[("fast_ema", 3), ("slow_ema", 8)],
        "rsi_divergence" => &[("rsi_period", 5), ("divergence_periods", 3)],
        "bollinger_reversion" => &[("period", 10)],
        "price_breakout" => &[("lookback", 5)],
        "volume_spike" => &[("period", 5)],
        "iv_regime" => &[("window", 10), ("trend_ema", 5)],
        _ => &[],
    };
    let mut p: StrategyParams = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(*v)))
        .collect();
    p.insert("min_confidence".into(), Value::from(0u64));
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn signals_respect_warmup_confidence_and_sides((start, steps) in series()) {
        let mut closes = Vec::with_capacity(steps.len());
        let mut price = start;
        for (pct, _, _) in &steps {
            price = (price * (1.0 + pct / 100.0)).max(0.5);
            closes.push(price);
        }
        let mut cs = candles(&closes);
        for (c, (_, volume, _)) in cs.iter_mut().zip(&steps) {
            c.volume = *volume;
        }
        for kind in known_strategies() {
            for params in [StrategyParams::new(), fast_params(kind)] {
                let mut s = build_strategy(kind, kind, &params).unwrap();
                let warmup = s.warmup_bars();
                for (i, (c, (_, _, iv))) in cs.iter().zip(&steps).enumerate() {
                    let ch = iv.map(|iv| chain(c, iv));
                    let Some(sig) = s.analyze(&MarketInput { candle: c, chain: ch.as_ref() }) else {
                        continue;
                    };
                    prop_assert!(i + 1 >= warmup, "{kind}: signal on bar {} before warm-up {warmup}", i + 1);
                    prop_assert!(sig.confidence <= 100);
                    prop_assert_eq!(&sig.symbol, &c.symbol);
                    prop_assert_eq!(sig.timestamp, c.timestamp);
                    prop_assert_eq!(sig.price, c.close);
                    match sig.side {
                        Side::Buy => prop_assert!(sig.stop < sig.price && sig.price < sig.target, "{kind}: {sig:?}"),
                        Side::Sell => prop_assert!(sig.target < sig.price && sig.price < sig.stop, "{kind}: {sig:?}"),
                    }
                    prop_assert!(sig.stop > Decimal::ZERO);
                    let expected = Decimal::from_f64(sig.expected_move_pct).unwrap();
                    prop_assert!((expected > Decimal::ZERO) == (sig.side == Side::Buy));
                }
            }
        }
    }
}

/// The law above is only worth something if every strategy does signal on such series.
#[test]
fn every_strategy_signals_on_a_long_random_walk() {
    // A fixed linear congruential walk: deterministic, no randomness source needed.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut price = 48_000.0;
    let mut rows = Vec::new();
    for _ in 0..2000 {
        price *= 1.0 + (next() - 0.5) * 0.02;
        let volume = (next() * next() * 20_000.0) as u64;
        rows.push((price, volume, 0.08 + next() * 0.3));
    }
    let closes: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let mut cs = candles(&closes);
    for (c, r) in cs.iter_mut().zip(&rows) {
        c.volume = r.1;
    }
    for kind in known_strategies() {
        let mut s = build_strategy(kind, kind, &fast_params(kind)).unwrap();
        let fired = cs
            .iter()
            .zip(&rows)
            .filter(|(c, r)| {
                let ch = chain(c, r.2);
                s.analyze(&MarketInput {
                    candle: c,
                    chain: Some(&ch),
                })
                .is_some()
            })
            .count();
        assert!(fired >= 3, "{kind} fired {fired} times");
    }
}
