//! Fixed-rate cadences for the loop timer. A cadence fires on a grid anchored at its start
//! (`start + k × period`), so a slow call never makes the loop drift; ticks missed while a call
//! was slow are skipped, not bunched: after a stall the next firing is the next grid point in the
//! future, and the number skipped is reported.

use std::time::Duration;

use alphastock_core::config::RateLimitsConfig;

/// One cadence (e.g. market data every 5 s), on a time axis of `Duration`s since the loop began
/// (the loop's monotonic clock, or simulated time in a replay).
#[derive(Debug, Clone)]
pub struct Cadence {
    period: Duration,
    next: Duration,
}

/// The outcome of asking a cadence whether it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Not yet; due at this time.
    NotYet(Duration),
    /// Due now; `skipped` earlier grid points passed unserved and are dropped.
    Now {
        /// Grid points that were missed and are not run.
        skipped: u64,
    },
}

impl Cadence {
    /// A cadence with this period whose first firing is at `start`. A zero period is treated as
    /// one millisecond so the grid always advances.
    pub fn new(period: Duration, start: Duration) -> Self {
        Self {
            period: period.max(Duration::from_millis(1)),
            next: start,
        }
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// When the cadence next fires.
    pub fn next_due(&self) -> Duration {
        self.next
    }

    /// Checks the cadence at `now`; when due, advances to the first grid point after `now`.
    pub fn poll(&mut self, now: Duration) -> Due {
        if now < self.next {
            return Due::NotYet(self.next);
        }
        let behind = now - self.next;
        let periods_passed = (behind.as_nanos() / self.period.as_nanos()) as u64;
        let advance = u32::try_from(periods_passed.saturating_add(1)).unwrap_or(u32::MAX);
        self.next += self.period * advance;
        Due::Now {
            skipped: periods_passed,
        }
    }
}

/// The market-data load of the live feed and the options cadence the broker's limits allow,
/// computed at start from the config (see [`plan_quote_load`]).
#[derive(Debug, Clone, PartialEq)]
pub struct QuoteLoad {
    /// Quote calls per market tick (the underlyings, `batch` a call).
    pub market_calls_per_tick: u64,
    /// Instruments per options tick: the underlyings and the watched contracts of each
    /// underlying with options (`2 × strikes_per_side`), open positions outside them not counted.
    pub options_instruments: u64,
    /// Quote calls per options tick (`batch` instruments a call).
    pub options_calls_per_tick: u64,
    /// Market-data calls per second the limits sustain: the least of the per-second rate, the
    /// per-minute limit / 60 and the per-hour limit / 3,600.
    pub sustainable_per_second: f64,
    /// The shortest whole-second options period that keeps the market and options ticks
    /// together within `sustainable_per_second`; `None` when the market ticks alone exceed it.
    pub min_options_seconds: Option<u64>,
}

impl QuoteLoad {
    /// The options period to run at for a configured one, seconds: the configured period when
    /// the limits allow it, else the shortest they allow, with a message saying so; `Err` when
    /// no options period fits (the market cadence alone is too fast).
    pub fn options_seconds(&self, configured: u64) -> Result<(u64, Option<String>), String> {
        let Some(min) = self.min_options_seconds else {
            return Err(format!(
                "the market-data cadence alone needs more than the {:.3} market-data calls a second the broker's limits sustain; raise market_data_runner.frequency_seconds",
                self.sustainable_per_second
            ));
        };
        if configured >= min {
            return Ok((configured, None));
        }
        Ok((
            min,
            Some(format!(
                "options_data_runner.frequency_seconds {configured} asks for more than the broker's market-data limits allow: an options tick is {} call(s) for {} instruments and a market tick {} call(s), against {:.3} calls a second sustained; options are polled every {min} s instead",
                self.options_calls_per_tick,
                self.options_instruments,
                self.market_calls_per_tick,
                self.sustainable_per_second
            )),
        ))
    }
}

/// Works out [`QuoteLoad`] for `underlyings` underlyings of which `with_options` have option
/// contracts, `strikes_per_side` strikes watched per type, `batch` instruments per quote call,
/// a market tick every `market_seconds` and the market-data limits of `limits`.
pub fn plan_quote_load(
    underlyings: usize,
    with_options: usize,
    strikes_per_side: usize,
    batch: usize,
    market_seconds: u64,
    limits: &RateLimitsConfig,
) -> QuoteLoad {
    let batch = batch.max(1) as u64;
    let calls = |instruments: u64| instruments.div_ceil(batch);
    let market_calls_per_tick = calls(underlyings as u64);
    let options_instruments = if with_options == 0 {
        0
    } else {
        underlyings as u64 + (with_options * 2 * strikes_per_side.max(1)) as u64
    };
    let options_calls_per_tick = calls(options_instruments);
    let sustainable_per_second = limits
        .quotes_per_second
        .min(f64::from(limits.quotes_per_minute) / 60.0)
        .min(f64::from(limits.quotes_per_hour) / 3600.0);
    let market_rate = market_calls_per_tick as f64 / market_seconds.max(1) as f64;
    let spare = sustainable_per_second - market_rate;
    let min_options_seconds = if options_calls_per_tick == 0 {
        Some(1)
    } else if spare <= 0.0 {
        None
    } else {
        // Smallest whole second P with options_calls / P ≤ spare (a hair of tolerance for
        // rounding in the division).
        let p = (options_calls_per_tick as f64 / spare - 1e-9)
            .ceil()
            .max(1.0);
        Some(p as u64)
    };
    QuoteLoad {
        market_calls_per_tick,
        options_instruments,
        options_calls_per_tick,
        sustainable_per_second,
        min_options_seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: u64) -> Duration {
        Duration::from_secs(x)
    }

    #[test]
    fn fires_on_a_fixed_grid_without_drift() {
        let mut c = Cadence::new(s(5), s(0));
        assert_eq!(c.poll(s(0)), Due::Now { skipped: 0 });
        assert_eq!(c.poll(s(3)), Due::NotYet(s(5)));
        // A call that finishes late (5.9 s) still leaves the next firing at 10 s, not 10.9 s.
        assert_eq!(c.poll(Duration::from_millis(5900)), Due::Now { skipped: 0 });
        assert_eq!(c.next_due(), s(10));
    }

    #[test]
    fn three_indices_in_one_batched_call_hold_the_two_second_options_cadence() {
        let limits = RateLimitsConfig::default();
        // 3 spots + 3 × (3 CE + 3 PE) = 21 instruments: one call. Market: one call every 5 s.
        // Sustained: min(1/s, 1000/60, 5000/3600 = 1.389) = 1/s; 1 − 0.2 = 0.8 spare;
        // 1 / 0.8 = 1.25 → 2 s.
        let load = plan_quote_load(3, 3, 3, 50, 5, &limits);
        assert_eq!(load.options_instruments, 21);
        assert_eq!(load.options_calls_per_tick, 1);
        assert_eq!(load.market_calls_per_tick, 1);
        assert_eq!(load.sustainable_per_second, 1.0);
        assert_eq!(load.min_options_seconds, Some(2));
        assert_eq!(load.options_seconds(2), Ok((2, None)));
        // One call per underlying (7 instruments a call) is 3 calls a tick: 3 / 0.8 = 3.75 → 4 s,
        // and a configured 2 s is raised with a message.
        let per_underlying = plan_quote_load(3, 3, 3, 7, 5, &limits);
        assert_eq!(per_underlying.options_calls_per_tick, 3);
        assert_eq!(per_underlying.min_options_seconds, Some(4));
        let (secs, message) = per_underlying.options_seconds(2).unwrap();
        assert_eq!(secs, 4);
        assert!(message.unwrap().contains("every 4 s"));
        assert_eq!(per_underlying.options_seconds(6), Ok((6, None)));
    }

    #[test]
    fn the_hourly_limit_can_be_the_binding_one() {
        // 3 calls a second allowed, but 5,000 an hour is 1.389 a second.
        let limits = RateLimitsConfig {
            quotes_per_second: 3.0,
            ..RateLimitsConfig::default()
        };
        let load = plan_quote_load(3, 3, 3, 50, 5, &limits);
        assert!((load.sustainable_per_second - 5000.0 / 3600.0).abs() < 1e-12);
        // 1 / (1.389 − 0.2) = 0.841 → 1 s.
        assert_eq!(load.min_options_seconds, Some(1));
        // Four calls an options tick: 4 / 1.189 = 3.36 → 4 s.
        assert_eq!(
            plan_quote_load(3, 3, 3, 6, 5, &limits).min_options_seconds,
            Some(4)
        );
        // A market tick every second at 1 call/s leaves nothing for options.
        let tight = plan_quote_load(3, 3, 3, 50, 1, &RateLimitsConfig::default());
        assert_eq!(tight.min_options_seconds, None);
        assert!(tight.options_seconds(2).is_err());
        // No options at all: nothing to limit.
        assert_eq!(
            plan_quote_load(2, 0, 3, 50, 5, &limits).min_options_seconds,
            Some(1)
        );
    }

    #[test]
    fn missed_ticks_are_skipped_not_bunched() {
        let mut c = Cadence::new(s(2), s(0));
        assert_eq!(c.poll(s(0)), Due::Now { skipped: 0 });
        // A 7-second stall: grid points 2, 4, 6 passed; one run now, the next at 8.
        assert_eq!(c.poll(s(7)), Due::Now { skipped: 2 });
        assert_eq!(c.next_due(), s(8));
        assert_eq!(c.poll(s(7)), Due::NotYet(s(8)));
    }
}
