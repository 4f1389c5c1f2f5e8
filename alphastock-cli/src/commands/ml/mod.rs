//! `alphastock ml ...`: the learned decision layer, judged out of sample.
//!
//! - `ml dataset`: one row per traded signal of a backtest: its features at the decision and
//!   its trade's net P&L under the backtest's fill model ([`dataset`]).
//! - `ml train`: walk-forward training of the signal filter, per-fold out-of-sample results
//!   and a verdict; writes the model ([`train`]).
//! - `ml evaluate-pricing`: fits the option-move model on recorded chains and reports its
//!   out-of-sample error against `delta_based`, `reprice` and `historical_correlation`
//!   ([`pricing`]).
//!
//! The models are files named in the config (`ml.filter.model`, `ml.option_move_model`,
//! relative to the config file's directory); [`load_models`] reads them for `run`, `backtest`
//! and `config check`.

pub mod dataset;
pub mod pricing;
pub mod train;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use alphastock_core::config::Config;
use alphastock_core::engine::Engine;
use alphastock_core::ml::{LogisticModel, OptionMoveModel, SignalFilter};

/// The `ml` subcommands.
#[derive(Debug, Subcommand)]
pub enum MlCommand {
    /// Backtest a config and write one row per traded signal: features and net P&L (CSV).
    Dataset(dataset::DatasetArgs),
    /// Train the signal filter with walk-forward splits by date and report it out of sample.
    Train(train::TrainArgs),
    /// Fit the option-move model on recorded chains and compare its out-of-sample error with
    /// delta_based, reprice and historical_correlation.
    EvaluatePricing(pricing::EvaluatePricingArgs),
}

/// Runs an `ml` subcommand.
pub fn run(cmd: MlCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MlCommand::Dataset(args) => dataset::run(args),
        MlCommand::Train(args) => train::run(args),
        MlCommand::EvaluatePricing(args) => pricing::run(args),
    }
}

/// The learned models a config names, loaded.
#[derive(Debug, Clone, Default)]
pub struct Models {
    /// `ml.filter`: the filter, ready for the engine.
    pub filter: Option<SignalFilter>,
    /// `ml.option_move_model`.
    pub option_move: Option<OptionMoveModel>,
}

impl Models {
    /// Hands the models to the engine.
    pub fn apply(&self, engine: &mut Engine) {
        if let Some(f) = &self.filter {
            engine.set_signal_filter(f.clone());
        }
        if let Some(m) = &self.option_move {
            engine.set_option_move_model(m.clone());
        }
    }
}

/// `path` relative to the directory of `config_file` (absolute paths as they are).
fn beside(config_file: &Path, path: &str) -> PathBuf {
    let p = PathBuf::from(path);
    if p.is_absolute() {
        p
    } else {
        config_file
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(p)
    }
}

/// Why a model named in the config could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelLoadError {
    /// The config key naming the file (`ml.filter.model`, `ml.option_move_model`).
    pub key: &'static str,
    /// What is wrong, naming the file.
    pub message: String,
    /// True when the file could not be read (a runtime failure), false when it is not a usable
    /// model (invalid input).
    pub unreadable: bool,
}

impl std::fmt::Display for ModelLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Reads a JSON model file named by `key`.
fn read_model<T: serde::de::DeserializeOwned>(
    key: &'static str,
    config_file: &Path,
    path: &str,
    what: &str,
) -> Result<T, ModelLoadError> {
    let path = beside(config_file, path);
    let text = std::fs::read_to_string(&path).map_err(|e| ModelLoadError {
        key,
        message: format!("cannot read {}: {e}", path.display()),
        unreadable: true,
    })?;
    serde_json::from_str(&text).map_err(|e| ModelLoadError {
        key,
        message: format!("{} is not {what}: {e}", path.display()),
        unreadable: false,
    })
}

/// Reads the models `config` names (paths relative to the directory of `config_file`).
pub fn load_models(config: &Config, config_file: &Path) -> Result<Models, ModelLoadError> {
    let mut models = Models::default();
    if let Some(f) = &config.ml.filter {
        let key = "ml.filter.model";
        let model: LogisticModel = read_model(key, config_file, &f.model, "a filter model")?;
        let filter = SignalFilter::new(model, f.min_probability).map_err(|e| ModelLoadError {
            key,
            message: format!("{}: {e}", f.model),
            unreadable: false,
        })?;
        models.filter = Some(filter);
    }
    if let Some(p) = &config.ml.option_move_model {
        let key = "ml.option_move_model";
        let model: OptionMoveModel = read_model(key, config_file, p, "an option-move model")?;
        model.validate().map_err(|e| ModelLoadError {
            key,
            message: format!("{p}: {e}"),
            unreadable: false,
        })?;
        models.option_move = Some(model);
    }
    Ok(models)
}

/// For the run commands: hands the engine the models the config names; a model that cannot be
/// read (exit 1) or understood (exit 2) stops the run before it starts.
pub(crate) fn attach_models(
    engine: &mut Engine,
    config: &Config,
    config_file: &Path,
) -> Result<(), ExitCode> {
    match load_models(config, config_file) {
        Ok(m) => {
            m.apply(engine);
            Ok(())
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(if e.unreadable {
                super::EXIT_FAILURE
            } else {
                super::EXIT_INVALID
            }))
        }
    }
}
