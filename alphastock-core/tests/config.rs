//! Config loading: defaults, the seed shape, and that every problem is reported with its path.

use alphastock_core::config::{Config, Environment, LogLevel};
use rust_decimal::Decimal;

fn fixture(name: &str) -> String {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn problems(yaml: &str) -> Vec<String> {
    match Config::from_yaml_str(yaml) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems().iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn production_fixture_reads_the_seed_shape() {
    let cfg = Config::from_yaml_str(&fixture("production.yaml")).expect("valid");
    assert_eq!(cfg.system.environment, Environment::Production);
    assert_eq!(cfg.system.log_level, LogLevel::Info);
    assert_eq!(cfg.market_data_runner.frequency_seconds, 5);
    assert_eq!(cfg.market_data_runner.batch_size, 50);
    assert_eq!(cfg.options_data_runner.frequency_seconds, 2);
    let ss = &cfg.options_data_runner.strike_selection;
    assert_eq!(ss.strikes_per_side, 3);
    assert_eq!(ss.liquidity_filters.min_oi, 100);
    assert_eq!(ss.liquidity_filters.max_spread_pct, Decimal::from(5));
    let ema = &cfg.strategies["ema_crossover"];
    assert_eq!(ema.symbols.len(), 3);
    assert_eq!(ema.parameters["fast_ema"].as_u64(), Some(5));
    assert_eq!(
        cfg.strategies["rsi_divergence"].symbols[0].as_str(),
        "NSE:SBIN"
    );
    let rm = &cfg.options_trading.risk_management;
    assert_eq!(rm.max_premium_per_trade, Decimal::from(10_000));
    assert_eq!(rm.max_positions, 5);
}

#[test]
fn paper_fixture_is_valid() {
    let cfg = Config::from_yaml_str(&fixture("paper.yaml")).expect("valid");
    assert_eq!(cfg.system.environment, Environment::Paper);
    // No lot sizes in the fixture: every simulated underlying's contracts come from the market
    // rules of the day (NIFTY lot 65, BANKNIFTY 30, FINNIFTY 60 on 2026-12-01).
    assert!(cfg.market.instruments.is_empty());
    let rules = alphastock_core::rules::MarketRules::embedded().unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let lots: Vec<u32> = cfg
        .simulation
        .underlyings
        .keys()
        .map(|s| rules.nearest_expiry(s.name(), day).unwrap().lot_size)
        .collect();
    assert_eq!(lots, vec![30, 60, 65]);
}

#[test]
fn defaults_fill_everything_but_strategies() {
    let cfg =
        Config::from_yaml_str("strategies:\n  ema_crossover:\n    symbols: [NIFTY]\n").unwrap();
    assert_eq!(cfg.market_data_runner.frequency_seconds, 5);
    assert_eq!(cfg.market_data_runner.candle_minutes, 5);
    assert_eq!(
        cfg.options_trading.target_calculation_method,
        alphastock_core::config::TargetMethod::DeltaBased
    );
    assert_eq!(cfg.storage.path, "alphastock.db");
    assert!(cfg.strategies["ema_crossover"].enabled);
}

#[test]
fn every_problem_is_reported_with_its_key_path() {
    let found = problems(&fixture("config_with_problems.yaml"));
    assert!(
        found.iter().any(
            |p| p.starts_with("options_trading.enabeld is not a known key")
                && p.contains("did you mean `enabled`")
        ),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p
                .starts_with("options_trading.risk_management.max_positions must not be negative")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p
                .starts_with("strategies.ema_crossover.parameters.fast_ema must be < slow_ema")),
        "{found:#?}"
    );
}

#[test]
fn malformed_yaml_reports_line_and_column() {
    let found = problems("system:\n  environment: paper\n  log_level: [INFO\n");
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("malformed YAML at line"), "{found:?}");
}

#[test]
fn wrong_types_and_unknown_sections_are_named() {
    let found = problems(
        "strategies:\n  ema_crossover:\n    symbols: [NIFTY]\nmarket_data_runner:\n  batch_size: lots\nstratgies: {}\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("market_data_runner.batch_size is invalid")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("stratgies is not a known key") && p.contains("strategies")),
        "{found:#?}"
    );
}

#[test]
fn bad_symbols_and_empty_documents_are_errors_not_panics() {
    let found = problems("strategies:\n  ema_crossover:\n    symbols: [\"nse:sbin\"]\n");
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("strategies.ema_crossover.symbols")),
        "{found:#?}"
    );
    assert_eq!(problems("").len(), 1);
    assert_eq!(problems("- just\n- a list\n").len(), 1);
    assert!(problems("strategies: {}\n")[0].contains("at least one strategy"));
}

#[test]
fn out_of_range_numbers_are_problems() {
    let found = problems(
        "strategies:\n  ema_crossover:\n    symbols: [NIFTY]\nmarket_data_runner: { frequency_seconds: 0, batch_size: 0, candle_minutes: 400 }\nmarket:\n  instruments:\n    NIFTY: { lot_size: 0 }\n",
    );
    for key in [
        "market_data_runner.frequency_seconds",
        "market_data_runner.batch_size",
        "market_data_runner.candle_minutes",
        "market.instruments.NIFTY.lot_size",
    ] {
        assert!(
            found.iter().any(|p| p.starts_with(key)),
            "{key}: {found:#?}"
        );
    }
}

#[test]
fn strategy_kinds_and_parameters_are_checked_even_when_disabled() {
    let found = problems(
        "strategies:\n  macd:\n    symbols: [NIFTY]\n  fast_trend:\n    strategy: ema_crosover\n    symbols: [NIFTY]\n  rsi_divergence:\n    enabled: false\n    parameters: { rsi_period: 1, divergence_period: 5 }\n",
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("strategies.macd is not a known strategy")
                && p.contains("ema_crossover")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with(
            "strategies.fast_trend.strategy is not a known strategy (`ema_crosover`)"
        )),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| p
            .starts_with("strategies.rsi_divergence.parameters.rsi_period must be between 2 and")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|p| p.starts_with(
            "strategies.rsi_divergence.parameters.divergence_period is not a parameter of rsi_divergence (did you mean `divergence_periods`?)"
        )),
        "{found:#?}"
    );
}

#[test]
fn nse_holidays_from_the_rules_join_the_configured_ones() {
    let cfg = Config::from_yaml_str(
        "strategies:\n  ema_crossover:\n    symbols: [NIFTY]\nmarket:\n  holidays: [2026-12-31]\n",
    )
    .unwrap();
    let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let all = cfg.with_market_holidays().market.holidays;
    // 17 + 14 + 16 listed NSE holidays of 2024-2026 and the configured one.
    assert_eq!(all.len(), 48);
    assert!(all.contains(&d(2026, 11, 10)) && all.contains(&d(2026, 12, 31)));
    assert!(all.windows(2).all(|w| w[0] < w[1]));
}
