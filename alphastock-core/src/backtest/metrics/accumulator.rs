//! Every metric gathered one trade and one equity value at a time, in memory that does not grow
//! with the number of trades or bars (only with the number of strategies, symbols and days), so
//! a backtest can hand its trades on as they close. The figures are the same as the
//! slice-based calculators of this module give over the same trades and curve: money is summed
//! exactly in `Decimal`, so the order of summing does not matter.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::{
    BreakdownRow, DailyReturns, DrawdownTracker, Exposure, Metrics, SharpeRatio, SortinoRatio,
};
use crate::backtest::TradeRecord;

/// Running totals of a backtest's trades and equity curve (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsAccumulator {
    trades: usize,
    wins: usize,
    losses: usize,
    net: Decimal,
    gross: Decimal,
    /// Sum of the winning trades' net P&L, rupees.
    won: Decimal,
    /// Sum of the losing trades' net P&L, rupees (≤ 0).
    lost: Decimal,
    drawdown: DrawdownTracker,
    by_strategy: BTreeMap<String, BreakdownRow>,
    by_symbol: BTreeMap<String, BreakdownRow>,
}

impl MetricsAccumulator {
    /// Nothing seen yet; the equity curve starts from `starting_capital` (rupees).
    pub fn new(starting_capital: Decimal) -> Self {
        Self {
            trades: 0,
            wins: 0,
            losses: 0,
            net: Decimal::ZERO,
            gross: Decimal::ZERO,
            won: Decimal::ZERO,
            lost: Decimal::ZERO,
            drawdown: DrawdownTracker::new(starting_capital),
            by_strategy: BTreeMap::new(),
            by_symbol: BTreeMap::new(),
        }
    }

    /// Counts one closed round trip.
    pub fn add_trade(&mut self, t: &TradeRecord) {
        self.trades += 1;
        self.net += t.net_pnl;
        self.gross += t.gross_pnl;
        if t.net_pnl > Decimal::ZERO {
            self.wins += 1;
            self.won += t.net_pnl;
        } else if t.net_pnl < Decimal::ZERO {
            self.losses += 1;
            self.lost += t.net_pnl;
        }
        add_row(&mut self.by_strategy, &t.strategy, t);
        add_row(&mut self.by_symbol, t.underlying.as_str(), t);
    }

    /// Takes the next point of the equity curve, rupees.
    pub fn add_equity(&mut self, equity: Decimal) {
        self.drawdown.observe(equity);
    }

    /// Closed round trips counted so far.
    pub fn trade_count(&self) -> usize {
        self.trades
    }

    /// The metrics, with the end-of-day equity (rupees, date order), the starting capital
    /// (rupees) and the replayed steps (all, and those with a position open) for the ratios.
    pub fn finish(
        &self,
        daily_equity: &[(NaiveDate, Decimal)],
        starting_capital: Decimal,
        steps: u64,
        steps_in_market: u64,
    ) -> Metrics {
        let returns = DailyReturns::calculate(starting_capital, daily_equity);
        let mean = |sum: Decimal, n: usize| (n > 0).then(|| sum / Decimal::from(n));
        let dd = self.drawdown.result();
        let rows = |m: &BTreeMap<String, BreakdownRow>| {
            m.iter()
                .map(|(k, r)| {
                    let mut r = r.clone();
                    r.win_rate = r.wins as f64 / r.trades as f64;
                    (k.clone(), r)
                })
                .collect()
        };
        Metrics {
            net_pnl: self.net,
            gross_pnl: self.gross,
            charges: self.gross - self.net,
            trades: self.trades,
            wins: self.wins,
            losses: self.losses,
            win_rate: (self.trades > 0).then(|| self.wins as f64 / self.trades as f64),
            average_win: mean(self.won, self.wins),
            average_loss: mean(self.lost, self.losses),
            profit_factor: if self.lost.is_zero() {
                None
            } else {
                (self.won / self.lost.abs()).to_f64()
            },
            expectancy: mean(self.net, self.trades),
            max_drawdown: dd.rupees,
            max_drawdown_pct: dd.pct,
            sharpe: SharpeRatio::calculate(&returns.values).value,
            sortino: SortinoRatio::calculate(&returns.values).value,
            exposure: Exposure::calculate(steps, steps_in_market).fraction,
            by_strategy: rows(&self.by_strategy),
            by_symbol: rows(&self.by_symbol),
        }
    }
}

