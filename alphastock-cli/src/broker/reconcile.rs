//! What every live broker shares around the one non-idempotent call: a placement is sent once
//! and, when its answer is lost, looked up by its tag in the order book instead of sent again
//! ([`TagReconciler`]); the API errors mapped to [`BrokerError`]; and the link's breaker and
//! rate-limit use reported for the dashboard ([`link_health`]).

use std::collections::BTreeMap;
use std::time::Duration;

use alphastock_core::market::IstTime;
use alphastock_core::order::OrderRequest;

use super::{BrokerError, BrokerOrder, LinkHealth};
use crate::net::breaker::BreakerState;
use crate::net::pipeline::Pipeline;
use crate::net::ApiError;

/// The two calls placement reconciliation needs from a broker client.
pub trait OrderDesk {
    /// Sends one placement and returns the broker's order id; sent exactly once.
    fn place_once(&mut self, request: &OrderRequest) -> Result<String, ApiError>;
    /// Today's order book; `now` stamps rows without a time.
    fn book(&mut self, now: IstTime) -> Result<Vec<BrokerOrder>, ApiError>;
    /// Sleeps on the client's clock.
    fn pause(&self, d: Duration);
}

/// Placements reconciled by tag instead of retried, and the instruments whose last placement is
/// still in doubt.
#[derive(Debug, Clone)]
pub struct TagReconciler {
    /// Trading symbol → tag of a placement whose outcome is unknown.
    in_doubt: BTreeMap<String, String>,
    /// Pause before the order-book look-up after a placement in doubt.
    settle: Duration,
}

impl Default for TagReconciler {
    fn default() -> Self {
        Self {
            in_doubt: BTreeMap::new(),
            settle: Duration::from_millis(200),
        }
    }
}

impl TagReconciler {
    /// Sets the pause before looking an order in doubt up in the order book.
    pub fn set_settle_delay(&mut self, settle: Duration) {
        self.settle = settle;
    }

    /// Trading symbols with a placement whose outcome is still unknown, with its tag.
    pub fn in_doubt(&self) -> &BTreeMap<String, String> {
        &self.in_doubt
    }

    /// Declares the placement in doubt for `trading_symbol` resolved by hand.
    pub fn resolve_in_doubt(&mut self, trading_symbol: &str) {
        self.in_doubt.remove(trading_symbol);
    }

    /// Places `request` through `desk` once. An earlier placement in doubt for the same
    /// instrument is looked up first (and blocks this one while the book cannot be read); a
    /// placement whose outcome is unknown is looked up by its tag and adopted, reported as never
    /// placed when the book read afterwards lacks it, or as in doubt when the book cannot be
    /// read.
    pub fn place(
        &mut self,
        desk: &mut dyn OrderDesk,
        request: &OrderRequest,
        now: impl Fn() -> IstTime,
    ) -> Result<String, BrokerError> {
        if let Some(tag) = self.in_doubt.get(&request.trading_symbol).cloned() {
            // An earlier placement here is in doubt: it may have appeared since. A book that
            // reads without it settles the doubt too: it never reached the broker.
            match desk.book(now()) {
                Ok(_) => {
                    self.in_doubt.remove(&request.trading_symbol);
                }
                Err(_) => {
                    return Err(BrokerError::OutcomeUnknown {
                        tag,
                        detail: format!(
                            "an earlier order in {} is unresolved; not placing {}",
                            request.trading_symbol, request.tag
                        ),
                    })
                }
            }
        }
        match desk.place_once(request) {
            Ok(id) => Ok(id),
            Err(e) if e.outcome_unknown() => self.reconcile(desk, request, &e, now),
            Err(e) => Err(e.into()),
        }
    }

    fn reconcile(
        &mut self,
        desk: &mut dyn OrderDesk,
        request: &OrderRequest,
        cause: &ApiError,
        now: impl Fn() -> IstTime,
    ) -> Result<String, BrokerError> {
        tracing::warn!(tag = %request.tag, error = %cause, "placement outcome unknown; looking the order up by its tag");
        desk.pause(self.settle);
        match desk
            .book(now())
            .map(|book| book.into_iter().find(|o| o.tag == request.tag))
        {
            Ok(Some(order)) => {
                tracing::info!(tag = %request.tag, order_id = %order.order_id, "adopted the order found by its tag");
                Ok(order.order_id)
            }
            // The order book was read after the failure and does not show the tag: the order
            // never reached the broker, and may be placed again under a new tag.
            Ok(None) => Err(BrokerError::NotPlaced {
                tag: request.tag.clone(),
                detail: format!("{cause}; no order with this tag in the order book"),
            }),
            Err(e) => {
                self.in_doubt
                    .insert(request.trading_symbol.clone(), request.tag.clone());
                Err(BrokerError::OutcomeUnknown {
                    tag: request.tag.clone(),
                    detail: format!("{cause}; the order book could not be read: {e}"),
                })
            }
        }
    }
}

impl From<ApiError> for BrokerError {
    fn from(e: ApiError) -> Self {
        let api_key_refusal = e.is_api_key_error();
        match e {
            ApiError::Api {
                error_type,
                message,
                ..
            } if api_key_refusal => BrokerError::Rejected {
                error_type,
                message: format!(
                    "{message} (the broker refused the API key: orders are accepted only from the static IP registered for it with mStock; not retried — register this machine's address or run from the registered one, then check with `alphastock doctor`)"
                ),
            },
            ApiError::Api {
                error_type,
                message,
                ..
            } if error_type == "TokenException" => {
                BrokerError::Session(format!("{error_type}: {message}"))
            }
            ApiError::Api {
                status,
                error_type,
                message,
            } if status < 500 => BrokerError::Rejected {
                error_type,
                message,
            },
            ApiError::Session(m) => BrokerError::Session(m),
            ApiError::Malformed(m) => BrokerError::Protocol(m),
            other => BrokerError::Unavailable(other.to_string()),
        }
    }
}

/// The breaker state and every rate-limit window's use of `pipeline`, for the dashboard.
pub fn link_health(pipeline: &Pipeline) -> LinkHealth {
    let state = pipeline.breaker_state();
    let breaker = match state {
        BreakerState::Closed { failures: 0 } => "closed".to_string(),
        BreakerState::Closed { failures } => {
            format!("closed ({failures} failure(s) in a row)")
        }
        BreakerState::Open { .. } => "open (calls paused)".to_string(),
        BreakerState::HalfOpen => "half-open (trial call)".to_string(),
    };
    let windows = pipeline
        .classes()
        .into_iter()
        .flat_map(|c| {
            pipeline.rate_usage(c).into_iter().map(move |u| {
                (
                    c.name().to_string(),
                    u.window.length.as_secs_f64(),
                    u.used,
                    u.window.limit,
                )
            })
        })
        .collect();
    LinkHealth {
        breaker,
        breaker_open: matches!(state, BreakerState::Open { .. }),
        windows,
    }
}
