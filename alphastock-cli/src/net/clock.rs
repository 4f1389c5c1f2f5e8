//! A monotonic clock that can be replaced in tests, used by the rate limiter, the retry delays
//! and the circuit breaker, and [`IstClock`], the IST wall clock of the live loop.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use alphastock_core::market::{IstTime, IST};

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

/// Real time run faster by a factor: `now` is the real time elapsed since creation times the
/// factor, and `sleep(d)` sleeps `d` divided by it (a loopback test server's session run on
/// simulated time by the real binary, see [`crate::runner::sim_clock`]).
#[derive(Debug)]
pub struct ScaledClock {
    origin: Instant,
    factor: f64,
}

impl ScaledClock {
    /// A clock running `factor` times faster than real time (a factor that is not finite and
    /// positive counts as 1).
    pub fn new(factor: f64) -> Self {
        Self {
            origin: Instant::now(),
            factor: if factor.is_finite() && factor > 0.0 {
                factor
            } else {
                1.0
            },
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Duration {
        self.origin.elapsed().mul_f64(self.factor)
    }
    fn sleep(&self, d: Duration) {
        if !d.is_zero() {
            std::thread::sleep(d.div_f64(self.factor));
        }
    }
}

/// Wall-clock time in IST for the live loop and the broker: the real time, or (in tests) a
/// fixed start moved forward by a [`Clock`], so a session runs on simulated time.
#[derive(Clone)]
pub struct IstClock {
    /// The simulated start and the monotonic reading it corresponds to; `None` = real time.
    start: Option<(IstTime, Duration)>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for IstClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IstClock")
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

impl Default for IstClock {
    fn default() -> Self {
        Self::system()
    }
}

impl IstClock {
    /// The real wall clock and real sleeps.
    pub fn system() -> Self {
        Self {
            start: None,
            clock: Arc::new(SystemClock::default()),
        }
    }

    /// Simulated time: `start` now, moving as `clock` moves (a [`FakeClock`] moves only when
    /// slept on or advanced).
    pub fn starting_at(start: IstTime, clock: Arc<dyn Clock>) -> Self {
        let at = clock.now();
        Self {
            start: Some((start, at)),
            clock,
        }
    }

    /// The current IST time.
    pub fn now(&self) -> IstTime {
        match self.start {
            None => chrono::Utc::now().with_timezone(&IST),
            Some((start, at)) => {
                let gone = self.clock.now().saturating_sub(at);
                start
                    + chrono::Duration::from_std(gone).unwrap_or_else(|_| chrono::Duration::zero())
            }
        }
    }

    /// Monotonic time since an arbitrary fixed origin.
    pub fn monotonic(&self) -> Duration {
        self.clock.now()
    }

    /// Blocks for `d` (simulated time just advances).
    pub fn sleep(&self, d: Duration) {
        self.clock.sleep(d);
    }
}
