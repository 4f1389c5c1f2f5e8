//! [`KiteBroker`]: the [`Broker`] trait over the Kite client, with placement reconciled by tag
//! (shared with mStock, [`super::reconcile`]), at most `modifications_per_order` modifications
//! of one order (Kite refuses more than 25), and trade tags taken from the order book, since
//! Kite's trade rows carry none.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rust_decimal::Decimal;

use alphastock_core::market::IstTime;
use alphastock_core::order::{Fill, OrderRequest, OrderType};

use super::reconcile::{link_health, OrderDesk, TagReconciler};
use super::{
    Broker, BrokerError, BrokerFunds, BrokerOrder, BrokerPosition, BrokerQuote, InstrumentKey,
    LinkHealth,
};
use crate::kite::client::LOGIN_HINT;
use crate::kite::KiteClient;
use crate::net::clock::IstClock;
use crate::net::ApiError;

/// The Kite broker.
#[derive(Debug)]
pub struct KiteBroker {
    client: KiteClient,
    reconciler: TagReconciler,
    wall: IstClock,
    /// Modifications sent per order id.
    modifications: HashMap<String, u32>,
    /// Order id → tag, from the last order book read.
    tags: HashMap<String, String>,
    /// Why the session ended, once Kite refused the token: nothing is sent after it.
    lost: Option<String>,
}

impl KiteBroker {
    /// Wraps a client holding a session (or a cached one to load).
    pub fn new(client: KiteClient) -> Self {
        Self {
            client,
            reconciler: TagReconciler::default(),
            wall: IstClock::system(),
            modifications: HashMap::new(),
            tags: HashMap::new(),
            lost: None,
        }
    }

    /// Stamps what the broker reports with `wall` instead of the real time (simulated
    /// sessions); the client's token validity follows the same clock.
    pub fn with_wall_clock(mut self, wall: IstClock) -> Self {
        self.client.set_wall_clock(wall.clone());
        self.wall = wall;
        self
    }

    /// Sets the pause before looking an order in doubt up in the order book.
    pub fn with_settle_delay(mut self, settle: Duration) -> Self {
        self.reconciler.set_settle_delay(settle);
        self
    }

    /// The client.
    pub fn client(&mut self) -> &mut KiteClient {
        &mut self.client
    }

    /// Trading symbols with a placement whose outcome is still unknown, with its tag.
    pub fn in_doubt(&self) -> &BTreeMap<String, String> {
        self.reconciler.in_doubt()
    }

    /// Counts one more modification of `order_id`, refusing it when Kite's limit is reached.
    fn count_modification(&mut self, order_id: &str) -> Result<(), BrokerError> {
        let limit = self.client.config().rate_limits.modifications_per_order;
        let used = self.modifications.entry(order_id.to_string()).or_insert(0);
        if *used >= limit {
            return Err(BrokerError::Rejected {
                error_type: "InputException".to_string(),
                message: format!(
                    "order {order_id} has been modified {used} times, Kite's limit \
                     (broker.kite.rate_limits.modifications_per_order); not sent"
                ),
            });
        }
        *used += 1;
        Ok(())
    }

    /// Fails fast once the session is lost; otherwise runs `call` and remembers a session
    /// error, which Kite cannot recover from without the user.
    fn guarded<T>(
        &mut self,
        call: impl FnOnce(&mut Self) -> Result<T, BrokerError>,
    ) -> Result<T, BrokerError> {
        if let Some(why) = &self.lost {
            return Err(BrokerError::Session(why.clone()));
        }
        let result = call(self);
        if let Err(BrokerError::Session(why)) = &result {
            self.lost = Some(if why.contains(LOGIN_HINT) {
                why.clone()
            } else {
                format!("{why}; {LOGIN_HINT}")
            });
        }
        result
    }

    fn read_book(&mut self) -> Result<Vec<BrokerOrder>, BrokerError> {
        let book = self.client.order_book(self.wall.now())?;
        for o in &book {
            if !o.tag.is_empty() {
                self.tags.insert(o.order_id.clone(), o.tag.clone());
            }
        }
        Ok(book)
    }
}

impl Broker for KiteBroker {
    fn name(&self) -> &str {
        "kite"
    }

    fn link_health(&self) -> Option<LinkHealth> {
        Some(link_health(self.client.pipeline_ref()))
    }

    fn session_lost(&self) -> Option<String> {
        self.lost.clone()
    }

    fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError> {
        let wall = self.wall.clone();
        self.guarded(|b| {
            b.reconciler
                .place(&mut b.client, request, move || wall.now())
        })
    }

    fn modify_order(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: Option<u32>,
    ) -> Result<(), BrokerError> {
        self.guarded(|b| {
            let quantity = match quantity {
                Some(q) => q,
                None => b
                    .read_book()?
                    .iter()
                    .find(|o| o.order_id == order_id)
                    .map(|o| o.quantity)
                    .ok_or_else(|| BrokerError::Invalid(format!("no order {order_id} today")))?,
            };
            b.count_modification(order_id)?;
            b.client
                .modify_order(order_id, OrderType::Limit, quantity, Some(price), None)?;
            Ok(())
        })
    }

