//! `alphastock config check FILE`.
//!
//! Exit 2 with every problem on its own line (key path first) when the config is invalid: a
//! key or value the core rejects, a symbol AlphaStock cannot know (with a "did you mean" hint),
//! or an `options_trading.correlation_table`, `ml.filter.model` or `ml.option_move_model` that
//! does not load. Otherwise exit 0 with a
//! one-line summary on stdout, after a `warning:` line on stderr for each limit that makes the
//! configured trades impossible (see `alphastock_core::config::Config::warnings`).
//!
//! **Known symbols.** An index (a bare name) is known when it is one of [`INDICES`], or is
//! configured in `market.instruments` or `simulation.underlyings`, or is the underlying of a
//! derivative in the broker's instrument list cached in the `token_cache_dir` of the broker
//! `broker.kind` names: mStock's script master (`scriptmaster-DATE.csv`) or Kite's lists
//! (`kite-instruments-EXCHANGE-DATE.csv`), written by `alphastock run --live`; the newest one is
//! read. A stock (`NSE:SBIN`) is known when its name is in [`FNO_STOCKS`] (NSE's stocks with
//! options), in the cached list (an equity or a derivative's underlying), or configured as
//! above.
//!
//! **Credentials.** A valid config whose `broker.kind` is a live broker gets a `note:` line on
//! stderr naming the broker's environment variables that are not set (`MSTOCK_API_KEY`, ...,
//! or `KITE_API_KEY`, `KITE_API_SECRET`): `alphastock run --live` would stop on them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use alphastock_core::config::{suggest, BrokerKind, Config, ConfigProblem};
use alphastock_core::market::Exchange;

use super::EXIT_INVALID;
use crate::mstock::script_master::parse_script_master;

/// Index underlyings with options on NSE and BSE.
pub const INDICES: &[&str] = &[
    "NIFTY",
    "BANKNIFTY",
    "FINNIFTY",
    "MIDCPNIFTY",
    "NIFTYNXT50",
    "SENSEX",
    "BANKEX",
    "SENSEX50",
];

