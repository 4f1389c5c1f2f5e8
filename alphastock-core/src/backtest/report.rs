//! What a backtest produced: the trade list, the equity curve and the metrics.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::metrics::Metrics;
use crate::market::{IstTime, Symbol};
use crate::sim::replay::OptionSource;
use crate::strategy::Side;

/// One round trip: from the first entry fill to the fill that made the position flat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeRecord {
    /// The traded contract (option trading symbol, or the underlying).
    pub trading_symbol: String,
    /// The underlying whose signal opened the trade.
    pub underlying: Symbol,
    /// The strategy (or aggregated strategies) whose signal opened the trade.
    pub strategy: String,
    /// The signal's direction on the underlying (a `Buy` signal buys a CE).
    pub side: Side,
    /// Time of the first entry fill (IST).
    pub entry_time: IstTime,
    /// Time of the fill that closed the position (IST).
    pub exit_time: IstTime,
    /// Units traded on entry (lots × lot size).
    pub quantity: u32,
    /// Average entry price, rupees per unit.
    pub entry_price: Decimal,
    /// Average exit price, rupees per unit.
    pub exit_price: Decimal,
    /// P&L before charges, rupees.
    pub gross_pnl: Decimal,
    /// Charges on both legs, rupees.
    pub charges: Decimal,
    /// P&L after charges, rupees (the engine's figure).
    pub net_pnl: Decimal,
    /// Why it was closed (target, stop, trailing stop, time exit, end of data, ...).
    pub exit_reason: String,
}

/// Equity at a point in time: starting capital plus realised net P&L plus the open positions'
/// net P&L at their last marks, rupees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EquityPoint {
    /// When (IST).
    pub time: IstTime,
    /// Equity, rupees.
    pub equity: Decimal,
}

/// The result of a backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestReport {
    /// Closed round trips in the order they closed.
    pub trades: Vec<TradeRecord>,
    /// Equity after every replayed timestamp at which it changed, plus the first and last.
    pub equity_curve: Vec<EquityPoint>,
    /// Equity at the end of each trading day (IST), rupees, in date order.
    pub daily_equity: Vec<(chrono::NaiveDate, Decimal)>,
    /// Starting capital, rupees.
    pub starting_capital: Decimal,
    /// The performance figures.
    pub metrics: Metrics,
    /// Where the option prices came from (recorded snapshots or the simulated surface).
    pub option_source: OptionSource,
    /// Positions still open at the end of the data (not in `trades`).
    pub open_at_end: usize,
    /// Events replayed.
    pub events: u64,
}
