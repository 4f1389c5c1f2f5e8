//! Backtester: drives the [`crate::engine`] over historical candles with simulated fills.
