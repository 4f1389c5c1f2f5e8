//! `alphastock greeks` and `alphastock price-option`: output contract, the worked example, exit
//! codes.

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

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = alphastock(args);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn close(v: &serde_json::Value, key: &str, want: f64, rel: f64) {
    let got = v[key].as_f64().unwrap_or_else(|| panic!("no {key} in {v}"));
    assert!(
        (got - want).abs() <= rel * want.abs(),
        "{key}: got {got}, want {want}"
    );
}

#[test]
fn greeks_json_matches_a_golden_row() {
    // fixtures/bs_golden.csv: CE,2950.4,2970.0,1.0,0.6,0.065,...
    let v = json(&[
        "greeks", "--type", "CE", "--spot", "2950.4", "--strike", "2970", "--days", "1", "--vol",
        "0.6", "--rate", "0.065", "--json",
    ]);
    close(&v, "price", 28.325439653504038, 1e-9);
    close(&v, "delta", 0.4248675016550086, 1e-9);
    close(&v, "gamma", 0.004228926253499857, 1e-9);
    close(&v, "theta_per_day", -18.37215434487761, 1e-8);
    close(&v, "vega_per_point", 0.6051322465260652, 1e-9);
    close(&v, "rho_per_pct", 0.033567222937792685, 1e-9);
    assert!(v.get("implied_vol").is_none(), "{v}");
}

#[test]
fn greeks_with_a_price_solves_the_implied_vol() {
    let v = json(&[
        "greeks",
        "--type",
        "PE",
        "--spot",
        "51245",
        "--strike",
        "50650",
        "--days",
        "90",
        "--price",
        "2324.725492605038",
        "--rate",
        "0.07",
        "--json",
    ]);
    close(&v, "implied_vol", 0.3, 1e-9);
    close(&v, "delta", -0.39406219564778244, 1e-8);
}

#[test]
fn impossible_greeks_inputs_exit_two_with_a_clear_message() {
    let (code, _, err) = alphastock(&[
        "greeks", "--type", "CE", "--spot", "51245", "--strike", "50000", "--days", "3", "--price",
        "100",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("below the intrinsic value"), "{err}");
    let (code, _, err) = alphastock(&[
        "greeks", "--type", "CE", "--spot", "-1", "--strike", "50000", "--days", "3", "--vol",
        "0.2",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("spot must be"), "{err}");
    let (code, _, _) = alphastock(&[
        "greeks", "--type", "CE", "--spot", "100", "--strike", "100", "--days", "3",
    ]);
    assert_eq!(code, 2);
}

#[test]
fn price_option_reproduces_the_worked_example() {
    let v = json(&[
        "price-option",
        "--method",
        "delta_based",
        "--type",
        "CE",
        "--spot",
        "51245",
        "--underlying-target",
        "51655",
        "--underlying-stop",
        "51187.3077",
        "--premium",
        "280",
        "--delta",
        "0.52",
        "--json",
    ]);
    assert_eq!(v["method"], "delta_based");
    assert_eq!(v["target_premium"].as_f64(), Some(493.2));
    assert_eq!(v["stop_loss_premium"].as_f64(), Some(250.0));
    let v = json(&[
        "price-option",
        "--method",
        "historical_correlation",
        "--type",
        "CE",
        "--spot",
        "50000",
        "--underlying-target",
        "55000",
        "--underlying-stop",
        "49000",
        "--premium",
        "350",
        "--multiplier",
        "4",
        "--json",
    ]);
    assert_eq!(v["target_premium"].as_f64(), Some(490.0));
    assert_eq!(v["stop_loss_premium"].as_f64(), Some(322.0));
    let (code, out, _) = alphastock(&[
        "price-option",
        "--method",
        "delta_based",
        "--type",
        "CE",
        "--spot",
        "51245",
        "--underlying-target",
        "51655",
        "--underlying-stop",
        "51187.3077",
        "--premium",
        "280",
        "--delta",
        "0.52",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("target 493.20") && out.contains("stop 250.00"),
        "{out}"
    );
}

#[test]
fn price_option_put_and_model_methods_run() {
    for method in ["delta_gamma", "reprice", "blend"] {
        let v = json(&[
            "price-option",
            "--method",
            method,
            "--type",
            "PE",
            "--spot",
            "51245",
            "--underlying-target",
            "50835",
            "--underlying-stop",
            "51400",
            "--premium",
            "300",
            "--strike",
            "51200",
            "--days",
            "3",
            "--iv",
            "0.16",
            "--holding-minutes",
            "60",
            "--json",
        ]);
        let target = v["target_premium"].as_f64().unwrap();
        let stop = v["stop_loss_premium"].as_f64().unwrap();
        assert!(target > 300.0 && stop < 300.0, "{method}: {v}");
    }
}

#[test]
fn price_option_missing_or_bad_inputs_exit_two_naming_them() {
    let base = [
        "price-option",
        "--type",
        "CE",
        "--spot",
        "51245",
        "--underlying-target",
        "51655",
        "--underlying-stop",
        "51187",
        "--premium",
        "280",
    ];
    let (code, _, err) = alphastock(&[&base[..], &["--method", "reprice"]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("reprice needs strike, days, iv"), "{err}");
    let (code, _, err) = alphastock(&[&base[..], &["--method", "delta_based"]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("needs delta"), "{err}");
    let (code, _, err) = alphastock(&[&base[..], &["--method", "nonsense"]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("known: delta_based"), "{err}");
    let (code, _, err) = alphastock(&[
        "price-option",
        "--method",
        "delta_based",
        "--type",
        "PE",
        "--spot",
        "51245",
        "--underlying-target",
        "51655",
        "--underlying-stop",
        "51000",
        "--premium",
        "280",
        "--delta",
        "-0.5",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("underlying target must be below spot"),
        "{err}"
    );
}
