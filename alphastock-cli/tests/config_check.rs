//! `alphastock config check`: exit codes and output contract.

use std::process::Command;

fn alphastock(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run alphastock");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn valid_configs_exit_zero_with_a_one_line_summary() {
    for file in ["fixtures/production.yaml", "fixtures/paper.yaml"] {
        let (code, out, err) = alphastock(&["config", "check", file]);
        assert_eq!(code, 0, "{file}: {out}{err}");
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains("OK"), "{out}");
    }
}

#[test]
fn invalid_config_exits_two_naming_every_problem() {
    let (code, out, _) = alphastock(&["config", "check", "fixtures/config_with_problems.yaml"]);
    assert_eq!(code, 2);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("options_trading.enabeld ")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("options_trading.risk_management.max_positions ")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("strategies.ema_crossover.parameters.fast_ema ")),
        "{out}"
    );
}

#[test]
fn missing_file_is_a_runtime_error_naming_the_file() {
    let (code, _, err) = alphastock(&["config", "check", "fixtures/does-not-exist.yaml"]);
    assert_eq!(code, 1);
    assert!(err.contains("does-not-exist.yaml"), "{err}");
}
