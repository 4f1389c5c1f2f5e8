//! The live loop itself: polls the feed when due, feeds the session, ends a tick with a timer,
//! waits outside market hours, and stops on a stop request (after flattening when asked: exits
//! refused or lost are placed again every tick until flat or `flatten_deadline`), at the close
//! with `once`, or at an end time. While it waits, the session's observer hears of it once a
//! second (heartbeat alerts go on overnight). Time comes from an [`IstClock`], so a test can run
//! a session on simulated time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::NaiveDate;

use alphastock_core::engine::Event;
use alphastock_core::market::IstTime;

use super::live::{market_open, LiveFeed};
use super::session::Session;
use crate::mstock::clock::IstClock;

/// How the loop stops.
#[derive(Debug, Clone, Default)]
pub struct LoopOptions {
    /// Stop when the market is closed instead of waiting for it to open.
    pub once: bool,
    /// On a stop request, close every open position before stopping.
    pub flatten_on_exit: bool,
    /// Stop at this IST time (`None`: run until stopped).
    pub until: Option<IstTime>,
    /// With `flatten_on_exit`: how long after the stop request to keep trying to close every
    /// position (`None`: 60 s).
    pub flatten_deadline: Option<Duration>,
}

/// How long `--flatten-on-exit` keeps trying by default.
pub const DEFAULT_FLATTEN_DEADLINE: Duration = Duration::from_secs(60);

/// What the loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoopStats {
    /// Ticks in which something was polled.
    pub ticks: u64,
    /// True when the loop stopped because the broker's session ended for good (see
    /// [`crate::broker::Broker::session_lost`]): nothing was flattened.
    pub session_lost: bool,
}

/// Runs the live loop on `session` until a stop (see [`LoopOptions`]); `holidays` are the
/// market's closed days.
pub fn run_loop(
    session: &mut Session,
    feed: &mut LiveFeed,
    clock: &IstClock,
    stop: &AtomicBool,
    holidays: &[NaiveDate],
    options: &LoopOptions,
) -> anyhow::Result<LoopStats> {
    let origin = clock.monotonic();
    let mut stats = LoopStats::default();
    let mut shutdown_sent: Option<IstTime> = None;
    let deadline = options.flatten_deadline.unwrap_or(DEFAULT_FLATTEN_DEADLINE);
    let deadline = chrono::Duration::from_std(deadline).unwrap_or(chrono::Duration::MAX);
    loop {
        let now = clock.now();
        if options.until.is_some_and(|end| now >= end) {
            break;
        }
        if let Some(why) = session.broker.as_dyn().session_lost() {
            session.say(&format!(
                "{} STOP   the broker session ended: {why}. No further orders; open positions keep their stop orders at the broker",
                now.format("%Y-%m-%d %H:%M:%S")
            ));
            stats.session_lost = true;
            break;
        }
        if stop.load(Ordering::SeqCst) && shutdown_sent.is_none() {
            session.say(&format!(
                "{} STOP   stop requested: no new entries",
                now.format("%Y-%m-%d %H:%M:%S")
            ));
            session.on_control_event(Event::Shutdown {
                flatten: options.flatten_on_exit,
                at: now,
            })?;
            shutdown_sent = Some(now);
            if !options.flatten_on_exit {
                break;
            }
        }
        if let Some(asked) = shutdown_sent {
            let flat = session.engine.portfolio().open_positions().next().is_none()
                && session.engine.working_orders().is_empty();
            if flat || now - asked >= deadline {
                break;
            }
        }
        if !market_open(now, holidays) {
            if options.once {
                session.say("the market has closed; stopping (--once)");
                break;
            }
            session.idle(now);
            clock.sleep(Duration::from_secs(1));
            continue;
        }
        let due_before = feed.next_due();
        let held: Vec<String> = session
            .engine
            .portfolio()
            .open_positions()
            .map(|p| p.trading_symbol().to_string())
            .collect();
        let elapsed = clock.monotonic().saturating_sub(origin);
        let (events, problems) = feed.poll(session.broker.as_dyn(), elapsed, now, &held);
        let polled = feed.next_due() != due_before;
        for p in problems {
            session.warn(
                &format!("{} WARN   {p}", now.format("%Y-%m-%d %H:%M:%S")),
                now,
            );
        }
        for e in events {
            session.on_market_event(e)?;
        }
        if polled {
            // One tick: timers, the broker's books and a journal commit.
            session.on_market_event(Event::Timer(now))?;
            stats.ticks += 1;
        }
        let due = feed.next_due();
        let elapsed = clock.monotonic().saturating_sub(origin);
        if due > elapsed {
            clock.sleep((due - elapsed).min(Duration::from_secs(1)));
        }
    }
    Ok(stats)
}
