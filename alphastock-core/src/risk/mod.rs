//! Risk manager: position sizing in whole lots and the limits every new entry must pass.
//!
//! [`RiskManager::check`] turns a [`TradeProposal`] into a [`RiskApproved`] (which only this
//! module can build, so an order can only come from an approval) or a [`RiskRefused`] whose
//! [`RiskRejection`] names the check and its numbers, e.g. `max loss 3000.00 > risk budget
//! 2500.00`.

mod book;
mod config;
mod correlation;
mod kill_switch;
mod manager;
mod proposal;
mod rate;
mod sizing;

pub use book::{RiskBook, UnderlyingExposure};
pub use config::RiskConfig;
pub use kill_switch::{KillSwitch, KillSwitchTrip};
pub use manager::RiskManager;
pub use proposal::{RiskApproved, RiskRefused, RiskRejection, TradeProposal};
pub use rate::OrderRateLimiter;
