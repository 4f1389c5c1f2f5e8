use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{MarketError, Symbol};

/// An exchange segment as the broker names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Exchange {
    /// National Stock Exchange, cash market and indices.
    Nse,
    /// BSE, cash market and indices.
    Bse,
    /// NSE futures and options.
    Nfo,
    /// BSE futures and options.
    Bfo,
}

impl Exchange {
    /// The exchange code as the broker spells it (`NSE`, `BSE`, `NFO`, `BFO`).
    pub fn code(self) -> &'static str {
        match self {
            Exchange::Nse => "NSE",
            Exchange::Bse => "BSE",
            Exchange::Nfo => "NFO",
            Exchange::Bfo => "BFO",
        }
    }

    /// The derivatives segment belonging to a cash segment (NSE → NFO, BSE → BFO); a
    /// derivatives segment maps to itself.
    pub fn derivatives(self) -> Exchange {
        match self {
            Exchange::Nse | Exchange::Nfo => Exchange::Nfo,
            Exchange::Bse | Exchange::Bfo => Exchange::Bfo,
        }
    }

    /// True for the derivatives segments NFO and BFO.
    pub fn is_derivatives(self) -> bool {
        matches!(self, Exchange::Nfo | Exchange::Bfo)
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Exchange {
    type Err = MarketError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "NSE" => Ok(Exchange::Nse),
            "BSE" => Ok(Exchange::Bse),
            "NFO" => Ok(Exchange::Nfo),
            "BFO" => Ok(Exchange::Bfo),
            _ => Err(MarketError::UnknownExchange(s.to_string())),
        }
    }
}

/// Call (CE) or put (PE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OptionType {
    /// Call option: gains when the underlying rises. Bought on a bullish signal.
    CE,
    /// Put option: gains when the underlying falls. Bought on a bearish signal.
    PE,
}

impl OptionType {
    /// +1 for a call, −1 for a put: the sign of the option's delta.
    pub fn sign(self) -> f64 {
        match self {
            OptionType::CE => 1.0,
            OptionType::PE => -1.0,
        }
    }

    /// `CE` or `PE`.
    pub fn code(self) -> &'static str {
        match self {
            OptionType::CE => "CE",
            OptionType::PE => "PE",
        }
    }
}

impl fmt::Display for OptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for OptionType {
    type Err = MarketError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "CE" | "CALL" | "C" => Ok(OptionType::CE),
            "PE" | "PUT" | "P" => Ok(OptionType::PE),
            _ => Err(MarketError::UnknownOptionType(s.to_string())),
        }
    }
}

/// One tradable option contract, as read from the broker's script master or option chain.
///
/// Lot and tick sizes change over time (NSE revised index lots in 2024 and 2025), so they are
/// data here, never constants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OptionContract {
    /// The underlying, e.g. `BANKNIFTY` or `NSE:SBIN`.
    pub underlying: Symbol,
    /// Expiry date (the contract expires at 15:30 IST on this day).
    pub expiry: NaiveDate,
    /// Strike price in rupees.
    pub strike: Decimal,
    /// CE or PE.
    pub option_type: OptionType,
    /// Contract size in units of the underlying per lot (e.g. 30 or 75 for BANKNIFTY over the years).
    pub lot_size: u32,
    /// Minimum price step in rupees (0.05 for NSE options).
    pub tick_size: Decimal,
    /// The broker's trading symbol, e.g. `BANKNIFTY24OCT51200CE`; taken from the script master.
    pub trading_symbol: String,
    /// Derivatives segment where it trades (NFO or BFO).
    pub exchange: Exchange,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_and_option_type_round_trip() {
        for e in [Exchange::Nse, Exchange::Bse, Exchange::Nfo, Exchange::Bfo] {
            assert_eq!(e.code().parse::<Exchange>().unwrap(), e);
        }
        assert_eq!("pe".parse::<OptionType>().unwrap(), OptionType::PE);
        assert!("XX".parse::<OptionType>().is_err());
        assert_eq!(Exchange::Bse.derivatives(), Exchange::Bfo);
    }
}
