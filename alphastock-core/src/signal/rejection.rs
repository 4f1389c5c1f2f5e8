use std::fmt;

use rust_decimal::Decimal;

use crate::strategy::Side;

/// Why a signal did not become an order. Display gives the check and its numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// Options trading is switched off in the config.
    TradingDisabled,
    /// The kill switch is on (daily loss limit, or the operator stopped trading).
    KillSwitch,
    /// A placement in this underlying has an unknown outcome; no new entries until resolved.
    UnderlyingBlocked {
        /// The tag of the order in doubt.
        tag: String,
    },
    /// Confidence below the threshold.
    LowConfidence {
        /// The signal's confidence, 0–100.
        confidence: u8,
        /// The threshold.
        threshold: u8,
    },
    /// The signal's data is too old.
    StaleSignal {
        /// Age in seconds.
        age_seconds: i64,
        /// Allowed age in seconds.
        max_seconds: u64,
    },
    /// Outside the trading session (weekend, holiday, before 09:15 or from 15:30).
    MarketClosed,
    /// Too close to the close for a new entry.
    TooCloseToClose {
        /// Minutes left until 15:30.
        minutes_left: i64,
        /// The configured cut-off in minutes.
        cutoff_minutes: u32,
    },
    /// A position (or pending entry) in the same underlying and direction already exists.
    AlreadyPositioned {
        /// The direction of the existing position.
        side: Side,
    },
    /// No option chain (or a too old one) for the underlying.
    NoChain {
        /// What is wrong with it.
        detail: String,
    },
    /// The strike selector found nothing tradable.
    NoCandidate {
        /// The selector's reason (empty chain, counts of illiquid contracts).
        detail: String,
    },
    /// The target/stop premium could not be computed.
    Pricing {
        /// The pricing engine's error.
        detail: String,
    },
    /// The target premium is not above the entry (no reward), or the stop not below it.
    NoReward {
        /// Entry premium, rupees.
        entry: Decimal,
        /// Target premium, rupees.
        target: Decimal,
        /// Stop premium, rupees.
        stop: Decimal,
    },
    /// The risk manager refused the trade.
    Risk {
        /// The risk manager's reason, with numbers.
        detail: String,
    },
    /// The symbol cannot be traded itself (an index, or a short sale under CNC).
    NotTradable {
        /// Why, and what to trade instead.
        detail: String,
    },
    /// A position in the opposite direction is open and the strategy does not flip.
    OppositePosition {
        /// Signed shares held: positive long, negative short.
        held: i64,
    },
    /// The instrument is not known (no lot size for the underlying in the config or script
    /// master).
    UnknownInstrument {
        /// What is missing.
        detail: String,
    },
    /// The learned filter (`ml.filter`) gives the signal too low a chance of a net win.
    LearnedFilter {
        /// The model's win probability, 0–1.
        probability: f64,
        /// The configured minimum, 0–1.
        min_probability: f64,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TradingDisabled => f.write_str("options trading is disabled in the config"),
            Rejection::KillSwitch => f.write_str("kill switch is on: no new entries"),
            Rejection::UnderlyingBlocked { tag } => write!(
                f,
                "order {tag} in this underlying has an unknown outcome: no new entries until it is resolved"
            ),
            Rejection::LowConfidence {
                confidence,
                threshold,
            } => write!(f, "confidence {confidence} < threshold {threshold}"),
            Rejection::StaleSignal {
                age_seconds,
                max_seconds,
            } => write!(f, "signal data is {age_seconds} s old (max {max_seconds} s)"),
            Rejection::MarketClosed => f.write_str("market is closed"),
            Rejection::TooCloseToClose {
                minutes_left,
                cutoff_minutes,
            } => write!(
                f,
                "{minutes_left} min to the close, inside the {cutoff_minutes} min no-entry window"
            ),
            Rejection::AlreadyPositioned { side } => write!(
                f,
                "already positioned {} in this underlying (allow_same_direction is off)",
                match side {
                    Side::Buy => "bullish",
                    Side::Sell => "bearish",
                }
            ),
            Rejection::NoChain { detail } => write!(f, "no usable option chain: {detail}"),
            Rejection::NoCandidate { detail } => write!(f, "no tradable option: {detail}"),
            Rejection::Pricing { detail } => write!(f, "cannot price target/stop: {detail}"),
            Rejection::NoReward {
                entry,
                target,
                stop,
            } => write!(
                f,
                "no reward: entry {entry}, target {target}, stop {stop} (need stop < entry < target)"
            ),
            Rejection::Risk { detail } => write!(f, "risk: {detail}"),
            Rejection::UnknownInstrument { detail } => write!(f, "unknown instrument: {detail}"),
            Rejection::NotTradable { detail } => write!(f, "not tradable: {detail}"),
            Rejection::LearnedFilter {
                probability,
                min_probability,
            } => write!(
                f,
                "learned filter: win probability {probability:.3} < min_probability {min_probability:.3}"
            ),
            Rejection::OppositePosition { held } => write!(
                f,
                "an opposite position of {held} shares is open and flip is off for this strategy"
            ),
        }
    }
}
