//! Simulated chains at the candle's close.
//!
//! A replay with simulated options prices each candle's chain at the candle's **close** but
//! stamps it with the candle's **start** and sends it after the candle. The engine decides on a
//! candle at its end, so it would see the previous candle's chain, one candle old and too stale
//! for `max_chain_age_seconds`. [`ChainsAtClose`] puts each such chain where it belongs: stamped
//! at the candle's end (start + `candle_minutes`) and sent just before its candle, so a signal
//! on a candle is priced from the chain at that candle's close, and its entry order fills on
//! the next candle's chain.

use std::collections::VecDeque;

use chrono::Duration;

use crate::engine::Event;

/// Iterator adapter: re-stamps each simulated chain that directly follows its candle (same
/// underlying, same timestamp) to the candle's end and emits it before the candle. Other events
/// pass through unchanged and in order.
#[derive(Debug, Clone)]
pub struct ChainsAtClose<I> {
    inner: I,
    candle: Duration,
    out: VecDeque<Event>,
}

impl<I: Iterator<Item = Event>> ChainsAtClose<I> {
    /// Wraps `events` whose candles are `candle_minutes` long.
    pub fn new(events: I, candle_minutes: u32) -> Self {
        Self {
            inner: events,
            candle: Duration::minutes(i64::from(candle_minutes)),
            out: VecDeque::new(),
        }
    }
}

impl<I: Iterator<Item = Event>> Iterator for ChainsAtClose<I> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if let Some(e) = self.out.pop_front() {
            return Some(e);
        }
        let event = self.inner.next()?;
        let Event::Candle(candle) = &event else {
            return Some(event);
        };
        match self.inner.next() {
            Some(Event::OptionChain(mut chain))
                if chain.underlying == candle.symbol && chain.timestamp == candle.timestamp =>
            {
                let end = candle.timestamp + self.candle;
                chain.timestamp = end;
                for q in &mut chain.quotes {
                    q.timestamp = end;
                }
                self.out.push_back(event);
                Some(Event::OptionChain(chain))
            }
            Some(other) => {
                self.out.push_back(other);
                Some(event)
            }
            None => Some(event),
        }
    }
}
