//! The correlation table: how many percent an option's premium moves per percent of its
//! underlying's move (the "multiplier", also called elasticity or leverage), learned from
//! recorded pairs of moves and keyed by moneyness bucket, option type and days-to-expiry bucket.
//!
//! Learning ([`CorrelationTable::fit`]): for each key, the least-squares slope through the
//! origin of `option_move_pct` on `direction × underlying_move_pct` (direction +1 for CE, −1 for
//! PE, so a PE's multiplier is positive too): `m = Σ(x·y) / Σ(x²)`. A key needs at least
//! [`CorrelationTable::MIN_SAMPLES`] usable pairs (finite, underlying move not zero) and a
//! positive slope to be learned; otherwise the default multiplier (4.0) applies.

use std::collections::BTreeMap;

use crate::market::OptionType;

/// Moneyness bucket by how far out of the money the strike is for its type, in percent of spot:
/// `otm_pct = strike/spot×100 − 100` for a CE and `100 − strike/spot×100` for a PE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MoneynessBucket {
    /// `otm_pct < −2`.
    DeepItm,
    /// `−2 ≤ otm_pct < −0.5`.
    Itm,
    /// `−0.5 ≤ otm_pct ≤ 0.5`.
    Atm,
    /// `0.5 < otm_pct ≤ 2`.
    Otm,
    /// `otm_pct > 2`.
    DeepOtm,
}

impl MoneynessBucket {
    /// The bucket of a strike for `option_type`, from `moneyness_pct` = strike / spot × 100.
    pub fn of(option_type: OptionType, moneyness_pct: f64) -> MoneynessBucket {
        let otm = match option_type {
            OptionType::CE => moneyness_pct - 100.0,
            OptionType::PE => 100.0 - moneyness_pct,
        };
        if otm < -2.0 {
            MoneynessBucket::DeepItm
        } else if otm < -0.5 {
            MoneynessBucket::Itm
        } else if otm <= 0.5 {
            MoneynessBucket::Atm
        } else if otm <= 2.0 {
            MoneynessBucket::Otm
        } else {
            MoneynessBucket::DeepOtm
        }
    }
}

/// Days-to-expiry bucket (calendar days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExpiryBucket {
    /// Under 1 day (expiry day).
    ExpiryDay,
    /// 1 to 3 days.
    UpTo3Days,
    /// Over 3 and up to 7 days.
    UpTo7Days,
    /// Over 7 and up to 30 days.
    UpTo30Days,
    /// Over 30 days.
    Beyond30Days,
}

impl ExpiryBucket {
    /// The bucket for `days` calendar days to expiry.
    pub fn of(days: f64) -> ExpiryBucket {
        if days < 1.0 {
            ExpiryBucket::ExpiryDay
        } else if days <= 3.0 {
            ExpiryBucket::UpTo3Days
        } else if days <= 7.0 {
            ExpiryBucket::UpTo7Days
        } else if days <= 30.0 {
            ExpiryBucket::UpTo30Days
        } else {
            ExpiryBucket::Beyond30Days
        }
    }
}

/// The key of a learned multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CorrelationKey {
    /// Moneyness bucket.
    pub moneyness: MoneynessBucket,
    /// CE or PE.
    pub option_type: OptionType,
    /// Days-to-expiry bucket.
    pub expiry: ExpiryBucket,
}

impl CorrelationKey {
    /// The key for an option of `option_type` with `moneyness_pct` (strike / spot × 100) and
    /// `days` calendar days to expiry.
    pub fn of(option_type: OptionType, moneyness_pct: f64, days: f64) -> CorrelationKey {
        CorrelationKey {
            moneyness: MoneynessBucket::of(option_type, moneyness_pct),
            option_type,
            expiry: ExpiryBucket::of(days),
        }
    }
}

/// One recorded observation: the underlying moved by `underlying_move_pct` and the option's
/// premium by `option_move_pct` over the same interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MovePair {
    /// CE or PE.
    pub option_type: OptionType,
    /// strike / spot × 100 at the start of the interval, percent.
    pub moneyness_pct: f64,
    /// Calendar days to expiry at the start of the interval.
    pub days_to_expiry: f64,
    /// Underlying move, percent (+1.0 = up 1 %).
    pub underlying_move_pct: f64,
    /// Option premium move, percent (+4.0 = up 4 %).
    pub option_move_pct: f64,
    /// Implied volatility at the start, fraction, when recorded.
    pub iv: Option<f64>,
}

/// A learned multiplier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorrelationEntry {
    /// Percent of premium move per percent of underlying move in the option's favour.
    pub multiplier: f64,
    /// Pairs it was learned from.
    pub samples: usize,
    /// Mean implied volatility (fraction) of the pairs that recorded one: the reference for the
    /// volatility adjustment.
    pub mean_iv: Option<f64>,
}

/// Multipliers by [`CorrelationKey`], with a default for keys not learned.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationTable {
    entries: BTreeMap<CorrelationKey, CorrelationEntry>,
    /// Multiplier used where nothing is learned (default 4.0).
    pub default_multiplier: f64,
}

impl Default for CorrelationTable {
    fn default() -> Self {
        Self {
            entries: BTreeMap::new(),
            default_multiplier: Self::DEFAULT_MULTIPLIER,
        }
    }
}

impl CorrelationTable {
    /// The multiplier used when nothing is learned: 4.0.
    pub const DEFAULT_MULTIPLIER: f64 = 4.0;
    /// Usable pairs needed before a key counts as learned: 5.
    pub const MIN_SAMPLES: usize = 5;

