//! Win rate: winning trades (net P&L > 0) divided by all closed trades, a fraction.
//! Definition: <https://www.investopedia.com/terms/w/win-loss-ratio.asp>.

use rust_decimal::Decimal;

use crate::backtest::TradeRecord;

/// Wins, losses and the win rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WinRate {
    /// Trades with net P&L > 0.
    pub wins: usize,
    /// Trades with net P&L < 0.
    pub losses: usize,
    /// wins / trades (0–1); `None` without trades.
    pub value: Option<f64>,
}

impl WinRate {
    /// Counts the trades.
    pub fn calculate(trades: &[TradeRecord]) -> WinRate {
        let wins = trades.iter().filter(|t| t.net_pnl > Decimal::ZERO).count();
        let losses = trades.iter().filter(|t| t.net_pnl < Decimal::ZERO).count();
        let value = (!trades.is_empty()).then(|| wins as f64 / trades.len() as f64);
        WinRate {
            wins,
            losses,
            value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::metrics::testing::trade;
    use rust_decimal_macros::dec;

    #[test]
    fn three_wins_in_five_trades_with_one_scratch_is_sixty_percent() {
        let trades = [
            trade(dec!(100), dec!(120), "NIFTY", "a"),
            trade(dec!(50), dec!(70), "NIFTY", "a"),
            trade(dec!(10), dec!(30), "NIFTY", "a"),
            trade(dec!(-40), dec!(-20), "NIFTY", "a"),
            trade(dec!(0), dec!(20), "NIFTY", "a"),
        ];
        let w = WinRate::calculate(&trades);
        assert_eq!((w.wins, w.losses), (3, 1));
        assert_eq!(w.value, Some(0.6));
        assert_eq!(WinRate::calculate(&[]).value, None);
    }
}
