//! The live market feed: underlying quotes polled through the broker every
//! `market_data_runner.frequency_seconds` (as few calls as the batch size allows) and, every
//! `options_data_runner.frequency_seconds`, quotes of the option contracts around each
//! underlying's spot (the strike selector's window) turned into option chains. Both cadences run
//! on a fixed grid: a slow call never makes the loop drift, missed ticks are skipped.
//!
//! A quote call the broker could not answer (`BrokerError::Unavailable`, after the client's
//! own retries) is tried again up to `market_data_runner.retry_attempts` attempts in all within
//! the same poll, then that poll is skipped with a warning. The account's funds are read at the
//! first poll and every [`FUNDS_POLL_SECONDS`] after ([`LiveFeed::with_funds_every`]) and fed to
//! the engine as `Event::Funds`, so entries are sized against the real account.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use rust_decimal::Decimal;

use alphastock_core::engine::Event;
use alphastock_core::market::{
    Exchange, IstTime, OptionChain, OptionContract, OptionQuote, Quote, Symbol,
};

use super::cadence::{Cadence, Due};
use crate::broker::{Broker, BrokerError, BrokerQuote, InstrumentKey};

/// Seconds between reads of the account's funds in a live run (every 5 minutes).
pub const FUNDS_POLL_SECONDS: u64 = 300;

/// The broker's instrument for an underlying: indices by their NSE index name, stocks by
/// their name without the exchange prefix (`SBIN` for `NSE:SBIN`).
pub fn underlying_key(symbol: &Symbol) -> InstrumentKey {
    let name = match symbol.as_str() {
        "BANKNIFTY" => "NIFTY BANK",
        "NIFTY" => "NIFTY 50",
        "FINNIFTY" => "NIFTY FIN SERVICE",
        "MIDCPNIFTY" => "NIFTY MID SELECT",
        _ => symbol.name(),
    };
    InstrumentKey {
        exchange: Exchange::Nse,
        trading_symbol: name.to_string(),
    }
}

/// True during the NSE session (09:15 to 15:30 IST) on a weekday that is not in `holidays`.
pub fn market_open(now: IstTime, holidays: &[NaiveDate]) -> bool {
    let day = now.date_naive();
    if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) || holidays.contains(&day) {
        return false;
    }
    let t = now.time();
    let open = NaiveTime::from_hms_opt(9, 15, 0).unwrap_or(NaiveTime::MIN);
    let close = NaiveTime::from_hms_opt(15, 30, 0).unwrap_or(NaiveTime::MIN);
    t >= open && t < close
}

/// Polls the live market through a broker on two fixed-rate cadences.
#[derive(Debug)]
pub struct LiveFeed {
    underlyings: Vec<Symbol>,
    contracts: BTreeMap<Symbol, Vec<OptionContract>>,
    strikes_per_side: usize,
    batch: usize,
    market: Cadence,
    options: Cadence,
    spots: BTreeMap<Symbol, Decimal>,
    retry_attempts: u32,
    funds: Option<Cadence>,
}

impl LiveFeed {
    /// Tries a quote call the broker could not answer up to `attempts` times in all within one
    /// poll (`market_data_runner.retry_attempts`; 0 counts as 1).
    pub fn with_retry_attempts(mut self, attempts: u32) -> Self {
        self.retry_attempts = attempts.max(1);
        self
    }

    /// Reads the account's funds at the first poll and every `seconds` after, as
    /// `Event::Funds` (a failed read is a warning; the engine keeps the last figure).
    pub fn with_funds_every(mut self, seconds: u64) -> Self {
        self.funds = Some(Cadence::new(
            Duration::from_secs(seconds.max(1)),
            Duration::ZERO,
        ));
        self
    }

