//! `alphastock login`: logs in to mStock (TOTP from `MSTOCK_TOTP_SECRET`, or the OTP typed at
//! the prompt) and caches the day's session token.

use std::process::ExitCode;

use clap::Args;

use super::broker_args::{client, mstock_config, BrokerArgs};
use super::EXIT_INVALID;
use crate::mstock::session::prompt_otp;

/// Arguments of `login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Common broker flags.
    #[command(flatten)]
    pub broker: BrokerArgs,
}

/// Runs `login`.
pub fn run(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let cfg = match mstock_config(&args.broker)? {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let mut c = client(cfg)?;
    if c.credentials.totp_secret.is_none() && !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        anyhow::bail!(
            "no terminal to type the OTP into: set MSTOCK_TOTP_SECRET for a non-interactive login"
        );
    }
    let path = c.login(&mut prompt_otp)?;
    if args.broker.json {
        println!(
            "{}",
            serde_json::json!({"logged_in": true, "session_file": path.display().to_string()})
        );
    } else {
        println!(
            "logged in to mStock; session for today cached in {}",
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
