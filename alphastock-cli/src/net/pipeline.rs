//! The request pipeline every broker call goes through: circuit breaker → rate limit of the
//! call's endpoint class → send → retries with backoff for idempotent reads only → one renewal
//! of the session when the broker says the access token expired.
//!
//! [`Pipeline`] holds the machinery; a broker client implements [`SessionCalls`] (where its
//! pipeline is, which token to send, how to renew the session) and gets [`SessionCalls::call`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::breaker::{BreakerState, CircuitBreaker};
use super::clock::Clock;
use super::error::ApiError;
use super::http::{RawResponse, Request, Transport, TransportSettings};
use super::rate_limit::{EndpointClass, RateLimiter, WindowUse};
use super::rate_memory::RateMemory;
use super::retry::RetryPolicy;
use super::secret::Secret;

/// Whether a call may be repeated safely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// A read: retried on transient failures.
    Read,
    /// A write (place/modify/cancel, login): sent once.
    Write,
}

/// Breaker, rate limiter, retry policy and transport of one broker link, on one clock.
pub struct Pipeline {
    name: &'static str,
    transport: Transport,
    limiter: RateLimiter,
    retry: RetryPolicy,
    breaker: CircuitBreaker,
    clock: Arc<dyn Clock>,
    rng: fastrand::Rng,
    /// Where each class's last call is remembered for the next run, when anywhere.
    memory: Option<RateMemory>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("broker", &self.name)
            .field("base_url", &self.transport.base_url())
            .field("breaker", &self.breaker.state())
            .finish()
    }
}

impl Pipeline {
    /// A pipeline for the broker called `name` (in log lines: `"{name} request"`).
    pub fn new(
        name: &'static str,
        transport: Transport,
        limiter: RateLimiter,
        retry: RetryPolicy,
        breaker: CircuitBreaker,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            name,
            transport,
            limiter,
            retry,
            breaker,
            clock,
            rng: fastrand::Rng::new(),
            memory: None,
        }
    }

    /// The pipeline of the broker link called `name`: a transport per `settings`, `limiter`,
    /// `retry` and `breaker` on `clock`, and each class's last call remembered in the private
    /// cache directory `cache_dir` ([`Pipeline::remember_calls`]; not at all when it is empty).
    pub fn for_link(
        name: &'static str,
        settings: &TransportSettings,
        limiter: RateLimiter,
        retry: RetryPolicy,
        breaker: CircuitBreaker,
        clock: Arc<dyn Clock>,
        cache_dir: &str,
    ) -> Self {
        let pipeline = Self::new(
            name,
            Transport::new(settings),
            limiter,
            retry,
            breaker,
            clock,
        );
        if cache_dir.trim().is_empty() {
            pipeline
        } else {
            pipeline.remember_calls(RateMemory::new(Path::new(cache_dir), name))
        }
    }

    /// Remembers every class's last call in `memory` from now on, and first accounts for the
    /// calls an earlier run remembered there (seconds ago on the wall clock), so a restart
    /// does not call faster than the broker counts.
    pub fn remember_calls(mut self, memory: RateMemory) -> Self {
        let now = self.clock.now();
        for (class, ago) in memory.since_last(std::time::SystemTime::now()) {
            self.limiter.seed_last(&class, now, ago);
        }
        self.memory = Some(memory);
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.transport.base_url()
    }

    /// The circuit breaker's state.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// How much of each rate-limit window of `class` has been used.
    pub fn rate_usage(&self, class: EndpointClass) -> Vec<WindowUse> {
        self.limiter.usage(class, self.clock.now())
    }

    /// The endpoint classes limited.
    pub fn classes(&self) -> Vec<EndpointClass> {
        self.limiter.classes()
    }

    /// Sleeps on the pipeline's clock (used between reconciliation reads).
    pub fn pause(&self, d: Duration) {
        self.clock.sleep(d);
    }

    /// Sends `req` until it succeeds, fails for good, or (for a read) the attempts run out;
    /// a write is sent once. `auth` is the (API key, access token) pair of the session header.
    pub fn attempts<T>(
        &mut self,
        class: EndpointClass,
        idempotency: Idempotency,
        req: &Request,
        auth: Option<(&Secret, &Secret)>,
        parse: &impl Fn(&RawResponse) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let max = match idempotency {
            Idempotency::Read => self.retry.max_attempts,
            Idempotency::Write => 1,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Err(retry_in) = self.breaker.allow(self.clock.now()) {
                return Err(ApiError::BreakerOpen { retry_in });
            }
            self.limiter.acquire(class, self.clock.as_ref());
            if let Some(memory) = self.memory.as_mut() {
                memory.record(class.name(), std::time::SystemTime::now());
            }
            tracing::debug!(method = ?req.method, path = %req.path, attempt, "{} request", self.name);
            let result = self.transport.send(req, auth).and_then(|raw| parse(&raw));
            match result {
                Ok(v) => {
                    self.breaker.on_success();
                    return Ok(v);
                }
                Err(e) => {
                    if e.counts_against_breaker() {
                        self.breaker.on_failure(self.clock.now());
                    } else if matches!(e, ApiError::Api { .. }) {
                        // The broker answered coherently: it is up.
                        self.breaker.on_success();
                    }
                    tracing::warn!(path = %req.path, attempt, error = %e, "{} call failed", self.name);
                    if attempt >= max || !e.is_transient() {
                        return Err(e);
                    }
                    let delay = self.retry.delay(attempt, e.retry_after(), self.rng.f64());
                    self.clock.sleep(delay);
                }
            }
        }
    }
}

/// A broker client with a session: where its pipeline is, what it authenticates with, and
/// how it gets or renews a session. [`SessionCalls::call`] is the whole request path.
pub trait SessionCalls {
    /// The client's pipeline.
    fn pipeline(&mut self) -> &mut Pipeline;
    /// The (API key, access token) pair sent as `Authorization: token key:token`, when held.
    fn session_auth(&self) -> Option<(Secret, Secret)>;
    /// Makes sure a token is held (a cached one, or a fresh non-interactive login).
    fn ensure_session(&mut self) -> Result<(), ApiError>;
    /// Drops the refused token and gets a new one, or says why it cannot (an [`ApiError::Session`]
    /// naming what to do).
    fn renew_session(&mut self) -> Result<(), ApiError>;

    /// Sends an authenticated request through the whole pipeline and parses its answer; on a
    /// `TokenException` the session is renewed once and the request sent again.
    fn call<T>(
        &mut self,
        class: EndpointClass,
        idempotency: Idempotency,
        req: &Request,
        parse: impl Fn(&RawResponse) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        if self.session_auth().is_none() {
            self.ensure_session()?;
        }
        let mut renewed = false;
        loop {
            let auth = self.session_auth();
            let auth = auth.as_ref().map(|(k, t)| (k, t));
            match self
                .pipeline()
                .attempts(class, idempotency, req, auth, &parse)
            {
                Err(e) if e.is_token_expired() && !renewed => {
                    tracing::warn!(path = %req.path, "access token refused; renewing the session");
                    renewed = true;
                    self.renew_session()?;
                }
                Err(e) if e.is_token_expired() => {
                    return Err(ApiError::Session(format!(
                        "the broker refused a freshly issued access token ({e}); check the API key and run `alphastock login`"
                    )))
                }
                other => return other,
            }
        }
    }
}
