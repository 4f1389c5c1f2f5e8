//! Carries out the engine's order actions through a [`Broker`] and turns what the broker says
//! back into engine events.
//!
//! - A placement that the broker accepted becomes an `OrderUpdate` (Open) with its order id; one
//!   it refused becomes a `Rejected` update carrying the broker's message (the engine releases the
//!   risk it reserved); one whose outcome is unknown becomes `OrderOutcomeUnknown` (the engine
//!   blocks new entries in that underlying until an update for the tag arrives). Placements are
//!   never retried here.
//!   A placement whose answer was lost and whose tag the order book does not show is refused
//!   (it never reached the broker): the engine frees the order's place, so an exit is placed
//!   again under a new tag on its next evaluation.
//! - [`Executor::sync`] reads the trade book, then the order book, and reports, for orders
//!   carrying one of our tags, each change of state once and then each new fill once (by trade
//!   id): the order book is the newer of the two, so the engine knows a finished order's filled
//!   quantity before it applies the order's fills, and caps them at it. An order whose outcome
//!   was unknown is resolved by that read: shown, it is reported as the book says; absent, it is
//!   reported refused (it never reached the broker).

use std::collections::{BTreeMap, BTreeSet};

use alphastock_core::engine::{Action, Event};
use alphastock_core::market::IstTime;
use alphastock_core::order::{OrderRequest, OrderStatus, OrderUpdate};

use crate::broker::{Broker, BrokerError};

/// Prefix of the tags the engine makes (see `TagGenerator`); orders without it are not ours.
pub const TAG_PREFIX: &str = "AS";

/// What happened when an action was carried out, for the log and the journal.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The order was accepted with this id.
    Placed {
        /// The order's tag.
        tag: String,
        /// The broker's order id.
        order_id: String,
    },
    /// The broker refused the order.
    Refused {
        /// The order's tag.
        tag: String,
        /// Why.
        reason: String,
    },
    /// The placement's outcome is unknown.
    Unknown {
        /// The order's tag.
        tag: String,
        /// What happened.
        detail: String,
    },
    /// A modify or cancel failed.
    Failed {
        /// The order's tag.
        tag: String,
        /// Why.
        reason: String,
    },
    /// A modify or cancel was accepted.
    Done {
        /// The order's tag.
        tag: String,
    },
}

/// Executes order actions and reports broker state as events.
#[derive(Debug, Default)]
pub struct Executor {
    last_state: BTreeMap<String, (OrderStatus, u32)>,
    seen_trades: BTreeSet<String>,
    /// Tags of placements whose outcome is unknown, to resolve from the next order book read.
    in_doubt: BTreeSet<String>,
}

