//! Implied volatility from a premium, with Jäckel's "Let's Be Rational" (the `implied-vol`
//! crate's `Jaeckel` solver), accurate to full double precision across the whole domain.
//!
//! The premium is converted to an undiscounted Black price on the forward
//! (`premium · e^(rT)`, forward `S·e^((r − q)T)`), which is what the solver inverts. A premium
//! below the (discounted) intrinsic value or at/above the upper bound (the discounted forward
//! for a CE, the discounted strike for a PE) has no implied volatility and is an
//! [`IvError`] that says so — never NaN.

use implied_vol::{solver::Jaeckel, ImpliedBlackVolatility};

use super::black_scholes::{intrinsic_on_forward, BsError, BsInput};
use crate::market::OptionType;

/// Why no implied volatility could be found.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IvError {
    /// An input was out of its domain (spot, strike, years, rate, carry).
    #[error(transparent)]
    Input(#[from] BsError),
    /// The premium was negative, NaN or infinite.
    #[error("premium must be a finite number of at least 0, got {premium}")]
    BadPremium {
        /// The premium given, rupees.
        premium: f64,
    },
    /// The option has expired (`years == 0`): only the intrinsic value is possible.
    #[error("the option has no time to expiry: implied volatility is undefined")]
    Expired,
    /// The premium is below the intrinsic value: no volatility gives it.
    #[error(
        "premium {premium} is below the intrinsic value {intrinsic:.6}: no volatility gives it"
    )]
    BelowIntrinsic {
        /// The premium given, rupees.
        premium: f64,
        /// The discounted intrinsic value on the forward, rupees.
        intrinsic: f64,
    },
    /// The premium is at or above the most the option can be worth (infinite volatility).
    #[error("premium {premium} is at or above the upper bound {bound:.6} (the discounted {what}): no finite volatility gives it")]
    AboveUpperBound {
        /// The premium given, rupees.
        premium: f64,
        /// The bound, rupees.
        bound: f64,
        /// `forward` for a CE, `strike` for a PE.
        what: &'static str,
    },
    /// The solver found no volatility (should not happen inside the bounds).
    #[error("no implied volatility found for premium {premium}")]
    NotFound {
        /// The premium given, rupees.
        premium: f64,
    },
}

/// The implied volatility (annual fraction, 0.185 = 18.5 %) that makes the Black-Scholes price
/// of `input` (whose `vol` is ignored) equal `premium` (rupees).
///
/// A premium exactly equal to the intrinsic value gives 0.
///
/// ```
/// use alphastock_core::market::OptionType;
/// use alphastock_core::options::{implied_vol, years_from_days, BsInput};
///
/// let input = BsInput {
///     option_type: OptionType::CE,
///     spot: 51245.0,
///     strike: 51200.0,
///     years: years_from_days(3.0),
///     vol: 0.0, // ignored
///     rate: 0.0,
///     carry: 0.0,
/// };
/// let iv = implied_vol(&input, 280.0).unwrap();
/// assert!((iv - 0.138655).abs() < 1e-6); // 13.87 % a year
/// // Below intrinsic value (45 rupees) no volatility gives the premium.
/// assert!(implied_vol(&input, 40.0).is_err());
/// ```
pub fn implied_vol(input: &BsInput, premium: f64) -> Result<f64, IvError> {
    let probe = BsInput { vol: 0.0, ..*input };
    probe.validate()?;
    if !(premium.is_finite() && premium >= 0.0) {
        return Err(IvError::BadPremium { premium });
    }
    if input.years <= 0.0 {
        return Err(IvError::Expired);
    }
    // One exponential when there is no carry (the usual case): e^(rT) both undiscounts the
    // premium and grows spot to the forward.
    let growth = (input.rate * input.years).exp();
    let forward = if input.carry == 0.0 {
        input.spot * growth
    } else {
        input.forward()
    };
    let df_r = 1.0 / growth;
    let undiscounted = premium * growth;
    let intrinsic = intrinsic_on_forward(input.option_type, forward, input.strike);
    if undiscounted < intrinsic {
        return Err(IvError::BelowIntrinsic {
            premium,
            intrinsic: intrinsic * df_r,
        });
    }
    let (bound, what) = match input.option_type {
        OptionType::CE => (forward, "forward"),
        OptionType::PE => (input.strike, "strike"),
    };
    if undiscounted >= bound {
        return Err(IvError::AboveUpperBound {
            premium,
            bound: bound * df_r,
            what,
        });
    }
    let solver = ImpliedBlackVolatility::builder()
        .option_price(undiscounted)
        .forward(forward)
        .strike(input.strike)
        .expiry(input.years)
        .is_call(input.option_type == OptionType::CE)
        // The domain was checked above: forward, strike and expiry finite and positive, the
        // price finite and inside its bounds.
        .build_unchecked();
    match solver.calculate_with::<Jaeckel>() {
        Some(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(IvError::NotFound { premium }),
    }
}
