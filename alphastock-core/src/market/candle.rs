use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{IstTime, MarketError, Symbol};

/// One OHLCV bar of an underlying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// The instrument.
    pub symbol: Symbol,
    /// Start of the bar's interval (IST). A 5-minute bar stamped 09:15 covers [09:15, 09:20).
    pub timestamp: IstTime,
    /// First price in the interval, rupees.
    pub open: Decimal,
    /// Highest price, rupees.
    pub high: Decimal,
    /// Lowest price, rupees.
    pub low: Decimal,
    /// Last price, rupees.
    pub close: Decimal,
    /// Units traded in the interval.
    pub volume: u64,
}

impl Candle {
    /// Checks that prices are positive and `low ≤ open, close ≤ high`.
    pub fn validate(&self) -> Result<(), MarketError> {
        for (field, v) in [
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
            ("close", self.close),
        ] {
            if v <= Decimal::ZERO {
                return Err(MarketError::BadPrice {
                    field,
                    value: v.to_string(),
                });
            }
        }
        if self.low > self.high
            || self.open < self.low
            || self.open > self.high
            || self.close < self.low
            || self.close > self.high
        {
            return Err(MarketError::Inconsistent {
                what: "candle",
                reason: format!(
                    "open {} / close {} must lie within low {} .. high {}",
                    self.open, self.close, self.low, self.high
                ),
            });
        }
        Ok(())
    }
}
