//! The built-in strategies described from the code: each kind with a one-line summary and its
//! parameters (key, default, accepted range, meaning). Keys, defaults and ranges are recorded
//! while each strategy reads an empty `parameters` map, so they cannot drift from what the
//! strategy accepts; the meanings are the strategy modules' own `PARAMETERS` tables.

use serde_yaml::Value;

use super::params::record_specs;
use super::registry::{build_strategy, known_strategies, StrategyParams};
use super::{
    bollinger_reversion, ema_crossover, iv_regime, price_breakout, rsi_divergence, volume_spike,
};

/// Meanings of the parameters every built-in strategy has.
const COMMON: &[(&str, &str)] = &[
    (
        "min_confidence",
        "signals below this confidence (points 0..=100) are not emitted",
    ),
    ("target_pct", "target distance, percent of price"),
    ("stop_pct", "stop distance, percent of price"),
];

/// One parameter of a built-in strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamInfo {
    /// The key under the strategy's `parameters`.
    pub key: &'static str,
    /// The value used when the key is absent.
    pub default: Value,
    /// The values accepted, e.g. `1..=500` (whole numbers) or `0 < x ≤ 50`.
    pub range: String,
    /// What it means, with its unit.
    pub meaning: &'static str,
}

/// One built-in strategy: its kind name (the `kind` of a config entry), what it does, and its
/// parameters in the order the strategy reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategyInfo {
    /// The kind name, e.g. `ema_crossover`.
    pub kind: &'static str,
    /// What it trades on, one line.
    pub summary: &'static str,
    /// Its parameters.
    pub parameters: Vec<ParamInfo>,
}

/// Summary and parameter meanings of a kind (the strategy module's `SUMMARY` and `PARAMETERS`).
fn docs(kind: &str) -> (&'static str, &'static [(&'static str, &'static str)]) {
    match kind {
        ema_crossover::KIND => (ema_crossover::SUMMARY, ema_crossover::PARAMETERS),
        rsi_divergence::KIND => (rsi_divergence::SUMMARY, rsi_divergence::PARAMETERS),
        bollinger_reversion::KIND => (
            bollinger_reversion::SUMMARY,
            bollinger_reversion::PARAMETERS,
        ),
        price_breakout::KIND => (price_breakout::SUMMARY, price_breakout::PARAMETERS),
        volume_spike::KIND => (volume_spike::SUMMARY, volume_spike::PARAMETERS),
        iv_regime::KIND => (iv_regime::SUMMARY, iv_regime::PARAMETERS),
        _ => ("", &[]),
    }
}

/// Every built-in strategy, in documentation order.
pub fn strategy_catalogue() -> Vec<StrategyInfo> {
    known_strategies()
        .iter()
        .map(|kind| {
            let specs = record_specs(|| {
                let _ = build_strategy(kind, kind, &StrategyParams::new());
            });
            let (summary, meanings) = docs(kind);
            let parameters = specs
                .into_iter()
                .map(|s| ParamInfo {
                    key: s.key,
                    meaning: meanings
                        .iter()
                        .chain(COMMON)
                        .find(|(k, _)| *k == s.key)
                        .map_or("", |(_, m)| m),
                    default: s.default,
                    range: s.range,
                })
                .collect();
            StrategyInfo {
                kind,
                summary,
                parameters,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parameter_has_its_default_range_and_meaning() {
        let all = strategy_catalogue();
        assert_eq!(all.len(), known_strategies().len());
        for s in &all {
            assert!(!s.summary.is_empty(), "{}", s.kind);
            assert!(s.parameters.len() >= 4, "{s:?}");
            for p in &s.parameters {
                assert!(!p.meaning.is_empty(), "{} {} has no meaning", s.kind, p.key);
            }
            // Every documented key is one the strategy reads.
            let (_, meanings) = docs(s.kind);
            for (k, _) in meanings {
                assert!(s.parameters.iter().any(|p| p.key == *k), "{} {k}", s.kind);
            }
        }
        let ema = &all[0];
        assert_eq!(ema.kind, "ema_crossover");
        let fast = &ema.parameters[0];
        assert_eq!(
            (fast.key, fast.default.as_u64(), fast.range.as_str()),
            ("fast_ema", Some(5), "1..=500")
        );
        let stop = ema.parameters.iter().find(|p| p.key == "stop_pct");
        assert_eq!(
            stop.map(|p| (p.default.as_f64(), p.range.as_str())),
            Some((Some(0.4), "0 < x ≤ 50"))
        );
    }
}
