//! Bollinger bands.

use super::error::{check_period, IndicatorError};
use super::window::Window;

/// One Bollinger output, in the input's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BollingerOutput {
    /// Middle band + `k_upper` standard deviations.
    pub upper: f64,
    /// Middle band: the simple moving average.
    pub middle: f64,
    /// Middle band − `k_lower` standard deviations.
    pub lower: f64,
}

/// Bollinger bands over `period` bars: middle = SMA, bands = middle ± k·σ with the
/// **population** standard deviation (divide by `period`), as TA-Lib's BBANDS with MA type SMA.
///
/// Sums are kept relative to the first input seen, so the variance does not lose precision to
/// the price level (a BANKNIFTY close of 49,000 with a σ of 30 points).
#[derive(Debug, Clone)]
pub struct BollingerBands {
    window: Window,
    k_upper: f64,
    k_lower: f64,
    shift: Option<f64>,
    sum: f64,
    sum_sq: f64,
}

impl BollingerBands {
    /// Bands over `period` bars (at least 2), `k_upper` and `k_lower` standard deviations
    /// (finite, ≥ 0; 2 and 2 are the usual).
    pub fn new(period: usize, k_upper: f64, k_lower: f64) -> Result<Self, IndicatorError> {
        check_period("Bollinger", period, 2)?;
        for (setting, k) in [("k_upper", k_upper), ("k_lower", k_lower)] {
            if !(k.is_finite() && k >= 0.0) {
                return Err(IndicatorError::InvalidSetting {
                    indicator: "Bollinger",
                    setting,
                    expected: "a finite number of standard deviations >= 0",
                    value: k,
                });
            }
        }
        Ok(Self {
            window: Window::new(period),
            k_upper,
            k_lower,
            shift: None,
            sum: 0.0,
            sum_sq: 0.0,
        })
    }

    /// The look-back period, bars.
    pub fn period(&self) -> usize {
        self.window.capacity()
    }

    /// Feeds the next input and returns the bands, or `None` before `period` inputs were seen.
    /// A non-finite input is ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<BollingerOutput> {
        if !x.is_finite() {
            return self.value();
        }
        let shift = *self.shift.get_or_insert(x);
        let d = x - shift;
        self.sum += d;
        self.sum_sq += d * d;
        if let Some(out) = self.window.push(d) {
            self.sum -= out;
            self.sum_sq -= out * out;
        }
        self.value()
    }

    /// The current bands, `None` during warm-up.
    pub fn value(&self) -> Option<BollingerOutput> {
        if !self.window.is_full() {
            return None;
        }
        let n = self.window.capacity() as f64;
        let mean_d = self.sum / n;
        let var = self.sum_sq / n - mean_d * mean_d;
        let sd = if var > 0.0 { var.sqrt() } else { 0.0 };
        let middle = self.shift.unwrap_or(0.0) + mean_d;
        Some(BollingerOutput {
            upper: middle + self.k_upper * sd,
            middle,
            lower: middle - self.k_lower * sd,
        })
    }

    /// The population standard deviation of the window, `None` during warm-up.
    pub fn std_dev(&self) -> Option<f64> {
        self.value().map(|b| {
            if self.k_upper > 0.0 {
                (b.upper - b.middle) / self.k_upper
            } else {
                0.0
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_std_dev_bands() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population σ = 2 (the textbook example).
        let mut b = BollingerBands::new(8, 2.0, 1.0).unwrap();
        let mut out = None;
        for x in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
            out = b.update(x);
        }
        let out = out.unwrap();
        assert!((out.middle - 5.0).abs() < 1e-12);
        assert!((out.upper - 9.0).abs() < 1e-12);
        assert!((out.lower - 3.0).abs() < 1e-12);
        // Slide by one: 4, 4, 4, 5, 5, 7, 9, 4 → mean 5.25, σ² = 244/8 − 5.25² = 2.9375.
        let out = b.update(4.0).unwrap();
        assert!((out.middle - 5.25).abs() < 1e-12);
        assert!((out.upper - (5.25 + 2.0 * 2.9375f64.sqrt())).abs() < 1e-12);
    }

    #[test]
    fn flat_input_has_zero_width_and_bad_settings_are_refused() {
        let mut b = BollingerBands::new(3, 2.0, 2.0).unwrap();
        let mut out = None;
        for _ in 0..5 {
            out = b.update(49_000.05);
        }
        let out = out.unwrap();
        assert_eq!(out.upper, out.middle);
        assert_eq!(out.lower, out.middle);
        assert!(BollingerBands::new(3, f64::NAN, 2.0).is_err());
        assert!(BollingerBands::new(1, 2.0, 2.0).is_err());
    }
}
