//! `alphastock quote SYMBOL...`: last price, OHLC, best bid/ask, volume and OI of instruments
//! given as `EXCHANGE:TRADINGSYMBOL` (e.g. `NSE:SBIN`, `NFO:BANKNIFTY25DEC51200CE`).

use std::process::ExitCode;

use clap::Args;

use super::broker_args::{cell, num, open_broker, BrokerArgs};
use crate::broker::InstrumentKey;

/// Parses `EXCHANGE:TRADINGSYMBOL`.
pub fn parse_instrument(s: &str) -> Result<InstrumentKey, String> {
    let (ex, sym) = s
        .split_once(':')
        .ok_or_else(|| format!("expected EXCHANGE:SYMBOL (e.g. NSE:SBIN), got {s:?}"))?;
    let exchange = ex
        .parse()
        .map_err(|_| format!("unknown exchange {ex:?} in {s:?} (NSE, BSE, NFO or BFO)"))?;
    if sym.trim().is_empty() {
        return Err(format!("missing trading symbol in {s:?}"));
    }
    Ok(InstrumentKey {
        exchange,
        trading_symbol: sym.trim().to_string(),
    })
}

/// Arguments of `quote`.
#[derive(Debug, Args)]
pub struct QuoteArgs {
    /// Instruments as EXCHANGE:TRADINGSYMBOL, e.g. NSE:SBIN NFO:BANKNIFTY25DEC51200CE.
    #[arg(required = true, value_parser = parse_instrument)]
    pub symbols: Vec<InstrumentKey>,
    /// Common broker flags.
    #[command(flatten)]
    pub broker: BrokerArgs,
}

/// Runs `quote`.
pub fn run(args: QuoteArgs) -> anyhow::Result<ExitCode> {
    let mut c = match open_broker(&args.broker)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let quotes = c.quotes(&args.symbols)?;
    if args.broker.json {
        let rows: Vec<serde_json::Value> = quotes
            .iter()
            .map(|q| {
                serde_json::json!({
                    "instrument": format!("{}:{}", q.key.exchange.code(), q.key.trading_symbol),
                    "ltp": num(q.ltp), "open": num(q.open), "high": num(q.high),
                    "low": num(q.low), "close": num(q.close),
                    "bid": q.bid.map(num), "ask": q.ask.map(num),
                    "volume": q.volume, "oi": q.oi,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else {
        println!(
            "{:<32} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12} {:>10}",
            "INSTRUMENT", "LTP", "BID", "ASK", "OPEN", "HIGH", "LOW", "CLOSE", "VOLUME", "OI"
        );
        for q in &quotes {
            println!(
                "{:<32} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12} {:>10}",
                format!("{}:{}", q.key.exchange.code(), q.key.trading_symbol),
                cell(Some(q.ltp)),
                cell(q.bid),
                cell(q.ask),
                cell(Some(q.open)),
                cell(Some(q.high)),
                cell(Some(q.low)),
                cell(Some(q.close)),
                q.volume
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "-".into()),
                q.oi.map(|o| o.to_string()).unwrap_or_else(|| "-".into())
            );
        }
    }
    let missing = args.symbols.len() - quotes.len();
    if missing > 0 {
        eprintln!("{missing} instrument(s) not quoted by the broker (unknown symbol?)");
    }
    Ok(ExitCode::SUCCESS)
}
