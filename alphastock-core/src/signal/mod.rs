//! Signal pipeline: validate a strategy signal, choose the option, price target and stop, check
//! risk and produce an order intent, or a rejection with its reason; or, for strategies that
//! trade the symbol itself, the underlying path ([`process_underlying`]).

mod config;
mod processor;
mod rejection;
mod underlying;
mod validate;

pub use config::EntryConfig;
pub use processor::{OrderIntent, ProcessContext, SignalProcessor};
pub use rejection::Rejection;
pub use underlying::{
    equity_trading_symbol, process_underlying, UnderlyingContext, UnderlyingIntent,
    UnderlyingTradingConfig,
};
pub use validate::{validate_signal, ValidationContext};
