//! [`MstockClient`]: mStock's routes over the shared request pipeline
//! ([`crate::net::pipeline`]): circuit breaker, rate limit, session header, retries of
//! idempotent reads with backoff, and one re-login when the broker says the token expired.

use std::sync::Arc;
use std::time::Duration;

use alphastock_core::config::MstockConfig;

pub use crate::net::pipeline::Idempotency;

use super::credentials::{Credentials, Secret};
use super::error::MstockError;
use super::limits;
use crate::net::breaker::{BreakerState, CircuitBreaker};
use crate::net::clock::{Clock, SystemClock};
use crate::net::http::{RawResponse, Request, Transport, TransportSettings};
use crate::net::pipeline::{Pipeline, SessionCalls};
use crate::net::rate_limit::{EndpointClass, WindowUse};
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

impl std::fmt::Debug for MstockClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MstockClient")
            .field("base_url", &self.pipeline.base_url())
            .field("credentials", &self.credentials)
            .field("logged_in", &self.access_token.is_some())
            .field("breaker", &self.pipeline.breaker_state())
            .finish()
    }
}

impl MstockClient {
    /// A client for `cfg` (already with any `MSTOCK_BASE_URL` override applied) on the real clock.
    pub fn new(cfg: MstockConfig, credentials: Credentials) -> Self {
        Self::with_clock(cfg, credentials, Arc::new(SystemClock::default()))
    }

    /// A client whose rate limiter, retry delays and breaker run on `clock`.
    pub fn with_clock(cfg: MstockConfig, credentials: Credentials, clock: Arc<dyn Clock>) -> Self {
        let transport = Transport::new(&TransportSettings {
            base_url: cfg.base_url.clone(),
            connect_timeout_ms: cfg.connect_timeout_ms,
            read_timeout_ms: cfg.read_timeout_ms,
            version_header: VERSION_HEADER,
        });
        let pipeline = Pipeline::new(
            "mstock",
            transport,
            limits::limiter(&cfg.rate_limits, clock.now()),
            RetryPolicy::from(&cfg.retry),
            CircuitBreaker::new(&cfg.breaker),
            clock,
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

    /// Uses `token` as the access token (e.g. one read from the day's cache).
    pub fn set_access_token(&mut self, token: Secret) {
        self.access_token = Some(token);
    }

    /// True once an access token is held.
    pub fn is_logged_in(&self) -> bool {
        self.access_token.is_some()
    }

    /// The circuit breaker's state.
    pub fn breaker_state(&self) -> BreakerState {
        self.pipeline.breaker_state()
    }

    /// How much of each rate-limit window of `class` this client has used (for
    /// `alphastock doctor`).
    pub fn rate_usage(&self, class: EndpointClass) -> Vec<WindowUse> {
        self.pipeline.rate_usage(class)
    }

    /// The request pipeline (breaker and rate-limit state, for reports).
    pub fn pipeline_ref(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The settings in use.
    pub fn config(&self) -> &MstockConfig {
        &self.cfg
    }

    /// Sends an authenticated request through the whole pipeline and parses its answer.
    pub(crate) fn call<T>(
        &mut self,
        class: EndpointClass,
        idempotency: Idempotency,
        req: &Request,
        parse: impl Fn(&RawResponse) -> Result<T, MstockError>,
    ) -> Result<T, MstockError> {
        SessionCalls::call(self, class, idempotency, req, parse)
    }

    /// Sends a request without the session header (login calls), once.
    pub(crate) fn call_unauthenticated<T>(
        &mut self,
        req: &Request,
        parse: impl Fn(&RawResponse) -> Result<T, MstockError>,
    ) -> Result<T, MstockError> {
        self.pipeline
            .attempts(limits::OTHER, Idempotency::Write, req, None, &parse)
    }

    /// Sleeps on the client's clock (used between reconciliation reads).
    pub(crate) fn pause(&self, d: Duration) {
        self.pipeline.pause(d);
    }
}

impl SessionCalls for MstockClient {
    fn pipeline(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }

    fn session_auth(&self) -> Option<(Secret, Secret)> {
        self.access_token
            .clone()
            .map(|t| (self.credentials.api_key.clone(), t))
    }

    fn ensure_session(&mut self) -> Result<(), MstockError> {
        MstockClient::ensure_session(self)
    }

    fn renew_session(&mut self) -> Result<(), MstockError> {
        self.access_token = None;
        self.relogin()
    }
}
