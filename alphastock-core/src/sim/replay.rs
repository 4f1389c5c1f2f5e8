//! Replay feed: recorded candles (and optional recorded option snapshots) turned into the same
//! time-ordered engine [`Event`]s the live loop and the simulator produce.
//!
//! Candles come in as `Vec<Candle>` (parsed elsewhere from the canonical candle CSV
//! `timestamp,symbol,open,high,low,close,volume`). Option data, when recorded, comes in the
//! **option-snapshot CSV** format parsed by [`parse_option_snapshots`]:
//!
//! ```text
//! timestamp,underlying,spot,expiry,strike,option_type,premium,bid,ask,volume,oi,iv
//! 2025-12-03T09:20:00+05:30,NIFTY,24310.5,2025-12-09,24300,CE,142.35,142.10,142.60,182250,915000,0.118
//! ```
//!
//! - `timestamp`: RFC 3339 with offset (`2025-12-03T09:20:00+05:30`), or `YYYY-MM-DD HH:MM:SS`
//!   read as IST;
//! - `underlying`: a symbol (`NIFTY`, `NSE:SBIN`); `spot`: the underlying's price then, rupees;
//! - `expiry`: `YYYY-MM-DD`; `strike`: rupees; `option_type`: `CE` or `PE`;
//! - `premium`, `bid`, `ask`: rupees per unit (`bid`/`ask` may be empty);
//! - `volume`, `oi`: units, whole numbers; `iv`: implied vol as a fraction (0.118 = 11.8 %),
//!   may be empty.
//!
//! The first line is the header (exactly these names, in this order); blank lines and lines
//! starting with `#` are skipped. Rows with the same timestamp, underlying and expiry form one
//! [`OptionChain`]. Every error names its 1-based line number and column.
//!
//! Without snapshots, each candle's chain is priced from the simulated volatility surface at the
//! candle's close and stamped at the candle's end ([`OptionSource::Simulated`]): say so when
//! reporting results.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Timelike};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::chain::{price_chain, ChainSpec};
use super::config::SimConfig;
use super::expiry::next_expiry;
use super::lazy::{ChainBasis, LazyChain};
use super::market::instrument_for;
use crate::config::MarketConfig;
use crate::engine::Event;
use crate::market::{
    Candle, IstTime, OptionChain, OptionContract, OptionQuote, OptionType, Symbol, IST,
};

/// The option-snapshot CSV header, in order.
pub const SNAPSHOT_HEADER: [&str; 12] = [
    "timestamp",
    "underlying",
    "spot",
    "expiry",
    "strike",
    "option_type",
    "premium",
    "bid",
    "ask",
    "volume",
    "oi",
    "iv",
];

/// A problem in the option-snapshot CSV or in building a replay.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// A line of the snapshot CSV could not be read.
    #[error("option snapshots line {line}, column `{column}`: {reason}")]
    Snapshot {
        /// 1-based line number in the file.
        line: usize,
        /// The column name (or `header`).
        column: &'static str,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// The underlying has no contract facts (lot size, tick size).
    #[error("option snapshots line {line}: {source}")]
    Instrument {
        /// 1-based line number in the file.
        line: usize,
        /// The cause.
        source: super::SimError,
    },
}

/// Where a replay's option chains come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionSource {
    /// Recorded option snapshots.
    Recorded,
    /// Priced from the simulated volatility surface at each candle (no recorded options).
    Simulated,
}

fn parse_time(text: &str) -> Option<IstTime> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&IST));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    IST.from_local_datetime(&naive).single()
}

