//! Volume-weighted average price, reset every session.

use chrono::NaiveDate;

/// Session VWAP: Σ(typical price × volume) / Σ volume since the session's first bar, where the
/// typical price is (high + low + close) / 3. Starts afresh whenever the session date changes.
/// Output in price units; `None` while the session has traded no volume.
#[derive(Debug, Clone, Default)]
pub struct Vwap {
    session: Option<NaiveDate>,
    pv: f64,
    volume: f64,
}

impl Vwap {
    /// A VWAP with no session yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next bar of session `session` (its IST trading date) and returns the VWAP so
    /// far in that session. A bar with a non-finite price or a negative or non-finite volume is
    /// ignored.
    #[inline]
    pub fn update(
        &mut self,
        session: NaiveDate,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Option<f64> {
        let usable = high.is_finite()
            && low.is_finite()
            && close.is_finite()
            && volume.is_finite()
            && volume >= 0.0;
        if !usable {
            return self.value();
        }
        if self.session != Some(session) {
            self.session = Some(session);
            self.pv = 0.0;
            self.volume = 0.0;
        }
        self.pv += (high + low + close) / 3.0 * volume;
        self.volume += volume;
        self.value()
    }

    /// The current session's VWAP, `None` before any volume traded.
    pub fn value(&self) -> Option<f64> {
        (self.volume > 0.0).then(|| self.pv / self.volume)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_typical_price_by_volume_and_resets_each_session() {
        let d1 = NaiveDate::from_ymd_opt(2024, 5, 2).unwrap();
        let d2 = d1.succ_opt().unwrap();
        let mut v = Vwap::new();
        // Typical prices 10 and 13; volumes 100 and 300 → (1000 + 3900) / 400 = 12.25.
        assert_eq!(v.update(d1, 11.0, 9.0, 10.0, 0.0), None);
        assert_eq!(v.update(d1, 11.0, 9.0, 10.0, 100.0), Some(10.0));
        assert_eq!(v.update(d1, 14.0, 12.0, 13.0, 300.0), Some(12.25));
        assert_eq!(v.update(d2, 21.0, 19.0, 20.0, 50.0), Some(20.0));
        assert_eq!(v.update(d2, 21.0, 19.0, 20.0, -5.0), Some(20.0));
    }
}
