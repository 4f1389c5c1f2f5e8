//! `broker` section: which broker a live run uses (`kind`), how the mStock and Kite clients talk
//! to their brokers (base URL, timeouts, rate limits, retries, circuit breaker, token cache) and
//! how the paper broker fills orders. Plain data; the clients that use it live in the CLI crate.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// `broker` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BrokerConfig {
    /// `kind`: the broker `alphastock run --live` and the broker commands use (default
    /// `mstock`). A plain `alphastock run` is paper whatever this says.
    pub kind: BrokerKind,
    /// `mstock`: the mStock Type A API client.
    pub mstock: MstockConfig,
    /// `kite`: the Zerodha Kite Connect v3 client.
    pub kite: KiteConfig,
    /// `paper`: the paper broker that fills against the quotes it is fed.
    pub paper: PaperConfig,
}

impl BrokerConfig {
    /// Problems as (key path relative to `broker`, reason) pairs; empty when valid.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, r) in self.mstock.validate() {
            out.push((format!("mstock.{k}"), r));
        }
        for (k, r) in self.kite.validate() {
            out.push((format!("kite.{k}"), r));
        }
        for (k, r) in self.paper.validate() {
            out.push((format!("paper.{k}"), r));
        }
        out
    }
}

/// `broker.kind`: which broker live trading goes through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BrokerKind {
    /// Mirae Asset mStock (Type A API); the default, so configs written before `kind` keep
    /// their meaning.
    #[default]
    Mstock,
    /// Zerodha Kite Connect v3.
    Kite,
    /// No live broker: `alphastock run --live` is refused.
    Paper,
}

impl BrokerKind {
    /// The name as written in the config (`mstock`, `kite`, `paper`).
    pub fn name(self) -> &'static str {
        match self {
            BrokerKind::Mstock => "mstock",
            BrokerKind::Kite => "kite",
            BrokerKind::Paper => "paper",
        }
    }
}

impl std::str::FromStr for BrokerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mstock" => Ok(BrokerKind::Mstock),
            "kite" => Ok(BrokerKind::Kite),
            "paper" => Ok(BrokerKind::Paper),
            other => Err(format!(
                "unknown broker {other:?}: expected mstock, kite or paper"
            )),
        }
    }
}

/// The rate limits of one broker's client: its own endpoint classes and windows, and the
/// defaults of the broker's section that depend on the broker.
pub trait BrokerRateLimits:
    std::fmt::Debug + Clone + PartialEq + Default + Serialize + DeserializeOwned
{
    /// The section's default `base_url`.
    const BASE_URL: &'static str;
    /// The section's default `quote_batch_size` (instruments per quote call).
    const QUOTE_BATCH_SIZE: u32;
    /// Problems as (key path relative to `rate_limits`, reason) pairs.
    fn problems(&self) -> Vec<(String, String)>;
}

/// A broker client's section (`broker.mstock`, `broker.kite`): base URL, timeouts, the
/// broker's rate limits `R`, retries, circuit breaker, token cache and quote batch size. One
/// struct for both brokers, so the keys, defaults and checks they share are written once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, bound = "R: BrokerRateLimits")]
pub struct TransportConfig<R> {
    /// `base_url`: API root (default `https://api.mstock.trade` for mStock,
    /// `https://api.kite.trade` for Kite); the `MSTOCK_BASE_URL` / `KITE_BASE_URL`
    /// environment variable overrides it.
    pub base_url: String,
    /// `connect_timeout_ms`: TCP/TLS connect timeout, milliseconds (default 5,000).
    pub connect_timeout_ms: u64,
    /// `read_timeout_ms`: time allowed for a whole response, milliseconds (default 10,000).
    pub read_timeout_ms: u64,
    /// `rate_limits`: client-side request rates per endpoint class of the broker.
    pub rate_limits: R,
    /// `retry`: retries of idempotent reads.
    pub retry: RetryConfig,
    /// `breaker`: the circuit breaker.
    pub breaker: BreakerConfig,
    /// `token_cache_dir`: directory of the day's access-token file and the broker's
    /// instrument list (mStock's script master, Kite's instruments). Empty (the default) means
    /// the platform cache directory, `$XDG_CACHE_HOME/alphastock` or `~/.cache/alphastock`,
    /// resolved by the CLI; never the working directory, where a token could be committed
    /// from a clone.
    pub token_cache_dir: String,
    /// `quote_batch_size`: instruments per quote call (default 50 for mStock; 500 for Kite,
    /// Kite's limit; 1 to 500).
    pub quote_batch_size: u32,
}

