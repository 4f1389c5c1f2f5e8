//! What a backtest produced: the trade list, the equity curve and the metrics.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::metrics::Metrics;
use crate::market::{IstTime, OptionType, Symbol};
use crate::order::{Product, TransactionType};
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
    /// The signal's direction on the underlying (`Buy` = bullish: it buys a CE; `Sell` =
    /// bearish: it buys a PE, or shorts a stock).
    pub side: Side,
    /// The side of the entry order (`Buy` for any bought option; `Sell` for a stock short).
    pub order_side: TransactionType,
    /// When the entry was decided (the engine's clock: the end of the signal's candle), IST.
    pub signal_time: IstTime,
    /// Time of the first entry fill (IST); never before `signal_time`.
    pub entry_time: IstTime,
    /// When the exit that closed the position was decided (its trigger), IST.
    pub exit_decided_at: IstTime,
    /// Time of the fill that closed the position (IST); never before `exit_decided_at`.
    pub exit_time: IstTime,
    /// Units traded on entry (lots × lot size).
    pub quantity: u32,
    /// Average entry price, rupees per unit.
    pub entry_price: Decimal,
    /// Average exit price, rupees per unit.
    pub exit_price: Decimal,
    /// The stop set at entry (premium for an option, price for a stock), rupees per unit.
    pub initial_stop: Decimal,
    /// The target set at entry, rupees per unit.
    pub initial_target: Decimal,
    /// The option's expiry date; `None` for a stock.
    pub expiry: Option<chrono::NaiveDate>,
    /// The option's strike, rupees; `None` for a stock.
    pub strike: Option<Decimal>,
    /// CE or PE; `None` for a stock.
    pub option_type: Option<OptionType>,
    /// The product of the entry (MIS positions never cross a session close).
    pub product: Product,
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
    /// Closed round trips in the order they closed (those not taken during the run by
    /// [`Backtester::drain_trades`](super::Backtester::drain_trades); the metrics count all).
    pub trades: Vec<TradeRecord>,
    /// Equity after every replayed timestamp at which it changed, plus the first and last
    /// (evenly thinned, the last point kept, when the backtester was given a curve limit by
    /// [`Backtester::with_curve_limit`](super::Backtester::with_curve_limit)).
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
    /// Signals the engine decided on (accepted or rejected).
    pub signals: u64,
    /// Rejected signals counted by reason, numbers taken out (see
    /// [`reason_kind`](super::runner::reason_kind)).
    pub rejections: std::collections::BTreeMap<String, u64>,
    /// Entries that never filled: the touch ran away beyond the tolerance, or the engine
    /// cancelled them unfilled.
    pub missed_entries: u64,
    /// Exits that met no quote before their session closed (then settled or squared off by
    /// force) or were still working at the end of the data.
    pub missed_exits: u64,
}
