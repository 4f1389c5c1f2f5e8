//! The [`Broker`] trait the run loop talks to, implemented by the mStock client and by the paper
//! broker. Everything the loop needs from a broker and nothing else: place, modify and cancel
//! orders; read orders, trades, positions, funds; quote instruments.
//!
//! Placement is the one non-idempotent call. Implementations must never retry it blindly: when a
//! placement's outcome is unknown (a timeout or 5xx after the request was sent) they look the
//! order up by its tag and adopt it, or return [`BrokerError::OutcomeUnknown`] so the caller stops
//! new entries for that underlying until it is resolved.

pub mod kite;
pub mod mstock;
pub mod paper;
pub mod reconcile;

pub use kite::KiteBroker;
pub use mstock::MstockBroker;
pub use paper::PaperBroker;

use rust_decimal::Decimal;

use alphastock_core::market::{Exchange, IstTime};
use alphastock_core::order::{Fill, OrderRequest, OrderStatus, OrderType, TransactionType};

/// An instrument to quote: exchange plus the broker's trading symbol (`NSE:SBIN`,
/// `NFO:BANKNIFTY25DEC51200CE`, `NSE:NIFTY BANK` for the index).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstrumentKey {
    /// Exchange segment.
    pub exchange: Exchange,
    /// The broker's trading symbol on that exchange.
    pub trading_symbol: String,
}

/// A quote as a broker reports it: last price, best bid/ask, day volume and open interest.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerQuote {
    /// Which instrument.
    pub key: InstrumentKey,
    /// Last traded price, rupees.
    pub ltp: Decimal,
    /// Day open, rupees.
    pub open: Decimal,
    /// Day high, rupees.
    pub high: Decimal,
    /// Day low, rupees.
    pub low: Decimal,
    /// Previous close, rupees.
    pub close: Decimal,
    /// Best bid, rupees, when known.
    pub bid: Option<Decimal>,
    /// Best ask, rupees, when known.
    pub ask: Option<Decimal>,
    /// Cumulative day volume, units; `None` when the broker's answer has none (unknown, not
    /// zero).
    pub volume: Option<u64>,
    /// Open interest, contracts, for derivatives.
    pub oi: Option<u64>,
    /// When the broker stamped it (IST), or when it was received.
    pub timestamp: IstTime,
}

/// One order as the broker's order book shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerOrder {
    /// The broker's order id.
    pub order_id: String,
    /// Our tag (the reconciliation key).
    pub tag: String,
    /// Exchange segment.
    pub exchange: Exchange,
    /// Trading symbol.
    pub trading_symbol: String,
    /// Buy or sell.
    pub transaction_type: TransactionType,
    /// Ordered quantity, units.
    pub quantity: u32,
    /// Filled quantity so far, units.
    pub filled_quantity: u32,
    /// Limit price, rupees, if any.
    pub price: Option<Decimal>,
    /// Trigger price of a stop-loss order, rupees (as last modified).
    pub trigger_price: Option<Decimal>,
    /// Order type as last modified (a stop-loss order converted into its position's exit
    /// reads `LIMIT`); `None` when the broker's row does not say.
    pub order_type: Option<OrderType>,
    /// Average fill price, rupees, once anything filled.
    pub average_price: Option<Decimal>,
    /// Current state.
    pub status: OrderStatus,
    /// The broker's status message (e.g. a rejection reason).
    pub message: Option<String>,
    /// Last update time (IST).
    pub updated_at: IstTime,
}

/// A net position as the broker reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerPosition {
    /// Exchange segment.
    pub exchange: Exchange,
    /// Trading symbol.
    pub trading_symbol: String,
    /// Net quantity in units: positive long, negative short.
    pub net_quantity: i64,
    /// Average price of the open quantity, rupees.
    pub average_price: Decimal,
    /// Last price, rupees.
    pub ltp: Decimal,
    /// Realised P&L today, rupees (before charges, as the broker reports it).
    pub realised_pnl: Decimal,
    /// Unrealised P&L, rupees.
    pub unrealised_pnl: Decimal,
}

/// Funds available for trading.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerFunds {
    /// Cash available for new positions, rupees.
    pub available: Decimal,
    /// Margin in use, rupees.
    pub used: Decimal,
}

