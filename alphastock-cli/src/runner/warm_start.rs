//! Warm start: before the first live (or paper) bar, each watched underlying's strategies are
//! seeded with completed candles from before the session ([`Engine::warm_up`]), so a strategy
//! that needs 20 bars can fire on the session's first bar. One line per underlying says how
//! many bars seeded it, or why none did; a failure to get history never stops the run (the
//! underlying starts cold).
//!
//! Live, the bars come from the broker's historical candles ([`HistorySource`]: mStock's
//! `MstockClient::historical_candles`, Kite's `KiteClient::historical_candles`), fetched one trading day per call from today backward
//! (a day has at most 375 one-minute bars, inside the broker's 1,000 bars a call) until every
//! strategy of the underlying has its warm-up. Paper runs seed from the simulated session of
//! the day before ([`alphastock_core::sim::warm`]).

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone};

use alphastock_core::engine::Engine;
use alphastock_core::market::{Candle, IstTime, Symbol, IST};
use alphastock_core::sim::warm::previous_trading_day;

use super::live::underlying_key;
use crate::kite::KiteClient;
use crate::mstock::script_master::ScriptRecord;
use crate::mstock::MstockClient;
use crate::net::ApiError;

/// A broker client that serves historical candles.
pub trait HistorySource {
    /// Candles of `symbol` (broker `exchange` code such as `NSE`, `instrument_token`,
    /// `interval` such as `5minute`) between `from` and `to` (IST), oldest first.
    fn candles(
        &mut self,
        symbol: &Symbol,
        exchange: &str,
        instrument_token: &str,
        interval: &str,
        from: IstTime,
        to: IstTime,
    ) -> Result<Vec<Candle>, ApiError>;

    /// Instrument tokens of NSE indices, as (trading symbol, token), to use when this broker's
    /// instrument list lacks the index: only tokens verified for this broker (each broker
    /// numbers instruments its own way); empty when none is.
    fn index_tokens(&self) -> &'static [(&'static str, &'static str)];

    /// What this broker's instrument list is called in a WARM line, e.g. `the script master`.
    fn instrument_list(&self) -> &'static str;
}

impl HistorySource for MstockClient {
    fn candles(
        &mut self,
        symbol: &Symbol,
        exchange: &str,
        instrument_token: &str,
        interval: &str,
        from: IstTime,
        to: IstTime,
    ) -> Result<Vec<Candle>, ApiError> {
        self.historical_candles(symbol, exchange, instrument_token, interval, from, to)
    }

    fn index_tokens(&self) -> &'static [(&'static str, &'static str)] {
        &INDEX_TOKENS
    }

    fn instrument_list(&self) -> &'static str {
        "the script master"
    }
}

/// Kite's route names no exchange: the instrument token is unique across exchanges.
impl HistorySource for KiteClient {
    fn candles(
        &mut self,
        symbol: &Symbol,
        _exchange: &str,
        instrument_token: &str,
        interval: &str,
        from: IstTime,
        to: IstTime,
    ) -> Result<Vec<Candle>, ApiError> {
        self.historical_candles(symbol, instrument_token, interval, from, to)
    }

    fn index_tokens(&self) -> &'static [(&'static str, &'static str)] {
        &KITE_INDEX_TOKENS
    }

    fn instrument_list(&self) -> &'static str {
        "Kite's instrument list"
    }
}

/// Trading days looked back at most for history, today included.
pub const MAX_HISTORY_DAYS: usize = 5;

/// mStock's instrument tokens of NSE indices its script master may not list. From mStock's
/// official Node SDK (`MiraeAsset-mStock/nodetradingapi-typeA`, read December 2026):
/// `examples/mconnect.ts` asks the historical route for `("NSE", 26000, "day")` (NIFTY 50) and
/// `test/test.ts` asks the option chain for underlying token `26009` (NIFTY BANK). Other
/// indices must come from the script master.
/// These are mStock's numbers only: Kite numbers its instruments otherwise
/// ([`KITE_INDEX_TOKENS`]).
pub const INDEX_TOKENS: [(&str, &str); 2] = [("NIFTY 50", "26000"), ("NIFTY BANK", "26009")];