/// NSE stocks with traded options (the F&O list, 2024–2025; the broker's script master, when
/// cached, extends it).
pub const FNO_STOCKS: &[&str] = &[
    "AARTIIND",
    "ABB",
    "ABCAPITAL",
    "ABFRL",
    "ACC",
    "ADANIENSOL",
    "ADANIENT",
    "ADANIGREEN",
    "ADANIPORTS",
    "ALKEM",
    "AMBUJACEM",
    "ANGELONE",
    "APLAPOLLO",
    "APOLLOHOSP",
    "APOLLOTYRE",
    "ASHOKLEY",
    "ASIANPAINT",
    "ASTRAL",
    "ATGL",
    "ATUL",
    "AUBANK",
    "AUROPHARMA",
    "AXISBANK",
    "BAJAJ-AUTO",
    "BAJAJFINSV",
    "BAJFINANCE",
    "BALKRISIND",
    "BANDHANBNK",
    "BANKBARODA",
    "BANKINDIA",
    "BEL",
    "BERGEPAINT",
    "BHARATFORG",
    "BHARTIARTL",
    "BHEL",
    "BIOCON",
    "BLUESTARCO",
    "BOSCHLTD",
    "BPCL",
    "BRITANNIA",
    "BSE",
    "BSOFT",
    "CAMS",
    "CANBK",
    "CANFINHOME",
    "CDSL",
    "CESC",
    "CGPOWER",
    "CHAMBLFERT",
    "CHOLAFIN",
    "CIPLA",
    "COALINDIA",
    "COFORGE",
    "COLPAL",
    "CONCOR",
    "COROMANDEL",
    "CROMPTON",
    "CUB",
    "CUMMINSIND",
    "CYIENT",
    "DABUR",
    "DALBHARAT",
    "DEEPAKNTR",
    "DELHIVERY",
    "DIVISLAB",
    "DIXON",
    "DLF",
    "DMART",
    "DRREDDY",
    "EICHERMOT",
    "ESCORTS",
    "ETERNAL",
    "EXIDEIND",
    "FEDERALBNK",
    "GAIL",
    "GLENMARK",
    "GMRAIRPORT",
    "GMRINFRA",
    "GNFC",
    "GODREJCP",
    "GODREJPROP",
    "GRANULES",
    "GRASIM",
    "GUJGASLTD",
    "HAL",
    "HAVELLS",
    "HCLTECH",
    "HDFCAMC",
    "HDFCBANK",
    "HDFCLIFE",
    "HEROMOTOCO",
    "HFCL",
    "HINDALCO",
    "HINDCOPPER",
    "HINDPETRO",
    "HINDUNILVR",
    "HINDZINC",
    "HUDCO",
    "ICICIBANK",
    "ICICIGI",
    "ICICIPRULI",
    "IDEA",
    "IDFCFIRSTB",
    "IEX",
    "IGL",
    "IIFL",
    "INDHOTEL",
    "INDIANB",
    "INDIAMART",
    "INDIGO",
    "INDUSINDBK",
    "INDUSTOWER",
    "INFY",
    "INOXWIND",
    "IOC",
    "IPCALAB",
    "IRB",
    "IRCTC",
    "IREDA",
    "IRFC",
    "ITC",
    "JINDALSTEL",
    "JIOFIN",
    "JKCEMENT",
    "JSL",
    "JSWENERGY",
    "JSWSTEEL",
    "JUBLFOOD",
    "KALYANKJIL",
    "KAYNES",
    "KEI",
    "KFINTECH",
    "KOTAKBANK",
    "KPITTECH",
    "LAURUSLABS",
    "LICHSGFIN",
    "LICI",
    "LODHA",
    "LT",
    "LTF",
    "LTIM",
    "LTTS",
    "LUPIN",
    "M&M",
    "M&MFIN",
    "MANAPPURAM",
    "MANKIND",
    "MARICO",
    "MARUTI",
    "MAXHEALTH",
    "MAZDOCK",
    "MCX",
    "METROPOLIS",
    "MFSL",
    "MGL",
    "MOTHERSON",
    "MPHASIS",
    "MRF",
    "MUTHOOTFIN",
    "NATIONALUM",
    "NAUKRI",
    "NAVINFLUOR",
    "NBCC",
    "NCC",
    "NESTLEIND",
    "NHPC",
    "NMDC",
    "NTPC",
    "NYKAA",
    "OBEROIRLTY",
    "OFSS",
    "OIL",
    "ONGC",
    "PAGEIND",
    "PATANJALI",
    "PAYTM",
    "PEL",
    "PERSISTENT",
    "PETRONET",
    "PFC",
    "PHOENIXLTD",
    "PIDILITIND",
    "PIIND",
    "PNB",
    "PNBHOUSING",
    "POLICYBZR",
    "POLYCAB",
    "POONAWALLA",
    "POWERGRID",
    "PRESTIGE",
    "PVRINOX",
    "RAMCOCEM",
    "RBLBANK",
    "RECLTD",
    "RELIANCE",
    "SAIL",
    "SBICARD",
    "SBILIFE",
    "SBIN",
    "SHREECEM",
    "SHRIRAMFIN",
    "SIEMENS",
    "SJVN",
    "SOLARINDS",
    "SONACOMS",
    "SRF",
    "SUNPHARMA",
    "SUPREMEIND",
    "SYNGENE",
    "TATACHEM",
    "TATACOMM",
    "TATACONSUM",
    "TATAELXSI",
    "TATAMOTORS",
    "TATAPOWER",
    "TATASTEEL",
    "TATATECH",
    "TCS",
    "TECHM",
    "TIINDIA",
    "TITAGARH",
    "TITAN",
    "TORNTPHARM",
    "TORNTPOWER",
    "TRENT",
    "TVSMOTOR",
    "UBL",
    "ULTRACEMCO",
    "UNIONBANK",
    "UNITDSPR",
    "UPL",
    "VBL",
    "VEDL",
    "VOLTAS",
    "WIPRO",
    "YESBANK",
    "ZOMATO",
    "ZYDUSLIFE",
];

/// Configuration subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a config file: exit 0 with a one-line summary (and a `warning:` line on stderr
    /// for each limit that forbids the configured trades), or exit 2 listing every problem (one
    /// per line, key path first).
    Check {
        /// Path to the YAML config file.
        file: PathBuf,
    },
}

/// Runs a config subcommand.
pub fn run(cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check { file } => check(&file),
    }
}

/// Reads and parses a config file; the error lists every problem, one per line.
pub fn load(file: &Path) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read config file {}", file.display()))?;
    Config::from_yaml_str(&text).map_err(|errors| {
        anyhow::anyhow!(
            "{} has {} problem(s):\n{}",
            file.display(),
            errors.problems().len(),
            errors
        )
    })
}

