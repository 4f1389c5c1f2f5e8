//! Options backtests on simulated chains over many days: one-minute NIFTY candles (seeded random
//! walk, 375 a day on consecutive weekdays from Wednesday 2025-01-01, inside the market rules'
//! coverage, so every candle has a chain) through the full backtester (engine, one EMA(5/20) crossover buying options,
//! fills, charges, metrics), with each candle's chain priced on demand (the default of
//! `alphastock backtest`) and, for comparison, priced whole at every candle. Run at 50 and 250
//! days: the same candles per second at both lengths means a flat per-day cost. Reported as
//! candles per second (criterion's element throughput).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

use alphastock_benches::{random_walk_minutes, run_backtest};
use alphastock_core::config::Config;
use alphastock_core::market::Candle;

const CONFIG: &str = r#"
market_data_runner: { candle_minutes: 1 }
strategies:
  ema_crossover:
    enabled: true
    symbols: [NIFTY]
    parameters: { fast_ema: 5, slow_ema: 20, min_confidence: 0 }
options_trading:
  enabled: true
  entry: { min_confidence: 0 }
  risk_management: { capital: 1000000, max_premium_per_trade: 100000 }
"#;

/// Candles in a trading day.
const PER_DAY: usize = 375;

/// `days` days of one-minute NIFTY candles from 2025-01-01: the seeded walk of
/// [`random_walk_minutes`] (which starts on 2020-01-01, before the market rules' coverage)
/// moved on by 261 weeks, so the weekdays stay weekdays.
fn nifty_minutes(days: usize) -> Vec<Candle> {
    let shift = chrono::Duration::weeks(261);
    random_walk_minutes("NIFTY", 24_000.0, days * PER_DAY, 7)
        .into_iter()
        .map(|c| Candle {
            timestamp: c.timestamp + shift,
            ..c
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let config = Config::from_yaml_str(CONFIG).expect("valid config");
    let mut g = c.benchmark_group("options_backtest");
    g.sampling_mode(SamplingMode::Flat);
    for days in [50usize, 250] {
        let candles = nifty_minutes(days);
        g.throughput(Throughput::Elements(candles.len() as u64));
        for (name, lazy) in [("lazy_chains", true), ("whole_chains", false)] {
            // One timed pass first, with the trades, so both modes can be seen to agree.
            let started = Instant::now();
            let (trades, net) = run_backtest(&config, &candles, lazy);
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{name} {days} days: {} candles in {secs:.3} s ({:.0} candles/s, {:.2} ms a day), {trades} trades, net P&L {net}",
                candles.len(),
                candles.len() as f64 / secs,
                secs * 1000.0 / days as f64
            );
            g.bench_function(format!("{name}_{days}_days"), |b| {
                b.iter(|| black_box(run_backtest(&config, &candles, lazy)))
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
