//! Runs the comparison case once over 1,000,000 bars (or the count given as the first
//! argument) and prints bars, fills, bars per second and the net P&L. Run it under
//! `/usr/bin/time -v` to see its peak resident memory:
//!
//! ```text
//! cargo build --release -p alphastock-benches --example comparison
//! /usr/bin/time -v target/release/examples/comparison
//! ```

use std::time::Instant;

use alphastock_benches::comparison::{engine, random_walk_bars, run};

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let bars = random_walk_bars(n, 42);
    let mut engine = engine();
    let started = Instant::now();
    let stats = run(&mut engine, &bars);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "bars {} fills {} seconds {:.3} bars/s {:.0} closed trades {} net P&L {} rejected signals {}",
        stats.bars,
        stats.fills,
        secs,
        stats.bars as f64 / secs,
        stats.closed_trades,
        stats.closed_net_pnl,
        stats.rejected_signals
    );
}
