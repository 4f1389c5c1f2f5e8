//! Quotes for many instruments per call: `GET openapi/typea/instruments/quote/ohlc` with `i=`
//! repeated, in batches of `quote_batch_size`.

use serde_json::Value;

use alphastock_core::market::IstTime;

use super::client::{Idempotency, MstockClient};
use super::error::MstockError;
use super::fields::{dec_of, field, int_of};
use super::http::{json_data, Request};
use super::rate_limit::EndpointClass;
use crate::broker::{BrokerQuote, InstrumentKey};

/// Route of the OHLC + LTP quote.
pub const QUOTE_PATH: &str = "openapi/typea/instruments/quote/ohlc";

/// `EXCHANGE:SYMBOL` for a key, as the quote call and its answer spell it.
pub fn instrument_id(key: &InstrumentKey) -> String {
    format!("{}:{}", key.exchange.code(), key.trading_symbol)
}

/// Reads one instrument's entry of a quote answer. `None` when it has no last price.
pub fn parse_quote(key: &InstrumentKey, v: &Value, received: IstTime) -> Option<BrokerQuote> {
    let ltp = dec_of(v, &["last_price", "ltp"])?;
    let ohlc = v.get("ohlc").unwrap_or(&Value::Null);
    let best = |side: &str| {
        v.get("depth")
            .and_then(|d| d.get(side))
            .and_then(|s| s.get(0))
            .and_then(|lvl| dec_of(lvl, &["price"]))
            .filter(|p| !p.is_zero())
    };
    Some(BrokerQuote {
        key: key.clone(),
        ltp,
        open: dec_of(ohlc, &["open"]).unwrap_or(ltp),
        high: dec_of(ohlc, &["high"]).unwrap_or(ltp),
        low: dec_of(ohlc, &["low"]).unwrap_or(ltp),
        close: dec_of(ohlc, &["close"]).unwrap_or(ltp),
        bid: best("buy"),
        ask: best("sell"),
        volume: int_of(v, &["volume", "volume_traded"])
            .and_then(|x| u64::try_from(x).ok())
            .unwrap_or(0),
        oi: field(v, &["oi", "open_interest"])
            .and_then(|_| int_of(v, &["oi", "open_interest"]))
            .and_then(|x| u64::try_from(x).ok()),
        timestamp: received,
    })
}

/// Reads a quote answer's `data` for the requested keys, in request order; instruments the
/// broker left out are skipped.
pub fn parse_quotes(
    keys: &[InstrumentKey],
    data: &Value,
    received: IstTime,
) -> Result<Vec<BrokerQuote>, MstockError> {
    if !data.is_object() {
        return Err(MstockError::Malformed(
            "quote answer `data` is not an object keyed by EXCHANGE:SYMBOL".to_string(),
        ));
    }
    Ok(keys
        .iter()
        .filter_map(|k| {
            let entry = data.get(instrument_id(k))?;
            parse_quote(k, entry, received)
        })
        .collect())
}

impl MstockClient {
    /// Quotes `keys`, `quote_batch_size` instruments per call; `received` stamps them.
    pub fn quotes(
        &mut self,
        keys: &[InstrumentKey],
        received: IstTime,
    ) -> Result<Vec<BrokerQuote>, MstockError> {
        let batch = self.cfg.quote_batch_size.max(1) as usize;
        let mut out = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(batch) {
            let mut req = Request::get(QUOTE_PATH);
            req.query = chunk
                .iter()
                .map(|k| ("i".to_string(), instrument_id(k)))
                .collect();
            let quotes = self.call(EndpointClass::Quotes, Idempotency::Read, &req, |raw| {
                parse_quotes(chunk, &json_data(raw)?, received)
            })?;
            out.extend(quotes);
        }
        Ok(out)
    }
}
