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

/// What a broker's `error_type` says about a failed call. The names are the exception classes
/// of Kite's official SDK (`zerodha/pykiteconnect`, `kiteconnect/exceptions.py`: `TokenException`,
/// `PermissionException`, `OrderException`, `InputException`, `DataException`,
/// `NetworkException`, `GeneralException`) and of mStock's (`tradingapi_a/exceptions.py`, which
/// adds `APIKeyException` and `MiraeException`); the SDKs raise the class named by
/// `error_type` and fall back to `GeneralException` for any other name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// `TokenException`: the access token expired or was revoked; the session must be made
    /// again (mStock renews it, Kite needs `alphastock login --broker kite`).
    Session,
    /// `InputException`, `OrderException`, `PermissionException`, `APIKeyException`: the
    /// broker looked at the request and refused it. Whatever the HTTP status (the SDKs'
    /// exceptions default to 500), nothing was done: never retried, never taken for an order
    /// whose outcome is unknown.
    Refused,
    /// `NetworkException`, `DataException`: the broker's API could not get a good answer from
    /// its order system. A read may be tried again; a write may have reached the order system,
    /// so its outcome is unknown.
    Backend,
    /// `GeneralException` or a type neither SDK names: judged by the HTTP status (5xx: the
    /// broker failed; otherwise it refused).
    Other,
}

impl ErrorClass {
    /// True when an error of this class, sent with HTTP `status`, says the broker failed
    /// rather than refused: a read may be tried again, a write's outcome is unknown.
    pub fn broker_failed(self, status: u16) -> bool {
        match self {
            ErrorClass::Session | ErrorClass::Refused => false,
            ErrorClass::Backend => true,
            ErrorClass::Other => status >= 500,
        }
    }

    /// The class of the broker's `error_type` (compared without regard to case).
    pub fn of(error_type: &str) -> Self {
        let t = error_type.trim();
        let is = |name: &str| t.eq_ignore_ascii_case(name);
        if is("TokenException") {
            ErrorClass::Session
        } else if is("InputException")
            || is("OrderException")
            || is("PermissionException")
            || is("APIKeyException")
        {
            ErrorClass::Refused
        } else if is("NetworkException") || is("DataException") {
            ErrorClass::Backend
        } else {
            ErrorClass::Other
        }
    }
}

impl ApiError {
    /// True for a `TokenException` (whatever the HTTP status): the access token expired; log
    /// in again.
    pub fn is_token_expired(&self) -> bool {
        self.class() == Some(ErrorClass::Session)
    }

    /// The class of the broker's `error_type`, for an error the broker itself sent.
    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            ApiError::Api { error_type, .. } => Some(ErrorClass::of(error_type)),
            _ => None,
        }
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

    /// True when trying the same idempotent read again may succeed: a `NetworkException` or
    /// `DataException` whatever the HTTP status, never a refusal ([`ErrorClass::Refused`]) or a
    /// `TokenException`, otherwise a 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::RateLimited { .. }
            | ApiError::Malformed(_)
            | ApiError::NotSent(_)
            | ApiError::NoAnswer(_) => true,
            ApiError::Api {
                status, error_type, ..
            } => ErrorClass::of(error_type).broker_failed(*status),
            ApiError::Http { status, .. } => *status >= 500,
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
    /// success came back (timeout, dropped connection, garbled answer, a `NetworkException` or
    /// `DataException`, another 5xx). A refusal ([`ErrorClass::Refused`]) or a
    /// `TokenException` is never in doubt, whatever its HTTP status.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ApiError::NoAnswer(_) | ApiError::Malformed(_) => true,
            ApiError::Api {
                status, error_type, ..
            } => ErrorClass::of(error_type).broker_failed(*status),
            ApiError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, error_type: &str) -> ApiError {
        ApiError::Api {
            status,
            error_type: error_type.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn every_sdk_exception_class_means_the_same_whatever_the_http_status() {
        // (error_type, a read may be retried, a write is in doubt, the session is gone)
        let classes = [
            ("TokenException", false, false, true),
            ("PermissionException", false, false, false),
            ("OrderException", false, false, false),
            ("InputException", false, false, false),
            ("APIKeyException", false, false, false),
            ("NetworkException", true, true, false),
            ("DataException", true, true, false),
        ];
        for status in [200u16, 400, 403, 500, 502, 503] {
            for (t, transient, unknown, token) in classes {
                let e = api(status, t);
                assert_eq!(e.is_transient(), transient, "{t} HTTP {status}");
                assert_eq!(e.outcome_unknown(), unknown, "{t} HTTP {status}");
                assert_eq!(e.is_token_expired(), token, "{t} HTTP {status}");
                assert_eq!(e.counts_against_breaker(), transient, "{t} HTTP {status}");
            }
        }
        assert_eq!(ErrorClass::of("orderexception"), ErrorClass::Refused);
        // The fallback class and names neither SDK knows go by the HTTP status.
        for t in ["GeneralException", "MiraeException", "RMSException"] {
            assert_eq!(ErrorClass::of(t), ErrorClass::Other);
            assert!(
                !api(400, t).is_transient() && !api(400, t).outcome_unknown(),
                "{t}"
            );
            assert!(
                api(503, t).is_transient() && api(500, t).outcome_unknown(),
                "{t}"
            );
        }
        assert_eq!(ApiError::NotSent("x".into()).class(), None);
    }
}
