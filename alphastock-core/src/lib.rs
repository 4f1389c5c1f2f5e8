//! # alphastock-core
//!
//! The trading brain of AlphaStock, as a library: market model, streaming indicators,
//! strategies, options analytics (Black-Scholes, implied vol, strike selection, target and
//! stop-loss premium), the signal pipeline, risk manager, portfolio and exits, the event-driven
//! [`engine`], the backtester and the configuration.
//!
//! ## Invariants
//! - **No I/O.** Nothing in this crate touches the network, files, the clock, threads or
//!   randomness. Time arrives as data: every event carries its IST timestamp. The same event
//!   sequence therefore always yields the same decisions, live, in replay and in backtest.
//! - **Money is exact.** Prices, premiums, charges and P&L are [`rust_decimal::Decimal`] rupees;
//!   analytics (greeks, implied vol, indicators) are `f64`, converted at clear boundaries.
//! - **No panics on input.** Bad quotes, NaN prices, empty chains or malformed config give a typed
//!   error or a rejected signal with its reason.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backtest;
pub mod config;
pub mod engine;
pub mod indicators;
pub mod market;
pub mod ml;
pub mod options;
pub mod order;
pub mod portfolio;
pub mod risk;
pub mod rules;
pub mod signal;
pub mod sim;
pub mod strategy;

pub use rust_decimal::Decimal;
