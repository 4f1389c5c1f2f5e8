//! Exponential moving average.

use super::error::{check_period, IndicatorError};

/// Exponential moving average over `period` bars, TA-Lib style: the first output (on the
/// `period`-th input) is the simple average of the first `period` inputs; after that
/// `ema = prev + α·(x − prev)` with α = 2 / (period + 1). Output in the input's units.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    alpha: f64,
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl Ema {
    /// An EMA over `period` bars (at least 1).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("EMA", period, 1)?;
        Ok(Self {
            period,
            alpha: 2.0 / (period as f64 + 1.0),
            seen: 0,
            seed_sum: 0.0,
            value: None,
        })
    }

    /// The look-back period, bars.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds the next input and returns the EMA, or `None` before `period` inputs were seen.
    /// A non-finite input is ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value;
        }
        match self.value {
            Some(prev) => {
                let v = (x - prev) * self.alpha + prev;
                self.value = Some(v);
            }
            None => {
                self.seen += 1;
                self.seed_sum += x;
                if self.seen == self.period {
                    self.value = Some(self.seed_sum / self.period as f64);
                }
            }
        }
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
    fn seeds_with_the_simple_average_then_smooths() {
        // EMA(3): α = 0.5. Seed = (1 + 2 + 3) / 3 = 2; then 2 + 0.5·(6 − 2) = 4;
        // then 4 + 0.5·(0 − 4) = 2.
        let mut e = Ema::new(3).unwrap();
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(2.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
        assert_eq!(e.update(6.0), Some(4.0));
        assert_eq!(e.update(0.0), Some(2.0));
    }

    #[test]
    fn period_one_follows_the_input_and_zero_is_refused() {
        let mut e = Ema::new(1).unwrap();
        assert_eq!(e.update(7.5), Some(7.5));
        assert_eq!(e.update(3.0), Some(3.0));
        assert!(Ema::new(0).is_err());
    }

    #[test]
    fn non_finite_inputs_are_ignored() {
        let mut e = Ema::new(2).unwrap();
        assert_eq!(e.update(f64::NAN), None);
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
        assert_eq!(e.update(f64::INFINITY), Some(2.0));
        // α = 2/3: 2 + 2/3·(5 − 2) = 4.
        assert!((e.update(5.0).unwrap() - 4.0).abs() < 1e-12);
    }
}
