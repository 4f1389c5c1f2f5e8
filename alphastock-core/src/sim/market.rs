//! The simulated trading day: underlying price paths and their option chains as engine events.

use std::collections::VecDeque;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::chain::{price_chain, ticks, to_ticks, ChainSpec, Instrument};
use super::config::SimConfig;
use super::expiry::next_expiry;
use super::rng::{mix, Rng};
use super::SimError;
use crate::config::MarketConfig;
use crate::engine::Event;
use crate::market::{IstTime, Quote, Symbol, IST};
use crate::rules::MarketRules;

/// Seconds in the 09:15–15:30 session.
const SESSION_SECONDS: u32 = 375 * 60;
/// Trading days per year, for converting annual vol to per-tick vol.
const TRADING_DAYS: f64 = 252.0;
/// Mean length of a trend or range regime, seconds.
const REGIME_SECONDS: f64 = 2400.0;
/// Pull of a ranging market back to its anchor, per second.
const RANGE_PULL_PER_SECOND: f64 = 1.0 / 900.0;

/// The contract facts of `symbol`'s options on `day`: `market.instruments` when the config
/// names the symbol (an override), else the market rules of that day ([`crate::rules`]): strike
/// step and tick, and the lot of the nearest expiry's contract.
pub(crate) fn instrument_for(
    market: &MarketConfig,
    symbol: &Symbol,
    day: NaiveDate,
) -> Result<Instrument, SimError> {
    if let Some(i) = market.instruments.get(symbol) {
        return Ok(Instrument {
            lot_size: i.lot_size,
            strike_step: i.strike_step,
            tick_size: i.tick_size,
        });
    }
    let unknown = || SimError::UnknownInstrument {
        symbol: symbol.to_string(),
    };
    let rules = MarketRules::embedded().map_err(|_| unknown())?;
    let facts = rules
        .instrument(symbol.name(), day)
        .map_err(|_| unknown())?;
    let nearest = if market.holidays.is_empty() {
        rules.nearest_expiry(symbol.name(), day)
    } else {
        rules
            .with_extra_holidays(&market.holidays)
            .nearest_expiry(symbol.name(), day)
    }
    .map_err(|_| unknown())?;
    Ok(Instrument {
        lot_size: nearest.lot_size,
        strike_step: facts.strike_step,
        tick_size: facts.tick_size,
    })
}

/// The trend state of a simulated price path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Regime {
    /// Drifting at `drift` (log return per second, signed).
    Trend(f64),
    /// Mean-reverting around `anchor` (log price).
    Range(f64),
}

#[derive(Debug, Clone)]
struct Path {
    symbol: Symbol,
    instrument: Instrument,
    tick: f64,
    /// Current log price.
    log_price: f64,
    /// Previous session's close, rupees.
    prev_close: Decimal,
    open: Decimal,
    high: Decimal,
    low: Decimal,
    last: Decimal,
    volume: u64,
    /// Per-second standard deviation of log returns at average intraday activity.
    sigma_per_second: f64,
    /// Daily standard deviation of log returns (fraction).
    sigma_daily: f64,
    atm_vol: f64,
    regime: Regime,
    expiry: NaiveDate,
    /// Opening ATM strike, rupees: the centre of the day's option volume.
    volume_centre: Decimal,
}

/// One simulated trading day (09:15–15:30 IST) as an iterator of engine [`Event`]s in time order.
///
/// Every `tick_seconds` from 09:15:00 (the last tick strictly before 15:30): one
/// [`Event::Quote`] per underlying, then one [`Event::OptionChain`] per underlying (nearest
/// expiry, `strikes_per_side` strikes either side of ATM), then one [`Event::Timer`]. Events are
/// generated lazily, tick by tick, so memory stays flat.
///
/// The price path is geometric Brownian motion with the configured annual vol, scaled by a
/// U-shaped intraday activity curve (busier at open and close) and a random day-level vol
/// factor, with regimes that switch every ~40 minutes on average between trends (up or down,
/// reversals favoured) and ranges (pulled back to where the range began), and an opening gap.
/// Deterministic: the same config, market facts and day give identical events.
#[derive(Debug, Clone)]
pub struct SimMarket {
    day: NaiveDate,
    config: SimConfig,
    session_open: IstTime,
    tick_seconds: u32,
    n_ticks: u32,
    next_tick: u32,
    rng: Rng,
    paths: Vec<Path>,
    pending: VecDeque<Event>,
}

impl SimMarket {
    /// The simulated session of `day`, starting from each underlying's configured `start_price`.
    ///
    /// Underlyings are `config.underlyings`; their lot size, strike step and tick size come from
    /// the market rules of `day` (`market.instruments` overrides them); expiries follow the
    /// rules' expiry cycles and holidays, and `market.holidays` too.
    pub fn new(
        config: &SimConfig,
        market: &MarketConfig,
        day: NaiveDate,
    ) -> Result<Self, SimError> {
        let prev: Vec<(Symbol, Decimal)> = config
            .underlyings
            .iter()
            .map(|(s, u)| (s.clone(), u.start_price))
            .collect();
        Self::with_previous_close(config, market, day, &prev)
    }

