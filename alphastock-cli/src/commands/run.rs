//! `alphastock run`: the trading loop. Paper trading on the built-in simulated market by
//! default; `--replay` replays recorded candles (and option snapshots); `--live` trades through
//! the broker `broker.kind` names, mStock or Kite (needs `--confirm-live` or
//! `system.live_trading_confirmed: true`, and credentials in the environment).
//!
//! Every signal (accepted or rejected, with the reason), order, fill and exit is printed as one
//! line; each trading day ends with a summary line (`DAY ...`) and the run with `RUN ...`. The
//! journal (SQLite) gets every quote, option snapshot, signal, order, fill, position and the
//! daily P&L. A run interrupted by a crash resumes from the journal: working orders are adopted,
//! never placed again, and positions come back from the stored fills. A paper or replay day
//! the journal already has to the end of its data is only run again with `--resume` (continue
//! it) or `--fresh` (a new journal; the old file is renamed `NAME.replaced-STAMP.db`, never
//! deleted).
//!
//! Warm start: before the first bar each underlying's strategies are seeded with completed
//! candles from before it (one `WARM` line each): the simulated session of the trading day
//! before, with `--replay --date DAY` the file's bars before DAY, live the broker's history.
//!
//! Exit codes: 0 done (also after Ctrl-C / SIGTERM); 1 runtime failure (journal or broker);
//! 2 invalid input (config problems, bad flags, live trading not confirmed).

use alphastock_core::config::LogLevel;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;

use alphastock_core::config::Config;
use alphastock_core::engine::{Engine, Event};
use alphastock_core::market::{parse_candles, Candle, IST};
use alphastock_core::sim::replay::{parse_option_snapshots, ReplayFeed};
use alphastock_core::sim::warm::{previous_session_candles, previous_trading_day, EventBars};
use alphastock_core::sim::{trading_days, SimMarket};

use super::cockpit::Cockpit;
use super::{EXIT_FAILURE, EXIT_INVALID};
use crate::broker::PaperBroker;
use crate::runner::executor::Executor;
use crate::runner::feed::Feed;
use crate::runner::funds::FundsPoll;
use crate::runner::pace::{Pacer, Speed};
use crate::runner::recovery::{self, RUN_END_OF_DATA, RUN_START, RUN_STOP};
use crate::runner::session::{BrokerSlot, Session, SessionOptions};
use crate::runner::warm_start::seed_from_candles;
use crate::store::{Row, Store};

/// Arguments of `alphastock run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The YAML config (e.g. fixtures/paper.yaml).
    #[arg(long)]
    pub config: PathBuf,
    /// The journal database file (default: `storage.path` of the config, else alphastock.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// How fast a simulated or replayed market runs: `max` (as fast as possible) or a factor of
    /// real time (1 = real time, 60 = a minute per second).
    #[arg(long, default_value = "max")]
    pub speed: Speed,
    /// Simulated trading days to run (default 1; weekends and `market.holidays` skipped). Only
    /// for the simulated market: with `--replay` (which runs the days of its file) or `--live`
    /// it is refused, exit 2.
    #[arg(long)]
    pub days: Option<usize>,
    /// First simulated trading day (YYYY-MM-DD; default today, or the next trading day). With
    /// `--replay`: the first replayed day; the file's earlier bars seed the strategies.
    /// A weekend or holiday is moved to the next trading day, with a notice.
    #[arg(long, value_parser = super::parse_date, conflicts_with = "live")]
    pub date: Option<NaiveDate>,
    /// Live: exit instead of waiting when the market is closed.
    #[arg(long, requires = "live")]
    pub once: bool,
    /// Paper or replay: when the journal already has the day played to its end, continue it
    /// (positions, P&L and tags restored; nothing traded twice).
    #[arg(long, conflicts_with_all = ["fresh", "live"])]
    pub resume: bool,
    /// Paper or replay: when the journal already has the day, start it anew in a new journal;
    /// the old journal file is kept, renamed to `NAME.replaced-YYYYMMDD-HHMMSS.db`.
    #[arg(long, conflicts_with = "live")]
    pub fresh: bool,
    /// Replay candles from this CSV (`timestamp,symbol,open,high,low,close,volume`) instead of
    /// the simulated market.
    #[arg(long, value_name = "CANDLES.csv")]
    pub replay: Option<PathBuf>,
    /// With `--replay`: recorded option snapshots (else chains are priced from the simulated
    /// volatility surface).
    #[arg(long, value_name = "SNAPSHOTS.csv", requires = "replay")]
    pub options: Option<PathBuf>,
    /// On Ctrl-C / SIGTERM close every open position before exiting.
    #[arg(long)]
    pub flatten_on_exit: bool,
    /// Trade real money through the broker `broker.kind` names, mStock (default) or Kite (needs
    /// `--confirm-live` or `system.live_trading_confirmed: true`, the broker's credentials in
    /// the environment and, for Kite, a session from `alphastock login --broker kite`).
    #[arg(long)]
    pub live: bool,
    /// Confirms live trading; only with `--live` (refused without it, exit 2).
    #[arg(long)]
    pub confirm_live: bool,
    /// Print resident memory in each day summary.
    #[arg(long)]
    pub report_memory: bool,
    /// Store every this-many-th option chain of each underlying in the journal (1 = all, about
    /// 120 MB a simulated day; the default 12 = one a minute on 5-second ticks, about 12 MB).
    #[arg(long, default_value_t = 12)]
    pub chain_every: u32,
    /// Serve the live web dashboard (`/`, `/api/state`, `/metrics`) on HOST:PORT, e.g.
    /// 127.0.0.1:8080 (port 0 picks a free one). An address beyond loopback needs the access
    /// token named by `dashboard.token_env`.
    #[arg(long, value_name = "HOST:PORT")]
    pub dashboard: Option<String>,
}

