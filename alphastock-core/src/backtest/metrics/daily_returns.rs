//! Daily returns: end-of-day equity over the previous end-of-day equity, less one, as
//! fractions (0.01 = 1 %). The first day is measured against the starting capital.
//! Definition: <https://www.investopedia.com/terms/r/rateofreturn.asp>.

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// The daily simple returns of an equity series.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyReturns {
    /// One return per trading day, fractions, in date order.
    pub values: Vec<f64>,
}

impl DailyReturns {
    /// From end-of-day equity; a day after a non-positive equity contributes no return.
    pub fn calculate(starting_capital: Decimal, daily: &[(NaiveDate, Decimal)]) -> DailyReturns {
        let mut prev = starting_capital;
        let mut values = Vec::with_capacity(daily.len());
        for (_, e) in daily {
            if prev > Decimal::ZERO {
                if let Some(r) = (*e / prev - Decimal::ONE).to_f64() {
                    values.push(r);
                }
            }
            prev = *e;
        }
        DailyReturns { values }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn first_day_against_capital_then_day_over_day() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 1, n).unwrap();
        let r = DailyReturns::calculate(
            dec!(100000),
            &[
                (d(5), dec!(101000)),
                (d(6), dec!(99990)),
                (d(7), dec!(99990)),
            ],
        );
        assert_eq!(r.values.len(), 3);
        assert!((r.values[0] - 0.01).abs() < 1e-15);
        assert!((r.values[1] - (-0.01)).abs() < 1e-15);
        assert_eq!(r.values[2], 0.0);
    }
}
