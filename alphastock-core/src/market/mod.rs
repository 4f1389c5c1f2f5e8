//! The market model: exchanges, symbols, option contracts, quotes, candles and option chains.
//!
//! All prices are [`Decimal`](rust_decimal::Decimal) rupees; all timestamps are
//! [`IstTime`] (`chrono::DateTime<FixedOffset>` at +05:30).

mod candle;
mod candle_builder;
pub mod candle_csv;
mod error;
mod instrument;
mod ist_day;
mod quote;
mod symbol;
mod time;

pub use candle::Candle;
pub use candle_builder::CandleBuilder;
pub use candle_csv::{
    parse_candle_rows, parse_candles, write_candles, CandleCsvError, CandleRowReader,
    CANDLE_CSV_HEADER,
};
pub use error::MarketError;
pub use instrument::{Exchange, OptionContract, OptionType};
pub use ist_day::IstDay;
pub use quote::{Greeks, OptionChain, OptionQuote, Quote};
pub use symbol::Symbol;
pub use time::{ist_offset, IstTime, MarketSession, IST};
