//! The loop timer of `alphastock run`: cadences for market data and options, feeding the engine
//! and carrying out its actions through a broker.

pub mod cadence;
pub mod executor;