/// Parses option snapshots (the format in the module docs) into chains, ordered by timestamp
/// (stable for equal timestamps). A file whose header is the recorded NSE chain format
/// (`...,ltp,bid,ask,volume,oi,iv`, IV in percent, volume and OI in contracts) is read by
/// [`parse_recorded_chains`](super::recorded_chain::parse_recorded_chains) instead. Lot and tick sizes come from `market.instruments` (else the
/// built-in index facts); trading symbols are made in the NSE form.
pub fn parse_option_snapshots(
    text: &str,
    market: &MarketConfig,
) -> Result<Vec<OptionChain>, ReplayError> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    if first.is_some_and(|h| {
        super::recorded_chain::is_recorded_chain_header(h.trim_start_matches('\u{feff}'))
    }) {
        return super::recorded_chain::parse_recorded_chains(text, market);
    }
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let header_ok = lines.next().is_some_and(|(_, h)| {
        let cols: Vec<&str> = h.split(',').map(str::trim).collect();
        cols == SNAPSHOT_HEADER
    });
    if !header_ok {
        return Err(ReplayError::Snapshot {
            line: 1,
            column: "header",
            reason: format!("the first line must be `{}`", SNAPSHOT_HEADER.join(",")),
        });
    }
    let mut chains: Vec<OptionChain> = Vec::new();
    for (line, row) in lines {
        let cells: Vec<&str> = row.split(',').map(str::trim).collect();
        if cells.len() != SNAPSHOT_HEADER.len() {
            return Err(ReplayError::Snapshot {
                line,
                column: "header",
                reason: format!(
                    "expected {} columns, found {}",
                    SNAPSHOT_HEADER.len(),
                    cells.len()
                ),
            });
        }
        let bad = |col: usize, reason: String| ReplayError::Snapshot {
            line,
            column: SNAPSHOT_HEADER[col],
            reason,
        };
        let money = |col: usize| -> Result<Decimal, ReplayError> {
            let v: Decimal = cells[col]
                .parse()
                .map_err(|_| bad(col, format!("expected rupees, got `{}`", cells[col])))?;
            if v < Decimal::ZERO {
                return Err(bad(col, format!("must not be negative, got {v}")));
            }
            Ok(v)
        };
        let opt_money = |col: usize| -> Result<Option<Decimal>, ReplayError> {
            if cells[col].is_empty() {
                Ok(None)
            } else {
                money(col).map(Some)
            }
        };
        let count = |col: usize| -> Result<u64, ReplayError> {
            cells[col].parse().map_err(|_| {
                bad(
                    col,
                    format!("expected a whole number of units, got `{}`", cells[col]),
                )
            })
        };
        let timestamp = parse_time(cells[0]).ok_or_else(|| {
            bad(0, format!("expected RFC 3339 (2025-12-03T09:20:00+05:30) or `YYYY-MM-DD HH:MM:SS` IST, got `{}`", cells[0]))
        })?;
        let underlying = Symbol::parse(cells[1]).map_err(|e| bad(1, e.to_string()))?;
        let spot = money(2)?;
        if spot <= Decimal::ZERO {
            return Err(bad(2, "must be positive".into()));
        }
        let expiry = NaiveDate::parse_from_str(cells[3], "%Y-%m-%d")
            .map_err(|_| bad(3, format!("expected YYYY-MM-DD, got `{}`", cells[3])))?;
        let strike = money(4)?;
        if strike <= Decimal::ZERO {
            return Err(bad(4, "must be positive".into()));
        }
        let option_type: OptionType = cells[5]
            .parse()
            .map_err(|_| bad(5, format!("expected CE or PE, got `{}`", cells[5])))?;
        let premium = money(6)?;
        let bid = opt_money(7)?;
        let ask = opt_money(8)?;
        if let (Some(b), Some(a)) = (bid, ask) {
            if b > a {
                return Err(bad(8, format!("ask {a} is below bid {b}")));
            }
        }
        let volume = count(9)?;
        let oi = count(10)?;
        let iv = if cells[11].is_empty() {
            None
        } else {
            let v: f64 = cells[11].parse().map_err(|_| {
                bad(
                    11,
                    format!("expected a fraction (0.118 = 11.8 %), got `{}`", cells[11]),
                )
            })?;
            if !(v.is_finite() && v > 0.0 && v < 10.0) {
                return Err(bad(
                    11,
                    format!("expected a fraction between 0 and 10, got {v}"),
                ));
            }
            Some(v)
        };
        let inst = instrument_for(
            market,
            &underlying,
            timestamp.with_timezone(&IST).date_naive(),
        )
        .map_err(|source| ReplayError::Instrument { line, source })?;
        let contract = OptionContract {
            trading_symbol: super::expiry::trading_symbol(
                &underlying,
                expiry,
                &strike.normalize().to_string(),
                option_type == OptionType::CE,
            ),
            exchange: underlying.derivatives_exchange(),
            underlying: underlying.clone(),
            expiry,
            strike,
            option_type,
            lot_size: inst.lot_size,
            tick_size: inst.tick_size,
        };
        let quote = OptionQuote {
            contract,
            premium,
            bid,
            ask,
            volume: Some(volume),
            oi: Some(oi),
            iv,
            greeks: None,
            timestamp,
        };
        match chains.last_mut() {
            Some(c)
                if c.timestamp == timestamp && c.underlying == underlying && c.expiry == expiry =>
            {
                c.quotes.push(quote)
            }
            _ => chains.push(OptionChain {
                underlying,
                spot,
                expiry,
                timestamp,
                quotes: vec![quote],
            }),
        }
    }
    chains.sort_by_key(|c| c.timestamp);
    Ok(chains)
}

