//! [`MstockClient`]: mStock's routes over the shared request pipeline
//! ([`crate::net::pipeline`]): circuit breaker, rate limit, session header, retries of
//! idempotent reads with backoff, and one re-login when the broker says the token expired.

use std::sync::Arc;

use alphastock_core::config::MstockConfig;

pub use crate::net::pipeline::Idempotency;

use super::credentials::{Credentials, Secret};
use super::error::MstockError;
use super::limits;
use crate::net::breaker::CircuitBreaker;
use crate::net::clock::{Clock, SystemClock};
use crate::net::http::TransportSettings;
use crate::net::link::broker_link;
use crate::net::pipeline::{Pipeline, SessionCalls};
use crate::net::retry::RetryPolicy;

/// The API-version header every mStock Type A request carries.
pub const VERSION_HEADER: (&str, &str) = ("X-Mirae-Version", "1");

/// A blocking client for the mStock Type A API.
pub struct MstockClient {
    pub(crate) cfg: MstockConfig,
    pipeline: Pipeline,
    pub(crate) credentials: Credentials,
    pub(crate) access_token: Option<Secret>,
    pub(crate) interactive: bool,
}

broker_link!(MstockClient, limits::OTHER);

impl MstockClient {
    /// A client for `cfg` (already with any `MSTOCK_BASE_URL` override applied) on the real clock.
    pub fn new(cfg: MstockConfig, credentials: Credentials) -> Self {
        Self::with_clock(cfg, credentials, Arc::new(SystemClock::default()))
    }

    /// A client whose rate limiter, retry delays and breaker run on `clock`.
    pub fn with_clock(cfg: MstockConfig, credentials: Credentials, clock: Arc<dyn Clock>) -> Self {
        let pipeline = Pipeline::for_link(
            "mstock",
            &TransportSettings {
                base_url: cfg.base_url.clone(),
                connect_timeout_ms: cfg.connect_timeout_ms,
                read_timeout_ms: cfg.read_timeout_ms,
                version_header: VERSION_HEADER,
            },
            limits::limiter(&cfg.rate_limits, clock.now()),
            RetryPolicy::from(&cfg.retry),
            CircuitBreaker::new(&cfg.breaker),
            clock,
            &cfg.token_cache_dir,
        );
        Self {
            pipeline,
            cfg,
            credentials,
            access_token: None,
            interactive: false,
        }
    }

    /// Allows an expired session to be renewed by asking for the OTP on the terminal (when no
    /// TOTP secret is set). Off by default, so an unattended loop fails clearly instead.
    pub fn set_interactive(&mut self, interactive: bool) {
        self.interactive = interactive;
    }

    /// The settings in use.
    pub fn config(&self) -> &MstockConfig {
        &self.cfg
    }
}

impl SessionCalls for MstockClient {
    fn pipeline(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }

    fn session_auth(&self) -> Option<(Secret, Secret)> {
        self.link_auth()
    }

    fn ensure_session(&mut self) -> Result<(), MstockError> {
        MstockClient::ensure_session(self)
    }

    fn renew_session(&mut self) -> Result<(), MstockError> {
        self.access_token = None;
        self.relogin()
    }
}
