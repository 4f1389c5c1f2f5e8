//! Broker-neutral machinery every live broker client is built on: the HTTP transport and the
//! `{"status","data"}` JSON envelope, typed API errors, per-endpoint-class rate-limit windows,
//! retries with backoff for idempotent reads only, the circuit breaker, clocks, the private
//! cache directory, each class's last call remembered across runs ([`rate_memory`]) and the
//! [`Secret`] wrapper. [`pipeline`] chains them into the one request
//! path (breaker → rate limit → send → retry reads → one session renewal) a client goes
//! through; a broker adds only its routes, its field mapping and its login.

pub mod breaker;
pub mod cache_dir;
pub mod clock;
pub mod error;
pub mod fields;
pub mod http;
pub mod link;
pub mod pipeline;
pub mod rate_limit;
pub mod rate_memory;
pub mod retry;
pub mod secret;

pub use error::ApiError;
pub use secret::Secret;
