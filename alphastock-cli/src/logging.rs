//! Structured logs (`tracing`) on stderr, with the HTTP and TLS libraries kept quiet.
//!
//! `RUST_LOG` wins when set, otherwise the caller's default. Whatever either says, the HTTP
//! library's wire dump (`ureq_proto` traces every byte sent and received, the session token,
//! API key, password and TOTP included) is switched off and `ureq` and `rustls` are held at
//! `info`: no log level ever prints a secret.

use tracing_subscriber::EnvFilter;

/// Targets whose output could carry secrets, with the most they may log.
const MUTED: [(&str, &str); 3] = [("ureq_proto", "off"), ("ureq", "info"), ("rustls", "info")];

/// The filter directives used for `env` (the `RUST_LOG` value, if any) or `default`: the
/// given directives without any for the muted targets, then the muted targets' caps.
pub fn directives(env: Option<&str>, default: &str) -> String {
    let given = env.filter(|e| !e.trim().is_empty()).unwrap_or(default);
    let mut kept: Vec<String> = given
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .filter(|d| {
            let target = d.split(['=', '[']).next().unwrap_or("");
            !MUTED
                .iter()
                .any(|(m, _)| target == *m || target.starts_with(&format!("{m}::")))
        })
        .map(str::to_string)
        .collect();
    kept.extend(MUTED.iter().map(|(m, level)| format!("{m}={level}")));
    kept.join(",")
}

/// Whether log lines may carry colour codes: only when stderr is a terminal and `NO_COLOR` is
/// unset or empty (<https://no-color.org>), so redirected logs stay plain text.
pub fn colour(stderr_is_terminal: bool, no_color: Option<&str>) -> bool {
    stderr_is_terminal && no_color.is_none_or(str::is_empty)
}

/// Installs the stderr subscriber once (later calls do nothing). `default` is the filter when
/// `RUST_LOG` is not set, e.g. `warn` or `warn,alphastock=debug`. Colour only on a terminal
/// (see [`colour`]).
pub fn init(default: &str) {
    let env = std::env::var("RUST_LOG").ok();
    let text = directives(env.as_deref(), default);
    let filter = EnvFilter::try_new(&text)
        .or_else(|_| EnvFilter::try_new(directives(None, default)))
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour(
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            std::env::var("NO_COLOR").ok().as_deref(),
        ))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("")));
        assert!(!colour(true, Some("1")));
        assert!(!colour(false, None));
    }

    #[test]
    fn the_wire_dump_is_off_whatever_rust_log_says() {
        assert_eq!(
            directives(Some("trace"), "warn"),
            "trace,ureq_proto=off,ureq=info,rustls=info"
        );
        assert_eq!(
            directives(
                Some("ureq_proto=trace,alphastock=debug,ureq::run=trace"),
                "warn"
            ),
            "alphastock=debug,ureq_proto=off,ureq=info,rustls=info"
        );
        assert_eq!(
            directives(None, "warn"),
            "warn,ureq_proto=off,ureq=info,rustls=info"
        );
    }
}
