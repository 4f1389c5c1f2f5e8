//! One closed trade as the `--json` output writes it, serialised straight from the record:
//! the same bytes as [`trade_json`](crate::commands::backtest::trade_json) printed (keys in
//! the same sorted order, money as JSON numbers of rupees, `null` where undefined), without
//! building a JSON map per trade.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use alphastock_core::backtest::TradeRecord;

/// A trade's JSON fields, in the sorted key order of the JSON map.
#[derive(Serialize)]
struct TradeRow<'a> {
    charges: Option<f64>,
    direction: &'static str,
    entry_price: Option<f64>,
    entry_time: String,
    exit_decided_at: String,
    exit_price: Option<f64>,
    exit_reason: &'a str,
    exit_time: String,
    expiry: Option<String>,
    gross_pnl: Option<f64>,
    initial_stop: Option<f64>,
    initial_target: Option<f64>,
    net_pnl: Option<f64>,
    option_type: Option<String>,
    order_side: &'static str,
    product: &'static str,
    quantity: u32,
    signal_time: String,
    strategy: &'a str,
    strike: Option<f64>,
    trading_symbol: &'a str,
    underlying: &'a str,
}

/// Rupees as a JSON number (`null` when not representable), as the JSON map writes them.
fn rupees(d: Decimal) -> Option<f64> {
    d.to_f64()
}

/// Writes `t` as one JSON object (no newline).
pub(crate) fn write_json(out: &mut impl std::io::Write, t: &TradeRecord) -> serde_json::Result<()> {
    let row = TradeRow {
        charges: rupees(t.charges),
        direction: super::super::direction(t),
        entry_price: rupees(t.entry_price),
        entry_time: t.entry_time.to_rfc3339(),
        exit_decided_at: t.exit_decided_at.to_rfc3339(),
        exit_price: rupees(t.exit_price),
        exit_reason: &t.exit_reason,
        exit_time: t.exit_time.to_rfc3339(),
        expiry: t.expiry.map(|e| e.to_string()),
        gross_pnl: rupees(t.gross_pnl),
        initial_stop: rupees(t.initial_stop),
        initial_target: rupees(t.initial_target),
        net_pnl: rupees(t.net_pnl),
        option_type: t.option_type.map(|o| o.to_string()),
        order_side: t.order_side.code(),
        product: t.product.code(),
        quantity: t.quantity,
        signal_time: t.signal_time.to_rfc3339(),
        strategy: &t.strategy,
        strike: t.strike.and_then(rupees),
        trading_symbol: &t.trading_symbol,
        underlying: t.underlying.as_str(),
    };
    serde_json::to_writer(out, &row)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{args, fixture};
    use super::*;
    use crate::commands::backtest::{backtest, load_inputs, trade_json};

    /// Option trades of the fixture, and the same as stock trades (no contract), render to
    /// the bytes of the JSON map.
    #[test]
    fn rows_are_the_json_maps_bytes() {
        let a = args(vec![fixture("fixtures/candles/synthetic_5min.csv")]);
        let inputs = load_inputs(&a).unwrap().unwrap();
        let trades = backtest(&inputs, &inputs.config, &inputs.candles, None)
            .unwrap()
            .trades;
        assert!(!trades.is_empty());
        for mut t in trades {
            for _ in 0..2 {
                let mut row = Vec::new();
                write_json(&mut row, &t).unwrap();
                assert_eq!(String::from_utf8(row).unwrap(), trade_json(&t).to_string());
                t.expiry = None;
                t.strike = None;
                t.option_type = None;
                t.exit_reason = "a \"quoted\" reason\n".to_string();
            }
        }
    }
}
