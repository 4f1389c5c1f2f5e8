//! Pacing of a simulated or replayed market: `--speed max` runs as fast as possible, `--speed N`
//! runs N times faster than real time (1 = real time), sleeping between ticks on a fixed grid so
//! a slow tick never makes the run drift.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use alphastock_core::market::IstTime;

/// How fast market time runs against the wall clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// No sleeping at all.
    Max,
    /// Market seconds per wall-clock second (1 = real time), from [`MIN_SPEED`] to
    /// [`MAX_SPEED`].
    Factor(f64),
}

/// Slowest speed accepted: a market second per 1,000 wall-clock seconds.
pub const MIN_SPEED: f64 = 0.001;
/// Fastest speed accepted as a factor (beyond it, use `max`).
pub const MAX_SPEED: f64 = 1_000_000.0;
/// Longest single sleep, so a stop request is seen within it.
const SLEEP_SLICE: Duration = Duration::from_millis(100);

impl std::str::FromStr for Speed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match s.parse::<f64>() {
            Ok(f) if (MIN_SPEED..=MAX_SPEED).contains(&f) => Ok(Speed::Factor(f)),
            _ => Err(format!(
                "`{s}` is not a speed: use `max` or a number from {MIN_SPEED} to {MAX_SPEED} (1 = real time)"
            )),
        }
    }
}

/// Sleeps until market time `t` is due on the wall clock.
#[derive(Debug)]
pub struct Pacer {
    speed: Speed,
    anchor: Option<(IstTime, Instant)>,
}

impl Pacer {
    /// A pacer at `speed`; the first tick anchors market time to the wall clock.
    pub fn new(speed: Speed) -> Self {
        Self {
            speed,
            anchor: None,
        }
    }

    /// Waits until market time `t` is due, or until `stop` is set (checked every 100 ms). A
    /// jump backwards in market time (a new day) or of more than eight hours re-anchors instead
    /// of waiting.
    pub fn wait_until(&mut self, t: IstTime, stop: &AtomicBool) {
        let Speed::Factor(f) = self.speed else {
            return;
        };
        let (t0, w0) = match self.anchor {
            Some(a) => a,
            None => {
                self.anchor = Some((t, Instant::now()));
                return;
            }
        };
        let market = (t - t0).num_milliseconds();
        if !(0..=3_600_000 * 8).contains(&market) {
            self.anchor = Some((t, Instant::now()));
            return;
        }
        // A speed in range keeps this finite; a wait too long to represent is waited in
        // slices until a stop like any other.
        let wait = Duration::try_from_secs_f64(market as f64 / 1000.0 / f).unwrap_or(Duration::MAX);
        let due = w0.checked_add(wait);
        loop {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            let now = Instant::now();
            let left = match due {
                Some(d) if d > now => d - now,
                Some(_) => return,
                None => SLEEP_SLICE,
            };
            std::thread::sleep(left.min(SLEEP_SLICE));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_parse_and_bad_ones_are_named() {
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert_eq!("60".parse::<Speed>(), Ok(Speed::Factor(60.0)));
        assert!("0".parse::<Speed>().unwrap_err().contains("`0`"));
        assert!("fast".parse::<Speed>().is_err());
        assert!("1e-20".parse::<Speed>().is_err());
        assert!("inf".parse::<Speed>().is_err());
        assert_eq!("0.001".parse::<Speed>(), Ok(Speed::Factor(0.001)));
    }

    #[test]
    fn a_stop_ends_a_long_pacing_wait_within_a_second() {
        let mut pacer = Pacer::new(Speed::Factor(MIN_SPEED));
        let t0 = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00+05:30").unwrap();
        pacer.wait_until(t0, &AtomicBool::new(false));
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            s.store(true, Ordering::SeqCst);
        });
        let started = Instant::now();
        // Five market seconds at 0.001 would be 5,000 s of waiting.
        pacer.wait_until(t0 + chrono::Duration::seconds(5), &stop);
        let waited = started.elapsed();
        setter.join().unwrap();
        assert!(waited < Duration::from_secs(1), "waited {waited:?}");
        assert!(waited >= Duration::from_millis(150), "waited {waited:?}");
    }
}
