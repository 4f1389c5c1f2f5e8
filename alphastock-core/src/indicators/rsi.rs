//! Relative strength index (Wilder).

use super::error::{check_period, IndicatorError};

/// Relative strength index over `period` changes with Wilder smoothing, TA-Lib style.
///
/// The average gain and loss are seeded with the simple averages of the first `period` changes,
/// then smoothed as `avg = (avg·(period − 1) + change) / period`. RSI = 100 · gain / (gain + loss),
/// in points 0..=100; when both averages are (nearly, < 1e-8) zero the output is 0, as in
/// TA-Lib. The first output is on input `period + 1`.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    prev_input: Option<f64>,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
    value: Option<f64>,
}

impl Rsi {
    /// An RSI over `period` changes (at least 2).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("RSI", period, 2)?;
        Ok(Self {
            period,
            prev_input: None,
            changes: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
            value: None,
        })
    }

    /// The look-back period, bars.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds the next input and returns the RSI (0..=100), or `None` during warm-up.
    /// A non-finite input is ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value;
        }
        let prev = self.prev_input.replace(x)?;
        let change = x - prev;
        let n = self.period as f64;
        if self.changes < self.period {
            if change < 0.0 {
                self.avg_loss -= change;
            } else {
                self.avg_gain += change;
            }
            self.changes += 1;
            if self.changes < self.period {
                return None;
            }
            self.avg_loss /= n;
            self.avg_gain /= n;
        } else {
            self.avg_loss *= n - 1.0;
            self.avg_gain *= n - 1.0;
            if change < 0.0 {
                self.avg_loss -= change;
            } else {
                self.avg_gain += change;
            }
            self.avg_loss /= n;
            self.avg_gain /= n;
        }
        let total = self.avg_gain + self.avg_loss;
        let rsi = if total.abs() < 1e-8 {
            0.0
        } else {
            100.0 * (self.avg_gain / total)
        };
        self.value = Some(rsi);
        self.value
    }

    /// The current value, `None` during warm-up.
    pub fn value(&self) -> Option<f64> {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_wilder_values() {
        // RSI(2) on 10, 11, 10.5, 12, 11:
        // changes +1, −0.5 → gain 0.5, loss 0.25 → RSI = 100·0.5/0.75 = 66.666…
        // change +1.5 → gain (0.5 + 1.5)/2 = 1.0, loss 0.25/2 = 0.125 → 100·1/1.125 = 88.888…
        // change −1 → gain 0.5, loss (0.125 + 1)/2 = 0.5625 → 100·0.5/1.0625 = 47.0588…
        let mut r = Rsi::new(2).unwrap();
        assert_eq!(r.update(10.0), None);
        assert_eq!(r.update(11.0), None);
        let v = r.update(10.5).unwrap();
        assert!((v - 200.0 / 3.0).abs() < 1e-12, "{v}");
        let v = r.update(12.0).unwrap();
        assert!((v - 800.0 / 9.0).abs() < 1e-12, "{v}");
        let v = r.update(11.0).unwrap();
        assert!((v - 100.0 * 0.5 / 1.0625).abs() < 1e-12, "{v}");
    }

    #[test]
    fn only_gains_is_100_and_flat_is_0() {
        let mut r = Rsi::new(3).unwrap();
        let mut last = None;
        for x in [1.0, 2.0, 3.0, 4.0, 5.0] {
            last = r.update(x);
        }
        assert_eq!(last, Some(100.0));
        let mut flat = Rsi::new(3).unwrap();
        for _ in 0..5 {
            last = flat.update(7.0);
        }
        assert_eq!(last, Some(0.0));
        assert!(Rsi::new(1).is_err());
    }
}