/// Kite's instrument tokens of NSE indices to fall back on: none. Kite's instrument list
/// (`GET /instruments/NSE`) carries its indices, and no official Zerodha source read
/// (`zerodha/pykiteconnect` at f5531bd, April 2026; `zerodha/kiteconnect-mocks` at c7a8123,
/// March 2026) names their tokens: the one use of 256265 in the SDK's repository
/// (`tests/integration/test_connect_read.py`) calls it a "Reliance token", so the figures
/// public clients use for NIFTY 50 and NIFTY BANK are not hard-coded. An index missing from
/// the list starts cold, with a WARM line saying why.
pub const KITE_INDEX_TOKENS: [(&str, &str); 0] = [];

/// The broker's interval name for a history fetch of `candle_minutes`-minute bars and the
/// minutes of one fetched bar: the broker's own interval when it has one (`minute`,
/// `3minute`, `5minute`, `10minute`, `15minute`, `30minute`, `60minute`, as the SDK's callers
/// name them), else one-minute bars that [`resample`] joins.
pub fn history_interval(candle_minutes: u32) -> (String, u32) {
    match candle_minutes {
        1 => ("minute".to_string(), 1),
        3 | 5 | 10 | 15 | 30 | 60 => (format!("{candle_minutes}minute"), candle_minutes),
        _ => ("minute".to_string(), 1),
    }
}

/// Joins bars of one symbol (oldest first) into `minutes`-minute bars aligned to the 09:15
/// open, as the engine builds them from quotes: first open, highest high, lowest low, last
/// close, summed volume. Bars before 09:15 are dropped.
pub fn resample(candles: &[Candle], minutes: u32) -> Vec<Candle> {
    let step = i64::from(minutes.max(1));
    let mut out: Vec<Candle> = Vec::new();
    for c in candles {
        let open_time = NaiveTime::from_hms_opt(9, 15, 0).unwrap_or(NaiveTime::MIN);
        let Some(session_open) = IST
            .from_local_datetime(&c.timestamp.date_naive().and_time(open_time))
            .single()
        else {
            continue;
        };
        let since = (c.timestamp - session_open).num_minutes();
        if since < 0 {
            continue;
        }
        let start = session_open + Duration::minutes(since / step * step);
        match out.last_mut() {
            Some(bar) if bar.timestamp == start && bar.symbol == c.symbol => {
                bar.high = bar.high.max(c.high);
                bar.low = bar.low.min(c.low);
                bar.close = c.close;
                bar.volume = bar.volume.saturating_add(c.volume);
            }
            _ => out.push(Candle {
                timestamp: start,
                ..c.clone()
            }),
        }
    }
    out
}

/// The broker's instrument token of `symbol`'s underlying: the instrument list's NSE record of
/// its name (`NIFTY BANK`, `SBIN`), else the broker's own `fallback` index tokens
/// ([`HistorySource::index_tokens`]).
pub fn history_token(
    symbol: &Symbol,
    records: &[ScriptRecord],
    fallback: &[(&str, &str)],
) -> Option<String> {
    let key = underlying_key(symbol);
    records
        .iter()
        .find(|r| r.exchange == key.exchange && r.trading_symbol == key.trading_symbol)
        .map(|r| r.instrument_token.clone())
        .or_else(|| {
            fallback
                .iter()
                .find(|(name, _)| *name == key.trading_symbol)
                .map(|(_, t)| (*t).to_string())
        })
}

/// The line printed for one underlying's warm start.
pub fn seed_line(symbol: &Symbol, bars: usize, minutes: u32, source: &str) -> String {
    format!("WARM   {symbol}: seeded with {bars} bar(s) of {minutes} min from {source}")
}

/// The line printed when an underlying starts cold, with the reason.
pub fn cold_line(symbol: &Symbol, why: &str) -> String {
    format!("WARM   {symbol}: no history ({why}); starting cold")
}

