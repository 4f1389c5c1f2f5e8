//! Orders as the broker sees them: what to place ([`OrderRequest`]), what it became
//! ([`OrderUpdate`], [`OrderStatus`]) and what traded ([`Fill`]). Shared by the engine, the
//! paper broker and the mStock client so that every broker speaks the same language.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::{Exchange, IstTime};

/// Buy or sell, as sent to the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TransactionType {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

impl TransactionType {
    /// `BUY` or `SELL`, as the broker spells it.
    pub fn code(self) -> &'static str {
        match self {
            TransactionType::Buy => "BUY",
            TransactionType::Sell => "SELL",
        }
    }

    /// +1 for a buy, −1 for a sell: the sign a fill adds to a position.
    pub fn sign(self) -> i64 {
        match self {
            TransactionType::Buy => 1,
            TransactionType::Sell => -1,
        }
    }

    /// The opposite transaction (the one that closes a position opened by `self`).
    pub fn opposite(self) -> TransactionType {
        match self {
            TransactionType::Buy => TransactionType::Sell,
            TransactionType::Sell => TransactionType::Buy,
        }
    }
}

/// How the order is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum OrderType {
    /// At the best available price.
    Market,
    /// At `price` or better.
    Limit,
    /// Stop-loss limit: becomes a limit order at `price` once `trigger_price` trades.
    #[serde(rename = "SL")]
    StopLoss,
    /// Stop-loss market: becomes a market order once `trigger_price` trades.
    #[serde(rename = "SL-M")]
    StopLossMarket,
}

impl OrderType {
    /// `MARKET`, `LIMIT`, `SL` or `SL-M`, as the broker spells it.
    pub fn code(self) -> &'static str {
        match self {
            OrderType::Market => "MARKET",
            OrderType::Limit => "LIMIT",
            OrderType::StopLoss => "SL",
            OrderType::StopLossMarket => "SL-M",
        }
    }
}

/// Product (margin) type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Product {
    /// Intraday; the broker squares it off before the close.
    Mis,
    /// Normal carry-forward for derivatives.
    Nrml,
    /// Cash and carry (delivery) for equity.
    Cnc,
}

impl Product {
    /// `MIS`, `NRML` or `CNC`.
    pub fn code(self) -> &'static str {
        match self {
            Product::Mis => "MIS",
            Product::Nrml => "NRML",
            Product::Cnc => "CNC",
        }
    }
}

/// How long the order lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Validity {
    /// Until the end of the day.
    Day,
    /// Immediate or cancel.
    Ioc,
}

impl Validity {
    /// `DAY` or `IOC`.
    pub fn code(self) -> &'static str {
        match self {
            Validity::Day => "DAY",
            Validity::Ioc => "IOC",
        }
    }
}

/// An order ready to send to a broker. `quantity` is in units (lots × lot size) and `price` is
/// already on the instrument's tick grid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Unique client tag, used to find the order again after a timeout (reconciliation).
    pub tag: String,
    /// Segment, e.g. NFO for NSE options.
    pub exchange: Exchange,
    /// The broker's trading symbol.
    pub trading_symbol: String,
    /// Buy or sell.
    pub transaction_type: TransactionType,
    /// Market, limit, SL, SL-M.
    pub order_type: OrderType,
    /// Units (not lots); always a whole number of lots.
    pub quantity: u32,
    /// Limit price in rupees for LIMIT and SL orders.
    pub price: Option<Decimal>,
    /// Trigger price in rupees for SL and SL-M orders.
    pub trigger_price: Option<Decimal>,
    /// MIS, NRML or CNC.
    pub product: Product,
    /// DAY or IOC.
    pub validity: Validity,
}

/// Lifecycle state of an order, the same for the paper broker and the real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    /// Sent, not yet acknowledged by the exchange.
    Pending,
    /// Resting at the exchange, nothing filled.
    Open,
    /// Some quantity filled, the rest still resting.
    PartiallyFilled,
    /// Fully filled.
    Complete,
    /// Cancelled (the filled part, if any, stands).
    Cancelled,
    /// Refused by the broker or exchange.
    Rejected,
}

impl OrderStatus {
    /// True when the order can no longer change (complete, cancelled or rejected).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Complete | OrderStatus::Cancelled | OrderStatus::Rejected
        )
    }
}

/// The state of an order as last reported by the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderUpdate {
    /// The broker's order id.
    pub order_id: String,
    /// The client tag the order was placed with.
    pub tag: String,
    /// Current state.
    pub status: OrderStatus,
    /// Units filled so far.
    pub filled_quantity: u32,
    /// Average fill price in rupees, when anything filled.
    pub average_price: Option<Decimal>,
    /// The broker's message (e.g. the rejection reason).
    pub message: Option<String>,
    /// When the broker reported this state (IST).
    pub timestamp: IstTime,
}

/// One execution (trade) against an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// The broker's order id.
    pub order_id: String,
    /// The client tag of the order.
    pub tag: String,
    /// The broker's trade id; unique per fill, used to ignore a fill seen twice.
    pub trade_id: String,
    /// Segment.
    pub exchange: Exchange,
    /// Trading symbol.
    pub trading_symbol: String,
    /// Buy or sell.
    pub transaction_type: TransactionType,
    /// Units filled in this execution.
    pub quantity: u32,
    /// Execution price in rupees.
    pub price: Decimal,
    /// Execution time (IST).
    pub timestamp: IstTime,
}