fn add_row(rows: &mut BTreeMap<String, BreakdownRow>, key: &str, t: &TradeRecord) {
    if !rows.contains_key(key) {
        rows.insert(key.to_string(), BreakdownRow::default());
    }
    if let Some(row) = rows.get_mut(key) {
        row.trades += 1;
        if t.net_pnl > Decimal::ZERO {
            row.wins += 1;
        }
        row.net_pnl += t.net_pnl;
        row.gross_pnl += t.gross_pnl;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::metrics::testing::trade;
    use crate::backtest::metrics::{
        AverageWinLoss, Breakdown, Expectancy, MaxDrawdown, PnlTotals, ProfitFactor, WinRate,
    };
    use crate::backtest::EquityPoint;
    use chrono::{DateTime, Duration};
    use proptest::prelude::*;

    proptest! {
        /// Trade by trade and point by point, the accumulator gives what each slice-based
        /// calculator gives over the whole list.
        #[test]
        fn matches_the_slice_calculators(
            pnls in prop::collection::vec((-50_000i64..50_000, 0i64..500, 0usize..3, 0usize..2), 0..60),
            curve in prop::collection::vec(-200_000i64..200_000, 0..80),
        ) {
            let capital = Decimal::from(1_000_000);
            let trades: Vec<TradeRecord> = pnls
                .iter()
                .map(|(net, charges, sym, strat)| {
                    let net = Decimal::new(*net, 2);
                    let gross = net + Decimal::new(*charges, 1);
                    trade(net, gross, ["NIFTY", "BANKNIFTY", "FINNIFTY"][*sym], ["a", "b"][*strat])
                })
                .collect();
            let t0 = DateTime::parse_from_rfc3339("2026-01-05T09:15:00+05:30").unwrap();
            let points: Vec<EquityPoint> = curve
                .iter()
                .enumerate()
                .map(|(i, e)| EquityPoint {
                    time: t0 + Duration::minutes(i as i64),
                    equity: capital + Decimal::new(*e, 1),
                })
                .collect();
            let daily: Vec<(NaiveDate, Decimal)> = points
                .iter()
                .step_by(7)
                .enumerate()
                .map(|(i, p)| (t0.date_naive() + Duration::days(i as i64), p.equity))
                .collect();
            let mut acc = MetricsAccumulator::new(capital);
            for t in &trades {
                acc.add_trade(t);
            }
            for p in &points {
                acc.add_equity(p.equity);
            }
            let m = acc.finish(&daily, capital, 100, 37);
            let totals = PnlTotals::calculate(&trades);
            let rate = WinRate::calculate(&trades);
            let wl = AverageWinLoss::calculate(&trades);
            let dd = MaxDrawdown::calculate(capital, &points);
            let returns = DailyReturns::calculate(capital, &daily);
            prop_assert_eq!(m.net_pnl, totals.net);
            prop_assert_eq!(m.gross_pnl, totals.gross);
            prop_assert_eq!(m.charges, totals.charges);
            prop_assert_eq!(m.trades, trades.len());
            prop_assert_eq!(acc.trade_count(), trades.len());
            prop_assert_eq!(m.wins, rate.wins);
            prop_assert_eq!(m.losses, rate.losses);
            prop_assert_eq!(m.win_rate, rate.value);
            prop_assert_eq!(m.average_win, wl.average_win);
            prop_assert_eq!(m.average_loss, wl.average_loss);
            prop_assert_eq!(m.profit_factor, ProfitFactor::calculate(&trades).value);
            prop_assert_eq!(m.expectancy, Expectancy::calculate(&trades).value);
            prop_assert_eq!(m.max_drawdown, dd.rupees);
            prop_assert_eq!(m.max_drawdown_pct, dd.pct);
            prop_assert_eq!(m.sharpe, SharpeRatio::calculate(&returns.values).value);
            prop_assert_eq!(m.sortino, SortinoRatio::calculate(&returns.values).value);
            prop_assert_eq!(m.exposure, 0.37);
            prop_assert_eq!(m.by_strategy, Breakdown::by(&trades, |t| t.strategy.clone()).rows);
            prop_assert_eq!(
                m.by_symbol,
                Breakdown::by(&trades, |t| t.underlying.as_str().to_string()).rows
            );
        }
    }
}