fn check(file: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read config file {}", file.display()))?;
    let problems: Vec<ConfigProblem> = match Config::from_yaml_str(&text) {
        Ok(cfg) => {
            let mut problems = unknown_symbols(&cfg, &KnownSymbols::for_config(&cfg));
            match super::correlations::table_for(&cfg, file) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => problems.push(ConfigProblem::new(
                    "options_trading.correlation_table",
                    format!("does not load: {e}"),
                )),
                Err(e) => problems.push(ConfigProblem::new(
                    "options_trading.correlation_table",
                    format!("cannot be read: {:#}", e.root_cause()),
                )),
            }
            if let Err(e) = super::ml::load_models(&cfg, file) {
                problems.push(ConfigProblem::new(e.key, e.message));
            }
            if problems.is_empty() {
                let today = chrono::Utc::now()
                    .with_timezone(&alphastock_core::market::IST)
                    .date_naive();
                for w in cfg.warnings(today) {
                    eprintln!("warning: {w}");
                }
                if let Some(note) =
                    missing_credentials_note(cfg.broker.kind, |k| std::env::var(k).ok())
                {
                    eprintln!("note: {note}");
                }
                println!("{}: OK — {}", file.display(), summary(&cfg));
                return Ok(ExitCode::SUCCESS);
            }
            problems
        }
        Err(errors) => errors.problems().to_vec(),
    };
    eprintln!("{}: {} problem(s)", file.display(), problems.len());
    for p in &problems {
        println!("{p}");
    }
    Ok(ExitCode::from(EXIT_INVALID))
}

/// The symbols a config may name (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct KnownSymbols {
    /// Index names.
    pub indices: BTreeSet<String>,
    /// Stock names (without the exchange prefix).
    pub stocks: BTreeSet<String>,
    /// The script master file read, if any.
    pub script_master: Option<PathBuf>,
}

impl KnownSymbols {
    /// The built-in lists, the config's own instruments and simulated underlyings, and the
    /// newest script master cached in the config's `broker.mstock.token_cache_dir`.
    pub fn for_config(cfg: &Config) -> Self {
        let mut k = KnownSymbols {
            indices: INDICES.iter().map(|s| s.to_string()).collect(),
            stocks: FNO_STOCKS.iter().map(|s| s.to_string()).collect(),
            script_master: None,
        };
        let configured = cfg
            .market
            .instruments
            .keys()
            .chain(cfg.simulation.underlyings.keys());
        for s in configured {
            if s.is_index() {
                k.indices.insert(s.name().to_string());
            } else {
                k.stocks.insert(s.name().to_string());
            }
        }
        let cache = crate::net::cache_dir::resolve_cache_dir(cache_setting(cfg), |name| {
            std::env::var(name).ok()
        });
        if let Some(path) = cache
            .as_deref()
            .and_then(|d| newest_script_master(d, list_prefix(cfg.broker.kind)))
        {
            if let Ok(records) = std::fs::read_to_string(&path)
                .map_err(anyhow::Error::from)
                .and_then(|t| {
                    match cfg.broker.kind {
                        BrokerKind::Kite => crate::kite::instruments::parse_instruments(&t),
                        BrokerKind::Mstock | BrokerKind::Paper => parse_script_master(&t),
                    }
                    .map_err(anyhow::Error::from)
                })
            {
                for r in records {
                    if r.exchange.is_derivatives() {
                        if !r.name.is_empty() {
                            k.indices.insert(r.name.clone());
                            k.stocks.insert(r.name.clone());
                        }
                    } else if matches!(r.exchange, Exchange::Nse | Exchange::Bse) {
                        let name = r.trading_symbol.trim_end_matches("-EQ").to_string();
                        k.stocks.insert(name);
                    }
                }
                k.script_master = Some(path);
            }
        }
        k
    }
}

/// The `token_cache_dir` setting of the broker `broker.kind` names (mStock's for `paper`).
fn cache_setting(cfg: &Config) -> &str {
    match cfg.broker.kind {
        BrokerKind::Kite => &cfg.broker.kite.token_cache_dir,
        BrokerKind::Mstock | BrokerKind::Paper => &cfg.broker.mstock.token_cache_dir,
    }
}

/// The file-name prefix of the cached instrument lists of `kind`.
fn list_prefix(kind: BrokerKind) -> &'static str {
    match kind {
        BrokerKind::Kite => crate::kite::instruments::CACHE_PREFIX,
        BrokerKind::Mstock | BrokerKind::Paper => "scriptmaster-",
    }
}

