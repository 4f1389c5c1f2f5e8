//! `alphastock run --live`: checks the confirmation and the credentials, then runs the loop
//! against the broker `broker.kind` names (mStock or Kite; `paper` is refused): underlying quotes every `market_data_runner.frequency_seconds`, the option
//! contracts around each spot every `options_data_runner.frequency_seconds`, orders through the
//! broker, books synced every tick. Outside market hours it waits (or exits with `--once`).
//! Before the first poll each underlying's strategies are seeded from the broker's historical
//! candles (one `WARM` line each; see [`crate::runner::warm_start`]).

use std::process::ExitCode;
use std::time::Instant;

use alphastock_core::config::{BrokerKind, Config, KiteConfig, MstockConfig, RateLimitsConfig};
use alphastock_core::engine::{Engine, ProtectiveStopMode};
use alphastock_core::market::{IstTime, OptionContract};

use super::cockpit::Cockpit;
use super::run::{finish, report_recovery, stop_exit_code, stop_flag, RunArgs};
use super::{EXIT_FAILURE, EXIT_INVALID};
use crate::broker::{Broker, KiteBroker, MstockBroker};
use crate::kite::{config as kite_config, KiteClient, KiteCredentials};
use crate::mstock::config::effective_config;
use crate::mstock::script_master::ScriptRecord;
use crate::mstock::{Credentials, MstockClient};
use crate::net::clock::IstClock;
use crate::net::pipeline::SessionCalls;
use crate::runner::cadence::plan_quote_load;
use crate::runner::executor::Executor;
use crate::runner::live::{market_open, LiveFeed, FUNDS_POLL_SECONDS};
use crate::runner::live_loop::{run_loop, LoopOptions};
use crate::runner::recovery::{self, RUN_START};
use crate::runner::session::{BrokerSlot, Session, SessionOptions};
use crate::runner::sim_clock::{live_wall_clock, ENV_SIM_CLOCK};
use crate::runner::warm_start::seed_from_broker;
use crate::store::{Row, Store};

