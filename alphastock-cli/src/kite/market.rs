//! Market data: full quotes (`GET /quote?i=EXCHANGE:SYMBOL&i=..`, at most 500 instruments a
//! call, with `depth` of five levels a side, `volume` and `oi`) and historical candles
//! (`GET /instruments/historical/{instrument_token}/{interval}?from=&to=`, rows `[ts, o, h, l,
//! c, v(, oi)]` stamped like `2019-12-04T09:15:00+0530`). The answers have the shapes mStock's
//! reader already reads (`quote.json` and `historical_minute.json` of
//! `zerodha/kiteconnect-mocks`), so the same parsers serve.

use alphastock_core::market::{Candle, IstTime, Symbol};

use super::client::KiteClient;
use super::limits;
use crate::broker::{BrokerQuote, InstrumentKey};
use crate::mstock::historical::parse_candles;
use crate::mstock::quotes::{instrument_id, parse_quotes};
use crate::net::http::{json_data, Request};
use crate::net::pipeline::Idempotency;
use crate::net::ApiError;

/// Route of the full quote.
pub const QUOTE_PATH: &str = "quote";
/// Instruments one `/quote` call may ask for (Kite Connect v3 docs, "Market quotes").
pub const MAX_QUOTE_INSTRUMENTS: usize = 500;

impl KiteClient {
    /// Full quotes of `keys`, `quote_batch_size` (at most 500) instruments a call; `received`
    /// stamps them. Depth, volume and OI are read from the answer.
    pub fn quotes(
        &mut self,
        keys: &[InstrumentKey],
        received: IstTime,
    ) -> Result<Vec<BrokerQuote>, ApiError> {
        let batch = (self.cfg.quote_batch_size as usize).clamp(1, MAX_QUOTE_INSTRUMENTS);
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(batch) {
            let mut req = Request::get(QUOTE_PATH);
            req.query = chunk
                .iter()
                .map(|k| ("i".to_string(), instrument_id(k)))
                .collect();
            let quotes = self.call(limits::QUOTE, Idempotency::Read, &req, |raw| {
                parse_quotes(chunk, &json_data(raw)?, received)
            })?;
            out.extend(quotes);
        }
        Ok(out)
    }

    /// Candles of `instrument_token` at `interval` (`minute`, `5minute`, ...) between `from`
    /// and `to` (IST), oldest first, stamped with `symbol`. A read, so retried.
    pub fn historical_candles(
        &mut self,
        symbol: &Symbol,
        instrument_token: &str,
        interval: &str,
        from: IstTime,
        to: IstTime,
    ) -> Result<Vec<Candle>, ApiError> {
        let mut req = Request::get(format!(
            "instruments/historical/{instrument_token}/{interval}"
        ));
        // The SDK's `historical_data` sends `yyyy-mm-dd HH:MM:SS`.
        req.query = vec![
            (
                "from".to_string(),
                from.format("%Y-%m-%d %H:%M:%S").to_string(),
            ),
            ("to".to_string(), to.format("%Y-%m-%d %H:%M:%S").to_string()),
        ];
        self.call(limits::HISTORICAL, Idempotency::Read, &req, |raw| {
            parse_candles(symbol, &json_data(raw)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alphastock_core::market::{Exchange, IST};
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    #[test]
    fn a_full_quote_gives_depth_volume_and_oi() {
        // `quote.json` of zerodha/kiteconnect-mocks (commit c7a8123), NSE:INFY, cut to the
        // fields read; an NFO entry in the same shape carries `oi`.
        let data = serde_json::json!({
            "NSE:INFY": {"instrument_token": 408065, "timestamp": "2021-06-08 15:45:56",
                "last_price": 1412.95, "volume": 7360198, "oi": 0,
                "ohlc": {"open": 1396, "high": 1421.75, "low": 1395.55, "close": 1389.65},
                "depth": {"buy": [{"price": 0, "quantity": 0, "orders": 0}],
                          "sell": [{"price": 1412.95, "quantity": 5191, "orders": 13}]}},
            "NFO:NIFTY25DEC24000CE": {"last_price": 112.5, "volume": 1250000, "oi": 4523100,
                "ohlc": {"open": 100, "high": 130, "low": 95.5, "close": 98},
                "depth": {"buy": [{"price": 112.45, "quantity": 750, "orders": 3}],
                          "sell": [{"price": 112.6, "quantity": 1500, "orders": 5}]}}
        });
        let keys = [
            InstrumentKey {
                exchange: Exchange::Nse,
                trading_symbol: "INFY".into(),
            },
            InstrumentKey {
                exchange: Exchange::Nfo,
                trading_symbol: "NIFTY25DEC24000CE".into(),
            },
        ];
        let at = IST.with_ymd_and_hms(2025, 12, 1, 10, 0, 0).unwrap();
        let q = parse_quotes(&keys, &data, at).unwrap();
        assert_eq!(q[0].ltp, dec!(1412.95));
        assert_eq!((q[0].bid, q[0].ask), (None, Some(dec!(1412.95))));
        assert_eq!(q[0].volume, Some(7_360_198));
        assert_eq!(q[0].close, dec!(1389.65));
        assert_eq!(
            (q[1].bid, q[1].ask),
            (Some(dec!(112.45)), Some(dec!(112.6)))
        );
        assert_eq!(q[1].oi, Some(4_523_100));
    }

    #[test]
    fn kite_candles_with_oi_are_read() {
        // `historical_oi.json` of zerodha/kiteconnect-mocks: `+0530` stamps, a seventh OI field.
        let data = serde_json::json!({"candles": [
            ["2019-12-04T09:15:00+0530", 12009.9, 12019.35, 12001.25, 12001.5, 163275, 13667775],
            ["2019-12-04T09:16:00+0530", 12001, 12003, 11998.25, 12001, 105750, 13667775]
        ]});
        let sym = Symbol::parse("NIFTY").unwrap();
        let c = parse_candles(&sym, &data).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0].timestamp,
            IST.with_ymd_and_hms(2019, 12, 4, 9, 15, 0).unwrap()
        );
        assert_eq!(
            (c[0].open, c[0].close, c[0].volume),
            (dec!(12009.9), dec!(12001.5), 163_275)
        );
    }
}
