//! Reading a strategy's YAML `parameters` with defaults, ranges and one problem per bad key.

use std::cell::RefCell;

use serde_yaml::Value;

use super::registry::{ParamProblem, StrategyBuildError, StrategyParams};

/// One parameter as a strategy reads it: key, default and accepted range. Recorded while
/// [`record_specs`] runs, so the catalogue of parameters is the code's own reading of them.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// The key under `parameters`.
    pub key: &'static str,
    /// The value used when the key is absent.
    pub default: Value,
    /// The values accepted, e.g. `1..=500` (whole numbers) or `0 < x ≤ 50`.
    pub range: String,
}

thread_local! {
    static RECORDING: RefCell<Option<Vec<ParamSpec>>> = const { RefCell::new(None) };
}

fn record(spec: ParamSpec) {
    RECORDING.with(|r| {
        if let Some(specs) = r.borrow_mut().as_mut() {
            // A strategy may read its parameters more than once while being built.
            if !specs.iter().any(|s| s.key == spec.key) {
                specs.push(spec);
            }
        }
    });
}

/// Runs `f` and returns every parameter a [`ParamReader`] read meanwhile (on this thread), in
/// reading order.
pub(crate) fn record_specs(f: impl FnOnce()) -> Vec<ParamSpec> {
    RECORDING.with(|r| *r.borrow_mut() = Some(Vec::new()));
    f();
    RECORDING.with(|r| r.borrow_mut().take().unwrap_or_default())
}

/// Reads typed parameters out of a [`StrategyParams`] map, recording a [`ParamProblem`] for each
/// wrong type, out-of-range value and unknown key instead of stopping at the first.
pub(crate) struct ParamReader<'a> {
    kind: &'static str,
    params: &'a StrategyParams,
    known: Vec<&'static str>,
    problems: Vec<ParamProblem>,
}

impl<'a> ParamReader<'a> {
    /// A reader for the parameters of strategy `kind`.
    pub(crate) fn new(kind: &'static str, params: &'a StrategyParams) -> Self {
        Self {
            kind,
            params,
            known: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Records a problem at `key`.
    pub(crate) fn problem(&mut self, key: &str, reason: impl Into<String>) {
        self.problems.push(ParamProblem {
            key: key.to_string(),
            reason: reason.into(),
        });
    }

    /// A whole number in `min..=max` (bars, counts), `default` when absent.
    pub(crate) fn whole(
        &mut self,
        key: &'static str,
        default: usize,
        min: usize,
        max: usize,
    ) -> usize {
        self.known.push(key);
        record(ParamSpec {
            key,
            default: Value::from(default as u64),
            range: format!("{min}..={max}"),
        });
        let Some(v) = self.params.get(key) else {
            return default;
        };
        let n = match v {
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    Some(u)
                } else if n.as_i64().is_some() {
                    None
                } else if let Some(w) = n
                    .as_f64()
                    .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x <= 1e9)
                {
                    // `20.0` is a whole number written as a float.
                    Some(w as u64)
                } else {
                    self.problem(key, format!("must be a whole number, got {n}"));
                    return default;
                }
            }
            other => {
                self.problem(
                    key,
                    format!("must be a whole number, got {}", describe(other)),
                );
                return default;
            }
        };
        match n.and_then(|u| usize::try_from(u).ok()) {
            Some(u) if (min..=max).contains(&u) => u,
            _ => {
                self.problem(
                    key,
                    format!("must be between {min} and {max}, got {}", describe(v)),
                );
                default
            }
        }
    }

    /// A finite number in `min..=max` (or `(min, max]` when `min_exclusive`), `default` when
    /// absent.
    pub(crate) fn number(
        &mut self,
        key: &'static str,
        default: f64,
        min: f64,
        max: f64,
        min_exclusive: bool,
    ) -> f64 {
        self.known.push(key);
        record(ParamSpec {
            key,
            default: Value::from(default),
            range: format!("{min} {} x ≤ {max}", if min_exclusive { "<" } else { "≤" }),
        });
        let Some(v) = self.params.get(key) else {
            return default;
        };
        let x = match v {
            Value::Number(n) => n.as_f64(),
            _ => None,
        };
        let Some(x) = x.filter(|x| x.is_finite()) else {
            self.problem(key, format!("must be a number, got {}", describe(v)));
            return default;
        };
        let low_ok = if min_exclusive { x > min } else { x >= min };
        if !low_ok || x > max {
            let low = if min_exclusive {
                format!("greater than {min}")
            } else {
                format!("at least {min}")
            };
            self.problem(key, format!("must be {low} and at most {max}, got {x}"));
            return default;
        }
        x
    }

    /// A confidence threshold, whole points 0..=100.
    pub(crate) fn confidence(&mut self, key: &'static str, default: u8) -> u8 {
        let v = self.whole(key, usize::from(default), 0, 100);
        u8::try_from(v).unwrap_or(default)
    }

    /// Target and stop distances as percents of price, each in (0, 50].
    pub(crate) fn exits(&mut self, default_target_pct: f64, default_stop_pct: f64) -> (f64, f64) {
        let target = self.number("target_pct", default_target_pct, 0.0, 50.0, true);
        let stop = self.number("stop_pct", default_stop_pct, 0.0, 50.0, true);
        (target, stop)
    }

    /// Reports every key that was never read as unknown, and returns all problems, if any.
    pub(crate) fn finish(mut self) -> Result<(), StrategyBuildError> {
        let unknown: Vec<&String> = self
            .params
            .keys()
            .filter(|k| !self.known.contains(&k.as_str()))
            .collect();
        for key in unknown {
            let known = self.known.join(", ");
            let hint = crate::config::closest_key(key, &self.known)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            self.problems.push(ParamProblem {
                key: key.clone(),
                reason: format!("is not a parameter of {}{hint}; known: {known}", self.kind),
            });
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(StrategyBuildError::InvalidParams(self.problems))
        }
    }
}

/// A short description of a YAML value for messages: `5`, `text "five"`, `a list`.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("text \"{s}\""),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a mapping".to_string(),
        Value::Tagged(_) => "a tagged value".to_string(),
    }
}
