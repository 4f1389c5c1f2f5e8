//! `alphastock config check FILE`.

use std::process::ExitCode;

use clap::Subcommand;

/// Configuration subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file: exit 0 with a one-line summary, or exit 2 listing every problem
    /// with its key path.
    Check {
        /// Path to the YAML config file.
        file: std::path::PathBuf,
    },
}

/// Runs a config subcommand.
pub fn run(cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check { file } => {
            println!("config check {} (not yet implemented)", file.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
