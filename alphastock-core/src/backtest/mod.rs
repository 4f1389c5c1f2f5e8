//! Backtester: drives the [`crate::engine`] over historical events with simulated fills.
//!
//! The backtest runs the very [`Engine`](crate::engine::Engine) the live loop runs: the
//! [`Backtester`] feeds it the replayed events (candles, option chains, timer ticks), carries out
//! the orders it places with the [`FillModel`], and feeds the resulting order updates and
//! fills back in. Charges come from the engine's portfolio (its `ChargeSchedule`), because every
//! fill goes through `Engine::on_event(Event::Fill)`. The same events always give the same
//! [`BacktestReport`].

mod fill_model;
pub mod metrics;
mod report;
mod runner;

pub use fill_model::{intrinsic_value, BarExit, BarExitKind, EntryOutcome, FillModel, SimOrder};
pub use metrics::Metrics;
pub use report::{BacktestReport, EquityPoint, TradeRecord};
pub use runner::{reason_kind, BacktestConfig, Backtester};
