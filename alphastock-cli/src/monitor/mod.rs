//! Watching a run from outside the terminal: the [`SessionObserver`] the run loop calls once
//! per market event, action, order outcome, fill, tick, day end and second spent waiting for
//! the market; the [`hub::Hub`] that turns those calls into alerts, counters and the live view
//! the dashboard shows; the dashboard's state ([`state`]) read from the journal; `/metrics`
//! ([`metrics`]); and quote freshness for the stale-data alerts ([`stale`]).

pub mod hub;
pub mod metered;
pub mod metrics;
pub mod stale;
pub mod state;

use chrono::NaiveDate;

use alphastock_core::engine::{Action, Engine, Event};
use alphastock_core::market::IstTime;
use alphastock_core::order::Fill;

use crate::runner::executor::Outcome;
use crate::runner::report::Tally;

/// What an observer asks of the run loop at the end of a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Trip the kill switch and close every open position (the dashboard's button), for the
    /// reason given.
    KillAndFlatten(String),
}

/// Called by the run loop; every method has a default that does nothing. Implementations must
/// return quickly: they run on the trading loop.
pub trait SessionObserver {
    /// A market event (quote, chain, candle, timer) about to be handled.
    fn on_market(&mut self, _event: &Event) {}
    /// An action of the engine about to be carried out.
    fn on_action(&mut self, _action: &Action, _engine: &Engine, _now: IstTime) {}
    /// What the broker answered to an order action.
    fn on_outcome(&mut self, _action: &Action, _outcome: Option<&Outcome>, _now: IstTime) {}
    /// An execution, after the engine has taken it in.
    fn on_fill(&mut self, _fill: &Fill, _engine: &Engine) {}
    /// A warning the loop printed (a broker read that failed).
    fn on_problem(&mut self, _text: &str, _now: IstTime) {}
    /// The end of a tick; may ask for a [`Control`].
    fn on_tick(&mut self, _engine: &Engine, _now: IstTime) -> Option<Control> {
        None
    }
    /// The live loop is waiting for the market to open (about once a second of its clock);
    /// `now` is that clock's IST time.
    fn on_idle(&mut self, _engine: &Engine, _now: IstTime) {}
    /// The end of a trading day with its tally.
    fn on_day_end(&mut self, _day: NaiveDate, _tally: &Tally, _at: IstTime) {}
}
