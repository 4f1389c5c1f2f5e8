//! The config sections. Every field has a default (see each `Default` impl and field doc), so a
//! config only needs the keys it changes, except `strategies`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::Symbol;
pub use crate::options::pricing::TargetMethod;
pub use crate::options::strike::{LiquidityFilters, StrikePreference, StrikeSelectionConfig};
pub use crate::portfolio::{ChargeSchedule, ExitConfig, TrailingConfig};
pub use crate::risk::RiskConfig;
pub use crate::strategy::StrategyParams;

/// The whole configuration file.
///
/// Read from YAML with [`Config::from_yaml_str`]: every key has a default, and every problem
/// (unknown keys, wrong types, values out of range) is reported with its key path.
///
/// ```
/// use alphastock_core::config::Config;
///
/// let config = Config::from_yaml_str(
///     "strategies:\n  ema_crossover: { symbols: [BANKNIFTY], parameters: { fast_ema: 3, slow_ema: 8 } }\n",
/// )
/// .unwrap();
/// assert!(config.strategies["ema_crossover"].enabled);
///
/// let errors = Config::from_yaml_str("options_trading:\n  entry: { min_confidance: 50 }\n")
///     .unwrap_err();
/// assert!(errors.to_string().contains("options_trading.entry.min_confidance"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `system`: environment label and log level.
    pub system: SystemConfig,
    /// `market_data_runner`: how often and how the underlyings are polled.
    pub market_data_runner: MarketDataRunnerConfig,
    /// `options_data_runner`: how often options are polled and which strikes are watched.
    pub options_data_runner: OptionsDataRunnerConfig,
    /// `strategies`: strategy instances by name.
    pub strategies: BTreeMap<String, StrategyConfig>,
    /// `options_trading`: turning signals into option trades, and risk.
    pub options_trading: OptionsTradingConfig,
    /// `market`: trading calendar and instrument facts not taken from the broker.
    pub market: MarketConfig,
    /// `storage`: where the journal and history are kept.
    pub storage: StorageConfig,
    /// `broker`: the mStock client's transport settings and the paper broker's fill model.
    pub broker: super::BrokerConfig,
    /// `simulation`: the seeded simulated market for paper runs without a broker.
    pub simulation: crate::sim::SimConfig,
    /// `alerts`: webhook and Telegram alerts, their events and limits.
    pub alerts: super::AlertsConfig,
    /// `dashboard`: the web dashboard's access token and kill-switch button.
    pub dashboard: super::DashboardConfig,
    /// `ml`: the learned signal filter and option-move model (both off by default).
    pub ml: MlConfig,
}

/// `ml` section: learned models, each a file the command line reads (relative to the config
/// file's directory) and hands to the engine. The core does no I/O.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MlConfig {
    /// `filter`: drop option signals whose learned win probability is below a minimum
    /// (default none: no filter).
    pub filter: Option<MlFilterConfig>,
    /// `option_move_model`: a model written by `alphastock ml evaluate-pricing --out` (JSON),
    /// used by the `learned` target method (default none).
    pub option_move_model: Option<String>,
}

/// `ml.filter`: the learned signal filter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlFilterConfig {
    /// `model`: a model written by `alphastock ml train` (JSON).
    pub model: String,
    /// `min_probability`: the win probability (0–1, a fraction) a signal needs to be traded.
    pub min_probability: f64,
}

/// Deployment label. It is informational: it does **not** switch on live trading, which needs
/// the explicit live flag and confirmation of the run command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Local development.
    Development,
    /// Paper trading (the default).
    #[default]
    Paper,
    /// A production deployment.
    Production,
}

impl Environment {
    /// `development`, `paper` or `production`.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Paper => "paper",
            Environment::Production => "production",
        }
    }
}

/// Log verbosity; written upper- or lower-case in YAML (`INFO`, `info`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogLevel {
    /// Everything, including per-tick detail.
    #[serde(rename = "TRACE", alias = "trace")]
    Trace,
    /// Diagnostic detail.
    #[serde(rename = "DEBUG", alias = "debug")]
    Debug,
    /// One line per signal, order, fill and exit (the default).
    #[default]
    #[serde(rename = "INFO", alias = "info")]
    Info,
    /// Problems that were handled.
    #[serde(rename = "WARN", alias = "warn", alias = "WARNING", alias = "warning")]
    Warn,
    /// Failures only.
    #[serde(rename = "ERROR", alias = "error")]
    Error,
}

