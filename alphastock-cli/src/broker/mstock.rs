//! [`MstockBroker`]: the [`Broker`] trait over the mStock client, with placement reconciled by
//! tag instead of retried.

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::Decimal;

use alphastock_core::order::{Fill, OrderRequest, OrderType, Validity};

use super::{
    Broker, BrokerError, BrokerFunds, BrokerOrder, BrokerPosition, BrokerQuote, InstrumentKey,
};
use crate::mstock::clock::IstClock;
use crate::mstock::{MstockClient, MstockError};

/// The mStock broker.
#[derive(Debug)]
pub struct MstockBroker {
    client: MstockClient,
    /// Trading symbol → tag of a placement whose outcome is unknown.
    in_doubt: BTreeMap<String, String>,
    /// Pause before the order-book look-up after a placement in doubt.
    settle: Duration,
    /// The IST wall clock stamping what the broker reports.
    wall: IstClock,
}

impl From<MstockError> for BrokerError {
    fn from(e: MstockError) -> Self {
        let api_key_refusal = e.is_api_key_error();
        match e {
            MstockError::Api {
                error_type,
                message,
                ..
            } if api_key_refusal => BrokerError::Rejected {
                error_type,
                message: format!(
                    "{message} (the broker refused the API key: orders are accepted only from the static IP registered for it with mStock; not retried — register this machine's address or run from the registered one, then check with `alphastock doctor`)"
                ),
            },
            MstockError::Api {
                error_type,
                message,
                ..
            } if error_type == "TokenException" => {
                BrokerError::Session(format!("{error_type}: {message}"))
            }
            MstockError::Api {
                status,
                error_type,
                message,
            } if status < 500 => BrokerError::Rejected {
                error_type,
                message,
            },
            MstockError::Session(m) => BrokerError::Session(m),
            MstockError::Malformed(m) => BrokerError::Protocol(m),
            other => BrokerError::Unavailable(other.to_string()),
        }
    }
}

impl MstockBroker {
    /// Wraps a client (logged in, or able to log in with TOTP).
    pub fn new(client: MstockClient) -> Self {
        Self {
            client,
            in_doubt: BTreeMap::new(),
            settle: Duration::from_millis(200),
            wall: IstClock::system(),
        }
    }

    /// Stamps what the broker reports with `wall` instead of the real time (simulated sessions).
    pub fn with_wall_clock(mut self, wall: IstClock) -> Self {
        self.wall = wall;
        self
    }

    /// Sets the pause before looking an order in doubt up in the order book.
    pub fn with_settle_delay(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    /// The client.
    pub fn client(&mut self) -> &mut MstockClient {
        &mut self.client
    }

    /// Trading symbols with a placement whose outcome is still unknown, with its tag.
    pub fn in_doubt(&self) -> &BTreeMap<String, String> {
        &self.in_doubt
    }

    /// Declares the placement in doubt for `trading_symbol` resolved by hand (e.g. after
    /// checking the broker's terminal), allowing new entries again.
    pub fn resolve_in_doubt(&mut self, trading_symbol: &str) {
        self.in_doubt.remove(trading_symbol);
    }

    /// Looks an order up by its tag in the order book.
    fn find_by_tag(&mut self, tag: &str) -> Result<Option<BrokerOrder>, MstockError> {
        let book = self.client.order_book(self.wall.now())?;
        Ok(book.into_iter().find(|o| o.tag == tag))
    }

    fn reconcile(
        &mut self,
        request: &OrderRequest,
        cause: &MstockError,
    ) -> Result<String, BrokerError> {
        tracing::warn!(tag = %request.tag, error = %cause, "placement outcome unknown; looking the order up by its tag");
        self.client.pause(self.settle);
        match self.find_by_tag(&request.tag) {
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

impl Broker for MstockBroker {
    fn name(&self) -> &str {
        "mstock"
    }

    fn link_health(&self) -> Option<super::LinkHealth> {
        use crate::mstock::breaker::BreakerState;
        use crate::mstock::rate_limit::EndpointClass;
        let state = self.client.breaker_state();
        let breaker = match state {
            BreakerState::Closed { failures: 0 } => "closed".to_string(),
            BreakerState::Closed { failures } => {
                format!("closed ({failures} failure(s) in a row)")
            }
            BreakerState::Open { .. } => "open (calls paused)".to_string(),
            BreakerState::HalfOpen => "half-open (trial call)".to_string(),
        };
        let windows = EndpointClass::ALL
            .iter()
            .flat_map(|c| {
                self.client.rate_usage(*c).into_iter().map(move |u| {
                    (
                        c.name().to_string(),
                        u.window.length.as_secs_f64(),
                        u.used,
                        u.window.limit,
                    )
                })
            })
            .collect();
        Some(super::LinkHealth {
            breaker,
            breaker_open: matches!(state, BreakerState::Open { .. }),
            windows,
        })
    }

    fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError> {
        if let Some(tag) = self.in_doubt.get(&request.trading_symbol).cloned() {
            // An earlier placement here is in doubt: it may have appeared since. A book that
            // reads without it settles the doubt too: it never reached the broker.
            match self.find_by_tag(&tag) {
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
        match self.client.place_order_once(request) {
            Ok(id) => Ok(id),
            Err(e) if e.outcome_unknown() => self.reconcile(request, &e),
            Err(e) => Err(e.into()),
        }
    }

    fn modify_order(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: Option<u32>,
    ) -> Result<(), BrokerError> {
        let quantity = match quantity {
            Some(q) => q,
            None => {
                let book = self.client.order_book(self.wall.now())?;
                let order = book
                    .iter()
                    .find(|o| o.order_id == order_id)
                    .ok_or_else(|| BrokerError::Invalid(format!("no order {order_id} today")))?;
                order.quantity
            }
        };
        self.client.modify_order(
            order_id,
            OrderType::Limit,
            quantity,
            Some(price),
            None,
            Validity::Day,
        )?;
        Ok(())
    }

    /// `PUT openapi/typea/orders/regular/{order_id}` with `order_type=SL` and the new trigger,
    /// limit and quantity, as the official SDK's `modify_order` sends them.
    fn modify_stop(
        &mut self,
        order_id: &str,
        trigger: Decimal,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError> {
        self.client.modify_order(
            order_id,
            OrderType::StopLoss,
            quantity,
            Some(price),
            Some(trigger),
            Validity::Day,
        )?;
        Ok(())
    }

    fn cancel_order(&mut self, order_id: &str) -> Result<(), BrokerError> {
        Ok(self.client.cancel_order(order_id)?)
    }

    fn order_book(&mut self) -> Result<Vec<BrokerOrder>, BrokerError> {
        Ok(self.client.order_book(self.wall.now())?)
    }

    fn trade_book(&mut self) -> Result<Vec<Fill>, BrokerError> {
        Ok(self.client.trade_book(self.wall.now())?)
    }

    fn positions(&mut self) -> Result<Vec<BrokerPosition>, BrokerError> {
        Ok(self.client.positions()?)
    }

    fn funds(&mut self) -> Result<BrokerFunds, BrokerError> {
        Ok(self.client.funds()?)
    }

    fn quotes(&mut self, keys: &[InstrumentKey]) -> Result<Vec<BrokerQuote>, BrokerError> {
        Ok(self.client.quotes(keys, self.wall.now())?)
    }
}