    /// An empty table (every lookup gives the default 4.0).
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns a table from recorded pairs (see the module docs for the rule).
    pub fn fit(pairs: &[MovePair]) -> Self {
        #[derive(Default)]
        struct Acc {
            sxy: f64,
            sxx: f64,
            n: usize,
            iv_sum: f64,
            iv_n: usize,
        }
        let mut acc: BTreeMap<CorrelationKey, Acc> = BTreeMap::new();
        for p in pairs {
            let x = p.option_type.sign() * p.underlying_move_pct;
            let y = p.option_move_pct;
            if !(x.is_finite()
                && y.is_finite()
                && p.moneyness_pct.is_finite()
                && p.days_to_expiry.is_finite()
                && x != 0.0)
            {
                continue;
            }
            let a = acc
                .entry(CorrelationKey::of(
                    p.option_type,
                    p.moneyness_pct,
                    p.days_to_expiry,
                ))
                .or_default();
            a.sxy += x * y;
            a.sxx += x * x;
            a.n += 1;
            if let Some(iv) = p.iv.filter(|v| v.is_finite() && *v > 0.0) {
                a.iv_sum += iv;
                a.iv_n += 1;
            }
        }
        let mut table = Self::new();
        for (key, a) in acc {
            let m = a.sxy / a.sxx;
            if a.n >= Self::MIN_SAMPLES && m.is_finite() && m > 0.0 {
                table.entries.insert(
                    key,
                    CorrelationEntry {
                        multiplier: m,
                        samples: a.n,
                        mean_iv: (a.iv_n > 0).then(|| a.iv_sum / a.iv_n as f64),
                    },
                );
            }
        }
        table
    }

    /// Sets a key's entry by hand.
    pub fn insert(&mut self, key: CorrelationKey, entry: CorrelationEntry) {
        self.entries.insert(key, entry);
    }

    /// The learned entry for `key`, if any.
    pub fn get(&self, key: &CorrelationKey) -> Option<&CorrelationEntry> {
        self.entries.get(key)
    }

    /// Every learned entry, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&CorrelationKey, &CorrelationEntry)> {
        self.entries.iter()
    }

    /// The learned multiplier for `key`, else the default.
    pub fn multiplier(&self, key: &CorrelationKey) -> f64 {
        self.get(key)
            .map_or(self.default_multiplier, |e| e.multiplier)
    }

    /// Number of learned keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is learned.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(t: OptionType, under: f64, opt: f64) -> MovePair {
        MovePair {
            option_type: t,
            moneyness_pct: 100.0,
            days_to_expiry: 3.0,
            underlying_move_pct: under,
            option_move_pct: opt,
            iv: Some(0.15),
        }
    }

    #[test]
    fn learns_the_slope_through_the_origin_per_key() {
        let calls: Vec<MovePair> = [0.5, -0.3, 1.0, -1.0, 0.2]
            .iter()
            .map(|&u| pair(OptionType::CE, u, 6.0 * u))
            .collect();
        // A put gains when the underlying falls: its multiplier is positive too.
        let puts: Vec<MovePair> = [0.5, -0.3, 1.0, -1.0, 0.2]
            .iter()
            .map(|&u| pair(OptionType::PE, u, -5.0 * u))
            .collect();
        let table = CorrelationTable::fit(&[calls, puts].concat());
        let ce = CorrelationKey::of(OptionType::CE, 100.0, 3.0);
        let pe = CorrelationKey::of(OptionType::PE, 100.0, 3.0);
        assert!((table.multiplier(&ce) - 6.0).abs() < 1e-12);
        assert!((table.multiplier(&pe) - 5.0).abs() < 1e-12);
        assert_eq!(table.get(&ce).unwrap().samples, 5);
        assert_eq!(table.get(&ce).unwrap().mean_iv, Some(0.15));
        let far = CorrelationKey::of(OptionType::CE, 103.0, 40.0);
        assert_eq!(table.multiplier(&far), 4.0);
    }

    #[test]
    fn too_few_or_unusable_pairs_leave_the_default() {
        let mut pairs: Vec<MovePair> = (0..4).map(|_| pair(OptionType::CE, 1.0, 5.0)).collect();
        pairs.push(pair(OptionType::CE, 0.0, 5.0));
        pairs.push(pair(OptionType::CE, f64::NAN, 5.0));
        let table = CorrelationTable::fit(&pairs);
        assert!(table.is_empty());
        assert_eq!(
            table.multiplier(&CorrelationKey::of(OptionType::CE, 100.0, 3.0)),
            CorrelationTable::DEFAULT_MULTIPLIER
        );
    }

    #[test]
    fn buckets_read_moneyness_by_type() {
        assert_eq!(
            MoneynessBucket::of(OptionType::CE, 97.0),
            MoneynessBucket::DeepItm
        );
        assert_eq!(
            MoneynessBucket::of(OptionType::PE, 97.0),
            MoneynessBucket::DeepOtm
        );
        assert_eq!(
            MoneynessBucket::of(OptionType::CE, 101.0),
            MoneynessBucket::Otm
        );
        assert_eq!(
            MoneynessBucket::of(OptionType::PE, 101.0),
            MoneynessBucket::Itm
        );
        assert_eq!(
            MoneynessBucket::of(OptionType::PE, 99.9),
            MoneynessBucket::Atm
        );
        assert_eq!(ExpiryBucket::of(0.2), ExpiryBucket::ExpiryDay);
        assert_eq!(ExpiryBucket::of(3.0), ExpiryBucket::UpTo3Days);
        assert_eq!(ExpiryBucket::of(31.0), ExpiryBucket::Beyond30Days);
    }
}
