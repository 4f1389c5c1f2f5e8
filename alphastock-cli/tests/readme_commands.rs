//! The README cannot drift from the binary: every `alphastock ...` command in its fenced code
//! blocks is run against the built binary (from a scratch directory that sees the repository's
//! `fixtures/`), and its exit status must be the one the README shows (`(exit N)` on a line after
//! the command, else 0). The few commands that cannot run here are in [`SKIP`], each with why.
//! The strategies reference is the output of `alphastock strategies`, byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Commands (by their start) that are not run, and why.
const SKIP: &[(&str, &str)] = &[
    (
        "alphastock run --config FILE",
        "a synopsis: FILE, PATH and N are placeholders",
    ),
    (
        "alphastock run --live",
        "trades real money through mStock: needs credentials and the network",
    ),
    (
        "alphastock login",
        "needs mStock credentials and the network",
    ),
    (
        "alphastock quote",
        "needs an mStock session and the network",
    ),
    (
        "alphastock doctor",
        "needs mStock credentials and the network",
    ),
    (
        "alphastock run --config fixtures/paper.yaml --speed 60 --dashboard",
        "serves the dashboard for a whole paced day; tests/cockpit.rs runs it with the page, /api/state and /metrics",
    ),
    (
        "alphastock ml dataset",
        "reads the real NSE candles beside the checkout (../shared); tests/ml.rs runs dataset and train on a planted-rule dataset",
    ),
    (
        "alphastock ml train",
        "trains on the dataset the command before it writes from the real data; tests/ml.rs runs it",
    ),
    (
        "alphastock backtest --config ml_on.yaml",
        "needs the model trained from the real data above; tests/ml.rs runs the filter in a backtest",
    ),
    (
        "alphastock ml evaluate-pricing",
        "reads the real NSE chains beside the checkout (../shared); tests/ml.rs runs it (with the reference data)",
    ),
    (
        "alphastock dashboard --db",
        "a server that runs until stopped; tests/cockpit.rs serves a journal with it",
    ),
];

/// The `cargo run` form of the Quick start, run as the installed binary.
const CARGO_RUN: &str = "cargo run --release -p alphastock-cli -- ";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn readme() -> String {
    std::fs::read_to_string(repo().join("README.md")).unwrap()
}

/// A command found in the README: its line number, the command and the exit status shown.
#[derive(Debug)]
struct Found {
    line: usize,
    command: String,
    exit: i32,
}

/// Every `alphastock` command in a fenced block: a line that is the command (or `$ ` and the
/// command), whose second word is a subcommand (output lines such as `alphastock run: ...` are
/// not commands). The expected exit status is an `(exit N)` line before the next command.
fn commands(text: &str) -> Vec<Found> {
    let mut out: Vec<Found> = Vec::new();
    let mut fenced = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            continue;
        }
        if let Some(code) = line
            .strip_prefix("(exit ")
            .and_then(|r| r.strip_suffix(')'))
        {
            if let Some(last) = out.last_mut() {
                last.exit = code.parse().unwrap();
            }
            continue;
        }
        let command = line.strip_prefix("$ ").unwrap_or(line);
        let command = match command.strip_prefix(CARGO_RUN) {
            Some(rest) => format!("alphastock {rest}"),
            None => command.to_string(),
        };
        let mut words = command.split_whitespace();
        if words.next() != Some("alphastock") {
            continue;
        }
        let Some(sub) = words.next() else { continue };
        if !sub.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            continue;
        }
        out.push(Found {
            line: i + 1,
            command,
            exit: 0,
        });
    }
    out
}

fn skipped(command: &str) -> Option<&'static str> {
    SKIP.iter()
        .find(|(start, _)| command.starts_with(start))
        .map(|(_, why)| *why)
}

#[test]
fn every_readme_command_runs_with_the_exit_status_the_readme_shows() {
    let found = commands(&readme());
    assert!(found.len() >= 15, "{found:#?}");
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-readme-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    std::os::unix::fs::symlink(repo().join("fixtures"), dir.join("fixtures")).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_alphastock"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    let mut failures = Vec::new();
    for f in &found {
        if skipped(&f.command).is_some() {
            continue;
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(&f.command)
            .current_dir(dir)
            .env("PATH", &path)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env("HOME", dir.join("home"))
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        ran += 1;
        if out.status.code() != Some(f.exit) {
            failures.push(format!(
                "README line {}: `{}` exited {:?}, the README shows {}\n{}",
                f.line,
                f.command,
                out.status.code(),
                f.exit,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(ran >= 15, "ran {ran}");
}

#[test]
fn the_extractor_finds_commands_and_their_exit_status() {
    let text = "x\n```\n$ alphastock greeks --vol 16\nerror: ...\n(exit 2)\n\nalphastock run: paper\n```\nalphastock scan outside\n```sh\ncargo run --release -p alphastock-cli -- run --config f.yaml\nalphastock run --config FILE [--db PATH]\n```\n";
    let found = commands(text);
    let got: Vec<(usize, &str, i32)> = found
        .iter()
        .map(|f| (f.line, f.command.as_str(), f.exit))
        .collect();
    assert_eq!(
        got,
        [
            (3, "alphastock greeks --vol 16", 2),
            (11, "alphastock run --config f.yaml", 0),
            (12, "alphastock run --config FILE [--db PATH]", 0),
        ]
    );
    assert!(skipped(&found[2].command).is_some());
    assert!(skipped(&found[1].command).is_none());
}

#[test]
fn the_strategies_reference_is_the_output_of_alphastock_strategies() {
    let text = readme();
    let begin = text
        .find("<!-- strategies:begin")
        .expect("the README has the strategies reference");
    let body_start = begin + text[begin..].find("-->\n").unwrap() + 4;
    let end = text.find("<!-- strategies:end -->").unwrap();
    let in_readme = &text[body_start..end];
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .arg("strategies")
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    assert!(
        in_readme == generated,
        "README's strategies reference differs from `alphastock strategies`; paste its output \
         between the markers:\n{generated}"
    );
}
