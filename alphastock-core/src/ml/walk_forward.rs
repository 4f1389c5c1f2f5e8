//! Walk-forward splits by date: the trading days are cut into `folds + 1` consecutive blocks;
//! fold `i` trains on every row dated in blocks `0..i` and tests on the rows of block `i`.
//! Rows are never shuffled across time: every training date is strictly before every test
//! date of its fold, and each day is tested at most once.

use chrono::NaiveDate;

/// One walk-forward fold: indices into the rows given to [`walk_forward_folds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// Rows to train on (dated before `test_from`).
    pub train: Vec<usize>,
    /// Rows to test on (dated `test_from` to `test_to`).
    pub test: Vec<usize>,
    /// First test day.
    pub test_from: NaiveDate,
    /// Last test day.
    pub test_to: NaiveDate,
}

/// The folds for rows dated `dates` (any order). With fewer than `folds + 1` distinct days,
/// as many folds as the days allow (none with a single day).
pub fn walk_forward_folds(dates: &[NaiveDate], folds: usize) -> Vec<Fold> {
    let mut days: Vec<NaiveDate> = dates.to_vec();
    days.sort_unstable();
    days.dedup();
    let blocks = (folds + 1).min(days.len());
    if blocks < 2 {
        return Vec::new();
    }
    // Block b holds days[bounds[b]..bounds[b + 1]].
    let bounds: Vec<usize> = (0..=blocks).map(|b| b * days.len() / blocks).collect();
    (1..blocks)
        .map(|b| {
            let test_from = days[bounds[b]];
            let test_to = days[bounds[b + 1] - 1];
            let mut fold = Fold {
                train: Vec::new(),
                test: Vec::new(),
                test_from,
                test_to,
            };
            for (i, d) in dates.iter().enumerate() {
                if *d < test_from {
                    fold.train.push(i);
                } else if *d <= test_to {
                    fold.test.push(i);
                }
            }
            fold
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(i64::from(n))
    }

    #[test]
    fn six_days_three_folds() {
        let dates: Vec<NaiveDate> = [0, 0, 1, 2, 3, 4, 5, 5].into_iter().map(day).collect();
        let f = walk_forward_folds(&dates, 3);
        assert_eq!(f.len(), 3);
        // 6 days in 4 blocks: [d0] [d1 d2] [d3] [d4 d5].
        assert_eq!(f[0].train, vec![0, 1]);
        assert_eq!(f[0].test, vec![2, 3]);
        assert_eq!(f[1].train, vec![0, 1, 2, 3]);
        assert_eq!(f[1].test, vec![4]);
        assert_eq!(f[2].train, vec![0, 1, 2, 3, 4]);
        assert_eq!(f[2].test, vec![5, 6, 7]);
    }

    #[test]
    fn one_day_gives_no_fold() {
        assert!(walk_forward_folds(&[day(3), day(3)], 4).is_empty());
        assert!(walk_forward_folds(&[], 4).is_empty());
    }

    proptest! {
        /// Whatever the dates and fold count: every training date is strictly before every
        /// test date of its fold; the test days of different folds never overlap; every row
        /// after the first block is tested exactly once.
        #[test]
        fn never_trains_on_or_after_a_test_date(
            offsets in proptest::collection::vec(0u32..60, 0..200),
            folds in 1usize..8,
        ) {
            let dates: Vec<NaiveDate> = offsets.iter().copied().map(day).collect();
            let f = walk_forward_folds(&dates, folds);
            let mut tested = vec![0u32; dates.len()];
            for fold in &f {
                prop_assert!(!fold.test.is_empty());
                prop_assert!(!fold.train.is_empty());
                let first_test = fold.test.iter().map(|&i| dates[i]).min().unwrap();
                for &i in &fold.train {
                    prop_assert!(dates[i] < first_test);
                    prop_assert!(dates[i] < fold.test_from);
                }
                for &i in &fold.test {
                    prop_assert!(dates[i] >= fold.test_from && dates[i] <= fold.test_to);
                    tested[i] += 1;
                }
            }
            for w in f.windows(2) {
                prop_assert!(w[0].test_to < w[1].test_from);
            }
            prop_assert!(tested.iter().all(|t| *t <= 1));
            if let Some(first) = f.first() {
                for (i, d) in dates.iter().enumerate() {
                    prop_assert_eq!(tested[i] == 1, *d >= first.test_from);
                }
            }
        }
    }
}
