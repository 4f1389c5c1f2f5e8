//! A monotonic clock that can be replaced in tests, used by the rate limiter, the retry delays
//! and the circuit breaker.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Monotonic time and sleeping.
pub trait Clock: Send + Sync {
    /// Time elapsed since an arbitrary fixed origin.
    fn now(&self) -> Duration;
    /// Blocks for `d` (a fake clock just advances).
    fn sleep(&self, d: Duration);
}

/// The real clock: [`Instant`] and [`std::thread::sleep`].
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, d: Duration) {
        if !d.is_zero() {
            std::thread::sleep(d);
        }
    }
}

/// A manual clock for tests: `sleep` advances it and records the sleep.
#[derive(Debug, Default)]
pub struct FakeClock {
    state: Mutex<(Duration, Vec<Duration>)>,
}

impl FakeClock {
    /// Moves time forward by `d`.
    pub fn advance(&self, d: Duration) {
        if let Ok(mut s) = self.state.lock() {
            s.0 += d;
        }
    }
    /// Every sleep requested so far.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state.lock().map(|s| s.1.clone()).unwrap_or_default()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Duration {
        self.state.lock().map(|s| s.0).unwrap_or_default()
    }
    fn sleep(&self, d: Duration) {
        if let Ok(mut s) = self.state.lock() {
            s.0 += d;
            s.1.push(d);
        }
    }
}