/// Seeds `engine` from the broker's history at `now` and returns one line per watched
/// underlying. Only bars completed by `now` are used (the bar in progress is built live).
pub fn seed_from_broker(
    engine: &mut Engine,
    client: &mut dyn HistorySource,
    records: &[ScriptRecord],
    now: IstTime,
    holidays: &[NaiveDate],
) -> Vec<String> {
    let minutes = engine.candle_minutes();
    let (interval, fetched_minutes) = history_interval(minutes);
    let mut lines = Vec::new();
    for symbol in engine.symbols() {
        let need = engine.warmup_bars(&symbol);
        if need == 0 {
            continue;
        }
        let Some(token) = history_token(&symbol, records, client.index_tokens()) else {
            let mut why = format!(
                "no instrument token for {} in {}",
                underlying_key(&symbol).trading_symbol,
                client.instrument_list()
            );
            if client.index_tokens().is_empty() {
                why.push_str(", and no verified token of this broker to fall back on");
            }
            lines.push(cold_line(&symbol, &why));
            continue;
        };
        let exchange = underlying_key(&symbol).exchange.code();
        let mut bars: Vec<Candle> = Vec::new();
        let mut day = now.date_naive();
        let mut failure = None;
        for _ in 0..MAX_HISTORY_DAYS {
            let (Some(from), Some(to)) = (
                IST.from_local_datetime(&day.and_hms_opt(9, 15, 0).unwrap_or_default())
                    .single(),
                IST.from_local_datetime(&day.and_hms_opt(15, 30, 0).unwrap_or_default())
                    .single(),
            ) else {
                break;
            };
            if from < now {
                match client.candles(&symbol, exchange, &token, &interval, from, to.min(now)) {
                    Ok(mut got) => {
                        got.retain(|c| {
                            c.timestamp + Duration::minutes(i64::from(fetched_minutes)) <= now
                        });
                        got.extend(bars);
                        // An answer reaching past its day must not count a bar twice.
                        got.sort_by_key(|c| c.timestamp);
                        got.dedup_by_key(|c| c.timestamp);
                        bars = got;
                    }
                    Err(e) => {
                        failure = Some(e.to_string());
                        break;
                    }
                }
            }
            if resample(&bars, minutes).len() >= need {
                break;
            }
            day = previous_trading_day(day, holidays);
        }
        let seeded = if fetched_minutes == minutes {
            bars
        } else {
            resample(&bars, minutes)
        };
        // A bar still in progress at `now` after joining is not complete.
        let seeded: Vec<Candle> = seeded
            .into_iter()
            .filter(|c| c.timestamp + Duration::minutes(i64::from(minutes)) <= now)
            .collect();
        match (failure, seeded.is_empty()) {
            (Some(why), true) => {
                tracing::warn!(%symbol, error = %why, "history unavailable; starting cold");
                lines.push(cold_line(&symbol, &format!("history call failed: {why}")));
            }
            (None, true) => lines.push(cold_line(&symbol, "the broker returned no candles")),
            (_, false) => {
                let used = engine.warm_up(&seeded);
                let mut line = seed_line(&symbol, used, minutes, "the broker's history");
                if used < need {
                    line.push_str(&format!(" (its strategies need {need})"));
                }
                lines.push(line);
            }
        }
    }
    lines
}

