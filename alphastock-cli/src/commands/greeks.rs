//! `alphastock greeks`: Black-Scholes price and greeks of one option, or its implied vol from a
//! premium.
//!
//! ```text
//! alphastock greeks --type CE --spot 51245 --strike 51200 --days 3 --vol 0.16 [--rate 0.065] [--dividend 0] [--json]
//! alphastock greeks --type CE --spot 51245 --strike 51200 --days 3 --price 280 [--json]
//! ```
//! `--json` prints one object with `price`, `delta`, `gamma`, `theta_per_day`,
//! `vega_per_point`, `rho_per_pct` (and `implied_vol`, a fraction, with `--price`).
//! Impossible inputs (negative spot, a premium below intrinsic value, ...) exit 2.

use std::process::ExitCode;

use clap::{ArgGroup, Args};
use serde_json::json;

use alphastock_core::market::OptionType;
use alphastock_core::options::{implied_vol, price_and_greeks, years_from_days, BsInput};

use super::EXIT_INVALID;

/// Arguments of `alphastock greeks`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("vol_or_price").required(true).args(["vol", "price"])))]
pub struct GreeksArgs {
    /// Option type: CE or PE.
    #[arg(long = "type", value_name = "CE|PE")]
    pub option_type: OptionType,
    /// Underlying spot, rupees.
    #[arg(long, allow_negative_numbers = true)]
    pub spot: f64,
    /// Strike, rupees.
    #[arg(long, allow_negative_numbers = true)]
    pub strike: f64,
    /// Calendar days to expiry (fractional allowed); years = days / 365.
    #[arg(long, allow_negative_numbers = true)]
    pub days: f64,
    /// Volatility as a fraction (0.16 = 16 %).
    #[arg(long, allow_negative_numbers = true)]
    pub vol: Option<f64>,
    /// Option premium, rupees: solve the implied vol instead of taking `--vol`.
    #[arg(long, allow_negative_numbers = true)]
    pub price: Option<f64>,
    /// Risk-free rate, continuously compounded annual fraction (0.065 = 6.5 %).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub rate: f64,
    /// Dividend yield / cost of carry, annual fraction.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub dividend: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Largest volatility accepted, as a fraction (10 = 1,000 % a year): beyond it every output
/// is degenerate and its percentage display overflows.
const MAX_VOL: f64 = 10.0;

/// Runs `alphastock greeks`.
pub fn run(args: GreeksArgs) -> anyhow::Result<ExitCode> {
    if let Some(vol) = args.vol.filter(|v| !v.is_finite() || *v > MAX_VOL) {
        return Ok(invalid(&format!(
            "--vol is a fraction of at most {MAX_VOL} (1000 %), got {vol:e}"
        )));
    }
    let mut input = BsInput {
        option_type: args.option_type,
        spot: args.spot,
        strike: args.strike,
        years: years_from_days(args.days),
        vol: args.vol.unwrap_or(0.0),
        rate: args.rate,
        carry: args.dividend,
    };
    let mut iv = None;
    if let Some(premium) = args.price {
        match implied_vol(&input, premium) {
            Ok(v) => {
                input.vol = v;
                iv = Some(v);
            }
            Err(e) => return Ok(invalid(&format!("no implied volatility: {e}"))),
        }
    }
    let v = match price_and_greeks(&input) {
        Ok(v) => v,
        Err(e) => return Ok(invalid(&e.to_string())),
    };
    let g = v.greeks;
    if args.json {
        let mut out = json!({
            "price": v.price,
            "delta": g.delta,
            "gamma": g.gamma,
            "theta_per_day": g.theta_per_day,
            "vega_per_point": g.vega_per_point,
            "rho_per_pct": g.rho_per_pct,
        });
        if let Some(iv) = iv {
            out["implied_vol"] = json!(iv);
        }
        println!("{out}");
    } else {
        println!(
            "{} strike {} spot {} | {} days | vol {:.4} % | rate {} % | dividend {} %",
            input.option_type,
            input.strike,
            input.spot,
            args.days,
            input.vol * 100.0,
            input.rate * 100.0,
            input.carry * 100.0
        );
        if let Some(iv) = iv {
            println!("implied_vol     {iv:.10}  (fraction)");
        }
        println!("price           {:.4}  rupees", v.price);
        println!("delta           {:.6}", g.delta);
        println!("gamma           {:.8}  per rupee", g.gamma);
        println!(
            "theta_per_day   {:.4}  rupees per calendar day",
            g.theta_per_day
        );
        println!(
            "vega_per_point  {:.4}  rupees per vol point",
            g.vega_per_point
        );
        println!("rho_per_pct     {:.4}  rupees per 1 % rate", g.rho_per_pct);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints an invalid-input message and gives exit code 2.
pub(crate) fn invalid(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_INVALID)
}
