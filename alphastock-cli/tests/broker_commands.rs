//! The broker commands, run as the built binary: credentials from the environment, against the
//! fake mStock server.

mod support;

use std::process::{Command, Output};

use support::fake_mstock::FakeMstock;

const VARS: [&str; 6] = [
    "MSTOCK_API_KEY",
    "MSTOCK_API_SECRET",
    "MSTOCK_USERNAME",
    "MSTOCK_PASSWORD",
    "MSTOCK_TOTP_SECRET",
    "MSTOCK_BASE_URL",
];

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_alphastock"));
    for v in VARS {
        c.env_remove(v);
    }
    c
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn without_credentials_each_command_fails_naming_the_variable() {
    for args in [
        vec!["login"],
        vec!["quote", "NSE:SBIN"],
        vec!["positions"],
        vec!["orders", "--json"],
        vec!["funds"],
    ] {
        let out = bin().args(&args).output().unwrap();
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("MSTOCK_API_KEY"), "{args:?}: {err}");
    }
    let out = bin()
        .args(["funds"])
        .env("MSTOCK_API_KEY", "k")
        .env("MSTOCK_API_SECRET", "s")
        .env("MSTOCK_USERNAME", "u")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.contains("MSTOCK_PASSWORD"), "{}", text(&out).1);
}

#[test]
fn a_malformed_symbol_is_invalid_input() {
    let out = bin().args(["quote", "SBIN"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().args(["quote", "XYZ:SBIN"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

fn logged_in(server: &FakeMstock, args: &[&str], config: &std::path::Path) -> Output {
    bin()
        .args(args)
        .arg("--config")
        .arg(config)
        .envs(server.login_env())
        .output()
        .unwrap()
}

#[test]
fn commands_work_against_the_broker() {
    let server = FakeMstock::start();
    let dir = std::env::temp_dir().join(format!("alphastock-cmd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("broker.yaml");
    std::fs::write(
        &config,
        format!(
            "broker:\n  mstock:\n    token_cache_dir: {}\n    read_timeout_ms: 2000\n",
            dir.join("cache").display()
        ),
    )
    .unwrap();

    let out = logged_in(&server, &["login"], &config);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(text(&out).0.contains("logged in"));

    let out = logged_in(
        &server,
        &["quote", "NSE:SBIN", "NFO:BANKNIFTY25DEC51200CE", "--json"],
        &config,
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["instrument"], "NSE:SBIN");
    assert_eq!(v[0]["ltp"].as_f64(), Some(812.35));
    assert_eq!(v[1]["ask"].as_f64(), Some(280.15));

    let out = logged_in(&server, &["funds", "--json"], &config);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["available"].as_f64(), Some(240512.75));

    let out = logged_in(&server, &["positions"], &config);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(text(&out).0.contains("NFO:BANKNIFTY25DEC51200CE"));

    let out = logged_in(&server, &["orders", "--json"], &config);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(),
        serde_json::json!([])
    );

    // One login, then the cached session served every later command.
    assert_eq!(server.tokens_issued(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_invalid_broker_section_is_invalid_input() {
    let server = FakeMstock::start();
    let dir = std::env::temp_dir().join(format!("alphastock-cmd-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bad.yaml");
    std::fs::write(
        &config,
        "broker:\n  mstock:\n    retry:\n      max_attempts: 0\n",
    )
    .unwrap();
    let out = logged_in(&server, &["funds"], &config);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("broker.mstock.retry.max_attempts"),
        "{:?}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn commands_started_back_to_back_keep_the_market_data_window_between_them() {
    let server = FakeMstock::start();
    // The server stamps each request with real time: the broker counts calls per API key,
    // whichever process sends them.
    let origin = std::time::Instant::now();
    server.set_time_source(std::sync::Arc::new(move || origin.elapsed()));
    let scratch = tempfile::Builder::new()
        .prefix("alphastock-cmd-pacing-")
        .tempdir()
        .unwrap();
    let config = scratch.path().join("broker.yaml");
    std::fs::write(
        &config,
        format!(
            "broker:\n  mstock:\n    token_cache_dir: {}\n",
            scratch.path().join("cache").display()
        ),
    )
    .unwrap();
    let out = logged_in(&server, &["login"], &config);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    for _ in 0..3 {
        let out = logged_in(&server, &["quote", "NSE:SBIN"], &config);
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    }
    assert_eq!(server.requests_to("instruments/quote").len(), 3);
    // mStock's market-data limit: one call a second (the default `quotes_per_second`),
    // less 50 ms of delivery jitter.
    let breaches = server.window_breaches(
        &["instruments/quote"],
        1,
        std::time::Duration::from_millis(950),
    );
    assert!(breaches.is_empty(), "{breaches:?}");
    let memory = scratch
        .path()
        .join("cache")
        .join("mstock-rate-windows.json");
    assert!(std::fs::read_to_string(&memory).is_ok_and(|b| b.contains("market")));
}
