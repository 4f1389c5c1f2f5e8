//! Reading a config from YAML text, collecting every problem.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_yaml::Value;

use super::problem::prefixed;
use super::suggest::closest;
use super::{Config, ConfigErrors, ConfigProblem, TargetMethod};
use crate::strategy::{build_strategy, StrategyBuildError};

/// The top-level sections, in the order they are documented.
const SECTIONS: &[&str] = &[
    "system",
    "market_data_runner",
    "options_data_runner",
    "strategies",
    "options_trading",
    "market",
    "storage",
    "broker",
    "simulation",
    "alerts",
    "dashboard",
    "ml",
];

/// Longest config text accepted, bytes (a real config is a few kilobytes).
pub const MAX_CONFIG_BYTES: usize = 1 << 20;
/// Deepest nesting of YAML flow collections (`[...]`, `{...}`) accepted; checked before the
/// text is parsed, since parsing very deep nesting takes time quadratic in the depth.
pub const MAX_YAML_DEPTH: usize = 64;
/// Largest magnitude of any number in a config (rupees, units, percent alike): one lakh crore.
/// Every product the engine forms of config values and market prices then stays far inside
/// `Decimal`'s range (about 7.9 × 10^28). Keys named `seed` are exempt (any `u64`).
pub const MAX_CONFIG_MAGNITUDE: f64 = 1e12;

impl Config {
    /// This config with `market.holidays` extended by NSE's holidays from the market rules
    /// ([`crate::config::MarketConfig::holidays_with_rules`]): what the engine's market-hours
    /// checks use.
    pub fn with_market_holidays(&self) -> Config {
        let mut c = self.clone();
        c.market.holidays = self.market.holidays_with_rules();
        c
    }

