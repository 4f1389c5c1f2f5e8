//! Profit factor: the sum of the winning trades' net P&L divided by the absolute sum of the
//! losing trades' net P&L. Above 1 the strategy made money.
//! Definition: <https://www.investopedia.com/articles/fundamental-analysis/10/strategy-performance-reports.asp#toc-profit-factor>.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::backtest::TradeRecord;

/// Gross winnings over gross losings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProfitFactor {
    /// Σ wins / |Σ losses|; `None` when there is no losing trade (undefined).
    pub value: Option<f64>,
}

impl ProfitFactor {
    /// From the trades' net P&L.
    pub fn calculate(trades: &[TradeRecord]) -> ProfitFactor {
        let won: Decimal = trades
            .iter()
            .map(|t| t.net_pnl)
            .filter(|x| *x > Decimal::ZERO)
            .sum();
        let lost: Decimal = trades
            .iter()
            .map(|t| t.net_pnl)
            .filter(|x| *x < Decimal::ZERO)
            .sum();
        let value = if lost.is_zero() {
            None
        } else {
            (won / lost.abs()).to_f64()
        };
        ProfitFactor { value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::metrics::testing::trade;
    use rust_decimal_macros::dec;

    #[test]
    fn four_hundred_won_over_two_hundred_fifty_lost_is_one_point_six() {
        let trades = [
            trade(dec!(300), dec!(0), "NIFTY", "a"),
            trade(dec!(100), dec!(0), "NIFTY", "a"),
            trade(dec!(-250), dec!(0), "NIFTY", "a"),
        ];
        assert_eq!(ProfitFactor::calculate(&trades).value, Some(1.6));
        assert_eq!(ProfitFactor::calculate(&trades[..2]).value, None);
    }
}
