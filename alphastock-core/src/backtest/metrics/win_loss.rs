//! Average win and average loss: the mean net P&L of the winning trades and of the losing
//! trades, rupees (the average loss is negative).
//! Definition: <https://www.investopedia.com/terms/a/average-loss.asp>.

use rust_decimal::Decimal;

use crate::backtest::TradeRecord;

/// Mean net P&L of winners and of losers, rupees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AverageWinLoss {
    /// Mean net P&L of trades with net P&L > 0; `None` without a win.
    pub average_win: Option<Decimal>,
    /// Mean net P&L of trades with net P&L < 0 (negative); `None` without a loss.
    pub average_loss: Option<Decimal>,
}

impl AverageWinLoss {
    /// Averages the winners and the losers.
    pub fn calculate(trades: &[TradeRecord]) -> AverageWinLoss {
        let mean = |keep: fn(Decimal) -> bool| {
            let xs: Vec<Decimal> = trades
                .iter()
                .map(|t| t.net_pnl)
                .filter(|x| keep(*x))
                .collect();
            (!xs.is_empty()).then(|| xs.iter().sum::<Decimal>() / Decimal::from(xs.len()))
        };
        AverageWinLoss {
            average_win: mean(|x| x > Decimal::ZERO),
            average_loss: mean(|x| x < Decimal::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::metrics::testing::trade;
    use rust_decimal_macros::dec;

    #[test]
    fn averages_winners_and_losers_separately() {
        let trades = [
            trade(dec!(300), dec!(320), "NIFTY", "a"),
            trade(dec!(100), dec!(120), "NIFTY", "a"),
            trade(dec!(-50), dec!(-30), "NIFTY", "a"),
            trade(dec!(-150), dec!(-130), "NIFTY", "a"),
            trade(dec!(-100), dec!(-80), "NIFTY", "a"),
        ];
        let a = AverageWinLoss::calculate(&trades);
        assert_eq!(a.average_win, Some(dec!(200)));
        assert_eq!(a.average_loss, Some(dec!(-100)));
    }
}
