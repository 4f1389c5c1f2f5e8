//! The [`Engine`]: the composition of strategies, signal processing, risk and portfolio behind
//! one `on_event` call.

use crate::config::Config;

use super::{Action, Event};

/// Why an engine could not be built from a config.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The config is not usable (each problem with its key path).
    #[error("invalid config: {0}")]
    Config(String),
}

/// The trading engine. Feed it [`Event`]s in time order; carry out the [`Action`]s it returns.
#[derive(Debug)]
pub struct Engine {
    config: Config,
}

impl Engine {
    /// Builds an engine from a validated config.
    pub fn new(config: &Config) -> Result<Engine, EngineError> {
        Ok(Engine {
            config: config.clone(),
        })
    }

    /// The config the engine runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Consumes one event and returns what to do about it, in order.
    pub fn on_event(&mut self, event: Event) -> Vec<Action> {
        let _ = event;
        Vec::new()
    }
}
