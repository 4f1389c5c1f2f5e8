//! Sortino ratio of daily returns, annualised: mean(r) / downside deviation × √252, where the
//! downside deviation is √(Σ min(r, 0)² / n) over all n days (target return 0).
//! Definition: <https://en.wikipedia.org/wiki/Sortino_ratio> (target downside deviation as in
//! Sortino & Price, 1994).

use super::TRADING_DAYS_PER_YEAR;

/// Annualised Sortino ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortinoRatio {
    /// mean / downside deviation × √252; `None` without days or without a losing day.
    pub value: Option<f64>,
}

impl SortinoRatio {
    /// From daily returns (fractions).
    pub fn calculate(daily_returns: &[f64]) -> SortinoRatio {
        let n = daily_returns.len();
        if n == 0 {
            return SortinoRatio { value: None };
        }
        let mean = daily_returns.iter().sum::<f64>() / n as f64;
        let dd = (daily_returns
            .iter()
            .map(|r| r.min(0.0).powi(2))
            .sum::<f64>()
            / n as f64)
            .sqrt();
        let value = (dd > 0.0 && dd.is_finite()).then(|| mean / dd * TRADING_DAYS_PER_YEAR.sqrt());
        SortinoRatio { value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example() {
        // Returns 1 %, −1 %, 2 %, 0 %: mean 0.5 %; downside √(1e-4 / 4) = 0.5 %; ratio 1 × √252.
        let s = SortinoRatio::calculate(&[0.01, -0.01, 0.02, 0.0])
            .value
            .unwrap();
        assert!((s - 252f64.sqrt()).abs() < 1e-9, "{s}");
        assert_eq!(SortinoRatio::calculate(&[0.01, 0.02]).value, None);
    }
}
