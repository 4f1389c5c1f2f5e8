//! Out-of-sample judgement of the signal filter over walk-forward folds.
//!
//! In each fold ([`super::walk_forward`]) a [`LogisticModel`] is trained on the earlier days and
//! a probability threshold is chosen on those same training days (the one, among "keep all" and
//! the 10th–90th percentiles of the training probabilities, that gives the highest training net
//! P&L while keeping at least 10 % of the trades); then the later days are scored: their trades,
//! precision (share of trades with net P&L above zero) and net P&L, all of them and only those
//! the filter keeps.
//!
//! **Verdict.** Pooled over the folds, the filter has an out-of-sample benefit only when it keeps
//! some trades, their precision beats the unfiltered precision `p` by more than two standard
//! errors `2·√(p(1 − p)/kept)`, and their net P&L beats the unfiltered net P&L. Otherwise the
//! report says "no out-of-sample benefit".

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::features::FeatureVector;
use super::logistic::{LogisticModel, TrainSettings};
use super::walk_forward::walk_forward_folds;

/// One labelled signal: its features, the day it was taken and its trade's net P&L.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The IST trading day of the signal.
    pub date: NaiveDate,
    /// The features at the decision.
    pub features: FeatureVector,
    /// The trade's net P&L after charges, rupees.
    pub net_pnl: Decimal,
}

impl Sample {
    /// True when the trade made money after charges.
    pub fn win(&self) -> bool {
        self.net_pnl > Decimal::ZERO
    }
}

/// Trades, wins and net P&L of a set of trades.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    /// Trades.
    pub trades: usize,
    /// Trades with net P&L above zero.
    pub wins: usize,
    /// Net P&L, rupees.
    pub net_pnl: Decimal,
}

impl Tally {
    fn add(&mut self, s: &Sample) {
        self.trades += 1;
        self.wins += usize::from(s.win());
        self.net_pnl += s.net_pnl;
    }

    fn merge(&mut self, o: &Tally) {
        self.trades += o.trades;
        self.wins += o.wins;
        self.net_pnl += o.net_pnl;
    }

    /// Wins / trades (fraction); `None` without trades.
    pub fn precision(&self) -> Option<f64> {
        (self.trades > 0).then(|| self.wins as f64 / self.trades as f64)
    }
}

/// One fold's out-of-sample result.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldReport {
    /// First test day.
    pub test_from: NaiveDate,
    /// Last test day.
    pub test_to: NaiveDate,
    /// Trades trained on.
    pub train_trades: usize,
    /// The probability threshold chosen on the training days (0 = keep all).
    pub min_probability: f64,
    /// Every test trade (no filter).
    pub all: Tally,
    /// The test trades the filter keeps.
    pub kept: Tally,
}

/// The walk-forward result and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForwardReport {
    /// Each fold, in time order.
    pub folds: Vec<FoldReport>,
    /// All folds' test trades, without the filter.
    pub all: Tally,
    /// All folds' test trades the filter kept.
    pub kept: Tally,
    /// Whether the filter helps out of sample (see the module docs).
    pub benefit: bool,
    /// One line: "out-of-sample benefit: ..." or "no out-of-sample benefit: ...".
    pub verdict: String,
}

/// Trains and tests over `folds` walk-forward folds of `samples`. `min_probability` fixes the
/// threshold; `None` chooses it on each fold's training days.
pub fn walk_forward_report(
    samples: &[Sample],
    folds: usize,
    settings: TrainSettings,
    min_probability: Option<f64>,
) -> WalkForwardReport {
    let dates: Vec<NaiveDate> = samples.iter().map(|s| s.date).collect();
    let mut out = Vec::new();
    let (mut all, mut kept) = (Tally::default(), Tally::default());
    for fold in walk_forward_folds(&dates, folds) {
        let train: Vec<&Sample> = fold.train.iter().map(|&i| &samples[i]).collect();
        let (model, threshold) = fit(&train, settings, min_probability);
        let mut r = FoldReport {
            test_from: fold.test_from,
            test_to: fold.test_to,
            train_trades: train.len(),
            min_probability: threshold,
            all: Tally::default(),
            kept: Tally::default(),
        };
        for &i in &fold.test {
            let s = &samples[i];
            r.all.add(s);
            if model.probability(&s.features) >= threshold {
                r.kept.add(s);
            }
        }
        all.merge(&r.all);
        kept.merge(&r.kept);
        out.push(r);
    }
    let (benefit, verdict) = verdict(&all, &kept, out.len());
    WalkForwardReport {
        folds: out,
        all,
        kept,
        benefit,
        verdict,
    }
}

/// A model trained on `train` and its threshold (given, or chosen on `train`).
pub fn fit(
    train: &[&Sample],
    settings: TrainSettings,
    min_probability: Option<f64>,
) -> (LogisticModel, f64) {
    let rows: Vec<FeatureVector> = train.iter().map(|s| s.features).collect();
    let wins: Vec<bool> = train.iter().map(|s| s.win()).collect();
    let model = LogisticModel::train(&rows, &wins, settings);
    let threshold = min_probability.unwrap_or_else(|| choose_threshold(&model, train));
    (model, threshold)
}

