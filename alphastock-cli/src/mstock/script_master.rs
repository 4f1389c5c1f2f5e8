//! The script master: the broker's CSV list of every instrument, parsed into records with lot
//! size, tick size and expiry, and cached on disk for the day.

use std::collections::HashMap;
use std::path::PathBuf;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use alphastock_core::market::{Exchange, OptionContract, OptionType, Symbol};

use super::cache_dir::ensure_private_dir;
use super::client::{Idempotency, MstockClient};
use super::error::MstockError;
use super::http::{text_body, Request};
use super::limits;

/// Route of the script master CSV.
pub const SCRIPT_MASTER_PATH: &str = "openapi/typea/instruments/scriptmaster";

/// One instrument of the script master.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptRecord {
    /// The broker's instrument token.
    pub instrument_token: String,
    /// Exchange segment.
    pub exchange: Exchange,
    /// Trading symbol, e.g. `BANKNIFTY25DEC51200CE`.
    pub trading_symbol: String,
    /// Underlying name, e.g. `BANKNIFTY`.
    pub name: String,
    /// Expiry date, for derivatives.
    pub expiry: Option<NaiveDate>,
    /// Strike, rupees, for options.
    pub strike: Option<Decimal>,
    /// Price step, rupees.
    pub tick_size: Decimal,
    /// Units per lot.
    pub lot_size: u32,
    /// Instrument type (`CE`, `PE`, `FUT`, `EQ`, ...).
    pub instrument_type: String,
}

impl ScriptRecord {
    /// The option contract this record describes, when it is a CE/PE with expiry and strike.
    pub fn option_contract(&self) -> Option<OptionContract> {
        let option_type = OptionType::from_str(&self.instrument_type).ok()?;
        Some(OptionContract {
            underlying: Symbol::from_str(&self.name).ok()?,
            expiry: self.expiry?,
            strike: self.strike?,
            option_type,
            lot_size: self.lot_size,
            tick_size: self.tick_size,
            trading_symbol: self.trading_symbol.clone(),
            exchange: self.exchange,
        })
    }
}

impl ScriptRecord {
    /// The option contract this record describes, its underlying named as in `underlyings`
    /// (the config's symbols): the script master names a stock option's underlying `SBIN`
    /// where the config says `NSE:SBIN`, so the match is on the name without the exchange
    /// prefix. `None` when it is not an option or its underlying is not among `underlyings`.
    pub fn option_contract_for(&self, underlyings: &[Symbol]) -> Option<OptionContract> {
        let mut contract = self.option_contract()?;
        let name = contract.underlying.name().to_string();
        let configured = underlyings.iter().find(|u| u.name() == name)?;
        contract.underlying = configured.clone();
        Some(contract)
    }
}

/// Splits one CSV line (RFC 4180 quoting).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%Y-%m-%d", "%d-%b-%Y", "%d-%m-%Y", "%d%b%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// Parses the script master CSV by its header names (case-insensitive). Rows with an unknown
/// exchange or a missing symbol are skipped; a missing required column is an error.
pub fn parse_script_master(csv: &str) -> Result<Vec<ScriptRecord>, MstockError> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .ok_or_else(|| MstockError::Malformed("script master is empty".to_string()))?;
    let cols: HashMap<String, usize> = split_csv(header)
        .into_iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_ascii_lowercase(), i))
        .collect();
    let col = |names: &[&str]| names.iter().find_map(|n| cols.get(*n).copied());
    let need = |names: &[&str]| {
        col(names).ok_or_else(|| {
            MstockError::Malformed(format!("script master has no `{}` column", names[0]))
        })
    };
    let c_token = need(&["instrument_token", "token"])?;
    let c_exch = need(&["exchange"])?;
    let c_sym = need(&["tradingsymbol", "trading_symbol", "symbol"])?;
    let c_name = col(&["name", "underlying"]);
    let c_expiry = col(&["expiry", "expiry_date"]);
    let c_strike = col(&["strike", "strike_price"]);
    let c_tick = col(&["tick_size"]);
    let c_lot = need(&["lot_size", "lotsize"])?;
    let c_type = col(&["instrument_type", "option_type"]);
    let mut out = Vec::new();
    for line in lines {
        let f = split_csv(line);
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).map(|s| s.trim()).unwrap_or("");
        let Ok(exchange) = Exchange::from_str(get(Some(c_exch))) else {
            continue;
        };
        let trading_symbol = get(Some(c_sym)).to_string();
        if trading_symbol.is_empty() {
            continue;
        }
        out.push(ScriptRecord {
            instrument_token: get(Some(c_token)).to_string(),
            exchange,
            trading_symbol,
            name: get(c_name).to_string(),
            expiry: parse_date(get(c_expiry)),
            strike: Decimal::from_str(get(c_strike))
                .ok()
                .filter(|s| !s.is_zero()),
            tick_size: Decimal::from_str(get(c_tick))
                .ok()
                .filter(|t| *t > Decimal::ZERO)
                .unwrap_or(Decimal::new(5, 2)),
            lot_size: get(Some(c_lot)).parse::<u32>().unwrap_or(1).max(1),
            instrument_type: get(c_type).to_ascii_uppercase(),
        });
    }
    Ok(out)
}