/// `broker.mstock` section: the mStock Type A API client.
pub type MstockConfig = TransportConfig<RateLimitsConfig>;

/// `broker.kite` section: the Kite Connect v3 client, with the same transport settings as
/// `broker.mstock`.
pub type KiteConfig = TransportConfig<KiteRateLimitsConfig>;

impl<R: BrokerRateLimits> Default for TransportConfig<R> {
    fn default() -> Self {
        Self {
            base_url: R::BASE_URL.to_string(),
            connect_timeout_ms: 5_000,
            read_timeout_ms: 10_000,
            rate_limits: R::default(),
            retry: RetryConfig::default(),
            breaker: BreakerConfig::default(),
            token_cache_dir: String::new(),
            quote_batch_size: R::QUOTE_BATCH_SIZE,
        }
    }
}

impl<R: BrokerRateLimits> TransportConfig<R> {
    /// Problems as (key path relative to the broker's section, e.g. `broker.mstock`, reason)
    /// pairs.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let url = self.base_url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            out.push((
                "base_url".to_string(),
                format!(
                    "must start with https:// (or http:// for a local test server), got {url:?}"
                ),
            ));
        }
        if self.connect_timeout_ms == 0 {
            out.push((
                "connect_timeout_ms".to_string(),
                "must be at least 1 millisecond".to_string(),
            ));
        }
        if self.read_timeout_ms == 0 {
            out.push((
                "read_timeout_ms".to_string(),
                "must be at least 1 millisecond".to_string(),
            ));
        }
        if !(1..=500).contains(&self.quote_batch_size) {
            out.push((
                "quote_batch_size".to_string(),
                format!("must be between 1 and 500, got {}", self.quote_batch_size),
            ));
        }
        for (k, r) in self.rate_limits.problems() {
            out.push((format!("rate_limits.{k}"), r));
        }
        for (k, r) in self.retry.validate() {
            out.push((format!("retry.{k}"), r));
        }
        for (k, r) in self.breaker.validate() {
            out.push((format!("breaker.{k}"), r));
        }
        out
    }
}

/// `broker.mstock.rate_limits`: the calls the client allows itself, per endpoint class and per
/// window. The broker publishes compounding windows — orders 30/s, 250/min, 1,000/h; market
/// data 1/s, 1,000/min, 5,000/h — and a client that only respects the per-second figure breaks
/// the hourly one during a normal day, so every window is enforced. Per second the calls are
/// evenly paced; per minute and per hour no more than the limit fall in any sliding window.
/// "Quotes" are the market-data calls (quotes, historical candles, option chains); "other" is
/// everything else (session, books, positions, funds, masters), for which the broker publishes
/// no figures: the data windows are assumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitsConfig {
    /// `orders_per_second`: place/modify/cancel calls per second (default 5; broker: 30).
    pub orders_per_second: f64,
    /// `orders_per_minute`: order calls in any 60 s (default 250, the broker's figure).
    pub orders_per_minute: u32,
    /// `orders_per_hour`: order calls in any 3,600 s (default 1,000, the broker's figure).
    pub orders_per_hour: u32,
    /// `quotes_per_second`: market-data calls per second (default 1, the broker's figure).
    pub quotes_per_second: f64,
    /// `quotes_per_minute`: market-data calls in any 60 s (default 1,000, the broker's figure).
    pub quotes_per_minute: u32,
    /// `quotes_per_hour`: market-data calls in any 3,600 s (default 5,000, the broker's figure).
    pub quotes_per_hour: u32,
    /// `other_per_second`: every other call per second (default 3).
    pub other_per_second: f64,
    /// `other_per_minute`: other calls in any 60 s (default 1,000, assumed as for data).
    pub other_per_minute: u32,
    /// `other_per_hour`: other calls in any 3,600 s (default 5,000, assumed as for data).
    pub other_per_hour: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        Self {
            orders_per_second: 5.0,
            orders_per_minute: 250,
            orders_per_hour: 1000,
            quotes_per_second: 1.0,
            quotes_per_minute: 1000,
            quotes_per_hour: 5000,
            other_per_second: 3.0,
            other_per_minute: 1000,
            other_per_hour: 5000,
        }
    }
}