    /// One quote call, tried again while the broker is unavailable, up to the retry attempts.
    fn quotes_with_retry(
        &self,
        broker: &mut dyn Broker,
        keys: &[InstrumentKey],
    ) -> Result<Vec<BrokerQuote>, BrokerError> {
        let mut attempt = 1;
        loop {
            match broker.quotes(keys) {
                Err(BrokerError::Unavailable(_)) if attempt < self.retry_attempts => attempt += 1,
                other => return other,
            }
        }
    }

    /// A feed for `underlyings`, with the option contracts the broker lists for them; periods
    /// in seconds; `batch` instruments per quote call.
    pub fn new(
        underlyings: Vec<Symbol>,
        contracts: Vec<OptionContract>,
        market_seconds: u64,
        options_seconds: u64,
        strikes_per_side: usize,
        batch: usize,
    ) -> Self {
        let mut by_underlying: BTreeMap<Symbol, Vec<OptionContract>> = BTreeMap::new();
        for c in contracts {
            if underlyings.contains(&c.underlying) {
                by_underlying
                    .entry(c.underlying.clone())
                    .or_default()
                    .push(c);
            }
        }
        Self {
            underlyings,
            contracts: by_underlying,
            strikes_per_side: strikes_per_side.max(1),
            batch: batch.max(1),
            market: Cadence::new(Duration::from_secs(market_seconds), Duration::ZERO),
            options: Cadence::new(Duration::from_secs(options_seconds), Duration::ZERO),
            spots: BTreeMap::new(),
            retry_attempts: 1,
            funds: None,
        }
    }

    /// When (time since the loop began) the next poll is due.
    pub fn next_due(&self) -> Duration {
        let due = self.market.next_due().min(self.options.next_due());
        match &self.funds {
            Some(f) => due.min(f.next_due()),
            None => due,
        }
    }

    /// Runs whatever is due at `elapsed` (time since the loop began; `now` is the IST time):
    /// returns the events polled and the problems met (a failed call skips that poll).
    /// `held` are the trading symbols of open positions: they are quoted with their
    /// underlying's chain even when the spot has moved away from their strike (or they are of
    /// another expiry), so their exits always see prices.
    pub fn poll(
        &mut self,
        broker: &mut dyn Broker,
        elapsed: Duration,
        now: IstTime,
        held: &[String],
    ) -> (Vec<Event>, Vec<String>) {
        let mut events = Vec::new();
        let mut problems = Vec::new();
        if let Some(Due::Now { .. }) = self.funds.as_mut().map(|f| f.poll(elapsed)) {
            match broker.funds() {
                Ok(f) => events.push(Event::Funds {
                    available: f.available,
                    at: now,
                }),
                Err(e) => problems.push(format!("funds: {e}")),
            }
        }
        if let Due::Now { .. } = self.market.poll(elapsed) {
            // Held stocks no strategy watches (a position adopted from the broker) are quoted
            // with the underlyings, so their stops see prices.
            let mut symbols = self.underlyings.clone();
            symbols.extend(self.held_stocks(held));
            let keys: Vec<InstrumentKey> = symbols.iter().map(underlying_key).collect();
            for chunk in keys.chunks(self.batch) {
                match self.quotes_with_retry(broker, chunk) {
                    Ok(quotes) => {
                        for q in quotes {
                            if let Some(s) = symbols.iter().find(|s| underlying_key(s) == q.key) {
                                self.spots.insert(s.clone(), q.ltp);
                                events.push(Event::Quote(to_quote(s.clone(), &q, now)));
                            }
                        }
                    }
                    Err(e) => problems.push(format!("underlying quotes: {e}")),
                }
            }
        }
        if let Due::Now { .. } = self.options.poll(elapsed) {
            for u in self.underlyings.clone() {
                let Some(spot) = self.spots.get(&u).copied() else {
                    continue;
                };
                let window = self.watched(&u, spot, now.date_naive(), held);
                if window.is_empty() {
                    continue;
                }
                let keys: Vec<InstrumentKey> = window
                    .iter()
                    .map(|c| InstrumentKey {
                        exchange: c.exchange,
                        trading_symbol: c.trading_symbol.clone(),
                    })
                    .collect();
                let mut quotes = Vec::new();
                for chunk in keys.chunks(self.batch) {
                    match self.quotes_with_retry(broker, chunk) {
                        Ok(qs) => quotes.extend(qs),
                        Err(e) => problems.push(format!("{u} option quotes: {e}")),
                    }
                }
                let option_quotes: Vec<OptionQuote> = quotes
                    .iter()
                    .filter_map(|q| {
                        let c = window
                            .iter()
                            .find(|c| c.trading_symbol == q.key.trading_symbol)?;
                        Some(OptionQuote {
                            contract: c.clone(),
                            premium: q.ltp,
                            bid: q.bid,
                            ask: q.ask,
                            volume: q.volume,
                            oi: q.oi.unwrap_or(0),
                            iv: None,
                            greeks: None,
                            timestamp: now,
                        })
                    })
                    .collect();
                if option_quotes.is_empty() {
                    continue;
                }
                events.push(Event::OptionChain(OptionChain {
                    underlying: u.clone(),
                    spot,
                    expiry: window[0].expiry,
                    timestamp: now,
                    quotes: option_quotes,
                }));
            }
        }
        (events, problems)
    }

