//! Simulated option chains priced on demand: a [`LazyChain`] is what a simulated chain is priced
//! from (the underlying's spot, the moment, the day's contract facts and volatility surface), and
//! it prices a contract only when one is asked for. A quote it gives is exactly the quote of the
//! same contract in the whole chain priced at once ([`LazyChain::to_chain`]): the same
//! Black-Scholes premium, bid/ask, volume, OI, IV, greeks and trading symbol.
//!
//! A backtest on simulated chains reads a chain's contracts only for a signal being processed
//! (the liquidity filter's window around the strike being selected), an open position or a
//! working order; every other candle's chain is never priced, so the cost of a candle does not
//! depend on the number of strikes.

use std::sync::{Arc, Mutex};

use chrono::{NaiveDate, Timelike};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::chain::{ChainFrame, ChainSpec, Instrument};
use super::config::SimConfig;
use super::expiry::{is_monthly, trading_symbol_of};
use crate::market::{IstTime, OptionChain, OptionQuote, OptionType, Symbol, IST};

/// What the simulated chains of one underlying share over one day: its contract facts, the
/// nearest expiry and its series, the 30-day ATM vol and the simulation's surface settings.
/// Made once per underlying and day, shared by every chain of that day.
#[derive(Debug, PartialEq)]
pub(crate) struct ChainBasis {
    underlying: Symbol,
    instrument: Instrument,
    expiry: NaiveDate,
    monthly: bool,
    /// ATM vol at 30 days, fraction.
    atm_vol: f64,
    config: SimConfig,
    /// What every trading symbol of the series starts with (name and expiry code, e.g.
    /// `NIFTY25D09`), before the strike and `CE`/`PE`.
    prefix: String,
}

impl ChainBasis {
    /// The basis of `underlying`'s chains with these contract facts, expiry and 30-day ATM vol
    /// (fraction), priced with `config`'s surface, rate, spread and strikes per side.
    pub(crate) fn new(
        underlying: Symbol,
        instrument: Instrument,
        expiry: NaiveDate,
        atm_vol: f64,
        config: &SimConfig,
    ) -> Self {
        let monthly = is_monthly(&underlying, expiry);
        let mut prefix = trading_symbol_of(&underlying, expiry, monthly, "", true);
        prefix.truncate(prefix.len().saturating_sub(2));
        Self {
            underlying,
            instrument,
            expiry,
            monthly,
            atm_vol,
            config: config.clone(),
            prefix,
        }
    }
}

/// One simulated option chain, priced only where asked (see the module docs).
///
/// The chain of `underlying` at spot `spot` (rupees) and moment `timestamp`: the nearest expiry,
/// `simulation.strikes_per_side` strikes either side of the ATM strike, CE and PE. A contract
/// asked for is priced once: its clones share the quotes priced so far, so the backtester
/// and the engine reading the same contract at the same moment price it once between them.
#[derive(Debug, Clone)]
pub struct LazyChain {
    basis: Arc<ChainBasis>,
    spot: Decimal,
    timestamp: IstTime,
    /// The strike the day's volume and OI are centred on, rupees.
    volume_centre: Decimal,
    /// Session fraction elapsed at `timestamp` (0..1).
    session_fraction: f64,
    /// The single contracts priced so far (a few: the held and ordered ones).
    priced: Arc<Mutex<Vec<OptionQuote>>>,
}

/// Two lazy chains are equal when they would price the same quotes (what was priced so far
/// does not matter).
impl PartialEq for LazyChain {
    fn eq(&self, other: &Self) -> bool {
        self.basis == other.basis
            && self.spot == other.spot
            && self.timestamp == other.timestamp
            && self.volume_centre == other.volume_centre
            && self.session_fraction == other.session_fraction
    }
}

impl LazyChain {
    /// The chain on `basis` at spot `spot` (rupees) taken at `timestamp`, its volume centred on
    /// `volume_centre` (rupees); the session fraction is that of `timestamp` (09:15 = 0,
    /// 15:30 = 1).
    pub(crate) fn new(
        basis: Arc<ChainBasis>,
        spot: Decimal,
        timestamp: IstTime,
        volume_centre: Decimal,
    ) -> Self {
        let local = timestamp.with_timezone(&IST);
        let minutes = f64::from(local.hour() * 60 + local.minute()) - 555.0;
        Self {
            basis,
            spot,
            timestamp,
            volume_centre,
            session_fraction: (minutes / 375.0).clamp(0.0, 1.0),
            priced: Arc::default(),
        }
    }

    /// The underlying.
    pub fn underlying(&self) -> &Symbol {
        &self.basis.underlying
    }

    /// The underlying's spot the chain is priced at, rupees.
    pub fn spot(&self) -> Decimal {
        self.spot
    }

