//! Net and gross P&L: the sums of the trades' net (after charges) and gross (before charges)
//! P&L, rupees, and the charges between them.
//! See <https://www.investopedia.com/terms/n/netincome.asp> for the net/gross distinction.

use rust_decimal::Decimal;

use crate::backtest::TradeRecord;

/// Summed P&L of the closed trades, rupees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PnlTotals {
    /// Σ net P&L (after charges), rupees.
    pub net: Decimal,
    /// Σ gross P&L (before charges), rupees.
    pub gross: Decimal,
    /// Σ charges, rupees (= gross − net).
    pub charges: Decimal,
}

impl PnlTotals {
    /// Sums the trades.
    pub fn calculate(trades: &[TradeRecord]) -> PnlTotals {
        let net: Decimal = trades.iter().map(|t| t.net_pnl).sum();
        let gross: Decimal = trades.iter().map(|t| t.gross_pnl).sum();
        PnlTotals {
            net,
            gross,
            charges: gross - net,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::metrics::testing::trade;
    use rust_decimal_macros::dec;

    #[test]
    fn sums_net_and_gross_and_charges_are_the_difference() {
        let trades = [
            trade(dec!(950), dec!(1000), "NIFTY", "a"),
            trade(dec!(-540), dec!(-500), "NIFTY", "a"),
        ];
        let t = PnlTotals::calculate(&trades);
        assert_eq!(t.net, dec!(410));
        assert_eq!(t.gross, dec!(500));
        assert_eq!(t.charges, dec!(90));
    }
}