    /// The held trading symbols that are neither a known option contract nor an underlying
    /// already polled, as NSE stocks (`SBIN` → `NSE:SBIN`).
    pub fn held_stocks(&self, held: &[String]) -> Vec<Symbol> {
        held.iter()
            .filter(|h| {
                !self
                    .contracts
                    .values()
                    .flatten()
                    .any(|c| &c.trading_symbol == *h)
            })
            .filter_map(|h| Symbol::parse(&format!("NSE:{h}")).ok())
            .filter(|s| {
                !self
                    .underlyings
                    .iter()
                    .any(|u| underlying_key(u) == underlying_key(s))
            })
            .collect()
    }

    /// The contracts to quote for `underlying`: its [`LiveFeed::window`] around `spot`, plus
    /// any contract of it in `held` (open positions) outside that window.
    pub fn watched(
        &self,
        underlying: &Symbol,
        spot: Decimal,
        today: NaiveDate,
        held: &[String],
    ) -> Vec<OptionContract> {
        let mut window = self.window(underlying, spot, today);
        if let Some(all) = self.contracts.get(underlying) {
            for c in all {
                let wanted = held.contains(&c.trading_symbol);
                if wanted && !window.iter().any(|w| w.trading_symbol == c.trading_symbol) {
                    window.push(c.clone());
                }
            }
        }
        window
    }

    /// The contracts of the nearest expiry (on or after `today`) whose strikes are within
    /// `strikes_per_side` strikes of the one nearest `spot`, calls and puts.
    pub fn window(
        &self,
        underlying: &Symbol,
        spot: Decimal,
        today: NaiveDate,
    ) -> Vec<OptionContract> {
        let Some(all) = self.contracts.get(underlying) else {
            return Vec::new();
        };
        let Some(expiry) = all.iter().map(|c| c.expiry).filter(|e| *e >= today).min() else {
            return Vec::new();
        };
        let mut strikes: Vec<Decimal> = all
            .iter()
            .filter(|c| c.expiry == expiry)
            .map(|c| c.strike)
            .collect();
        strikes.sort();
        strikes.dedup();
        let Some(atm) = strikes
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| (**s - spot).abs())
            .map(|(i, _)| i)
        else {
            return Vec::new();
        };
        let lo = atm.saturating_sub(self.strikes_per_side);
        let hi = (atm + self.strikes_per_side).min(strikes.len() - 1);
        let chosen = &strikes[lo..=hi];
        all.iter()
            .filter(|c| c.expiry == expiry && chosen.contains(&c.strike))
            .cloned()
            .collect()
    }
}

