//! Streaming technical indicators matching TA-Lib's definitions.
//!
//! Each indicator is a small struct fed one value (or one bar) at a time through `update`, which
//! returns `None` during warm-up and `Some(value)` once the indicator is defined. Every `update`
//! is O(1) and allocation-free: any buffer is allocated once, at construction.
//!
//! Warm-up and seeding follow TA-Lib 0.6 (the reference the tests compare against):
//! - [`Ema`] is seeded with the simple average of its first `period` inputs (first output on the
//!   `period`-th input), then smoothed with α = 2 / (period + 1).
//! - [`Rsi`] and [`Atr`] use Wilder smoothing seeded with simple averages of the first `period`
//!   changes / true ranges (first output on input `period + 1`; the first bar has no change).
//! - [`Sma`], [`BollingerBands`] (population σ), [`RollingHigh`], [`RollingLow`] and
//!   [`VolumeAverage`] output from the `period`-th input.
//! - [`Vwap`] has no TA-Lib counterpart; it restarts at each session.
//!
//! Non-finite inputs (NaN, ±∞) are ignored: the state is left unchanged and the current value
//! (if any) is returned, so one bad tick cannot poison an indicator.

mod atr;
mod bollinger;
mod ema;
mod error;
mod rolling;
mod rsi;
mod sma;
mod volume_average;
mod vwap;
mod window;

pub use atr::Atr;
pub use bollinger::{BollingerBands, BollingerOutput};
pub use ema::Ema;
pub use error::IndicatorError;
pub use rolling::{RollingHigh, RollingLow};
pub use rsi::Rsi;
pub use sma::Sma;
pub use volume_average::VolumeAverage;
pub use vwap::Vwap;
