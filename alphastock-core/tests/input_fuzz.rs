//! Property tests over outside input: config values, candle CSV lines. Whatever arrives, the
//! core answers with a value or an error naming the key or line, never a panic; what it accepts
//! then runs through the engine without a panic either. The limits that make this hold are
//! checked by name: flow nesting depth, number magnitudes, candle price ranges, the length of
//! what an error quotes.

use alphastock_core::config::{Config, MAX_YAML_DEPTH};
use alphastock_core::engine::{Engine, Event};
use alphastock_core::market::{parse_candles, Candle};
use proptest::prelude::*;

/// An EMA(2)/EMA(3) crossover trading NSE:SBIN itself; the fuzzed key is appended under
/// `options_trading` or `broker.paper` etc. by path.
const BASE: &str = r#"
market_data_runner: { candle_minutes: 5 }
strategies:
  sbin_trend:
    strategy: ema_crossover
    symbols: ["NSE:SBIN"]
    instrument: underlying
    parameters: { fast_ema: 2, slow_ema: 3, min_confidence: 0 }
"#;

/// Numeric keys the config has, as (section path, key).
const KEYS: &[(&str, &str)] = &[
    ("options_trading.risk_management", "capital"),
    ("options_trading.risk_management", "risk_per_trade_pct"),
    ("options_trading.risk_management", "max_premium_per_trade"),
    ("options_trading.risk_management", "daily_loss_limit"),
    ("options_trading.risk_management", "stop_loss_pct"),
    ("options_trading.risk_management", "profit_target_pct"),
    ("options_trading.charges", "brokerage_per_order"),
    ("options_trading.charges", "sebi_fee_per_crore"),
    ("options_trading.charges", "stt_sell_pct"),
    ("options_trading.underlying", "tick_size"),
    ("options_trading.entry", "limit_buffer_ticks"),
    ("broker.paper", "starting_funds"),
    ("broker.paper", "slippage_ticks"),
    ("market_data_runner", "frequency_seconds"),
];

fn config_text(section: &str, key: &str, value: &str) -> String {
    // Nest `section` as block mappings.
    let mut text = BASE.to_string();
    let parts: Vec<&str> = section.split('.').collect();
    if parts[0] != "market_data_runner" {
        for (depth, p) in parts.iter().enumerate() {
            text.push_str(&format!("{}{p}:\n", "  ".repeat(depth)));
        }
        text.push_str(&format!("{}{key}: {value}\n", "  ".repeat(parts.len())));
    } else {
        text = text.replace(
            "market_data_runner: { candle_minutes: 5 }",
            &format!("market_data_runner: {{ candle_minutes: 5, {key}: {value} }}"),
        );
    }
    text
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|f| format!("{f:e}")),
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|i| i.to_string()),
        (0u32..100_000).prop_map(|i| i.to_string()),
        (0.0f64..1e4).prop_map(|f| format!("{f}")),
        Just("79228162514264337593543950335".to_string()),
        Just("\"79228162514264337593543950335\"".to_string()),
        Just("-0.0000000000000000000000000001".to_string()),
        Just(".nan".to_string()),
        Just("[1, 2]".to_string()),
        "[a-z0-9 .:-]{0,12}",
    ]
}

/// A few SBIN candles around `price`, crossing up and down so the strategy trades.
fn candles(price: i64) -> Vec<Candle> {
    let text = format!(
        "timestamp,symbol,open,high,low,close,volume\n{}",
        [0i64, -10, -20, -30, 20, 30, 0, -20, -30, 0, 20]
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let c = price + d;
                format!(
                    "2026-01-05T{:02}:{:02}:00+05:30,NSE:SBIN,{c},{c},{c},{c},1000\n",
                    10 + (i * 5) / 60,
                    (i * 5) % 60
                )
            })
            .collect::<String>()
    );
    parse_candles(&text).unwrap_or_default()
}

