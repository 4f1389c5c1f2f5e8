//! `config check` says when a limit forbids trading and refuses unknown symbols;
//! `options_trading.correlation_table` and the percent bounds reach every command.

use std::path::{Path, PathBuf};
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

fn production() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/production.yaml"
    ))
    .unwrap()
}

fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("alphastock-limits-{name}-"))
        .tempdir()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A table whose ATM CE multiplier for up to 7 days is 5.
const TABLE: &str = r#"{"format": "alphastock-correlation-table", "version": 1,
  "default_multiplier": 4.0,
  "entries": [{"option_type": "CE", "moneyness": "atm", "expiry": "up_to_7_days",
               "multiplier": 5.0, "samples": 39, "mean_iv": null}]}"#;

#[test]
fn the_seed_production_config_is_valid_but_warns_that_its_limits_forbid_trades() {
    let (code, out, err) = alphastock(&["config", "check", "fixtures/production.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
    let rm = "options_trading.risk_management";
    // Typical premiums, Black-Scholes ATM calls with 7 days to expiry, r = 0, computed
    // independently as S · erf(σ√T / (2√2)): BANKNIFTY 51,245 at 14 % → 396.36, NIFTY 24,300
    // at 12 % → 161.10, FINNIFTY 23,500 at 13 % → 168.78. The lot is the one the message
    // names (the contract rules in force), and one lot must cost premium × lot.
    let mut risk_warnings = 0;
    for (index, premium) in [("BANKNIFTY", 39636), ("NIFTY", 16110), ("FINNIFTY", 16878)] {
        let premium = rust_decimal::Decimal::new(premium, 2);
        let needle = format!("of a typical {index} option (");
        let line = warnings
            .iter()
            .find(|w| {
                w.starts_with(&format!("warning: {rm}.max_premium_per_trade 10000 "))
                    && w.contains(&needle)
            })
            .unwrap_or_else(|| panic!("no premium-cap warning for {index} in\n{err}"));
        let tail = line
            .split(&format!(": {premium} × lot "))
            .nth(1)
            .unwrap_or_else(|| panic!("premium {premium} not in {line}"));
        let lot: rust_decimal::Decimal = tail.split(' ').next().unwrap().parse().unwrap();
        let per_lot = premium * lot;
        assert!(per_lot > rust_decimal::Decimal::from(10_000), "{line}");
        assert!(line.contains(&format!("= {per_lot:.2})")), "{line}");
        // The widest stop, 20 % of one lot, against the 2,500 budget (50,000 × 5 %).
        let stop_loss = per_lot * rust_decimal::Decimal::new(20, 2);
        let warned = warnings.iter().any(|w| {
            w.starts_with(&format!("warning: {rm}.risk_per_trade_pct "))
                && w.contains(&needle)
                && w.contains(&format!("= {stop_loss:.2}"))
        });
        assert_eq!(
            warned,
            stop_loss > rust_decimal::Decimal::from(2_500),
            "{index}: {err}"
        );
        risk_warnings += usize::from(warned);
    }
    assert!(
        warnings.iter().any(|w| w.starts_with(&format!(
            "warning: {rm}.max_correlated_positions 1 lets only 1 of BANKNIFTY, NIFTY, FINNIFTY"
        ))),
        "{err}"
    );
    assert_eq!(warnings.len(), 4 + risk_warnings, "{err}");
}

#[test]
fn limits_that_leave_room_give_no_warning() {
    let dir = scratch("roomy");
    let text = production().replace(
        "    max_premium_per_trade: 10000\n",
        "    max_premium_per_trade: 20000\n    capital: 100000\n    max_correlated_positions: 5\n",
    );
    let cfg = write(dir.path(), "roomy.yaml", &text);
    let (code, out, err) = alphastock(&["config", "check", &cfg.to_string_lossy()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("warning:"), "{err}");
}

#[test]
fn unknown_symbols_are_errors_with_a_suggestion() {
    let dir = scratch("typo");
    let text = production()
        .replace("[\"BANKNIFTY\", \"NIFTY\"", "[\"BANKNIFY\", \"NIFTY\"")
        .replace("\"NSE:SBIN\"", "\"NSE:NOSUCHSTOCK\"")
        .replace("\"NSE:RELIANCE\"", "\"NSE:RELIANCEE\"");
    let cfg = write(dir.path(), "typo.yaml", &text);
    let (code, out, err) = alphastock(&["config", "check", &cfg.to_string_lossy()]);
    assert_eq!(code, 2, "{out}{err}");
    let line = |prefix: &str| {
        out.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {out}"))
            .to_string()
    };
    let banknify = line("strategies.ema_crossover.symbols.0 ");
    assert!(
        banknify.contains("BANKNIFY is not a known index"),
        "{banknify}"
    );
    assert!(
        banknify.contains("(did you mean `BANKNIFTY`?)"),
        "{banknify}"
    );
    let nosuch = line("strategies.rsi_divergence.symbols.0 ");
    assert!(
        nosuch.contains("NSE:NOSUCHSTOCK is not a known stock"),
        "{nosuch}"
    );
    assert!(!nosuch.contains("did you mean"), "{nosuch}");
    let reliance = line("strategies.rsi_divergence.symbols.1 ");
    assert!(
        reliance.contains("(did you mean `NSE:RELIANCE`?)"),
        "{reliance}"
    );
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn a_cached_script_master_makes_its_stocks_known() {
    let dir = scratch("master");
    let cache = dir.path().join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        cache.join("scriptmaster-2026-12-01.csv"),
        "instrument_token,tradingsymbol,name,expiry,strike,tick_size,lot_size,instrument_type,exchange\n\
         1,NOSUCHSTOCK-EQ,NOSUCHSTOCK,,0,0.05,1,EQ,NSE\n",
    )
    .unwrap();
    let text = production()
        .replace("\"NSE:SBIN\"", "\"NSE:NOSUCHSTOCK\"")
        .replace(
            "token_cache_dir: \"\"",
            &format!("token_cache_dir: {}", cache.display()),
        );
    let cfg = write(dir.path(), "master.yaml", &text);
    let (code, out, err) = alphastock(&["config", "check", &cfg.to_string_lossy()]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn correlation_table_is_accepted_by_config_check_and_must_load() {
    let dir = scratch("table");
    write(dir.path(), "table.json", TABLE);
    let text = production().replace(
        "options_trading:\n",
        "options_trading:\n  correlation_table: table.json\n",
    );
    let cfg = write(dir.path(), "with_table.yaml", &text);
    let (code, out, err) = alphastock(&["config", "check", &cfg.to_string_lossy()]);
    assert_eq!(code, 0, "{out}{err}");
    // A table that is not one: exit 2 naming the key.
    write(dir.path(), "table.json", "{\"format\": \"x\"}");
    let (code, out, _) = alphastock(&["config", "check", &cfg.to_string_lossy()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("options_trading.correlation_table does not load"),
        "{out}"
    );
    // A missing file: exit 2 naming the key.
    std::fs::remove_file(dir.path().join("table.json")).unwrap();
    let (code, out, _) = alphastock(&["config", "check", &cfg.to_string_lossy()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("options_trading.correlation_table cannot be read"),
        "{out}"
    );
}

#[test]
fn price_option_uses_the_configs_table_and_percent_bounds() {
    let dir = scratch("price");
    write(dir.path(), "table.json", TABLE);
    let text = production().replace(
        "options_trading:\n",
        "options_trading:\n  correlation_table: table.json\n",
    );
    let cfg = write(dir.path(), "with_table.yaml", &text);
    let args = |extra: &[&str]| {
        let mut v = vec![
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
            "--strike",
            "50000",
            "--days",
            "5",
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        alphastock(&a)
    };
    // Without the table: the default multiplier 4: 350 × 1.40 = 490, 350 × 0.92 = 322.
    let (code, out, err) = run(args(&[]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("target 490.00") && out.contains("stop 322.00"),
        "{out}"
    );
    // With the config's table: multiplier 5: 350 × 1.50 = 525, 350 × 0.90 = 315; the 20 %
    // bound (280) is further away, so 315 stays.
    let cfg_s = cfg.to_string_lossy().to_string();
    let (code, out, err) = run(args(&["--config", &cfg_s]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("target 525.00") && out.contains("stop 315.00"),
        "{out}"
    );
    // A 5 % stop: 350 × 0.95 = 332.50 is tighter than 315.
    let (code, out, err) = run(args(&["--config", &cfg_s, "--stop-loss-pct", "5"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("stop 332.50"), "{out}");
    let (code, _, err) = run(args(&["--stop-loss-pct", "0"]));
    assert_eq!(code, 2);
    assert!(err.contains("--stop-loss-pct must be above 0"), "{err}");
}
