//! `alphastock doctor` against the fake mStock server: a checklist with what to fix, exit 0
//! when ready and 1 when not, and no order call of any kind.

mod support;

use std::process::{Command, Output};

use support::fake_mstock::FakeMstock;

fn doctor(server: &FakeMstock, home: &std::path::Path, extra: &[&str], creds: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_alphastock"));
    c.arg("doctor")
        .args(extra)
        .current_dir(home)
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", home)
        .env("MSTOCK_BASE_URL", &server.base_url);
    for v in [
        "MSTOCK_API_KEY",
        "MSTOCK_API_SECRET",
        "MSTOCK_USERNAME",
        "MSTOCK_PASSWORD",
        "MSTOCK_TOTP_SECRET",
    ] {
        c.env_remove(v);
    }
    if creds {
        c.envs(server.login_env());
    }
    c.output().unwrap()
}

#[test]
fn a_ready_account_passes_with_a_checklist_and_places_nothing() {
    let server = FakeMstock::start();
    let home = tempfile::tempdir().unwrap();
    let out = doctor(&server, home.path(), &[], true);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    for line in [
        "[ok]   credentials:",
        "[ok]   token cache:",
        "[ok]   login: session for",
        "[ok]   funds: available ₹240512.75, in use ₹9805.25",
        "[ok]   clock: the broker's clock is",
        "[ok]   script master: 4 instruments, 2 options",
        "[warn] static IP:",
        "[ok]   rate limits: within the broker's figures",
        "ready for live trading",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    // The OHLC quote of the index carries no depth, volume or OI: said, not hidden.
    assert!(
        text.contains("[warn] quote: NSE:NIFTY 50 last 100.5; the quote carries no bid/ask depth, volume, open interest"),
        "{text}"
    );
    // Read-only: nothing but GETs after the login.
    assert!(server
        .requests()
        .iter()
        .all(|r| r.method == "GET" || r.path.ends_with("session/verifytotp")));
    assert!(server.orders().is_empty());
}

#[test]
fn missing_credentials_or_limits_above_the_brokers_fail_with_the_fix() {
    let server = FakeMstock::start();
    let home = tempfile::tempdir().unwrap();
    let out = doctor(&server, home.path(), &[], false);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("[FAIL] credentials: environment variable MSTOCK_API_KEY is not set"));
    assert!(text.contains("fix: export the MSTOCK_* variables"));
    assert!(text.contains("not ready for live trading"));
    assert!(server.requests().is_empty());

    let config = home.path().join("broker.yaml");
    std::fs::write(
        &config,
        "broker:\n  mstock:\n    rate_limits: { quotes_per_second: 2 }\n",
    )
    .unwrap();
    let out = doctor(
        &server,
        home.path(),
        &["--config", config.to_str().unwrap()],
        true,
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("[FAIL] rate limits: quotes_per_second 2 > the broker's 1"),
        "{text}"
    );
}
