//! `alphastock correlations build [--db FILE | --config FILE] [--out FILE] [--json]`: learns how many percent
//! an option's premium moves per percent of its underlying's move, from the option snapshots
//! stored in the journal, and saves the table as JSON for the `historical_correlation` target
//! method.
//!
//! Learning: the stored snapshots are grouped by contract (trading symbol) and consecutive
//! snapshots of the same contract **on the same IST day** form one move pair: the underlying's
//! percent move (spot to spot) and the premium's percent move over the same interval, keyed by
//! the first snapshot's moneyness (strike / spot × 100), option type and calendar days to expiry
//! (to 15:30 IST). Pairs across days (overnight: theta, gaps) and pairs from a non-positive
//! premium or spot are skipped. `CorrelationTable::fit` then fits a slope through the origin
//! per bucket (at least 5 pairs; see `alphastock_core::options::correlation`).
//!
//! ## The table file (JSON)
//!
//! ```json
//! {
//!   "format": "alphastock-correlation-table",
//!   "version": 1,
//!   "default_multiplier": 4.0,
//!   "entries": [
//!     { "option_type": "CE", "moneyness": "atm", "expiry": "up_to_7_days",
//!       "multiplier": 5.01, "samples": 120, "mean_iv": 0.14 }
//!   ]
//! }
//! ```
//!
//! - `moneyness`: `deep_itm`, `itm`, `atm`, `otm`, `deep_otm` (the buckets of
//!   `MoneynessBucket`); `expiry`: `expiry_day`, `up_to_3_days`, `up_to_7_days`,
//!   `up_to_30_days`, `beyond_30_days`;
//! - `multiplier`: percent premium move per percent underlying move in the option's favour;
//!   `samples`: pairs it was learned from; `mean_iv`: mean implied vol (fraction) or `null`.
//!
//! `run` (paper and live), `backtest` and `price-option` load it when the config names it:
//! `options_trading.correlation_table: PATH` (relative to the config file's directory), and
//! `config check` checks that it loads. The core holds only the path; the engine gets the table
//! through `Engine::set_correlations`.
//!
//! The journal is `--db`, else `--config`'s `storage.path`, else `alphastock-paper.db` (the one
//! the Quick start writes). The table goes to `--out`, else to `correlation_table.json` in the
//! user's data directory (`$XDG_DATA_HOME/alphastock`, else `~/.local/share/alphastock`), never
//! into the working directory (a clone); the path written is printed.
//!
//! Exit codes: 0 done; 2 bad arguments or no usable pairs; 1 the database or file cannot be
//! read or written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use rust_decimal::prelude::ToPrimitive;
use serde_json::{json, Value as Json};

use alphastock_core::config::Config;
use alphastock_core::market::{OptionType, IST};
use alphastock_core::options::correlation::{
    CorrelationEntry, CorrelationKey, ExpiryBucket, MoneynessBucket,
};
use alphastock_core::options::{days_to_expiry, CorrelationTable, MovePair};

use super::EXIT_INVALID;
use crate::store::{SnapshotRow, Store};

/// The `format` field of a table file.
pub const TABLE_FORMAT: &str = "alphastock-correlation-table";

/// Correlation-table subcommands.
#[derive(Debug, Subcommand)]
pub enum CorrelationsCommand {
    /// Learn the option/underlying move multipliers from the stored option snapshots and save
    /// them as JSON.
    Build(BuildArgs),
}

/// The journal `correlations build` reads by default: the one the README's Quick start writes
/// (`storage.path` of `fixtures/paper.yaml`).
pub const DEFAULT_JOURNAL: &str = "alphastock-paper.db";

/// The file name of the table in the data directory when `--out` is not given.
pub const DEFAULT_TABLE_FILE: &str = "correlation_table.json";

/// Environment variable naming the user's data directory (XDG Base Directory).
pub const ENV_XDG_DATA_HOME: &str = "XDG_DATA_HOME";