    /// Parses and validates a YAML config. Returns every problem found (each with its dotted key
    /// path), not just the first. Text over [`MAX_CONFIG_BYTES`], flow nesting deeper than
    /// [`MAX_YAML_DEPTH`] and numbers beyond [`MAX_CONFIG_MAGNITUDE`] are refused.
    pub fn from_yaml_str(text: &str) -> Result<Config, ConfigErrors> {
        let mut problems = Vec::new();
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ConfigErrors(vec![ConfigProblem::new(
                "",
                format!(
                    "the config is {} bytes, more than the {MAX_CONFIG_BYTES} accepted",
                    text.len()
                ),
            )]));
        }
        if let Some((line, depth)) = too_deep(text, MAX_YAML_DEPTH) {
            return Err(ConfigErrors(vec![ConfigProblem::new(
                "",
                format!(
                    "malformed YAML at line {line}: nesting deeper than {MAX_YAML_DEPTH} levels ({depth})"
                ),
            )]));
        }
        let doc: Value = match serde_yaml::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let at = e
                    .location()
                    .map(|l| format!(" at line {} column {}", l.line(), l.column()))
                    .unwrap_or_default();
                return Err(ConfigErrors(vec![ConfigProblem::new(
                    "",
                    format!("malformed YAML{at}: {e}"),
                )]));
            }
        };
        let map = match doc {
            Value::Mapping(m) => m,
            Value::Null => {
                return Err(ConfigErrors(vec![ConfigProblem::new(
                    "",
                    "the config is empty: expected a mapping with at least `strategies`",
                )]))
            }
            other => {
                return Err(ConfigErrors(vec![ConfigProblem::new(
                    "",
                    format!(
                        "the config must be a mapping of sections, got {}",
                        kind_of(&other)
                    ),
                )]))
            }
        };

        for (key, value) in &map {
            let name = key.as_str().unwrap_or("?");
            out_of_range(name, value, &mut problems);
        }
        if !problems.is_empty() {
            return Err(ConfigErrors(problems));
        }
        let mut config = Config::default();
        for (key, value) in map {
            let Some(name) = key.as_str().map(str::to_string) else {
                problems.push(ConfigProblem::new(
                    "",
                    format!("top-level keys must be text, got {}", kind_of(&key)),
                ));
                continue;
            };
            match name.as_str() {
                "system" => read_section(&name, value, &mut config.system, &mut problems),
                "market_data_runner" => {
                    read_section(&name, value, &mut config.market_data_runner, &mut problems)
                }
                "options_data_runner" => {
                    read_section(&name, value, &mut config.options_data_runner, &mut problems)
                }
                "strategies" => read_strategies(value, &mut config, &mut problems),
                "options_trading" => {
                    read_section(&name, value, &mut config.options_trading, &mut problems)
                }
                "market" => read_section(&name, value, &mut config.market, &mut problems),
                "storage" => read_section(&name, value, &mut config.storage, &mut problems),
                "broker" => read_section(&name, value, &mut config.broker, &mut problems),
                "simulation" => read_section(&name, value, &mut config.simulation, &mut problems),
                "alerts" => read_section(&name, value, &mut config.alerts, &mut problems),
                "dashboard" => read_section(&name, value, &mut config.dashboard, &mut problems),
                "ml" => read_section(&name, value, &mut config.ml, &mut problems),
                _ => problems.push(unknown_key("", &name, SECTIONS)),
            }
        }
        problems.extend(config.validate());
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigErrors(problems))
        }
    }

    /// Checks the rules that serde cannot: ranges, relations between keys, strategy parameters.
    /// Returns every problem with its full key path; empty when the config is valid.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mdr = &self.market_data_runner;
        if mdr.frequency_seconds == 0 {
            out.push(ConfigProblem::new(
                "market_data_runner.frequency_seconds",
                "must be at least 1",
            ));
        }
        if !(1..=500).contains(&mdr.batch_size) {
            out.push(ConfigProblem::new(
                "market_data_runner.batch_size",
                format!("must be between 1 and 500, got {}", mdr.batch_size),
            ));
        }
        if !(1..=375).contains(&mdr.candle_minutes) {
            out.push(ConfigProblem::new(
                "market_data_runner.candle_minutes",
                format!(
                    "must be between 1 and 375 (one session), got {}",
                    mdr.candle_minutes
                ),
            ));
        }
        if self.options_data_runner.frequency_seconds == 0 {
            out.push(ConfigProblem::new(
                "options_data_runner.frequency_seconds",
                "must be at least 1",
            ));
        }
        out.extend(super::problem::prefixed(
            "options_data_runner.strike_selection",
            self.options_data_runner.strike_selection.validate(),
        ));
        out.extend(self.validate_strategies());
        out.extend(self.validate_options_trading());
        out.extend(self.validate_ml());
        out.extend(self.validate_market());
        if self.storage.path.trim().is_empty() {
            out.push(ConfigProblem::new("storage.path", "must not be empty"));
        }
        out.extend(super::problem::prefixed("broker", self.broker.validate()));
        out.extend(super::problem::prefixed(
            "simulation",
            self.simulation.validate(),
        ));
        for (section, problems) in [
            ("alerts", self.alerts.validate()),
            ("dashboard", self.dashboard.validate()),
        ] {
            out.extend(super::problem::prefixed(
                section,
                problems.into_iter().map(|p| (p.path, p.reason)).collect(),
            ));
        }
        out
    }

    fn validate_strategies(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if self.strategies.is_empty() {
            out.push(ConfigProblem::new(
                "strategies",
                "must configure at least one strategy",
            ));
        }
        for (name, s) in &self.strategies {
            let base = format!("strategies.{name}");
            if s.enabled && s.symbols.is_empty() {
                out.push(ConfigProblem::new(
                    format!("{base}.symbols"),
                    "must list at least one symbol for an enabled strategy",
                ));
            }
            if s.instrument == super::sections::TradeInstrument::Underlying {
                for sym in s.symbols.iter().filter(|sym| sym.is_index()) {
                    out.push(ConfigProblem::new(
                        format!("{base}.instrument"),
                        format!(
                            "`underlying` trades a cash equity (e.g. NSE:SBIN); {sym} is an \
                             index, which needs an option (instrument: option) or a futures \
                             contract"
                        ),
                    ));
                }
            }
            // Disabled instances are checked too, so switching one on cannot surprise.
            match build_strategy(s.kind(name), name, &s.parameters) {
                Ok(_) => {}
                Err(StrategyBuildError::UnknownStrategy { kind, known }) => {
                    let known = known.join(", ");
                    out.push(if s.strategy.is_some() {
                        ConfigProblem::new(
                            format!("{base}.strategy"),
                            format!("is not a known strategy (`{kind}`); known: {known}"),
                        )
                    } else {
                        ConfigProblem::new(
                            base.clone(),
                            format!(
                                "is not a known strategy; name the entry after one or set \
                                 `strategy:` to one of: {known}"
                            ),
                        )
                    });
                }
                Err(StrategyBuildError::InvalidParams(problems)) => {
                    out.extend(problems.into_iter().map(|p| {
                        ConfigProblem::new(format!("{base}.parameters.{}", p.key), p.reason)
                    }));
                }
            }
        }
        out
    }

    fn validate_options_trading(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        out.extend(prefixed(
            "options_trading.risk_management",
            self.options_trading.risk_management.validate(),
        ));
        out.extend(prefixed(
            "options_trading.entry",
            self.options_trading.entry.validate(),
        ));
        let rate = self.options_trading.risk_free_rate;
        if !(rate.is_finite() && (-0.05..=0.5).contains(&rate)) {
            out.push(ConfigProblem::new(
                "options_trading.risk_free_rate",
                format!("must be a fraction between -0.05 and 0.5 (0.065 = 6.5 %), got {rate}"),
            ));
        }
        out.extend(prefixed(
            "options_trading.charges",
            self.options_trading.charges.validate(),
        ));
        out.extend(prefixed(
            "options_trading.exits",
            self.options_trading.exits.validate(),
        ));
        out.extend(prefixed(
            "options_trading.underlying",
            self.options_trading.underlying.validate(),
        ));
        if let Some(path) = &self.options_trading.correlation_table {
            if path.trim().is_empty() {
                out.push(ConfigProblem::new(
                    "options_trading.correlation_table",
                    "must be a file path (leave the key out for no table)",
                ));
            }
        }
        out
    }

    fn validate_ml(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if let Some(f) = &self.ml.filter {
            if f.model.trim().is_empty() {
                out.push(ConfigProblem::new(
                    "ml.filter.model",
                    "must be a file path (leave `ml.filter` out for no filter)",
                ));
            }
            let p = f.min_probability;
            if !(p.is_finite() && (0.0..=1.0).contains(&p)) {
                out.push(ConfigProblem::new(
                    "ml.filter.min_probability",
                    format!("must be a fraction between 0 and 1 (0.55 = 55 %), got {p}"),
                ));
            }
        }
        if let Some(path) = &self.ml.option_move_model {
            if path.trim().is_empty() {
                out.push(ConfigProblem::new(
                    "ml.option_move_model",
                    "must be a file path (leave the key out for no model)",
                ));
            }
        }
        if self.options_trading.target_calculation_method == TargetMethod::Learned
            && self.ml.option_move_model.is_none()
        {
            out.push(ConfigProblem::new(
                "options_trading.target_calculation_method",
                "`learned` needs `ml.option_move_model` (a model from `alphastock ml evaluate-pricing --out`)",
            ));
        }
        out
    }

    fn validate_market(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        for (sym, inst) in &self.market.instruments {
            let base = format!("market.instruments.{sym}");
            if inst.lot_size == 0 {
                out.push(ConfigProblem::new(
                    format!("{base}.lot_size"),
                    "must be at least 1 unit",
                ));
            }
            if inst.strike_step <= rust_decimal::Decimal::ZERO {
                out.push(ConfigProblem::new(
                    format!("{base}.strike_step"),
                    "must be a positive number of rupees",
                ));
            }
            if inst.tick_size <= rust_decimal::Decimal::ZERO {
                out.push(ConfigProblem::new(
                    format!("{base}.tick_size"),
                    "must be a positive number of rupees",
                ));
            }
        }
        out
    }
}

