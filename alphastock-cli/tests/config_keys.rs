//! Every config key that is accepted has an effect: the test walks every key of the config
//! (the defaults of every section, a strategy entry, an instrument, a simulated underlying and
//! the `ml` models)
//! and requires that the field it fills is read somewhere in the product other than where it
//! is declared and validated: a key that is accepted, defaulted, validated and never read (as
//! `stop_loss_pct` and `market_data_runner.retry_attempts` once were) fails it.
//!
//! "Read" means a field access `.key` in the product code of `alphastock-core/src` or
//! `alphastock-cli/src`: outside `fn validate` bodies, `impl Default for` blocks and
//! `mod tests`. Keys read only through a method of their own section (such as `capital`
//! through `RiskConfig::risk_budget`) are listed in [`READ_BY_METHOD`] with that method, which
//! must itself be called by product code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use alphastock_core::config::Config;
use serde_yaml::Value;

/// Keys whose field is read by a method of its own type: (key, method called elsewhere).
const READ_BY_METHOD: &[(&str, &str)] = &[
    ("capital", "risk_budget("),
    ("risk_per_trade_pct", "risk_budget("),
    ("correlated_groups", "groups_of("),
    ("strategy", ".kind("),
];

fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for e in std::fs::read_dir(dir).expect("source dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source");
                out.push((p, text));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    walk(&root.join("alphastock-core/src"), &mut out);
    walk(&root.join("alphastock-cli/src"), &mut out);
    out
}

/// Every dotted key path of `v` that ends in a value (not a mapping).
fn leaves(prefix: &str, v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                let Some(k) = k.as_str() else { continue };
                let path = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                // A section whose keys are names (strategies, instruments, underlyings) is
                // walked through one example entry below; its name is not a key.
                leaves(&path, child, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

fn every_key() -> BTreeSet<String> {
    let config = Config::from_yaml_str(
        r#"
strategies:
  example: { strategy: ema_crossover, symbols: [NIFTY] }
market:
  instruments:
    NIFTY: { lot_size: 75, strike_step: 50 }
ml:
  filter: { model: model.json, min_probability: 0.55 }
  option_move_model: option_move.json
"#,
    )
    .expect("valid config");
    let mut keys = BTreeSet::new();
    let doc = serde_yaml::to_value(&config).expect("serialize");
    leaves("", &doc, &mut keys);
    keys
}

/// `text` without the blocks that do not give a key an effect: `fn validate` bodies,
/// `impl Default for` blocks and `mod tests` (found by their opening line, cut to the matching
/// closing brace).
fn product_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let starts = ["fn validate(", "impl Default for ", "mod tests {"];
        let Some(at) = starts.iter().filter_map(|s| rest.find(s)).min() else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        let Some(open) = rest[at..].find('{').map(|i| at + i) else {
            return out;
        };
        let mut depth = 0usize;
        let mut end = rest.len();
        for (i, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
}

/// True when some product code (see [`product_code`]) accesses a field named `field`.
fn is_read(field: &str, files: &[(PathBuf, String)]) -> bool {
    let access = format!(".{field}");
    files.iter().any(|(_, t)| {
        let code = product_code(t);
        code.match_indices(&access).any(|(i, _)| {
            // `.field` followed by something that ends the identifier.
            let next = code[i + access.len()..].chars().next().unwrap_or(' ');
            !(next.is_alphanumeric() || next == '_')
        })
    })
}

#[test]
fn every_accepted_config_key_is_read_by_the_product() {
    let files = sources();
    let keys = every_key();
    assert!(keys.len() > 100, "only {} keys walked", keys.len());
    let mut unread = Vec::new();
    for key in &keys {
        // `strategies.example.parameters.*` are read by each strategy's `from_params`, which
        // reports unknown parameters itself.
        if key.contains(".parameters.") {
            continue;
        }
        let field = key.rsplit('.').next().unwrap_or(key);
        if is_read(field, &files) {
            continue;
        }
        if let Some((_, method)) = READ_BY_METHOD.iter().find(|(k, _)| *k == field) {
            if files.iter().any(|(_, t)| product_code(t).contains(method)) {
                continue;
            }
        }
        unread.push(key.clone());
    }
    assert!(
        unread.is_empty(),
        "config keys accepted but never read: {unread:#?}"
    );
}

#[test]
fn the_walk_finds_the_keys_that_were_once_dead() {
    let keys = every_key();
    for k in [
        "market_data_runner.retry_attempts",
        "options_trading.risk_management.stop_loss_pct",
        "options_trading.risk_management.profit_target_pct",
        "options_trading.correlation_table",
        "options_trading.risk_management.max_lots_per_order",
        "options_trading.risk_management.max_lots_per_underlying",
        "ml.filter.model",
        "ml.filter.min_probability",
        "ml.option_move_model",
    ] {
        assert!(keys.contains(k), "{k} not walked");
    }
    // A field only validated and defaulted is caught; one read by product code is not.
    let dead = "pub struct C { pub x_pct: u32 }\n\
                impl Default for C { fn default() -> Self { let c = C { x_pct: 1 }; c.x_pct; c } }\n\
                impl C { pub fn validate(&self) -> bool { self.x_pct > 0 } }\n\
                mod tests { fn t(c: &super::C) { let _ = c.x_pct; } }\n";
    let files = vec![(PathBuf::from("a.rs"), dead.to_string())];
    assert!(!is_read("x_pct", &files));
    let files = vec![(
        PathBuf::from("a.rs"),
        format!("{dead}fn size(c: &C) -> u32 {{ c.x_pct * 2 }}\n"),
    )];
    assert!(is_read("x_pct", &files));
}
