//! Sources of engine events for `alphastock run`: the simulated market (the default), a replay
//! of recorded candles (and optional option snapshots), or the live market polled through a
//! broker (see [`super::live`]).

use alphastock_core::engine::Event;
use alphastock_core::sim::replay::ReplayFeed;
use alphastock_core::sim::SimDays;

/// A time-ordered stream of market events (quotes, option chains, timers) from a simulated or
/// recorded market.
#[derive(Debug)]
pub enum Feed {
    /// The seeded simulated market, one or more trading days.
    Sim(Box<SimDays>),
    /// Recorded candles (and option snapshots, or chains priced from the simulated surface).
    Replay(Box<ReplayFeed>),
}

impl Feed {
    /// Short name for the start line.
    pub fn name(&self) -> &'static str {
        match self {
            Feed::Sim(_) => "simulated market",
            Feed::Replay(_) => "replay",
        }
    }
}

impl Iterator for Feed {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        match self {
            Feed::Sim(s) => s.next(),
            Feed::Replay(r) => r.next(),
        }
    }
}