/// Arguments of `alphastock correlations build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The journal database holding option snapshots (default: the `storage.path` of --config,
    /// else alphastock-paper.db, the journal the Quick start writes).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Take the journal from this config's `storage.path`.
    #[arg(long, conflicts_with = "db")]
    pub config: Option<PathBuf>,
    /// Where to write the table (default: correlation_table.json in the user's data directory,
    /// $XDG_DATA_HOME/alphastock or ~/.local/share/alphastock; never the working directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the table (the file's JSON) on stdout too.
    #[arg(long)]
    pub json: bool,
}

/// Runs a correlations subcommand.
pub fn run(cmd: CorrelationsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CorrelationsCommand::Build(args) => build(&args),
    }
}

/// The default place of the table: `$XDG_DATA_HOME/alphastock/correlation_table.json`, else
/// `$HOME/.local/share/alphastock/correlation_table.json` (XDG Base Directory defaults; relative
/// values ignored); `None` when neither gives an absolute path.
pub fn default_table_path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let absolute = |name: &str| {
        lookup(name)
            .map(|v| PathBuf::from(v.trim()))
            .filter(|p| p.is_absolute())
    };
    let dir = absolute(ENV_XDG_DATA_HOME)
        .or_else(|| absolute("HOME").map(|h| h.join(".local").join("share")))?;
    Some(dir.join("alphastock").join(DEFAULT_TABLE_FILE))
}

/// The journal to read: `--db`, else `--config`'s `storage.path`, else [`DEFAULT_JOURNAL`].
fn journal_path(args: &BuildArgs) -> anyhow::Result<Result<PathBuf, String>> {
    if let Some(db) = &args.db {
        return Ok(Ok(db.clone()));
    }
    let Some(config) = &args.config else {
        return Ok(Ok(PathBuf::from(DEFAULT_JOURNAL)));
    };
    let text = std::fs::read_to_string(config)
        .with_context(|| format!("cannot read config file {}", config.display()))?;
    match Config::from_yaml_str(&text) {
        Ok(c) if c.storage.path.is_empty() => Ok(Ok(PathBuf::from(crate::store::DEFAULT_DB_FILE))),
        Ok(c) => Ok(Ok(PathBuf::from(c.storage.path))),
        Err(e) => Ok(Err(format!("{}: {e}", config.display()))),
    }
}

