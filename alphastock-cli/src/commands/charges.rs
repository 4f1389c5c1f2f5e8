//! `alphastock charges --date D --segment options|equity-intraday --buy PRICE --sell PRICE
//! --quantity Q [--brokerage RUPEES] [--json]`: the charges of one round trip (one buy order
//! and one sell order of `Q` units) under the market rules of date `D`, in rupees.
//!
//! Each charge is rounded to the paisa per order, exactly as the portfolio charges fills.
//! `--brokerage` is the broker plan's rupees per executed order (default 20, mStock's
//! per-order plan). `--json` prints `{"date", "segment", "quantity", "buy", "sell",
//! "turnover", "rates", "buy_charges", "sell_charges", "charges": {"brokerage", "stt",
//! "exchange", "sebi", "stamp_duty", "ipft", "gst"}, "total"}`. A date outside the tables, or a
//! negative price, exits 2.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Args;
use rust_decimal::Decimal;
use serde_json::json;

use alphastock_core::order::TransactionType;
use alphastock_core::portfolio::{ChargeSchedule, Charges};
use alphastock_core::rules::{MarketRules, Segment};

use super::{EXIT_FAILURE, EXIT_INVALID};

/// Arguments of `alphastock charges`.
#[derive(Debug, Args)]
pub struct ChargesArgs {
    /// The trade date, YYYY-MM-DD: the rules in force that day apply.
    #[arg(long, value_parser = super::parse_date)]
    pub date: NaiveDate,
    /// `options` (NSE index and stock options, on premium) or `equity-intraday`.
    #[arg(long)]
    pub segment: Segment,
    /// Buy price per unit, rupees.
    #[arg(long)]
    pub buy: Decimal,
    /// Sell price per unit, rupees.
    #[arg(long)]
    pub sell: Decimal,
    /// Units bought and sold (for options: lots × lot size).
    #[arg(long)]
    pub quantity: u32,
    /// Brokerage per executed order, rupees (default 20).
    #[arg(long, default_value = "20")]
    pub brokerage: Decimal,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

fn charges_json(c: &Charges) -> serde_json::Value {
    json!({
        "brokerage": c.brokerage,
        "stt": c.stt,
        "exchange": c.exchange,
        "sebi": c.sebi,
        "stamp_duty": c.stamp_duty,
        "ipft": c.ipft,
        "gst": c.gst,
    })
}

/// Runs `alphastock charges`.
pub fn run(args: ChargesArgs) -> anyhow::Result<ExitCode> {
    let rules = match MarketRules::embedded() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_FAILURE));
        }
    };
    if args.buy < Decimal::ZERO || args.sell < Decimal::ZERO || args.brokerage < Decimal::ZERO {
        eprintln!("error: prices and brokerage must not be negative");
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    let rates = match rules.rates(args.segment, args.date) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let schedule = ChargeSchedule {
        brokerage_per_order: args.brokerage,
        ..ChargeSchedule::default()
    };
    let q = Decimal::from(args.quantity);
    let buy = schedule.with_rates(&rates, TransactionType::Buy, args.buy * q, true);
    let sell = schedule.with_rates(&rates, TransactionType::Sell, args.sell * q, true);
    let all = buy + sell;
    if args.json {
        let out = json!({
            "date": args.date.to_string(),
            "segment": args.segment,
            "quantity": args.quantity,
            "buy": args.buy,
            "sell": args.sell,
            "turnover": args.buy * q + args.sell * q,
            "rates": rates,
            "buy_charges": charges_json(&buy),
            "sell_charges": charges_json(&sell),
            "charges": charges_json(&all),
            "total": all.total(),
        });
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} on {}: buy {} @ {} and sell {} @ {} (turnover {} rupees)",
        args.segment,
        args.date,
        args.quantity,
        args.buy,
        args.quantity,
        args.sell,
        args.buy * q + args.sell * q
    );
    let pct = |x: Decimal| format!("{} %", x.normalize());
    let crore = |x: Decimal| format!("{} per crore", x.normalize());
    let rows = [
        (
            "brokerage",
            buy.brokerage,
            sell.brokerage,
            format!("{} per order", args.brokerage),
        ),
        (
            "STT",
            buy.stt,
            sell.stt,
            format!("{} of the sell side", pct(rates.stt_sell_pct)),
        ),
        (
            "exchange",
            buy.exchange,
            sell.exchange,
            pct(rates.exchange_txn_pct),
        ),
        (
            "SEBI fee",
            buy.sebi,
            sell.sebi,
            crore(rates.sebi_fee_per_crore),
        ),
        (
            "stamp duty",
            buy.stamp_duty,
            sell.stamp_duty,
            format!("{} of the buy side", pct(rates.stamp_duty_buy_pct)),
        ),
        ("IPFT", buy.ipft, sell.ipft, crore(rates.ipft_per_crore)),
        (
            "GST",
            buy.gst,
            sell.gst,
            format!(
                "{} of brokerage + exchange + SEBI + IPFT",
                pct(rates.gst_pct)
            ),
        ),
    ];
    println!(
        "{:<11} {:>10} {:>10} {:>10}  rate",
        "charge", "buy", "sell", "total"
    );
    for (name, b, s, rate) in rows {
        println!("{name:<11} {b:>10.2} {s:>10.2} {:>10.2}  {rate}", b + s);
    }
    println!(
        "{:<11} {:>10.2} {:>10.2} {:>10.2}  rupees",
        "total",
        buy.total(),
        sell.total(),
        all.total()
    );
    Ok(ExitCode::SUCCESS)
}
