//! Sharpe ratio of daily returns, annualised: mean(r) / stdev(r) × √252, with a risk-free rate
//! of zero and the sample standard deviation (n − 1).
//! Definition: <https://en.wikipedia.org/wiki/Sharpe_ratio>; annualisation by √252 trading
//! days as in Lo (2002), "The Statistics of Sharpe Ratios" (which also explains why this
//! overstates it for autocorrelated returns).

use super::TRADING_DAYS_PER_YEAR;

/// Annualised Sharpe ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharpeRatio {
    /// mean / sample stdev × √252; `None` with fewer than two days or zero deviation.
    pub value: Option<f64>,
}

impl SharpeRatio {
    /// From daily returns (fractions).
    pub fn calculate(daily_returns: &[f64]) -> SharpeRatio {
        let n = daily_returns.len();
        if n < 2 {
            return SharpeRatio { value: None };
        }
        let mean = daily_returns.iter().sum::<f64>() / n as f64;
        let var = daily_returns
            .iter()
            .map(|r| (r - mean).powi(2))
            .sum::<f64>()
            / (n - 1) as f64;
        let sd = var.sqrt();
        let value = (sd > 0.0 && sd.is_finite()).then(|| mean / sd * TRADING_DAYS_PER_YEAR.sqrt());
        SharpeRatio { value }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example() {
        // Returns 1 %, −1 %, 2 %, 0 %: mean 0.5 %, sample variance
        // (0.25+2.25+2.25+0.25)/3 ×1e-4 = 1.6667e-4, sd 1.29099 %; ratio 0.387298 × √252 = 6.1482.
        let s = SharpeRatio::calculate(&[0.01, -0.01, 0.02, 0.0])
            .value
            .unwrap();
        assert!((s - 6.148170459575759).abs() < 1e-9, "{s}");
        assert_eq!(SharpeRatio::calculate(&[0.01]).value, None);
        assert_eq!(SharpeRatio::calculate(&[0.01, 0.01]).value, None);
    }
}
