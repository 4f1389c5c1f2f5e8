//! `alphastock price-option`: an option's target and stop-loss premium from the underlying's
//! target and stop.
//!
//! ```text
//! alphastock price-option --method delta_based --type CE --spot 51245 \
//!     --underlying-target 51655 --underlying-stop 51187.3077 --premium 280 --delta 0.52 [--json]
//! ```
//! `--json` prints one object with `method`, `target_premium`, `stop_loss_premium` (rupees,
//! rounded to the tick: target down, stop up) and the inputs echoed. Missing inputs a method
//! needs, or impossible ones, exit 2 naming them. `--rate` defaults to the config's
//! `options_trading.risk_free_rate` with `--config`, else 0; `--method` likewise defaults to the
//! config's `target_calculation_method`, else `delta_based`.
//!
//! With `--config` the command prices as the engine does: the learned multipliers of
//! `options_trading.correlation_table` (when named) feed `historical_correlation`, and the
//! levels are bounded by `risk_management.stop_loss_pct` and `profit_target_pct` (the stop no
//! further below the premium than that percent, rounded up to the tick; the percent target
//! where the method gives none above the premium; see
//! `alphastock_core::options::bounds`). `--stop-loss-pct` / `--profit-target-pct` set or
//! override those bounds; without a config or those flags the method's levels are shown
//! unbounded. The `learned` method needs the config's `ml.option_move_model`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::json;

use alphastock_core::market::OptionType;
use alphastock_core::options::pricing::{OptionsPricingEngine, PricingInput, TargetMethod};
use alphastock_core::options::{CorrelationTable, PremiumBounds};

use super::greeks::invalid;

