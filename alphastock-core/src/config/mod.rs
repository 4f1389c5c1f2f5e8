//! Configuration: serde structs for the YAML config (the shape in the design: `system`,
//! `market_data_runner`, `options_data_runner`, `strategies`, `options_trading`, plus the keys added
//! for the market calendar, broker, storage and simulation), their defaults, and validation that
//! reports **every** problem with its key path.
//!
//! Entry point: [`Config::from_yaml_str`]. It never stops at the first problem: malformed YAML is
//! reported with line and column; otherwise each section is read on its own so that a wrong type
//! in one section does not hide problems in another; every unknown key (a typo would silently
//! change behaviour) is a problem, with a "did you mean" hint; then each section's rules are
//! checked (e.g. `strategies.ema_crossover.parameters.fast_ema must be < slow_ema (5)`).

mod broker;
mod feasibility;
mod load;
mod monitor;
pub use load::{MAX_CONFIG_BYTES, MAX_CONFIG_MAGNITUDE, MAX_YAML_DEPTH};
pub use monitor::*;
mod problem;
mod sections;
mod suggest;

pub use broker::*;
pub use feasibility::{TypicalPremium, TYPICAL_DAYS_TO_EXPIRY};
pub use problem::{ConfigErrors, ConfigProblem};
pub use sections::*;
pub(crate) use suggest::closest as closest_key;

/// The closest of `known` to `typed` by edit distance when it is close enough to be a typo
/// (at most a third of its length): the source of "did you mean" hints.
pub fn suggest<'a>(typed: &str, known: &[&'a str]) -> Option<&'a str> {
    suggest::closest(typed, known)
}
