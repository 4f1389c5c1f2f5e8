//! `alphastock run --live`: checks the confirmation and the credentials, then runs the loop
//! against mStock: underlying quotes every `market_data_runner.frequency_seconds`, the option
//! contracts around each spot every `options_data_runner.frequency_seconds`, orders through the
//! broker, books synced every tick. Outside market hours it waits (or exits with `--once`).
//! Before the first poll each underlying's strategies are seeded from the broker's historical
//! candles (one `WARM` line each; see [`crate::runner::warm_start`]).

use std::process::ExitCode;
use std::time::Instant;

use alphastock_core::config::Config;
use alphastock_core::engine::{Engine, ProtectiveStopMode};

use super::cockpit::Cockpit;
use super::run::{finish, report_recovery, stop_exit_code, stop_flag, RunArgs};
use super::{EXIT_FAILURE, EXIT_INVALID};
use crate::broker::MstockBroker;
use crate::mstock::config::effective_config;
use crate::mstock::{Credentials, MstockClient};
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
    let credentials = match Credentials::from_env() {
        Ok(c) => c,
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
    let cfg = effective_config(config.broker.mstock.clone(), |k| std::env::var(k).ok());
    let wall = match live_wall_clock(std::env::var(ENV_SIM_CLOCK).ok().as_deref(), &cfg.base_url) {
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
    let mut client = MstockClient::new(cfg, credentials);
    client.set_interactive(false);
    let symbols = engine.symbols();
    let records = match client.script_master(now.date_naive()) {
        Ok(records) => records,
        Err(e) => {
            eprintln!("error: reading the instrument list: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    let contracts: Vec<_> = records
        .iter()
        .filter_map(|r| r.option_contract_for(&symbols))
        .collect();
    // Warm start: indicators seeded from the broker's history; a failure starts cold.
    let holidays = config.market.holidays_with_rules();
    for line in seed_from_broker(&mut engine, &mut client, &records, now, &holidays) {
        println!("{line}");
    }
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
        (config.market_data_runner.batch_size as usize)
            .min(config.broker.mstock.quote_batch_size as usize),
        config.market_data_runner.frequency_seconds,
        &config.broker.mstock.rate_limits,
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
        BrokerSlot::Live(cockpit.meter(Box::new(
            MstockBroker::new(client).with_wall_clock(wall.clone()),
        ))),
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
        "alphastock run: LIVE trading through mStock, journal {}",
        db.display()
    );
    let started = Instant::now();
    let options = LoopOptions {
        once: args.once,
        flatten_on_exit: args.flatten_on_exit,
        until: None,
        flatten_deadline: None,
    };
    run_loop(&mut session, &mut feed, &wall, &stop, &holidays, &options)?;
    finish(&mut session, started)?;
    cockpit.finish(&mut session);
    Ok(stop_exit_code(
        &session,
        args.flatten_on_exit && stop.load(std::sync::atomic::Ordering::SeqCst),
    ))
}
