//! No log level prints a secret: the built binary logs in (TOTP) and quotes against the fake
//! mStock server with `RUST_LOG=trace`, and neither stdout nor stderr holds the API key, the
//! API secret, the password, the TOTP secret or the session token the server issued; the HTTP
//! library's wire dump (`ureq_proto`) is not there at all.

mod support;

use std::process::{Command, Output};

use support::fake_mstock::{FakeMstock, API_KEY, API_SECRET};

const PASSWORD: &str = "pw-Secret-4471";
const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn traced(server: &FakeMstock, args: &[&str], config: &std::path::Path, level: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", level)
        .env("MSTOCK_API_KEY", API_KEY)
        .env("MSTOCK_API_SECRET", API_SECRET)
        .env("MSTOCK_USERNAME", "MA0000001")
        .env("MSTOCK_PASSWORD", PASSWORD)
        .env("MSTOCK_TOTP_SECRET", TOTP_SECRET)
        .env("MSTOCK_BASE_URL", &server.base_url)
        .output()
        .unwrap()
}

#[test]
fn trace_logging_of_a_login_and_a_quote_shows_no_secret() {
    let server = FakeMstock::start();
    let dir = tempfile::Builder::new()
        .prefix("alphastock-secrets-")
        .tempdir()
        .unwrap();
    let config = dir.path().join("broker.yaml");
    std::fs::write(
        &config,
        format!(
            "broker:\n  mstock:\n    token_cache_dir: {}\n    read_timeout_ms: 2000\n",
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    let mut all = String::new();
    for level in ["trace", "ureq_proto=trace,ureq=trace,rustls=trace,trace"] {
        for args in [&["login"][..], &["quote", "NSE:SBIN"][..]] {
            let out = traced(&server, args, &config, level);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{args:?}: {stdout} {stderr}");
            all.push_str(&stdout);
            all.push_str(&stderr);
        }
    }
    // The trace level was really on: the client's own request lines are there.
    assert!(all.contains("mstock request"), "{all}");
    assert!(server.tokens_issued() >= 1);
    let token = "sess-0001-zz";
    for secret in [API_KEY, API_SECRET, PASSWORD, TOTP_SECRET, token] {
        assert!(!all.contains(secret), "`{secret}` leaked:\n{all}");
    }
    assert!(!all.contains("ureq_proto"), "wire dump shown:\n{all}");
}
