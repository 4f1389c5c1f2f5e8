//! What the broker commands (`login`, `quote`, `positions`, `orders`, `funds`, `doctor`)
//! share: the `--json`, `--config` and `--broker` flags, reading the `broker` section from the
//! config file, and opening the chosen broker (`--broker`, else `broker.kind`) with the
//! environment's credentials.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use rust_decimal::Decimal;

use alphastock_core::config::{BrokerConfig, BrokerKind, MstockConfig};

use super::{EXIT_FAILURE, EXIT_INVALID};
use crate::broker::{Broker, KiteBroker, MstockBroker};
use crate::kite::client::LOGIN_HINT;
use crate::kite::{config as kite_config, KiteClient, KiteCredentials};
use crate::mstock::config::effective_config;
use crate::mstock::{Credentials, MstockClient};
use crate::net::pipeline::SessionCalls;

/// Flags common to the broker commands.
#[derive(Debug, Clone, Args)]
pub struct BrokerArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Config file whose `broker` section is used (defaults apply without one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The broker to use: mstock or kite (default: the config's `broker.kind`, else mstock).
    #[arg(long, value_name = "BROKER", value_parser = parse_live_broker)]
    pub broker: Option<BrokerKind>,
}

/// Parses `--broker`: a live broker's name.
pub fn parse_live_broker(s: &str) -> Result<BrokerKind, String> {
    match s.parse::<BrokerKind>()? {
        BrokerKind::Paper => Err(
            "the broker commands talk to a live broker: use --broker mstock or --broker kite"
                .to_string(),
        ),
        kind => Ok(kind),
    }
}

/// Reads the `broker` section from the config file (only that section is read, so a file made
/// just for the broker settings works). `Ok(Err(problems))` when the section is invalid.
pub fn broker_config(args: &BrokerArgs) -> anyhow::Result<Result<BrokerConfig, Vec<String>>> {
    let Some(path) = &args.config else {
        return Ok(Ok(BrokerConfig::default()));
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    let doc: serde_yaml::Value = match serde_yaml::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Ok(Err(vec![format!(
                "{}: malformed YAML: {e}",
                path.display()
            )]))
        }
    };
    let broker = match doc.get("broker") {
        None | Some(serde_yaml::Value::Null) => BrokerConfig::default(),
        Some(v) => match serde_yaml::from_value::<BrokerConfig>(v.clone()) {
            Ok(b) => b,
            Err(e) => return Ok(Err(vec![format!("broker is invalid: {e}")])),
        },
    };
    let problems: Vec<String> = broker
        .validate()
        .into_iter()
        .map(|(k, r)| format!("broker.{k} {r}"))
        .collect();
    if problems.is_empty() {
        Ok(Ok(broker))
    } else {
        Ok(Err(problems))
    }
}

/// Reads `broker.mstock` from the config file (see [`broker_config`]).
pub fn mstock_config(args: &BrokerArgs) -> anyhow::Result<Result<MstockConfig, Vec<String>>> {
    Ok(broker_config(args)?.map(|b| b.mstock))
}

/// The broker the command uses: `--broker`, else the config's `broker.kind`.
pub fn chosen_kind(args: &BrokerArgs, cfg: &BrokerConfig) -> BrokerKind {
    args.broker.unwrap_or(cfg.kind)
}

/// A Kite client from `KITE_API_KEY`/`KITE_API_SECRET` and `broker.kite` (with `KITE_BASE_URL`
/// applied), not yet holding a session.
pub fn kite_client(cfg: alphastock_core::config::KiteConfig) -> anyhow::Result<KiteClient> {
    let credentials = KiteCredentials::from_env()?;
    let cfg = kite_config::effective_config(cfg, |k| std::env::var(k).ok());
    Ok(KiteClient::new(cfg, credentials))
}

/// Opens the chosen broker for a broker command: mStock with its client (which may ask for an
/// OTP on the terminal), or Kite with the cached session. `Err(code)` after printing why when
/// the config is invalid, the kind is `paper`, or Kite has no session (exit 2), or a credential
/// is missing (exit 1).
pub fn open_broker(args: &BrokerArgs) -> anyhow::Result<Result<Box<dyn Broker>, ExitCode>> {
    let cfg = match broker_config(args)? {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return Ok(Err(ExitCode::from(EXIT_INVALID)));
        }
    };
    match chosen_kind(args, &cfg) {
        BrokerKind::Mstock => Ok(Ok(Box::new(MstockBroker::new(client(cfg.mstock)?)))),
        BrokerKind::Kite => {
            let mut c = match kite_client(cfg.kite) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(Err(ExitCode::from(EXIT_FAILURE)));
                }
            };
            if let Err(e) = c.ensure_session() {
                eprintln!("error: {e}");
                return Ok(Err(ExitCode::from(EXIT_INVALID)));
            }
            Ok(Ok(Box::new(KiteBroker::new(c))))
        }
        BrokerKind::Paper => {
            eprintln!(
                "error: broker.kind is paper: the broker commands need a live broker; pass --broker mstock or --broker kite ({LOGIN_HINT} first for Kite)"
            );
            Ok(Err(ExitCode::from(EXIT_INVALID)))
        }
    }
}

/// A client from the environment's credentials (the error names a missing variable) and the
/// config, with `MSTOCK_BASE_URL` applied. It may ask for an OTP on the terminal.
pub fn client(cfg: MstockConfig) -> anyhow::Result<MstockClient> {
    let credentials = Credentials::from_env()?;
    let cfg = effective_config(cfg, |k| std::env::var(k).ok());
    let mut client = MstockClient::new(cfg, credentials);
    client.set_interactive(true);
    Ok(client)
}

/// A decimal as a JSON number when it fits, else as text.
pub fn num(d: Decimal) -> serde_json::Value {
    serde_json::from_str::<serde_json::Value>(&d.normalize().to_string())
        .unwrap_or_else(|_| serde_json::Value::String(d.to_string()))
}

/// An optional decimal as text for a table cell (`-` when absent).
pub fn cell(d: Option<Decimal>) -> String {
    d.map(|d| d.normalize().to_string())
        .unwrap_or_else(|| "-".to_string())
}