/// What went wrong talking to a broker.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The broker refused the request; `error_type` and `message` are the broker's own.
    #[error("broker refused the request: {error_type}: {message}")]
    Rejected {
        /// The broker's error type (e.g. `InputException`, `OrderException`).
        error_type: String,
        /// The broker's message.
        message: String,
    },
    /// The session is missing or expired and could not be renewed.
    #[error("not logged in or session expired: {0}; run `alphastock login`")]
    Session(String),
    /// The broker could not be reached or did not answer in time (retries exhausted).
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    /// A placement was sent but its outcome is unknown and no order with its tag was found.
    #[error("outcome of order {tag} is unknown: {detail}; no new entries in this instrument until it is resolved")]
    OutcomeUnknown {
        /// The tag of the order in doubt.
        tag: String,
        /// What happened.
        detail: String,
    },
    /// A placement whose answer was lost, and whose tag the broker's order book, read
    /// afterwards, does not show: it never reached the broker. Safe to place again under a new
    /// tag.
    #[error("order {tag} did not reach the broker: {detail}")]
    NotPlaced {
        /// The tag of the order.
        tag: String,
        /// What happened.
        detail: String,
    },
    /// The broker's answer could not be understood.
    #[error("unexpected broker response: {0}")]
    Protocol(String),
    /// The request itself is invalid (e.g. an unknown instrument for the paper broker).
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// The broker operations the run loop needs. Blocking; implementations handle their own rate
/// limits, retries of idempotent reads and timeouts.
pub trait Broker {
    /// Short name for logs and the status line (`paper`, `mstock`).
    fn name(&self) -> &str;
    /// Places an order and returns the broker's order id. Never retried blindly: see the module
    /// docs.
    fn place_order(&mut self, request: &OrderRequest) -> Result<String, BrokerError>;
    /// Changes the limit price (and optionally quantity, units) of a resting order.
    fn modify_order(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: Option<u32>,
    ) -> Result<(), BrokerError>;
    /// Moves a resting stop-loss (`SL`) order in place: new `trigger` and limit `price`
    /// (rupees) and `quantity` (units), same order id. Every implementor writes it (there is no
    /// default): a broker that cannot refuses it itself, and a wrapper around another broker
    /// forwards it, so a wrapper can never silently refuse what its inner broker does.
    fn modify_stop(
        &mut self,
        order_id: &str,
        trigger: Decimal,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError>;
    /// Turns a resting stop-loss (`SL`) order into a `LIMIT` order in place: same order id,
    /// limit `price` (rupees), no trigger, `quantity` units (the position's exit, see
    /// `alphastock_core::engine::protect`). Required, like [`Broker::modify_stop`]: a broker
    /// that cannot refuses it itself, a wrapper forwards it.
    fn convert_stop_to_limit(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError>;
    /// Cancels a resting order.
    fn cancel_order(&mut self, order_id: &str) -> Result<(), BrokerError>;
    /// Today's orders.
    fn order_book(&mut self) -> Result<Vec<BrokerOrder>, BrokerError>;
    /// Today's executions.
    fn trade_book(&mut self) -> Result<Vec<Fill>, BrokerError>;
    /// Open net positions.
    fn positions(&mut self) -> Result<Vec<BrokerPosition>, BrokerError>;
    /// Funds available.
    fn funds(&mut self) -> Result<BrokerFunds, BrokerError>;
    /// Quotes for many instruments (implementations batch them).
    fn quotes(&mut self, keys: &[InstrumentKey]) -> Result<Vec<BrokerQuote>, BrokerError>;
    /// Why the broker's session is gone for good, when it is: it expired and cannot be renewed
    /// without the user (Kite's cannot: its login needs the browser). From then on nothing is
    /// sent, and the live loop stops without flattening, leaving the protective stop orders at
    /// the broker. `None` while the session is usable or can renew itself. Required, so a
    /// wrapper forwards it.
    fn session_lost(&self) -> Option<String>;
    /// The link's circuit breaker and rate-limit use, for the dashboard; `None` when the broker
    /// has neither (paper).
    fn link_health(&self) -> Option<LinkHealth> {
        None
    }
}

/// The state of a broker link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkHealth {
    /// The circuit breaker: `closed`, `closed (N failures in a row)`, `open (trial in N ms)`,
    /// `half-open`.
    pub breaker: String,
    /// True while the breaker is open (calls fail fast).
    pub breaker_open: bool,
    /// Each rate-limit window in use: (endpoint class, window seconds, calls used, limit).
    pub windows: Vec<(String, f64, u32, u32)>,
}