    /// `PUT /orders/regular/{order_id}` with `order_type=SL`, the new trigger, limit and
    /// quantity (the SDK's `modify_order` parameters).
    fn modify_stop(
        &mut self,
        order_id: &str,
        trigger: Decimal,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError> {
        self.guarded(|b| {
            b.count_modification(order_id)?;
            b.client.modify_order(
                order_id,
                OrderType::StopLoss,
                quantity,
                Some(price),
                Some(trigger),
            )?;
            Ok(())
        })
    }

    /// `PUT /orders/regular/{order_id}` with `order_type=LIMIT`, the limit and the quantity,
    /// no trigger: the official SDK's `modify_order` (`zerodha/pykiteconnect`,
    /// `kiteconnect/connect.py`, as of April 2026) sends `quantity, price, order_type,
    /// trigger_price, validity, disclosed_quantity`, so a stop order's type can be changed in
    /// place. Counts as one of the order's modifications.
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
        self.guarded(|b| Ok(b.client.cancel_order(order_id)?))
    }

    fn order_book(&mut self) -> Result<Vec<BrokerOrder>, BrokerError> {
        self.guarded(|b| b.read_book())
    }

    /// Kite's trades with the tag of their order: from the orders already read, reading the
    /// order book again when a trade's order is not among them.
    fn trade_book(&mut self) -> Result<Vec<Fill>, BrokerError> {
        self.guarded(|b| {
            let mut fills = b.client.trades(b.wall.now())?;
            if fills.iter().any(|f| !b.tags.contains_key(&f.order_id)) {
                b.read_book()?;
            }
            for f in &mut fills {
                if f.tag.is_empty() {
                    if let Some(tag) = b.tags.get(&f.order_id) {
                        f.tag = tag.clone();
                    }
                }
            }
            Ok(fills)
        })
    }

    fn positions(&mut self) -> Result<Vec<BrokerPosition>, BrokerError> {
        self.guarded(|b| Ok(b.client.positions()?))
    }

    fn funds(&mut self) -> Result<BrokerFunds, BrokerError> {
        self.guarded(|b| Ok(b.client.margins()?))
    }

    fn quotes(&mut self, keys: &[InstrumentKey]) -> Result<Vec<BrokerQuote>, BrokerError> {
        self.guarded(|b| Ok(b.client.quotes(keys, b.wall.now())?))
    }
}

impl OrderDesk for KiteClient {
    fn place_once(&mut self, request: &OrderRequest) -> Result<String, ApiError> {
        self.place_order_once(request)
    }

    fn book(&mut self, now: IstTime) -> Result<Vec<BrokerOrder>, ApiError> {
        self.order_book(now)
    }

    fn pause(&self, d: Duration) {
        KiteClient::pause(self, d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kite::KiteCredentials;
    use crate::net::Secret;
    use alphastock_core::config::{KiteConfig, KiteRateLimitsConfig};

    /// A client for a closed loopback port (every call is refused before anything is sent).
    fn broker(modifications: u32, logged_in: bool) -> KiteBroker {
        let cfg = KiteConfig {
            base_url: "http://127.0.0.1:9".into(),
            rate_limits: KiteRateLimitsConfig {
                modifications_per_order: modifications,
                ..KiteRateLimitsConfig::default()
            },
            ..KiteConfig::default()
        };
        let creds = KiteCredentials {
            api_key: Secret::new("k"),
            api_secret: Secret::new("s"),
        };
        let mut client = KiteClient::new(cfg, creds);
        if logged_in {
            client.set_access_token(Secret::new("t"));
        }
        KiteBroker::new(client)
    }

    #[test]
    fn a_modification_past_the_limit_is_refused_before_it_is_sent() {
        let mut b = broker(2, true);
        let (t, p) = (Decimal::new(8020, 1), Decimal::new(8015, 1));
        for _ in 0..2 {
            let e = b.modify_stop("O1", t, p, 75).unwrap_err();
            assert!(matches!(e, BrokerError::Unavailable(_)), "{e}");
        }
        let e = b.modify_stop("O1", t, p, 75).unwrap_err();
        assert!(
            matches!(&e, BrokerError::Rejected { message, .. }
                if message.contains("modifications_per_order") && message.contains("not sent")),
            "{e}"
        );
        // Another order has its own count.
        let e = b.modify_order("O2", p, Some(75)).unwrap_err();
        assert!(matches!(e, BrokerError::Unavailable(_)), "{e}");
        assert_eq!(b.session_lost(), None);
    }

    #[test]
    fn without_a_session_nothing_is_sent_and_the_login_is_named() {
        let mut b = broker(25, false);
        let e = b.funds().unwrap_err();
        assert!(matches!(e, BrokerError::Session(_)), "{e}");
        let why = b.session_lost().unwrap();
        assert!(why.contains("alphastock login --broker kite"), "{why}");
        let e = b.quotes(&[]).unwrap_err();
        assert!(matches!(e, BrokerError::Session(_)), "{e}");
        assert!(b
            .place_order(&OrderRequest {
                tag: "AS1".into(),
                exchange: alphastock_core::market::Exchange::Nse,
                trading_symbol: "SBIN".into(),
                transaction_type: alphastock_core::order::TransactionType::Buy,
                order_type: OrderType::Limit,
                quantity: 1,
                price: Some(Decimal::ONE),
                trigger_price: None,
                product: alphastock_core::order::Product::Mis,
                validity: alphastock_core::order::Validity::Day,
            })
            .is_err());
    }
}
