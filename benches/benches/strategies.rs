//! Strategy benchmarks: time per candle for the EMA crossover alone and for a strategy manager
//! running all six built-in strategies on one symbol.
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};

use alphastock_benches::synthetic_candles;
use alphastock_core::market::Symbol;
use alphastock_core::strategy::{
    build_strategy, known_strategies, MarketInput, StrategyManager, StrategyParams, StrategySpec,
};

const N: usize = 4096;

fn bench(c: &mut Criterion) {
    let candles = synthetic_candles(N);

    let mut ema = build_strategy("ema_crossover", "ema_crossover", &StrategyParams::new())
        .expect("defaults are valid");
    let mut k = 0usize;
    c.bench_function("ema_crossover_per_candle", |b| {
        b.iter(|| {
            k = (k + 1) % N;
            black_box(ema.analyze(&MarketInput {
                candle: &candles[k],
                chain: None,
            }))
        })
    });

    let symbol = Symbol::parse("BANKNIFTY").expect("valid symbol");
    let specs = known_strategies()
        .iter()
        .map(|kind| StrategySpec {
            instance: kind.to_string(),
            kind: kind.to_string(),
            symbols: vec![symbol.clone()],
            params: StrategyParams::new(),
        })
        .collect();
    let mut manager = StrategyManager::new(specs).expect("defaults are valid");
    assert_eq!(manager.strategy_count(&symbol), 6);
    let mut k = 0usize;
    c.bench_function("manager_6_strategies_per_candle", |b| {
        b.iter(|| {
            k = (k + 1) % N;
            black_box(manager.on_candle(&MarketInput {
                candle: &candles[k],
                chain: None,
            }))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