    /// Like [`SimMarket::new`] but starting from the given previous closes (rupees) where listed:
    /// how consecutive days chain together.
    pub fn with_previous_close(
        config: &SimConfig,
        market: &MarketConfig,
        day: NaiveDate,
        previous_close: &[(Symbol, Decimal)],
    ) -> Result<Self, SimError> {
        let problems = config.validate();
        if !problems.is_empty() {
            return Err(SimError::InvalidConfig(
                problems
                    .into_iter()
                    .map(|(k, r)| format!("simulation.{k} {r}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ));
        }
        let open_time = NaiveTime::from_hms_opt(9, 15, 0).ok_or(SimError::Calendar)?;
        let session_open = IST
            .from_local_datetime(&day.and_time(open_time))
            .single()
            .ok_or(SimError::Calendar)?;
        let mut rng = Rng::new(mix(&[config.seed, day.to_epoch_days() as u64]));
        // One day-level activity factor shared by all underlyings (index moves are correlated).
        let day_factor = (0.2 * rng.normal() - 0.02).exp();
        let mut paths = Vec::with_capacity(config.underlyings.len());
        for (symbol, u) in &config.underlyings {
            let instrument = instrument_for(market, symbol, day)?;
            let prev_close = previous_close
                .iter()
                .find(|(s, _)| s == symbol)
                .map_or(u.start_price, |(_, p)| *p);
            let prev_f = prev_close.to_f64().unwrap_or(0.0);
            if prev_f.is_nan() || prev_f <= 0.0 {
                return Err(SimError::BadStartPrice {
                    symbol: symbol.to_string(),
                    price: prev_close.to_string(),
                });
            }
            let tick = instrument.tick_size.to_f64().unwrap_or(0.05).max(1e-6);
            let sigma_daily = u.annual_vol * day_factor / TRADING_DAYS.sqrt();
            let sigma_per_second = sigma_daily / f64::from(SESSION_SECONDS).sqrt();
            let gap = 0.3 * sigma_daily * rng.normal();
            let log_price = prev_f.ln() + gap;
            let open = ticks(
                to_ticks(log_price.exp() + tick / 2.0, tick, false),
                instrument.tick_size,
            );
            let step = instrument.strike_step.to_f64().unwrap_or(1.0).max(1e-9);
            let volume_centre =
                instrument.strike_step * Decimal::from((log_price.exp() / step).round() as i64);
            let regime = Regime::Range(log_price);
            paths.push(Path {
                symbol: symbol.clone(),
                tick,
                log_price,
                prev_close,
                open,
                high: open,
                low: open,
                last: open,
                volume: 0,
                sigma_per_second,
                sigma_daily,
                atm_vol: config.vol_surface.atm_vol.unwrap_or(u.annual_vol),
                regime,
                expiry: next_expiry(symbol, day, &market.holidays),
                volume_centre,
                instrument,
            });
        }
        let tick_seconds = config.tick_seconds;
        Ok(Self {
            day,
            config: config.clone(),
            session_open,
            tick_seconds,
            n_ticks: SESSION_SECONDS.div_ceil(tick_seconds),
            next_tick: 0,
            rng,
            paths,
            pending: VecDeque::new(),
        })
    }

    /// A run of `n` consecutive trading days from `start` (weekends and `market.holidays`
    /// skipped), each day opening from the previous day's close, as one event iterator.
    pub fn days(
        config: &SimConfig,
        market: &MarketConfig,
        start: NaiveDate,
        n: usize,
    ) -> Result<SimDays, SimError> {
        let dates = trading_days(start, n, &market.holidays);
        // Validate up front so errors surface here rather than mid-iteration.
        let first = match dates.first() {
            Some(d) => Some(SimMarket::new(config, market, *d)?),
            None => None,
        };
        Ok(SimDays {
            config: config.clone(),
            market: market.clone(),
            dates: dates.into_iter().skip(1).collect(),
            current: first,
        })
    }

    /// The simulated date.
    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// Number of ticks in the session (quotes per underlying).
    pub fn tick_count(&self) -> u32 {
        self.n_ticks
    }

    /// Each underlying's latest simulated price, rupees (the open before the first tick).
    pub fn last_prices(&self) -> Vec<(Symbol, Decimal)> {
        self.paths
            .iter()
            .map(|p| (p.symbol.clone(), p.last))
            .collect()
    }

    /// The option expiry each underlying's chains use today.
    pub fn expiries(&self) -> Vec<(Symbol, NaiveDate)> {
        self.paths
            .iter()
            .map(|p| (p.symbol.clone(), p.expiry))
            .collect()
    }

    /// Intraday activity multiplier at session fraction `tau`: U-shaped, RMS 1 over the day.
    fn activity(tau: f64) -> f64 {
        let y = 2.0 * tau - 1.0;
        // a + b·y² with a = 0.6, b = 1.8; E[(a + b y²)²] over y ∈ [−1, 1] = 1.8 → RMS √1.8.
        (0.6 + 1.8 * y * y) / 1.8_f64.sqrt()
    }

    fn generate_tick(&mut self) {
        let i = self.next_tick;
        self.next_tick += 1;
        let offset = i64::from(i) * i64::from(self.tick_seconds);
        let ts = self.session_open + Duration::seconds(offset);
        let tau = offset as f64 / f64::from(SESSION_SECONDS);
        let dt = f64::from(self.tick_seconds);
        let activity = Self::activity(tau);
        let switch_p = (dt / REGIME_SECONDS).min(1.0);
        for p in &mut self.paths {
            if i > 0 {
                // Regime change?
                if self.rng.uniform() < switch_p {
                    p.regime = match p.regime {
                        Regime::Trend(d) => {
                            let u = self.rng.uniform();
                            if u < 0.45 {
                                Regime::Range(p.log_price)
                            } else {
                                // Reversals are likelier than continuations.
                                let sign = if u < 0.85 { -d.signum() } else { d.signum() };
                                let strength = 2.0 + 4.0 * self.rng.uniform();
                                Regime::Trend(
                                    sign * strength * p.sigma_daily / f64::from(SESSION_SECONDS),
                                )
                            }
                        }
                        Regime::Range(_) => {
                            let sign = if self.rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                            let strength = 2.0 + 4.0 * self.rng.uniform();
                            Regime::Trend(
                                sign * strength * p.sigma_daily / f64::from(SESSION_SECONDS),
                            )
                        }
                    };
                }
                let drift = match p.regime {
                    Regime::Trend(d) => d * dt,
                    Regime::Range(anchor) => {
                        -(p.log_price - anchor) * (RANGE_PULL_PER_SECOND * dt).min(1.0)
                    }
                };
                let sigma = p.sigma_per_second * dt.sqrt() * activity;
                p.log_price += drift - 0.5 * sigma * sigma + sigma * self.rng.normal();
            }
            let price = ticks(
                to_ticks(p.log_price.exp() + p.tick / 2.0, p.tick, false).max(1),
                p.instrument.tick_size,
            );
            p.last = price;
            p.high = p.high.max(price);
            p.low = p.low.min(price);
            let noise = 0.5 + self.rng.uniform();
            p.volume += (2000.0 * activity * noise * dt / 5.0) as u64;
            let tick = p.instrument.tick_size;
            self.pending.push_back(Event::Quote(Quote {
                symbol: p.symbol.clone(),
                ltp: price,
                open: p.open,
                high: p.high,
                low: p.low,
                close: p.prev_close,
                volume: p.volume,
                bid: Some((price - tick).max(tick)),
                ask: Some(price + tick),
                oi: None,
                timestamp: ts,
            }));
        }
        for p in &self.paths {
            let spec = ChainSpec {
                underlying: &p.symbol,
                instrument: &p.instrument,
                spot: p.last,
                expiry: p.expiry,
                timestamp: ts,
                atm_vol: p.atm_vol,
                volume_centre: p.volume_centre,
                session_fraction: tau,
            };
            self.pending
                .push_back(Event::OptionChain(price_chain(&self.config, &spec)));
        }
        self.pending.push_back(Event::Timer(ts));
    }
}

impl Iterator for SimMarket {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        if self.pending.is_empty() && self.next_tick < self.n_ticks {
            self.generate_tick();
        }
        self.pending.pop_front()
    }
}

/// Several consecutive simulated days as one event iterator; see [`SimMarket::days`].
#[derive(Debug, Clone)]
pub struct SimDays {
    config: SimConfig,
    market: MarketConfig,
    dates: VecDeque<NaiveDate>,
    current: Option<SimMarket>,
}

impl SimDays {
    /// The day currently being generated, if any remain.
    pub fn current_day(&self) -> Option<NaiveDate> {
        self.current.as_ref().map(SimMarket::day)
    }
}

impl Iterator for SimDays {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        loop {
            let cur = self.current.as_mut()?;
            if let Some(e) = cur.next() {
                return Some(e);
            }
            let closes = cur.last_prices();
            self.current = match self.dates.pop_front() {
                // The config was validated when the run was built, so this only fails on an
                // unrepresentable calendar date; the run then ends.
                Some(d) => {
                    SimMarket::with_previous_close(&self.config, &self.market, d, &closes).ok()
                }
                None => None,
            };
        }
    }
}

/// The first `n` trading days on or after `start`: NSE's regular trading days per the market
/// rules (weekends and exchange holidays skipped), also skipping `holidays` (the config's
/// `market.holidays`).
pub fn trading_days(start: NaiveDate, n: usize, holidays: &[NaiveDate]) -> Vec<NaiveDate> {
    if let Ok(rules) = MarketRules::embedded() {
        return rules
            .calendar()
            .with_extra_holidays(holidays)
            .trading_days(start, n);
    }
    let mut out = Vec::with_capacity(n);
    let mut d = start;
    while out.len() < n {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&d) {
            out.push(d);
        }
        match d.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
    }
    out
}