/// Recorded candles (plus recorded or simulated option chains) as a time-ordered event
/// iterator, each event at the moment its data is **known**.
///
/// A candle stamped `S` (its start) is known only at its end `E = S + candle_minutes`; a
/// recorded chain at its own timestamp. For each distinct known time `T`, in order: the
/// recorded chains stamped `T`; then every candle ending at `T` (by symbol) as an
/// [`Event::Candle`], each preceded — when chains are simulated — by that underlying's chain
/// priced at the candle's close **and stamped `T`** (the close is the price at `T`, so the
/// time to expiry is the one at `T`); then one [`Event::Timer`]`(T)`. So a decision made on a
/// candle (at its end) sees only chains stamped at or before its end, and never a chain from
/// after it. Simulated chains are made lazily, so memory stays flat; they are skipped for
/// symbols with no contract facts (see [`SimMarket::new`](super::SimMarket::new)).
pub struct ReplayFeed {
    config: SimConfig,
    market: MarketConfig,
    candles: std::iter::Peekable<CandleSource>,
    /// The underlyings whose simulated chains are priced; `None`: every candle's symbol.
    chain_symbols: Option<BTreeSet<Symbol>>,
    chains: VecDeque<OptionChain>,
    source: OptionSource,
    pending: VecDeque<Event>,
    /// The [`Event::Timer`] that follows `pending` (kept out of the queue: one per moment).
    timer: Option<IstTime>,
    candle_length: chrono::Duration,
    /// Simulated chains go out as [`Event::LazyChain`] (priced on demand) instead of priced.
    lazy: bool,
    /// Per underlying: the IST day and the [`ChainBasis`] of its lazy chains that day.
    bases: BTreeMap<Symbol, (NaiveDate, Option<Arc<ChainBasis>>)>,
}

/// Where a [`ReplayFeed`] takes its candles from, in replay order.
pub type CandleSource = Box<dyn Iterator<Item = Candle> + Send>;

impl std::fmt::Debug for ReplayFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayFeed")
            .field("source", &self.source)
            .field("chain_symbols", &self.chain_symbols)
            .field("chains", &self.chains.len())
            .field("pending", &self.pending.len())
            .field("timer", &self.timer)
            .field("candle_length", &self.candle_length)
            .field("lazy", &self.lazy)
            .finish_non_exhaustive()
    }
}

/// The symbols whose option chains an engine built from `config` can use: those of enabled
/// strategies trading options (`instrument: option`) or reading the chain (`iv_regime`). A
/// symbol traded only as the underlying itself by strategies that never look at a chain needs
/// none, so a replay need not price one for it (see [`ReplayFeed::only_chains_for`]).
pub fn symbols_needing_chains(config: &crate::config::Config) -> BTreeSet<Symbol> {
    config
        .strategies
        .iter()
        .filter(|(_, s)| s.enabled)
        .filter(|(name, s)| {
            s.instrument == crate::config::TradeInstrument::Option
                || crate::strategy::reads_option_chain(s.kind(name))
        })
        .flat_map(|(_, s)| s.symbols.iter().cloned())
        .collect()
}

impl ReplayFeed {
    /// A replay of `candles` of `candle_minutes` each (any order; sorted here by timestamp,
    /// then symbol) with recorded `snapshots` when given, else chains priced from `config`'s
    /// volatility surface.
    pub fn new(
        mut candles: Vec<Candle>,
        snapshots: Option<Vec<OptionChain>>,
        config: &SimConfig,
        market: &MarketConfig,
        candle_minutes: u32,
    ) -> Self {
        candles.sort_by(|a, b| {
            a.timestamp
                .cmp(&b.timestamp)
                .then_with(|| a.symbol.cmp(&b.symbol))
        });
        Self::from_ordered(
            Box::new(candles.into_iter()),
            snapshots,
            config,
            market,
            candle_minutes,
        )
    }

