//! Quotes for many instruments per call: `GET openapi/typea/instruments/quote/ohlc` with `i=`
//! repeated, in batches of `quote_batch_size`.
//!
//! Why this endpoint for options too: the broker's official SDKs (read December 2026) have no
//! REST call that returns market depth. The Python SDK (`MiraeAsset-mStock/pytradingapi-typeA`,
//! `tradingapi_a/__config__.py`) routes only `quote/ohlc` and `quote/ltp`; the Node SDK
//! (`MiraeAsset-mStock/nodetradingapi-typeA`, `constants/routes.ts`) adds historical and
//! intraday candles, `getoptionchainmaster` and `GetOptionChain`, whose answer shape neither
//! SDK documents (a public client reads it as `token,strike,OI,volume` rows: OI and volume, no
//! bid or ask). Best bid/ask, volume and OI appear in the SDKs only in the WebSocket ticker's
//! `full` mode (`types/index.ts`, `FeedData`: `Bids`, `Offers`, `Volume`, `OI`). So this client
//! reads `depth`, `volume` and `oi` when an answer carries them and otherwise leaves them
//! unknown (`None`), never zero: the liquidity filters then say which field they could not
//! check, and no implied vol is computed without a two-sided quote.

use rust_decimal::Decimal;
use serde_json::Value;

use alphastock_core::market::IstTime;

use super::client::{Idempotency, MstockClient};
use super::error::MstockError;
use super::fields::{dec_of, int_of};
use super::http::{json_data, Request};
use super::limits;
use crate::broker::{BrokerQuote, InstrumentKey};

/// Route of the OHLC + LTP quote.
pub const QUOTE_PATH: &str = "openapi/typea/instruments/quote/ohlc";

/// `EXCHANGE:SYMBOL` for a key, as the quote call and its answer spell it.
pub fn instrument_id(key: &InstrumentKey) -> String {
    format!("{}:{}", key.exchange.code(), key.trading_symbol)
}

/// True when `ltp` is of the same magnitude as the day's range: within half the low and twice
/// the high. One of the broker's documentation samples shows the LTP in paise (100× the
/// OHLC); a last price far outside the day's range is a unit error, not a price. Without a
/// usable range (no OHLC, zeros before the first trade, high below low) nothing can be checked
/// and the LTP is accepted.
pub fn ltp_magnitude_sane(ltp: Decimal, low: Option<Decimal>, high: Option<Decimal>) -> bool {
    match (low, high) {
        (Some(lo), Some(hi)) if lo > Decimal::ZERO && hi >= lo => {
            ltp >= lo / Decimal::TWO && ltp <= hi * Decimal::TWO
        }
        _ => true,
    }
}

/// Reads one instrument's entry of a quote answer. `None` when it has no last price, or when
/// the last price fails [`ltp_magnitude_sane`] against the entry's own OHLC (logged).
pub fn parse_quote(key: &InstrumentKey, v: &Value, received: IstTime) -> Option<BrokerQuote> {
    let ltp = dec_of(v, &["last_price", "ltp"])?;
    let ohlc = v.get("ohlc").unwrap_or(&Value::Null);
    let (low, high) = (dec_of(ohlc, &["low"]), dec_of(ohlc, &["high"]));
    if !ltp_magnitude_sane(ltp, low, high) {
        tracing::warn!(
            instrument = %instrument_id(key),
            %ltp,
            low = ?low,
            high = ?high,
            "quote dropped: last price is not of the magnitude of the day's range (paise for rupees?)"
        );
        return None;
    }
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
        volume: int_of(v, &["volume", "volume_traded"]).and_then(|x| u64::try_from(x).ok()),
        oi: int_of(v, &["oi", "open_interest"]).and_then(|x| u64::try_from(x).ok()),
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
            let quotes = self.call(limits::QUOTES, Idempotency::Read, &req, |raw| {
                parse_quotes(chunk, &json_data(raw)?, received)
            })?;
            out.extend(quotes);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ltp_in_paise_is_refused_and_ordinary_prices_pass() {
        // 28,005 paise against a 262.15–322.5 rupee day: 28,005 > 2 × 322.5 = 645.
        assert!(!ltp_magnitude_sane(
            dec!(28005),
            Some(dec!(262.15)),
            Some(dec!(322.5))
        ));
        assert!(ltp_magnitude_sane(
            dec!(280.05),
            Some(dec!(262.15)),
            Some(dec!(322.5))
        ));
        // The bounds themselves: half the low and twice the high.
        assert!(ltp_magnitude_sane(
            dec!(131.075),
            Some(dec!(262.15)),
            Some(dec!(322.5))
        ));
        assert!(!ltp_magnitude_sane(
            dec!(131.07),
            Some(dec!(262.15)),
            Some(dec!(322.5))
        ));
        assert!(ltp_magnitude_sane(
            dec!(645),
            Some(dec!(262.15)),
            Some(dec!(322.5))
        ));
        assert!(!ltp_magnitude_sane(
            dec!(645.05),
            Some(dec!(262.15)),
            Some(dec!(322.5))
        ));
        // Nothing to check against: accepted.
        assert!(ltp_magnitude_sane(
            dec!(28005),
            Some(dec!(0)),
            Some(dec!(0))
        ));
        assert!(ltp_magnitude_sane(dec!(28005), None, None));
    }
}
