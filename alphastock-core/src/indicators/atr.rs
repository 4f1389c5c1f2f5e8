//! Average true range (Wilder).

use super::error::{check_period, IndicatorError};

/// Average true range over `period` bars with Wilder smoothing, TA-Lib style, in price points.
///
/// True range = max(high − low, |high − previous close|, |low − previous close|); the first bar
/// has no previous close and gives no true range. The first ATR (on bar `period + 1`) is the
/// simple average of the first `period` true ranges; then `atr = (atr·(period − 1) + tr) / period`.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    prev_close: Option<f64>,
    ranges: usize,
    value: f64,
    ready: bool,
}

impl Atr {
    /// An ATR over `period` bars (at least 1).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("ATR", period, 1)?;
        Ok(Self {
            period,
            prev_close: None,
            ranges: 0,
            value: 0.0,
            ready: false,
        })
    }

    /// The look-back period, bars.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds the next bar and returns the ATR, or `None` during warm-up. A bar with a
    /// non-finite price is ignored.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        if !(high.is_finite() && low.is_finite() && close.is_finite()) {
            return self.value();
        }
        let prev = self.prev_close.replace(close)?;
        let tr = (high - low)
            .max((prev - high).abs())
            .max((prev - low).abs());
        let n = self.period as f64;
        if self.ready {
            self.value = (self.value * (n - 1.0) + tr) / n;
        } else {
            self.value += tr;
            self.ranges += 1;
            if self.ranges == self.period {
                self.value /= n;
                self.ready = true;
            }
        }
        self.value()
    }

    /// The current value, `None` during warm-up.
    pub fn value(&self) -> Option<f64> {
        self.ready.then_some(self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_wilder_atr() {
        // Bars (h, l, c): (10, 8, 9), (11, 9, 10.5), (10, 7, 8), (12, 8.5, 11.5)
        // TR: —, max(2, |9−11|, |9−9|) = 2, max(3, |10.5−10|, |10.5−7|) = 3.5,
        //     max(3.5, |8−12|, |8−8.5|) = 4.
        // ATR(2): first = (2 + 3.5)/2 = 2.75 on bar 3; then (2.75 + 4)/2 = 3.375.
        let mut a = Atr::new(2).unwrap();
        assert_eq!(a.update(10.0, 8.0, 9.0), None);
        assert_eq!(a.update(11.0, 9.0, 10.5), None);
        assert_eq!(a.update(10.0, 7.0, 8.0), Some(2.75));
        assert_eq!(a.update(12.0, 8.5, 11.5), Some(3.375));
        assert_eq!(a.update(f64::NAN, 1.0, 1.0), Some(3.375));
        assert!(Atr::new(0).is_err());
    }
}
