//! European Black-Scholes (Merton) price and greeks for CE and PE, with a continuously
//! compounded risk-free rate `r` and a continuous dividend yield / cost of carry `q`.
//!
//! Conventions (the same as `fixtures/bs_golden.csv`):
//! - `spot` and `strike` in rupees; `years` = calendar days to expiry / 365 (see
//!   [`super::time`]); `vol`, `rate` and `carry` are annual fractions (0.185 = 18.5 %).
//! - Greeks in trader's units, returned as [`Greeks`]: `theta_per_day` = annual theta / 365,
//!   `vega_per_point` = price change per 1 volatility point (0.01 of σ), `rho_per_pct` = price
//!   change per 1 % (0.01) change of the rate.
//!
//! With `d1 = (ln(S/K) + (r − q + σ²/2)·T) / (σ√T)` and `d2 = d1 − σ√T`:
//! call = S·e^(−qT)·N(d1) − K·e^(−rT)·N(d2); put = K·e^(−rT)·N(−d2) − S·e^(−qT)·N(−d1).
//!
//! At expiry (`years == 0`) or zero volatility the option is worth its discounted intrinsic
//! value on the forward; delta is then ±e^(−qT) when in the money and 0 otherwise, and the other
//! greeks are 0.

use implied_vol::{DefaultSpecialFn, SpecialFn};

use crate::market::{Greeks, OptionType};

/// 1/√(2π).
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// 1/√2.
const FRAC_1_SQRT_2: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// Calendar days per year used to express theta per day.
pub const DAYS_PER_YEAR: f64 = 365.0;

/// The inputs of a Black-Scholes valuation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BsInput {
    /// CE or PE.
    pub option_type: OptionType,
    /// Underlying spot price, rupees (> 0).
    pub spot: f64,
    /// Strike price, rupees (> 0).
    pub strike: f64,
    /// Time to expiry in years (calendar days / 365, ≥ 0).
    pub years: f64,
    /// Volatility, annual fraction (0.185 = 18.5 %, ≥ 0).
    pub vol: f64,
    /// Risk-free rate, continuously compounded annual fraction (0.07 = 7 %).
    pub rate: f64,
    /// Dividend yield or cost of carry `q`, continuously compounded annual fraction (0 for
    /// index options priced off spot).
    pub carry: f64,
}

/// A price together with its greeks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Valuation {
    /// Option price (premium), rupees per unit of underlying.
    pub price: f64,
    /// The sensitivities, in the units documented on [`Greeks`].
    pub greeks: Greeks,
}

/// Why a Black-Scholes input was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BsError {
    /// A value that must be a finite number greater than zero was not.
    #[error("{field} must be a finite number greater than 0, got {value}")]
    NotPositive {
        /// Which input (`spot`, `strike`, ...).
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A value that must be finite and not negative was not.
    #[error("{field} must be a finite number of at least 0, got {value}")]
    Negative {
        /// Which input (`years`, `vol`).
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A value that must be finite was NaN or infinite.
    #[error("{field} must be a finite number, got {value}")]
    NotFinite {
        /// Which input (`rate`, `carry`).
        field: &'static str,
        /// The value given.
        value: f64,
    },
}

impl BsInput {
    /// Checks the domain: spot and strike finite and > 0, years and vol finite and ≥ 0, rate
    /// and carry finite.
    pub fn validate(&self) -> Result<(), BsError> {
        for (field, value) in [("spot", self.spot), ("strike", self.strike)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(BsError::NotPositive { field, value });
            }
        }
        for (field, value) in [("years", self.years), ("vol", self.vol)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(BsError::Negative { field, value });
            }
        }
        for (field, value) in [("rate", self.rate), ("carry", self.carry)] {
            if !value.is_finite() {
                return Err(BsError::NotFinite { field, value });
            }
        }
        Ok(())
    }

    /// The forward price `S·e^((r − q)T)`, rupees.
    pub fn forward(&self) -> f64 {
        self.spot * ((self.rate - self.carry) * self.years).exp()
    }
}

/// Standard normal cumulative distribution, accurate in the tails (via `erfc`).
#[inline(always)]
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * DefaultSpecialFn::erfc(-x * FRAC_1_SQRT_2)
}

/// Standard normal density.
#[inline(always)]
pub fn norm_pdf(x: f64) -> f64 {
    INV_SQRT_2PI * (-0.5 * x * x).exp()
}

/// The Black-Scholes price of the option, rupees. Errors if an input is out of its domain.
pub fn price(input: &BsInput) -> Result<f64, BsError> {
    input.validate()?;
    Ok(price_unchecked(input))
}

