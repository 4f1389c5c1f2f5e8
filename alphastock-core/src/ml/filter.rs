//! The signal filter the engine holds (`ml.filter` in the config): a [`LogisticModel`], the
//! minimum win probability a signal needs, and the [`MarketMemory`] its features read.
//!
//! Without a model it only records the features of every signal it sees (the dataset
//! builder's mode) and passes them all.

use super::features::{FeatureVector, MarketMemory};
use super::logistic::{LogisticModel, ModelError};
use crate::market::{Candle, IstTime, OptionChain, Symbol};
use crate::signal::Rejection;
use crate::strategy::{Side, Signal};

/// The features of one signal, as recorded when the filter saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenSignal {
    /// The underlying.
    pub underlying: Symbol,
    /// The signal's direction.
    pub side: Side,
    /// The engine's clock at the decision (IST): a trade's `signal_time`.
    pub decided_at: IstTime,
    /// The features.
    pub features: FeatureVector,
}

/// A learned filter on option signals.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalFilter {
    model: Option<LogisticModel>,
    min_probability: f64,
    memory: MarketMemory,
    seen: Option<Vec<SeenSignal>>,
}

impl SignalFilter {
    /// A filter that drops signals whose win probability is below `min_probability` (0–1).
    pub fn new(model: LogisticModel, min_probability: f64) -> Result<Self, ModelError> {
        model.validate()?;
        if !(0.0..=1.0).contains(&min_probability) {
            return Err(ModelError::Field {
                field: "min_probability",
                reason: format!("must be between 0 and 1, got {min_probability}"),
            });
        }
        Ok(Self {
            model: Some(model),
            min_probability,
            memory: MarketMemory::new(),
            seen: None,
        })
    }

    /// A filter without a model that passes every signal and records its features
    /// (see [`SignalFilter::seen`]).
    pub fn recorder() -> Self {
        Self {
            model: None,
            min_probability: 0.0,
            memory: MarketMemory::new(),
            seen: Some(Vec::new()),
        }
    }

    /// The minimum win probability, 0–1.
    pub fn min_probability(&self) -> f64 {
        self.min_probability
    }

    /// The signals recorded so far (a recorder only; empty otherwise).
    pub fn seen(&self) -> &[SeenSignal] {
        self.seen.as_deref().unwrap_or(&[])
    }

    /// Remembers a completed candle (realised vol, momentum).
    pub fn observe_candle(&mut self, candle: &Candle) {
        self.memory.on_candle(candle);
    }

    /// Remembers a chain (ATM IV and its change).
    pub fn observe_chain(&mut self, chain: &OptionChain) {
        self.memory.on_chain(chain);
    }

    /// Passes `signal` (decided at `now` on `chain`) or rejects it with its probability.
    pub fn check(
        &mut self,
        signal: &Signal,
        chain: Option<&OptionChain>,
        now: IstTime,
    ) -> Result<(), Rejection> {
        let features = self.memory.features(signal, chain, now);
        if let Some(seen) = &mut self.seen {
            seen.push(SeenSignal {
                underlying: signal.symbol.clone(),
                side: signal.side,
                decided_at: now,
                features,
            });
        }
        let Some(model) = &self.model else {
            return Ok(());
        };
        let probability = model.probability(&features);
        if probability < self.min_probability {
            return Err(Rejection::LearnedFilter {
                probability,
                min_probability: self.min_probability,
            });
        }
        Ok(())
    }
}
