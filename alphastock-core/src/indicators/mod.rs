//! Streaming technical indicators matching TA-Lib's definitions.
//!
//! Each indicator is a small struct fed one value (or one bar) at a time through `update`, which
//! returns `None` during warm-up and `Some(value)` once the indicator is defined. Every `update`
//! is O(1) and allocation-free: any buffer is allocated once, at construction.
//!
//! Warm-up and seeding follow TA-Lib 0.6 (the reference the tests compare against):
//! - [`Ema`] is seeded with the simple average of its first `period` inputs (first output on the
//!   `period`-th input), then smoothed with α = 2 / (period + 1).
//! - [`Rsi`] uses Wilder smoothing seeded with simple averages of the first `period` changes
//!   (first output on input `period + 1`).
//!
//! Non-finite inputs (NaN, ±∞) are ignored: the state is left unchanged and the current value
//! (if any) is returned, so one bad tick cannot poison an indicator.

mod ema;
mod error;
mod rsi;

pub use ema::Ema;
pub use error::IndicatorError;
pub use rsi::Rsi;
