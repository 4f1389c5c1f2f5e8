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
    if !(1..=375).contains(&candle_minutes) {
        return Err(SimError::InvalidConfig(format!(
            "market_data_runner.candle_minutes {candle_minutes}: expected 1 to 375"
        )));
    }
    let mut bars = EventBars::new(candle_minutes);
    for event in sim {
        bars.push(&event);
    }
    let mut out = bars.finish();
    for (symbol, u) in &config.underlyings {
        let tick = instrument_for(market, symbol, first_day)?.tick_size;
        rescale(&mut out, symbol, u.start_price, tick);
    }
    out.sort_by_key(|c| c.timestamp);
    Ok(out)
}

/// Completed candles from a stream of market events, as the engine would build them:
/// quotes joined into `candle_minutes`-minute bars aligned to the 09:15 open, candles taken as
/// they are. For seeding a warm start from events that are not traded (a simulated earlier
/// session, or the part of a day a resumed run skips).
#[derive(Debug, Clone)]
pub struct EventBars {
    minutes: u32,
    builders: Vec<CandleBuilder>,
    out: Vec<Candle>,
}

impl EventBars {
    /// A collector of `candle_minutes`-minute bars (1 to 375; out of that range quotes are
    /// ignored and only candles kept).
    pub fn new(candle_minutes: u32) -> Self {
        Self {
            minutes: candle_minutes,
            builders: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Takes one event: a quote goes into its symbol's bar, a candle is kept, anything else
    /// is ignored.
    pub fn push(&mut self, event: &Event) {
        match event {
            Event::Candle(c) => self.out.push(c.clone()),
            Event::Quote(q) => {
                let idx = match self.builders.iter().position(|b| b.symbol() == &q.symbol) {
                    Some(i) => i,
                    None => {
                        let session = MarketSession::nse();
                        let Ok(b) = CandleBuilder::new(q.symbol.clone(), self.minutes, session)
                        else {
                            return;
                        };
                        self.builders.push(b);
                        self.builders.len() - 1
                    }
                };
                if let Ok(Some(done)) = self.builders[idx].on_quote(q) {
                    self.out.push(done);
                }
            }
            _ => {}
        }
    }

    /// The completed bars, oldest first. A bar still being built is completed only when it is
    /// the session's last (its end at or past the close); otherwise it is left out, since the
    /// rest of its quotes are still to come.
    pub fn finish(mut self) -> Vec<Candle> {
        let session = MarketSession::nse();
        let step = Duration::minutes(i64::from(self.minutes));
        for b in &mut self.builders {
            let Some(start) = b.partial().map(|c| c.timestamp) else {
                continue;
            };
            if !session.is_open(start + step) {
                self.out.extend(b.on_time(start + step));
            }
        }
        self.out.sort_by_key(|c| c.timestamp);
        self.out
    }
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
    fn a_bar_still_open_mid_session_is_left_out_and_the_last_bar_of_the_day_kept() {
        use crate::market::Quote;
        let sym = Symbol::parse("NIFTY").unwrap();
        let quote = |h, m, ltp: i64| {
            Event::Quote(Quote {
                symbol: sym.clone(),
                ltp: Decimal::from(ltp),
                open: Decimal::from(ltp),
                high: Decimal::from(ltp),
                low: Decimal::from(ltp),
                close: Decimal::from(ltp),
                volume: 0,
                bid: None,
                ask: None,
                oi: None,
                timestamp: IST.with_ymd_and_hms(2026, 11, 30, h, m, 0).unwrap(),
            })
        };
        // Mid-session: 10:00 and 10:04 make the 10:00 bar, complete once 10:05 starts one;
        // the 10:05 bar is still open after its 10:06 quote.
        let mut bars = EventBars::new(5);
        for e in [
            quote(10, 0, 100),
            quote(10, 4, 104),
            quote(10, 5, 99),
            quote(10, 6, 98),
        ] {
            bars.push(&e);
        }
        let got = bars.finish();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            (got[0].open, got[0].high, got[0].close),
            (dec!(100), dec!(104), dec!(104))
        );
        // The session's last bar (15:25 to the 15:30 close) is complete.
        let mut bars = EventBars::new(5);
        bars.push(&quote(15, 29, 101));
        let got = bars.finish();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].timestamp,
            IST.with_ymd_and_hms(2026, 11, 30, 15, 25, 0).unwrap()
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
