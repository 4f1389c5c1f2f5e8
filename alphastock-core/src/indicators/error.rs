use thiserror::Error;

/// Errors from constructing an indicator with impossible settings.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum IndicatorError {
    /// A look-back period below the indicator's minimum.
    #[error("{indicator} period must be at least {min} bars, got {period}")]
    InvalidPeriod {
        /// The indicator (`EMA`, `RSI`, ...).
        indicator: &'static str,
        /// The period given, bars.
        period: usize,
        /// The smallest period that makes sense, bars.
        min: usize,
    },
    /// A multiplier or other setting that is not a finite number in its range.
    #[error("{indicator} {setting} must be {expected}, got {value}")]
    InvalidSetting {
        /// The indicator.
        indicator: &'static str,
        /// The setting's name.
        setting: &'static str,
        /// What would be valid.
        expected: &'static str,
        /// The value given.
        value: f64,
    },
}

/// Checks `period >= min`.
pub(crate) fn check_period(
    indicator: &'static str,
    period: usize,
    min: usize,
) -> Result<(), IndicatorError> {
    if period < min {
        Err(IndicatorError::InvalidPeriod {
            indicator,
            period,
            min,
        })
    } else {
        Ok(())
    }
}
