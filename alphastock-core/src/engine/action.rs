use serde::{Deserialize, Serialize};

use crate::market::{IstTime, Symbol};
use crate::order::OrderRequest;
use crate::strategy::Signal;

/// Why an order is being placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrderPurpose {
    /// Opens a position for this signal.
    Entry {
        /// The signal on the underlying that led to the order.
        signal: Signal,
        /// Target premium (or price) in rupees the position will be exited at.
        target: rust_decimal::Decimal,
        /// Stop premium (or price) in rupees.
        stop: rust_decimal::Decimal,
    },
    /// Closes (part of) a position.
    Exit {
        /// Why: target, stop, trailing stop, time exit, kill switch, shutdown.
        reason: String,
    },
}

/// Severity of an alert for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertLevel {
    /// Worth knowing.
    Info,
    /// Needs attention soon (e.g. an order rejected).
    Warning,
    /// Needs attention now (kill switch tripped, an order in doubt).
    Critical,
}

/// Something worth recording (the run loop logs and stores these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record {
    /// A signal and what became of it.
    Signal {
        /// The signal.
        signal: Signal,
        /// `None` when it led to an order, else the reason it was dropped.
        rejected: Option<String>,
    },
    /// A position was closed (fully), with its result.
    PositionClosed {
        /// The option (or underlying) trading symbol.
        trading_symbol: String,
        /// The underlying.
        underlying: Symbol,
        /// Net P&L of the round trip after charges, rupees.
        net_pnl: rust_decimal::Decimal,
        /// Why it was closed.
        reason: String,
        /// When.
        at: IstTime,
    },
}

/// What the engine decided; the caller carries it out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Send this order to the broker.
    PlaceOrder {
        /// The order, priced on the tick grid, in whole lots.
        request: OrderRequest,
        /// Why.
        purpose: OrderPurpose,
    },
    /// Change the price of a resting order (e.g. chase an unfilled entry to the new ask).
    ModifyOrder {
        /// The broker's order id.
        order_id: String,
        /// The order's tag.
        tag: String,
        /// The new limit price in rupees, on the tick grid.
        price: rust_decimal::Decimal,
        /// Why.
        reason: String,
    },
    /// Move a resting protective stop-loss order (`SL`) in place: new trigger, limit and
    /// quantity, same order id (the trailing stop following the position).
    ModifyStop {
        /// The broker's order id.
        order_id: String,
        /// The order's tag.
        tag: String,
        /// The new trigger price in rupees, on the tick grid.
        trigger_price: rust_decimal::Decimal,
        /// The new limit price in rupees, on the tick grid.
        price: rust_decimal::Decimal,
        /// The new quantity, units (the whole position).
        quantity: u32,
        /// Why.
        reason: String,
    },
    /// Turn a resting protective stop-loss order (`SL`) into the position's exit in place:
    /// the same order id and tag become a `LIMIT` order at `price` with no trigger, for
    /// `quantity` units. The position has one order closing it at the broker throughout,
    /// never none and never two (see [`crate::engine::protect`]).
    ConvertStopToExit {
        /// The broker's order id of the stop.
        order_id: String,
        /// The stop's tag, now the exit's.
        tag: String,
        /// The exit's limit price in rupees, on the tick grid: for a sell, the lower of the
        /// marketable exit price and the stop's own limit.
        price: rust_decimal::Decimal,
        /// Units, the whole position (the stop's quantity).
        quantity: u32,
        /// Why the position exits.
        reason: String,
    },
    /// Cancel a resting order.
    CancelOrder {
        /// The broker's order id.
        order_id: String,
        /// The order's tag.
        tag: String,
        /// Why.
        reason: String,
    },
    /// Tell the operator.
    Alert {
        /// How urgent.
        level: AlertLevel,
        /// What happened, with the numbers.
        message: String,
    },
    /// Log and store.
    Record(Record),
}
