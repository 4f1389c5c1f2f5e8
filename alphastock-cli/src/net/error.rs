//! [`ApiError`]: everything that can go wrong talking to a broker's API, classified so the client can
//! decide what to retry and what counts against the circuit breaker.

use std::time::Duration;

/// A failed broker API call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The broker's own error envelope (`{"status":"error","error_type":..,"message":..}`).
    #[error("broker {error_type} (HTTP {status}): {message}")]
    Api {
        /// HTTP status code.
        status: u16,
        /// The broker's `error_type`, e.g. `TokenException`, `InputException`.
        error_type: String,
        /// The broker's message.
        message: String,
    },
    /// HTTP 429: too many requests; `retry_after` from the `Retry-After` header when given.
    #[error("broker rate limit hit (HTTP 429){}", .retry_after.map(|d| format!(", retry after {} ms", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// How long the broker asked us to wait.
        retry_after: Option<Duration>,
    },
    /// An HTTP error whose body is not the broker's JSON envelope (e.g. an HTML error page).
    #[error("broker HTTP {status}: {snippet}")]
    Http {
        /// HTTP status code.
        status: u16,
        /// The start of the body, for the log.
        snippet: String,
    },
    /// A success status whose body could not be understood.
    #[error("malformed broker response: {0}")]
    Malformed(String),
    /// The request never left this machine (connection refused, DNS failure, connect timeout):
    /// the broker did nothing.
    #[error("cannot reach the broker: {0}")]
    NotSent(String),
    /// The request was (or may have been) sent but no complete answer came back (read timeout,
    /// dropped connection): its effect at the broker is unknown.
    #[error("no complete answer from the broker: {0}")]
    NoAnswer(String),
    /// The circuit breaker is open after repeated failures; no call was made.
    #[error("broker calls paused after repeated failures; next try in {} ms", .retry_in.as_millis())]
    BreakerOpen {
        /// Time until the breaker lets a trial call through.
        retry_in: Duration,
    },
    /// Logging in failed or the session expired and could not be renewed.
    #[error("broker session: {0}")]
    Session(String),
    /// A local problem (token cache, script-master cache).
    #[error("{0}")]
    Local(String),
}

impl ApiError {
    /// True for a 403 `TokenException`: the access token expired; log in again.
    pub fn is_token_expired(&self) -> bool {
        matches!(self, ApiError::Api { error_type, .. } if error_type == "TokenException")
    }

    /// True for the broker's API-key refusal (`error_type` `APIKeyException`, one of the SDK's
    /// exception classes in `tradingapi_a/exceptions.py`): among other causes, an order sent
    /// from an address other than the account's registered static IP. Repeating the call cannot
    /// help, whatever the HTTP status (the SDK's exceptions default to code 500), so it is never
    /// retried, never counted against the breaker and never taken for an unknown outcome.
    pub fn is_api_key_error(&self) -> bool {
        matches!(self, ApiError::Api { error_type, .. }
            if error_type.eq_ignore_ascii_case("APIKeyException"))
    }

    /// True when trying the same idempotent read again may succeed.
    pub fn is_transient(&self) -> bool {
        if self.is_api_key_error() {
            return false;
        }
        match self {
            ApiError::RateLimited { .. }
            | ApiError::Malformed(_)
            | ApiError::NotSent(_)
            | ApiError::NoAnswer(_) => true,
            ApiError::Api { status, .. } | ApiError::Http { status, .. } => *status >= 500,
            ApiError::BreakerOpen { .. } | ApiError::Session(_) | ApiError::Local(_) => false,
        }
    }

    /// True when the failure says the broker is unhealthy (counts towards opening the breaker).
    /// A 429 or a refused request (4xx envelope) shows the broker is alive and does not count.
    pub fn counts_against_breaker(&self) -> bool {
        !matches!(self, ApiError::RateLimited { .. }) && self.is_transient()
    }

    /// The wait the broker asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    /// True when a non-idempotent request may have taken effect at the broker although no
    /// success came back (timeout, dropped connection, 5xx, garbled answer).
    pub fn outcome_unknown(&self) -> bool {
        if self.is_api_key_error() {
            return false;
        }
        match self {
            ApiError::NoAnswer(_) | ApiError::Malformed(_) => true,
            ApiError::Api { status, .. } | ApiError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }
}
