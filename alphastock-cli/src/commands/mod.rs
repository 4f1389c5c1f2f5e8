//! The subcommands of `alphastock`. Each lives in its own module with an `Args` struct and a
//! `run` function returning the process exit code.
//!
//! Exit codes: 0 success; 1 a runtime failure (broker down, file unreadable); 2 invalid input
//! (a config with problems, impossible option parameters, bad arguments).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod account;
pub mod backtest;
pub mod broker_args;
pub mod charges;
pub mod cockpit;
pub mod config;
pub mod contracts;
pub mod correlations;
pub mod dashboard;
pub mod doctor;
pub mod doctor_kite;
pub mod greeks;
pub mod journal;
pub mod login;
pub mod ml;
pub mod price_option;
pub mod quote;
pub mod run;
pub mod run_live;
pub mod scan;
pub mod strategies;

/// Exit code for a runtime failure.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code for invalid input (config problems, impossible parameters).
pub const EXIT_INVALID: u8 = 2;

/// AlphaStock: algorithmic options trading for Indian markets (NSE/BSE) through mStock or Kite.
#[derive(Debug, Parser)]
#[command(name = "alphastock", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Trade: paper on the simulated market by default, a replay of recorded candles, or live
    /// through mStock or Kite (`broker.kind`).
    Run(run::RunArgs),
    /// Configuration tools.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Run one strategy over a candle CSV file and print the signals it would emit.
    Scan(scan::ScanArgs),
    /// The built-in strategies and their parameters: default, accepted range and meaning.
    Strategies(strategies::StrategiesArgs),
    /// Replay historical candles through the engine with simulated fills and report the
    /// trades and performance (or sweep strategy parameters).
    Backtest(backtest::BacktestArgs),
    /// Option/underlying move multipliers learned from stored option snapshots.
    #[command(subcommand)]
    Correlations(correlations::CorrelationsCommand),
    /// Read a run's journal: closed trades, orders, signals or the daily P&L.
    Journal(journal::JournalArgs),
    /// The learned signal filter and option-move model, judged out of sample.
    #[command(subcommand)]
    Ml(ml::MlCommand),
    /// Black-Scholes price and greeks of an option, or its implied vol from a premium.
    Greeks(greeks::GreeksArgs),
    /// An option's target and stop-loss premium from the underlying's target and stop.
    PriceOption(price_option::PriceOptionArgs),
    /// Log in to the broker and cache the session: mStock (TOTP from MSTOCK_TOTP_SECRET, or the
    /// OTP typed at the prompt) or Kite (`--broker kite`: the request token from the login page).
    Login(login::LoginArgs),
    /// Quote instruments given as EXCHANGE:TRADINGSYMBOL.
    Quote(quote::QuoteArgs),
    /// Net positions at the broker.
    Positions(account::AccountArgs),
    /// Today's orders at the broker.
    Orders(account::AccountArgs),
    /// Funds available at the broker.
    Funds(account::AccountArgs),
    /// The option contract rules in force on a date: strike step, tick, freeze quantity and
    /// the tradable expiries with their lot sizes.
    Contracts(contracts::ContractsArgs),
    /// The charges of a round trip (STT, exchange, SEBI, stamp duty, IPFT, GST, brokerage)
    /// under the rules of a date, rupees.
    Charges(charges::ChargesArgs),
    /// Read-only check of what live trading needs from the broker (credentials, login, clock,
    /// funds, a quote, the instrument list, rate limits); exit 0 when ready.
    Doctor(doctor::DoctorArgs),
    /// Serve the web dashboard of a journal, read-only (a run in another terminal, or a past
    /// day): the page, /api/state and /metrics.
    Dashboard(dashboard::DashboardArgs),
}

/// Parses a date flag's value: `YYYY-MM-DD` (e.g. `2026-12-01`). The message says the format
/// expected and what was wrong; clap prefixes it with the flag's name.
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    let s = s.trim();
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        let shape: String = s
            .chars()
            .map(|c| if c.is_ascii_digit() { 'N' } else { c })
            .collect();
        let why = match shape.as_str() {
            "NNNN-NN-NN" | "NNNN-N-NN" | "NNNN-NN-N" | "NNNN-N-N" => "no such day",
            "NN-NN-NNNN" | "NN/NN/NNNN" | "NN.NN.NNNN" => "the year goes first",
            _ if s.len() > 10
                && chrono::NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").is_ok() =>
            {
                "extra characters after the day"
            }
            _ => "not in that form",
        };
        format!("expected a date as YYYY-MM-DD, e.g. 2026-12-01 ({why})")
    })
}

/// Runs the chosen subcommand and returns its exit code.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Config(cmd) => config::run(cmd),
        Command::Scan(args) => scan::run(args),
        Command::Strategies(args) => strategies::run(args),
        Command::Backtest(args) => backtest::run(args),
        Command::Correlations(cmd) => correlations::run(cmd),
        Command::Journal(args) => journal::run(args),
        Command::Ml(cmd) => ml::run(cmd),
        Command::Greeks(args) => greeks::run(args),
        Command::PriceOption(args) => price_option::run(args),
        Command::Login(args) => login::run(args),
        Command::Quote(args) => quote::run(args),
        Command::Positions(args) => account::run(account::View::Positions, args),
        Command::Orders(args) => account::run(account::View::Orders, args),
        Command::Funds(args) => account::run(account::View::Funds, args),
        Command::Contracts(args) => contracts::run(args),
        Command::Charges(args) => charges::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Dashboard(args) => dashboard::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates_are_read_as_year_month_day_and_typos_say_why() {
        assert_eq!(
            parse_date("2026-12-01"),
            Ok(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default())
        );
        for (bad, why) in [
            ("2026-02-30", "no such day"),
            ("01-12-2026", "the year goes first"),
            ("2026-12-01x", "extra characters"),
            ("2026-12-1x", "not in that form"),
            ("tomorrow", "not in that form"),
        ] {
            let e = parse_date(bad).err().unwrap_or_default();
            assert!(e.contains("YYYY-MM-DD") && e.contains(why), "{bad}: {e}");
        }
    }
}
