//! The live market feed: underlying quotes polled through the broker every
//! `market_data_runner.frequency_seconds` (as few calls as the batch size allows) and, every
//! `options_data_runner.frequency_seconds`, quotes of the option contracts around each
//! underlying's spot (the strike selector's window) turned into option chains. Both cadences run
//! on a fixed grid: a slow call never makes the loop drift, missed ticks are skipped.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use rust_decimal::Decimal;

use alphastock_core::engine::Event;
use alphastock_core::market::{
    Exchange, IstTime, OptionChain, OptionContract, OptionQuote, Quote, Symbol,
};

use super::cadence::{Cadence, Due};
use crate::broker::{Broker, BrokerQuote, InstrumentKey};

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
}

impl LiveFeed {
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
        }
    }

    /// When (time since the loop began) the next poll is due.
    pub fn next_due(&self) -> Duration {
        self.market.next_due().min(self.options.next_due())
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
        if let Due::Now { .. } = self.market.poll(elapsed) {
            // Held stocks no strategy watches (a position adopted from the broker) are quoted
            // with the underlyings, so their stops see prices.
            let mut symbols = self.underlyings.clone();
            symbols.extend(self.held_stocks(held));
            let keys: Vec<InstrumentKey> = symbols.iter().map(underlying_key).collect();
            for chunk in keys.chunks(self.batch) {
                match broker.quotes(chunk) {
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
                    match broker.quotes(chunk) {
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
