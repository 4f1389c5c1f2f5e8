//! Target and stop-loss premium for a long option, from the underlying's target and stop.
//!
//! Methods ([`TargetMethod`]), each giving a raw premium level for an underlying level `L`
//! (the target or the stop), with `P` the entry premium, `S` the spot, `dS = L − S`:
//! - `delta_based`: `P + Δ·dS`.
//! - `historical_correlation`: `P · D · (1 + d · (dS/S) · m)` where `d` is +1 for a CE and −1
//!   for a PE, and `m` the multiplier (percent of premium per percent of underlying):
//!   - `m` = the explicit `multiplier` if given, else the [`CorrelationTable`] entry for the
//!     option's moneyness, type and days-to-expiry bucket (needs `strike` and `days`), else the
//!     table's default 4.0;
//!   - volatility adjustment, only when `iv` is given: `m ← m · clamp(√(σ_ref / σ), 0.5, 2)`,
//!     with `σ_ref` the learned entry's mean IV, else [`OptionsPricingEngine::reference_vol`]
//!     (0.15). A higher IV means a dearer option and so a smaller percentage move;
//!   - time-decay adjustment, only when `days` is given and the holding time `h` (days) is not
//!     zero: `D = √(max(0, 1 − h / days))`, the √T decay of time value over the holding time;
//!     otherwise `D = 1`.
//!
//!   An explicit multiplier with neither `iv` nor `days` is therefore used exactly as given.
//! - `delta_gamma`: `P + Δ·dS + ½·Γ·dS² + θ·h` (θ per day, `h` in days).
//! - `reprice`: `P + BS(L, T − h, σ) − BS(S, T, σ)`: Black-Scholes at the underlying level
//!   with the current IV and the holding time elapsed, anchored to the market premium (so a
//!   premium that differs from the model keeps its difference).
//! - `blend`: the arithmetic mean of the raw levels of every method that can run with the
//!   inputs given, among `reprice`, `delta_gamma`, `delta_based` and — only when the multiplier
//!   is explicit or learned, not the bare default — `historical_correlation`.
//! - `learned`: `P + predict_option_movement(L)`, the premium change the option-move model
//!   ([`crate::ml::option_move`], fitted on recorded chains) predicts for a move from `S` to
//!   `L` over the holding time; needs `strike`, `days`, `iv` and a model
//!   ([`OptionsPricingEngine::option_move`]). Not part of `blend`.
//!
//! Missing greeks (`delta`, `gamma`, `theta_per_day`) are computed with Black-Scholes when
//! `strike`, `days` and `iv` are given. Holding time `h` = `holding_minutes / 1440` calendar
//! days (theta is per calendar day).
//!
//! **Rounding** (the conservative direction for a long option): each raw level is first
//! rounded to the nearest paisa (0.01) — so binary floating-point noise such as
//! 250.000004 cannot push a price a whole tick — then the **target down** and the **stop up**
//! to the tick size. A stop is never below one tick nor above entry − one tick; a target is
//! never below the entry.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::black_scholes::{price_and_greeks, price_unchecked, BsError, BsInput};
use super::correlation::{CorrelationKey, CorrelationTable};
use super::tick::{round_down_to_tick, round_up_to_tick, TickError};
use super::time::days_to_expiry;
use crate::market::{IstTime, OptionQuote, OptionType};

/// How the option's target and stop premium are derived from the underlying's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetMethod {
    /// `premium + delta × (level − spot)` (the default).
    #[default]
    DeltaBased,
    /// `premium × (1 + move% × multiplier)`, multiplier learned per bucket (default 4).
    HistoricalCorrelation,
    /// `Δ·dS + ½Γ·dS² + θ·holding time`.
    DeltaGamma,
    /// Black-Scholes at the level with the current IV and the holding time elapsed.
    Reprice,
    /// Mean of the methods that can run.
    Blend,
    /// The premium change the learned option-move model predicts.
    Learned,
}

impl TargetMethod {
    /// Every method, in documentation order.
    pub const ALL: [TargetMethod; 6] = [
        TargetMethod::DeltaBased,
        TargetMethod::HistoricalCorrelation,
        TargetMethod::DeltaGamma,
        TargetMethod::Reprice,
        TargetMethod::Blend,
        TargetMethod::Learned,
    ];

