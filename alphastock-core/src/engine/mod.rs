//! The event-driven engine: `Engine::on_event(Event) -> Vec<Action>`.
//!
//! Like a sans-IO protocol state machine, the engine never asks for the time or touches the
//! network: every [`Event`] carries its IST timestamp, and every decision comes back as a plain
//! [`Action`] that the caller (the live run loop, a replay, the backtester) carries out. The same
//! event sequence always produces the same actions.

mod action;
#[allow(clippy::module_inception)]
mod engine;
mod event;
mod held_chain;
mod orders;
pub mod protect;
mod slicing;
mod tags;

pub use action::{Action, AlertLevel, OrderPurpose, Record};
pub use engine::{Engine, EngineError};
pub use event::Event;
pub use orders::{FillAdmission, FillLedger, OrderRole, OrderTracker, WorkingOrder};
pub use protect::{ProtectiveStopMode, ProtectiveStops, StopOrder};
pub use tags::TagGenerator;
