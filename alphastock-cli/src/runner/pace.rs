//! Pacing of a simulated or replayed market: `--speed max` runs as fast as possible, `--speed N`
//! runs N times faster than real time (1 = real time), sleeping between ticks on a fixed grid so
//! a slow tick never makes the run drift.

use std::time::{Duration, Instant};

use alphastock_core::market::IstTime;

/// How fast market time runs against the wall clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// No sleeping at all.
    Max,
    /// Market seconds per wall-clock second (1 = real time), greater than zero.
    Factor(f64),
}

impl std::str::FromStr for Speed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(Speed::Factor(f)),
            _ => Err(format!(
                "`{s}` is not a speed: use `max` or a positive number (1 = real time)"
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

    /// Waits until market time `t` is due. A jump backwards in market time (a new day) or of
    /// more than an hour re-anchors instead of waiting.
    pub fn wait_until(&mut self, t: IstTime) {
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
        let due = w0 + Duration::from_secs_f64(market as f64 / 1000.0 / f);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
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
    }
}