impl BrokerRateLimits for RateLimitsConfig {
    const BASE_URL: &'static str = "https://api.mstock.trade";
    const QUOTE_BATCH_SIZE: u32 = 50;
    fn problems(&self) -> Vec<(String, String)> {
        self.validate()
    }
}

impl RateLimitsConfig {
    /// Problems as (key path relative to `rate_limits`, reason) pairs.
    pub fn validate(&self) -> Vec<(String, String)> {
        rate_problems(
            &[
                ("orders_per_second", self.orders_per_second),
                ("quotes_per_second", self.quotes_per_second),
                ("other_per_second", self.other_per_second),
            ],
            &[
                ("orders_per_minute", self.orders_per_minute),
                ("orders_per_hour", self.orders_per_hour),
                ("quotes_per_minute", self.quotes_per_minute),
                ("quotes_per_hour", self.quotes_per_hour),
                ("other_per_minute", self.other_per_minute),
                ("other_per_hour", self.other_per_hour),
            ],
        )
    }
}

/// Problems of per-second `rates` (positive, at most 1,000) and window `counts` (at least one
/// call), as (key, reason) pairs.
fn rate_problems(rates: &[(&str, f64)], counts: &[(&str, u32)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (k, v) in rates {
        if !(v.is_finite() && *v > 0.0 && *v <= 1000.0) {
            out.push((
                k.to_string(),
                format!("must be a positive rate up to 1000 per second, got {v}"),
            ));
        }
    }
    for (k, v) in counts {
        if *v == 0 {
            out.push((k.to_string(), "must be at least 1 call".to_string()));
        }
    }
    out
}

/// `broker.mstock.retry`: retries with exponential backoff and jitter, for idempotent reads only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryConfig {
    /// `max_attempts`: attempts in total, including the first (default 3, 1 to 10).
    pub max_attempts: u32,
    /// `base_delay_ms`: delay before the first retry, milliseconds; doubles each retry
    /// (default 200).
    pub base_delay_ms: u64,
    /// `max_delay_ms`: cap on any one delay, including a broker's Retry-After, milliseconds
    /// (default 5,000).
    pub max_delay_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay_ms: 200,
            max_delay_ms: 5_000,
        }
    }
}

impl RetryConfig {
    /// Problems as (key path relative to `retry`, reason) pairs.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !(1..=10).contains(&self.max_attempts) {
            out.push((
                "max_attempts".to_string(),
                format!("must be between 1 and 10, got {}", self.max_attempts),
            ));
        }
        if self.max_delay_ms < self.base_delay_ms {
            out.push((
                "max_delay_ms".to_string(),
                format!(
                    "must be at least base_delay_ms ({}), got {}",
                    self.base_delay_ms, self.max_delay_ms
                ),
            ));
        }
        out
    }
}

/// `broker.mstock.breaker`: stops calling a failing broker for a while.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BreakerConfig {
    /// `failure_threshold`: consecutive failed calls that open the breaker (default 5).
    pub failure_threshold: u32,
    /// `cooldown_seconds`: seconds the breaker stays open before letting one trial call through
    /// (default 30). Fractions allowed.
    pub cooldown_seconds: f64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            cooldown_seconds: 30.0,
        }
    }
}

impl BreakerConfig {
    /// Problems as (key path relative to `breaker`, reason) pairs.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.failure_threshold == 0 {
            out.push((
                "failure_threshold".to_string(),
                "must be at least 1".to_string(),
            ));
        }
        if !(self.cooldown_seconds.is_finite() && self.cooldown_seconds >= 0.0) {
            out.push((
                "cooldown_seconds".to_string(),
                format!(
                    "must be zero or more seconds, got {}",
                    self.cooldown_seconds
                ),
            ));
        }
        out
    }
}

