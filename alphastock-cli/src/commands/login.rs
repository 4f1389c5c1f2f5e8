//! `alphastock login`: logs in to the chosen broker and caches the session.
//!
//! mStock: TOTP from `MSTOCK_TOTP_SECRET`, or the OTP typed at the prompt; the token is kept
//! for the day. Kite (`--broker kite`): prints the login page, reads the `request_token` (from
//! `--request-token`, or pasted on stdin: the token itself or the whole redirect URL), makes
//! the session and caches its token until 06:00 IST the next day.

use std::io::BufRead;
use std::process::ExitCode;

use clap::Args;

use alphastock_core::config::BrokerKind;

use super::broker_args::{broker_config, chosen_kind, client, kite_client, BrokerArgs};
use super::{EXIT_FAILURE, EXIT_INVALID};
use crate::kite::config::login_url;
use crate::kite::session::login_page;
use crate::mstock::session::prompt_otp;

/// Arguments of `login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Common broker flags.
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// Kite: the `request_token` from the login redirect, instead of pasting it on stdin.
    #[arg(long, value_name = "TOKEN")]
    pub request_token: Option<String>,
}

/// The request token in what the user pasted: the value of a `request_token=` parameter when
/// the whole redirect URL was pasted, else the trimmed text.
pub fn request_token_of(pasted: &str) -> String {
    let text = pasted.trim();
    match text.split_once("request_token=") {
        Some((_, rest)) => rest
            .split('&')
            .next()
            .unwrap_or_default()
            .trim()
            .to_string(),
        None => text.to_string(),
    }
}

/// Runs `login`.
pub fn run(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let cfg = match broker_config(&args.broker)? {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    match chosen_kind(&args.broker, &cfg) {
        BrokerKind::Kite => login_kite(&args, cfg.kite),
        BrokerKind::Paper => {
            eprintln!("error: broker.kind is paper: nothing to log in to; pass --broker mstock or --broker kite");
            Ok(ExitCode::from(EXIT_INVALID))
        }
        BrokerKind::Mstock => {
            let mut c = client(cfg.mstock)?;
            if c.credentials.totp_secret.is_none()
                && !std::io::IsTerminal::is_terminal(&std::io::stdin())
            {
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
    }
}

fn login_kite(
    args: &LoginArgs,
    cfg: alphastock_core::config::KiteConfig,
) -> anyhow::Result<ExitCode> {
    let mut c = match kite_client(cfg) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    let token = match &args.request_token {
        Some(t) => request_token_of(t),
        None => {
            let page = login_page(
                &login_url(|k| std::env::var(k).ok()),
                &c.credentials.api_key,
            );
            eprintln!("Open this page, log in, and paste the request_token from the address Kite redirects to (or the whole address):");
            println!("{page}");
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            request_token_of(&line)
        }
    };
    if token.is_empty() {
        eprintln!("error: no request_token given; open the login page and paste the request_token");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let (path, user) = match c.login(&token) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: Kite login failed: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    if args.broker.json {
        println!(
            "{}",
            serde_json::json!({"logged_in": true, "broker": "kite", "user_id": user,
                "session_file": path.display().to_string()})
        );
    } else {
        println!(
            "logged in to Kite{}; session cached in {} until 06:00 IST",
            if user.is_empty() {
                String::new()
            } else {
                format!(" as {user}")
            },
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_taken_from_a_pasted_redirect_address() {
        assert_eq!(request_token_of("  abc123 \n"), "abc123");
        assert_eq!(
            request_token_of("https://example.org/cb?action=login&type=login&status=success&request_token=tok9&x=1"),
            "tok9"
        );
        assert_eq!(request_token_of("\n"), "");
    }
}