/// The price and all greeks. Errors if an input is out of its domain.
///
/// ```
/// use alphastock_core::market::OptionType;
/// use alphastock_core::options::{price_and_greeks, years_from_days, BsInput};
///
/// // BANKNIFTY 51200 CE, spot 51245, 3 calendar days, 16 % vol, 6.5 % rate.
/// let v = price_and_greeks(&BsInput {
///     option_type: OptionType::CE,
///     spot: 51245.0,
///     strike: 51200.0,
///     years: years_from_days(3.0),
///     vol: 0.16,
///     rate: 0.065,
///     carry: 0.0,
/// })
/// .unwrap();
/// assert!((v.price - 333.9140).abs() < 1e-4); // rupees
/// assert!((v.greeks.delta - 0.541672).abs() < 1e-6);
/// assert!((v.greeks.theta_per_day - -54.0386).abs() < 1e-4); // rupees per calendar day
/// ```
pub fn price_and_greeks(input: &BsInput) -> Result<Valuation, BsError> {
    input.validate()?;
    Ok(price_and_greeks_unchecked(input))
}

/// [`price`] without the domain check; the caller guarantees [`BsInput::validate`] passes.
#[inline]
pub fn price_unchecked(input: &BsInput) -> f64 {
    let BsInput {
        option_type,
        spot,
        strike,
        years,
        vol,
        rate,
        carry,
    } = *input;
    let df_r = (-rate * years).exp();
    let df_q = (-carry * years).exp();
    let sd = vol * years.sqrt();
    if sd <= 0.0 {
        return df_r * intrinsic_on_forward(option_type, input.forward(), strike);
    }
    let d1 = ((spot / strike).ln() + (rate - carry) * years) / sd + 0.5 * sd;
    let d2 = d1 - sd;
    match option_type {
        OptionType::CE => spot * df_q * norm_cdf(d1) - strike * df_r * norm_cdf(d2),
        OptionType::PE => strike * df_r * norm_cdf(-d2) - spot * df_q * norm_cdf(-d1),
    }
}

/// [`price_and_greeks`] without the domain check; the caller guarantees
/// [`BsInput::validate`] passes.
#[inline]
pub fn price_and_greeks_unchecked(input: &BsInput) -> Valuation {
    let BsInput {
        option_type,
        spot,
        strike,
        years,
        vol,
        rate,
        carry,
    } = *input;
    let df_r = (-rate * years).exp();
    let df_q = (-carry * years).exp();
    let sqrt_t = years.sqrt();
    let sd = vol * sqrt_t;
    if sd <= 0.0 {
        let forward = input.forward();
        let itm = match option_type {
            OptionType::CE => forward > strike,
            OptionType::PE => forward < strike,
        };
        let delta = if itm { option_type.sign() * df_q } else { 0.0 };
        return Valuation {
            price: df_r * intrinsic_on_forward(option_type, forward, strike),
            greeks: Greeks {
                delta,
                ..Greeks::default()
            },
        };
    }
    let d1 = ((spot / strike).ln() + (rate - carry) * years) / sd + 0.5 * sd;
    let d2 = d1 - sd;
    let pdf_d1 = norm_pdf(d1);
    let s_q = spot * df_q;
    let k_r = strike * df_r;
    let gamma = df_q * pdf_d1 / (spot * sd);
    let vega = s_q * pdf_d1 * sqrt_t;
    let decay = -s_q * pdf_d1 * vol / (2.0 * sqrt_t);
    let (price, delta, theta, rho) = match option_type {
        OptionType::CE => {
            let n1 = norm_cdf(d1);
            let n2 = norm_cdf(d2);
            (
                s_q * n1 - k_r * n2,
                df_q * n1,
                decay - rate * k_r * n2 + carry * s_q * n1,
                k_r * years * n2,
            )
        }
        OptionType::PE => {
            let n1 = norm_cdf(-d1);
            let n2 = norm_cdf(-d2);
            (
                k_r * n2 - s_q * n1,
                -df_q * n1,
                decay + rate * k_r * n2 - carry * s_q * n1,
                -k_r * years * n2,
            )
        }
    };
    Valuation {
        price,
        greeks: Greeks {
            delta,
            gamma,
            theta_per_day: theta / DAYS_PER_YEAR,
            vega_per_point: vega * 0.01,
            rho_per_pct: rho * 0.01,
        },
    }
}

/// Undiscounted intrinsic value on the forward: `max(F − K, 0)` for a CE, `max(K − F, 0)` for a
/// PE, rupees.
#[inline]
pub fn intrinsic_on_forward(option_type: OptionType, forward: f64, strike: f64) -> f64 {
    match option_type {
        OptionType::CE => (forward - strike).max(0.0),
        OptionType::PE => (strike - forward).max(0.0),
    }
}
