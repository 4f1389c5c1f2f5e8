//! The `alphastock` command: a thin front end over `alphastock_cli` and `alphastock-core`.

use std::process::ExitCode;

use clap::Parser;

use alphastock_cli::commands::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(commands::EXIT_FAILURE)
        }
    }
}