    /// The expiry of every contract in the chain.
    pub fn expiry(&self) -> NaiveDate {
        self.basis.expiry
    }

    /// When the chain is taken (IST).
    pub fn timestamp(&self) -> IstTime {
        self.timestamp
    }

    fn with_frame<R>(&self, f: impl FnOnce(&ChainFrame<'_>) -> R) -> R {
        let spec = ChainSpec {
            underlying: &self.basis.underlying,
            instrument: &self.basis.instrument,
            spot: self.spot,
            expiry: self.basis.expiry,
            timestamp: self.timestamp,
            atm_vol: self.basis.atm_vol,
            volume_centre: self.volume_centre,
            session_fraction: self.session_fraction,
        };
        let frame = ChainFrame::new(&self.basis.config, &spec, self.basis.monthly);
        f(&frame)
    }

    /// The chain's strikes, ascending, rupees.
    pub fn strikes(&self) -> Vec<Decimal> {
        self.with_frame(|f| f.steps().map(|k| f.strike(k)).collect())
    }

    /// The quote of the contract at `strike` (rupees) of type `option_type`, when the chain
    /// lists it.
    pub fn quote(&self, strike: Decimal, option_type: OptionType) -> Option<OptionQuote> {
        if let Some(q) = self.already_priced(|q| {
            q.contract.strike == strike && q.contract.option_type == option_type
        }) {
            return Some(q);
        }
        let q = self.price(strike, option_type)?;
        if let Ok(mut priced) = self.priced.lock() {
            priced.push(q.clone());
        }
        Some(q)
    }

    fn already_priced(&self, pick: impl Fn(&OptionQuote) -> bool) -> Option<OptionQuote> {
        let priced = self.priced.lock().ok()?;
        priced.iter().find(|q| pick(q)).cloned()
    }

    fn price(&self, strike: Decimal, option_type: OptionType) -> Option<OptionQuote> {
        let step = self.basis.instrument.strike_step;
        if step <= Decimal::ZERO || strike <= Decimal::ZERO {
            return None;
        }
        let k = strike.checked_div(step)?;
        if k.fract() != Decimal::ZERO {
            return None;
        }
        let k = k.to_i64()?;
        self.with_frame(|f| f.steps().contains(&k).then(|| f.quote(k, option_type)))
    }

    /// The quote of the contract with this trading symbol, when the chain lists it.
    pub fn by_trading_symbol(&self, trading_symbol: &str) -> Option<OptionQuote> {
        let rest = trading_symbol.strip_prefix(self.basis.prefix.as_str())?;
        if let Some(q) = self.already_priced(|q| q.contract.trading_symbol == trading_symbol) {
            return Some(q);
        }
        let (strike, option_type) = if let Some(s) = rest.strip_suffix("CE") {
            (s, OptionType::CE)
        } else {
            (rest.strip_suffix("PE")?, OptionType::PE)
        };
        let strike: Decimal = strike.parse().ok()?;
        self.quote(strike, option_type)
            .filter(|q| q.contract.trading_symbol == trading_symbol)
    }

    /// A chain of the contracts within `strikes_each_side` strikes of the ATM strike (the strike
    /// nearest the spot), both types, in the whole chain's order: what reading the ATM strike
    /// and its neighbours needs, priced alone.
    pub fn around_atm(&self, strikes_each_side: usize) -> OptionChain {
        let w = i64::try_from(strikes_each_side).unwrap_or(i64::MAX / 4);
        self.with_frame(|f| {
            let atm = f.atm_steps();
            f.chain_of(atm.saturating_sub(w)..=atm.saturating_add(w))
        })
    }

    /// The whole chain, every contract priced: the same chain the eager simulator gives.
    pub fn to_chain(&self) -> OptionChain {
        self.with_frame(|f| f.chain_of(f.steps()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::config::MarketConfig;
    use crate::engine::Event;
    use crate::market::Candle;
    use crate::sim::replay::ReplayFeed;

    /// Candles of `symbol` at `minutes` after 09:15 on the weekdays `days` after 2024-01-01
    /// (sorted by the feed), closing at `closes` rupees.
    fn candles(symbol: &str, days: &[u32], minutes: &[u32], closes: &[f64]) -> Vec<Candle> {
        let symbol = Symbol::parse(symbol).unwrap();
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut out = Vec::new();
        for (i, (&d, &m)) in days.iter().zip(minutes).enumerate() {
            let day = start + Duration::days(i64::from(d));
            let open = IST
                .from_local_datetime(&day.and_hms_opt(9, 15, 0).unwrap())
                .unwrap();
            let close = Decimal::from_f64_retain(closes[i % closes.len()])
                .unwrap()
                .round_dp(2);
            out.push(Candle {
                symbol: symbol.clone(),
                timestamp: open + Duration::minutes(i64::from(m)),
                open: close,
                high: close,
                low: close,
                close,
                volume: 10,
            });
        }
        out
    }

    /// Every contract of every simulated chain, asked of the lazy chain by strike and type and
    /// by trading symbol, is exactly the eagerly priced quote; its strikes, the whole chain and
    /// any window around ATM agree too; contracts the chain does not list are not invented.
    fn lazy_matches_eager(symbol: &str, candles: Vec<Candle>, strikes_per_side: u32, w: usize) {
        let config = SimConfig {
            strikes_per_side,
            ..SimConfig::default()
        };
        let market = MarketConfig::default();
        let eager = ReplayFeed::new(candles.clone(), None, &config, &market, 1);
        let lazy = ReplayFeed::new(candles, None, &config, &market, 1).lazy_chains();
        let (mut eager_chains, mut lazy_chains) = (Vec::new(), Vec::new());
        for (a, b) in eager.zip(lazy) {
            match (a, b) {
                (Event::OptionChain(a), Event::LazyChain(b)) => {
                    eager_chains.push(a);
                    lazy_chains.push(b);
                }
                (a, b) => assert_eq!(a, b),
            }
        }
        assert!(!eager_chains.is_empty(), "{symbol}: no chains");
        assert_eq!(eager_chains.len(), lazy_chains.len());
        for (full, lazy) in eager_chains.iter().zip(&lazy_chains) {
            assert_eq!(lazy.underlying(), &full.underlying);
            assert_eq!(
                (lazy.spot(), lazy.expiry(), lazy.timestamp()),
                (full.spot, full.expiry, full.timestamp)
            );
            assert_eq!(lazy.strikes(), full.strikes());
            for q in &full.quotes {
                let c = &q.contract;
                assert_eq!(lazy.quote(c.strike, c.option_type).as_ref(), Some(q));
                assert_eq!(lazy.by_trading_symbol(&c.trading_symbol).as_ref(), Some(q));
            }
            assert_eq!(&lazy.to_chain(), full);
            let window = lazy.around_atm(w);
            assert!(window.quotes.len() <= full.quotes.len());
            assert!(window.quotes.len() >= 2 || full.quotes.len() < 2);
            let first = full
                .quotes
                .iter()
                .position(|q| Some(q) == window.quotes.first())
                .expect("the window is part of the chain");
            assert_eq!(
                &full.quotes[first..first + window.quotes.len()],
                &window.quotes[..]
            );
            let step = full.strikes()[1] - full.strikes()[0];
            let (lo, hi) = (full.strikes()[0], *full.strikes().last().unwrap());
            for outside in [lo - step, hi + step, lo + step / Decimal::TWO] {
                assert_eq!(lazy.quote(outside, OptionType::CE), None);
            }
            let ce = &full.quotes[0].contract.trading_symbol;
            let lo_text = lo.normalize().to_string();
            let prefix = &ce[..ce.len() - 2 - lo_text.len()];
            let unlisted = format!("{prefix}{}CE", (hi + step).normalize());
            assert_eq!(lazy.by_trading_symbol(&unlisted), None);
            assert_eq!(lazy.by_trading_symbol(&ce.replace("CE", "XE")), None);
            assert_eq!(lazy.by_trading_symbol("NSE:SBIN"), None);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn lazy_chains_quote_exactly_what_the_priced_chains_hold(
            symbol in prop::sample::select(vec!["NIFTY", "BANKNIFTY", "FINNIFTY"]),
            days in prop::collection::vec(0u32..900, 1..12),
            minutes in prop::collection::vec(0u32..375, 12),
            scale in 0.6f64..1.6,
            closes in prop::collection::vec(0.97f64..1.03, 1..12),
            strikes_per_side in 1u32..25,
            w in 0usize..30,
        ) {
            let base = match symbol { "NIFTY" => 21_700.0, "BANKNIFTY" => 47_000.0, _ => 21_000.0 };
            let closes: Vec<f64> = closes.iter().map(|c| c * base * scale).collect();
            let minutes = &minutes[..days.len()];
            lazy_matches_eager(symbol, candles(symbol, &days, minutes, &closes), strikes_per_side, w);
        }
    }

    #[test]
    fn a_chain_exactly_half_way_between_strikes_and_one_on_a_strike_match_too() {
        // NIFTY strikes are 50 apart: 21725 is half-way, 21700 is on one.
        let closes = [21_725.0, 21_700.0, 21_750.05, 21_724.95];
        lazy_matches_eager(
            "NIFTY",
            candles("NIFTY", &[1, 1, 2, 3], &[0, 374, 100, 200], &closes),
            10,
            0,
        );
    }
}
