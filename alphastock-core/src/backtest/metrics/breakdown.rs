//! Per-strategy and per-symbol breakdown: trades, wins, net and gross P&L and win rate of the
//! trades grouped by a key (the strategy name, the underlying).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::backtest::TradeRecord;

/// The results of one group of trades.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    /// Closed trades.
    pub trades: usize,
    /// Trades with net P&L > 0.
    pub wins: usize,
    /// Σ net P&L, rupees.
    pub net_pnl: Decimal,
    /// Σ gross P&L, rupees.
    pub gross_pnl: Decimal,
    /// wins / trades (0–1).
    pub win_rate: f64,
}

/// Trades grouped by a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// One row per key, in key order.
    pub rows: BTreeMap<String, BreakdownRow>,
}

impl Breakdown {
    /// Groups the trades by `key`.
    pub fn by(trades: &[TradeRecord], key: impl Fn(&TradeRecord) -> String) -> Breakdown {
        let mut rows: BTreeMap<String, BreakdownRow> = BTreeMap::new();
        for t in trades {
            let row = rows.entry(key(t)).or_default();
            row.trades += 1;
            if t.net_pnl > Decimal::ZERO {
                row.wins += 1;
            }
            row.net_pnl += t.net_pnl;
            row.gross_pnl += t.gross_pnl;
        }
        for row in rows.values_mut() {
            row.win_rate = row.wins as f64 / row.trades as f64;
        }
        Breakdown { rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::metrics::testing::trade;
    use rust_decimal_macros::dec;

    #[test]
    fn groups_by_strategy_and_by_symbol() {
        let trades = [
            trade(dec!(100), dec!(110), "NIFTY", "ema"),
            trade(dec!(-40), dec!(-30), "BANKNIFTY", "ema"),
            trade(dec!(60), dec!(70), "NIFTY", "rsi"),
        ];
        let s = Breakdown::by(&trades, |t| t.strategy.clone()).rows;
        assert_eq!(s["ema"].trades, 2);
        assert_eq!(s["ema"].net_pnl, dec!(60));
        assert_eq!(s["ema"].win_rate, 0.5);
        assert_eq!(s["rsi"].gross_pnl, dec!(70));
        let y = Breakdown::by(&trades, |t| t.underlying.as_str().to_string()).rows;
        assert_eq!(y["NIFTY"].net_pnl, dec!(160));
        assert_eq!(y["NIFTY"].wins, 2);
        assert_eq!(y["BANKNIFTY"].wins, 0);
    }
}