fn invalid(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_INVALID)
}

/// Reads a text file: a file that cannot be read is a runtime failure (exit 1), one that is not
/// UTF-8 text is invalid input (exit 2); `what` names it in the message.
fn read_text(path: &Path, what: &str) -> Result<String, ExitCode> {
    std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            eprintln!("error: {what} {} is not UTF-8 text: {e}", path.display());
            ExitCode::from(EXIT_INVALID)
        } else {
            eprintln!("error: cannot read {what} {}: {e}", path.display());
            ExitCode::from(EXIT_FAILURE)
        }
    })
}

fn load_config(path: &Path) -> Result<Config, ExitCode> {
    let text = read_text(path, "config file")?;
    Config::from_yaml_str(&text).map_err(|errors| {
        eprintln!(
            "error: {} has {} problem(s):\n{errors}",
            path.display(),
            errors.problems().len()
        );
        ExitCode::from(EXIT_INVALID)
    })
}

/// Hands the engine the table `options_trading.correlation_table` names, if any; a table that
/// cannot be read (exit 1) or understood (exit 2) stops the run before it starts.
pub(crate) fn load_correlations(
    engine: &mut Engine,
    config: &Config,
    config_file: &Path,
) -> Result<(), ExitCode> {
    match super::correlations::table_for(config, config_file) {
        Ok(Ok(Some(table))) => {
            engine.set_correlations(table);
            Ok(())
        }
        Ok(Ok(None)) => Ok(()),
        Ok(Err(e)) => Err(invalid(e)),
        Err(e) => {
            eprintln!("error: {e:#}");
            Err(ExitCode::from(EXIT_FAILURE))
        }
    }
}

/// Structured logs (`tracing`) go to stderr. `RUST_LOG` wins when set; otherwise
/// `system.log_level` decides: at INFO (the default) stderr keeps to warnings and errors, since
/// stdout already carries one line per signal, order, fill and exit; DEBUG or TRACE add the
/// product's detail (`alphastock=debug`); WARN and ERROR keep to those levels. The HTTP
/// library's wire dump is never shown (see [`crate::logging`]).
fn init_logging(level: LogLevel) {
    let default = match level {
        LogLevel::Trace | LogLevel::Debug => format!("warn,alphastock={}", level.as_filter()),
        LogLevel::Info | LogLevel::Warn => "warn".to_string(),
        LogLevel::Error => "error".to_string(),
    };
    crate::logging::init(&default);
}

/// Set when Ctrl-C or SIGTERM arrives.
pub(crate) fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    ctrlc::set_handler(move || f.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C / SIGTERM handler")?;
    Ok(flag)
}

/// Why the flags given cannot go together, when they cannot: a flag the run would silently
/// ignore is refused rather than dropped.
fn flag_conflict(args: &RunArgs) -> Option<String> {
    if args.confirm_live && !args.live {
        return Some(
            "--confirm-live only applies with --live: it confirms trading real money through \
             mStock, and without --live this run is paper trading (drop --confirm-live, or add \
             --live to trade live)"
                .to_string(),
        );
    }
    if args.days.is_some() {
        if args.replay.is_some() {
            return Some(
                "--days only applies to the simulated market: a replay runs every day of its \
                 candle file (from --date DAY when given); to replay fewer days, replay a file \
                 cut to them, or use `alphastock backtest --from/--to`"
                    .to_string(),
            );
        }
        if args.live {
            return Some(
                "--days only applies to the simulated market: a live run trades until it is \
                 stopped (or, with --once, until the close)"
                    .to_string(),
            );
        }
    }
    None
}

