//! Maximum drawdown: the largest fall of equity from a running peak, in rupees and in percent
//! of that peak. The starting capital is the first peak.
//! Definition: <https://www.investopedia.com/terms/m/maximum-drawdown-mdd.asp>.
//!
//! The rupee and percent figures are maximised separately, so they may come from different
//! falls (a 10,000 fall from 2,00,000 is 5 %; a later 9,000 fall from 1,00,000 is 9 %).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::backtest::EquityPoint;

/// The deepest peak-to-trough fall of equity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxDrawdown {
    /// Largest (peak − equity), rupees (≥ 0).
    pub rupees: Decimal,
    /// Largest (peak − equity) / peak × 100, percent (≥ 0; 0 when the peak is not positive).
    pub pct: f64,
}

impl MaxDrawdown {
    /// Over the equity curve, starting from `starting_capital`.
    pub fn calculate(starting_capital: Decimal, curve: &[EquityPoint]) -> MaxDrawdown {
        let mut tracker = DrawdownTracker::new(starting_capital);
        for p in curve {
            tracker.observe(p.equity);
        }
        tracker.result()
    }

    /// The drawdown at each point of the curve, rupees (≥ 0): running peak − equity.
    pub fn series(starting_capital: Decimal, curve: &[EquityPoint]) -> Vec<Decimal> {
        let mut peak = starting_capital;
        curve
            .iter()
            .map(|p| {
                peak = peak.max(p.equity);
                peak - p.equity
            })
            .collect()
    }
}

/// [`MaxDrawdown`] computed one equity value at a time, in O(1) memory: the same figures as
/// [`MaxDrawdown::calculate`] over the values observed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawdownTracker {
    peak: Decimal,
    deepest: MaxDrawdown,
    /// The largest fall from the current peak so far, rupees: a smaller fall from the same
    /// peak is a smaller percentage, so its percentage need not be computed.
    deepest_from_peak: Decimal,
    /// `peak − deepest_from_peak`, rupees: equity at or above it is no deeper fall, found
    /// with one comparison instead of a subtraction and a comparison.
    floor: Decimal,
}

impl DrawdownTracker {
    /// Starts from `starting_capital` (rupees), the first peak.
    pub fn new(starting_capital: Decimal) -> Self {
        Self {
            peak: starting_capital,
            deepest: MaxDrawdown {
                rupees: Decimal::ZERO,
                pct: 0.0,
            },
            deepest_from_peak: Decimal::ZERO,
            floor: starting_capital,
        }
    }

    /// Takes the next equity value of the curve, rupees.
    pub fn observe(&mut self, equity: Decimal) {
        if equity > self.peak {
            // A new peak: no fall from it yet.
            self.peak = equity;
            self.deepest_from_peak = Decimal::ZERO;
            self.floor = equity;
            return;
        }
        if equity >= self.floor {
            // No deeper than a fall from this peak already counted: fall / peak (rounded
            // the same way) cannot be larger either.
            return;
        }
        let fall = self.peak - equity;
        self.deepest_from_peak = fall;
        self.floor = equity;
        self.deepest.rupees = self.deepest.rupees.max(fall);
        if self.peak > Decimal::ZERO {
            let f = (fall / self.peak * Decimal::ONE_HUNDRED)
                .to_f64()
                .unwrap_or(0.0);
            self.deepest.pct = self.deepest.pct.max(f);
        }
    }

    /// The deepest fall so far.
    pub fn result(&self) -> MaxDrawdown {
        self.deepest
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration};
    use rust_decimal_macros::dec;

    fn curve(values: &[Decimal]) -> Vec<EquityPoint> {
        let t0 = DateTime::parse_from_rfc3339("2026-01-05T09:15:00+05:30").unwrap();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| EquityPoint {
                time: t0 + Duration::minutes(i as i64),
                equity: *v,
            })
            .collect()
    }

    #[test]
    fn rupee_and_percent_maxima_may_come_from_different_falls() {
        // 100,000 → 91,000 is 9,000 (9 %); the later 200,000 → 190,000 is 10,000 (5 %).
        let c = curve(&[
            dec!(100000),
            dec!(91000),  // 9,000 = 9 % from 100,000
            dec!(200000), // new peak
            dec!(190000), // 10,000 = 5 % from 200,000
        ]);
        let d = MaxDrawdown::calculate(dec!(100000), &c);
        assert_eq!(d.rupees, dec!(10000));
        assert!((d.pct - 9.0).abs() < 1e-12);
    }

    #[test]
    fn the_starting_capital_is_the_first_peak() {
        let d = MaxDrawdown::calculate(dec!(50000), &curve(&[dec!(45000), dec!(60000)]));
        assert_eq!(d.rupees, dec!(5000));
        assert!((d.pct - 10.0).abs() < 1e-12);
        assert_eq!(
            MaxDrawdown::series(
                dec!(50000),
                &curve(&[dec!(45000), dec!(60000), dec!(57000)])
            ),
            vec![dec!(5000), dec!(0), dec!(3000)]
        );
    }

    proptest::proptest! {
        /// The tracker, which skips the percentage of a fall no deeper than one already seen
        /// from the same peak, gives exactly the figures of computing it at every point.
        #[test]
        fn skipping_shallower_falls_changes_nothing(
            start in 1i64..10_000_000,
            steps in proptest::collection::vec(-500_000i64..500_000, 0..200),
        ) {
            let capital = Decimal::new(start, 2);
            let mut equity = capital;
            let mut values = Vec::new();
            for s in steps {
                equity += Decimal::new(s, 2);
                values.push(equity);
            }
            let mut peak = capital;
            let mut rupees = Decimal::ZERO;
            let mut pct = 0.0f64;
            for v in &values {
                peak = peak.max(*v);
                let fall = peak - *v;
                rupees = rupees.max(fall);
                if peak > Decimal::ZERO {
                    pct = pct.max((fall / peak * Decimal::ONE_HUNDRED).to_f64().unwrap_or(0.0));
                }
            }
            let d = MaxDrawdown::calculate(capital, &curve(&values));
            proptest::prop_assert_eq!(d.rupees, rupees);
            proptest::prop_assert_eq!(d.pct.to_bits(), pct.to_bits());
        }
    }
}
