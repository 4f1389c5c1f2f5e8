//! [`MstockBroker`]: the [`Broker`] trait over the mStock client, with placement reconciled by
//! tag instead of retried.

use std::collections::BTreeMap;
use std::time::Duration;

use rust_decimal::Decimal;

use alphastock_core::market::IstTime;
use alphastock_core::order::{Fill, OrderRequest, OrderType, Validity};

use super::reconcile::{link_health, OrderDesk, TagReconciler};
use super::{
    Broker, BrokerError, BrokerFunds, BrokerOrder, BrokerPosition, BrokerQuote, InstrumentKey,
};
use crate::mstock::clock::IstClock;
use crate::mstock::{MstockClient, MstockError};

/// The mStock broker.
#[derive(Debug)]
pub struct MstockBroker {
    client: MstockClient,
    /// Placements sent once and reconciled by tag.
    reconciler: TagReconciler,
    /// The IST wall clock stamping what the broker reports.
    wall: IstClock,
}

impl MstockBroker {
    /// Wraps a client (logged in, or able to log in with TOTP).
    pub fn new(client: MstockClient) -> Self {
        Self {
            client,
            reconciler: TagReconciler::default(),
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
        self.reconciler.set_settle_delay(settle);
        self
    }

    /// The client.
    pub fn client(&mut self) -> &mut MstockClient {
        &mut self.client
    }

    /// Trading symbols with a placement whose outcome is still unknown, with its tag.
    pub fn in_doubt(&self) -> &BTreeMap<String, String> {
        self.reconciler.in_doubt()
    }

    /// Declares the placement in doubt for `trading_symbol` resolved by hand (e.g. after
    /// checking the broker's terminal), allowing new entries again.
    pub fn resolve_in_doubt(&mut self, trading_symbol: &str) {
        self.reconciler.resolve_in_doubt(trading_symbol);
    }
}

impl Broker for MstockBroker {
    fn name(&self) -> &str {
        "mstock"
    }

    /// An mStock session renews itself (TOTP) or fails call by call; it is never lost for good.
    fn session_lost(&self) -> Option<String> {
        None
    }

    fn link_health(&self) -> Option<super::LinkHealth> {
        Some(link_health(self.client.pipeline_ref()))
    }

    fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError> {
        let wall = self.wall.clone();
        self.reconciler
            .place(&mut self.client, request, move || wall.now())
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

    /// `PUT openapi/typea/orders/regular/{order_id}` with `order_type=LIMIT`, the limit, the
    /// quantity and no trigger: the official SDK's `modify_order`
    /// (`MiraeAsset-mStock/pytradingapi-typeA`, `tradingapi_a/mconnect.py`, as of April 2025)
    /// sends `order_type` with every modify, so a stop order's type can be changed in place.
    fn convert_stop_to_limit(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError> {
        // The same request as a re-price with its quantity: `order_type=LIMIT`, no trigger.
        self.modify_order(order_id, price, Some(quantity))
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

impl OrderDesk for MstockClient {
    fn place_once(&mut self, request: &OrderRequest) -> Result<String, MstockError> {
        self.place_order_once(request)
    }

    fn book(&mut self, now: IstTime) -> Result<Vec<BrokerOrder>, MstockError> {
        self.order_book(now)
    }

    fn pause(&self, d: Duration) {
        MstockClient::pause(self, d);
    }
}