/// `broker.kite.rate_limits`: Kite Connect's published limits (kite.trade/docs/connect/v3,
/// "Exceptions and errors" → rate limits, read 3 December 2026): quote 1 request/s, historical
/// candles 3/s, order placement 10/s, every other endpoint 10/s, and at most 25 modifications
/// of one order. Modify and cancel count with placements in the orders class.
///
/// The order caps: Zerodha's current statement (Kite forum, staff answer quoting the rate-limit
/// documentation, kite.trade/forum/discussion/comment/52882, read 3 December 2026) is 400
/// orders a minute and 5,000 a day per user, across all segments and platforms. The defaults
/// here stay at the earlier published 200 a minute and 3,000 a day on purpose: the broker's
/// day count includes orders the account places elsewhere (the Kite app, other programs),
/// which this process cannot see, so it keeps that much headroom. Raise them to 400 / 5,000
/// when this is the account's only order source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KiteRateLimitsConfig {
    /// `quotes_per_second`: `/quote` calls per second (default 1, Kite's figure).
    pub quotes_per_second: f64,
    /// `historical_per_second`: historical-candle calls per second (default 3, Kite's figure).
    pub historical_per_second: f64,
    /// `orders_per_second`: place/modify/cancel calls per second (default 10, Kite's figure).
    pub orders_per_second: f64,
    /// `orders_per_minute`: order calls in any 60 s (default 200, below Kite's 400; see above).
    pub orders_per_minute: u32,
    /// `orders_per_day`: order calls in any 24 h (default 3,000, below Kite's 5,000; see above).
    pub orders_per_day: u32,
    /// `other_per_second`: every other call per second (default 10, Kite's figure).
    pub other_per_second: f64,
    /// `modifications_per_order`: modifications sent for one order at most (default 25, Kite's
    /// figure); the next is refused here instead of at the broker.
    pub modifications_per_order: u32,
}

impl Default for KiteRateLimitsConfig {
    fn default() -> Self {
        Self {
            quotes_per_second: 1.0,
            historical_per_second: 3.0,
            orders_per_second: 10.0,
            orders_per_minute: 200,
            orders_per_day: 3000,
            other_per_second: 10.0,
            modifications_per_order: 25,
        }
    }
}

impl BrokerRateLimits for KiteRateLimitsConfig {
    const BASE_URL: &'static str = "https://api.kite.trade";
    const QUOTE_BATCH_SIZE: u32 = 500;
    fn problems(&self) -> Vec<(String, String)> {
        self.validate()
    }
}

impl KiteRateLimitsConfig {
    /// Problems as (key path relative to `rate_limits`, reason) pairs.
    pub fn validate(&self) -> Vec<(String, String)> {
        rate_problems(
            &[
                ("quotes_per_second", self.quotes_per_second),
                ("historical_per_second", self.historical_per_second),
                ("orders_per_second", self.orders_per_second),
                ("other_per_second", self.other_per_second),
            ],
            &[
                ("orders_per_minute", self.orders_per_minute),
                ("orders_per_day", self.orders_per_day),
                ("modifications_per_order", self.modifications_per_order),
            ],
        )
    }
}

/// `broker.paper`: the paper broker's fill model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaperConfig {
    /// `starting_funds`: cash at the start, rupees (default 500,000).
    pub starting_funds: Decimal,
    /// `slippage_ticks`: ticks a market order pays beyond the touch (ask for a buy, bid for a
    /// sell), default 1.
    pub slippage_ticks: u32,
    /// `tick_size`: price step used for slippage and rounding, rupees (default 0.05).
    pub tick_size: Decimal,
    /// `partial_fill_fraction`: when set, each quote fills at most this fraction (0 to 1, of
    /// the order's quantity, rounded up to whole units) so orders fill in parts; unset fills at
    /// once.
    pub partial_fill_fraction: Option<Decimal>,
    /// `entry_tolerance_pct`: in a backtest or replay, an entry fills at the first quote at or
    /// after its decision unless that quote's touch is more than this many **percent** of the
    /// decision's touch away from it, up or down (then the entry is counted as missed), default
    /// 5.
    pub entry_tolerance_pct: Decimal,
}