/// Seeds `engine` with paper `candles` (the simulated session before the first day, or the
/// data before the replay's start) and returns one line per watched underlying, `source`
/// naming where the bars came from and `none` why an underlying without bars has none.
pub fn seed_from_candles(
    engine: &mut Engine,
    candles: &[Candle],
    source: &str,
    none: &str,
) -> Vec<String> {
    let minutes = engine.candle_minutes();
    let mut lines = Vec::new();
    for symbol in engine.symbols() {
        if engine.warmup_bars(&symbol) == 0 {
            continue;
        }
        let mine: Vec<Candle> = candles
            .iter()
            .filter(|c| c.symbol == symbol)
            .cloned()
            .collect();
        if mine.is_empty() {
            lines.push(cold_line(&symbol, none));
            continue;
        }
        let used = engine.warm_up(&mine);
        lines.push(seed_line(&symbol, used, minutes, source));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn bar(sym: &Symbol, h: u32, m: u32, close: i64, volume: u64) -> Candle {
        Candle {
            symbol: sym.clone(),
            timestamp: IST.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap(),
            open: Decimal::from(close - 1),
            high: Decimal::from(close + 2),
            low: Decimal::from(close - 3),
            close: Decimal::from(close),
            volume,
        }
    }

    #[test]
    fn one_minute_bars_join_into_bars_aligned_to_the_open() {
        let s = Symbol::parse("NIFTY").unwrap();
        let ones = vec![
            bar(&s, 9, 10, 90, 1),
            bar(&s, 9, 15, 100, 10),
            bar(&s, 9, 16, 105, 20),
            bar(&s, 9, 21, 98, 30),
            bar(&s, 9, 22, 97, 40),
        ];
        let sevens = resample(&ones, 7);
        assert_eq!(sevens.len(), 2, "{sevens:?}");
        // 09:15 to 09:22: the 09:15, 09:16 and 09:21 bars; the pre-open bar is dropped.
        assert_eq!(sevens[0].timestamp, bar(&s, 9, 15, 0, 0).timestamp);
        assert_eq!(
            (
                sevens[0].open,
                sevens[0].high,
                sevens[0].low,
                sevens[0].close,
                sevens[0].volume
            ),
            (
                Decimal::from(99),
                Decimal::from(107),
                Decimal::from(95),
                Decimal::from(98),
                60
            )
        );
        assert_eq!(sevens[1].timestamp, bar(&s, 9, 22, 0, 0).timestamp);
        assert_eq!((sevens[1].close, sevens[1].volume), (Decimal::from(97), 40));
    }

    #[test]
    fn the_broker_interval_is_used_where_it_exists() {
        assert_eq!(history_interval(1), ("minute".to_string(), 1));
        assert_eq!(history_interval(5), ("5minute".to_string(), 5));
        assert_eq!(history_interval(60), ("60minute".to_string(), 60));
        assert_eq!(history_interval(7), ("minute".to_string(), 1));
    }

    #[test]
    fn index_tokens_come_from_the_script_master_first() {
        let bank = Symbol::parse("BANKNIFTY").unwrap();
        let nifty = Symbol::parse("NIFTY").unwrap();
        let fin = Symbol::parse("FINNIFTY").unwrap();
        assert_eq!(
            history_token(&bank, &[], &INDEX_TOKENS).as_deref(),
            Some("26009")
        );
        assert_eq!(
            history_token(&nifty, &[], &INDEX_TOKENS).as_deref(),
            Some("26000")
        );
        assert_eq!(history_token(&fin, &[], &INDEX_TOKENS), None);
        let rec = ScriptRecord {
            instrument_token: "99926037".into(),
            exchange: alphastock_core::market::Exchange::Nse,
            trading_symbol: "NIFTY FIN SERVICE".into(),
            name: "FINNIFTY".into(),
            expiry: None,
            strike: None,
            tick_size: Decimal::new(5, 2),
            lot_size: 1,
            instrument_type: "INDEX".into(),
        };
        assert_eq!(
            history_token(&fin, &[rec], &INDEX_TOKENS).as_deref(),
            Some("99926037")
        );
    }

    /// A broker serving no history, counting the tokens it was asked for.
    struct Asked {
        tokens: Vec<String>,
        index_tokens: &'static [(&'static str, &'static str)],
    }

    impl HistorySource for Asked {
        fn candles(
            &mut self,
            _: &Symbol,
            _: &str,
            token: &str,
            _: &str,
            _: IstTime,
            _: IstTime,
        ) -> Result<Vec<Candle>, ApiError> {
            self.tokens.push(token.to_string());
            Ok(Vec::new())
        }
        fn index_tokens(&self) -> &'static [(&'static str, &'static str)] {
            self.index_tokens
        }
        fn instrument_list(&self) -> &'static str {
            "the list"
        }
    }

    fn nifty_engine() -> Engine {
        let config = alphastock_core::config::Config::from_yaml_str(
            r#"
market_data_runner: { frequency_seconds: 5, candle_minutes: 1 }
strategies:
  ema_crossover:
    symbols: [NIFTY]
    instrument: option
    parameters: { fast_ema: 3, slow_ema: 8, min_confidence: 0 }
"#,
        )
        .unwrap();
        Engine::new(&config).unwrap()
    }

    #[test]
    fn an_index_missing_from_kites_list_starts_cold_and_never_asks_for_an_mstock_token() {
        let now = IST.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let kite = KiteClient::new(
            alphastock_core::config::KiteConfig::default(),
            crate::kite::KiteCredentials {
                api_key: crate::net::Secret::new("k"),
                api_secret: crate::net::Secret::new("s"),
            },
        );
        assert!(kite.index_tokens().is_empty());
        assert_eq!(kite.instrument_list(), "Kite's instrument list");
        let mut asked = Asked {
            tokens: Vec::new(),
            index_tokens: kite.index_tokens(),
        };
        let lines = seed_from_broker(&mut nifty_engine(), &mut asked, &[], now, &[]);
        assert!(asked.tokens.is_empty(), "asked for {:?}", asked.tokens);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with("WARM   ")
                && lines[0].ends_with(
                    "no history (no instrument token for NIFTY 50 in the list, and no \
                     verified token of this broker to fall back on); starting cold"
                ),
            "{lines:?}"
        );
        // mStock falls back on its own index token.
        let mut asked = Asked {
            tokens: Vec::new(),
            index_tokens: &INDEX_TOKENS,
        };
        seed_from_broker(&mut nifty_engine(), &mut asked, &[], now, &[]);
        assert_eq!(asked.tokens.first().map(String::as_str), Some("26000"));
    }
}