    /// A replay of candles that arrive already in replay order (by timestamp, then symbol),
    /// e.g. read a row at a time from files, so only the candles of one moment are held at a
    /// time. `snapshots` are recorded chains (any order), or `None` for chains priced from
    /// `config`'s volatility surface. Candles out of that order are replayed as they come.
    pub fn from_ordered(
        candles: CandleSource,
        snapshots: Option<Vec<OptionChain>>,
        config: &SimConfig,
        market: &MarketConfig,
        candle_minutes: u32,
    ) -> Self {
        let (source, mut chains) = match snapshots {
            Some(c) => (OptionSource::Recorded, c),
            None => (OptionSource::Simulated, Vec::new()),
        };
        chains.sort_by_key(|c| c.timestamp);
        Self {
            config: config.clone(),
            market: market.clone(),
            candles: candles.peekable(),
            chain_symbols: None,
            chains: chains.into(),
            source,
            pending: VecDeque::new(),
            timer: None,
            candle_length: chrono::Duration::minutes(i64::from(candle_minutes.max(1))),
            lazy: false,
            bases: BTreeMap::new(),
        }
    }

    /// Sends simulated chains as [`Event::LazyChain`]s, priced only for the contracts the
    /// engine and the backtester ask for, instead of pricing every contract of every chain;
    /// the quotes asked for are exactly those of the priced chain (see [`LazyChain`]).
    /// Recorded snapshots are not affected.
    pub fn lazy_chains(mut self) -> Self {
        self.lazy = true;
        self
    }

    /// Prices simulated chains only for the underlyings in `symbols` (e.g.
    /// [`symbols_needing_chains`] of the engine's config); candles of other symbols replay
    /// without a chain. Recorded snapshots are not affected.
    pub fn only_chains_for(mut self, symbols: BTreeSet<Symbol>) -> Self {
        self.chain_symbols = Some(symbols);
        self
    }

    /// Where the option chains come from.
    pub fn option_source(&self) -> OptionSource {
        self.source
    }

    /// True when option chains are priced from the simulated surface, not recorded.
    pub fn chains_simulated(&self) -> bool {
        self.source == OptionSource::Simulated
    }

    /// The chain of `candle`'s underlying at its close: spot = the close, stamped and priced at
    /// `at` (the candle's end), with the contract rules of that day.
    fn simulated_chain(&self, candle: &Candle, at: IstTime) -> Option<OptionChain> {
        let inst = instrument_for(&self.market, &candle.symbol, at.date_naive()).ok()?;
        let atm_vol = self.atm_vol(&candle.symbol);
        let local = at.with_timezone(&IST);
        let minutes = f64::from(local.hour() * 60 + local.minute()) - 555.0;
        let spec = ChainSpec {
            underlying: &candle.symbol,
            instrument: &inst,
            spot: candle.close,
            expiry: next_expiry(&candle.symbol, local.date_naive(), &self.market.holidays),
            timestamp: at,
            atm_vol,
            volume_centre: candle.close,
            session_fraction: (minutes / 375.0).clamp(0.0, 1.0),
        };
        (candle.close.to_f64().unwrap_or(0.0) > 0.0).then(|| price_chain(&self.config, &spec))
    }

    /// [`ReplayFeed::simulated_chain`], priced on demand; the day's contract facts, expiry
    /// and vol are worked out once per underlying and day.
    fn lazy_chain(&mut self, candle: &Candle, at: IstTime) -> Option<LazyChain> {
        let day = at.with_timezone(&IST).date_naive();
        let cached = self
            .bases
            .get(&candle.symbol)
            .filter(|(d, _)| *d == day)
            .map(|(_, b)| b.clone());
        let basis = match cached {
            Some(b) => b,
            None => {
                let b = self.basis(&candle.symbol, at).map(Arc::new);
                self.bases.insert(candle.symbol.clone(), (day, b.clone()));
                b
            }
        }?;
        (candle.close.to_f64().unwrap_or(0.0) > 0.0)
            .then(|| LazyChain::new(basis, candle.close, at, candle.close))
    }

    /// What `symbol`'s simulated chains share on the day of `at`; `None` without contract facts.
    fn basis(&self, symbol: &Symbol, at: IstTime) -> Option<ChainBasis> {
        let inst = instrument_for(&self.market, symbol, at.date_naive()).ok()?;
        let local = at.with_timezone(&IST);
        let expiry = next_expiry(symbol, local.date_naive(), &self.market.holidays);
        Some(ChainBasis::new(
            symbol.clone(),
            inst,
            expiry,
            self.atm_vol(symbol),
            &self.config,
        ))
    }

