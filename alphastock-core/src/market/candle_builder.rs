use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use super::{Candle, IstTime, MarketError, MarketSession, Quote, Symbol, IST};

/// Builds N-minute candles from polled quotes (one every few seconds) of one symbol.
///
/// Rules (what a trader would read off a chart):
/// - Bars are aligned to the session open: with 5-minute bars, 09:15, 09:20, ..., 15:25. When the
///   interval does not divide the session, the last bar is cut short at the close (15:30).
/// - A bar is complete when a quote arrives for a later bar, or when [`CandleBuilder::on_time`]
///   is called at or after the bar's end (use it on timer ticks so the 15:25 bar closes at 15:30
///   even though no later quote comes).
/// - Quotes outside the session (weekends, before 09:15, from 15:30) are ignored.
/// - Gaps: an interval in which no quote arrived produces no bar; bars are never invented.
/// - Volume: quotes carry the day's cumulative volume; a bar's volume is the increase over the
///   previous quote. The first quote of each day only sets the baseline, and a cumulative volume
///   that goes down (a feed reset) is taken as a new baseline, never as negative volume.
/// - A quote older than the bar being built is an error (out of order) and changes nothing.
#[derive(Debug, Clone)]
pub struct CandleBuilder {
    symbol: Symbol,
    interval: Duration,
    session: MarketSession,
    current: Option<Candle>,
    current_end: Option<IstTime>,
    last_volume: Option<(NaiveDate, u64)>,
}

impl CandleBuilder {
    /// A builder of `interval_minutes`-minute bars (1 to 375) for `symbol` within `session`.
    pub fn new(
        symbol: Symbol,
        interval_minutes: u32,
        session: MarketSession,
    ) -> Result<Self, MarketError> {
        if interval_minutes == 0 || interval_minutes > 375 {
            return Err(MarketError::Inconsistent {
                what: "candle interval",
                reason: format!("{interval_minutes} minutes; expected 1 to 375"),
            });
        }
        Ok(Self {
            symbol,
            interval: Duration::minutes(i64::from(interval_minutes)),
            session,
            current: None,
            current_end: None,
            last_volume: None,
        })
    }

    /// The symbol this builder accepts.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// The bar being built, if any (not yet complete).
    pub fn partial(&self) -> Option<&Candle> {
        self.current.as_ref()
    }

    /// Feeds one quote. Returns the previous bar when this quote starts a new one.
    pub fn on_quote(&mut self, quote: &Quote) -> Result<Option<Candle>, MarketError> {
        if quote.symbol != self.symbol {
            return Err(MarketError::WrongSymbol {
                expected: self.symbol.to_string(),
                got: quote.symbol.to_string(),
            });
        }
        if quote.ltp <= Decimal::ZERO {
            return Err(MarketError::BadPrice {
                field: "ltp",
                value: quote.ltp.to_string(),
            });
        }
        let t = quote.timestamp.with_timezone(&IST);
        if !self.session.is_open(t) {
            return Ok(None);
        }
        let (start, end) = self.bucket(t);
        if let Some(cur) = &self.current {
            if start < cur.timestamp {
                return Err(MarketError::Inconsistent {
                    what: "quote",
                    reason: format!(
                        "quote at {} is older than the bar being built ({})",
                        t, cur.timestamp
                    ),
                });
            }
        }
        let volume_delta = self.volume_delta(t.date_naive(), quote.volume);
        let mut finished = None;
        match &mut self.current {
            Some(cur) if cur.timestamp == start => {
                cur.high = cur.high.max(quote.ltp);
                cur.low = cur.low.min(quote.ltp);
                cur.close = quote.ltp;
                cur.volume = cur.volume.saturating_add(volume_delta);
            }
            _ => {
                finished = self.current.take();
                self.current = Some(Candle {
                    symbol: self.symbol.clone(),
                    timestamp: start,
                    open: quote.ltp,
                    high: quote.ltp,
                    low: quote.ltp,
                    close: quote.ltp,
                    volume: volume_delta,
                });
                self.current_end = Some(end);
            }
        }
        Ok(finished)
    }

    /// Closes the current bar if `now` is at or past its end (call on timer ticks).
    pub fn on_time(&mut self, now: IstTime) -> Option<Candle> {
        match self.current_end {
            Some(end) if now >= end => {
                self.current_end = None;
                self.current.take()
            }
            _ => None,
        }
    }

    fn volume_delta(&mut self, day: NaiveDate, cumulative: u64) -> u64 {
        let delta = match self.last_volume {
            Some((d, prev)) if d == day && cumulative >= prev => cumulative - prev,
            _ => 0,
        };
        self.last_volume = Some((day, cumulative));
        delta
    }