/// Runs `alphastock run`.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    if let Some(why) = flag_conflict(&args) {
        return Ok(invalid(why));
    }
    let config = match load_config(&args.config) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    init_logging(config.system.log_level);
    if args.days == Some(0) {
        return Ok(invalid("--days must be at least 1"));
    }
    if args.live {
        return super::run_live::run(&args, config);
    }
    let mut engine = match Engine::new(&config) {
        Ok(e) => e,
        Err(e) => return Ok(invalid(format!("{}: {e}", args.config.display()))),
    };
    if let Err(code) = super::ml::attach_models(&mut engine, &config, &args.config) {
        return Ok(code);
    }
    if let Err(code) = load_correlations(&mut engine, &config, &args.config) {
        return Ok(code);
    }
    // Paper runs keep stops in the engine unless the config asks for broker stops, which the
    // paper broker simulates.
    engine.set_protective_stop(config.options_trading.protective_stop.unwrap_or_default());
    let (feed, first_day, history) = match build_feed(&args, &config) {
        Ok(f) => f,
        Err(code) => return Ok(code),
    };
    let warm_lines = seed_from_candles(
        &mut engine,
        &history.candles,
        &history.source,
        &history.none,
    );
    let mut cockpit = match Cockpit::prepare(&config, args.dashboard.as_deref(), "paper run") {
        Ok(c) => c,
        Err(e) => return Ok(invalid(format!("{e:#}"))),
    };
    let db = db_path(&args, &config);
    let now = chrono::Utc::now().with_timezone(&IST);
    match replay_choice(&db, first_day, &args, now)? {
        Ok(()) => {}
        Err(message) => return Ok(invalid(message)),
    }
    let store = Store::open(&db)?;
    // The paper broker's clock follows the market's quotes; it starts before any of them.
    let epoch = chrono::TimeZone::timestamp_opt(&IST, 0, 0)
        .single()
        .unwrap_or(now);
    let paper = PaperBroker::new(config.broker.paper.clone(), epoch);
    let options = SessionOptions {
        report_memory: args.report_memory,
        status_line: !matches!(args.speed, Speed::Max),
        chain_every: args.chain_every.max(1),
    };
    let mut session = Session::new(
        engine,
        BrokerSlot::Paper(paper),
        Executor::new(),
        store.writer(4096),
        options,
    );
    // Installed before anything is printed, so a stop asked at any time after the start line
    // is a clean one.
    let stop = stop_flag()?;
    let rec = recovery::recover_from(&mut session, None, first_day)?;
    report_recovery(&mut session, &rec);
    if let Err(e) = cockpit.attach(&mut session, &db) {
        return Ok(invalid(format!("{e:#}")));
    }
    session.writer.push_durable(Row::Journal {
        at: now,
        kind: RUN_START.to_string(),
        detail: serde_json::json!({"mode": "paper", "feed": feed.name(), "db": db.display().to_string()}),
    })?;
    println!(
        "alphastock run: paper trading on the {}, journal {}{}",
        feed.name(),
        db.display(),
        match rec.resume_after {
            Some(t) if rec.continued =>
                format!(", resuming after {}", t.format("%Y-%m-%d %H:%M:%S")),
            _ => String::new(),
        }
    );
    for line in &warm_lines {
        session.say(line);
    }
    let started = std::time::Instant::now();
    drive(
        &mut session,
        feed,
        args.speed,
        &stop,
        args.flatten_on_exit,
        rec.resume_after,
    )?;
    if !stop.load(Ordering::SeqCst) {
        let at = session.last_time().unwrap_or(now);
        session.writer.push_durable(Row::Journal {
            at,
            kind: RUN_END_OF_DATA.to_string(),
            detail: serde_json::json!({}),
        })?;
    }
    finish(&mut session, started)?;
    cockpit.finish(&mut session);
    Ok(stop_exit_code(
        &session,
        args.flatten_on_exit && stop.load(Ordering::SeqCst),
    ))
}

