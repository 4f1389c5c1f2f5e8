//! `alphastock dashboard`: the web dashboard of a journal, read-only: a run going on in another
//! terminal (it follows the journal as the run commits each tick) or a past day. Serves the
//! same page, `/api/state` and `/metrics` as `alphastock run --dashboard`, without the kill
//! switch button and without the live-only health (API latency, uptime).
//!
//! Exit codes: 0 after Ctrl-C / SIGTERM; 1 the journal cannot be read or the address cannot be
//! listened on; 2 invalid input (a config with problems, a non-loopback address without a
//! token).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::NaiveDate;
use clap::Args;

use alphastock_core::config::{Config, DashboardConfig};

use super::{EXIT_FAILURE, EXIT_INVALID};
use crate::dashboard::{self, check_listen_text, Source};
use crate::monitor::state::Controls;
use crate::store::Store;

/// Arguments of `alphastock dashboard`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// The journal database to show (written by `alphastock run`).
    #[arg(long)]
    pub db: PathBuf,
    /// Where to listen, HOST:PORT (port 0 picks a free one). An address beyond loopback needs
    /// the access token in the variable `dashboard.token_env` names (default
    /// ALPHASTOCK_DASHBOARD_TOKEN).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub listen: String,
    /// The day to show (YYYY-MM-DD; default the journal's latest day).
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// A config whose `dashboard` section to use (token variable, refresh interval).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `alphastock dashboard` until Ctrl-C / SIGTERM.
pub fn run(args: DashboardArgs) -> anyhow::Result<ExitCode> {
    let settings = match &args.config {
        None => DashboardConfig::default(),
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read config file {}: {e}", path.display());
                    return Ok(ExitCode::from(EXIT_FAILURE));
                }
            };
            match Config::from_yaml_str(&text) {
                Ok(c) => c.dashboard,
                Err(errors) => {
                    eprintln!("error: {} has problems:\n{errors}", path.display());
                    return Ok(ExitCode::from(EXIT_INVALID));
                }
            }
        }
    };
    if let Err(e) = Store::open_read_only(&args.db) {
        eprintln!("error: {e:#}");
        return Ok(ExitCode::from(EXIT_FAILURE));
    }
    let token = std::env::var(&settings.token_env)
        .ok()
        .filter(|t| !t.trim().is_empty());
    if let Err(e) = check_listen_text(&args.listen, token.as_deref()) {
        eprintln!("error: {e:#}");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let stop = super::run::stop_flag()?;
    let served = dashboard::start(
        &args.listen,
        token,
        Source {
            db: args.db.clone(),
            day: args.date,
            live: None,
            controls: Controls {
                kill_switch_button: false,
                refresh_seconds: settings.refresh_seconds,
            },
        },
    );
    let served = match served {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    println!(
        "alphastock dashboard: {} at http://{}/ (read-only; Ctrl-C to stop)",
        args.db.display(),
        served.addr()
    );
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(ExitCode::SUCCESS)
}
