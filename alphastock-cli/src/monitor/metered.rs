//! A [`Broker`] wrapper that counts every call by endpoint with its latency and failure into
//! the run's live view (for `/metrics` and the dashboard's health panel), and reports a broker
//! error or an opened circuit breaker as an alert; after each call it reads the link's
//! circuit breaker and rate-limit use.

use std::sync::Arc;
use std::time::Instant;

use rust_decimal::Decimal;

use alphastock_core::order::{Fill, OrderRequest};

use super::hub::Live;
use crate::broker::{
    Broker, BrokerError, BrokerFunds, BrokerOrder, BrokerPosition, BrokerQuote, InstrumentKey,
};

/// The wrapped broker.
pub struct Metered {
    inner: Box<dyn Broker>,
    live: Arc<Live>,
}

impl Metered {
    /// Counts the calls of `inner` into `live`.
    pub fn new(inner: Box<dyn Broker>, live: Arc<Live>) -> Self {
        Self { inner, live }
    }

    fn timed<T>(
        &mut self,
        endpoint: &str,
        call: impl FnOnce(&mut dyn Broker) -> Result<T, BrokerError>,
    ) -> Result<T, BrokerError> {
        let started = Instant::now();
        let result = call(self.inner.as_mut());
        let error = result.as_ref().err().map(|e| e.to_string());
        self.live
            .record_api(endpoint, started.elapsed().as_secs_f64(), error.as_deref());
        self.live.set_link(self.inner.link_health());
        result
    }
}

impl Broker for Metered {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn session_lost(&self) -> Option<String> {
        self.inner.session_lost()
    }

    fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError> {
        self.timed("place_order", |b| b.place_order(request))
    }

    fn modify_order(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: Option<u32>,
    ) -> Result<(), BrokerError> {
        self.timed("modify_order", |b| {
            b.modify_order(order_id, price, quantity)
        })
    }

    fn modify_stop(
        &mut self,
        order_id: &str,
        trigger: Decimal,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError> {
        self.timed("modify_stop", |b| {
            b.modify_stop(order_id, trigger, price, quantity)
        })
    }

    fn convert_stop_to_limit(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError> {
        self.timed("convert_stop_to_limit", |b| {
            b.convert_stop_to_limit(order_id, price, quantity)
        })
    }

    fn cancel_order(&mut self, order_id: &str) -> Result<(), BrokerError> {
        self.timed("cancel_order", |b| b.cancel_order(order_id))
    }

    fn order_book(&mut self) -> Result<Vec<BrokerOrder>, BrokerError> {
        self.timed("order_book", |b| b.order_book())
    }

    fn trade_book(&mut self) -> Result<Vec<Fill>, BrokerError> {
        self.timed("trade_book", |b| b.trade_book())
    }

    fn positions(&mut self) -> Result<Vec<BrokerPosition>, BrokerError> {
        self.timed("positions", |b| b.positions())
    }

    fn funds(&mut self) -> Result<BrokerFunds, BrokerError> {
        self.timed("funds", |b| b.funds())
    }

    fn quotes(&mut self, keys: &[InstrumentKey]) -> Result<Vec<BrokerQuote>, BrokerError> {
        self.timed("quotes", |b| b.quotes(keys))
    }
}