/// Runs the live loop after checking the confirmation and the credentials.
pub fn run(args: &RunArgs, config: Config) -> anyhow::Result<ExitCode> {
    if !(args.confirm_live || config.system.live_trading_confirmed) {
        eprintln!(
            "error: --live trades real money: add --confirm-live (or set system.live_trading_confirmed: true)"
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let link = match config.broker.kind {
        BrokerKind::Paper => {
            eprintln!(
                "error: broker.kind is paper: `alphastock run --live` needs a live broker (set broker.kind: mstock or kite), or run without --live to paper trade"
            );
            return Ok(ExitCode::from(EXIT_INVALID));
        }
        BrokerKind::Mstock => Credentials::from_env().map(|c| {
            LinkSetup::Mstock(
                effective_config(config.broker.mstock.clone(), |k| std::env::var(k).ok()),
                c,
            )
        }),
        BrokerKind::Kite => KiteCredentials::from_env().map(|c| {
            LinkSetup::Kite(
                kite_config::effective_config(config.broker.kite.clone(), |k| {
                    std::env::var(k).ok()
                }),
                c,
            )
        }),
    };
    let link = match link {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    let mut engine = match Engine::new(&config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {}: {e}", args.config.display());
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    if let Err(code) = super::ml::attach_models(&mut engine, &config, &args.config) {
        return Ok(code);
    }
    if let Err(code) = super::run::load_correlations(&mut engine, &config, &args.config) {
        return Ok(code);
    }
    // Live, every open position has its stop order at the broker unless the config says
    // `protective_stop: local`.
    engine.set_protective_stop(
        config
            .options_trading
            .protective_stop
            .unwrap_or(ProtectiveStopMode::Broker),
    );
    let wall = match live_wall_clock(
        std::env::var(ENV_SIM_CLOCK).ok().as_deref(),
        link.base_url(),
    ) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let now = wall.now();
    if !market_open(now, &config.market.holidays_with_rules()) && args.once {
        println!(
            "alphastock run: the market is closed at {} IST; nothing to do (--once)",
            now.format("%Y-%m-%d %H:%M")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let holidays = config.market.holidays_with_rules();
    let symbols = engine.symbols();
    let opened = match link.open(&mut engine, &wall, now, &holidays) {
        Ok(o) => o,
        Err(code) => return Ok(code),
    };
    for line in &opened.warm {
        println!("{line}");
    }
    let contracts: Vec<OptionContract> = opened
        .records
        .iter()
        .filter_map(|r| r.option_contract_for(&symbols))
        .collect();
    let db = args.db.clone().unwrap_or_else(|| {
        if config.storage.path.is_empty() {
            crate::store::DEFAULT_DB_FILE.into()
        } else {
            config.storage.path.clone().into()
        }
    });
    let store = Store::open(&db)?;
    // The options cadence the broker's market-data limits allow for this many instruments.
    let with_options = symbols
        .iter()
        .filter(|s| contracts.iter().any(|c| &c.underlying == *s))
        .count();
    let load = plan_quote_load(
        symbols.len(),
        with_options,
        config.options_data_runner.strike_selection.strikes_per_side,
        (config.market_data_runner.batch_size as usize).min(opened.quote_batch),
        config.market_data_runner.frequency_seconds,
        &opened.quote_limits,
    );
    let options_seconds = match load.options_seconds(config.options_data_runner.frequency_seconds) {
        Ok((secs, note)) => {
            if let Some(note) = note {
                println!("alphastock run: {note}");
            }
            secs
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let mut feed = LiveFeed::new(
        symbols,
        contracts,
        config.market_data_runner.frequency_seconds,
        options_seconds,
        config.options_data_runner.strike_selection.strikes_per_side,
        config.market_data_runner.batch_size as usize,
    )
    .with_retry_attempts(config.market_data_runner.retry_attempts)
    .with_funds_every(FUNDS_POLL_SECONDS);
    feed.set_risk_free_rate(config.options_trading.risk_free_rate);
    let mut cockpit = match Cockpit::prepare(&config, args.dashboard.as_deref(), "live run") {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    cockpit.set_wall_clock(wall.clone());
    let mut session = Session::new(
        engine,
        BrokerSlot::Live(cockpit.meter(opened.broker)),
        Executor::new(),
        store.writer(4096),
        SessionOptions {
            report_memory: args.report_memory,
            status_line: true,
            chain_every: args.chain_every.max(1),
        },
    );
    let stop = stop_flag()?;
    let rec = recovery::recover(&mut session, Some(now.date_naive()))?;
    report_recovery(&mut session, &rec);
    if let Err(e) = cockpit.attach(&mut session, &db) {
        eprintln!("error: {e:#}");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    session.writer.push_durable(Row::Journal {
        at: now,
        kind: RUN_START.to_string(),
        detail: serde_json::json!({"mode": "live", "db": db.display().to_string()}),
    })?;
    println!(
        "alphastock run: LIVE trading through {}, journal {}",
        opened.name,
        db.display()
    );
    let started = Instant::now();
    let options = LoopOptions {
        once: args.once,
        flatten_on_exit: args.flatten_on_exit,
        until: None,
        flatten_deadline: None,
    };
    let stats = run_loop(&mut session, &mut feed, &wall, &stop, &holidays, &options)?;
    finish(&mut session, started)?;
    cockpit.finish(&mut session);
    if stats.session_lost {
        return Ok(ExitCode::from(EXIT_FAILURE));
    }
    Ok(stop_exit_code(
        &session,
        args.flatten_on_exit && stop.load(std::sync::atomic::Ordering::SeqCst),
    ))
}

/// The chosen live broker's effective settings and credentials, before connecting.
enum LinkSetup {
    Mstock(MstockConfig, Credentials),
    Kite(KiteConfig, KiteCredentials),
}

/// A connected live broker and what the run needs from it.
struct OpenedLink {
    /// The broker, reading its clock from the run's wall clock.
    broker: Box<dyn Broker>,
    /// The instrument list (mStock's script master, Kite's NSE and NFO lists).
    records: Vec<ScriptRecord>,
    /// One warm-start line per underlying.
    warm: Vec<String>,
    /// Instruments per quote call.
    quote_batch: usize,
    /// The quote windows the options cadence is planned against.
    quote_limits: RateLimitsConfig,
    /// The broker's name for the banner.
    name: &'static str,
}

impl LinkSetup {
    fn base_url(&self) -> &str {
        match self {
            LinkSetup::Mstock(c, _) => &c.base_url,
            LinkSetup::Kite(c, _) => &c.base_url,
        }
    }

    /// Connects, reads the instrument list and seeds the engine from the broker's history.
    /// `Err(code)` after printing why (no list: exit 1; no Kite session: exit 2).
    fn open(
        self,
        engine: &mut Engine,
        wall: &IstClock,
        now: IstTime,
        holidays: &[chrono::NaiveDate],
    ) -> Result<OpenedLink, ExitCode> {
        let list_failed = |e: &dyn std::fmt::Display| {
            eprintln!("error: reading the instrument list: {e}");
            ExitCode::from(EXIT_FAILURE)
        };
        match self {
            LinkSetup::Mstock(cfg, credentials) => {
                let quote_batch = cfg.quote_batch_size as usize;
                let quote_limits = cfg.rate_limits.clone();
                let mut client = MstockClient::new(cfg, credentials);
                client.set_interactive(false);
                let records = client
                    .script_master(now.date_naive())
                    .map_err(|e| list_failed(&e))?;
                // Warm start: indicators seeded from the broker's history; a failure starts cold.
                let warm = seed_from_broker(engine, &mut client, &records, now, holidays);
                Ok(OpenedLink {
                    broker: Box::new(MstockBroker::new(client).with_wall_clock(wall.clone())),
                    records,
                    warm,
                    quote_batch,
                    quote_limits,
                    name: "mStock",
                })
            }
            LinkSetup::Kite(cfg, credentials) => {
                let quote_batch = cfg.quote_batch_size as usize;
                let quote_limits = kite_quote_windows(&cfg);
                let mut client = KiteClient::new(cfg, credentials);
                client.set_wall_clock(wall.clone());
                if let Err(e) = client.ensure_session() {
                    eprintln!("error: {e}");
                    return Err(ExitCode::from(EXIT_INVALID));
                }
                let records = client
                    .live_instruments(now.date_naive())
                    .map_err(|e| list_failed(&e))?;
                let warm = seed_from_broker(engine, &mut client, &records, now, holidays);
                Ok(OpenedLink {
                    broker: Box::new(KiteBroker::new(client).with_wall_clock(wall.clone())),
                    records,
                    warm,
                    quote_batch,
                    quote_limits,
                    name: "Kite",
                })
            }
        }
    }
}

/// Kite's quote limit as the windows the cadence planner reads: its per-second rate, with the
/// minute and hour it implies (Kite publishes no longer quote windows).
fn kite_quote_windows(cfg: &KiteConfig) -> RateLimitsConfig {
    let per_second = cfg.rate_limits.quotes_per_second;
    RateLimitsConfig {
        quotes_per_second: per_second,
        quotes_per_minute: (per_second * 60.0).floor().max(1.0) as u32,
        quotes_per_hour: (per_second * 3600.0).floor().max(1.0) as u32,
        ..RateLimitsConfig::default()
    }
}
