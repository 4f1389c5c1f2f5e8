//! Average volume.

use super::error::IndicatorError;
use super::Sma;

/// Simple average of the last `period` bars' volumes, units traded per bar; first output on the
/// `period`-th bar.
#[derive(Debug, Clone)]
pub struct VolumeAverage(Sma);

impl VolumeAverage {
    /// An average over `period` bars (at least 1).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        Sma::new(period).map(Self).map_err(|e| match e {
            IndicatorError::InvalidPeriod { period, min, .. } => IndicatorError::InvalidPeriod {
                indicator: "volume average",
                period,
                min,
            },
            other => other,
        })
    }

    /// Feeds the next bar's volume and returns the average, or `None` during warm-up.
    #[inline]
    pub fn update(&mut self, volume: f64) -> Option<f64> {
        self.0.update(volume)
    }

    /// The current value, `None` during warm-up.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_volumes() {
        let mut v = VolumeAverage::new(2).unwrap();
        assert_eq!(v.update(100.0), None);
        assert_eq!(v.update(300.0), Some(200.0));
        assert_eq!(v.update(500.0), Some(400.0));
        assert!(VolumeAverage::new(0)
            .unwrap_err()
            .to_string()
            .contains("volume average"));
    }
}