/// The threshold with the highest net P&L on `train` among 0 (keep all) and the 10th–90th
/// percentiles of the training probabilities, keeping at least 10 % of the trades; the lower
/// threshold on a tie.
fn choose_threshold(model: &LogisticModel, train: &[&Sample]) -> f64 {
    let mut scored: Vec<(f64, Decimal)> = train
        .iter()
        .map(|s| (model.probability(&s.features), s.net_pnl))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = scored.len();
    let min_kept = (n / 10).max(1);
    let mut best = (0.0, scored.iter().map(|s| s.1).sum::<Decimal>());
    for decile in 1..10 {
        let at = decile * n / 10;
        if at >= n || n - at < min_kept {
            continue;
        }
        let threshold = scored[at].0;
        let net: Decimal = scored
            .iter()
            .filter(|s| s.0 >= threshold)
            .map(|s| s.1)
            .sum();
        if net > best.1 {
            best = (threshold, net);
        }
    }
    best.0
}

fn verdict(all: &Tally, kept: &Tally, folds: usize) -> (bool, String) {
    let (Some(p), Some(q)) = (all.precision(), kept.precision()) else {
        return (
            false,
            format!(
                "no out-of-sample benefit: {} fold(s), {} test trade(s), {} kept by the filter",
                folds, all.trades, kept.trades
            ),
        );
    };
    let se = (p * (1.0 - p) / kept.trades as f64).sqrt();
    let lift = q - p;
    let pct = |x: f64| x * 100.0;
    let facts = format!(
        "precision {:.1} % → {:.1} % ({:+.1} points, two standard errors {:.1}), net P&L {} → {} over {} fold(s)",
        pct(p),
        pct(q),
        pct(lift),
        pct(2.0 * se),
        all.net_pnl.round_dp(2),
        kept.net_pnl.round_dp(2),
        folds
    );
    if lift > 2.0 * se && kept.net_pnl > all.net_pnl {
        (true, format!("out-of-sample benefit: {facts}"))
    } else {
        (false, format!("no out-of-sample benefit: {facts}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::features::FEATURE_COUNT;

    /// A deterministic generator (64-bit LCG), so the tests are repeatable.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// 40 days × 25 signals with uniform random features; `rule` decides the win.
    fn dataset(seed: u64, rule: impl Fn(&[f64; FEATURE_COUNT], f64) -> bool) -> Vec<Sample> {
        let mut g = Lcg(seed);
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut out = Vec::new();
        for d in 0..40 {
            for _ in 0..25 {
                let mut x = [0.0; FEATURE_COUNT];
                for v in x.iter_mut() {
                    *v = g.next() * 100.0;
                }
                let win = rule(&x, g.next());
                out.push(Sample {
                    date: start + chrono::Duration::days(d),
                    features: FeatureVector(x),
                    net_pnl: if win {
                        Decimal::from(100)
                    } else {
                        Decimal::from(-80)
                    },
                });
            }
        }
        out
    }

    #[test]
    fn a_planted_rule_is_learned_out_of_sample() {
        // Wins 80 % of the time when confidence > 60, else 20 %: base precision about 44 %,
        // a perfect filter about 80 %.
        let data = dataset(7, |x, u| u < if x[1] > 60.0 { 0.8 } else { 0.2 });
        let r = walk_forward_report(&data, 4, TrainSettings::default(), None);
        assert_eq!(r.folds.len(), 4);
        let p = r.all.precision().unwrap();
        let q = r.kept.precision().unwrap();
        assert!(p > 0.38 && p < 0.50, "base precision {p}");
        assert!(
            q - p > 0.25,
            "the filter lifts precision by more than 25 points: {p} → {q}"
        );
        assert!(r.kept.net_pnl > r.all.net_pnl);
        assert!(r.benefit, "{}", r.verdict);
        assert!(
            r.verdict.starts_with("out-of-sample benefit"),
            "{}",
            r.verdict
        );
    }

    #[test]
    fn pure_noise_gives_no_benefit() {
        for seed in [1, 2, 3, 4, 5] {
            let data = dataset(seed, |_, u| u < 0.45);
            let r = walk_forward_report(&data, 4, TrainSettings::default(), None);
            assert!(!r.benefit, "seed {seed}: {}", r.verdict);
            assert!(
                r.verdict.starts_with("no out-of-sample benefit"),
                "seed {seed}: {}",
                r.verdict
            );
        }
    }

    #[test]
    fn tallies_add_up_by_hand() {
        // Two days: train on day 1, test on day 2; a fixed threshold of 0 keeps everything.
        let d1 = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let d2 = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        let s = |date, pnl: i64| Sample {
            date,
            features: FeatureVector([0.0; FEATURE_COUNT]),
            net_pnl: Decimal::from(pnl),
        };
        let data = vec![s(d1, 10), s(d1, -5), s(d2, 30), s(d2, -20), s(d2, 0)];
        let r = walk_forward_report(&data, 3, TrainSettings::default(), Some(0.0));
        assert_eq!(r.folds.len(), 1);
        assert_eq!(r.folds[0].train_trades, 2);
        assert_eq!(r.all.trades, 3);
        assert_eq!(r.all.wins, 1, "a zero P&L is not a win");
        assert_eq!(r.all.net_pnl, Decimal::from(10));
        assert_eq!(r.kept, r.all);
        assert!(!r.benefit);
        assert!(r.verdict.contains("+0.0 points"), "{}", r.verdict);
    }
}