    /// The config / command-line name, e.g. `delta_based`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetMethod::DeltaBased => "delta_based",
            TargetMethod::HistoricalCorrelation => "historical_correlation",
            TargetMethod::DeltaGamma => "delta_gamma",
            TargetMethod::Reprice => "reprice",
            TargetMethod::Blend => "blend",
            TargetMethod::Learned => "learned",
        }
    }
}

impl fmt::Display for TargetMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown method name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown target method `{0}`; known: delta_based, historical_correlation, delta_gamma, reprice, blend, learned")]
pub struct UnknownMethod(pub String);

impl FromStr for TargetMethod {
    type Err = UnknownMethod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        TargetMethod::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownMethod(s.to_string()))
    }
}

/// Everything a method may need. Which fields are required depends on the method.
#[derive(Debug, Clone, PartialEq)]
pub struct PricingInput {
    /// CE (bought on a bullish signal) or PE (bearish).
    pub option_type: OptionType,
    /// Underlying spot now, rupees.
    pub spot: Decimal,
    /// Underlying target, rupees: above spot for a CE, below for a PE.
    pub underlying_target: Decimal,
    /// Underlying stop, rupees: below spot for a CE, above for a PE.
    pub underlying_stop: Decimal,
    /// Entry premium, rupees per unit.
    pub premium: Decimal,
    /// Delta (0..1 CE, −1..0 PE), when known.
    pub delta: Option<f64>,
    /// Gamma, per rupee of underlying, when known.
    pub gamma: Option<f64>,
    /// Theta, rupees per calendar day (usually negative), when known.
    pub theta_per_day: Option<f64>,
    /// Implied volatility, fraction (0.185 = 18.5 %), when known.
    pub iv: Option<f64>,
    /// Strike, rupees, when known.
    pub strike: Option<Decimal>,
    /// Calendar days to expiry (fractional), when known.
    pub days_to_expiry: Option<f64>,
    /// Explicit multiplier for `historical_correlation` (percent of premium per percent of
    /// underlying), when given.
    pub multiplier: Option<f64>,
    /// Expected holding time until the level is reached, minutes (default 0).
    pub holding_minutes: f64,
    /// Tick size, rupees (default 0.05).
    pub tick_size: Decimal,
    /// Risk-free rate, annual fraction (default 0), for computed greeks and `reprice`.
    pub rate: f64,
}

impl PricingInput {
    /// An input with the required fields; optional ones empty, holding time 0, tick 0.05,
    /// rate 0.
    pub fn new(
        option_type: OptionType,
        spot: Decimal,
        underlying_target: Decimal,
        underlying_stop: Decimal,
        premium: Decimal,
    ) -> Self {
        Self {
            option_type,
            spot,
            underlying_target,
            underlying_stop,
            premium,
            delta: None,
            gamma: None,
            theta_per_day: None,
            iv: None,
            strike: None,
            days_to_expiry: None,
            multiplier: None,
            holding_minutes: 0.0,
            tick_size: Decimal::new(5, 2),
            rate: 0.0,
        }
    }

    /// An input for a quoted contract: option type, premium, strike and tick size from the
    /// quote's contract; IV and greeks from the quote when it carries them; days to expiry from
    /// `now` to 15:30 IST on the contract's expiry (see [`super::time`]).
    pub fn for_quote(
        quote: &OptionQuote,
        spot: Decimal,
        underlying_target: Decimal,
        underlying_stop: Decimal,
        now: IstTime,
    ) -> Self {
        let c = &quote.contract;
        Self {
            delta: quote.greeks.map(|g| g.delta),
            gamma: quote.greeks.map(|g| g.gamma),
            theta_per_day: quote.greeks.map(|g| g.theta_per_day),
            iv: quote.iv,
            strike: Some(c.strike),
            days_to_expiry: Some(days_to_expiry(now, c.expiry)),
            tick_size: c.tick_size,
            ..Self::new(
                c.option_type,
                spot,
                underlying_target,
                underlying_stop,
                quote.premium,
            )
        }
    }

    /// Holding time in calendar days.
    pub fn holding_days(&self) -> f64 {
        self.holding_minutes / 1440.0
    }
}

/// The option's target and stop-loss premium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PremiumLevels {
    /// Target premium, rupees, rounded down to the tick; at least the entry.
    pub target: Decimal,
    /// Stop-loss premium, rupees, rounded up to the tick; at least one tick, at most entry − tick.
    pub stop: Decimal,
    /// The method that produced them.
    pub method: TargetMethod,
}

