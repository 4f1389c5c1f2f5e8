//! The learned decision layer: a signal filter and an option-move model, both plain data.
//!
//! - [`features`]: what is known of a signal when the engine decides on it (the signal's own
//!   numbers, the other strategies' agreement, time of day, days to expiry, ATM implied vol and
//!   its recent change, spread and open interest of the contract, recent realised volatility),
//!   as one fixed-order vector of `f64`.
//! - [`logistic`]: L2-regularised logistic regression over those features: the model is a
//!   serde struct of weights, inference a dot product (no allocation).
//! - [`walk_forward`]: train/test splits by date, never shuffled across time.
//! - [`evaluate`]: per-fold out-of-sample precision, trade count and net P&L with and
//!   without the filter, and the verdict whether the filter helps out of sample.
//! - [`filter`]: what the engine holds: the model, the probability threshold and the memory
//!   of recent candles and chains the features need.
//! - [`option_move`]: a learned premium response to an underlying move (moneyness, days to
//!   expiry, IV, move size), the `learned` target/stop method.
//!
//! Everything here is pure computation: models are read and written by the command line.

pub mod evaluate;
pub mod features;
pub mod filter;
pub mod logistic;
pub mod option_move;
pub mod walk_forward;

pub use evaluate::{walk_forward_report, FoldReport, Sample, WalkForwardReport};
pub use features::{FeatureVector, MarketMemory, FEATURE_COUNT, FEATURE_NAMES};
pub use filter::SignalFilter;
pub use logistic::{LogisticModel, ModelError, TrainSettings};
pub use option_move::{MovePair, OptionMoveModel};
pub use walk_forward::{walk_forward_folds, Fold};