/// Reads the strategies map entry by entry so one bad strategy does not hide another.
fn read_strategies(value: Value, config: &mut Config, problems: &mut Vec<ConfigProblem>) {
    let map = match value {
        Value::Mapping(m) => m,
        Value::Null => return,
        other => {
            problems.push(ConfigProblem::new(
                "strategies",
                format!(
                    "must be a mapping of strategy name to settings, got {}",
                    kind_of(&other)
                ),
            ));
            return;
        }
    };
    for (key, value) in map {
        let Some(name) = key.as_str().map(str::to_string) else {
            problems.push(ConfigProblem::new(
                "strategies",
                format!("strategy names must be text, got {}", kind_of(&key)),
            ));
            continue;
        };
        let mut entry = super::StrategyConfig::default();
        read_section(&format!("strategies.{name}"), value, &mut entry, problems);
        config.strategies.insert(name, entry);
    }
}

/// Deserializes one section into `slot`, recording unknown keys and the first type error (with
/// its path) as problems. On a type error `slot` keeps its default.
fn read_section<T: DeserializeOwned + Serialize>(
    path: &str,
    value: Value,
    slot: &mut T,
    problems: &mut Vec<ConfigProblem>,
) {
    let value = if value.is_null() {
        Value::Mapping(Default::default())
    } else {
        value
    };
    // What the section's keys look like by default: the source of "did you mean" hints.
    let defaults = serde_yaml::to_value(&*slot).unwrap_or(Value::Null);
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let result = {
        let de = serde_path_to_error::Deserializer::new(value, &mut track);
        serde_ignored::deserialize(de, |p| unknown.push(p.to_string()))
    };
    match result {
        Ok(v) => {
            *slot = v;
            for u in unknown {
                let (parent_rel, last) = match u.rsplit_once('.') {
                    Some((p, l)) => (Some(p), l),
                    None => (None, u.as_str()),
                };
                let parent = match parent_rel {
                    Some(p) => format!("{path}.{p}"),
                    None => path.to_string(),
                };
                let known = known_keys(&defaults, parent_rel);
                let known: Vec<&str> = known.iter().map(String::as_str).collect();
                problems.push(unknown_key(&parent, last, &known));
            }
        }
        Err(e) => {
            let inner = track.path().to_string();
            let full = if inner.is_empty() || inner == "." {
                path.to_string()
            } else {
                format!("{path}.{inner}")
            };
            problems.push(ConfigProblem::new(full, format!("is invalid: {e}")));
        }
    }
}

