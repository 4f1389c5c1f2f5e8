use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Exchange, MarketError};

/// An underlying or tradable symbol, e.g. `BANKNIFTY` (an index) or `NSE:SBIN` (a stock).
///
/// Text form: an optional `EXCHANGE:` prefix and a name of upper-case letters, digits and `-&_`.
/// A bare name (`BANKNIFTY`, `NIFTY`, `FINNIFTY`) denotes an index underlying; `NSE:SBIN` a cash
/// equity. Cheap to clone (shared string), usable as a map key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(Arc<str>);

impl Symbol {
    /// Parses and validates a symbol; see the type's docs for the accepted form.
    pub fn parse(text: &str) -> Result<Self, MarketError> {
        let text = text.trim();
        let bad = |reason: &str| MarketError::InvalidSymbol {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        if text.is_empty() {
            return Err(bad("empty"));
        }
        let name = match text.split_once(':') {
            Some((exch, name)) => {
                Exchange::from_str(exch)
                    .map_err(|_| bad("unknown exchange prefix (NSE, BSE, NFO, BFO)"))?;
                name
            }
            None => text,
        };
        if name.is_empty() {
            return Err(bad("empty name after the exchange prefix"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '&' | '_'))
        {
            return Err(bad(
                "name must be upper-case letters, digits, '-', '&' or '_'",
            ));
        }
        Ok(Self(Arc::from(text)))
    }

    /// The full text form, e.g. `NSE:SBIN` or `BANKNIFTY`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name without the exchange prefix (`SBIN` for `NSE:SBIN`).
    pub fn name(&self) -> &str {
        self.0.split_once(':').map_or(&self.0, |(_, n)| n)
    }

    /// The exchange prefix if one was given.
    pub fn explicit_exchange(&self) -> Option<Exchange> {
        self.0
            .split_once(':')
            .and_then(|(e, _)| Exchange::from_str(e).ok())
    }

    /// True for a bare name, which denotes an index underlying (BANKNIFTY, NIFTY, ...).
    pub fn is_index(&self) -> bool {
        !self.0.contains(':')
    }

    /// The cash-market exchange of the underlying: the explicit prefix, else BSE for the BSE
    /// indices (SENSEX, BANKEX), else NSE.
    pub fn cash_exchange(&self) -> Exchange {
        if let Some(e) = self.explicit_exchange() {
            return e;
        }
        match self.name() {
            "SENSEX" | "BANKEX" | "SENSEX50" => Exchange::Bse,
            _ => Exchange::Nse,
        }
    }

    /// The derivatives exchange where this underlying's options trade (NFO for NSE, BFO for BSE).
    pub fn derivatives_exchange(&self) -> Exchange {
        self.cash_exchange().derivatives()
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.0)
    }
}

impl FromStr for Symbol {
    type Err = MarketError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Symbol::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_index_and_stock_symbols() {
        let b = Symbol::parse("BANKNIFTY").unwrap();
        assert!(b.is_index());
        assert_eq!(b.derivatives_exchange(), Exchange::Nfo);
        let s = Symbol::parse("NSE:SBIN").unwrap();
        assert!(!s.is_index());
        assert_eq!(s.name(), "SBIN");
        assert_eq!(s.cash_exchange(), Exchange::Nse);
        assert_eq!(
            Symbol::parse("SENSEX").unwrap().derivatives_exchange(),
            Exchange::Bfo
        );
        assert_eq!(Symbol::parse("NSE:M&M").unwrap().name(), "M&M");
    }

    #[test]
    fn rejects_malformed_symbols() {
        for bad in ["", "XYZ:SBIN", "NSE:", "sbin", "NSE:SB IN"] {
            assert!(Symbol::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
