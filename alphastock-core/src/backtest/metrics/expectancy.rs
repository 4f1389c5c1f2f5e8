//! Expectancy: the mean net P&L per trade, rupees; equal to
//! win rate × average win + loss rate × average loss.
//! Definition: <https://www.investopedia.com/terms/e/expectancy.asp>.

use rust_decimal::Decimal;

use crate::backtest::TradeRecord;

/// Mean net P&L per trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expectancy {
    /// Σ net P&L / trades, rupees; `None` without trades.
    pub value: Option<Decimal>,
}

impl Expectancy {
    /// From the trades' net P&L.
    pub fn calculate(trades: &[TradeRecord]) -> Expectancy {
        let value = (!trades.is_empty()).then(|| {
            trades.iter().map(|t| t.net_pnl).sum::<Decimal>() / Decimal::from(trades.len())
        });
        Expectancy { value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::metrics::testing::trade;
    use rust_decimal_macros::dec;

    #[test]
    fn equals_win_rate_times_average_win_plus_loss_rate_times_average_loss() {
        // 2 wins averaging 200, 2 losses averaging −100: 0.5×200 + 0.5×(−100) = 50.
        let trades = [
            trade(dec!(300), dec!(0), "NIFTY", "a"),
            trade(dec!(100), dec!(0), "NIFTY", "a"),
            trade(dec!(-50), dec!(0), "NIFTY", "a"),
            trade(dec!(-150), dec!(0), "NIFTY", "a"),
        ];
        assert_eq!(Expectancy::calculate(&trades).value, Some(dec!(50)));
        assert_eq!(Expectancy::calculate(&[]).value, None);
    }
}
