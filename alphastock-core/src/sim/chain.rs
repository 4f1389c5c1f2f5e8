//! Pricing a simulated option chain from the volatility surface: premiums by Black-Scholes,
//! bid/ask around them, volume and open interest by strike.

use chrono::{NaiveDate, NaiveTime, TimeZone};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::bs::price_and_greeks;
use super::config::{SimConfig, VolSurfaceConfig};
use super::expiry::{is_monthly, trading_symbol_of};
use super::rng::{mix, unit};
use crate::market::{IstTime, OptionChain, OptionContract, OptionQuote, OptionType, Symbol, IST};

/// Seconds in a 365-day year (the calendar convention for time to expiry).
const YEAR_SECONDS: f64 = 365.0 * 86_400.0;

/// Contract facts of a simulated underlying.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Instrument {
    /// Units per lot.
    pub lot_size: u32,
    /// Rupees between strikes.
    pub strike_step: Decimal,
    /// Price step, rupees.
    pub tick_size: Decimal,
}

/// Implied vol (fraction) at `strike` for forward `forward` and `t` years, per
/// [`VolSurfaceConfig`]'s formula, with `atm_vol` the 30-day ATM vol.
pub(crate) fn surface_vol(
    vs: &VolSurfaceConfig,
    atm_vol: f64,
    forward: f64,
    strike: f64,
    t: f64,
) -> f64 {
    let atm = (atm_vol + vs.term_slope * (t - 30.0 / 365.0)).clamp(0.02, 3.0);
    let x = ((strike / forward).ln() / (atm * t.max(1e-6).sqrt())).clamp(-4.0, 4.0);
    (atm * (1.0 + vs.skew * x + vs.smile_curvature * x * x)).clamp(0.02, 3.0)
}

/// Rounds a non-negative rupee amount to the tick grid: `up` to the next tick, else down.
pub(crate) fn to_ticks(x: f64, tick: f64, up: bool) -> i64 {
    let n = x / tick;
    // A small tolerance keeps values that are already on the grid from moving a tick.
    let n = if up {
        (n - 1e-9).ceil()
    } else {
        (n + 1e-9).floor()
    };
    n.max(0.0) as i64
}

/// Decimal rupees for `n` ticks of `tick`.
pub(crate) fn ticks(n: i64, tick: Decimal) -> Decimal {
    tick * Decimal::from(n)
}

/// Expiry moment (15:30 IST on the expiry date).
pub(crate) fn expiry_moment(expiry: NaiveDate) -> Option<IstTime> {
    let close = NaiveTime::from_hms_opt(15, 30, 0)?;
    IST.from_local_datetime(&expiry.and_time(close)).single()
}

/// Fraction of the day's volume traded by session fraction `tau` (0 = open, 1 = close): the
/// integral of a U-shaped intensity `a + b(2s−1)²`, normalised to 1 at the close.
pub(crate) fn cumulative_volume_fraction(tau: f64) -> f64 {
    let (a, b) = (0.6, 1.8);
    let tau = tau.clamp(0.0, 1.0);
    let y = 2.0 * tau - 1.0;
    (a * tau + b * (y * y * y + 1.0) / 6.0) / (a + b / 3.0)
}

/// Inputs of one chain.
pub(crate) struct ChainSpec<'a> {
    pub underlying: &'a Symbol,
    pub instrument: &'a Instrument,
    pub spot: Decimal,
    pub expiry: NaiveDate,
    pub timestamp: IstTime,
    /// ATM vol (fraction) at 30 days for this underlying.
    pub atm_vol: f64,
    /// The strike the day's volume and OI are centred on (the opening ATM strike), rupees.
    pub volume_centre: Decimal,
    /// Session fraction elapsed (0..1), for cumulative volume.
    pub session_fraction: f64,
}

/// The per-chain quantities every quote of one chain is priced from (time to expiry, forward,
/// the strike range, the volume profile), worked out once per chain.
pub(crate) struct ChainFrame<'a> {
    config: &'a SimConfig,
    spec: &'a ChainSpec<'a>,
    /// Price step, rupees (as f64).
    tick: f64,
    /// Spot, rupees (as f64).
    spot: f64,
    /// Rupees between strikes (as f64).
    step_f: f64,
    /// The ATM strike in strike steps.
    atm_steps: i64,
    /// The strike the volume and OI are centred on, in strike steps.
    centre_steps: i64,
    /// Years to expiry (at least one minute).
    t: f64,
    /// Forward price, rupees.
    forward: f64,
    /// Fraction of the day's volume traded so far.
    vol_frac: f64,
    /// Whether the expiry is a monthly one (for the trading symbol).
    monthly: bool,
}

impl<'a> ChainFrame<'a> {
    /// The frame of `spec` priced with `config`; `monthly` is the expiry's series.
    pub(crate) fn new(config: &'a SimConfig, spec: &'a ChainSpec<'a>, monthly: bool) -> Self {
        let inst = spec.instrument;
        let tick = inst.tick_size.to_f64().unwrap_or(0.05).max(1e-6);
        let spot = spec.spot.to_f64().unwrap_or(0.0);
        let step_f = inst.strike_step.to_f64().unwrap_or(1.0).max(1e-9);
        let atm_steps = (spot / step_f).round() as i64;
        let centre_steps = (spec.volume_centre.to_f64().unwrap_or(spot) / step_f).round() as i64;
        let t = expiry_moment(spec.expiry)
            .map(|e| (e - spec.timestamp).num_seconds() as f64 / YEAR_SECONDS)
            .unwrap_or(0.0)
            .max(60.0 / YEAR_SECONDS);
        let forward = spot * (config.risk_free_rate * t).exp();
        Self {
            config,
            spec,
            tick,
            spot,
            step_f,
            atm_steps,
            centre_steps,
            t,
            forward,
            vol_frac: cumulative_volume_fraction(spec.session_fraction),
            monthly,
        }
    }

