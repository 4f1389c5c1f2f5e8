//! Positions, fills, realised and unrealised P&L net of Indian F&O charges, and exit rules.
//!
//! [`Portfolio`] is built from [`crate::order::Fill`]s and marked from option quotes; it yields
//! the [`crate::risk::RiskBook`] the risk manager checks against. [`ExitRules`] decides, on every
//! quote, whether a position should be exited and why.

mod book;
mod charges;
mod exits;
mod position;

pub use book::{ClosedTrade, DayPnl, FillEffect, Portfolio, PortfolioError};
pub use charges::{ChargeSchedule, Charges};
pub use exits::{ExitConfig, ExitDecision, ExitReason, ExitRules, TrailingConfig};
pub use position::{Position, PositionMeta};
