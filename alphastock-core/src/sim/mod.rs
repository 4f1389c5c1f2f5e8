//! Deterministic simulated market (seeded): underlying price paths for a trading day and option
//! chains priced with Black-Scholes from a volatility surface, with bid/ask, volume and OI on the
//! real expiry and strike grid; and a replay feed that turns recorded candles (and optional
//! option snapshots) into the same engine events.
//!
//! Pure: the seed is passed in, there is no global randomness, clock or I/O. See
//! [`SimMarket`] for the model, [`expiry`] for the expiry calendar and [`replay`] for the
//! replay feed and its option-snapshot CSV format.

mod bs;
mod chain;
mod config;
pub mod expiry;
pub mod lazy;
mod market;
pub mod recorded_chain;
pub mod replay;
mod rng;
pub mod warm;

pub use config::{SimConfig, SimUnderlyingConfig, VolSurfaceConfig};
pub use lazy::LazyChain;
pub(crate) use market::instrument_for as market_instrument_for;
pub use market::{trading_days, SimDays, SimMarket};

/// Why a simulated market could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The `simulation` section has invalid values.
    #[error("invalid simulation config: {0}")]
    InvalidConfig(String),
    /// An underlying has no contract facts (`market.instruments.<SYMBOL>`) and no built-in ones.
    #[error("no lot size / strike step for {symbol}: add market.instruments.{symbol}")]
    UnknownInstrument {
        /// The underlying.
        symbol: String,
    },
    /// A starting (previous close) price is not positive.
    #[error("start price of {symbol} must be positive, got {price}")]
    BadStartPrice {
        /// The underlying.
        symbol: String,
        /// The price given, rupees.
        price: String,
    },
    /// The session times of the day cannot be represented.
    #[error("the trading day cannot be represented in IST")]
    Calendar,
}

#[cfg(test)]
mod tests;
