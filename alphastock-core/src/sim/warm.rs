//! Warm-start history of a paper run: the simulated session of the trading day before the
//! run's first day, as completed candles ending where the first day opens from.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rust_decimal::Decimal;

use super::config::SimConfig;
use super::market::{instrument_for, SimMarket};
use super::SimError;
use crate::config::MarketConfig;
use crate::engine::Event;
use crate::market::{Candle, CandleBuilder, MarketSession, Symbol};
use crate::rules::MarketRules;

/// Quote spacing of the simulated warm-up session, seconds (at least): its chains are never
/// used, so a coarser tick than the run's keeps the warm start cheap.
const WARM_TICK_SECONDS: u32 = 30;

/// The regular trading day before `day` (NSE calendar plus `holidays`).
pub fn previous_trading_day(day: NaiveDate, holidays: &[NaiveDate]) -> NaiveDate {
    if let Ok(rules) = MarketRules::embedded() {
        return rules
            .calendar()
            .with_extra_holidays(holidays)
            .previous_trading_day(day);
    }
    let mut d = day - Duration::days(1);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) || holidays.contains(&d) {
        d -= Duration::days(1);
    }
    d
}

/// The `candle_minutes`-minute candles of the simulated session before `first_day`, oldest
/// first, per underlying of `config`, scaled so that each underlying's last close is its
/// configured `start_price` — the previous close the first simulated day opens from, so the
/// seeded history joins the run's first bar without a jump. Prices are rounded to the
/// underlying's tick (rupees). Deterministic, like the simulated market itself.
pub fn previous_session_candles(
    config: &SimConfig,
    market: &MarketConfig,
    first_day: NaiveDate,
    candle_minutes: u32,
) -> Result<Vec<Candle>, SimError> {
    let day = previous_trading_day(first_day, &market.holidays);
    let mut warm = config.clone();
    warm.tick_seconds = config.tick_seconds.max(WARM_TICK_SECONDS);
    warm.strikes_per_side = 1;
    let sim = SimMarket::new(&warm, market, day)?;
    let session = MarketSession::nse();
    let mut builders: Vec<CandleBuilder> = Vec::new();
    let mut out: Vec<Candle> = Vec::new();
    let mut last_time = None;
    for event in sim {
        let Event::Quote(q) = event else { continue };
        last_time = Some(q.timestamp);
        let idx = match builders.iter().position(|b| b.symbol() == &q.symbol) {
            Some(i) => i,
            None => {
                let b =
                    CandleBuilder::new(q.symbol.clone(), candle_minutes, session).map_err(|e| {
                        SimError::InvalidConfig(format!("market_data_runner.candle_minutes: {e}"))
                    })?;
                builders.push(b);
                builders.len() - 1
            }
        };
        if let Ok(Some(done)) = builders[idx].on_quote(&q) {
            out.push(done);
        }
    }
    if let Some(t) = last_time {
        let close = t + Duration::days(1);
        out.extend(builders.iter_mut().filter_map(|b| b.on_time(close)));
    }
    for (symbol, u) in &config.underlyings {
        let tick = instrument_for(market, symbol, first_day)?.tick_size;
        rescale(&mut out, symbol, u.start_price, tick);
    }
    out.sort_by_key(|c| c.timestamp);
    Ok(out)
}

/// Scales `symbol`'s candles in `candles` so the last close becomes `anchor`, each price
/// rounded to `tick` (rupees). Scaling by one positive factor keeps every bar consistent.
fn rescale(candles: &mut [Candle], symbol: &Symbol, anchor: Decimal, tick: Decimal) {
    let Some(last) = candles.iter().rev().find(|c| &c.symbol == symbol) else {
        return;
    };
    if last.close <= Decimal::ZERO || tick <= Decimal::ZERO {
        return;
    }
    let factor = anchor / last.close;
    let to_tick = |p: Decimal| ((p * factor) / tick).round() * tick;
    for c in candles.iter_mut().filter(|c| &c.symbol == symbol) {
        c.open = to_tick(c.open);
        c.high = to_tick(c.high);
        c.low = to_tick(c.low);
        c.close = to_tick(c.close);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::IST;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    #[test]
    fn the_day_before_a_monday_is_the_friday_and_holidays_are_skipped() {
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let friday = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(previous_trading_day(monday, &[]), friday);
        let thursday = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(previous_trading_day(monday, &[friday]), thursday);
    }

    #[test]
    fn the_previous_session_ends_at_the_start_price_in_whole_bars() {
        let config = SimConfig::default();
        let market = MarketConfig::default();
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let candles = previous_session_candles(&config, &market, first, 5).unwrap();
        for (symbol, u) in &config.underlyings {
            let mine: Vec<&Candle> = candles.iter().filter(|c| &c.symbol == symbol).collect();
            // 09:15 to 15:30 in 5-minute bars, all on Monday 30 November 2026.
            assert_eq!(mine.len(), 75, "{symbol}");
            assert_eq!(
                mine[0].timestamp,
                IST.with_ymd_and_hms(2026, 11, 30, 9, 15, 0).unwrap()
            );
            assert_eq!(
                mine[74].timestamp,
                IST.with_ymd_and_hms(2026, 11, 30, 15, 25, 0).unwrap()
            );
            assert_eq!(mine[74].close, u.start_price, "{symbol}");
            for c in &mine {
                assert!(c.low <= c.open.min(c.close) && c.high >= c.open.max(c.close));
                assert_eq!((c.close / dec!(0.05)).fract(), Decimal::ZERO, "on the tick");
            }
        }
        // Deterministic.
        assert_eq!(
            candles,
            previous_session_candles(&config, &market, first, 5).unwrap()
        );
    }

    #[test]
    fn rescaling_hits_the_anchor_and_keeps_bars_whole() {
        let sym = Symbol::parse("NIFTY").unwrap();
        let t = IST.with_ymd_and_hms(2026, 11, 30, 9, 15, 0).unwrap();
        let mut c = vec![Candle {
            symbol: sym.clone(),
            timestamp: t,
            open: dec!(100),
            high: dec!(110),
            low: dec!(90),
            close: dec!(105),
            volume: 0,
        }];
        // 105 → 210: factor 2.
        rescale(&mut c, &sym, dec!(210), dec!(0.05));
        assert_eq!(
            (c[0].open, c[0].high, c[0].low, c[0].close),
            (dec!(200), dec!(220), dec!(180), dec!(210))
        );
    }
}
