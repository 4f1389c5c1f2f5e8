//! A blocking client for the mStock Type A API (Mirae Asset): login, quotes, script master,
//! option chain, orders, positions, funds and trade book.
//!
//! Every call goes through the shared request pipeline ([`crate::net::pipeline`]): a circuit
//! breaker, a per-endpoint-class rate limit ([`limits`]), the session header, retries with
//! backoff and jitter for idempotent reads only, and one re-login on a 403 `TokenException`.
//! TLS is verified. Credentials come only from the environment ([`credentials`]) and are never
//! logged.

pub use crate::net::{breaker, cache_dir, clock, fields, http, rate_limit, retry};

pub mod client;
pub mod config;
pub mod credentials;
pub mod error;
pub mod historical;
pub mod limits;
pub mod option_chain;
pub mod orders;
pub mod portfolio;
pub mod quotes;
pub mod script_master;
pub mod session;
pub mod totp;

pub use client::MstockClient;
pub use credentials::{Credentials, MissingCredential, Secret};
pub use error::MstockError;
