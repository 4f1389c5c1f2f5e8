//! What every live broker shares around the one non-idempotent call: a placement is sent once
//! and, when its answer is lost, looked up by its tag in the order book instead of sent again
//! ([`TagReconciler`]); the API errors mapped to [`BrokerError`] by the class of their
//! `error_type` ([`ErrorClass`]: a refusal is `Rejected` whatever its HTTP status, a
//! `TokenException` ends the session); and the link's breaker and
//! rate-limit use reported for the dashboard ([`link_health`]).

use std::collections::BTreeMap;
use std::time::Duration;

use alphastock_core::market::IstTime;
use alphastock_core::order::OrderRequest;

use super::{BrokerError, BrokerOrder, LinkHealth};
use crate::net::breaker::BreakerState;
use crate::net::error::ErrorClass;
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
                status,
                error_type,
                message,
            } => match ErrorClass::of(&error_type) {
                ErrorClass::Session => BrokerError::Session(format!("{error_type}: {message}")),
                ErrorClass::Refused => BrokerError::Rejected {
                    error_type,
                    message,
                },
                ErrorClass::Other if status < 500 => BrokerError::Rejected {
                    error_type,
                    message,
                },
                ErrorClass::Backend | ErrorClass::Other => BrokerError::Unavailable(
                    ApiError::Api {
                        status,
                        error_type,
                        message,
                    }
                    .to_string(),
                ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use alphastock_core::market::{Exchange, IST};
    use alphastock_core::order::{OrderType, Product, TransactionType, Validity};
    use chrono::TimeZone;

    fn api(status: u16, error_type: &str) -> ApiError {
        ApiError::Api {
            status,
            error_type: error_type.into(),
            message: "m".into(),
        }
    }

    #[test]
    fn each_error_class_becomes_the_broker_error_the_run_acts_on() {
        for status in [200u16, 400, 403, 500, 503] {
            let refused = BrokerError::from(api(status, "OrderException"));
            assert!(
                matches!(&refused, BrokerError::Rejected { error_type, .. } if error_type == "OrderException"),
                "HTTP {status}: {refused:?}"
            );
            let lost = BrokerError::from(api(status, "TokenException"));
            assert!(matches!(lost, BrokerError::Session(_)), "HTTP {status}");
            let backend = BrokerError::from(api(status, "NetworkException"));
            assert!(
                matches!(backend, BrokerError::Unavailable(_)),
                "HTTP {status}"
            );
        }
        assert!(matches!(
            BrokerError::from(api(400, "GeneralException")),
            BrokerError::Rejected { .. }
        ));
        assert!(matches!(
            BrokerError::from(api(500, "GeneralException")),
            BrokerError::Unavailable(_)
        ));
    }

    /// A desk whose placement fails with `error` and which counts its order-book reads.
    struct Desk {
        error: ApiError,
        books: usize,
        placed: usize,
    }

    impl OrderDesk for Desk {
        fn place_once(&mut self, _: &OrderRequest) -> Result<String, ApiError> {
            self.placed += 1;
            Err(self.error.clone())
        }
        fn book(&mut self, _: IstTime) -> Result<Vec<BrokerOrder>, ApiError> {
            self.books += 1;
            Ok(Vec::new())
        }
        fn pause(&self, _: Duration) {}
    }

    #[test]
    fn a_placement_refused_with_an_order_exception_is_refused_not_reconciled() {
        let request = OrderRequest {
            tag: "AS2612010001".into(),
            exchange: Exchange::Nfo,
            trading_symbol: "NIFTY25DEC24000CE".into(),
            transaction_type: TransactionType::Buy,
            order_type: OrderType::Limit,
            quantity: 75,
            price: Some(rust_decimal::Decimal::new(9550, 2)),
            trigger_price: None,
            product: Product::Nrml,
            validity: Validity::Day,
        };
        let now = || IST.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        // HTTP 500 is the SDK's default code of an OrderException.
        let mut desk = Desk {
            error: api(500, "OrderException"),
            books: 0,
            placed: 0,
        };
        let mut r = TagReconciler::default();
        let e = r.place(&mut desk, &request, now).unwrap_err();
        assert!(matches!(e, BrokerError::Rejected { .. }), "{e:?}");
        assert_eq!((desk.placed, desk.books), (1, 0));
        assert!(r.in_doubt().is_empty());
        // A NetworkException on a placement leaves it in doubt: looked up by its tag.
        let mut desk = Desk {
            error: api(200, "NetworkException"),
            books: 0,
            placed: 0,
        };
        let e = r.place(&mut desk, &request, now).unwrap_err();
        assert!(matches!(e, BrokerError::NotPlaced { .. }), "{e:?}");
        assert_eq!((desk.placed, desk.books), (1, 1));
    }
}