/// Arguments of `alphastock price-option`.
#[derive(Debug, Args)]
pub struct PriceOptionArgs {
    /// delta_based, historical_correlation, delta_gamma, reprice, blend or learned (needs
    /// `ml.option_move_model` in --config).
    #[arg(long)]
    pub method: Option<TargetMethod>,
    /// Option type: CE or PE.
    #[arg(long = "type", value_name = "CE|PE")]
    pub option_type: OptionType,
    /// Underlying spot, rupees.
    #[arg(long, allow_negative_numbers = true)]
    pub spot: Decimal,
    /// Underlying target, rupees (above spot for CE, below for PE).
    #[arg(long, allow_negative_numbers = true)]
    pub underlying_target: Decimal,
    /// Underlying stop, rupees (below spot for CE, above for PE).
    #[arg(long, allow_negative_numbers = true)]
    pub underlying_stop: Decimal,
    /// Entry premium, rupees.
    #[arg(long, allow_negative_numbers = true)]
    pub premium: Decimal,
    /// Delta (0..1 for CE, -1..0 for PE).
    #[arg(long, allow_negative_numbers = true)]
    pub delta: Option<f64>,
    /// Gamma, per rupee of underlying.
    #[arg(long, allow_negative_numbers = true)]
    pub gamma: Option<f64>,
    /// Theta, rupees per calendar day (usually negative).
    #[arg(long, allow_negative_numbers = true)]
    pub theta: Option<f64>,
    /// Multiplier for historical_correlation: percent of premium per percent of underlying.
    #[arg(long, allow_negative_numbers = true)]
    pub multiplier: Option<f64>,
    /// Strike, rupees.
    #[arg(long, allow_negative_numbers = true)]
    pub strike: Option<Decimal>,
    /// Calendar days to expiry.
    #[arg(long, allow_negative_numbers = true)]
    pub days: Option<f64>,
    /// Implied volatility, fraction (0.16 = 16 %).
    #[arg(long, allow_negative_numbers = true)]
    pub iv: Option<f64>,
    /// Tick size, rupees.
    #[arg(long, default_value = "0.05", allow_negative_numbers = true)]
    pub tick: Decimal,
    /// Risk-free rate, annual fraction (default: the config's, else 0).
    #[arg(long, allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Expected holding time until the level is reached, minutes.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub holding_minutes: f64,
    /// Most the stop may be below the premium, percent of it (default: the config's
    /// `stop_loss_pct` with `--config`, else no bound).
    #[arg(long, allow_negative_numbers = true)]
    pub stop_loss_pct: Option<Decimal>,
    /// Target above the premium, percent of it, where the method gives none (default: the
    /// config's `profit_target_pct` with `--config`, else none).
    #[arg(long, allow_negative_numbers = true)]
    pub profit_target_pct: Option<Decimal>,
    /// Config file for the default method, rate, percent bounds and correlation table.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `alphastock price-option`.
pub fn run(args: PriceOptionArgs) -> anyhow::Result<ExitCode> {
    let mut bounds = PremiumBounds::default();
    let mut table = CorrelationTable::default();
    let mut option_move = None;
    let (config_method, config_rate) = match &args.config {
        Some(path) => match super::correlations::load_config_with_table(path) {
            Ok(Ok((cfg, learned))) => {
                let risk = &cfg.options_trading.risk_management;
                bounds = PremiumBounds::new(risk.stop_loss_pct, risk.profit_target_pct);
                if let Some(t) = learned {
                    table = t;
                }
                match super::ml::load_models(&cfg, path) {
                    Ok(m) => option_move = m.option_move,
                    Err(e) => return Ok(invalid(&e.to_string())),
                }
                (
                    Some(cfg.options_trading.target_calculation_method),
                    Some(cfg.options_trading.risk_free_rate),
                )
            }
            Ok(Err(e)) => return Ok(invalid(&e)),
            Err(e) => return Ok(invalid(&format!("{e:#}"))),
        },
        None => (None, None),
    };
    for (flag, v) in [
        ("--stop-loss-pct", args.stop_loss_pct),
        ("--profit-target-pct", args.profit_target_pct),
    ] {
        if let Some(v) = v {
            if v <= Decimal::ZERO || (flag == "--stop-loss-pct" && v > Decimal::ONE_HUNDRED) {
                return Ok(invalid(&format!(
                    "{flag} must be above 0{} (percent), got {v}",
                    if flag == "--stop-loss-pct" {
                        " and at most 100"
                    } else {
                        ""
                    }
                )));
            }
        }
    }
    if args.stop_loss_pct.is_some() {
        bounds.stop_loss_pct = args.stop_loss_pct;
    }
    if args.profit_target_pct.is_some() {
        bounds.profit_target_pct = args.profit_target_pct;
    }
    let method = args
        .method
        .or(config_method)
        .unwrap_or(TargetMethod::DeltaBased);
    let input = PricingInput {
        delta: args.delta,
        gamma: args.gamma,
        theta_per_day: args.theta,
        iv: args.iv,
        strike: args.strike,
        days_to_expiry: args.days,
        multiplier: args.multiplier,
        holding_minutes: args.holding_minutes,
        tick_size: args.tick,
        rate: args.rate.or(config_rate).unwrap_or(0.0),
        ..PricingInput::new(
            args.option_type,
            args.spot,
            args.underlying_target,
            args.underlying_stop,
            args.premium,
        )
    };
    let mut engine = OptionsPricingEngine::new(table);
    engine.option_move = option_move;
    let levels = match engine
        .levels(method, &input)
        .and_then(|l| bounds.apply(l, input.premium, input.tick_size))
    {
        Ok(b) => b.levels,
        Err(e) => return Ok(invalid(&e.to_string())),
    };
    if args.json {
        let num = |d: Decimal| d.to_f64().map_or(serde_json::Value::Null, |x| json!(x));
        let out = json!({
            "method": method.as_str(),
            "option_type": input.option_type.code(),
            "premium": num(input.premium),
            "target_premium": num(levels.target),
            "stop_loss_premium": num(levels.stop),
            "spot": num(input.spot),
            "underlying_target": num(input.underlying_target),
            "underlying_stop": num(input.underlying_stop),
            "tick": num(input.tick_size),
        });
        println!("{out}");
    } else {
        println!(
            "{} {}: entry {} → target {} (underlying {}), stop {} (underlying {})",
            method,
            input.option_type,
            input.premium,
            levels.target,
            input.underlying_target,
            levels.stop,
            input.underlying_stop
        );
    }
    Ok(ExitCode::SUCCESS)
}