    /// The chain's strikes in strike steps, ascending: `strikes_per_side` either side of ATM,
    /// positive ones only.
    pub(crate) fn steps(&self) -> std::ops::RangeInclusive<i64> {
        let n = i64::from(self.config.strikes_per_side);
        (self.atm_steps - n).max(1)..=(self.atm_steps + n)
    }

    /// The ATM strike in strike steps (the spot's nearest step, rounded half away from zero).
    pub(crate) fn atm_steps(&self) -> i64 {
        self.atm_steps
    }

    /// The strike `k` steps up from zero, rupees.
    pub(crate) fn strike(&self, k: i64) -> Decimal {
        self.spec.instrument.strike_step * Decimal::from(k)
    }

    /// The quote of the contract `k` strike steps up from zero, of type `ty`; `k` should be in
    /// [`ChainFrame::steps`].
    pub(crate) fn quote(&self, k: i64, ty: OptionType) -> OptionQuote {
        let spec = self.spec;
        let inst = spec.instrument;
        let config = self.config;
        let strike = self.strike(k);
        let strike_f = self.step_f * k as f64;
        let (tick, rate) = (self.tick, config.risk_free_rate);
        let vol = surface_vol(
            &config.vol_surface,
            spec.atm_vol,
            self.forward,
            strike_f,
            self.t,
        );
        let dist = (k - self.centre_steps) as f64;
        let lot = u64::from(inst.lot_size.max(1));
        let (mid, greeks) = price_and_greeks(ty, self.spot, strike_f, self.t, vol, rate);
        let mid_ticks = to_ticks(mid + tick / 2.0, tick, false).max(1);
        let spread_frac = config.spread_pct / 100.0;
        let half = (mid * spread_frac / 2.0).max(tick / 2.0);
        let bid_ticks = to_ticks(mid - half, tick, false).max(1);
        let ask_ticks = to_ticks(mid + half, tick, true).max(bid_ticks + 1);
        // Liquidity: centred on the opening ATM strike, with per-contract noise and more at
        // round strikes.
        let noise = unit(mix(&[
            k as u64,
            ty as u64,
            spec.expiry.to_epoch_days() as u64,
        ]));
        let round = if k % 5 == 0 { 1.5 } else { 1.0 };
        let oi_lots = (3000.0 * (-dist * dist / 72.0).exp() + 40.0) * (0.5 + noise) * round;
        let oi_lots = oi_lots * (1.0 + 0.1 * spec.session_fraction);
        let vol_lots = oi_lots * 4.0 * self.vol_frac;
        let contract = OptionContract {
            underlying: spec.underlying.clone(),
            expiry: spec.expiry,
            strike,
            option_type: ty,
            lot_size: inst.lot_size,
            tick_size: inst.tick_size,
            trading_symbol: trading_symbol_of(
                spec.underlying,
                spec.expiry,
                self.monthly,
                &strike.normalize().to_string(),
                ty == OptionType::CE,
            ),
            exchange: spec.underlying.derivatives_exchange(),
        };
        OptionQuote {
            contract,
            premium: ticks(mid_ticks, inst.tick_size),
            bid: Some(ticks(bid_ticks, inst.tick_size)),
            ask: Some(ticks(ask_ticks, inst.tick_size)),
            volume: Some(vol_lots as u64 * lot),
            oi: Some(oi_lots as u64 * lot),
            iv: Some(vol),
            greeks: Some(greeks),
            timestamp: spec.timestamp,
        }
    }

    /// An [`OptionChain`] of the contracts `k` in `steps` (clipped to the chain's strikes), CE
    /// then PE at each strike, strikes ascending: the order [`price_chain`] gives.
    pub(crate) fn chain_of(&self, steps: std::ops::RangeInclusive<i64>) -> OptionChain {
        let all = self.steps();
        let from = (*steps.start()).max(*all.start());
        let to = (*steps.end()).min(*all.end());
        let mut quotes = Vec::with_capacity(usize::try_from(2 * (to - from + 1)).unwrap_or(0));
        for k in from..=to {
            for ty in [OptionType::CE, OptionType::PE] {
                quotes.push(self.quote(k, ty));
            }
        }
        OptionChain {
            underlying: self.spec.underlying.clone(),
            spot: self.spec.spot,
            expiry: self.spec.expiry,
            timestamp: self.spec.timestamp,
            quotes,
        }
    }
}

/// Prices `strikes_per_side` strikes either side of the ATM strike, CE and PE each.
pub(crate) fn price_chain(config: &SimConfig, spec: &ChainSpec<'_>) -> OptionChain {
    let frame = ChainFrame::new(config, spec, is_monthly(spec.underlying, spec.expiry));
    frame.chain_of(frame.steps())
}