impl MstockClient {
    /// The script master CSV file cached for `day`.
    pub fn script_master_cache_path(&self, day: NaiveDate) -> PathBuf {
        PathBuf::from(&self.cfg.token_cache_dir).join(format!("scriptmaster-{day}.csv"))
    }

    /// The script master for `day`: from the day's cache file when present, else downloaded
    /// (retried as a read) and cached (not cached when no cache directory is known).
    pub fn script_master(&mut self, day: NaiveDate) -> Result<Vec<ScriptRecord>, MstockError> {
        let path = self.script_master_cache_path(day);
        let cached = !self.cfg.token_cache_dir.trim().is_empty();
        if cached {
            if let Ok(text) = std::fs::read_to_string(&path) {
                if let Ok(records) = parse_script_master(&text) {
                    return Ok(records);
                }
            }
        }
        let req = Request::get(SCRIPT_MASTER_PATH);
        let text = self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            let body = text_body(raw)?;
            parse_script_master(&body)?;
            Ok(body)
        })?;
        if !cached {
            return parse_script_master(&text);
        }
        if let Some(dir) = path.parent() {
            if let Err(e) = ensure_private_dir(dir) {
                tracing::warn!(error = %e, "cannot cache the script master");
            }
        }
        if let Err(e) = std::fs::write(&path, &text) {
            tracing::warn!(path = %path.display(), error = %e, "cannot cache the script master");
        }
        parse_script_master(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_options_with_lot_tick_and_expiry() {
        let csv = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n\
                   35001,136,BANKNIFTY25DEC51200CE,BANKNIFTY,0,2025-12-30,51200,0.05,35,CE,NFO-OPT,NFO\n\
                   3045,3045,SBIN,\"STATE BANK, OF INDIA\",0,,0,0.05,1,EQ,NSE,NSE\n\
                   9,9,X,Y,0,,0,0.05,1,EQ,MCX,MCX\n";
        let r = parse_script_master(csv).unwrap();
        assert_eq!(r.len(), 2);
        let c = r[0].option_contract().unwrap();
        assert_eq!(c.lot_size, 35);
        assert_eq!(c.strike, Decimal::from(51200));
        assert_eq!(c.expiry, NaiveDate::from_ymd_opt(2025, 12, 30).unwrap());
        assert_eq!(c.option_type, OptionType::CE);
        assert_eq!(r[1].name, "STATE BANK, OF INDIA");
        assert!(r[1].option_contract().is_none());
        assert!(parse_script_master("exchange,tradingsymbol\nNSE,SBIN\n").is_err());
    }

    #[test]
    fn stock_options_match_the_configs_exchange_prefixed_symbol() {
        let csv = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n\
                   35001,136,BANKNIFTY25DEC51200CE,BANKNIFTY,0,2025-12-30,51200,0.05,35,CE,NFO-OPT,NFO\n\
                   41001,411,SBIN25DEC800PE,SBIN,0,2025-12-30,800,0.05,750,PE,NFO-OPT,NFO\n\
                   41002,412,INFY25DEC1500CE,INFY,0,2025-12-30,1500,0.05,400,CE,NFO-OPT,NFO\n";
        let r = parse_script_master(csv).unwrap();
        let config = [
            Symbol::parse("BANKNIFTY").unwrap(),
            Symbol::parse("NSE:SBIN").unwrap(),
        ];
        let matched: Vec<String> = r
            .iter()
            .filter_map(|x| x.option_contract_for(&config))
            .map(|c| format!("{} {}", c.underlying, c.trading_symbol))
            .collect();
        assert_eq!(
            matched,
            vec!["BANKNIFTY BANKNIFTY25DEC51200CE", "NSE:SBIN SBIN25DEC800PE"]
        );
        // The bare record alone names it `SBIN`, which the config's `NSE:SBIN` is not.
        assert_ne!(r[1].option_contract().unwrap().underlying, config[1]);
    }
}