impl LogLevel {
    /// The level as a lower-case filter directive (`info`).
    pub fn as_filter(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// `system` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemConfig {
    /// `environment`: development, paper (default) or production.
    pub environment: Environment,
    /// `log_level`: TRACE, DEBUG, INFO (default), WARN or ERROR: the level of the structured
    /// logs `alphastock run` writes to stderr (`RUST_LOG` overrides it). At INFO stderr keeps to
    /// warnings, since stdout already has one line per signal, order, fill and exit.
    pub log_level: LogLevel,
    /// `live_trading_confirmed`: true lets `alphastock run --live` trade real money without the
    /// `--confirm-live` flag (default false).
    pub live_trading_confirmed: bool,
}

/// `market_data_runner` section: polling of the underlyings' quotes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MarketDataRunnerConfig {
    /// `frequency_seconds`: seconds between polls (default 5, at least 1).
    pub frequency_seconds: u64,
    /// `retry_attempts`: attempts for a failed read before the tick is skipped (default 3).
    pub retry_attempts: u32,
    /// `batch_size`: instruments per quote call (default 50, 1 to 500).
    pub batch_size: u32,
    /// `candle_minutes`: bar length the strategies see, minutes (default 5, 1 to 375).
    pub candle_minutes: u32,
}

impl Default for MarketDataRunnerConfig {
    fn default() -> Self {
        Self {
            frequency_seconds: 5,
            retry_attempts: 3,
            batch_size: 50,
            candle_minutes: 5,
        }
    }
}

/// `options_data_runner` section: polling of the watched option contracts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptionsDataRunnerConfig {
    /// `frequency_seconds`: seconds between option polls (default 2, at least 1).
    pub frequency_seconds: u64,
    /// `strike_selection`: which strikes are watched and which are liquid enough to trade.
    pub strike_selection: StrikeSelectionConfig,
}

impl Default for OptionsDataRunnerConfig {
    fn default() -> Self {
        Self {
            frequency_seconds: 2,
            strike_selection: StrikeSelectionConfig::default(),
        }
    }
}

/// What a strategy instance trades when it signals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TradeInstrument {
    /// Buy the underlying's option: CE when bullish, PE when bearish (the default).
    #[default]
    Option,
    /// Trade the symbol itself (cash equity or futures), long on BUY and short on SELL.
    Underlying,
}

/// One entry of `strategies`: a strategy instance, keyed by its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StrategyConfig {
    /// `enabled`: whether it runs (default true).
    pub enabled: bool,
    /// `strategy`: which built-in strategy this instance is; defaults to the entry's name, so
    /// `ema_crossover: {...}` needs no `strategy` key, while `fast_trend: {strategy: ema_crossover}`
    /// runs a second EMA crossover with other parameters.
    pub strategy: Option<String>,
    /// `symbols`: underlyings it analyses, e.g. `BANKNIFTY`, `NSE:SBIN`.
    pub symbols: Vec<Symbol>,
    /// `parameters`: the strategy's own parameters (see each strategy's docs).
    pub parameters: StrategyParams,
    /// `instrument`: `option` (default) or `underlying` (trade a cash equity such as
    /// `NSE:SBIN` itself, long and short; see [`crate::signal::process_underlying`]).
    pub instrument: TradeInstrument,
    /// `flip`: with `instrument: underlying`, an opposite signal closes the open position and
    /// opens the reverse one (default true); when false it is rejected while the position is
    /// open. Ignored for options.
    pub flip: bool,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            strategy: None,
            symbols: Vec::new(),
            parameters: StrategyParams::new(),
            instrument: TradeInstrument::Option,
            flip: true,
        }
    }
}

impl StrategyConfig {
    /// The built-in strategy kind: `strategy` if set, else the entry's `name`.
    pub fn kind<'a>(&'a self, name: &'a str) -> &'a str {
        self.strategy.as_deref().unwrap_or(name)
    }
}

