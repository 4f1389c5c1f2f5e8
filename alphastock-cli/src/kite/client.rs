//! [`KiteClient`]: Kite Connect's routes over the shared request pipeline. Kite cannot renew
//! a session without the browser, so a `TokenException` (HTTP 403: the token expired, at
//! 06:00 IST, or was revoked) ends the session with a message naming
//! `alphastock login --broker kite`; nothing is retried with a stale token.

use std::sync::Arc;

use alphastock_core::config::KiteConfig;
use alphastock_core::market::IstTime;

use super::config::KiteCredentials;
use super::limits;
use super::session::TokenCache;
use crate::net::breaker::CircuitBreaker;
use crate::net::clock::{Clock, IstClock, SystemClock};
use crate::net::http::TransportSettings;
use crate::net::link::broker_link;
use crate::net::pipeline::{Pipeline, SessionCalls};
use crate::net::retry::RetryPolicy;
use crate::net::{ApiError, Secret};

/// The API-version header of every Kite Connect v3 request (`kite_header_version = "3"` in the
/// SDK's `connect.py`).
pub const VERSION_HEADER: (&str, &str) = ("X-Kite-Version", "3");

/// What to do when no session is held, in every message that says so.
pub const LOGIN_HINT: &str = "run `alphastock login --broker kite`";

/// A blocking client for Kite Connect v3.
pub struct KiteClient {
    pub(crate) cfg: KiteConfig,
    pipeline: Pipeline,
    pub(crate) credentials: KiteCredentials,
    pub(crate) access_token: Option<Secret>,
    /// The IST wall clock deciding whether a cached token is still valid.
    pub(crate) wall: IstClock,
}

broker_link!(KiteClient, limits::OTHER);

impl KiteClient {
    /// A client for `cfg` (already with any `KITE_BASE_URL` override applied) on the real clock.
    pub fn new(cfg: KiteConfig, credentials: KiteCredentials) -> Self {
        Self::with_clock(cfg, credentials, Arc::new(SystemClock::default()))
    }

    /// A client whose rate limiter, retry delays and breaker run on `clock`.
    pub fn with_clock(
        cfg: KiteConfig,
        credentials: KiteCredentials,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let pipeline = Pipeline::for_link(
            "kite",
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
            wall: IstClock::system(),
        }
    }

    /// Uses `wall` as the IST time that decides whether a cached token is valid (simulated
    /// sessions).
    pub fn set_wall_clock(&mut self, wall: IstClock) {
        self.wall = wall;
    }

    /// The settings in use.
    pub fn config(&self) -> &KiteConfig {
        &self.cfg
    }

    /// The token cache in the resolved `token_cache_dir`.
    pub fn token_cache(&self) -> TokenCache {
        TokenCache::new(&self.cfg.token_cache_dir)
    }

    /// The current IST time on the client's wall clock.
    pub fn now(&self) -> IstTime {
        self.wall.now()
    }
}

impl SessionCalls for KiteClient {
    fn pipeline(&mut self) -> &mut Pipeline {
        &mut self.pipeline
    }

    fn session_auth(&self) -> Option<(Secret, Secret)> {
        self.link_auth()
    }

    fn ensure_session(&mut self) -> Result<(), ApiError> {
        if self.access_token.is_some() {
            return Ok(());
        }
        match self.token_cache().load(self.wall.now()) {
            Some(token) => {
                self.access_token = Some(token);
                Ok(())
            }
            None => Err(ApiError::Session(format!(
                "no valid Kite session (a Kite access token lasts until 06:00 IST the next day); {LOGIN_HINT}"
            ))),
        }
    }

    /// Kite renews a session only through the browser login: the refused token is dropped
    /// from memory and the cache, and the call fails naming the login command.
    fn renew_session(&mut self) -> Result<(), ApiError> {
        self.access_token = None;
        self.token_cache().clear();
        Err(ApiError::Session(format!(
            "Kite refused the access token (expired at 06:00 IST, or revoked); {LOGIN_HINT}"
        )))
    }
}
