//! The workspace's declared minimum Rust version is true: no locked dependency that this
//! workspace builds (including the test-only ones) declares a newer `rust-version` than
//! `[workspace.package] rust-version` in the top-level `Cargo.toml`.

use std::process::Command;

/// Parses "1.85" or "1.85.0" into a comparable (major, minor, patch).
fn version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

#[test]
fn declared_rust_version_covers_every_locked_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--manifest-path", manifest])
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    let packages = meta["packages"].as_array().expect("packages");
    let declared = packages
        .iter()
        .find(|p| p["name"] == "alphastock-core")
        .and_then(|p| p["rust_version"].as_str())
        .and_then(version)
        .expect("alphastock-core declares a rust-version");
    // Target-specific crates for WebAssembly are never built on the platforms we support.
    let too_new: Vec<String> = packages
        .iter()
        .filter(|p| !members.iter().any(|m| Some(*m) == p["id"].as_str()))
        .filter(|p| !p["name"].as_str().unwrap_or("").starts_with("wasi"))
        .filter_map(|p| {
            let needs = version(p["rust_version"].as_str()?)?;
            (needs > declared).then(|| format!("{} {} needs {:?}", p["name"], p["version"], needs))
        })
        .collect();
    assert!(
        too_new.is_empty(),
        "rust-version {declared:?} is lower than what these locked dependencies need: {too_new:?}"
    );
}

#[test]
fn version_parsing() {
    assert_eq!(version("1.85"), Some((1, 85, 0)));
    assert_eq!(version("1.88.1"), Some((1, 88, 1)));
    assert_eq!(version("x"), None);
}
