use thiserror::Error;

/// Errors from building or validating market data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MarketError {
    /// A symbol could not be parsed; the text and the reason are kept.
    #[error("invalid symbol '{text}': {reason}")]
    InvalidSymbol {
        /// The text that was given.
        text: String,
        /// Why it is not a symbol.
        reason: String,
    },
    /// An exchange code that is not one of NSE, BSE, NFO, BFO.
    #[error("unknown exchange '{0}' (expected NSE, BSE, NFO or BFO)")]
    UnknownExchange(String),
    /// An option type other than CE or PE.
    #[error("unknown option type '{0}' (expected CE or PE)")]
    UnknownOptionType(String),
    /// A price that is not a finite, positive number of rupees.
    #[error("{field} must be a positive price, got {value}")]
    BadPrice {
        /// Which field (e.g. `ltp`, `high`).
        field: &'static str,
        /// The value as given.
        value: String,
    },
    /// A candle or quote whose fields contradict each other (e.g. high below low).
    #[error("inconsistent {what}: {reason}")]
    Inconsistent {
        /// What was checked (`candle`, `quote`).
        what: &'static str,
        /// What is wrong, with the numbers.
        reason: String,
    },
    /// Data for a different symbol than the one expected.
    #[error("expected data for {expected}, got {got}")]
    WrongSymbol {
        /// The symbol the receiver handles.
        expected: String,
        /// The symbol that arrived.
        got: String,
    },
}