    /// The 30-day ATM vol (fraction) simulated chains of `symbol` are priced at.
    fn atm_vol(&self, symbol: &Symbol) -> f64 {
        self.config.vol_surface.atm_vol.unwrap_or_else(|| {
            self.config
                .underlyings
                .get(symbol)
                .map_or(0.15, |u| u.annual_vol)
        })
    }

    fn fill(&mut self) {
        let next_start = self.candles.peek().map(|c| c.timestamp);
        let next_candle = next_start.map(|s| s + self.candle_length);
        let next_chain = self.chains.front().map(|c| c.timestamp);
        let t = match (next_candle, next_chain) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => return,
        };
        while self.chains.front().is_some_and(|c| c.timestamp == t) {
            if let Some(c) = self.chains.pop_front() {
                self.pending.push_back(Event::OptionChain(c));
            }
        }
        // The candles ending at `t` are those starting when the next one does (none when a
        // recorded chain comes first).
        let start = next_start.filter(|_| next_candle == Some(t));
        while self
            .candles
            .peek()
            .is_some_and(|c| Some(c.timestamp) == start)
        {
            let Some(candle) = self.candles.next() else {
                break;
            };
            let wanted = self
                .chain_symbols
                .as_ref()
                .is_none_or(|s| s.contains(&candle.symbol));
            if self.source == OptionSource::Simulated && wanted {
                if self.lazy {
                    if let Some(c) = self.lazy_chain(&candle, t) {
                        self.pending.push_back(Event::LazyChain(c));
                    }
                } else if let Some(c) = self.simulated_chain(&candle, t) {
                    self.pending.push_back(Event::OptionChain(c));
                }
            }
            self.pending.push_back(Event::Candle(candle));
        }
        self.timer = Some(t);
    }
}

