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
    Exchange, IstTime, OptionChain, OptionContract, OptionQuote, OptionType, Quote, Symbol,
};
use alphastock_core::options::strike::{atm_strike, watched_split};

use super::cadence::{Cadence, Due};
use crate::broker::{Broker, BrokerError, BrokerQuote, InstrumentKey};

pub use super::funds::FUNDS_POLL_SECONDS;

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
    risk_free_rate: f64,
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
            risk_free_rate: 0.0,
        }
    }

    /// Sets the continuously compounded annual rate (fraction) used for the implied vol the
    /// feed computes from mid prices (`options_trading.risk_free_rate`; default 0).
    pub fn set_risk_free_rate(&mut self, rate: f64) {
        self.risk_free_rate = rate;
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
    ///
    /// An options tick quotes every watched contract of every underlying **and the underlyings
    /// themselves in one batched call** (split only at the per-call instrument limit), so each
    /// chain's spot comes from the same answer as its premiums, and three indices cost one
    /// market-data call, not three. When the market tick falls on the same grid point it rides
    /// along in that call. The strikes are chosen around the spot last seen (the first tick,
    /// with no spot yet, asks for the underlyings first).
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
        let market_due = matches!(self.market.poll(elapsed), Due::Now { .. });
        let options_due = matches!(self.options.poll(elapsed), Due::Now { .. });
        // Held stocks no strategy watches (a position adopted from the broker) are quoted with
        // the underlyings, so their stops see prices.
        let mut quoted = self.underlyings.clone();
        quoted.extend(self.held_stocks(held));
        let symbol_of =
            |key: &InstrumentKey| quoted.iter().find(|s| underlying_key(s) == *key).cloned();
        let spot_missing = self
            .contracts
            .keys()
            .any(|u| self.underlyings.contains(u) && !self.spots.contains_key(u));
        let mut windows: BTreeMap<Symbol, Vec<OptionContract>> = BTreeMap::new();
        if options_due && !spot_missing {
            windows = self.windows(now.date_naive(), held);
        }
        let merged = options_due && !windows.is_empty();
        let separate = (market_due && !merged) || (options_due && spot_missing);
        if separate {
            let keys: Vec<InstrumentKey> = quoted.iter().map(underlying_key).collect();
            for chunk in keys.chunks(self.batch) {
                match self.quotes_with_retry(broker, chunk) {
                    Ok(quotes) => {
                        for q in quotes {
                            if let Some(s) = symbol_of(&q.key) {
                                self.spots.insert(s.clone(), q.ltp);
                                if market_due {
                                    events.push(Event::Quote(to_quote(s, &q, now)));
                                }
                            }
                        }
                    }
                    Err(e) => problems.push(format!("underlying quotes: {e}")),
                }
            }
            if options_due && spot_missing {
                windows = self.windows(now.date_naive(), held);
            }
        }
        if !options_due || windows.is_empty() {
            return (events, problems);
        }
        // One batched call: the underlyings (and held stocks) first, then every watched contract.
        let mut keys: Vec<InstrumentKey> = quoted.iter().map(underlying_key).collect();
        for window in windows.values() {
            for c in window {
                let k = InstrumentKey {
                    exchange: c.exchange,
                    trading_symbol: c.trading_symbol.clone(),
                };
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        let mut quotes = Vec::new();
        for chunk in keys.chunks(self.batch) {
            match self.quotes_with_retry(broker, chunk) {
                Ok(qs) => quotes.extend(qs),
                Err(e) => problems.push(format!("option quotes: {e}")),
            }
        }
        let mut fresh_spots: BTreeMap<Symbol, Decimal> = BTreeMap::new();
        for q in &quotes {
            if let Some(s) = symbol_of(&q.key) {
                fresh_spots.insert(s.clone(), q.ltp);
                self.spots.insert(s.clone(), q.ltp);
                if market_due && !separate {
                    events.push(Event::Quote(to_quote(s, q, now)));
                }
            }
        }
        for (u, window) in &windows {
            let Some(spot) = fresh_spots.get(u).copied() else {
                problems.push(format!(
                    "{u}: no spot in the options call; its chain is skipped this tick"
                ));
                continue;
            };
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
                        oi: q.oi,
                        // The broker's quotes carry no implied vol: computed from the mid.
                        iv: mid_iv(c, spot, q.bid, q.ask, now, self.risk_free_rate),
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

    /// The watched contracts of every underlying with a known spot (non-empty windows only).
    fn windows(&self, today: NaiveDate, held: &[String]) -> BTreeMap<Symbol, Vec<OptionContract>> {
        let mut out = BTreeMap::new();
        for u in &self.underlyings {
            let Some(spot) = self.spots.get(u).copied() else {
                continue;
            };
            let w = self.watched(u, spot, today, held);
            if !w.is_empty() {
                out.insert(u.clone(), w);
            }
        }
        out
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

    /// The contracts of the nearest expiry (on or after `today`) that the strike selector
    /// watches around `spot`: per type, ATM (the strike nearest `spot`, the lower on a tie) with
    /// the ITM and OTM strikes of [`watched_split`]`(strikes_per_side)` — so `strikes_per_side:
    /// 3` quotes 3 CE and 3 PE, as the selector means it.
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
        let Some(atm) = atm_strike(&strikes, spot) else {
            return Vec::new();
        };
        let Some(atm_index) = strikes.iter().position(|k| *k == atm) else {
            return Vec::new();
        };
        let (itm, otm) = watched_split(self.strikes_per_side);
        let (itm, otm) = (itm as i64, otm as i64);
        all.iter()
            .filter(|c| c.expiry == expiry)
            .filter(|c| {
                let Some(i) = strikes.iter().position(|k| *k == c.strike) else {
                    return false;
                };
                let raw = i as i64 - atm_index as i64;
                // Offset in strikes towards OTM for this type: up for a CE, down for a PE.
                let offset = match c.option_type {
                    OptionType::CE => raw,
                    OptionType::PE => -raw,
                };
                (-itm..=otm).contains(&offset)
            })
            .cloned()
            .collect()
    }
}

/// Implied volatility (fraction) of `contract` from the mid of `bid` and `ask` against `spot`
/// at `now` (Black-Scholes, no carry, `rate` continuously compounded). `None` without a
/// two-sided, uncrossed quote, or when the mid admits no volatility (below intrinsic value,
/// expired).
pub fn mid_iv(
    contract: &OptionContract,
    spot: Decimal,
    bid: Option<Decimal>,
    ask: Option<Decimal>,
    now: IstTime,
    rate: f64,
) -> Option<f64> {
    use alphastock_core::options::time::{days_to_expiry, years_from_days};
    use alphastock_core::options::{implied_vol, BsInput};
    use rust_decimal::prelude::ToPrimitive;
    let (bid, ask) = (bid?, ask?);
    if bid <= Decimal::ZERO || ask < bid {
        return None;
    }
    let mid = ((bid + ask) / Decimal::TWO).to_f64()?;
    let input = BsInput {
        option_type: contract.option_type,
        spot: spot.to_f64()?,
        strike: contract.strike.to_f64()?,
        years: years_from_days(days_to_expiry(now, contract.expiry)),
        vol: 0.0,
        rate,
        carry: 0.0,
    };
    implied_vol(&input, mid)
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

fn to_quote(symbol: Symbol, q: &BrokerQuote, now: IstTime) -> Quote {
    Quote {
        symbol,
        ltp: q.ltp,
        open: q.open,
        high: q.high,
        low: q.low,
        close: q.close,
        // The core's underlying quote has no "unknown" volume (an index has none at all).
        volume: q.volume.unwrap_or(0),
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
        let feed = LiveFeed::new(vec![nifty.clone()], contracts, 5, 2, 3, 50);
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
        fn session_lost(&self) -> Option<String> {
            None
        }
        fn modify_stop(
            &mut self,
            id: &str,
            _: Decimal,
            _: Decimal,
            _: u32,
        ) -> Result<(), BrokerError> {
            Err(BrokerError::Invalid(format!(
                "{} cannot modify stop order {id}",
                self.name()
            )))
        }
        fn convert_stop_to_limit(
            &mut self,
            id: &str,
            _: Decimal,
            _: u32,
        ) -> Result<(), BrokerError> {
            Err(BrokerError::Invalid(format!(
                "{} cannot convert stop order {id}",
                self.name()
            )))
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
                    volume: Some(0),
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
    fn strikes_per_side_means_the_selectors_watched_strikes_per_type() {
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
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        // Spot 24,010: ATM 24,000.
        let spot = Decimal::from(24_010);
        let strikes = |n: usize, t: OptionType| {
            let feed = LiveFeed::new(vec![nifty.clone()], contracts.clone(), 5, 2, n, 50);
            let mut k: Vec<i64> = feed
                .window(&nifty, spot, today)
                .iter()
                .filter(|c| c.option_type == t)
                .map(|c| c.strike.try_into().unwrap())
                .collect();
            k.sort();
            k
        };
        // 3: 1 ITM, ATM, 1 OTM of each type — 3 strikes, not 7.
        assert_eq!(strikes(3, OptionType::CE), vec![23_950, 24_000, 24_050]);
        assert_eq!(strikes(3, OptionType::PE), vec![23_950, 24_000, 24_050]);
        // 4: 1 ITM, ATM, 2 OTM — OTM is up for a call, down for a put.
        assert_eq!(
            strikes(4, OptionType::CE),
            vec![23_950, 24_000, 24_050, 24_100]
        );
        assert_eq!(
            strikes(4, OptionType::PE),
            vec![23_900, 23_950, 24_000, 24_050]
        );
        assert_eq!(strikes(1, OptionType::CE), vec![24_000]);
    }

    #[test]
    fn implied_vol_is_recovered_from_the_mid() {
        use alphastock_core::options::time::{days_to_expiry, years_from_days};
        use alphastock_core::options::{price, BsInput};
        let c = OptionContract {
            underlying: Symbol::parse("BANKNIFTY").unwrap(),
            expiry: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            strike: Decimal::from(51_200),
            option_type: OptionType::CE,
            lot_size: 30,
            tick_size: Decimal::new(5, 2),
            trading_symbol: "BANKNIFTY26DEC51200CE".into(),
            exchange: Exchange::Nfo,
        };
        let now = IST.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let bs = BsInput {
            option_type: OptionType::CE,
            spot: 51_245.0,
            strike: 51_200.0,
            years: years_from_days(days_to_expiry(now, c.expiry)),
            vol: 0.16,
            rate: 0.065,
            carry: 0.0,
        };
        // The fair value at 16 % vol as the mid, quoted 1 rupee either side.
        let fair = Decimal::try_from(price(&bs).unwrap()).unwrap().round_dp(4);
        let iv = mid_iv(
            &c,
            Decimal::from(51_245),
            Some(fair - Decimal::ONE),
            Some(fair + Decimal::ONE),
            now,
            0.065,
        )
        .unwrap();
        assert!((iv - 0.16).abs() < 1e-6, "{iv}");
        // One-sided or crossed: unknown.
        let spot = Decimal::from(51_245);
        assert_eq!(mid_iv(&c, spot, None, Some(fair), now, 0.065), None);
        assert_eq!(
            mid_iv(&c, spot, Some(fair + Decimal::ONE), Some(fair), now, 0.065),
            None
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
