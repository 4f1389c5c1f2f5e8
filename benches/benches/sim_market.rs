//! Simulated market throughput: events generated per second for one trading day.
use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use alphastock_core::config::MarketConfig;
use alphastock_core::sim::{SimConfig, SimMarket};

fn bench(c: &mut Criterion) {
    let day = NaiveDate::from_ymd_opt(2025, 12, 3).unwrap_or_default();
    let market = MarketConfig::default();
    let mut group = c.benchmark_group("sim_market");
    // Default config: 3 underlyings, 5 s ticks, 21 strikes × CE/PE per chain.
    let cfg = SimConfig::default();
    let events = SimMarket::new(&cfg, &market, day)
        .map(|m| m.count())
        .unwrap_or(0);
    group.throughput(Throughput::Elements(events as u64));
    group.sample_size(10);
    group.bench_function("one_day_default", |b| {
        b.iter(|| {
            SimMarket::new(&cfg, &market, day)
                .map(|m| m.count())
                .unwrap_or(0)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