impl Default for PaperConfig {
    fn default() -> Self {
        Self {
            starting_funds: Decimal::from(500_000),
            slippage_ticks: 1,
            tick_size: Decimal::new(5, 2),
            partial_fill_fraction: None,
            entry_tolerance_pct: Decimal::from(5),
        }
    }
}

impl PaperConfig {
    /// Problems as (key path relative to `paper`, reason) pairs.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.starting_funds < Decimal::ZERO {
            out.push((
                "starting_funds".to_string(),
                format!("must not be negative, got {}", self.starting_funds),
            ));
        }
        if self.tick_size <= Decimal::ZERO {
            out.push((
                "tick_size".to_string(),
                "must be a positive number of rupees".to_string(),
            ));
        }
        if self.entry_tolerance_pct < Decimal::ZERO {
            out.push((
                "entry_tolerance_pct".to_string(),
                format!(
                    "must not be negative (percent), got {}",
                    self.entry_tolerance_pct
                ),
            ));
        }
        if let Some(f) = self.partial_fill_fraction {
            if f <= Decimal::ZERO || f > Decimal::ONE {
                out.push((
                    "partial_fill_fraction".to_string(),
                    format!("must be a fraction above 0 and at most 1, got {f}"),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented() {
        let c = BrokerConfig::default();
        assert!(c.validate().is_empty());
        assert_eq!(c.mstock.base_url, "https://api.mstock.trade");
        assert_eq!(c.mstock.rate_limits.orders_per_second, 5.0);
        assert_eq!(c.mstock.retry.max_attempts, 3);
        assert_eq!(c.mstock.breaker.failure_threshold, 5);
        assert_eq!(c.mstock.breaker.cooldown_seconds, 30.0);
        assert_eq!(c.paper.slippage_ticks, 1);
        assert_eq!(c.kind, BrokerKind::Mstock);
        assert_eq!(c.kite.base_url, "https://api.kite.trade");
        assert_eq!(c.kite.quote_batch_size, 500);
        assert_eq!(c.kite.rate_limits.orders_per_minute, 200);
        assert_eq!(c.kite.rate_limits.orders_per_day, 3000);
    }

    #[test]
    fn the_kind_and_the_kite_section_are_read_and_checked() {
        let yaml = "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY]\n\
                    broker:\n  kind: kite\n  kite:\n    rate_limits: { orders_per_day: 0 }\n";
        let errors = crate::config::Config::from_yaml_str(yaml).unwrap_err();
        let lines: Vec<String> = errors.problems().iter().map(|p| p.to_string()).collect();
        assert!(
            lines
                .iter()
                .any(|l| l
                    .starts_with("broker.kite.rate_limits.orders_per_day must be at least 1 call")),
            "{lines:#?}"
        );
        let ok = "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY]\n\
                  broker:\n  kind: kite\n  kite:\n    base_url: http://127.0.0.1:9\n";
        let cfg = crate::config::Config::from_yaml_str(ok).unwrap();
        assert_eq!(cfg.broker.kind, BrokerKind::Kite);
        assert_eq!(cfg.broker.kite.base_url, "http://127.0.0.1:9");
        assert_eq!(cfg.broker.kite.rate_limits.quotes_per_second, 1.0);
        let bad = "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY]\n\
                   broker:\n  kind: zerodha\n";
        let errors = crate::config::Config::from_yaml_str(bad).unwrap_err();
        let lines: Vec<String> = errors.problems().iter().map(|p| p.to_string()).collect();
        assert!(lines.iter().any(|l| l.starts_with("broker")), "{lines:#?}");
        assert_eq!("Kite".parse::<BrokerKind>(), Ok(BrokerKind::Kite));
        assert!("zerodha".parse::<BrokerKind>().is_err());
    }

    #[test]
    fn bad_values_name_their_keys() {
        let mut c = BrokerConfig::default();
        c.mstock.base_url = "ftp://x".into();
        c.mstock.rate_limits.quotes_per_second = 0.0;
        c.mstock.retry.max_attempts = 0;
        c.mstock.breaker.failure_threshold = 0;
        c.paper.partial_fill_fraction = Some(Decimal::from(2));
        let keys: Vec<String> = c.validate().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec![
                "mstock.base_url",
                "mstock.rate_limits.quotes_per_second",
                "mstock.retry.max_attempts",
                "mstock.breaker.failure_threshold",
                "paper.partial_fill_fraction",
            ]
        );
    }

    #[test]
    fn the_yaml_section_is_read_and_checked_with_key_paths() {
        let yaml = "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY]\n\
                    broker:\n  mstock:\n    rate_limits: { orders_per_second: 2 }\n\
                    \x20   breaker: { cooldown_secs: 5 }\n\
                    \x20   retry: { max_attempts: 11 }\n\
                    \x20 paper: { slippage_ticks: 2, partial_fill_fraction: 0.5 }\n";
        let errors = crate::config::Config::from_yaml_str(yaml).unwrap_err();
        let lines: Vec<String> = errors.problems().iter().map(|p| p.to_string()).collect();
        assert!(
            lines.iter().any(|l| l.starts_with("broker.mstock.breaker.cooldown_secs is not a known key (did you mean `cooldown_seconds`?)")),
            "{lines:#?}"
        );
        assert!(
            lines.iter().any(|l| l.starts_with("broker.mstock.retry.max_attempts must be between 1 and 10")),
            "{lines:#?}"
        );
        let ok = "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY]\n\
                  broker:\n  mstock:\n    rate_limits: { orders_per_second: 2 }\n\
                  \x20 paper: { slippage_ticks: 2, partial_fill_fraction: 0.5 }\n";
        let cfg = crate::config::Config::from_yaml_str(ok).unwrap();
        assert_eq!(cfg.broker.mstock.rate_limits.orders_per_second, 2.0);
        assert_eq!(cfg.broker.mstock.rate_limits.quotes_per_second, 1.0);
        assert_eq!(cfg.broker.paper.slippage_ticks, 2);
        assert_eq!(
            cfg.broker.paper.partial_fill_fraction,
            Some(Decimal::new(5, 1))
        );
    }
    #[test]
    fn unknown_keys_beside_the_shared_transport_keys_are_named() {
        let yaml = "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY]\n\
                    broker:\n  kite:\n    read_timout_ms: 5\n    retry: { max_atempts: 2 }\n\
                    \x20 mstock:\n    connect_timeout: 5\n";
        let errors = crate::config::Config::from_yaml_str(yaml).unwrap_err();
        let lines: Vec<String> = errors.problems().iter().map(|p| p.to_string()).collect();
        for key in [
            "broker.kite.read_timout_ms is not a known key (did you mean `read_timeout_ms`?)",
            "broker.kite.retry.max_atempts is not a known key (did you mean `max_attempts`?)",
            "broker.mstock.connect_timeout is not a known key (did you mean `connect_timeout_ms`?)",
        ] {
            assert!(
                lines.iter().any(|l| l.starts_with(key)),
                "{key}: {lines:#?}"
            );
        }
    }

    #[test]
    fn the_shared_transport_keys_read_and_write_directly_under_each_broker() {
        let yaml = "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY]\n\
                    broker:\n  kite:\n    read_timeout_ms: 7\n    breaker: { failure_threshold: 2 }\n\
                    \x20 mstock:\n    connect_timeout_ms: 9\n    token_cache_dir: /tmp/c\n";
        let cfg = crate::config::Config::from_yaml_str(yaml).unwrap();
        assert_eq!(cfg.broker.kite.read_timeout_ms, 7);
        assert_eq!(cfg.broker.kite.breaker.failure_threshold, 2);
        assert_eq!(cfg.broker.kite.connect_timeout_ms, 5_000);
        assert_eq!(cfg.broker.mstock.connect_timeout_ms, 9);
        assert_eq!(cfg.broker.mstock.token_cache_dir, "/tmp/c");
        let text = serde_yaml::to_string(&cfg.broker.mstock).unwrap();
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.split(':').next())
            .collect();
        assert_eq!(
            keys,
            [
                "base_url",
                "connect_timeout_ms",
                "read_timeout_ms",
                "rate_limits",
                "retry",
                "breaker",
                "token_cache_dir",
                "quote_batch_size"
            ]
        );
        assert!(text.contains("connect_timeout_ms: 9\n"), "{text}");
    }
}
