//! What the broker commands (`login`, `quote`, `positions`, `orders`, `funds`) share: the
//! `--json` and `--config` flags, reading `broker.mstock` from the config file, and building a
//! client from the environment's credentials.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use rust_decimal::Decimal;

use alphastock_core::config::{BrokerConfig, MstockConfig};

use crate::mstock::config::effective_config;
use crate::mstock::{Credentials, MstockClient};

/// Flags common to the broker commands.
#[derive(Debug, Clone, Args)]
pub struct BrokerArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Config file whose `broker.mstock` section is used (defaults apply without one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Reads `broker.mstock` from the config file (only the `broker` section is read, so a file
/// made just for the broker settings works). `Ok(Err(problems))` when the section is invalid.
pub fn mstock_config(args: &BrokerArgs) -> anyhow::Result<Result<MstockConfig, Vec<String>>> {
    let Some(path) = &args.config else {
        return Ok(Ok(MstockConfig::default()));
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
        Ok(Ok(broker.mstock))
    } else {
        Ok(Err(problems))
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