/// What `config check` says about the live broker's credentials: `None` for `paper` or when
/// every variable the broker needs is set (read through `lookup`).
pub fn missing_credentials_note(
    kind: BrokerKind,
    lookup: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let needed: &[&str] = match kind {
        BrokerKind::Paper => return None,
        BrokerKind::Mstock => &[
            crate::mstock::credentials::ENV_API_KEY,
            crate::mstock::credentials::ENV_API_SECRET,
            crate::mstock::credentials::ENV_USERNAME,
            crate::mstock::credentials::ENV_PASSWORD,
        ],
        BrokerKind::Kite => &[
            crate::kite::config::ENV_API_KEY,
            crate::kite::config::ENV_API_SECRET,
        ],
    };
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|n| lookup(n).is_none_or(|v| v.trim().is_empty()))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "broker.kind is {}: `alphastock run --live` needs {} set in the environment",
            kind.name(),
            missing.join(", ")
        )
    })
}

/// The newest `{prefix}*.csv` in `dir`, by name (the date sorts).
fn newest_script_master(dir: &Path, prefix: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".csv"))
        })
        .collect();
    found.sort();
    found.pop()
}

/// Every symbol of the strategies and the correlated groups that is not known, with a "did you
/// mean" hint when one is close.
pub fn unknown_symbols(cfg: &Config, known: &KnownSymbols) -> Vec<ConfigProblem> {
    let mut out = Vec::new();
    let source = match &known.script_master {
        Some(p) => format!("the script master {}", p.display()),
        None => format!(
            "a script master (none cached in {}; a live run caches it)",
            crate::net::cache_dir::resolve_cache_dir(cache_setting(cfg), |name| std::env::var(
                name
            )
            .ok())
            .map_or_else(
                || "the cache directory".to_string(),
                |d| d.display().to_string()
            )
        ),
    };
    let mut check = |path: String, sym: &alphastock_core::market::Symbol| {
        let (set, what) = if sym.is_index() {
            (&known.indices, "index")
        } else {
            (&known.stocks, "stock")
        };
        if set.contains(sym.name()) {
            return;
        }
        let names: Vec<&str> = set.iter().map(String::as_str).collect();
        let hint = match suggest(sym.name(), &names) {
            Some(s) => {
                let full = match sym.explicit_exchange() {
                    Some(e) => format!("{}:{s}", e.code()),
                    None => s.to_string(),
                };
                format!(" (did you mean `{full}`?)")
            }
            None => String::new(),
        };
        out.push(ConfigProblem::new(
            path,
            format!(
                "{sym} is not a known {what}: not in the built-in list, the config's \
                 instruments or {source}{hint}"
            ),
        ));
    };
    for (name, s) in &cfg.strategies {
        for (i, sym) in s.symbols.iter().enumerate() {
            check(format!("strategies.{name}.symbols.{i}"), sym);
        }
    }
    let groups = &cfg.options_trading.risk_management.correlated_groups;
    for (g, group) in groups.iter().enumerate() {
        for (i, sym) in group.iter().enumerate() {
            check(
                format!("options_trading.risk_management.correlated_groups.{g}.{i}"),
                sym,
            );
        }
    }
    out
}

/// One line describing what the config will do.
pub fn summary(cfg: &Config) -> String {
    let enabled: Vec<String> = cfg
        .strategies
        .iter()
        .filter(|(_, s)| s.enabled)
        .map(|(name, s)| {
            let symbols: Vec<&str> = s.symbols.iter().map(|s| s.as_str()).collect();
            format!("{name} on {}", symbols.join(","))
        })
        .collect();
    format!(
        "environment {}, {} enabled strateg{} ({}), options trading {}, target method {}, max {} positions",
        cfg.system.environment.as_str(),
        enabled.len(),
        if enabled.len() == 1 { "y" } else { "ies" },
        enabled.join("; "),
        if cfg.options_trading.enabled { "on" } else { "off" },
        cfg.options_trading.target_calculation_method,
        cfg.options_trading.risk_management.max_positions,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_variables_of_the_chosen_broker_are_named() {
        let none = |_: &str| None;
        assert_eq!(missing_credentials_note(BrokerKind::Paper, none), None);
        let kite = missing_credentials_note(BrokerKind::Kite, |k| {
            (k == "KITE_API_KEY").then(|| "x".to_string())
        })
        .unwrap();
        assert_eq!(
            kite,
            "broker.kind is kite: `alphastock run --live` needs KITE_API_SECRET set in the environment"
        );
        let mstock = missing_credentials_note(BrokerKind::Mstock, none).unwrap();
        assert!(
            mstock.contains("MSTOCK_API_KEY, MSTOCK_API_SECRET, MSTOCK_USERNAME, MSTOCK_PASSWORD"),
            "{mstock}"
        );
        assert_eq!(
            missing_credentials_note(BrokerKind::Kite, |_| Some("x".into())),
            None
        );
    }
}
