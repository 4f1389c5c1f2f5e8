//! The built-in strategies by kind name: building one from its YAML `parameters`, with every
//! parameter problem reported.

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

use super::{
    bollinger_reversion, ema_crossover, iv_regime, price_breakout, rsi_divergence, volume_spike,
    Strategy,
};

/// A strategy's `parameters` mapping: parameter name to YAML value.
pub type StrategyParams = BTreeMap<String, serde_yaml::Value>;

/// One thing wrong with a strategy's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProblem {
    /// The parameter's key (e.g. `fast_ema`), relative to `parameters`.
    pub key: String,
    /// What is wrong, phrased to follow the key (e.g. `must be < slow_ema (got 20 >= 5)`).
    pub reason: String,
}

impl fmt::Display for ParamProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.key, self.reason)
    }
}

/// Why a strategy could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StrategyBuildError {
    /// No built-in strategy has this kind name.
    #[error("unknown strategy `{kind}`; known: {}", known.join(", "))]
    UnknownStrategy {
        /// The kind that was asked for.
        kind: String,
        /// The kinds that exist.
        known: Vec<&'static str>,
    },
    /// The parameters have problems; every one is listed.
    #[error("invalid parameters: {}", join_problems(.0))]
    InvalidParams(Vec<ParamProblem>),
}

impl StrategyBuildError {
    /// An [`InvalidParams`](Self::InvalidParams) with one problem at `key`.
    pub fn single(key: &str, reason: impl fmt::Display) -> Self {
        StrategyBuildError::InvalidParams(vec![ParamProblem {
            key: key.to_string(),
            reason: reason.to_string(),
        }])
    }
}

fn join_problems(problems: &[ParamProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

const KNOWN: &[&str] = &[
    ema_crossover::KIND,
    rsi_divergence::KIND,
    bollinger_reversion::KIND,
    price_breakout::KIND,
    volume_spike::KIND,
    iv_regime::KIND,
];

/// The kind names of the built-in strategies, in documentation order.
pub fn known_strategies() -> &'static [&'static str] {
    KNOWN
}

/// True when strategies of `kind` read the option chain passed with each candle (the IV
/// regime reads the ATM implied volatility); the others decide on candles alone, so a replay
/// may leave their symbols without chains when nothing trades options on them.
pub fn reads_option_chain(kind: &str) -> bool {
    kind == iv_regime::KIND
}

/// Builds a fresh built-in strategy of `kind`, named `instance_name` (the config key that its
/// signals carry), from its YAML `parameters`. Unknown keys, wrong types and out-of-range or
/// contradictory values are all reported, each with its key.
pub fn build_strategy(
    kind: &str,
    instance_name: &str,
    params: &StrategyParams,
) -> Result<Box<dyn Strategy>, StrategyBuildError> {
    match kind {
        ema_crossover::KIND => {
            let p = ema_crossover::EmaCrossoverParams::from_params(params)?;
            Ok(Box::new(ema_crossover::EmaCrossover::new(
                instance_name,
                p,
            )?))
        }
        rsi_divergence::KIND => {
            let p = rsi_divergence::RsiDivergenceParams::from_params(params)?;
            Ok(Box::new(rsi_divergence::RsiDivergence::new(
                instance_name,
                p,
            )?))
        }
        bollinger_reversion::KIND => {
            let p = bollinger_reversion::BollingerReversionParams::from_params(params)?;
            Ok(Box::new(bollinger_reversion::BollingerReversion::new(
                instance_name,
                p,
            )?))
        }
        price_breakout::KIND => {
            let p = price_breakout::PriceBreakoutParams::from_params(params)?;
            Ok(Box::new(price_breakout::PriceBreakout::new(
                instance_name,
                p,
            )?))
        }
        volume_spike::KIND => {
            let p = volume_spike::VolumeSpikeParams::from_params(params)?;
            Ok(Box::new(volume_spike::VolumeSpike::new(instance_name, p)?))
        }
        iv_regime::KIND => {
            let p = iv_regime::IvRegimeParams::from_params(params)?;
            Ok(Box::new(iv_regime::IvRegime::new(instance_name, p)?))
        }
        _ => Err(StrategyBuildError::UnknownStrategy {
            kind: kind.to_string(),
            known: KNOWN.to_vec(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_yaml::Value;

    fn params(yaml: &str) -> StrategyParams {
        serde_yaml::from_str(yaml).unwrap()
    }

    fn problems(kind: &str, yaml: &str) -> Vec<String> {
        match build_strategy(kind, "x", &params(yaml)) {
            Ok(_) => Vec::new(),
            Err(StrategyBuildError::InvalidParams(ps)) => {
                ps.iter().map(ToString::to_string).collect()
            }
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn defaults_build_every_known_strategy() {
        for kind in known_strategies() {
            let s = build_strategy(kind, "mine", &StrategyParams::new()).unwrap();
            assert_eq!(s.name(), "mine");
            assert!(s.warmup_bars() > 1, "{kind}");
        }
    }

    #[test]
    fn every_problem_is_named_with_its_key() {
        let found = problems(
            "ema_crossover",
            "{fast_ema: 20, slow_ema: 5, min_confidence: 120, target_pct: -1, stop_pct: lots, fast_emma: 3}",
        );
        let expect = [
            "fast_ema must be < slow_ema (got 20 >= 5)",
            "min_confidence must be between 0 and 100, got 120",
            "target_pct must be greater than 0 and at most 50, got -1",
            "stop_pct must be a number, got text \"lots\"",
            "fast_emma is not a parameter of ema_crossover (did you mean `fast_ema`?)",
        ];
        for e in expect {
            assert!(found.iter().any(|p| p.starts_with(e)), "{e}: {found:#?}");
        }
        assert_eq!(found.len(), expect.len(), "{found:#?}");
    }

    #[test]
    fn wrong_types_are_named() {
        let found = problems(
            "rsi_divergence",
            "{rsi_period: 14.5, divergence_periods: [1]}",
        );
        assert!(found.contains(&"rsi_period must be a whole number, got 14.5".to_string()));
        assert!(
            found.contains(&"divergence_periods must be a whole number, got a list".to_string())
        );
        let found = problems("ema_crossover", "{slow_ema: -3}");
        assert!(
            found[0].starts_with("slow_ema must be between 2 and 1000, got -3"),
            "{found:?}"
        );
    }

    #[test]
    fn whole_numbers_written_as_floats_are_accepted() {
        assert!(problems("ema_crossover", "{fast_ema: 5.0, slow_ema: 20}").is_empty());
        let found = problems("ema_crossover", "{fast_ema: 5.5}");
        assert_eq!(found, ["fast_ema must be a whole number, got 5.5"]);
    }

    #[test]
    fn unknown_kind_lists_the_known_ones() {
        let err = build_strategy("macd", "macd", &StrategyParams::new())
            .err()
            .unwrap();
        assert_eq!(
            err,
            StrategyBuildError::UnknownStrategy {
                kind: "macd".into(),
                known: known_strategies().to_vec()
            }
        );
        assert!(err.to_string().contains("ema_crossover"));
    }

    #[test]
    fn display_lists_all_problems() {
        let mut p = StrategyParams::new();
        p.insert("fast_ema".into(), Value::from(0u64));
        p.insert("bogus".into(), Value::from(true));
        let err = build_strategy("ema_crossover", "e", &p)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("fast_ema must be between 1 and 500"), "{err}");
        assert!(
            err.contains("bogus is not a parameter of ema_crossover"),
            "{err}"
        );
    }
}
