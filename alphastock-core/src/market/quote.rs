use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{IstTime, MarketError, OptionContract, OptionType, Symbol};

/// A snapshot of an underlying's market, as polled from the broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// Which instrument.
    pub symbol: Symbol,
    /// Last traded price, rupees.
    pub ltp: Decimal,
    /// Day's open, rupees.
    pub open: Decimal,
    /// Day's high so far, rupees.
    pub high: Decimal,
    /// Day's low so far, rupees.
    pub low: Decimal,
    /// Previous session's close, rupees.
    pub close: Decimal,
    /// Cumulative traded volume for the day, in units (shares / contracts × lot).
    pub volume: u64,
    /// Best bid, rupees, when known.
    pub bid: Option<Decimal>,
    /// Best ask, rupees, when known.
    pub ask: Option<Decimal>,
    /// Open interest in units, for derivatives.
    pub oi: Option<u64>,
    /// When the quote was taken (IST).
    pub timestamp: IstTime,
}

impl Quote {
    /// Checks that the prices are positive and consistent (low ≤ ltp ≤ high, bid ≤ ask).
    pub fn validate(&self) -> Result<(), MarketError> {
        for (field, v) in [
            ("ltp", self.ltp),
            ("open", self.open),
            ("high", self.high),
            ("low", self.low),
        ] {
            if v <= Decimal::ZERO {
                return Err(MarketError::BadPrice {
                    field,
                    value: v.to_string(),
                });
            }
        }
        if self.low > self.high || self.ltp < self.low || self.ltp > self.high {
            return Err(MarketError::Inconsistent {
                what: "quote",
                reason: format!(
                    "ltp {} outside day range low {} .. high {}",
                    self.ltp, self.low, self.high
                ),
            });
        }
        if let (Some(b), Some(a)) = (self.bid, self.ask) {
            if b > a {
                return Err(MarketError::Inconsistent {
                    what: "quote",
                    reason: format!("bid {b} above ask {a}"),
                });
            }
        }
        Ok(())
    }
}

/// Black-Scholes sensitivities of one option, in trader's units.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Greeks {
    /// ∂price/∂spot, rupees per rupee of underlying (0..1 for CE, −1..0 for PE).
    pub delta: f64,
    /// ∂delta/∂spot, per rupee of underlying.
    pub gamma: f64,
    /// Price change per calendar day passing, rupees (annual theta / 365; usually negative).
    pub theta_per_day: f64,
    /// Price change per 1 volatility point (0.01 of σ), rupees.
    pub vega_per_point: f64,
    /// Price change per 1 % change of the risk-free rate, rupees.
    pub rho_per_pct: f64,
}

/// A quote for one option contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionQuote {
    /// The contract quoted.
    pub contract: OptionContract,
    /// Last traded premium, rupees per unit.
    pub premium: Decimal,
    /// Best bid, rupees, when known.
    pub bid: Option<Decimal>,
    /// Best ask, rupees, when known.
    pub ask: Option<Decimal>,
    /// Contracts traded today, in units; `None` when the source did not say (unknown, never
    /// read as zero: the liquidity filter refuses it by name).
    pub volume: Option<u64>,
    /// Open interest, in units; `None` when the source did not say (unknown, not zero).
    pub oi: Option<u64>,
    /// Implied volatility as a fraction (0.185 = 18.5 %), when known.
    pub iv: Option<f64>,
    /// Greeks, when known.
    pub greeks: Option<Greeks>,
    /// When the quote was taken (IST).
    pub timestamp: IstTime,
}

impl OptionQuote {
    /// Bid/ask spread as a percent of the mid price (5.0 = 5 %), when both sides are known and
    /// the mid is positive.
    pub fn spread_pct(&self) -> Option<Decimal> {
        let (b, a) = (self.bid?, self.ask?);
        let mid = (a + b) / Decimal::TWO;
        if mid <= Decimal::ZERO || a < b {
            return None;
        }
        Some((a - b) / mid * Decimal::ONE_HUNDRED)
    }
}

/// All quoted contracts of one underlying for one expiry, with the spot they were seen against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionChain {
    /// The underlying.
    pub underlying: Symbol,
    /// Underlying spot price when the chain was taken, rupees.
    pub spot: Decimal,
    /// Expiry date of every contract in the chain.
    pub expiry: NaiveDate,
    /// When the chain was taken (IST).
    pub timestamp: IstTime,
    /// The quotes, in any order.
    pub quotes: Vec<OptionQuote>,
}

impl OptionChain {
    /// The distinct strikes in ascending order.
    pub fn strikes(&self) -> Vec<Decimal> {
        let mut s: Vec<Decimal> = self.quotes.iter().map(|q| q.contract.strike).collect();
        s.sort();
        s.dedup();
        s
    }

    /// The quote for a strike and type, if present.
    pub fn get(&self, strike: Decimal, option_type: OptionType) -> Option<&OptionQuote> {
        self.quotes
            .iter()
            .find(|q| q.contract.strike == strike && q.contract.option_type == option_type)
    }

    /// The quote for a trading symbol, if present.
    pub fn by_trading_symbol(&self, trading_symbol: &str) -> Option<&OptionQuote> {
        self.quotes
            .iter()
            .find(|q| q.contract.trading_symbol == trading_symbol)
    }
}
