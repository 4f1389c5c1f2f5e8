//! `alphastock greeks`: Black-Scholes price and greeks of one option, or its implied vol from a
//! premium.
//!
//! ```text
//! alphastock greeks --type CE --spot 51245 --strike 51200 --days 3 --vol 0.16 [--rate 0.065] [--dividend 0] [--json]
//! alphastock greeks --type CE --spot 51245 --strike 51200 --days 3 --price 280 [--json]
//! ```
//! `--json` prints one object with `price`, `delta`, `gamma`, `theta_per_day`,
//! `vega_per_point`, `rho_per_pct` (and `implied_vol`, a fraction, with `--price`).
//! Impossible inputs (negative spot, a premium below intrinsic value, ...) exit 2. `--vol` is a
//! fraction, as in the config: above 10 (1,000 %) it is refused with the fraction that was
//! probably meant (`--vol 16` → `pass --vol 0.16`); between 1 and 10 it is used with a warning.

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
    /// Volatility as a fraction (0.16 = 16 %); above 1 (100 %) a warning, above 10 refused.
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

/// Why `--vol` cannot be used: not finite, or above [`MAX_VOL`] (a percentage typed as a
/// fraction is named, e.g. `16` → `did you mean --vol 0.16`).
fn vol_problem(vol: f64) -> Option<String> {
    if vol.is_finite() && vol <= MAX_VOL {
        return None;
    }
    let hint = if vol.is_finite() && vol <= 1000.0 {
        format!(
            "; for {vol} % a year pass --vol {}",
            format_fraction(vol / 100.0)
        )
    } else {
        String::new()
    };
    let got = if hint.is_empty() {
        format!("{vol:e}")
    } else {
        format!("{vol}")
    };
    Some(format!(
        "--vol is a fraction (0.16 = 16 % a year) of at most {MAX_VOL}, got {got}{hint}"
    ))
}

/// A warning for a `--vol` above 1 (100 % a year): legal, but more often a percentage typed
/// where a fraction is meant.
fn vol_warning(vol: f64) -> Option<String> {
    (vol > 1.0 && vol <= MAX_VOL).then(|| {
        format!(
            "--vol {vol} is read as a fraction: {} % a year; for {vol} % pass --vol {}",
            format_fraction(vol * 100.0),
            format_fraction(vol / 100.0)
        )
    })
}

/// A number without trailing zeros (`0.16`, `1600`).
fn format_fraction(x: f64) -> String {
    let s = format!("{x:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Runs `alphastock greeks`.
pub fn run(args: GreeksArgs) -> anyhow::Result<ExitCode> {
    if let Some(vol) = args.vol {
        if let Some(message) = vol_problem(vol) {
            return Ok(invalid(&message));
        }
        if let Some(warning) = vol_warning(vol) {
            eprintln!("warning: {warning}");
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentage_typed_as_a_fraction_is_named() {
        let e = vol_problem(16.0).unwrap();
        assert!(e.contains("for 16 % a year pass --vol 0.16"), "{e}");
        assert!(vol_problem(0.16).is_none());
        assert!(vol_problem(f64::NAN).is_some());
        assert!(vol_warning(0.16).is_none());
        assert!(vol_warning(1.0).is_none());
        let w = vol_warning(5.0).unwrap();
        assert!(
            w.contains("500 % a year") && w.contains("--vol 0.05"),
            "{w}"
        );
    }
}
