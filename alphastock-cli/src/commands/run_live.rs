//! `alphastock run --live`: checks the confirmation and the credentials, then runs the loop
//! against mStock: underlying quotes every `market_data_runner.frequency_seconds`, the option
//! contracts around each spot every `options_data_runner.frequency_seconds`, orders through the
//! broker, books synced every tick. Outside market hours it waits (or exits with `--once`).

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use alphastock_core::config::Config;
use alphastock_core::engine::{Engine, Event};
use alphastock_core::market::IST;

use super::run::{finish, report_recovery, stop_flag, RunArgs};
use super::{EXIT_FAILURE, EXIT_INVALID};
use crate::broker::MstockBroker;
use crate::mstock::config::effective_config;
use crate::mstock::{Credentials, MstockClient};
use crate::runner::executor::Executor;
use crate::runner::live::{market_open, LiveFeed};
use crate::runner::recovery::{self, RUN_START};
use crate::runner::session::{BrokerSlot, Session, SessionOptions};
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
    let engine = match Engine::new(&config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {}: {e}", args.config.display());
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let now = chrono::Utc::now().with_timezone(&IST);
    if !market_open(now, &config.market.holidays) && args.once {
        println!(
            "alphastock run: the market is closed at {} IST; nothing to do (--once)",
            now.format("%Y-%m-%d %H:%M")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let cfg = effective_config(config.broker.mstock.clone(), |k| std::env::var(k).ok());
    let mut client = MstockClient::new(cfg, credentials);
    client.set_interactive(false);
    let symbols = engine.symbols();
    let contracts: Vec<_> = match client.script_master(now.date_naive()) {
        Ok(records) => records
            .iter()
            .filter_map(|r| r.option_contract())
            .filter(|c| symbols.contains(&c.underlying))
            .collect(),
        Err(e) => {
            eprintln!("error: reading the instrument list: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    let db = args.db.clone().unwrap_or_else(|| {
        if config.storage.path.is_empty() {
            crate::store::DEFAULT_DB_FILE.into()
        } else {
            config.storage.path.clone().into()
        }
    });
    let store = Store::open(&db)?;
    let mut feed = LiveFeed::new(
        symbols,
        contracts,
        config.market_data_runner.frequency_seconds,
        config.options_data_runner.frequency_seconds,
        config.options_data_runner.strike_selection.strikes_per_side,
        config.market_data_runner.batch_size as usize,
    );
    let holidays = config.market.holidays.clone();
    let mut session = Session::new(
        engine,
        BrokerSlot::Live(Box::new(MstockBroker::new(client))),
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
    let mut shutdown_sent = false;
    let mut after_stop_ticks = 0u32;
    loop {
        let now = chrono::Utc::now().with_timezone(&IST);
        if stop.load(Ordering::SeqCst) && !shutdown_sent {
            session.say(&format!(
                "{} STOP   stop requested: no new entries",
                now.format("%Y-%m-%d %H:%M:%S")
            ));
            session.on_control_event(Event::Shutdown {
                flatten: args.flatten_on_exit,
                at: now,
            })?;
            shutdown_sent = true;
            if !args.flatten_on_exit {
                break;
            }
        }
        if shutdown_sent {
            after_stop_ticks += 1;
            let flat = session.engine.portfolio().open_positions().next().is_none()
                && session.engine.working_orders().is_empty();
            if flat || after_stop_ticks > 60 {
                break;
            }
        }
        if !market_open(now, &holidays) {
            if args.once {
                session.say("the market has closed; stopping (--once)");
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        let due_before = feed.next_due();
        let held: Vec<String> = session
            .engine
            .portfolio()
            .open_positions()
            .map(|p| p.trading_symbol().to_string())
            .collect();
        let (events, problems) = feed.poll(session.broker.as_dyn(), started.elapsed(), now, &held);
        let polled = feed.next_due() != due_before;
        for p in problems {
            session.say(&format!("{} WARN   {p}", now.format("%Y-%m-%d %H:%M:%S")));
        }
        for e in events {
            session.on_market_event(e)?;
        }
        if polled {
            // One tick: timers, the broker's books and a journal commit.
            session.on_market_event(Event::Timer(now))?;
        }
        let due = feed.next_due();
        let elapsed = started.elapsed();
        if due > elapsed {
            std::thread::sleep((due - elapsed).min(Duration::from_secs(1)));
        }
    }
    finish(&mut session, started)?;
    Ok(ExitCode::SUCCESS)
}