/// Whether the journal `db` already has the market from `first_day` on, played to the end of
/// its data by a run that then stopped cleanly: such a day is only run again with `--resume`
/// (continue it) or `--fresh` (start anew; the old journal file is renamed, never deleted).
/// A run that was interrupted or stopped part-way is continued without asking, as recovery
/// always has. The outer error is a journal failure (exit 1), the inner one the question to
/// the user (exit 2).
fn replay_choice(
    db: &Path,
    first_day: Option<NaiveDate>,
    args: &RunArgs,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<Result<(), String>> {
    let Some(first_day) = first_day else {
        return Ok(Ok(()));
    };
    if !db.exists() {
        return Ok(Ok(()));
    }
    let (has_day, played_out) = {
        let store = Store::open(db)?;
        let latest = store.latest_quote_time()?;
        let has_day = latest.is_some_and(|t| t.with_timezone(&IST).date_naive() >= first_day);
        let stopped =
            matches!(store.last_journal_of(&[RUN_START, RUN_STOP])?, Some((k, _)) if k == RUN_STOP);
        let ended = matches!(store.last_journal_of(&[RUN_START, RUN_END_OF_DATA])?, Some((k, _)) if k == RUN_END_OF_DATA);
        (has_day, stopped && ended)
    };
    if !has_day {
        if args.fresh {
            eprintln!(
                "note: --fresh: {} has nothing from {first_day} on; it is used as it is",
                db.display()
            );
        }
        return Ok(Ok(()));
    }
    if args.fresh {
        let kept = set_aside(db, now)?;
        eprintln!(
            "--fresh: the previous journal is kept as {}; {} starts empty",
            kept.display(),
            db.display()
        );
        return Ok(Ok(()));
    }
    if played_out && !args.resume {
        return Ok(Err(format!(
            "the journal {} already has {first_day}, played to the end of its data by an earlier run; \
             pass --resume to continue it (nothing is traded twice), or --fresh to trade it again \
             in a new journal (the old file is kept, renamed), or --db FILE for another journal",
            db.display()
        )));
    }
    Ok(Ok(()))
}

/// Renames the journal `db` (and its SQLite `-wal`/`-shm` companions) to
/// `STEM.replaced-YYYYMMDD-HHMMSS.EXT` beside it and returns the new path.
fn set_aside(db: &Path, now: chrono::DateTime<chrono::FixedOffset>) -> anyhow::Result<PathBuf> {
    let stem = db.file_stem().map_or_else(
        || "journal".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let ext = db
        .extension()
        .map_or_else(|| "db".to_string(), |s| s.to_string_lossy().into_owned());
    let stamp = now.format("%Y%m%d-%H%M%S");
    let mut kept = db.with_file_name(format!("{stem}.replaced-{stamp}.{ext}"));
    let mut n = 1;
    while kept.exists() {
        n += 1;
        kept = db.with_file_name(format!("{stem}.replaced-{stamp}-{n}.{ext}"));
    }
    for suffix in ["-wal", "-shm"] {
        let mut from = db.as_os_str().to_owned();
        from.push(suffix);
        let from = PathBuf::from(from);
        if from.exists() {
            let mut to = kept.as_os_str().to_owned();
            to.push(suffix);
            std::fs::rename(&from, PathBuf::from(to))
                .with_context(|| format!("cannot rename {}", from.display()))?;
        }
    }
    std::fs::rename(db, &kept)
        .with_context(|| format!("cannot rename {} to {}", db.display(), kept.display()))?;
    Ok(kept)
}

/// The exit code of a run that has ended: when a stop asked to flatten (`flatten_asked`) and
/// positions are still open, 1 with an error naming each (`SBIN 122`) on stderr; else 0.
pub fn stop_exit_code(session: &Session, flatten_asked: bool) -> ExitCode {
    if !flatten_asked {
        return ExitCode::SUCCESS;
    }
    let open: Vec<String> = session
        .engine
        .portfolio()
        .open_positions()
        .map(|p| format!("{} {}", p.trading_symbol(), p.quantity()))
        .collect();
    if open.is_empty() {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "error: --flatten-on-exit could not close every position; still open: {}",
        open.join(", ")
    );
    ExitCode::from(EXIT_FAILURE)
}

fn db_path(args: &RunArgs, config: &Config) -> PathBuf {
    args.db.clone().unwrap_or_else(|| {
        if config.storage.path.is_empty() {
            PathBuf::from(crate::store::DEFAULT_DB_FILE)
        } else {
            PathBuf::from(&config.storage.path)
        }
    })
}

/// Prints what recovery found.
pub(crate) fn report_recovery(session: &mut Session, rec: &recovery::Recovered) {
    if !rec.interrupted && rec.adopted.is_empty() && rec.fills_replayed == 0 && !rec.continued {
        return;
    }
    session.say(&format!(
        "RECOVER previous run {}: {} fill(s) replayed, {} working order(s) adopted, {} order(s) that never reached the broker closed",
        if rec.interrupted {
            "was interrupted"
        } else {
            "stopped cleanly; continuing the day"
        },
        rec.fills_replayed,
        rec.adopted.len(),
        rec.lost.len()
    ));
    if let Some(k) = &rec.kill_switch {
        session.say(&format!("RECOVER {k}: no new entries today"));
    }
    for (sym, q) in &rec.positions {
        session.say(&format!("RECOVER position {sym} {q}"));
    }
    for m in &rec.mismatches {
        session.say(&format!("RECOVER mismatch: {m}"));
    }
}

/// Completed candles from before a paper run's first bar that seed its strategies, and where
/// they came from (for the `WARM` lines).
struct History {
    candles: Vec<Candle>,
    source: String,
    /// Why an underlying without bars has none.
    none: String,
}

/// The market feed of a paper run, its first trading day and its warm-start history: for the
/// simulated market the simulated session of the trading day before; for a replay the file's
/// bars before `--date` (none without `--date`).
fn build_feed(
    args: &RunArgs,
    config: &Config,
) -> Result<(Feed, Option<NaiveDate>, History), ExitCode> {
    if let Some(path) = &args.replay {
        let text = read_text(path, "candle file")?;
        let mut candles =
            parse_candles(&text).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
        let mut snapshots = match &args.options {
            Some(p) => {
                let text = read_text(p, "option snapshot file")?;
                Some(
                    parse_option_snapshots(&text, &config.market)
                        .map_err(|e| invalid(format!("{}: {e}", p.display())))?,
                )
            }
            None => None,
        };
        let history = match args.date {
            Some(start) => {
                let (before, from): (Vec<Candle>, Vec<Candle>) = candles
                    .into_iter()
                    .partition(|c| c.timestamp.date_naive() < start);
                if from.is_empty() {
                    return Err(invalid(format!(
                        "{} has no candles on or after --date {start}",
                        path.display()
                    )));
                }
                candles = from;
                if let Some(s) = snapshots.as_mut() {
                    s.retain(|c| c.timestamp.date_naive() >= start);
                }
                History {
                    candles: before,
                    source: format!("{} before {start}", path.display()),
                    none: format!("{} has no bars of it before {start}", path.display()),
                }
            }
            None => History {
                candles: Vec::new(),
                source: path.display().to_string(),
                none: "the replay starts at the file's first bar; --date DAY replays from DAY and seeds from the bars before it".to_string(),
            },
        };
        let first = candles.iter().map(|c| c.timestamp.date_naive()).min();
        return Ok((
            Feed::Replay(Box::new(ReplayFeed::new(
                candles,
                snapshots,
                &config.simulation,
                &config.market,
                config.market_data_runner.candle_minutes,
            ))),
            first,
            history,
        ));
    }
    let start = args
        .date
        .unwrap_or_else(|| chrono::Utc::now().with_timezone(&IST).date_naive());
    let first = trading_days(start, 1, &config.market.holidays)
        .first()
        .copied()
        .unwrap_or(start);
    if first != start {
        eprintln!(
            "note: {} {start} is {}, not a trading day; the run starts on the next trading day, {} {first}",
            if args.date.is_some() { "--date" } else { "today," },
            non_trading_kind(start, &config.market.holidays),
            first.format("%A"),
        );
    }
    let days = SimMarket::days(
        &config.simulation,
        &config.market,
        first,
        args.days.unwrap_or(1),
    )
    .map_err(invalid)?;
    let previous = previous_trading_day(first, &config.market.holidays);
    let history = match previous_session_candles(
        &config.simulation,
        &config.market,
        first,
        config.market_data_runner.candle_minutes,
    ) {
        Ok(candles) => History {
            candles,
            source: format!("the simulated session of {previous}"),
            none: "not a simulated underlying".to_string(),
        },
        Err(e) => {
            tracing::warn!(error = %e, "no simulated history; starting cold");
            History {
                candles: Vec::new(),
                source: format!("the simulated session of {previous}"),
                none: format!("simulating {previous} failed: {e}"),
            }
        }
    };
    Ok((Feed::Sim(Box::new(days)), Some(first), history))
}

/// Why `day` has no session: `a Saturday`, `a Sunday`, `a holiday in market.holidays` or `an
/// NSE holiday (market rules)`.
fn non_trading_kind(day: NaiveDate, holidays: &[NaiveDate]) -> String {
    use chrono::Datelike;
    match day.weekday() {
        chrono::Weekday::Sat | chrono::Weekday::Sun => format!("a {}", day.format("%A")),
        _ if holidays.contains(&day) => "a holiday in market.holidays".to_string(),
        _ => "an NSE holiday (market rules)".to_string(),
    }
}

/// Feeds the market to the session until it ends or a stop is asked.
fn drive(
    session: &mut Session,
    feed: Feed,
    speed: Speed,
    stop: &AtomicBool,
    flatten: bool,
    resume_after: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> anyhow::Result<()> {
    let mut pacer = Pacer::new(speed);
    let mut resume = resume_after;
    let mut stopping: Option<u32> = None;
    // A resumed day: the bars of the part already run seed the strategies (not traded again).
    // The paper account's funds reach the engine as a live account's do.
    let mut funds = FundsPoll::default();
    let mut skipped = resume.map(|_| EventBars::new(session.engine.candle_minutes()));
    for event in feed {
        if let Some(t) = resume {
            if event.timestamp() <= t {
                if let Some(bars) = skipped.as_mut() {
                    bars.push(&event);
                }
                continue;
            }
            resume = None;
            if let Some(bars) = skipped.take() {
                let bars = bars.finish();
                for line in seed_from_candles(
                    &mut session.engine,
                    &bars,
                    &format!("the day's bars up to {}", t.format("%H:%M:%S")),
                    "none before the resume",
                ) {
                    session.say(&line);
                }
            }
        }
        if let Event::Timer(t) = &event {
            pacer.wait_until(*t, stop);
        }
        if stopping.is_none() && stop.load(Ordering::SeqCst) {
            let at = session.last_time().unwrap_or_else(|| event.timestamp());
            session.say(&format!(
                "{} STOP   stop requested: no new entries{}",
                at.format("%Y-%m-%d %H:%M:%S"),
                if flatten {
                    ", closing open positions"
                } else {
                    ""
                }
            ));
            session.on_control_event(Event::Shutdown { flatten, at })?;
            if !flatten {
                break;
            }
            stopping = Some(0);
        }
        let is_timer = matches!(event, Event::Timer(_));
        match funds.poll(session.broker.as_dyn(), event.timestamp()) {
            Some(Ok(read)) => session.on_market_event(read)?,
            Some(Err(problem)) => session.say(&format!(
                "{} WARN   {problem}",
                event.timestamp().format("%Y-%m-%d %H:%M:%S")
            )),
            None => {}
        }
        session.on_market_event(event)?;
        if let Some(ticks) = stopping.as_mut() {
            if is_timer {
                *ticks += 1;
            }
            let flat = session.engine.portfolio().open_positions().next().is_none()
                && session.engine.working_orders().is_empty();
            if flat || *ticks > 120 {
                break;
            }
        }
    }
    Ok(())
}

/// Ends the run: last day summary, run summary, clean-stop mark in the journal.
pub(crate) fn finish(session: &mut Session, started: std::time::Instant) -> anyhow::Result<()> {
    session.end_day()?;
    let totals = session.totals();
    let at = session
        .last_time()
        .unwrap_or_else(|| chrono::Utc::now().with_timezone(&IST));
    session.writer.push_durable(Row::Journal {
        at,
        kind: RUN_STOP.to_string(),
        detail: serde_json::json!({"trades": totals.trades, "net_pnl": totals.net().to_string()}),
    })?;
    let open: Vec<String> = session
        .engine
        .portfolio()
        .open_positions()
        .map(|p| format!("{} {}", p.trading_symbol(), p.quantity()))
        .collect();
    println!(
        "RUN {} day(s) in {:.1} s: {}{}",
        session.days_finished(),
        started.elapsed().as_secs_f64(),
        totals.line(),
        if open.is_empty() {
            String::new()
        } else {
            format!("; still open: {}", open.join(", "))
        }
    );
    let mem = session.memory();
    if let (Some(first), Some(last)) = (mem.first(), mem.last()) {
        if mem.len() > 1 {
            println!(
                "MEMORY resident {} KiB after {}, {} KiB after {} ({:+.1} %)",
                first.1,
                first.0,
                last.1,
                last.0,
                (last.1 as f64 - first.1 as f64) * 100.0 / first.1.max(1) as f64
            );
        }
    }
    Ok(())
}