    /// Start and end of the bar containing `t` (which must be inside the session).
    fn bucket(&self, t: IstTime) -> (IstTime, IstTime) {
        let open = self.session.open_on(t);
        let close = self.session.close_on(t);
        let elapsed = (t - open).num_seconds().max(0);
        let step = self.interval.num_seconds().max(1);
        let start = open + Duration::seconds(elapsed / step * step);
        let end = (start + self.interval).min(close);
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use rust_decimal_macros::dec;

    fn q(ts: &str, ltp: Decimal, vol: u64) -> Quote {
        Quote {
            symbol: Symbol::parse("BANKNIFTY").unwrap(),
            ltp,
            open: ltp,
            high: ltp,
            low: ltp,
            close: ltp,
            volume: vol,
            bid: None,
            ask: None,
            oi: None,
            timestamp: DateTime::parse_from_rfc3339(ts).unwrap(),
        }
    }

    fn builder(minutes: u32) -> CandleBuilder {
        CandleBuilder::new(
            Symbol::parse("BANKNIFTY").unwrap(),
            minutes,
            MarketSession::nse(),
        )
        .unwrap()
    }

    #[test]
    fn builds_ohlcv_from_polled_quotes() {
        let mut b = builder(5);
        assert_eq!(
            b.on_quote(&q("2024-04-29T09:15:02+05:30", dec!(100), 1000))
                .unwrap(),
            None
        );
        assert_eq!(
            b.on_quote(&q("2024-04-29T09:16:00+05:30", dec!(105), 1300))
                .unwrap(),
            None
        );
        assert_eq!(
            b.on_quote(&q("2024-04-29T09:18:00+05:30", dec!(98), 1500))
                .unwrap(),
            None
        );
        assert_eq!(
            b.on_quote(&q("2024-04-29T09:19:59+05:30", dec!(101), 1600))
                .unwrap(),
            None
        );
        let bar = b
            .on_quote(&q("2024-04-29T09:20:01+05:30", dec!(102), 1700))
            .unwrap()
            .expect("09:15 bar completes");
        assert_eq!(bar.timestamp.to_rfc3339(), "2024-04-29T09:15:00+05:30");
        assert_eq!(
            (bar.open, bar.high, bar.low, bar.close),
            (dec!(100), dec!(105), dec!(98), dec!(101))
        );
        assert_eq!(bar.volume, 600);
        assert_eq!(b.partial().unwrap().volume, 100);
    }

    #[test]
    fn gap_skips_empty_bars_and_close_flushes_last_bar() {
        let mut b = builder(5);
        b.on_quote(&q("2024-04-29T09:31:00+05:30", dec!(100), 10))
            .unwrap();
        let bar = b
            .on_quote(&q("2024-04-29T09:47:00+05:30", dec!(110), 20))
            .unwrap()
            .unwrap();
        assert_eq!(bar.timestamp.to_rfc3339(), "2024-04-29T09:30:00+05:30");
        assert_eq!(
            b.partial().unwrap().timestamp.to_rfc3339(),
            "2024-04-29T09:45:00+05:30"
        );
        // last bar of the day closes on a timer tick at 15:30, not before
        b.on_quote(&q("2024-04-29T15:27:00+05:30", dec!(111), 30))
            .unwrap();
        assert!(b
            .on_time(DateTime::parse_from_rfc3339("2024-04-29T15:29:59+05:30").unwrap())
            .is_none());
        let last = b
            .on_time(DateTime::parse_from_rfc3339("2024-04-29T15:30:00+05:30").unwrap())
            .unwrap();
        assert_eq!(last.timestamp.to_rfc3339(), "2024-04-29T15:25:00+05:30");
        // after the close quotes are ignored
        assert_eq!(
            b.on_quote(&q("2024-04-29T15:31:00+05:30", dec!(112), 40))
                .unwrap(),
            None
        );
        assert!(b.partial().is_none());
    }

    #[test]
    fn hourly_bars_align_to_open_and_last_is_cut_at_close() {
        let mut b = builder(60);
        b.on_quote(&q("2024-04-29T15:20:00+05:30", dec!(100), 10))
            .unwrap();
        assert_eq!(
            b.partial().unwrap().timestamp.to_rfc3339(),
            "2024-04-29T15:15:00+05:30"
        );
        assert!(b
            .on_time(DateTime::parse_from_rfc3339("2024-04-29T15:30:00+05:30").unwrap())
            .is_some());
    }

    #[test]
    fn new_day_resets_volume_baseline_and_out_of_order_is_rejected() {
        let mut b = builder(5);
        b.on_quote(&q("2024-04-29T15:26:00+05:30", dec!(100), 5000))
            .unwrap();
        let bar = b
            .on_quote(&q("2024-04-30T09:15:05+05:30", dec!(101), 200))
            .unwrap()
            .unwrap();
        assert_eq!(bar.timestamp.to_rfc3339(), "2024-04-29T15:25:00+05:30");
        assert_eq!(b.partial().unwrap().volume, 0);
        assert!(b
            .on_quote(&q("2024-04-30T09:14:00+05:30", dec!(101), 200))
            .unwrap()
            .is_none());
        b.on_quote(&q("2024-04-30T09:21:00+05:30", dec!(101), 300))
            .unwrap();
        assert!(b
            .on_quote(&q("2024-04-30T09:16:00+05:30", dec!(101), 300))
            .is_err());
    }
}
