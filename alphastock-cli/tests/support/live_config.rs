//! The live setup the tests against the fake mStock server share: the client's fast settings
//! (short timeouts, high rate limits, quick retries), the test account's client, the SBIN
//! strategy that trades the scripted price path, a live session of it on a given wall clock,
//! and the config file `alphastock run --live` reads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use alphastock_cli::broker::MstockBroker;
use alphastock_cli::mstock::clock::{IstClock, SystemClock};
use alphastock_cli::mstock::MstockClient;
use alphastock_cli::runner::executor::Executor;
use alphastock_cli::runner::session::{BrokerSlot, Session, SessionOptions};
use alphastock_cli::store::Store;
use alphastock_core::config::{Config, MstockConfig};
use alphastock_core::engine::Engine;

use super::fake_mstock::{test_credentials, FakeMstock};

/// An EMA(3/8) crossover on NSE:SBIN traded as the stock (one-minute candles from 5-second
/// polls), with risk limits that never stand in the way; `options_extra` adds `options_trading`
/// keys (one per line, e.g. `protective_stop: broker`).
pub fn sbin_config(options_extra: &str) -> String {
    let mut yaml = String::from(
        "market_data_runner: { frequency_seconds: 5, candle_minutes: 1 }
options_data_runner: { frequency_seconds: 5 }
strategies:
  ema_crossover:
    symbols: [\"NSE:SBIN\"]
    instrument: underlying
    parameters: { fast_ema: 3, slow_ema: 8, min_confidence: 0 }
options_trading:
",
    );
    for line in options_extra
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        yaml.push_str("  ");
        yaml.push_str(line);
        yaml.push('\n');
    }
    yaml.push_str(
        "  risk_management:
    capital: 1000000000
    risk_per_trade_pct: 1
    max_premium_per_trade: 100000
    max_exposure_per_underlying: 1000000000
    max_total_exposure: 1000000000
    daily_loss_limit: 1000000000000
    correlated_groups: []
",
    );
    yaml
}

/// 10 minutes sliding from 812 to 800, then 10 minutes climbing to 818, one price per 5 s, on
/// the 0.05 tick: the EMA(3/8) crossover of [`sbin_config`] buys on the way up.
pub fn sbin_price_path() -> Vec<f64> {
    let down = (0..120).map(|i| 812.0 - 0.1 * f64::from(i));
    let up = (0..120).map(|i| 800.0 + 0.15 * f64::from(i));
    down.chain(up).map(|p| (p * 20.0).round() / 20.0).collect()
}

/// The client settings for the fake server at `base_url`: 200 ms to connect, 300 ms to read,
/// 500 calls a second of each kind, 3 attempts 5 ms apart; the day's token cached in
/// `dir/tokens`.
pub fn fast_mstock_config(base_url: &str, dir: &Path) -> MstockConfig {
    let mut c = MstockConfig {
        base_url: base_url.to_string(),
        connect_timeout_ms: 200,
        read_timeout_ms: 300,
        token_cache_dir: dir.join("tokens").to_string_lossy().into_owned(),
        ..MstockConfig::default()
    };
    c.rate_limits.orders_per_second = 500.0;
    c.rate_limits.quotes_per_second = 500.0;
    c.rate_limits.other_per_second = 500.0;
    c.retry.max_attempts = 3;
    c.retry.base_delay_ms = 5;
    c
}

/// The test account's client of `server` with [`fast_mstock_config`], on the real monotonic
/// clock.
pub fn live_client(server: &FakeMstock, dir: &Path) -> MstockClient {
    MstockClient::with_clock(
        fast_mstock_config(&server.base_url, dir),
        test_credentials(),
        Arc::new(SystemClock::default()),
    )
}

/// A live session of `config` (YAML) trading through `server` on the wall clock `wall`, its
/// journal `dir/journal.db`; the protective-stop mode is the config's, as `alphastock run
/// --live` sets it, when the config names one.
pub fn live_session(server: &FakeMstock, dir: &Path, wall: &IstClock, config: &str) -> Session {
    let mut client = live_client(server, dir);
    client.set_interactive(false);
    let broker = MstockBroker::new(client)
        .with_settle_delay(Duration::from_millis(10))
        .with_wall_clock(wall.clone());
    let config = Config::from_yaml_str(config).unwrap();
    let mut engine = Engine::new(&config).unwrap();
    if let Some(mode) = config.options_trading.protective_stop {
        engine.set_protective_stop(mode);
    }
    Session::new(
        engine,
        BrokerSlot::Live(Box::new(broker)),
        Executor::new(),
        Store::open(dir.join("journal.db")).unwrap().writer(100),
        SessionOptions::default(),
    )
}

/// Writes `config` (YAML) to `dir/live.yaml` with the `broker.mstock` section `alphastock run
/// --live` needs against the fake server (token cache in `dir/tokens`, 5 s reads, rate limits
/// no test reaches) and returns its path.
pub fn live_yaml(dir: &Path, config: &str) -> PathBuf {
    let limits = "{ orders_per_second: 1000, orders_per_minute: 100000, orders_per_hour: 100000, \
        quotes_per_second: 1000, quotes_per_minute: 100000, quotes_per_hour: 100000, \
        other_per_second: 1000, other_per_minute: 100000, other_per_hour: 100000 }";
    let text = format!(
        "{config}broker:\n  mstock:\n    token_cache_dir: {}\n    read_timeout_ms: 5000\n    \
         rate_limits: {limits}\n",
        dir.join("tokens").display()
    );
    let p = dir.join("live.yaml");
    std::fs::write(&p, text).unwrap();
    p
}
