use rust_decimal::Decimal;

use crate::market::{Candle, IstTime, OptionChain, OptionQuote, Quote};
use crate::order::{Fill, OrderUpdate};
use crate::sim::LazyChain;

/// Something that happened, with its timestamp. The engine's only input.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A polled quote of an underlying; the engine builds candles from these.
    Quote(Quote),
    /// A completed candle of an underlying (replay and backtest feed these directly).
    Candle(Candle),
    /// The latest option chain (or the watched part of it) of an underlying.
    OptionChain(OptionChain),
    /// The latest simulated option chain of an underlying, priced only for the contracts that
    /// are read (see [`LazyChain`]); otherwise the same as [`Event::OptionChain`] with that
    /// chain priced whole.
    LazyChain(LazyChain),
    /// A quote of one option contract (for exits and marking positions).
    OptionQuote(OptionQuote),
    /// The broker's latest state of an order.
    OrderUpdate(OrderUpdate),
    /// An execution.
    Fill(Fill),
    /// Available funds reported by the broker, rupees.
    Funds {
        /// Cash available for new positions, rupees.
        available: Decimal,
        /// When it was reported.
        at: IstTime,
    },
    /// A placement whose outcome is unknown (sent, then a timeout, and not found by its tag):
    /// the engine stops new entries in that underlying until the order is resolved by an
    /// [`Event::OrderUpdate`] with the same tag.
    OrderOutcomeUnknown {
        /// The tag of the order in doubt.
        tag: String,
        /// When the doubt arose.
        at: IstTime,
    },
    /// The broker refused to convert a protective stop order into its position's exit
    /// ([`crate::engine::Action::ConvertStopToExit`]), or its answer never came: the stop is
    /// taken to rest as it was, and the exit cancels it first instead.
    ConversionRefused {
        /// The stop order's tag.
        tag: String,
        /// The broker's message (or what went wrong on the way).
        message: String,
        /// When the answer came.
        at: IstTime,
    },
    /// The clock ticked (the loop timer); drives time exits, order time-outs and candle closes.
    Timer(IstTime),
    /// The operator asked to stop: no new entries from now on; with `flatten`, exit everything.
    Shutdown {
        /// Close all open positions too.
        flatten: bool,
        /// When it was asked.
        at: IstTime,
    },
}

impl Event {
    /// The event's timestamp (IST).
    pub fn timestamp(&self) -> IstTime {
        match self {
            Event::Quote(q) => q.timestamp,
            Event::Candle(c) => c.timestamp,
            Event::OptionChain(c) => c.timestamp,
            Event::LazyChain(c) => c.timestamp(),
            Event::OptionQuote(q) => q.timestamp,
            Event::OrderUpdate(u) => u.timestamp,
            Event::Fill(f) => f.timestamp,
            Event::Funds { at, .. }
            | Event::OrderOutcomeUnknown { at, .. }
            | Event::ConversionRefused { at, .. }
            | Event::Timer(at)
            | Event::Shutdown { at, .. } => *at,
        }
    }
}
