//! Simple moving average.

use super::error::{check_period, IndicatorError};
use super::window::Window;

/// Simple moving average of the last `period` inputs (first output on the `period`-th input),
/// kept as a running sum like TA-Lib. Output in the input's units.
#[derive(Debug, Clone)]
pub struct Sma {
    window: Window,
    sum: f64,
}

impl Sma {
    /// An SMA over `period` bars (at least 1). Allocates its window once, here.
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("SMA", period, 1)?;
        Ok(Self {
            window: Window::new(period),
            sum: 0.0,
        })
    }

    /// The look-back period, bars.
    pub fn period(&self) -> usize {
        self.window.capacity()
    }

    /// Feeds the next input and returns the average, or `None` before `period` inputs were seen.
    /// A non-finite input is ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value();
        }
        self.sum += x;
        if let Some(out) = self.window.push(x) {
            self.sum -= out;
        }
        self.value()
    }

    /// The current value, `None` during warm-up.
    pub fn value(&self) -> Option<f64> {
        self.window
            .is_full()
            .then(|| self.sum / self.window.capacity() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_last_period_inputs() {
        let mut s = Sma::new(3).unwrap();
        assert_eq!(s.update(1.0), None);
        assert_eq!(s.update(2.0), None);
        assert_eq!(s.update(3.0), Some(2.0));
        assert_eq!(s.update(7.0), Some(4.0));
        assert_eq!(s.update(f64::NAN), Some(4.0));
        assert_eq!(s.update(-1.0), Some(3.0));
        assert!(Sma::new(0).is_err());
    }
}
