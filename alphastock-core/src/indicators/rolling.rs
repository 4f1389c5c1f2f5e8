//! Rolling highest and lowest value over the last N inputs.

use super::error::{check_period, IndicatorError};

/// A monotonic deque over the last `period` inputs, in a ring allocated at construction.
/// Entries are (sequence number, value); values are monotonic from front to back.
#[derive(Debug, Clone)]
struct Monotonic {
    period: usize,
    keep_max: bool,
    buf: Vec<(u64, f64)>,
    head: usize,
    len: usize,
    seq: u64,
}

impl Monotonic {
    fn new(period: usize, keep_max: bool) -> Self {
        Self {
            period,
            keep_max,
            buf: vec![(0, 0.0); period],
            head: 0,
            len: 0,
            seq: 0,
        }
    }

    #[inline]
    fn slot(&self, i: usize) -> usize {
        (self.head + i) % self.period
    }

    #[inline]
    fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value();
        }
        let seq = self.seq;
        self.seq += 1;
        // Drop the front if it left the window.
        if self.len > 0 && self.buf[self.head].0 + self.period as u64 <= seq {
            self.head = (self.head + 1) % self.period;
            self.len -= 1;
        }
        // Drop values the new one dominates (amortised O(1)).
        while self.len > 0 {
            let back = self.buf[self.slot(self.len - 1)].1;
            let dominated = if self.keep_max { back <= x } else { back >= x };
            if !dominated {
                break;
            }
            self.len -= 1;
        }
        let slot = self.slot(self.len);
        self.buf[slot] = (seq, x);
        self.len += 1;
        self.value()
    }

    fn value(&self) -> Option<f64> {
        (self.seq >= self.period as u64 && self.len > 0).then(|| self.buf[self.head].1)
    }
}

/// Highest input over the last `period` inputs (including the newest); first output on the
/// `period`-th input, like TA-Lib's MAX. Amortised O(1) per update, no allocation after `new`.
#[derive(Debug, Clone)]
pub struct RollingHigh(Monotonic);

impl RollingHigh {
    /// A rolling high over `period` bars (at least 1).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("rolling high", period, 1)?;
        Ok(Self(Monotonic::new(period, true)))
    }

    /// Feeds the next input and returns the highest of the last `period`, or `None` during
    /// warm-up. A non-finite input is ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x)
    }

    /// The current value, `None` during warm-up.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }
}

/// Lowest input over the last `period` inputs (including the newest); first output on the
/// `period`-th input, like TA-Lib's MIN. Amortised O(1) per update, no allocation after `new`.
#[derive(Debug, Clone)]
pub struct RollingLow(Monotonic);

impl RollingLow {
    /// A rolling low over `period` bars (at least 1).
    pub fn new(period: usize) -> Result<Self, IndicatorError> {
        check_period("rolling low", period, 1)?;
        Ok(Self(Monotonic::new(period, false)))
    }

    /// Feeds the next input and returns the lowest of the last `period`, or `None` during
    /// warm-up. A non-finite input is ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        self.0.update(x)
    }

    /// The current value, `None` during warm-up.
    pub fn value(&self) -> Option<f64> {
        self.0.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_checked_windows() {
        let xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut hi = RollingHigh::new(3).unwrap();
        let mut lo = RollingLow::new(3).unwrap();
        let highs: Vec<_> = xs.iter().map(|&x| hi.update(x)).collect();
        let lows: Vec<_> = xs.iter().map(|&x| lo.update(x)).collect();
        let s = Some;
        assert_eq!(
            highs,
            [None, None, s(4.0), s(4.0), s(5.0), s(9.0), s(9.0), s(9.0)]
        );
        assert_eq!(
            lows,
            [None, None, s(1.0), s(1.0), s(1.0), s(1.0), s(2.0), s(2.0)]
        );
    }

    proptest! {
        #[test]
        fn matches_a_naive_scan(xs in prop::collection::vec(-1e6f64..1e6, 1..200), period in 1usize..20) {
            let mut hi = RollingHigh::new(period).unwrap();
            let mut lo = RollingLow::new(period).unwrap();
            for (i, &x) in xs.iter().enumerate() {
                let h = hi.update(x);
                let l = lo.update(x);
                if i + 1 < period {
                    prop_assert_eq!(h, None);
                    prop_assert_eq!(l, None);
                } else {
                    let w = &xs[i + 1 - period..=i];
                    prop_assert_eq!(h, Some(w.iter().copied().fold(f64::MIN, f64::max)));
                    prop_assert_eq!(l, Some(w.iter().copied().fold(f64::MAX, f64::min)));
                }
            }
        }
    }
}
