use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::Symbol;
use crate::strategy::Side;

/// A trade asking for risk approval: a long option (or underlying) entry with its stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeProposal {
    /// The underlying the position is on (limits are per underlying).
    pub underlying: Symbol,
    /// Direction of the signal on the underlying (BUY bullish, SELL bearish).
    pub side: Side,
    /// The broker's trading symbol of what would be bought.
    pub trading_symbol: String,
    /// Expected entry premium (price) per unit, rupees.
    pub entry_premium: Decimal,
    /// Stop premium per unit, rupees; must be below `entry_premium`.
    pub stop_premium: Decimal,
    /// Units per lot.
    pub lot_size: u32,
    /// Funds available for new positions, rupees, when the broker reported them.
    pub available_funds: Option<Decimal>,
}

impl TradeProposal {
    /// Premium of one lot: `entry_premium` × `lot_size`, rupees.
    pub fn premium_per_lot(&self) -> Option<Decimal> {
        self.entry_premium.checked_mul(Decimal::from(self.lot_size))
    }

    /// Loss of one lot if the stop is hit: (`entry_premium` − `stop_premium`) × `lot_size`, rupees.
    pub fn loss_per_lot(&self) -> Option<Decimal> {
        (self.entry_premium - self.stop_premium).checked_mul(Decimal::from(self.lot_size))
    }
}

/// A proposal the risk manager approved, with its size. Only the risk module can build one, so
/// holding a `RiskApproved` proves the trade passed every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskApproved {
    proposal: TradeProposal,
    lots: u32,
    quantity: u32,
    max_loss: Decimal,
    premium_outlay: Decimal,
}

impl RiskApproved {
    pub(super) fn new(
        proposal: TradeProposal,
        lots: u32,
        quantity: u32,
        max_loss: Decimal,
        premium_outlay: Decimal,
    ) -> Self {
        Self {
            proposal,
            lots,
            quantity,
            max_loss,
            premium_outlay,
        }
    }

    /// The approved proposal.
    pub fn proposal(&self) -> &TradeProposal {
        &self.proposal
    }

    /// Approved size in lots (at least 1).
    pub fn lots(&self) -> u32 {
        self.lots
    }

    /// Approved size in units: `lots` × lot size.
    pub fn quantity(&self) -> u32 {
        self.quantity
    }

    /// Loss at the stop for the approved quantity, rupees.
    pub fn max_loss(&self) -> Decimal {
        self.max_loss
    }

    /// Premium paid for the approved quantity at the entry premium, rupees.
    pub fn premium_outlay(&self) -> Decimal {
        self.premium_outlay
    }

    /// Gives the proposal back.
    pub fn into_proposal(self) -> TradeProposal {
        self.proposal
    }
}

/// A proposal the risk manager refused, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("risk refused {}: {reason}", proposal.trading_symbol)]
pub struct RiskRefused {
    /// The refused proposal.
    pub proposal: TradeProposal,
    /// The check that refused it, with its numbers.
    pub reason: RiskRejection,
}

/// Which risk check refused a trade, with the numbers (rupees to two decimals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum RiskRejection {
    /// The proposal itself is unusable (zero lot size, stop not below entry, ...).
    #[error("invalid proposal: {0}")]
    Invalid(String),
    /// The kill switch is on: no new entries.
    #[error("kill switch on: {0}")]
    KillSwitch(String),
    /// Too many open positions.
    #[error("open positions {open} >= max positions {max}")]
    MaxPositions {
        /// Open positions now.
        open: usize,
        /// The configured maximum.
        max: i64,
    },
    /// Too many open positions in underlyings correlated with this one.
    #[error("{open} open position(s) in correlated underlyings ({group}) >= max correlated positions {max}")]
    Correlated {
        /// Open positions in the group.
        open: usize,
        /// The group's underlyings, comma-separated.
        group: String,
        /// The configured maximum.
        max: u32,
    },
    /// Sending one more order would exceed the per-second cap.
    #[error("orders in the last second {sent} >= max orders per second {max}")]
    OrdersPerSecond {
        /// Orders sent in the last second.
        sent: usize,
        /// The configured cap.
        max: u32,
    },
    /// Sending one more order would exceed the per-minute cap.
    #[error("orders in the last minute {sent} >= max orders per minute {max}")]
    OrdersPerMinute {
        /// Orders sent in the last sixty seconds.
        sent: usize,
        /// The configured cap.
        max: u32,
    },
    /// One lot costs more premium than allowed per trade.
    #[error("premium for one lot {premium:.2} > max premium per trade {max:.2}")]
    PremiumPerTrade {
        /// Premium of one lot, rupees.
        premium: Decimal,
        /// `max_premium_per_trade`, rupees.
        max: Decimal,
    },
    /// One lot would lose more than the risk budget at its stop.
    #[error("max loss {max_loss:.2} > risk budget {budget:.2}")]
    RiskBudget {
        /// Loss of one lot at the stop, rupees.
        max_loss: Decimal,
        /// `capital` × `risk_per_trade_pct` / 100, rupees.
        budget: Decimal,
    },
    /// One lot costs more than the available funds.
    #[error("premium for one lot {premium:.2} > available funds {available:.2}")]
    Funds {
        /// Premium of one lot, rupees.
        premium: Decimal,
        /// Available funds, rupees.
        available: Decimal,
    },
    /// One more lot would take the underlying's exposure over its limit.
    #[error(
        "exposure in {underlying} would be {would_be:.2} > max exposure per underlying {max:.2}"
    )]
    UnderlyingExposure {
        /// The underlying.
        underlying: String,
        /// Exposure after one more lot, rupees.
        would_be: Decimal,
        /// `max_exposure_per_underlying`, rupees.
        max: Decimal,
    },
    /// The underlying already holds its maximum lots.
    #[error("lots held in {underlying} {held} >= max lots per underlying {max}")]
    LotsPerUnderlying {
        /// The underlying.
        underlying: String,
        /// Lots held now (open and in flight).
        held: u64,
        /// `max_lots_per_underlying`.
        max: u32,
    },
    /// One more lot would take the total exposure over its limit.
    #[error("total exposure would be {would_be:.2} > max total exposure {max:.2}")]
    TotalExposure {
        /// Total exposure after one more lot, rupees.
        would_be: Decimal,
        /// `max_total_exposure`, rupees.
        max: Decimal,
    },
}
