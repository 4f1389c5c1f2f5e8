//! Quote freshness for the stale-data alerts: when each watched instrument was last quoted
//! (market time), and which have been alerted as stale already, so an instrument is alerted
//! once each time it goes quiet, again only after a fresh quote.

use std::collections::{BTreeMap, BTreeSet};

use alphastock_core::market::IstTime;

/// When each watched instrument was last quoted, and which are stale.
#[derive(Debug, Default)]
pub struct QuoteAges {
    last: BTreeMap<String, IstTime>,
    stale: BTreeSet<String>,
}

impl QuoteAges {
    /// Records a quote of `name` at `at` (market time); an older quote arriving late never moves
    /// the time back.
    pub fn saw(&mut self, name: &str, at: IstTime) {
        match self.last.get_mut(name) {
            Some(t) => *t = (*t).max(at),
            None => {
                self.last.insert(name.to_string(), at);
            }
        }
    }

    /// Whether `name` is tracked (quoted, or watched, since it was last forgotten).
    pub fn tracks(&self, name: &str) -> bool {
        self.last.contains_key(name)
    }

    /// Starts tracking `name` as if quoted at `since`, unless it is tracked already: a position
    /// never quoted after it opened goes stale `limit` seconds after `since`.
    pub fn watch(&mut self, name: &str, since: IstTime) {
        if !self.tracks(name) {
            self.last.insert(name.to_string(), since);
        }
    }

    /// Forgets every name `keep` says no to (a position that has closed), so a new position in
    /// the same instrument starts afresh.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.last.retain(|k, _| keep(k));
        self.stale.retain(|k| keep(k));
    }

    /// The age at `now` of `name`'s last quote, in whole seconds (0 for one stamped after
    /// `now`), and whether `name` has just turned stale: older than `limit_seconds` for the
    /// first time since its last fresh quote. `None` when `name` is not tracked.
    pub fn age(&mut self, name: &str, now: IstTime, limit_seconds: u32) -> Option<(i64, bool)> {
        let last = *self.last.get(name)?;
        let age = (now - last).num_seconds().max(0);
        let newly = if age > i64::from(limit_seconds) {
            !self.stale.contains(name) && self.stale.insert(name.to_string())
        } else {
            self.stale.remove(name);
            false
        };
        Some((age, newly))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alphastock_core::market::IST;
    use chrono::{Duration, TimeZone};

    #[test]
    fn an_instrument_is_stale_once_per_quiet_spell_and_a_closed_one_starts_afresh() {
        let t0 = IST.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let s = |n: i64| t0 + Duration::seconds(n);
        let mut ages = QuoteAges::default();
        assert_eq!(ages.age("X", t0, 120), None);
        ages.watch("X", t0);
        assert_eq!(ages.age("X", s(120), 120), Some((120, false)), "not beyond");
        assert_eq!(ages.age("X", s(121), 120), Some((121, true)));
        assert_eq!(ages.age("X", s(300), 120), Some((300, false)), "once");
        // A late quote stamped before the last one does not make it fresh.
        ages.saw("X", s(-10));
        assert_eq!(ages.age("X", s(301), 120), Some((301, false)));
        ages.saw("X", s(310));
        assert_eq!(ages.age("X", s(320), 120), Some((10, false)));
        // watch() does not reset a tracked instrument.
        ages.watch("X", s(400));
        assert_eq!(ages.age("X", s(431), 120), Some((121, true)), "again");
        ages.retain(|n| n != "X");
        assert!(!ages.tracks("X"));
        ages.watch("X", s(1000));
        assert_eq!(ages.age("X", s(1121), 120), Some((121, true)));
        assert_eq!(ages.age("X", s(999), 120), Some((0, false)));
    }
}
