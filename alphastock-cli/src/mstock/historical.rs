//! Historical candles for the warm start: `GET openapi/typea/instruments/historical/{exchange}/
//! {instrument_token}/{interval}` with `from` and `to` (`YYYY-MM-DD HH:MM:SS`, IST), at most
//! [`MAX_BARS_PER_CALL`] bars a call.
//!
//! Route: the broker's official Node SDK (`MiraeAsset-mStock/nodetradingapi-typeA`,
//! `constants/routes.ts`, `historicalcandledata`, read December 2026) has
//! `{exchange}/{instrument_token}/{interval}` and calls it as `("NSE", 26000, "day")` for the
//! NIFTY 50 index (`examples/mconnect.ts`) and `("BFO", 875891, "minute")` for a BSE option
//! (`test/test.ts`): the first slot is the exchange code, the second the script master's
//! instrument token. `reference/mstock-api.md` and a public client agree on the three slots;
//! only the older Python SDK copy (`tradingapi_a/__config__.py`, `historical_chart`) omits the
//! exchange, so the newer SDK is followed.
//!
//! Each bar is `[timestamp, open, high, low, close, volume]`, the timestamp with a two-digit
//! offset such as `2025-01-06T09:45:00+05` (the SDK's recorded `mock_responses/
//! historical_chart.json`). Read literally, +05:00 would put that day's last hourly bar at
//! 15:45 IST, after the close; read as IST wall time (a truncated +05:30), every bar lies in the
//! session. So a `+05` offset is taken as IST; a full offset (`+05:30`, `Z`) is honoured.

use chrono::{DateTime, NaiveDateTime, TimeZone};
use serde_json::Value;

use alphastock_core::market::{Candle, IstTime, Symbol, IST};

use super::client::{Idempotency, MstockClient};
use super::error::MstockError;
use super::fields::{dec_of, int_of};
use super::http::{json_data, Request};
use super::limits;

/// Most bars the broker returns in one call.
pub const MAX_BARS_PER_CALL: usize = 1000;

/// A broker timestamp as IST: RFC 3339 with a full offset, or wall-clock IST digits with a
/// truncated `+05` (or no) offset. `None` when unreadable.
pub fn parse_broker_time(s: &str) -> Option<IstTime> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&IST));
    }
    let naive_text = s
        .strip_suffix("+05")
        .or_else(|| s.strip_suffix("+0530"))
        .unwrap_or(s);
    let naive = NaiveDateTime::parse_from_str(naive_text, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(naive_text, "%Y-%m-%d %H:%M:%S"))
        .ok()?;
    IST.from_local_datetime(&naive).single()
}

/// Reads the `data` of a historical answer (`{"candles": [[ts, o, h, l, c, v], ...]}`) into
/// candles of `symbol`, oldest first. A malformed bar is an error naming its index.
pub fn parse_candles(symbol: &Symbol, data: &Value) -> Result<Vec<Candle>, MstockError> {
    let rows = match data.get("candles") {
        Some(Value::Array(rows)) => rows,
        Some(Value::Null) | None => return Ok(Vec::new()),
        Some(_) => {
            return Err(MstockError::Malformed(
                "historical answer: `data.candles` is not a list".to_string(),
            ))
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let bad =
            |what: &str| MstockError::Malformed(format!("historical answer: candle {i}: {what}"));
        let cells = row.as_array().ok_or_else(|| bad("not a list"))?;
        if cells.len() < 6 {
            return Err(bad("fewer than 6 fields"));
        }
        let timestamp = cells[0]
            .as_str()
            .and_then(parse_broker_time)
            .ok_or_else(|| bad("unreadable timestamp"))?;
        let wrap = serde_json::json!({"o": cells[1], "h": cells[2], "l": cells[3], "c": cells[4], "v": cells[5]});
        let price = |k: &str| dec_of(&wrap, &[k]).ok_or_else(|| bad("unreadable price"));
        let (open, high, low, close) = (price("o")?, price("h")?, price("l")?, price("c")?);
        if low > high || open < low || open > high || close < low || close > high {
            return Err(bad("open/close outside low–high"));
        }
        let volume = int_of(&wrap, &["v"])
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| bad("unreadable volume"))?;
        out.push(Candle {
            symbol: symbol.clone(),
            timestamp,
            open,
            high,
            low,
            close,
            volume,
        });
    }
    out.sort_by_key(|c| c.timestamp);
    Ok(out)
}