impl Executor {
    /// A fresh executor.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks trades already applied (after a restart, from the journal) so they are not
    /// reported again.
    pub fn mark_trades_seen<'a>(&mut self, trade_ids: impl IntoIterator<Item = &'a str>) {
        self.seen_trades
            .extend(trade_ids.into_iter().map(str::to_string));
    }

    /// Carries out one action. Returns the events to feed back to the engine and the outcome
    /// to log; alerts and records are not order actions and give nothing.
    pub fn execute(
        &mut self,
        broker: &mut dyn Broker,
        action: &Action,
        now: IstTime,
    ) -> (Vec<Event>, Option<Outcome>) {
        match action {
            Action::PlaceOrder { request, .. } => self.place(broker, request, now),
            Action::ModifyOrder {
                order_id,
                tag,
                price,
                ..
            } => answered(tag, broker.modify_order(order_id, *price, None)),
            Action::ModifyStop {
                order_id,
                tag,
                trigger_price,
                price,
                quantity,
                ..
            } => answered(
                tag,
                broker.modify_stop(order_id, *trigger_price, *price, *quantity),
            ),
            Action::ConvertStopToExit {
                order_id,
                tag,
                price,
                quantity,
                ..
            } => {
                let (mut events, outcome) = answered(
                    tag,
                    broker.convert_stop_to_limit(order_id, *price, *quantity),
                );
                if let Some(Outcome::Failed { reason, .. }) = &outcome {
                    // Refused or unanswered: the engine takes the stop as resting unchanged
                    // and cancels it before the exit instead.
                    events.push(Event::ConversionRefused {
                        tag: tag.clone(),
                        message: reason.clone(),
                        at: now,
                    });
                }
                (events, outcome)
            }
            Action::CancelOrder { order_id, tag, .. } => {
                answered(tag, broker.cancel_order(order_id))
            }
            Action::Alert { .. } | Action::Record(_) => (Vec::new(), None),
        }
    }

    fn place(
        &mut self,
        broker: &mut dyn Broker,
        request: &OrderRequest,
        now: IstTime,
    ) -> (Vec<Event>, Option<Outcome>) {
        let tag = request.tag.clone();
        match broker.place_order(request) {
            Ok(order_id) => {
                self.last_state
                    .insert(order_id.clone(), (OrderStatus::Open, 0));
                let update = OrderUpdate {
                    order_id: order_id.clone(),
                    tag: tag.clone(),
                    status: OrderStatus::Open,
                    filled_quantity: 0,
                    average_price: None,
                    message: None,
                    timestamp: now,
                };
                (
                    vec![Event::OrderUpdate(update)],
                    Some(Outcome::Placed { tag, order_id }),
                )
            }
            Err(BrokerError::OutcomeUnknown { detail, .. }) => {
                self.in_doubt.insert(tag.clone());
                (
                    vec![Event::OrderOutcomeUnknown {
                        tag: tag.clone(),
                        at: now,
                    }],
                    Some(Outcome::Unknown { tag, detail }),
                )
            }
            Err(e) => {
                let reason = e.to_string();
                // Refused, or never reached the broker: either way no order exists.
                let update = OrderUpdate {
                    order_id: String::new(),
                    tag: tag.clone(),
                    status: OrderStatus::Rejected,
                    filled_quantity: 0,
                    average_price: None,
                    message: Some(reason.clone()),
                    timestamp: now,
                };
                (
                    vec![Event::OrderUpdate(update)],
                    Some(Outcome::Refused { tag, reason }),
                )
            }
        }
    }

    /// Reads the broker's trade book, then its order book; returns, as events, placements in
    /// doubt the book does not show (refused: never placed), changed order states of our
    /// orders, then new fills. A failed read returns the error and changes nothing.
    pub fn sync(
        &mut self,
        broker: &mut dyn Broker,
        now: IstTime,
    ) -> Result<Vec<Event>, BrokerError> {
        let trades = broker.trade_book()?;
        let book = broker.order_book()?;
        let mut events = Vec::new();
        for tag in std::mem::take(&mut self.in_doubt) {
            if book.iter().any(|o| o.tag == tag) {
                continue;
            }
            events.push(Event::OrderUpdate(OrderUpdate {
                order_id: String::new(),
                tag,
                status: OrderStatus::Rejected,
                filled_quantity: 0,
                average_price: None,
                message: Some(
                    "outcome was unknown and the broker's order book does not show it: never placed"
                        .to_string(),
                ),
                timestamp: now,
            }));
        }
        for order in book {
            if !order.tag.starts_with(TAG_PREFIX) {
                continue;
            }
            let state = (order.status, order.filled_quantity);
            if self.last_state.get(&order.order_id) == Some(&state) {
                continue;
            }
            self.last_state.insert(order.order_id.clone(), state);
            events.push(Event::OrderUpdate(OrderUpdate {
                order_id: order.order_id,
                tag: order.tag,
                status: order.status,
                filled_quantity: order.filled_quantity,
                average_price: order.average_price,
                message: order.message,
                timestamp: now.max(order.updated_at),
            }));
        }
        for fill in trades {
            if !fill.tag.starts_with(TAG_PREFIX) {
                continue;
            }
            if self.seen_trades.insert(fill.trade_id.clone()) {
                events.push(Event::Fill(fill));
            }
        }
        Ok(events)
    }
}

