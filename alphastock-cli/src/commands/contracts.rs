//! `alphastock contracts UNDERLYING --date YYYY-MM-DD [--days N] [--json]`: the option contract
//! rules in force on a date, from the core's market rules (`alphastock_core::rules`).
//!
//! Prints the strike step (rupees), tick size (rupees), freeze quantity (units per order) and
//! every option expiry tradable that day within the next `--days` (default 90) calendar days,
//! each with its kind (`weekly` or `monthly`) and lot size (units). `--json` prints
//! `{"underlying", "date", "strike_step", "tick_size", "freeze_quantity", "expiries": [{"date",
//! "kind", "lot_size"}, ...]}`. An underlying or date outside the tables exits 2.

use std::process::ExitCode;

use chrono::{Duration, NaiveDate};
use clap::Args;
use serde_json::json;

use alphastock_core::rules::MarketRules;

use super::{EXIT_FAILURE, EXIT_INVALID};

/// Arguments of `alphastock contracts`.
#[derive(Debug, Args)]
pub struct ContractsArgs {
    /// The underlying: NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY, NIFTYNXT50, SBIN, RELIANCE,
    /// HDFCBANK (an `NSE:` prefix is accepted).
    pub underlying: String,
    /// The trade date, YYYY-MM-DD.
    #[arg(long, value_parser = super::parse_date)]
    pub date: NaiveDate,
    /// List expiries up to this many calendar days after the date (default 90; long-dated
    /// contracts beyond it are left out).
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `alphastock contracts`.
pub fn run(args: ContractsArgs) -> anyhow::Result<ExitCode> {
    let rules = match MarketRules::embedded() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    let name = args.underlying.trim_start_matches("NSE:").to_uppercase();
    let day = args.date;
    let (inst, expiries) = match (rules.instrument(&name, day), rules.expiries(&name, day)) {
        (Ok(i), Ok(e)) => (i, e),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let until = day + Duration::days(i64::from(args.days));
    let shown: Vec<_> = expiries.into_iter().filter(|e| e.date <= until).collect();
    if args.json {
        let out = json!({
            "underlying": name,
            "date": day.to_string(),
            "strike_step": inst.strike_step,
            "tick_size": inst.tick_size,
            "freeze_quantity": inst.freeze_quantity,
            "expiries": shown.iter().map(|e| json!({
                "date": e.date.to_string(),
                "kind": e.series.kind(),
                "lot_size": e.lot_size,
            })).collect::<Vec<_>>(),
        });
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    let calendar = rules.calendar();
    println!("{name} options on {day}");
    if let Some(h) = calendar.holiday(day) {
        println!("(not a trading day: {h})");
    }
    println!("strike step     {} rupees", inst.strike_step);
    println!("tick size       {} rupees", inst.tick_size);
    match inst.freeze_quantity {
        Some(q) => println!("freeze quantity {q} units per order"),
        None => println!("freeze quantity not in the rules (orders are not split)"),
    }
    println!("expiries within {} days:", args.days);
    for e in &shown {
        println!(
            "  {}  {:<7}  lot {}{}",
            e.date,
            e.series.kind(),
            e.lot_size,
            match e.series {
                alphastock_core::rules::Series::Quarterly => "  (quarterly)",
                alphastock_core::rules::Series::HalfYearly => "  (half-yearly)",
                _ => "",
            }
        );
    }
    println!("source: {}", inst.source);
    Ok(ExitCode::SUCCESS)
}
