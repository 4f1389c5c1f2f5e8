//! `alphastock config check FILE`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use alphastock_core::config::Config;

use super::EXIT_INVALID;

/// Configuration subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file: exit 0 with a one-line summary, or exit 2 listing every problem
    /// (one per line, key path first).
    Check {
        /// Path to the YAML config file.
        file: PathBuf,
    },
}

/// Runs a config subcommand.
pub fn run(cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check { file } => check(&file),
    }
}

/// Reads and parses a config file; the error lists every problem, one per line.
pub fn load(file: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read config file {}", file.display()))?;
    Config::from_yaml_str(&text).map_err(|errors| {
        anyhow::anyhow!(
            "{} has {} problem(s):\n{}",
            file.display(),
            errors.problems().len(),
            errors
        )
    })
}

fn check(file: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read config file {}", file.display()))?;
    match Config::from_yaml_str(&text) {
        Ok(cfg) => {
            println!("{}: OK — {}", file.display(), summary(&cfg));
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            eprintln!("{}: {} problem(s)", file.display(), errors.problems().len());
            for p in errors.problems() {
                println!("{p}");
            }
            Ok(ExitCode::from(EXIT_INVALID))
        }
    }
}

/// One line describing what the config will do.
pub fn summary(cfg: &Config) -> String {
    let enabled: Vec<String> = cfg
        .strategies
        .iter()
        .filter(|(_, s)| s.enabled)
        .map(|(name, s)| {
            let symbols: Vec<&str> = s.symbols.iter().map(|s| s.as_str()).collect();
            format!("{name} on {}", symbols.join(","))
        })
        .collect();
    format!(
        "environment {}, {} enabled strateg{} ({}), options trading {}, target method {}, max {} positions",
        cfg.system.environment.as_str(),
        enabled.len(),
        if enabled.len() == 1 { "y" } else { "ies" },
        enabled.join("; "),
        if cfg.options_trading.enabled { "on" } else { "off" },
        cfg.options_trading.target_calculation_method,
        cfg.options_trading.risk_management.max_positions,
    )
}
