use std::fmt;

/// One thing wrong with a config: where (`path`, dotted key path such as
/// `strategies.ema_crossover.parameters.fast_ema`; empty for the whole document) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Dotted key path of the offending value.
    pub path: String,
    /// What is wrong, phrased to follow the path (e.g. `must be < slow_ema (20)`).
    pub reason: String,
}

/// Longest key path or reason kept in a problem, characters: a reason quoting a
/// megabyte-long value is cut (with `...`) so an error stays readable.
pub const MAX_PROBLEM_CHARS: usize = 300;

fn clipped(text: String) -> String {
    if text.chars().count() <= MAX_PROBLEM_CHARS {
        return text;
    }
    let mut out: String = text.chars().take(MAX_PROBLEM_CHARS).collect();
    out.push_str("...");
    out
}

impl ConfigProblem {
    /// A problem at `path` with `reason` (each cut to `MAX_PROBLEM_CHARS` characters).
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: clipped(path.into()),
            reason: clipped(reason.into()),
        }
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{} {}", self.path, self.reason)
        }
    }
}

/// All problems found in a config, in document order. Displays one problem per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigProblem>);

impl ConfigErrors {
    /// The problems.
    pub fn problems(&self) -> &[ConfigProblem] {
        &self.0
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Prefixes relative `(key, reason)` pairs from a section's validator with the section's path.
pub(crate) fn prefixed(prefix: &str, items: Vec<(String, String)>) -> Vec<ConfigProblem> {
    items
        .into_iter()
        .map(|(key, reason)| {
            let path = if key.is_empty() {
                prefix.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            ConfigProblem::new(path, reason)
        })
        .collect()
}