/// Why levels could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    /// The method needs inputs that were not given.
    #[error("{method} needs {}", .missing.join(", "))]
    MissingInputs {
        /// The method.
        method: TargetMethod,
        /// What is missing, e.g. `delta (or strike, days and iv to compute it)`.
        missing: Vec<String>,
    },
    /// An input is out of its domain.
    #[error("{field} {reason}")]
    Invalid {
        /// The input's name.
        field: &'static str,
        /// What is wrong, with the value.
        reason: String,
    },
    /// The underlying target or stop is on the wrong side of spot for the option type.
    #[error("for a {option_type} the {what} must be {side} spot {spot}, got {value}")]
    WrongSide {
        /// CE or PE.
        option_type: OptionType,
        /// `underlying target` or `underlying stop`.
        what: &'static str,
        /// `above` or `below`.
        side: &'static str,
        /// The spot, rupees.
        spot: Decimal,
        /// The level given, rupees.
        value: Decimal,
    },
    /// A Black-Scholes input is out of its domain.
    #[error(transparent)]
    Model(#[from] BsError),
    /// The tick size is unusable.
    #[error(transparent)]
    Tick(#[from] TickError),
    /// A computed level is not a finite number.
    #[error("the {what} premium came out as {value}, which is not a usable price")]
    NotFinite {
        /// `target` or `stop`.
        what: &'static str,
        /// The raw value.
        value: f64,
    },
}

fn invalid(field: &'static str, reason: String) -> PricingError {
    PricingError::Invalid { field, reason }
}

/// Raw (unrounded) premium levels, rupees.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Raw {
    target: f64,
    stop: f64,
}

/// Validated numbers of a [`PricingInput`], as `f64`.
struct Prepared {
    t: OptionType,
    spot: f64,
    target: f64,
    stop: f64,
    premium: f64,
    holding_days: f64,
}

/// Computes target and stop premium with any [`TargetMethod`].
#[derive(Debug, Clone, PartialEq)]
pub struct OptionsPricingEngine {
    /// Learned multipliers for `historical_correlation`.
    pub correlations: CorrelationTable,
    /// Reference implied volatility (fraction) for the volatility adjustment when the table has
    /// none (default 0.15).
    pub reference_vol: f64,
    /// The learned option-move model of the `learned` method (default none).
    pub option_move: Option<crate::ml::OptionMoveModel>,
}

impl Default for OptionsPricingEngine {
    fn default() -> Self {
        Self::new(CorrelationTable::default())
    }
}

impl OptionsPricingEngine {
    /// An engine with these learned multipliers and a reference vol of 0.15.
    pub fn new(correlations: CorrelationTable) -> Self {
        Self {
            correlations,
            reference_vol: 0.15,
            option_move: None,
        }
    }

    /// The target and stop premium by `method`, rounded to the tick (see the module docs).
    pub fn levels(
        &self,
        method: TargetMethod,
        input: &PricingInput,
    ) -> Result<PremiumLevels, PricingError> {
        let p = prepare(input)?;
        let raw = self.raw(method, input, &p)?;
        finish(method, input, raw)
    }

    /// The raw target and stop premium by `method`, rupees, before rounding, the tick and the
    /// entry bounds: what the method itself predicts (for judging methods against recorded
    /// premiums).
    pub fn unrounded(
        &self,
        method: TargetMethod,
        input: &PricingInput,
    ) -> Result<(f64, f64), PricingError> {
        let p = prepare(input)?;
        let raw = self.raw(method, input, &p)?;
        Ok((raw.target, raw.stop))
    }

    fn raw(
        &self,
        method: TargetMethod,
        input: &PricingInput,
        p: &Prepared,
    ) -> Result<Raw, PricingError> {
        match method {
            TargetMethod::DeltaBased => {
                let g = resolve_greeks(method, input, p, &[Need::Delta])?;
                Ok(Raw {
                    target: p.premium + g.delta * (p.target - p.spot),
                    stop: p.premium + g.delta * (p.stop - p.spot),
                })
            }
            TargetMethod::DeltaGamma => {
                let mut needs = vec![Need::Delta, Need::Gamma];
                if p.holding_days > 0.0 {
                    needs.push(Need::Theta);
                }
                let g = resolve_greeks(method, input, p, &needs)?;
                let level = |l: f64| {
                    let ds = l - p.spot;
                    p.premium + g.delta * ds + 0.5 * g.gamma * ds * ds + g.theta * p.holding_days
                };
                Ok(Raw {
                    target: level(p.target),
                    stop: level(p.stop),
                })
            }
            TargetMethod::Reprice => self.reprice(input, p),
            TargetMethod::HistoricalCorrelation => Ok(self.historical(input, p)?.0),
            TargetMethod::Blend => self.blend(input, p),
            TargetMethod::Learned => self.learned(input, p),
        }
    }

