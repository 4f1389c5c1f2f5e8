//! A blocking client for Zerodha Kite Connect v3: login with the request token and checksum,
//! the instrument lists, full quotes (depth and open interest), regular/SL/SL-M orders with
//! modify and cancel, the order book and trades, positions, margins and historical candles.
//!
//! Every call goes through the shared request pipeline ([`crate::net::pipeline`]) with Kite's
//! own endpoint classes ([`limits`]). The answers are the same envelope and, for orders,
//! positions, trades, quotes and candles, the same row shapes mStock's Type A API imitates, so
//! those are read by the same parsers ([`crate::mstock::orders`], [`crate::mstock::portfolio`],
//! [`crate::mstock::quotes`], [`crate::mstock::historical`]). Sources: the official Python SDK
//! `zerodha/pykiteconnect` (`kiteconnect/connect.py`, commit f5531bd of April 2026) and its
//! recorded answers `zerodha/kiteconnect-mocks` (commit c7a8123 of March 2026), and the Kite
//! Connect v3 documentation (kite.trade/docs/connect/v3), read December 2026.

pub mod client;
pub mod config;
pub mod instruments;
pub mod limits;
pub mod market;
pub mod orders;
pub mod session;

pub use client::KiteClient;
pub use config::KiteCredentials;
