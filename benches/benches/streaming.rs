//! The streamed backtest of the comparison case (`alphastock_benches::comparison`: EMA(5/20)
//! on NSE:SBIN itself, flipping, 1-minute bars of a seeded random walk), as
//! `alphastock backtest --data FILE` runs it: CSV rows read one line at a time
//! ([`CandleRowReader`]), replayed through [`ReplayFeed::from_ordered`] with chains priced only
//! for symbols traded through options (none here), the [`Backtester`] handing its trades on as
//! they close and keeping a thinned equity curve. Reported as bars per second. The CSV text is
//! held in memory (the command reads the file on a second thread).
//!
//! `ALPHASTOCK_BENCH_CANDLES` overrides the bar count (default 1,000,000).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

use alphastock_benches::comparison::{random_walk_bars, CONFIG};
use alphastock_core::backtest::{BacktestConfig, Backtester};
use alphastock_core::config::Config;
use alphastock_core::engine::Engine;
use alphastock_core::market::{write_candles, Candle, CandleRowReader};
use alphastock_core::sim::replay::{symbols_needing_chains, ReplayFeed};

fn bar_count() -> usize {
    std::env::var("ALPHASTOCK_BENCH_CANDLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// The candles of a CSV text, parsed and checked a line at a time as they are taken.
struct Rows {
    text: Arc<str>,
    pos: usize,
    line: usize,
    reader: CandleRowReader,
}

impl Rows {
    fn new(text: &Arc<str>) -> Self {
        Self {
            text: Arc::clone(text),
            pos: 0,
            line: 0,
            reader: CandleRowReader::new(),
        }
    }
}

impl Iterator for Rows {
    type Item = Candle;

    fn next(&mut self) -> Option<Candle> {
        while self.pos < self.text.len() {
            let rest = &self.text[self.pos..];
            let end = rest.find('\n').unwrap_or(rest.len());
            self.pos += end + 1;
            self.line += 1;
            if let Some(c) = self
                .reader
                .line(self.line, &rest[..end])
                .expect("valid CSV")
            {
                return Some(c);
            }
        }
        None
    }
}

/// Trades and net P&L of the streamed backtest of `text`.
fn streamed(config: &Config, text: &Arc<str>) -> (usize, rust_decimal::Decimal) {
    let feed = ReplayFeed::from_ordered(
        Box::new(Rows::new(text)),
        None,
        &config.simulation,
        &config.market,
        1,
    )
    .only_chains_for(symbols_needing_chains(config));
    let engine = Engine::new(config).expect("valid config");
    let mut bt = Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: config.broker.paper.slippage_ticks,
            entry_tolerance_pct: config.broker.paper.entry_tolerance_pct,
            option_source: feed.option_source(),
        },
    )
    .with_curve_limit(4096);
    let mut trades = 0usize;
    for e in feed {
        bt.on_event(e);
        trades += bt.drain_trades().count();
    }
    let report = bt.finish();
    (trades + report.trades.len(), report.metrics.net_pnl)
}

fn bench(c: &mut Criterion) {
    let n = bar_count();
    let text: Arc<str> = Arc::from(write_candles(&random_walk_bars(n, 42)));
    let config = Config::from_yaml_str(CONFIG).expect("valid config");
    let started = std::time::Instant::now();
    let (trades, net) = streamed(&config, &text);
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "streamed backtest: {n} bars in {secs:.2} s ({:.0} bars/s), {trades} trades, net P&L {net}",
        n as f64 / secs
    );
    let mut g = c.benchmark_group("streaming");
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("parse_csv_rows", |b| {
        b.iter(|| black_box(Rows::new(&text).count()))
    });
    g.bench_function("backtest_from_csv_text", |b| {
        b.iter(|| black_box(streamed(&config, &text)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