impl Iterator for ReplayFeed {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if let Some(e) = self.pending.pop_front() {
            return Some(e);
        }
        if let Some(t) = self.timer.take() {
            return Some(Event::Timer(t));
        }
        self.fill();
        self.pending
            .pop_front()
            .or_else(|| self.timer.take().map(Event::Timer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const SNAPSHOTS: &str = "\
timestamp,underlying,spot,expiry,strike,option_type,premium,bid,ask,volume,oi,iv
# a comment
2025-12-03T09:20:00+05:30,NIFTY,24310.5,2025-12-09,24300,CE,142.35,142.10,142.60,182250,915000,0.118
2025-12-03T09:20:00+05:30,NIFTY,24310.5,2025-12-09,24300,PE,118.20,,,90000,800000,
2025-12-03 09:15:00,NIFTY,24290,2025-12-09,24300,CE,130,129.9,130.1,1000,900000,0.12
";

    fn candle(ts: &str, sym: &str, close: Decimal) -> Candle {
        Candle {
            symbol: Symbol::parse(sym).unwrap(),
            timestamp: DateTime::parse_from_rfc3339(ts).unwrap(),
            open: close,
            high: close,
            low: close,
            close,
            volume: 10,
        }
    }

    #[test]
    fn snapshots_group_into_chains_in_time_order() {
        let chains = parse_option_snapshots(SNAPSHOTS, &MarketConfig::default()).unwrap();
        assert_eq!(chains.len(), 2);
        assert_eq!(
            chains[0].timestamp.to_rfc3339(),
            "2025-12-03T09:15:00+05:30"
        );
        assert_eq!(chains[1].quotes.len(), 2);
        let pe = chains[1].get(dec!(24300), OptionType::PE).unwrap();
        assert_eq!(pe.premium, dec!(118.20));
        assert_eq!(pe.bid, None);
        assert_eq!(pe.iv, None);
        assert_eq!(pe.contract.lot_size, 75);
        assert_eq!(pe.contract.trading_symbol, "NIFTY25D0924300PE");
        assert_eq!(chains[1].spot, dec!(24310.5));
    }

    #[test]
    fn snapshot_errors_name_line_and_column() {
        let cases = [
            ("timestamp,underlying\n", 1, "header"),
            (
                "timestamp,underlying,spot,expiry,strike,option_type,premium,bid,ask,volume,oi,iv\n\
                 2025-12-03T09:20:00+05:30,NIFTY,24310.5,2025-12-09,24300,XE,1,,,1,1,\n",
                2,
                "option_type",
            ),
            (
                "timestamp,underlying,spot,expiry,strike,option_type,premium,bid,ask,volume,oi,iv\n\n\
                 2025-12-03T09:20:00+05:30,NIFTY,24310.5,09/12/2025,24300,CE,1,,,1,1,\n",
                3,
                "expiry",
            ),
            (
                "timestamp,underlying,spot,expiry,strike,option_type,premium,bid,ask,volume,oi,iv\n\
                 2025-12-03T09:20:00+05:30,NIFTY,24310.5,2025-12-09,24300,CE,1,2,1,1,1,\n",
                2,
                "ask",
            ),
            (
                "timestamp,underlying,spot,expiry,strike,option_type,premium,bid,ask,volume,oi,iv\n\
                 2025-12-03T09:20:00+05:30,NIFTY,24310.5,2025-12-09,24300,CE,1,,,-5,1,\n",
                2,
                "volume",
            ),
        ];
        for (text, want_line, want_col) in cases {
            match parse_option_snapshots(text, &MarketConfig::default()) {
                Err(ReplayError::Snapshot { line, column, .. }) => {
                    assert_eq!((line, column), (want_line, want_col), "{text}")
                }
                other => panic!("expected an error at {want_line}/{want_col}, got {other:?}"),
            }
        }
        let unknown = SNAPSHOTS.replace("NIFTY,24310.5", "NSE:TCS,800");
        assert!(matches!(
            parse_option_snapshots(&unknown, &MarketConfig::default()),
            Err(ReplayError::Instrument { line: 3, .. })
        ));
    }

    #[test]
    fn candles_replay_in_time_order_with_simulated_chains_when_nothing_is_recorded() {
        let candles = vec![
            candle("2025-12-03T09:20:00+05:30", "NIFTY", dec!(24310)),
            candle("2025-12-03T09:15:00+05:30", "NIFTY", dec!(24290)),
            candle("2025-12-03T09:15:00+05:30", "BANKNIFTY", dec!(51245)),
        ];
        let feed = ReplayFeed::new(
            candles,
            None,
            &SimConfig::default(),
            &MarketConfig::default(),
            5,
        );
        assert!(feed.chains_simulated());
        let events: Vec<Event> = feed.collect();
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| match e {
                Event::Candle(_) => "candle",
                Event::OptionChain(_) => "chain",
                Event::Timer(_) => "timer",
                _ => "other",
            })
            .collect();
        // Each simulated chain comes just before its candle, stamped at the candle's end.
        assert_eq!(
            kinds,
            ["chain", "candle", "chain", "candle", "timer", "chain", "candle", "timer"]
        );
        match &events[0] {
            Event::OptionChain(c) => {
                assert_eq!(c.underlying.as_str(), "BANKNIFTY");
                assert_eq!(c.spot, dec!(51245));
                assert_eq!(c.expiry, NaiveDate::from_ymd_opt(2025, 12, 30).unwrap());
                assert_eq!(c.timestamp.to_rfc3339(), "2025-12-03T09:20:00+05:30");
            }
            other => panic!("expected a chain, got {other:?}"),
        }
        match &events[4] {
            Event::Timer(t) => assert_eq!(t.to_rfc3339(), "2025-12-03T09:20:00+05:30"),
            other => panic!("expected the timer, got {other:?}"),
        }
    }

    #[test]
    fn recorded_snapshots_are_merged_by_time() {
        let chains = parse_option_snapshots(SNAPSHOTS, &MarketConfig::default()).unwrap();
        let candles = vec![candle("2025-12-03T09:15:00+05:30", "NIFTY", dec!(24290))];
        let feed = ReplayFeed::new(
            candles,
            Some(chains),
            &SimConfig::default(),
            &MarketConfig::default(),
            5,
        );
        assert_eq!(feed.option_source(), OptionSource::Recorded);
        let events: Vec<Event> = feed.collect();
        assert_eq!(events.len(), 5);
        // The 09:15 candle is known at 09:20: after the 09:15 chain and the 09:20 one.
        assert!(matches!(&events[0], Event::OptionChain(c) if c.quotes.len() == 1));
        assert!(matches!(events[1], Event::Timer(_)));
        assert!(matches!(&events[2], Event::OptionChain(c) if c.quotes.len() == 2));
        assert!(matches!(events[3], Event::Candle(_)));
        assert!(matches!(events[4], Event::Timer(_)));
    }
}
