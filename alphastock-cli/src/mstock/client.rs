//! [`MstockClient`]: the request pipeline every endpoint goes through — circuit breaker, rate
//! limit, session header, retries of idempotent reads with backoff, and one re-login when the
//! broker says the token expired.

use std::sync::Arc;
use std::time::Duration;

use alphastock_core::config::MstockConfig;

use super::breaker::{BreakerState, CircuitBreaker};
use super::clock::{Clock, SystemClock};
use super::credentials::{Credentials, Secret};
use super::error::MstockError;
use super::http::{RawResponse, Request, Transport};
use super::rate_limit::{EndpointClass, RateLimiter, WindowUse};
use super::retry::RetryPolicy;

/// Whether a call may be repeated safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// A read: retried on transient failures.
    Read,
    /// A write (place/modify/cancel, login): sent once.
    Write,
}

/// A blocking client for the mStock Type A API.
pub struct MstockClient {
    pub(crate) cfg: MstockConfig,
    transport: Transport,
    limiter: RateLimiter,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
    clock: Arc<dyn Clock>,
    rng: fastrand::Rng,
    pub(crate) credentials: Credentials,
    pub(crate) access_token: Option<Secret>,
    pub(crate) interactive: bool,
}

impl std::fmt::Debug for MstockClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MstockClient")
            .field("base_url", &self.transport.base_url())
            .field("credentials", &self.credentials)
            .field("logged_in", &self.access_token.is_some())
            .field("breaker", &self.breaker.state())
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
        Self {
            transport: Transport::new(&cfg),
            limiter: RateLimiter::new(&cfg.rate_limits, clock.now()),
            retry: RetryPolicy::from(&cfg.retry),
            breaker: CircuitBreaker::new(&cfg.breaker),
            rng: fastrand::Rng::new(),
            clock,
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
        self.breaker.state()
    }

    /// How much of each rate-limit window of `class` this client has used (for
    /// `alphastock doctor`).
    pub fn rate_usage(&self, class: EndpointClass) -> Vec<WindowUse> {
        self.limiter.usage(class, self.clock.now())
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
        if self.access_token.is_none() {
            self.ensure_session()?;
        }
        let mut relogged = false;
        loop {
            match self.attempts(class, idempotency, req, true, &parse) {
                Err(e) if e.is_token_expired() && !relogged => {
                    tracing::warn!(path = %req.path, "access token refused; logging in again");
                    relogged = true;
                    self.access_token = None;
                    self.relogin()?;
                }
                Err(e) if e.is_token_expired() => {
                    return Err(MstockError::Session(format!(
                        "the broker refused a freshly issued access token ({e}); check the API key and run `alphastock login`"
                    )))
                }
                other => return other,
            }
        }
    }

    /// Sends a request without the session header (login calls), once.
    pub(crate) fn call_unauthenticated<T>(
        &mut self,
        req: &Request,
        parse: impl Fn(&RawResponse) -> Result<T, MstockError>,
    ) -> Result<T, MstockError> {
        self.attempts(EndpointClass::Other, Idempotency::Write, req, false, &parse)
    }

    fn attempts<T>(
        &mut self,
        class: EndpointClass,
        idempotency: Idempotency,
        req: &Request,
        with_auth: bool,
        parse: &impl Fn(&RawResponse) -> Result<T, MstockError>,
    ) -> Result<T, MstockError> {
        let max = match idempotency {
            Idempotency::Read => self.retry.max_attempts,
            Idempotency::Write => 1,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Err(retry_in) = self.breaker.allow(self.clock.now()) {
                return Err(MstockError::BreakerOpen { retry_in });
            }
            self.limiter.acquire(class, self.clock.as_ref());
            tracing::debug!(method = ?req.method, path = %req.path, attempt, "mstock request");
            let auth = if with_auth {
                self.access_token
                    .as_ref()
                    .map(|t| (&self.credentials.api_key, t))
            } else {
                None
            };
            let result = self.transport.send(req, auth).and_then(|raw| parse(&raw));
            match result {
                Ok(v) => {
                    self.breaker.on_success();
                    return Ok(v);
                }
                Err(e) => {
                    if e.counts_against_breaker() {
                        self.breaker.on_failure(self.clock.now());
                    } else if matches!(e, MstockError::Api { .. }) {
                        // The broker answered coherently: it is up.
                        self.breaker.on_success();
                    }
                    tracing::warn!(path = %req.path, attempt, error = %e, "mstock call failed");
                    if attempt >= max || !e.is_transient() {
                        return Err(e);
                    }
                    let delay = self.retry.delay(attempt, e.retry_after(), self.rng.f64());
                    self.clock.sleep(delay);
                }
            }
        }
    }

    /// Sleeps on the client's clock (used between reconciliation reads).
    pub(crate) fn pause(&self, d: Duration) {
        self.clock.sleep(d);
    }
}