fn build(args: &BuildArgs) -> anyhow::Result<ExitCode> {
    let db = match journal_path(args)? {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    if !db.exists() {
        eprintln!(
            "error: no journal database at {} (run `alphastock run` first, or pass --db FILE)",
            db.display()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let out = match &args.out {
        Some(p) => p.clone(),
        None => match default_table_path(|k| std::env::var(k).ok()) {
            Some(p) => p,
            None => {
                eprintln!(
                    "error: no data directory: set {ENV_XDG_DATA_HOME} or HOME, or pass --out FILE"
                );
                return Ok(ExitCode::from(EXIT_INVALID));
            }
        },
    };
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let store = Store::open(&db)?;
    let rows = store.option_snapshots()?;
    let pairs = move_pairs(&rows);
    if pairs.is_empty() {
        eprintln!(
            "error: {} has {} option snapshot(s) but no two of one contract on the same day",
            db.display(),
            rows.len()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let table = CorrelationTable::fit(&pairs);
    let doc = table_json(&table);
    let text = serde_json::to_string_pretty(&doc).context("encoding the table")?;
    std::fs::write(&out, format!("{text}\n"))
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "{} move pair(s) from {} snapshot(s); {} bucket(s) learned; written to {}",
        pairs.len(),
        rows.len(),
        table.len(),
        out.display()
    );
    if args.json {
        println!("{doc}");
    } else {
        for (key, entry) in table.entries() {
            println!(
                "{} {:<8} {:<14} multiplier {:.3} ({} pairs)",
                key.option_type.code(),
                moneyness_name(key.moneyness),
                expiry_name(key.expiry),
                entry.multiplier,
                entry.samples
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Consecutive snapshots of one contract on one IST day as move pairs. `rows` must be ordered
/// by trading symbol, then time (as [`Store::option_snapshots`] returns them).
pub fn move_pairs(rows: &[SnapshotRow]) -> Vec<MovePair> {
    let mut out = Vec::new();
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let same_day = a.timestamp.with_timezone(&IST).date_naive()
            == b.timestamp.with_timezone(&IST).date_naive();
        if a.trading_symbol != b.trading_symbol || !same_day || b.timestamp <= a.timestamp {
            continue;
        }
        let f = |d: rust_decimal::Decimal| d.to_f64().unwrap_or(f64::NAN);
        let (s0, s1, p0, p1) = (f(a.spot), f(b.spot), f(a.premium), f(b.premium));
        if !(s0 > 0.0 && s1 > 0.0 && p0 > 0.0 && p1 > 0.0) {
            continue;
        }
        out.push(MovePair {
            option_type: a.option_type,
            moneyness_pct: f(a.strike) / s0 * 100.0,
            days_to_expiry: days_to_expiry(a.timestamp, a.expiry),
            underlying_move_pct: (s1 / s0 - 1.0) * 100.0,
            option_move_pct: (p1 / p0 - 1.0) * 100.0,
            iv: a.iv,
        });
    }
    out
}

const MONEYNESS: [(MoneynessBucket, &str); 5] = [
    (MoneynessBucket::DeepItm, "deep_itm"),
    (MoneynessBucket::Itm, "itm"),
    (MoneynessBucket::Atm, "atm"),
    (MoneynessBucket::Otm, "otm"),
    (MoneynessBucket::DeepOtm, "deep_otm"),
];

const EXPIRY: [(ExpiryBucket, &str); 5] = [
    (ExpiryBucket::ExpiryDay, "expiry_day"),
    (ExpiryBucket::UpTo3Days, "up_to_3_days"),
    (ExpiryBucket::UpTo7Days, "up_to_7_days"),
    (ExpiryBucket::UpTo30Days, "up_to_30_days"),
    (ExpiryBucket::Beyond30Days, "beyond_30_days"),
];

fn moneyness_name(b: MoneynessBucket) -> &'static str {
    MONEYNESS
        .iter()
        .find(|(x, _)| *x == b)
        .map_or("?", |(_, n)| n)
}

fn expiry_name(b: ExpiryBucket) -> &'static str {
    EXPIRY.iter().find(|(x, _)| *x == b).map_or("?", |(_, n)| n)
}

/// The table as the documented JSON document.
pub fn table_json(table: &CorrelationTable) -> Json {
    let entries: Vec<Json> = table
        .entries()
        .map(|(k, e)| {
            json!({
                "option_type": k.option_type.code(),
                "moneyness": moneyness_name(k.moneyness),
                "expiry": expiry_name(k.expiry),
                "multiplier": e.multiplier,
                "samples": e.samples,
                "mean_iv": e.mean_iv,
            })
        })
        .collect();
    json!({
        "format": TABLE_FORMAT,
        "version": 1,
        "default_multiplier": table.default_multiplier,
        "entries": entries,
    })
}

/// Reads a table file; the error names the file and the field.
pub fn load_table(path: &Path) -> anyhow::Result<Result<CorrelationTable, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read correlation table {}", path.display()))?;
    let at = |what: String| format!("correlation table {}: {what}", path.display());
    let doc: Json = match serde_json::from_str(&text) {
        Ok(d) => d,
        Err(e) => return Ok(Err(at(format!("not JSON: {e}")))),
    };
    if doc.get("format").and_then(Json::as_str) != Some(TABLE_FORMAT) {
        return Ok(Err(at(format!("`format` must be \"{TABLE_FORMAT}\""))));
    }
    let mut table = CorrelationTable::new();
    if let Some(m) = doc.get("default_multiplier").and_then(Json::as_f64) {
        if !(m.is_finite() && m > 0.0) {
            return Ok(Err(at(format!(
                "`default_multiplier` must be > 0, got {m}"
            ))));
        }
        table.default_multiplier = m;
    }
    let Some(entries) = doc.get("entries").and_then(Json::as_array) else {
        return Ok(Err(at("`entries` must be a list".to_string())));
    };
    for (i, e) in entries.iter().enumerate() {
        let field = |name: &str| e.get(name).and_then(Json::as_str).unwrap_or("");
        let option_type = match field("option_type") {
            "CE" => OptionType::CE,
            "PE" => OptionType::PE,
            other => {
                return Ok(Err(at(format!(
                    "entries[{i}].option_type must be CE or PE, got `{other}`"
                ))))
            }
        };
        let Some(moneyness) = MONEYNESS.iter().find(|(_, n)| *n == field("moneyness")) else {
            return Ok(Err(at(format!(
                "entries[{i}].moneyness `{}` is not a bucket",
                field("moneyness")
            ))));
        };
        let Some(expiry) = EXPIRY.iter().find(|(_, n)| *n == field("expiry")) else {
            return Ok(Err(at(format!(
                "entries[{i}].expiry `{}` is not a bucket",
                field("expiry")
            ))));
        };
        let multiplier = e
            .get("multiplier")
            .and_then(Json::as_f64)
            .unwrap_or(f64::NAN);
        if !(multiplier.is_finite() && multiplier > 0.0) {
            return Ok(Err(at(format!(
                "entries[{i}].multiplier must be a number > 0"
            ))));
        }
        table.insert(
            CorrelationKey {
                moneyness: moneyness.0,
                option_type,
                expiry: expiry.0,
            },
            CorrelationEntry {
                multiplier,
                samples: e.get("samples").and_then(Json::as_u64).unwrap_or(0) as usize,
                mean_iv: e.get("mean_iv").and_then(Json::as_f64),
            },
        );
    }
    Ok(Ok(table))
}

/// Reads a config file and, when it names `options_trading.correlation_table: PATH`, loads
/// that table (the path relative to the config file's directory). The outer error is an I/O
/// failure; the inner one lists the config's problems or the table's.
pub fn load_config_with_table(
    file: &Path,
) -> anyhow::Result<Result<(Config, Option<CorrelationTable>), String>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read config file {}", file.display()))?;
    let config = match Config::from_yaml_str(&text) {
        Ok(c) => c,
        Err(errors) => {
            return Ok(Err(format!(
                "{} has {} problem(s):\n{}",
                file.display(),
                errors.problems().len(),
                errors
            )))
        }
    };
    let table = match table_for(&config, file)? {
        Ok(t) => t,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok((config, table)))
}

/// Where `options_trading.correlation_table` points: relative paths from the directory of
/// `config_file`.
pub fn table_path(config: &Config, config_file: &Path) -> Option<PathBuf> {
    let p = PathBuf::from(config.options_trading.correlation_table.as_deref()?);
    let base = config_file.parent().unwrap_or_else(|| Path::new("."));
    Some(if p.is_absolute() { p } else { base.join(p) })
}

/// The table `options_trading.correlation_table` names, loaded; `None` when the key is not
/// set. The outer error is an I/O failure (the file cannot be read); the inner one a malformed
/// table, naming the file and field.
pub fn table_for(
    config: &Config,
    config_file: &Path,
) -> anyhow::Result<Result<Option<CorrelationTable>, String>> {
    match table_path(config, config_file) {
        None => Ok(Ok(None)),
        Some(p) => Ok(load_table(&p)
            .with_context(|| {
                format!(
                    "options_trading.correlation_table in {}",
                    config_file.display()
                )
            })?
            .map(Some)),
    }
}