    fn learned(&self, input: &PricingInput, p: &Prepared) -> Result<Raw, PricingError> {
        let mut missing: Vec<String> = [
            ("strike", input.strike.is_none()),
            ("days", input.days_to_expiry.is_none()),
            ("iv", input.iv.is_none()),
            (
                "an option-move model (ml.option_move_model)",
                self.option_move.is_none(),
            ),
        ]
        .into_iter()
        .filter(|(_, absent)| *absent)
        .map(|(name, _)| name.to_string())
        .collect();
        let (Some(model), Some(strike), Some(days), Some(iv)) = (
            &self.option_move,
            input.strike,
            input.days_to_expiry,
            input.iv,
        ) else {
            missing.dedup();
            return Err(PricingError::MissingInputs {
                method: TargetMethod::Learned,
                missing,
            });
        };
        let k = to_f64("strike", strike)?;
        let minutes = input.holding_minutes;
        let at = |level: f64, what: &'static str| {
            model
                .predict_option_movement(p.t, p.spot, k, days, iv, level, minutes)
                .map(|d| p.premium + d)
                .ok_or_else(|| invalid(what, format!("is out of the option-move model's domain (strike {k}, days {days}, iv {iv})")))
        };
        Ok(Raw {
            target: at(p.target, "underlying target")?,
            stop: at(p.stop, "underlying stop")?,
        })
    }

    fn reprice(&self, input: &PricingInput, p: &Prepared) -> Result<Raw, PricingError> {
        let (strike, days, iv) = match (input.strike, input.days_to_expiry, input.iv) {
            (Some(k), Some(d), Some(v)) => (k, d, v),
            _ => {
                let mut missing = Vec::new();
                for (name, absent) in [
                    ("strike", input.strike.is_none()),
                    ("days", input.days_to_expiry.is_none()),
                    ("iv", input.iv.is_none()),
                ] {
                    if absent {
                        missing.push(name.to_string());
                    }
                }
                return Err(PricingError::MissingInputs {
                    method: TargetMethod::Reprice,
                    missing,
                });
            }
        };
        let now = BsInput {
            option_type: p.t,
            spot: p.spot,
            strike: to_f64("strike", strike)?,
            years: days / 365.0,
            vol: iv,
            rate: input.rate,
            carry: 0.0,
        };
        now.validate()?;
        let later_years = (days - p.holding_days).max(0.0) / 365.0;
        let at = |spot: f64| {
            price_unchecked(&BsInput {
                spot,
                years: later_years,
                ..now
            })
        };
        let base = price_unchecked(&now);
        Ok(Raw {
            target: p.premium + at(p.target) - base,
            stop: p.premium + at(p.stop) - base,
        })
    }

    /// The historical-correlation levels, and whether the multiplier was explicit or learned.
    fn historical(&self, input: &PricingInput, p: &Prepared) -> Result<(Raw, bool), PricingError> {
        let mut vol_ref = self.reference_vol;
        let (mut m, informed) = match input.multiplier {
            Some(m) => (m, true),
            None => match (input.strike, input.days_to_expiry) {
                (Some(k), Some(days)) => {
                    let moneyness = to_f64("strike", k)? / p.spot * 100.0;
                    let key = CorrelationKey::of(p.t, moneyness, days);
                    match self.correlations.get(&key) {
                        Some(e) => {
                            if let Some(v) = e.mean_iv {
                                vol_ref = v;
                            }
                            (e.multiplier, true)
                        }
                        None => (self.correlations.default_multiplier, false),
                    }
                }
                _ => (self.correlations.default_multiplier, false),
            },
        };
        if let Some(iv) = input.iv {
            m *= (vol_ref / iv).sqrt().clamp(0.5, 2.0);
        }
        let decay = match input.days_to_expiry {
            Some(days) if p.holding_days > 0.0 => (1.0 - p.holding_days / days).max(0.0).sqrt(),
            _ => 1.0,
        };
        let d = p.t.sign();
        let level = |l: f64| p.premium * decay * (1.0 + d * (l - p.spot) / p.spot * m);
        Ok((
            Raw {
                target: level(p.target),
                stop: level(p.stop),
            },
            informed,
        ))
    }

    fn blend(&self, input: &PricingInput, p: &Prepared) -> Result<Raw, PricingError> {
        let mut sum = Raw {
            target: 0.0,
            stop: 0.0,
        };
        let mut n = 0.0;
        let mut add = |r: Raw| {
            sum.target += r.target;
            sum.stop += r.stop;
            n += 1.0;
        };
        let mut last_missing = Vec::new();
        for m in [
            TargetMethod::Reprice,
            TargetMethod::DeltaGamma,
            TargetMethod::DeltaBased,
        ] {
            match self.raw(m, input, p) {
                Ok(r) => add(r),
                Err(PricingError::MissingInputs { missing, .. }) => {
                    last_missing.push(format!("{m}: {}", missing.join(", ")));
                }
                Err(e) => return Err(e),
            }
        }
        let (hist, informed) = self.historical(input, p)?;
        if informed {
            add(hist);
        }
        if n == 0.0 {
            last_missing.push(
                "historical_correlation: multiplier (or a learned multiplier for its strike and days)"
                    .to_string(),
            );
            return Err(PricingError::MissingInputs {
                method: TargetMethod::Blend,
                missing: vec![format!(
                    "the inputs of at least one method ({})",
                    last_missing.join("; ")
                )],
            });
        }
        Ok(Raw {
            target: sum.target / n,
            stop: sum.stop / n,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    Delta,
    Gamma,
    Theta,
}

struct ResolvedGreeks {
    delta: f64,
    gamma: f64,
    theta: f64,
}

/// The greeks a method needs: as given, else from Black-Scholes when strike, days and iv are
/// given; otherwise a [`PricingError::MissingInputs`] naming them.
fn resolve_greeks(
    method: TargetMethod,
    input: &PricingInput,
    p: &Prepared,
    needs: &[Need],
) -> Result<ResolvedGreeks, PricingError> {
    let given = |n: Need| match n {
        Need::Delta => input.delta,
        Need::Gamma => input.gamma,
        Need::Theta => input.theta_per_day,
    };
    let computed = if needs.iter().any(|&n| given(n).is_none()) {
        match (input.strike, input.days_to_expiry, input.iv) {
            (Some(k), Some(d), Some(v)) => Some(
                price_and_greeks(&BsInput {
                    option_type: p.t,
                    spot: p.spot,
                    strike: to_f64("strike", k)?,
                    years: d / 365.0,
                    vol: v,
                    rate: input.rate,
                    carry: 0.0,
                })?
                .greeks,
            ),
            _ => None,
        }
    } else {
        None
    };
    let mut missing = Vec::new();
    let mut pick = |n: Need, name: &str| -> f64 {
        match (given(n), computed) {
            (Some(v), _) => v,
            (None, Some(g)) => match n {
                Need::Delta => g.delta,
                Need::Gamma => g.gamma,
                Need::Theta => g.theta_per_day,
            },
            (None, None) => {
                if needs.contains(&n) {
                    missing.push(format!("{name} (or strike, days and iv to compute it)"));
                }
                0.0
            }
        }
    };
    let delta = pick(Need::Delta, "delta");
    let gamma = if needs.contains(&Need::Gamma) {
        pick(Need::Gamma, "gamma")
    } else {
        0.0
    };
    let theta = if needs.contains(&Need::Theta) {
        pick(Need::Theta, "theta")
    } else {
        0.0
    };
    if !missing.is_empty() {
        return Err(PricingError::MissingInputs { method, missing });
    }
    Ok(ResolvedGreeks {
        delta,
        gamma,
        theta,
    })
}

fn to_f64(field: &'static str, v: Decimal) -> Result<f64, PricingError> {
    v.to_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| invalid(field, format!("is not representable as a number: {v}")))
}

fn finite(field: &'static str, v: Option<f64>) -> Result<(), PricingError> {
    match v {
        Some(x) if !x.is_finite() => {
            Err(invalid(field, format!("must be a finite number, got {x}")))
        }
        _ => Ok(()),
    }
}

fn prepare(input: &PricingInput) -> Result<Prepared, PricingError> {
    let t = input.option_type;
    for (field, v) in [("spot", input.spot), ("premium", input.premium)] {
        if v <= Decimal::ZERO {
            return Err(invalid(field, format!("must be greater than 0, got {v}")));
        }
    }
    if input.tick_size <= Decimal::ZERO {
        return Err(invalid(
            "tick",
            format!("must be greater than 0, got {}", input.tick_size),
        ));
    }
    let (up, down) = ("above", "below");
    let (target_side, stop_side) = match t {
        OptionType::CE => (up, down),
        OptionType::PE => (down, up),
    };
    for (what, value, side) in [
        ("underlying target", input.underlying_target, target_side),
        ("underlying stop", input.underlying_stop, stop_side),
    ] {
        let ok = if side == up {
            value > input.spot
        } else {
            value < input.spot
        };
        if !ok || value <= Decimal::ZERO {
            return Err(PricingError::WrongSide {
                option_type: t,
                what,
                side,
                spot: input.spot,
                value,
            });
        }
    }
    finite("gamma", input.gamma)?;
    finite("theta", input.theta_per_day)?;
    if let Some(d) = input.delta {
        let (lo, hi) = match t {
            OptionType::CE => (0.0, 1.0),
            OptionType::PE => (-1.0, 0.0),
        };
        if !(d.is_finite() && (lo..=hi).contains(&d)) {
            return Err(invalid(
                "delta",
                format!("of a {t} must be between {lo} and {hi}, got {d}"),
            ));
        }
    }
    if let Some(g) = input.gamma {
        if g < 0.0 {
            return Err(invalid("gamma", format!("must not be negative, got {g}")));
        }
    }
    for (field, v) in [
        ("iv", input.iv),
        ("days", input.days_to_expiry),
        ("multiplier", input.multiplier),
    ] {
        if let Some(x) = v {
            if !(x.is_finite() && x > 0.0) {
                return Err(invalid(field, format!("must be greater than 0, got {x}")));
            }
        }
    }
    if let Some(k) = input.strike {
        if k <= Decimal::ZERO {
            return Err(invalid(
                "strike",
                format!("must be greater than 0, got {k}"),
            ));
        }
    }
    if !(input.holding_minutes.is_finite() && input.holding_minutes >= 0.0) {
        return Err(invalid(
            "holding_minutes",
            format!("must be 0 or more, got {}", input.holding_minutes),
        ));
    }
    if !input.rate.is_finite() {
        return Err(invalid(
            "rate",
            format!("must be a finite number, got {}", input.rate),
        ));
    }
    Ok(Prepared {
        t,
        spot: to_f64("spot", input.spot)?,
        target: to_f64("underlying target", input.underlying_target)?,
        stop: to_f64("underlying stop", input.underlying_stop)?,
        premium: to_f64("premium", input.premium)?,
        holding_days: input.holding_days(),
    })
}

/// Paisa first, then the tick in the conservative direction, then the clamps.
fn finish(
    method: TargetMethod,
    input: &PricingInput,
    raw: Raw,
) -> Result<PremiumLevels, PricingError> {
    let tick = input.tick_size;
    // Whole paise, rounded half away from zero; exact for any premium below 2^53 paise.
    let to_paisa = |what: &'static str, v: f64| -> Result<Decimal, PricingError> {
        let paise = (v * 100.0).round();
        if !(paise.is_finite() && paise.abs() < 9.0e15) {
            return Err(PricingError::NotFinite { what, value: v });
        }
        Ok(Decimal::new(paise as i64, 2))
    };
    let entry = input.premium;
    let target = round_down_to_tick(to_paisa("target", raw.target)?, tick)?.max(entry);
    let ceiling = round_down_to_tick(entry - tick, tick)?;
    let stop = round_up_to_tick(to_paisa("stop", raw.stop)?, tick)?
        .min(ceiling)
        .max(tick);
    Ok(PremiumLevels {
        target: with_tick_decimals(target, tick),
        stop: with_tick_decimals(stop, tick),
        method,
    })
}

/// Shows a price with at least the tick's decimals (280 → 280.00 for a 0.05 tick).
fn with_tick_decimals(mut v: Decimal, tick: Decimal) -> Decimal {
    if v.scale() < tick.scale() {
        v.rescale(tick.scale());
    }
    v
}