/// `options_trading` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptionsTradingConfig {
    /// `enabled`: when false, signals are recorded but no option orders are placed (default true).
    pub enabled: bool,
    /// `target_calculation_method`: how the option's target and stop premium are derived from
    /// the underlying's: `delta_based` (default), `historical_correlation`, `delta_gamma`,
    /// `reprice` or `blend` (see [`crate::options::pricing`]).
    pub target_calculation_method: TargetMethod,
    /// `risk_free_rate`: continuously compounded annual rate as a fraction (0.065 = 6.5 %) used
    /// for Black-Scholes greeks, implied vol and repricing (default 0).
    pub risk_free_rate: f64,
    /// `risk_management`: sizing and limits.
    pub risk_management: RiskConfig,
    /// `entry`: rules that turn a signal into an entry order (staleness, cut-offs, limit price).
    pub entry: crate::signal::EntryConfig,
    /// `charges`: brokerage, taxes and fees, so P&L is net.
    pub charges: ChargeSchedule,
    /// `exits`: target, stops, trailing, time and partial exits (options and stocks alike).
    pub exits: ExitConfig,
    /// `underlying`: product, tick and charges for strategies that trade the stock itself.
    pub underlying: crate::signal::UnderlyingTradingConfig,
    /// `correlation_table`: a file written by `alphastock correlations build` (JSON), relative
    /// to the config file's directory, whose learned multipliers the `historical_correlation`
    /// method uses (default none: the table's default multiplier 4). The core does no I/O: the
    /// command line reads the file for `run`, `backtest`, `price-option` and `config check`
    /// and hands the table to the engine (`Engine::set_correlations`).
    pub correlation_table: Option<String>,
    /// `protective_stop`: `broker` (a stop-loss order rests at the broker for every open
    /// position, placed, trailed and cancelled by the engine; see
    /// [`crate::engine::protect`]) or `local` (the engine alone watches the stop). Default
    /// none: `broker` for `alphastock run --live`, `local` for paper runs (set `broker` to
    /// rehearse it against the paper broker, which simulates stop orders). Backtests always
    /// watch stops locally.
    pub protective_stop: Option<crate::engine::ProtectiveStopMode>,
}

impl Default for OptionsTradingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            target_calculation_method: TargetMethod::DeltaBased,
            risk_management: RiskConfig::default(),
            entry: crate::signal::EntryConfig::default(),
            risk_free_rate: 0.0,
            charges: ChargeSchedule::default(),
            exits: ExitConfig::default(),
            underlying: crate::signal::UnderlyingTradingConfig::default(),
            correlation_table: None,
            protective_stop: None,
        }
    }
}

/// `market` section: the calendar and instrument facts used when the broker's script master is
/// not available (paper trading on the simulated market, backtests).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MarketConfig {
    /// `holidays`: exchange holidays (dates, `2025-10-21`) on which the market is closed.
    pub holidays: Vec<NaiveDate>,
    /// `instruments`: per-underlying facts, keyed by symbol.
    pub instruments: BTreeMap<Symbol, InstrumentConfig>,
}

impl MarketConfig {
    /// The holidays the market is closed on: NSE's weekday holidays from the market rules
    /// (`crate::rules`, 2024 onwards) together with `holidays`, sorted and without repeats.
    pub fn holidays_with_rules(&self) -> Vec<NaiveDate> {
        let mut all: Vec<NaiveDate> = self.holidays.clone();
        if let Ok(rules) = crate::rules::MarketRules::embedded() {
            all.extend(rules.calendar().listed_holidays());
        }
        all.sort();
        all.dedup();
        all
    }
}

/// `market.instruments.<SYMBOL>`: contract facts of one underlying. Lot sizes change (NSE revised
/// index lots in 2024 and 2025); live trading takes them from the broker's script master instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstrumentConfig {
    /// `lot_size`: units per lot of its options (required for paper trading).
    pub lot_size: u32,
    /// `strike_step`: rupees between listed strikes (e.g. 100 for BANKNIFTY, 50 for NIFTY).
    pub strike_step: Decimal,
    /// `tick_size`: option price step, rupees (default 0.05).
    pub tick_size: Decimal,
}

impl Default for InstrumentConfig {
    fn default() -> Self {
        Self {
            lot_size: 0,
            strike_step: Decimal::from(50),
            tick_size: Decimal::new(5, 2),
        }
    }
}

/// `storage` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    /// `path`: the SQLite journal file (default `alphastock.db`).
    pub path: String,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            path: "alphastock.db".to_string(),
        }
    }
}
