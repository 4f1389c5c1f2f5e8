//! The `alphastock` command: a thin front end over `alphastock_cli` and `alphastock-core`.

use std::process::ExitCode;

use clap::Parser;

use alphastock_cli::commands::{self, Cli};

fn main() -> ExitCode {
    quiet_broken_pipe();
    let cli = Cli::parse();
    // `run` sets up logging from its config's `system.log_level`; every other command logs
    // warnings (or what `RUST_LOG` asks, never the HTTP wire dump).
    if !matches!(cli.command, commands::Command::Run(_)) {
        alphastock_cli::logging::init("warn");
    }
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            // A file that is not UTF-8 text is bad input, not a runtime failure.
            let not_text = err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::InvalidData)
            });
            ExitCode::from(if not_text {
                commands::EXIT_INVALID
            } else {
                commands::EXIT_FAILURE
            })
        }
    }
}

/// When stdout is a pipe whose reader has gone (`alphastock run ... | head`), printing fails
/// with a broken pipe: end quietly with the status a shell gives a process ended by SIGPIPE
/// (141), instead of a panic message. Every other panic is reported as usual.
fn quiet_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        report(info)
    }));
}
