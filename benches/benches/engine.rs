//! Engine latency: one NSE:SBIN quote through `Engine::on_event` with five strategies trading
//! the stock itself: candle building, and on each completed 1-minute candle (every twelfth
//! quote) the strategies, aggregation, the underlying signal path, risk, orders, and the fills
//! fed back; exits are evaluated on every quote of an open position. Time per quote.
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};

use alphastock_benches::comparison::{
    feed_quote, five_strategy_engine, quotes_from_bars, random_walk_bars, EventCounts,
};

/// 20 sessions of 1-minute bars, 12 quotes a minute: 90,000 quotes.
const BARS: usize = 20 * 375;

fn bench(c: &mut Criterion) {
    let quotes = quotes_from_bars(&random_walk_bars(BARS, 7));
    let mut counts = EventCounts::default();
    let mut engine = five_strategy_engine();
    for q in &quotes {
        feed_quote(&mut engine, q, &mut counts);
    }
    println!(
        "engine: {} quotes gave {} signals and {} orders (all filled)",
        counts.events, counts.signals, counts.orders
    );
    c.bench_function("engine_quote_5_strategies", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                // A fresh engine for each pass over the quotes, built outside the timing.
                let mut engine = five_strategy_engine();
                let mut counts = EventCounts::default();
                let n = quotes.len().min((iters - done) as usize);
                let started = Instant::now();
                for q in &quotes[..n] {
                    feed_quote(&mut engine, q, &mut counts);
                }
                total += started.elapsed();
                black_box(counts);
                done += n as u64;
            }
            total
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