fn to_quote(symbol: Symbol, q: &BrokerQuote, now: IstTime) -> Quote {
    Quote {
        symbol,
        ltp: q.ltp,
        open: q.open,
        high: q.high,
        low: q.low,
        close: q.close,
        volume: q.volume,
        bid: q.bid,
        ask: q.ask,
        oi: q.oi,
        timestamp: now.max(q.timestamp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alphastock_core::market::IST;
    use chrono::TimeZone;

    #[test]
    fn open_positions_stay_watched_when_the_spot_moves_away() {
        use alphastock_core::market::{Exchange, OptionType};
        let nifty = Symbol::parse("NIFTY").unwrap();
        let expiry = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        let contract = |k: i64, t: OptionType| OptionContract {
            underlying: nifty.clone(),
            expiry,
            strike: Decimal::from(k),
            option_type: t,
            lot_size: 75,
            tick_size: Decimal::new(5, 2),
            trading_symbol: format!("NIFTY26DEC{k}{t:?}"),
            exchange: Exchange::Nfo,
        };
        let contracts: Vec<OptionContract> = (0..20)
            .flat_map(|i| {
                let k = 23_500 + 50 * i;
                [contract(k, OptionType::CE), contract(k, OptionType::PE)]
            })
            .collect();
        let feed = LiveFeed::new(vec![nifty.clone()], contracts, 5, 2, 1, 50);
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let spot = Decimal::from(24_000);
        let window = feed.window(&nifty, spot, today);
        assert_eq!(window.len(), 6, "3 strikes × CE/PE around 24,000");
        let far = "NIFTY26DEC23500CE".to_string();
        assert!(!window.iter().any(|c| c.trading_symbol == far));
        let watched = feed.watched(&nifty, spot, today, std::slice::from_ref(&far));
        assert_eq!(watched.len(), 7);
        assert!(watched.iter().any(|c| c.trading_symbol == far));
    }

    /// A broker whose quote calls fail as unavailable `failures` times, then answer; its funds
    /// are 1,23,456.50.
    struct Flaky {
        failures: u32,
        calls: u32,
        funds_calls: u32,
    }

    impl Broker for Flaky {
        fn name(&self) -> &str {
            "flaky"
        }
        fn place_order(
            &mut self,
            _: &alphastock_core::order::OrderRequest,
        ) -> Result<String, BrokerError> {
            Err(BrokerError::Invalid("not in this test".into()))
        }
        fn modify_order(&mut self, _: &str, _: Decimal, _: Option<u32>) -> Result<(), BrokerError> {
            Ok(())
        }
        fn cancel_order(&mut self, _: &str) -> Result<(), BrokerError> {
            Ok(())
        }
        fn order_book(&mut self) -> Result<Vec<crate::broker::BrokerOrder>, BrokerError> {
            Ok(Vec::new())
        }
        fn trade_book(&mut self) -> Result<Vec<alphastock_core::order::Fill>, BrokerError> {
            Ok(Vec::new())
        }
        fn positions(&mut self) -> Result<Vec<crate::broker::BrokerPosition>, BrokerError> {
            Ok(Vec::new())
        }
        fn funds(&mut self) -> Result<crate::broker::BrokerFunds, BrokerError> {
            self.funds_calls += 1;
            Ok(crate::broker::BrokerFunds {
                available: Decimal::new(12_345_650, 2),
                used: Decimal::ZERO,
            })
        }
        fn quotes(&mut self, keys: &[InstrumentKey]) -> Result<Vec<BrokerQuote>, BrokerError> {
            self.calls += 1;
            if self.calls <= self.failures {
                return Err(BrokerError::Unavailable("timed out".into()));
            }
            Ok(keys
                .iter()
                .map(|k| BrokerQuote {
                    key: k.clone(),
                    ltp: Decimal::from(24_000),
                    open: Decimal::from(24_000),
                    high: Decimal::from(24_000),
                    low: Decimal::from(24_000),
                    close: Decimal::from(24_000),
                    bid: None,
                    ask: None,
                    volume: 0,
                    oi: None,
                    timestamp: IST.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
                })
                .collect())
        }
    }

    fn nifty_feed() -> LiveFeed {
        LiveFeed::new(
            vec![Symbol::parse("NIFTY").unwrap()],
            Vec::new(),
            5,
            2,
            1,
            50,
        )
    }

    #[test]
    fn a_failed_quote_call_is_tried_retry_attempts_times_in_all() {
        let now = IST.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        // Two failures, three attempts: the third answers.
        let mut broker = Flaky {
            failures: 2,
            calls: 0,
            funds_calls: 0,
        };
        let mut feed = nifty_feed().with_retry_attempts(3);
        let (events, problems) = feed.poll(&mut broker, Duration::ZERO, now, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(broker.calls, 3);
        assert!(matches!(events.as_slice(), [Event::Quote(q)] if q.ltp == Decimal::from(24_000)));
        // Three failures, three attempts: the poll is skipped with one warning.
        let mut broker = Flaky {
            failures: 3,
            calls: 0,
            funds_calls: 0,
        };
        let mut feed = nifty_feed().with_retry_attempts(3);
        let (events, problems) = feed.poll(&mut broker, Duration::ZERO, now, &[]);
        assert_eq!(broker.calls, 3);
        assert!(events.is_empty());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("underlying quotes: broker unavailable"));
    }

    #[test]
    fn funds_are_read_at_the_start_and_every_funds_period() {
        let at = |s: u64| {
            IST.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap()
                + chrono::Duration::seconds(s as i64)
        };
        let mut broker = Flaky {
            failures: 0,
            calls: 0,
            funds_calls: 0,
        };
        let mut feed = nifty_feed().with_funds_every(300);
        let funds = |events: &[Event]| {
            events.iter().find_map(|e| match e {
                Event::Funds { available, .. } => Some(*available),
                _ => None,
            })
        };
        let (events, _) = feed.poll(&mut broker, Duration::ZERO, at(0), &[]);
        assert_eq!(funds(&events), Some(Decimal::new(12_345_650, 2)));
        for s in [5, 150, 295] {
            let (events, _) = feed.poll(&mut broker, Duration::from_secs(s), at(s), &[]);
            assert_eq!(funds(&events), None, "at {s} s");
        }
        let (events, _) = feed.poll(&mut broker, Duration::from_secs(300), at(300), &[]);
        assert!(funds(&events).is_some());
        assert_eq!(broker.funds_calls, 2);
    }

    #[test]
    fn a_held_stock_no_strategy_watches_is_quoted_with_the_underlyings() {
        let nifty = Symbol::parse("NIFTY").unwrap();
        let sbin = Symbol::parse("NSE:SBIN").unwrap();
        let feed = LiveFeed::new(vec![nifty, sbin], Vec::new(), 5, 2, 1, 50);
        let held = ["INFY".to_string(), "SBIN".to_string()];
        assert_eq!(
            feed.held_stocks(&held),
            vec![Symbol::parse("NSE:INFY").unwrap()],
            "SBIN is polled already"
        );
    }

    #[test]
    fn stocks_are_quoted_by_their_name_and_indices_by_their_index_name() {
        let key = |s| underlying_key(&Symbol::parse(s).unwrap()).trading_symbol;
        assert_eq!(key("NSE:SBIN"), "SBIN");
        assert_eq!(key("SBIN"), "SBIN");
        assert_eq!(key("BANKNIFTY"), "NIFTY BANK");
    }

    #[test]
    fn market_hours_are_the_nse_session_on_weekdays() {
        let at = |d, h, m| IST.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        assert!(market_open(at(1, 9, 15), &[])); // Tuesday open
        assert!(!market_open(at(1, 9, 14), &[]));
        assert!(!market_open(at(1, 15, 30), &[]));
        assert!(!market_open(at(5, 11, 0), &[])); // Saturday
        let holiday = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert!(!market_open(at(1, 11, 0), &[holiday]));
    }
}