fn drive(engine: &mut Engine, candles: &[Candle]) {
    for c in candles {
        let _ = engine.on_event(Event::Candle(c.clone()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any value at any numeric key: a config or a list of problems, and an accepted config
    /// builds an engine that trades candles without a panic.
    #[test]
    fn any_config_value_is_accepted_or_refused_without_a_panic(
        key in 0..KEYS.len(),
        v in value(),
        price in 1i64..1_000_000_000,
    ) {
        let (section, name) = KEYS[key];
        let text = config_text(section, name, &v);
        if let Ok(config) = Config::from_yaml_str(&text) {
            let mut engine = Engine::new(&config).expect("a valid config builds an engine");
            drive(&mut engine, &candles(price.max(31)));
        }
    }

    /// Any candle CSV line (random text, or a valid row with one field replaced): rows or an
    /// error naming the line, quoting at most a short piece of it.
    #[test]
    fn any_candle_line_is_parsed_or_refused_without_a_panic(
        field in 0usize..7,
        replacement in prop_oneof![
            "\\PC{0,40}",
            any::<f64>().prop_map(|f| f.to_string()),
            Just("79228162514264337593543950335".to_string()),
            Just("1".repeat(5000)),
        ],
        junk in "\\PC{0,80}",
    ) {
        let mut row: Vec<String> = "2026-01-05T10:00:00+05:30,NSE:SBIN,800,810,790,805,1000"
            .split(',')
            .map(str::to_string)
            .collect();
        row[field] = replacement;
        for line in [row.join(","), junk] {
            let text = format!("timestamp,symbol,open,high,low,close,volume\n{line}\n");
            match parse_candles(&text) {
                Ok(rows) => {
                    let config = Config::from_yaml_str(BASE).expect("base config");
                    let mut engine = Engine::new(&config).expect("engine");
                    drive(&mut engine, &rows);
                }
                Err(e) => {
                    let message = e.to_string();
                    prop_assert!(message.starts_with("line 2"), "{}", message);
                    prop_assert!(message.len() < 400, "{} bytes", message.len());
                }
            }
        }
    }
}

#[test]
fn deep_yaml_nesting_is_refused_before_parsing_with_its_line() {
    let deep = format!("strategies: {}", "[".repeat(100_000));
    let started = std::time::Instant::now();
    let err = Config::from_yaml_str(&deep).unwrap_err().to_string();
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert!(
        err.contains(&format!("nesting deeper than {MAX_YAML_DEPTH} levels"))
            && err.contains("line 1"),
        "{err}"
    );
    // Brackets inside quotes or comments do not count.
    let quoted = format!(
        "{BASE}# {}\nstorage: {{ path: \"{}.db\" }}\n",
        "[".repeat(100),
        "[".repeat(100)
    );
    assert!(Config::from_yaml_str(&quoted).is_ok());
}

#[test]
fn numbers_that_would_overflow_money_arithmetic_are_refused_naming_the_key() {
    for (section, key) in [
        ("options_trading.risk_management", "capital"),
        ("options_trading.charges", "sebi_fee_per_crore"),
        ("options_trading.charges", "brokerage_per_order"),
        ("broker.paper", "starting_funds"),
        ("options_trading.underlying", "tick_size"),
    ] {
        for huge in [
            "7.9e28",
            "\"79228162514264337593543950335\"",
            "1000000000001",
        ] {
            let text = config_text(section, key, huge);
            let err = Config::from_yaml_str(&text).unwrap_err().to_string();
            assert!(err.contains(&format!("{section}.{key}")), "{err}");
            assert!(err.contains("out of range"), "{err}");
        }
        // An integer too long for YAML's integers is refused while parsing, key named too.
        let text = config_text(section, key, "79228162514264337593543950335");
        let err = Config::from_yaml_str(&text).unwrap_err().to_string();
        assert!(err.contains(&format!("{section}.{key}")), "{err}");
    }
    // A large but sane value passes.
    let ok = config_text(
        "options_trading.risk_management",
        "capital",
        "1000000000000",
    );
    assert!(Config::from_yaml_str(&ok).is_ok());
}

#[test]
fn a_candle_close_near_the_decimal_limit_is_refused_naming_the_line_and_a_long_field_is_cut() {
    let text = "timestamp,symbol,open,high,low,close,volume\n\
                2026-01-05T10:00:00+05:30,NSE:SBIN,800,810,790,805,1000\n\
                2026-01-05T10:05:00+05:30,NSE:SBIN,800,810,790,79228162514264337593543950335,1000\n";
    let err = parse_candles(text).unwrap_err().to_string();
    assert!(err.starts_with("line 3: close"), "{err}");
    assert!(err.contains("out of range"), "{err}");
    let long = format!(
        "timestamp,symbol,open,high,low,close,volume\n2026-01-05T10:00:00+05:30,NSE:SBIN,{},810,790,805,1000\n",
        "9".repeat(5_000_000)
    );
    let err = parse_candles(&long).unwrap_err().to_string();
    assert!(err.len() < 200, "{} bytes", err.len());
    assert!(err.contains("..."), "{err}");
}

#[test]
fn a_problem_quoting_a_long_value_is_cut() {
    let text = format!(
        "{BASE}system: {{ environment: \"{}\" }}\n",
        "x".repeat(500_000)
    );
    let err = Config::from_yaml_str(&text).unwrap_err().to_string();
    assert!(err.contains("system.environment"), "{}", &err[..200]);
    assert!(err.len() < 1_000, "{} bytes", err.len());
    assert!(err.contains("..."));
}