impl MstockClient {
    /// Up to [`MAX_BARS_PER_CALL`] candles of `symbol` (broker `exchange` code such as `NSE`
    /// and `instrument_token`, `interval` such as `5minute`) between `from` and `to` (IST),
    /// oldest first, stamped with `symbol`. A read, so retried; counts against the
    /// market-data limits.
    pub fn historical_candles(
        &mut self,
        symbol: &Symbol,
        exchange: &str,
        instrument_token: &str,
        interval: &str,
        from: IstTime,
        to: IstTime,
    ) -> Result<Vec<Candle>, MstockError> {
        let mut req = Request::get(format!(
            "openapi/typea/instruments/historical/{exchange}/{instrument_token}/{interval}"
        ));
        req.query = vec![
            (
                "from".to_string(),
                from.format("%Y-%m-%d %H:%M:%S").to_string(),
            ),
            ("to".to_string(), to.format("%Y-%m-%d %H:%M:%S").to_string()),
        ];
        let mut candles = self.call(limits::QUOTES, Idempotency::Read, &req, |raw| {
            parse_candles(symbol, &json_data(raw)?)
        })?;
        if candles.len() > MAX_BARS_PER_CALL {
            candles.drain(..candles.len() - MAX_BARS_PER_CALL);
        }
        Ok(candles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn plus_05_timestamps_are_ist_wall_time_and_full_offsets_are_honoured() {
        let ist = |h, m| IST.with_ymd_and_hms(2025, 1, 6, h, m, 0).unwrap();
        assert_eq!(
            parse_broker_time("2025-01-06T09:45:00+05"),
            Some(ist(9, 45))
        );
        assert_eq!(
            parse_broker_time("2025-01-06T15:15:00+05"),
            Some(ist(15, 15))
        );
        assert_eq!(
            parse_broker_time("2025-01-06T09:45:00+05:30"),
            Some(ist(9, 45))
        );
        // 04:15 UTC is 09:45 IST.
        assert_eq!(parse_broker_time("2025-01-06T04:15:00Z"), Some(ist(9, 45)));
        assert_eq!(parse_broker_time("2025-01-06 09:45:00"), Some(ist(9, 45)));
        assert_eq!(parse_broker_time("06/01/2025"), None);
    }

    #[test]
    fn candles_are_read_in_order_and_a_bad_bar_is_named() {
        let sym = Symbol::parse("BANKNIFTY").unwrap();
        let data = serde_json::json!({"candles": [
            ["2025-01-06T10:45:00+05", 4100, 4140.1, 4094.75, 4134.7, 357814],
            ["2025-01-06T09:45:00+05", 4119.95, 4148.45, 4108.75, 4125.55, 438477]
        ]});
        let c = parse_candles(&sym, &data).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0].timestamp,
            IST.with_ymd_and_hms(2025, 1, 6, 9, 45, 0).unwrap()
        );
        assert_eq!(
            (c[0].open, c[0].high, c[0].low, c[0].close, c[0].volume),
            (
                dec!(4119.95),
                dec!(4148.45),
                dec!(4108.75),
                dec!(4125.55),
                438_477
            )
        );
        assert_eq!(c[1].close, dec!(4134.7));
        let bad = serde_json::json!({"candles": [
            ["2025-01-06T09:45:00+05", 1, 2, 0.5, 1.5, 10],
            ["2025-01-06T10:45:00+05", 1, 2, 3, 1.5, 10]
        ]});
        let err = parse_candles(&sym, &bad).unwrap_err();
        assert!(err.to_string().contains("candle 1"), "{err}");
        assert_eq!(parse_candles(&sym, &serde_json::json!({})).unwrap(), vec![]);
    }
}
