//! Alerts to the operator's phone: a generic JSON webhook (ntfy, Slack- and Discord-compatible)
//! and Telegram, configured by the `alerts` section. [`message`] is what an alert says and how
//! it is encoded for each service; [`sender`] delivers them on their own thread through a
//! bounded queue, so trading never waits for a receiver.

pub mod message;
pub mod sender;

pub use message::Alert;
pub use sender::{targets_from, AlertSender, AlertStats, Target};
