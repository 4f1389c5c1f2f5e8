//! The instrument lists: `GET /instruments/{exchange}`, a CSV with the columns
//! `instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,
//! lot_size,instrument_type,segment,exchange` (the SDK's `_parse_instruments`; a sample is
//! `instruments_all.csv` of `zerodha/kiteconnect-mocks`). They are the columns mStock's script
//! master has, so the same reader makes the same records: lot, tick, expiry and strike of every
//! contract, for the live loop's option chains, the warm start's instrument tokens and the
//! config check's symbol list. Each exchange's list is cached for the day in the cache
//! directory (`kite-instruments-{EXCHANGE}-{date}.csv`).

use std::path::PathBuf;

use chrono::NaiveDate;

use alphastock_core::market::Exchange;

use super::client::KiteClient;
use super::limits;
use crate::mstock::script_master::{parse_script_master, ScriptRecord};
use crate::net::cache_dir::ensure_private_dir;
use crate::net::http::{text_body, Request};
use crate::net::pipeline::Idempotency;
use crate::net::ApiError;

/// File-name prefix of the cached lists (the config check reads the newest).
pub const CACHE_PREFIX: &str = "kite-instruments-";

/// The exchanges whose lists a live run reads: NSE (stocks and the indices' tokens) and NFO
/// (index and stock options).
pub const LIVE_EXCHANGES: [Exchange; 2] = [Exchange::Nse, Exchange::Nfo];

/// Parses one list and fills a derivative's empty `name` from its trading symbol (the letters
/// before the first digit: `BANKNIFTY18JAN23500CE` → `BANKNIFTY`), as older lists leave it
/// empty (`instruments_all.csv` of the mocks).
pub fn parse_instruments(csv: &str) -> Result<Vec<ScriptRecord>, ApiError> {
    let mut records = parse_script_master(csv)?;
    for r in &mut records {
        if r.name.is_empty() && r.exchange.is_derivatives() {
            r.name = r
                .trading_symbol
                .chars()
                .take_while(|c| !c.is_ascii_digit())
                .collect();
        }
    }
    Ok(records)
}

impl KiteClient {
    /// The cache file of `exchange`'s list for `day`.
    pub fn instruments_cache_path(&self, exchange: Exchange, day: NaiveDate) -> PathBuf {
        PathBuf::from(&self.cfg.token_cache_dir)
            .join(format!("{CACHE_PREFIX}{}-{day}.csv", exchange.code()))
    }

    /// `exchange`'s list for `day`: the day's cache file when present, else downloaded (a read,
    /// retried) and cached.
    pub fn instruments(
        &mut self,
        exchange: Exchange,
        day: NaiveDate,
    ) -> Result<Vec<ScriptRecord>, ApiError> {
        let path = self.instruments_cache_path(exchange, day);
        let cached = !self.cfg.token_cache_dir.trim().is_empty();
        if cached {
            if let Ok(records) = std::fs::read_to_string(&path)
                .map_err(|e| ApiError::Local(e.to_string()))
                .and_then(|t| parse_instruments(&t))
            {
                return Ok(records);
            }
        }
        let req = Request::get(format!("instruments/{}", exchange.code()));
        let text = self.call(limits::OTHER, Idempotency::Read, &req, |raw| {
            let body = text_body(raw)?;
            parse_instruments(&body)?;
            Ok(body)
        })?;
        if cached {
            let written = path
                .parent()
                .map_or(Ok(()), ensure_private_dir)
                .and_then(|()| {
                    std::fs::write(&path, &text).map_err(|e| ApiError::Local(e.to_string()))
                });
            if let Err(e) = written {
                tracing::warn!(path = %path.display(), error = %e, "cannot cache the instrument list");
            }
        }
        parse_instruments(&text)
    }

    /// The lists of [`LIVE_EXCHANGES`] for `day`, joined.
    pub fn live_instruments(&mut self, day: NaiveDate) -> Result<Vec<ScriptRecord>, ApiError> {
        let mut out = Vec::new();
        for exchange in LIVE_EXCHANGES {
            out.extend(self.instruments(exchange, day)?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alphastock_core::market::OptionType;
    use rust_decimal::Decimal;

    #[test]
    fn the_mock_list_gives_lot_tick_expiry_and_strike() {
        // Rows of `instruments_all.csv` in zerodha/kiteconnect-mocks (commit c7a8123), plus
        // an index row as Kite's NSE list carries it (token 260105 for NIFTY BANK).
        let csv = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n\
                   3813889,14898,CENTRALBK-BE,CENTRAL BANK OF INDIA,0.0,,0.0,0.05,1,EQ,NSE,NSE\n\
                   12073986,47164,BANKNIFTY18JAN23500CE,,2528.4,2018-01-25,23500.0,0.05,40,CE,NFO-OPT,NFO\n\
                   13693186,53489,ADANIPORTS17DEC490PE,,80.65,2017-12-28,490.0,0.05,2500,PE,NFO-OPT,NFO\n\
                   260105,1016,NIFTY BANK,NIFTY BANK,0.0,,0.0,0.0,0,EQ,INDICES,NSE\n\
                   53496327,209751,LEADMINI17DECFUT,LEADMINI,161.05,2017-12-29,0.0,0.05,1,FUT,MCX-FUT,MCX\n";
        let r = parse_instruments(csv).unwrap();
        assert_eq!(r.len(), 4, "the MCX row is skipped");
        let c = r[1].option_contract().unwrap();
        assert_eq!(c.underlying.name(), "BANKNIFTY");
        assert_eq!(c.lot_size, 40);
        assert_eq!(c.tick_size, Decimal::new(5, 2));
        assert_eq!(c.strike, Decimal::from(23500));
        assert_eq!(c.expiry, NaiveDate::from_ymd_opt(2018, 1, 25).unwrap());
        assert_eq!(c.option_type, OptionType::CE);
        let p = r[2].option_contract().unwrap();
        assert_eq!((p.underlying.name(), p.lot_size), ("ADANIPORTS", 2500));
        assert_eq!(r[3].instrument_token, "260105");
        assert_eq!(r[3].trading_symbol, "NIFTY BANK");
        assert!(r[0].option_contract().is_none());
    }
}