/// The outcome of a modify or cancel of the order tagged `tag`: done, or failed with the
/// broker's reason.
fn answered(tag: &str, result: Result<(), BrokerError>) -> (Vec<Event>, Option<Outcome>) {
    let outcome = match result {
        Ok(()) => Outcome::Done {
            tag: tag.to_string(),
        },
        Err(e) => Outcome::Failed {
            tag: tag.to_string(),
            reason: e.to_string(),
        },
    };
    (Vec::new(), Some(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{BrokerFunds, BrokerOrder, BrokerPosition, BrokerQuote, InstrumentKey};
    use alphastock_core::market::Exchange;
    use alphastock_core::order::{Fill, OrderType, Product, TransactionType, Validity};
    use chrono::DateTime;
    use rust_decimal::Decimal;

    /// A broker whose placement answer is scripted and whose books are plain lists.
    struct Scripted {
        answer: Option<BrokerError>,
        placed: Vec<OrderRequest>,
        orders: Vec<BrokerOrder>,
        trades: Vec<Fill>,
    }

    impl Broker for Scripted {
        fn name(&self) -> &str {
            "scripted"
        }
        fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError> {
            self.placed.push(request.clone());
            match self.answer.take() {
                Some(e) => Err(e),
                None => Ok(format!("O{}", self.placed.len())),
            }
        }
        fn modify_order(&mut self, _: &str, _: Decimal, _: Option<u32>) -> Result<(), BrokerError> {
            Ok(())
        }
        fn session_lost(&self) -> Option<String> {
            None
        }
        fn modify_stop(
            &mut self,
            id: &str,
            _: Decimal,
            _: Decimal,
            _: u32,
        ) -> Result<(), BrokerError> {
            Err(BrokerError::Invalid(format!(
                "{} cannot modify stop order {id}",
                self.name()
            )))
        }
        fn convert_stop_to_limit(
            &mut self,
            id: &str,
            _: Decimal,
            _: u32,
        ) -> Result<(), BrokerError> {
            Err(BrokerError::Invalid(format!(
                "{} cannot convert stop order {id}",
                self.name()
            )))
        }
        fn cancel_order(&mut self, _: &str) -> Result<(), BrokerError> {
            Err(BrokerError::Rejected {
                error_type: "OrderException".into(),
                message: "order already complete".into(),
            })
        }
        fn order_book(&mut self) -> Result<Vec<BrokerOrder>, BrokerError> {
            Ok(self.orders.clone())
        }
        fn trade_book(&mut self) -> Result<Vec<Fill>, BrokerError> {
            Ok(self.trades.clone())
        }
        fn positions(&mut self) -> Result<Vec<BrokerPosition>, BrokerError> {
            Ok(Vec::new())
        }
        fn funds(&mut self) -> Result<BrokerFunds, BrokerError> {
            Ok(BrokerFunds {
                available: Decimal::ZERO,
                used: Decimal::ZERO,
            })
        }
        fn quotes(&mut self, _: &[InstrumentKey]) -> Result<Vec<BrokerQuote>, BrokerError> {
            Ok(Vec::new())
        }
    }

    fn now() -> IstTime {
        DateTime::parse_from_rfc3339("2026-01-05T10:15:00+05:30").unwrap()
    }

    fn request() -> OrderRequest {
        OrderRequest {
            tag: "AS26010500001".into(),
            exchange: Exchange::Nfo,
            trading_symbol: "BANKNIFTY26JAN51200CE".into(),
            transaction_type: TransactionType::Buy,
            order_type: OrderType::Limit,
            quantity: 75,
            price: Some(Decimal::new(28000, 2)),
            trigger_price: None,
            product: Product::Mis,
            validity: Validity::Day,
        }
    }

    fn place_action() -> Action {
        Action::PlaceOrder {
            request: request(),
            purpose: alphastock_core::engine::OrderPurpose::Exit {
                reason: "test".into(),
            },
        }
    }

    fn broker(answer: Option<BrokerError>) -> Scripted {
        Scripted {
            answer,
            placed: Vec::new(),
            orders: Vec::new(),
            trades: Vec::new(),
        }
    }

    #[test]
    fn a_refused_conversion_of_a_stop_is_fed_back_to_the_engine() {
        let mut b = broker(None);
        let convert = Action::ConvertStopToExit {
            order_id: "O7".into(),
            tag: "AS26010500002".into(),
            price: Decimal::new(7760, 2),
            quantity: 75,
            reason: "target".into(),
        };
        let (events, outcome) = Executor::new().execute(&mut b, &convert, now());
        assert!(
            matches!(&outcome, Some(Outcome::Failed { tag, reason })
                if tag == "AS26010500002" && reason.contains("cannot convert stop order O7")),
            "{outcome:?}"
        );
        assert!(
            matches!(&events[..], [Event::ConversionRefused { tag, message, at }]
                if tag == "AS26010500002" && message.contains("O7") && *at == now()),
            "{events:?}"
        );
    }

    #[test]
    fn an_unknown_outcome_is_reported_not_retried() {
        let mut b = broker(Some(BrokerError::OutcomeUnknown {
            tag: "AS26010500001".into(),
            detail: "read timed out".into(),
        }));
        let (events, outcome) = Executor::new().execute(&mut b, &place_action(), now());
        assert_eq!(b.placed.len(), 1, "placed exactly once");
        assert!(
            matches!(&events[..], [Event::OrderOutcomeUnknown { tag, .. }] if tag == "AS26010500001")
        );
        assert!(matches!(outcome, Some(Outcome::Unknown { .. })));
    }

    #[test]
    fn an_unknown_outcome_is_resolved_by_the_next_order_book_read() {
        let mut b = broker(Some(BrokerError::OutcomeUnknown {
            tag: "AS26010500001".into(),
            detail: "order book unreadable".into(),
        }));
        let mut ex = Executor::new();
        ex.execute(&mut b, &place_action(), now());
        let events = ex.sync(&mut b, now()).unwrap();
        match &events[..] {
            [Event::OrderUpdate(u)] => {
                assert_eq!(u.tag, "AS26010500001");
                assert_eq!(u.status, OrderStatus::Rejected);
                assert!(u.message.as_deref().unwrap_or("").contains("never placed"));
            }
            other => panic!("{other:?}"),
        }
        assert!(ex.sync(&mut b, now()).unwrap().is_empty(), "resolved once");
    }

    #[test]
    fn a_placement_that_never_reached_the_broker_is_a_refusal() {
        let mut b = broker(Some(BrokerError::NotPlaced {
            tag: "AS26010500001".into(),
            detail: "503; no order with this tag in the order book".into(),
        }));
        let (events, outcome) = Executor::new().execute(&mut b, &place_action(), now());
        assert!(
            matches!(&events[..], [Event::OrderUpdate(u)] if u.status == OrderStatus::Rejected)
        );
        assert!(
            matches!(outcome, Some(Outcome::Refused { reason, .. }) if reason.contains("did not reach the broker"))
        );
    }

    #[test]
    fn a_refusal_becomes_a_rejected_update_with_the_brokers_message() {
        let mut b = broker(Some(BrokerError::Rejected {
            error_type: "RMSException".into(),
            message: "insufficient margin".into(),
        }));
        let (events, _) = Executor::new().execute(&mut b, &place_action(), now());
        match &events[..] {
            [Event::OrderUpdate(u)] => {
                assert_eq!(u.status, OrderStatus::Rejected);
                assert!(u
                    .message
                    .as_deref()
                    .unwrap_or("")
                    .contains("insufficient margin"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sync_reports_each_fill_and_state_change_once() {
        let mut b = broker(None);
        let mut ex = Executor::new();
        let (events, _) = ex.execute(&mut b, &place_action(), now());
        assert!(matches!(&events[..], [Event::OrderUpdate(u)] if u.order_id == "O1"));
        b.trades.push(Fill {
            order_id: "O1".into(),
            tag: "AS26010500001".into(),
            trade_id: "T1".into(),
            exchange: Exchange::Nfo,
            trading_symbol: "BANKNIFTY26JAN51200CE".into(),
            transaction_type: TransactionType::Buy,
            quantity: 75,
            price: Decimal::new(28000, 2),
            timestamp: now(),
        });
        let order = BrokerOrder {
            order_id: "O1".into(),
            tag: "AS26010500001".into(),
            exchange: Exchange::Nfo,
            trading_symbol: "BANKNIFTY26JAN51200CE".into(),
            transaction_type: TransactionType::Buy,
            quantity: 75,
            filled_quantity: 75,
            price: Some(Decimal::new(28000, 2)),
            trigger_price: None,
            order_type: Some(OrderType::Limit),
            average_price: Some(Decimal::new(28000, 2)),
            status: OrderStatus::Complete,
            message: None,
            updated_at: now(),
        };
        let mut foreign = order.clone();
        foreign.order_id = "X9".into();
        foreign.tag = "manual".into();
        b.orders = vec![order, foreign];
        let events = ex.sync(&mut b, now()).unwrap();
        assert_eq!(events.len(), 2, "{events:?}");
        // The order's final state first (its filled quantity caps its fills), then the fill.
        assert!(matches!(&events[0], Event::OrderUpdate(u) if u.status == OrderStatus::Complete));
        assert!(matches!(&events[1], Event::Fill(f) if f.trade_id == "T1"));
        assert!(ex.sync(&mut b, now()).unwrap().is_empty(), "nothing new");
        let cancel = Action::CancelOrder {
            order_id: "O1".into(),
            tag: "AS26010500001".into(),
            reason: "timeout".into(),
        };
        let (_, outcome) = ex.execute(&mut b, &cancel, now());
        assert!(
            matches!(outcome, Some(Outcome::Failed { reason, .. }) if reason.contains("already complete"))
        );
    }
}
