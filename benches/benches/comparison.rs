//! The comparison case: EMA(5/20) crossover trading NSE:SBIN itself, flipping long ↔ short on
//! every crossover, over 1,000,000 seeded random-walk 1-minute bars in memory, every order
//! filled at the bar's close and fed back to the engine. Criterion reports the time per run and
//! bars per second (throughput in elements); the fill count is printed once.
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use alphastock_benches::comparison::{engine, random_walk_bars, run};

const BARS: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let bars = random_walk_bars(BARS, 42);
    let stats = run(&mut engine(), &bars);
    println!(
        "comparison: {} bars, {} fills, {} closed trades, net P&L {} rupees, {} signals not traded",
        stats.bars, stats.fills, stats.closed_trades, stats.closed_net_pnl, stats.rejected_signals
    );
    let mut group = c.benchmark_group("comparison");
    group.throughput(Throughput::Elements(BARS as u64));
    group.sample_size(10);
    group.bench_function("ema_5_20_flip_1m_bars", |b| {
        b.iter_batched(
            engine,
            |mut e| {
                let stats = run(&mut e, &bars);
                // Hand the engine back so its drop is not timed.
                (e, black_box(stats))
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
