//! Fixed-rate cadences for the loop timer. A cadence fires on a grid anchored at its start
//! (`start + k × period`), so a slow call never makes the loop drift; ticks missed while a call
//! was slow are skipped, not bunched: after a stall the next firing is the next grid point in the
//! future, and the number skipped is reported.

use std::time::Duration;

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
    fn missed_ticks_are_skipped_not_bunched() {
        let mut c = Cadence::new(s(2), s(0));
        assert_eq!(c.poll(s(0)), Due::Now { skipped: 0 });
        // A 7-second stall: grid points 2, 4, 6 passed; one run now, the next at 8.
        assert_eq!(c.poll(s(7)), Due::Now { skipped: 2 });
        assert_eq!(c.next_due(), s(8));
        assert_eq!(c.poll(s(7)), Due::NotYet(s(8)));
    }
}