/// The keys of the mapping at `rel` (dotted) inside `defaults`, if there is one.
fn known_keys(defaults: &Value, rel: Option<&str>) -> Vec<String> {
    let mut node = defaults;
    if let Some(rel) = rel {
        for part in rel.split('.') {
            match node.get(part) {
                Some(n) => node = n,
                None => return Vec::new(),
            }
        }
    }
    match node {
        Value::Mapping(m) => m
            .keys()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn unknown_key(parent: &str, key: &str, known: &[&str]) -> ConfigProblem {
    let path = if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    };
    let hint = match closest(key, known) {
        Some(k) => format!(" (did you mean `{k}`?)"),
        None if !known.is_empty() => format!(" (known: {})", known.join(", ")),
        None => String::new(),
    };
    ConfigProblem::new(path, format!("is not a known key{hint}"))
}

/// The first line (1-based) where flow collections nest deeper than `limit`, with the depth
/// reached; quoted text and comments are skipped.
fn too_deep(text: &str, limit: usize) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut prev = '\n';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
        } else if comment {
        } else if let Some(q) = quote {
            if c == q {
                quote = None;
            }
        } else {
            match c {
                '#' if prev.is_whitespace() => comment = true,
                '"' | '\'' => quote = Some(c),
                '[' | '{' => {
                    depth += 1;
                    if depth > limit {
                        return Some((line, depth));
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        prev = c;
    }
    None
}

/// Adds a problem for every number under `path` (in `value`) beyond [`MAX_CONFIG_MAGNITUDE`],
/// or not finite; numbers written as text count too.
fn out_of_range(path: &str, value: &Value, problems: &mut Vec<ConfigProblem>) {
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                let key = match k {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => "?".to_string(),
                };
                if key == "seed" {
                    continue;
                }
                out_of_range(&format!("{path}.{key}"), v, problems);
            }
        }
        Value::Sequence(items) => {
            for (i, v) in items.iter().enumerate() {
                out_of_range(&format!("{path}[{i}]"), v, problems);
            }
        }
        Value::Tagged(t) => out_of_range(path, &t.value, problems),
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::INFINITY);
            if !x.is_finite() || x.abs() > MAX_CONFIG_MAGNITUDE {
                problems.push(ConfigProblem::new(
                    path,
                    format!(
                        "{n} is out of range: numbers must lie within ±{MAX_CONFIG_MAGNITUDE:e}"
                    ),
                ));
            }
        }
        Value::String(s) => {
            if let Ok(x) = s.trim().parse::<f64>() {
                if x.is_finite() && x.abs() > MAX_CONFIG_MAGNITUDE {
                    let shown: String = s.chars().take(40).collect();
                    problems.push(ConfigProblem::new(
                        path,
                        format!("{shown} is out of range: numbers must lie within ±{MAX_CONFIG_MAGNITUDE:e}"),
                    ));
                }
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}
