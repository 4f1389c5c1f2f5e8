//! `alphastock strategies [--json]`: the built-in strategies and their parameters (key,
//! default, accepted range, meaning), generated from the code
//! (`alphastock_core::strategy::strategy_catalogue`). The text output is Markdown: the README's
//! strategies reference is this output, and a test keeps the two equal.
//!
//! `--json` prints one array: per strategy `kind`, `summary` and `parameters` (per parameter
//! `key`, `default`, `range`, `meaning`).

use std::process::ExitCode;

use clap::Args;
use serde_json::{json, Value as Json};

use alphastock_core::strategy::{strategy_catalogue, StrategyInfo};

/// Arguments of `alphastock strategies`.
#[derive(Debug, Args)]
pub struct StrategiesArgs {
    /// Print one JSON array instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command.
pub fn run(args: StrategiesArgs) -> anyhow::Result<ExitCode> {
    let all = strategy_catalogue();
    if args.json {
        println!("{}", catalogue_json(&all));
    } else {
        print!("{}", markdown(&all));
    }
    Ok(ExitCode::SUCCESS)
}

/// A YAML scalar as text: `5`, `0.8`, `2.0`.
fn scalar(v: &serde_yaml::Value) -> String {
    serde_yaml::to_string(v)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The catalogue as Markdown: a heading, the summary and a parameter table per strategy.
pub fn markdown(all: &[StrategyInfo]) -> String {
    let mut out = String::new();
    for s in all {
        out.push_str(&format!(
            "#### `{}`\n\n{}.\n\n| parameter | default | accepted | meaning |\n|---|---|---|---|\n",
            s.kind, s.summary
        ));
        for p in &s.parameters {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                p.key,
                scalar(&p.default),
                p.range,
                p.meaning
            ));
        }
        out.push('\n');
    }
    out
}

/// The catalogue as JSON.
pub fn catalogue_json(all: &[StrategyInfo]) -> Json {
    Json::Array(
        all.iter()
            .map(|s| {
                json!({
                    "kind": s.kind,
                    "summary": s.summary,
                    "parameters": s.parameters.iter().map(|p| json!({
                        "key": p.key,
                        "default": serde_json::to_value(&p.default).unwrap_or(Json::Null),
                        "range": p.range,
                        "meaning": p.meaning,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}
