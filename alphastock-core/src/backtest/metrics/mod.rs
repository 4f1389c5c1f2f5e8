//! Performance metrics of a backtest, one small module per metric, each with its definition.
//!
//! Conventions (all metrics):
//! - A **trade** is one closed round trip ([`TradeRecord`]); its result is its **net** P&L
//!   (after charges), rupees. A **win** has net P&L > 0, a **loss** net P&L < 0; a trade at
//!   exactly zero is neither (it still counts as a trade).
//! - **Equity** is starting capital + realised net P&L + open positions' net P&L at their last
//!   marks, rupees (see [`EquityPoint`]).
//! - **Daily returns** are end-of-day equity over the previous end-of-day equity, less one (the
//!   first day against the starting capital), as fractions; Sharpe and Sortino annualise them
//!   with √252 (252 trading days a year) and take a risk-free rate of zero.
//! - Ratios with no defined value (no trades, no losing trade, a flat equity curve) are `None`
//!   rather than infinity or NaN.

mod accumulator;
mod breakdown;
mod daily_returns;
mod drawdown;
mod expectancy;
mod exposure;
mod pnl;
mod profit_factor;
mod sharpe;
mod sortino;
mod win_loss;
mod win_rate;

pub use accumulator::MetricsAccumulator;
pub use breakdown::{Breakdown, BreakdownRow};
pub use daily_returns::DailyReturns;
pub use drawdown::{DrawdownTracker, MaxDrawdown};
pub use expectancy::Expectancy;
pub use exposure::Exposure;
pub use pnl::PnlTotals;
pub use profit_factor::ProfitFactor;
pub use sharpe::SharpeRatio;
pub use sortino::SortinoRatio;
pub use win_loss::AverageWinLoss;
pub use win_rate::WinRate;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::report::{EquityPoint, TradeRecord};

/// Trading days per year used to annualise daily Sharpe and Sortino ratios.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// What the metrics are computed from.
#[derive(Debug, Clone, Copy)]
pub struct MetricsInput<'a> {
    /// Closed round trips.
    pub trades: &'a [TradeRecord],
    /// Equity over time (see [`EquityPoint`]).
    pub equity_curve: &'a [EquityPoint],
    /// End-of-day equity, rupees, in date order.
    pub daily_equity: &'a [(NaiveDate, Decimal)],
    /// Starting capital, rupees.
    pub starting_capital: Decimal,
    /// Replayed time steps (distinct timestamps).
    pub steps: u64,
    /// Time steps at whose end at least one position was open.
    pub steps_in_market: u64,
}

/// Every metric of a backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Net P&L after charges, rupees.
    pub net_pnl: Decimal,
    /// Gross P&L before charges, rupees.
    pub gross_pnl: Decimal,
    /// Charges paid, rupees.
    pub charges: Decimal,
    /// Number of closed trades.
    pub trades: usize,
    /// Winning trades (net P&L > 0).
    pub wins: usize,
    /// Losing trades (net P&L < 0).
    pub losses: usize,
    /// Wins / trades, a fraction (0.6 = 60 %); `None` without trades.
    pub win_rate: Option<f64>,
    /// Mean net P&L of the winning trades, rupees.
    pub average_win: Option<Decimal>,
    /// Mean net P&L of the losing trades, rupees (negative).
    pub average_loss: Option<Decimal>,
    /// Gross winnings / gross losings (both from net P&L); `None` without a losing trade.
    pub profit_factor: Option<f64>,
    /// Mean net P&L per trade, rupees.
    pub expectancy: Option<Decimal>,
    /// Largest fall of equity from a previous peak, rupees (≥ 0).
    pub max_drawdown: Decimal,
    /// Largest fall of equity from a previous peak, percent of that peak (≥ 0).
    pub max_drawdown_pct: f64,
    /// Annualised Sharpe ratio of daily returns (√252, risk-free rate 0).
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio of daily returns (√252, target 0).
    pub sortino: Option<f64>,
    /// Fraction of replayed time steps with a position open (0–1).
    pub exposure: f64,
    /// Results per strategy name.
    pub by_strategy: BTreeMap<String, BreakdownRow>,
    /// Results per underlying symbol.
    pub by_symbol: BTreeMap<String, BreakdownRow>,
}

impl Metrics {
    /// Computes every metric (through a [`MetricsAccumulator`] fed every trade and curve
    /// point in order).
    pub fn calculate(input: &MetricsInput<'_>) -> Metrics {
        let mut acc = MetricsAccumulator::new(input.starting_capital);
        for t in input.trades {
            acc.add_trade(t);
        }
        for p in input.equity_curve {
            acc.add_equity(p.equity);
        }
        acc.finish(
            input.daily_equity,
            input.starting_capital,
            input.steps,
            input.steps_in_market,
        )
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use chrono::DateTime;
    use rust_decimal::Decimal;

    use crate::backtest::TradeRecord;
    use crate::market::Symbol;
    use crate::strategy::Side;

    /// A trade with the given net and gross P&L on `symbol` by `strategy`.
    pub fn trade(net: Decimal, gross: Decimal, symbol: &str, strategy: &str) -> TradeRecord {
        let t = DateTime::parse_from_rfc3339("2026-01-05T10:00:00+05:30").unwrap();
        TradeRecord {
            trading_symbol: format!("{symbol}X"),
            underlying: Symbol::parse(symbol).unwrap(),
            strategy: strategy.into(),
            side: Side::Buy,
            order_side: crate::order::TransactionType::Buy,
            signal_time: t,
            entry_time: t,
            exit_decided_at: t,
            exit_time: t,
            quantity: 75,
            entry_price: Decimal::ONE,
            exit_price: Decimal::ONE,
            initial_stop: Decimal::ONE,
            initial_target: Decimal::ONE,
            expiry: None,
            strike: None,
            option_type: None,
            product: crate::order::Product::Mis,
            gross_pnl: gross,
            charges: gross - net,
            net_pnl: net,
            exit_reason: "target".into(),
        }
    }
}
