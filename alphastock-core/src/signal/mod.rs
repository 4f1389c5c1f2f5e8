//! Signal pipeline: validate a strategy signal, choose the option, price target and stop, check
//! risk and produce an order intent, or a rejection with its reason.

mod config;
mod processor;
mod rejection;
mod validate;

pub use config::EntryConfig;
pub use processor::{OrderIntent, ProcessContext, SignalProcessor};
pub use rejection::Rejection;
pub use validate::{validate_signal, ValidationContext};
