//! Backtest throughput on 1,000,000 in-memory one-minute candles (seeded random walk of
//! BANKNIFTY): the full backtester (engine, simulated option chains priced from the volatility
//! surface at every candle, fills, charges, metrics) with one EMA-crossover strategy and with
//! five strategies; and a signal-only scan (the EMA crossover alone, no engine). Reported as
//! candles per second (criterion's element throughput).
//!
//! `ALPHASTOCK_BENCH_CANDLES` overrides the candle count (e.g. for a quick local run).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

use alphastock_benches::{random_walk_minutes, run_backtest};
use alphastock_core::config::Config;
use alphastock_core::sim::replay::ReplayFeed;
use alphastock_core::strategy::{build_strategy, MarketInput, StrategyParams};

fn candle_count() -> usize {
    std::env::var("ALPHASTOCK_BENCH_CANDLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

const ONE: &str = r#"
market_data_runner: { candle_minutes: 1 }
strategies:
  ema_crossover:
    enabled: true
    symbols: [BANKNIFTY]
    parameters: { fast_ema: 5, slow_ema: 20, min_confidence: 0 }
options_trading:
  enabled: true
  entry: { min_confidence: 0 }
  risk_management: { capital: 1000000, max_premium_per_trade: 100000 }
"#;

const FIVE: &str = r#"
market_data_runner: { candle_minutes: 1 }
strategies:
  ema_crossover:
    enabled: true
    symbols: [BANKNIFTY]
    parameters: { fast_ema: 5, slow_ema: 20, min_confidence: 0 }
  rsi_divergence: { enabled: true, symbols: [BANKNIFTY] }
  bollinger_reversion: { enabled: true, symbols: [BANKNIFTY] }
  price_breakout: { enabled: true, symbols: [BANKNIFTY] }
  volume_spike: { enabled: true, symbols: [BANKNIFTY] }
options_trading:
  enabled: true
  entry: { min_confidence: 0 }
  risk_management: { capital: 1000000, max_premium_per_trade: 100000 }
"#;

fn bench(c: &mut Criterion) {
    let n = candle_count();
    let candles = random_walk_minutes("BANKNIFTY", 48_000.0, n, 42);

    let mut g = c.benchmark_group("backtest");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(n as u64));
    for (name, yaml) in [
        ("ema_crossover_with_options", ONE),
        ("five_strategies_with_options", FIVE),
    ] {
        let config = Config::from_yaml_str(yaml).expect("valid config");
        // One timed pass first: at 1,000,000 candles a criterion sample takes seconds, so this
        // single pass is the figure to read when the run is filtered to the scan.
        let started = std::time::Instant::now();
        let (trades, net) = run_backtest(&config, &candles, false);
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "{name}: {n} candles in {secs:.2} s ({:.0} candles/s), {trades} trades, net P&L {net}",
            n as f64 / secs
        );
        g.bench_function(name, |b| {
            b.iter(|| black_box(run_backtest(&config, &candles, false)))
        });
    }

    // Where the time goes: replaying the candles with a simulated chain priced at each one,
    // without the engine.
    let config = Config::from_yaml_str(ONE).expect("valid config");
    g.bench_function("replay_with_simulated_chains_only", |b| {
        b.iter(|| {
            let feed =
                ReplayFeed::new(candles.clone(), None, &config.simulation, &config.market, 1);
            black_box(feed.count())
        })
    });

    g.bench_function("signal_only_scan_ema_crossover", |b| {
        b.iter(|| {
            let mut s = build_strategy("ema_crossover", "ema_crossover", &StrategyParams::new())
                .expect("defaults are valid");
            let mut signals = 0usize;
            for candle in &candles {
                if s.analyze(&MarketInput {
                    candle,
                    chain: None,
                })
                .is_some()
                {
                    signals += 1;
                }
            }
            black_box(signals)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
