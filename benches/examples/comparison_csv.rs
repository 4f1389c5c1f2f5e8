//! Writes the comparison case's bars (`alphastock_benches::comparison::random_walk_bars`, seed
//! 42) as a candle CSV, so `alphastock backtest` and other engines read the same data:
//!
//! ```text
//! cargo run --release -p alphastock-benches --example comparison_csv -- 1000000 bars.csv
//! ```
//!
//! Arguments: the number of bars (default 1,000,000) and the output file (default
//! `comparison_bars.csv`). The CSV is `timestamp,symbol,open,high,low,close,volume`, one
//! NSE:SBIN row a minute, 375 a weekday from 2020-01-06 09:15 IST.

use std::process::ExitCode;

use alphastock_benches::comparison::random_walk_bars;
use alphastock_core::market::write_candles;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n = match args.next().map(|a| a.parse::<usize>()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("error: the bar count must be a whole number: {e}");
            return ExitCode::from(2);
        }
    };
    let path = args
        .next()
        .unwrap_or_else(|| "comparison_bars.csv".to_string());
    let text = write_candles(&random_walk_bars(n, 42));
    let write = || std::fs::write(&path, &text);
    match write() {
        Ok(()) => {
            eprintln!("{n} bars written to {path}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {path}: {e}");
            ExitCode::from(1)
        }
    }
}
