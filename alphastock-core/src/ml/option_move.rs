//! The option-move model (`predict_option_movement`): a learned premium response to an
//! underlying move, fitted by least squares on pairs of recorded chain snapshots.
//!
//! With `d` = +1 for a CE and −1 for a PE, spot `S`, strike `K`, implied vol `σ` (fraction),
//! `τ` = days to expiry / 365, `h` = holding time in years:
//! - move `x = d·(S' − S)/S` (in the option's favour when positive);
//! - standardised moneyness `z = clamp(d·ln(S/K) / (σ√τ), −4, 4)` (positive in the money), with
//!   `Φ` and `φ` the normal distribution and density and `g = 1/(σ√τ)`;
//! - the premium change, as a fraction of spot, is `Σ βᵢ·bᵢ` over the basis: the
//!   Black-Scholes repricing `(BS(S', τ − h, σ) − BS(S, τ, σ))/S` (rate 0, IV held), then
//!   `x·Φ(z)`, `x`, `x·φ(z)`, `x·z·φ(z)` (the delta's shape), `x²·g·φ(z)`, `x²·g·φ(z)·z²`
//!   (the gamma's), `σ²·g·h·φ(z)`, `σ²·g·h·φ(z)·z²` (time decay's).
//!
//! The shapes come from Black-Scholes; the weights `β` from the data, so the model learns how
//! the recorded premiums really answered (skew, the smile's move with spot, the market's decay)
//! as corrections to the repricing. The model is plain data (`option_move.json`).

use serde::{Deserialize, Serialize};

use crate::market::OptionType;
use crate::options::black_scholes::{norm_cdf, norm_pdf, price_unchecked, BsInput};

/// The basis names, in coefficient order.
pub const BASIS: [&str; 9] = [
    "reprice",
    "x_cdf",
    "x",
    "x_pdf",
    "x_z_pdf",
    "x2_gamma",
    "x2_gamma_z2",
    "decay",
    "decay_z2",
];

/// One recorded observation of a contract at two times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MovePair {
    /// CE or PE.
    pub option_type: OptionType,
    /// Strike, rupees.
    pub strike: f64,
    /// Underlying at the start, rupees.
    pub spot: f64,
    /// Calendar days to expiry at the start.
    pub days_to_expiry: f64,
    /// Implied volatility at the start, fraction.
    pub iv: f64,
    /// Premium at the start, rupees.
    pub premium: f64,
    /// Underlying at the end, rupees.
    pub new_spot: f64,
    /// Premium at the end, rupees.
    pub new_premium: f64,
    /// Time between the two, minutes.
    pub minutes: f64,
}

/// The fitted weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionMoveModel {
    /// The basis names; must equal [`BASIS`].
    pub basis: Vec<String>,
    /// One weight per basis function.
    pub coefficients: Vec<f64>,
    /// Pairs it was fitted on.
    pub samples: usize,
}

/// The basis at a start state and a move; `None` when an input is out of its domain.
#[allow(clippy::too_many_arguments)]
fn basis(
    option_type: OptionType,
    spot: f64,
    strike: f64,
    days: f64,
    iv: f64,
    new_spot: f64,
    minutes: f64,
) -> Option<[f64; 9]> {
    let ok = |v: f64| v.is_finite() && v > 0.0;
    if !(ok(spot) && ok(strike) && ok(iv) && ok(new_spot) && days.is_finite()) || days < 0.0 {
        return None;
    }
    let d = option_type.sign();
    let x = d * (new_spot - spot) / spot;
    let sd = iv * (days.max(1.0 / 1440.0) / 365.0).sqrt();
    let z = (d * (spot / strike).ln() / sd).clamp(-4.0, 4.0);
    let g = 1.0 / sd;
    let (cdf, pdf) = (norm_cdf(z), norm_pdf(z));
    let h = minutes.max(0.0) / 1440.0 / 365.0;
    let gamma = x * x * g * pdf;
    let decay = iv * iv * g * h * pdf;
    let bs = |s: f64, days: f64| {
        price_unchecked(&BsInput {
            option_type,
            spot: s,
            strike,
            years: days.max(0.0) / 365.0,
            vol: iv,
            rate: 0.0,
            carry: 0.0,
        })
    };
    let reprice = (bs(new_spot, days - minutes.max(0.0) / 1440.0) - bs(spot, days)) / spot;
    if !reprice.is_finite() {
        return None;
    }
    Some([
        reprice,
        x * cdf,
        x,
        x * pdf,
        x * z * pdf,
        gamma,
        gamma * z * z,
        decay,
        decay * z * z,
    ])
}

impl OptionMoveModel {
    /// Least-squares weights over `pairs` (those with a usable start state); `None` with fewer
    /// pairs than twice the basis or a singular system.
    pub fn fit(pairs: &[MovePair]) -> Option<Self> {
        const N: usize = BASIS.len();
        let mut a = [[0.0; N]; N];
        let mut b = [0.0; N];
        let mut used = 0usize;
        for p in pairs {
            let Some(phi) = basis(
                p.option_type,
                p.spot,
                p.strike,
                p.days_to_expiry,
                p.iv,
                p.new_spot,
                p.minutes,
            ) else {
                continue;
            };
            let y = (p.new_premium - p.premium) / p.spot;
            if !y.is_finite() {
                continue;
            }
            used += 1;
            for i in 0..N {
                b[i] += phi[i] * y;
                for j in 0..N {
                    a[i][j] += phi[i] * phi[j];
                }
            }
        }
        if used < 2 * N {
            return None;
        }
        // Scale each column to unit diagonal, add a small ridge, solve.
        let scale: Vec<f64> = (0..N).map(|i| a[i][i].sqrt().max(1e-300)).collect();
        for i in 0..N {
            for j in 0..N {
                a[i][j] /= scale[i] * scale[j];
            }
            a[i][i] += 1e-9;
            b[i] /= scale[i];
        }
        let beta = solve(a, b)?;
        let coefficients: Vec<f64> = (0..N).map(|i| beta[i] / scale[i]).collect();
        coefficients
            .iter()
            .all(|c| c.is_finite())
            .then(|| OptionMoveModel {
                basis: BASIS.iter().map(|s| s.to_string()).collect(),
                coefficients,
                samples: used,
            })
    }

    /// Checks the basis names and that every weight is a finite number.
    pub fn validate(&self) -> Result<(), String> {
        if self.basis.iter().map(String::as_str).ne(BASIS) {
            return Err(format!(
                "basis {:?} differs from this version's {:?}",
                self.basis, BASIS
            ));
        }
        if self.coefficients.len() != BASIS.len() {
            return Err(format!(
                "has {} coefficients, expected {}",
                self.coefficients.len(),
                BASIS.len()
            ));
        }
        if let Some(i) = self.coefficients.iter().position(|c| !c.is_finite()) {
            return Err(format!(
                "coefficient {i} ({}) is not a finite number",
                BASIS[i]
            ));
        }
        Ok(())
    }

    /// The predicted change of the premium, rupees, when the underlying goes from `spot` to
    /// `new_spot` (rupees) over `minutes`, for a contract of `strike` (rupees) with `days` to
    /// expiry and implied vol `iv` (fraction) at the start. `None` when an input is out of its
    /// domain.
    #[allow(clippy::too_many_arguments)]
    pub fn predict_option_movement(
        &self,
        option_type: OptionType,
        spot: f64,
        strike: f64,
        days: f64,
        iv: f64,
        new_spot: f64,
        minutes: f64,
    ) -> Option<f64> {
        let phi = basis(option_type, spot, strike, days, iv, new_spot, minutes)?;
        let y: f64 = phi.iter().zip(&self.coefficients).map(|(b, c)| b * c).sum();
        Some(y * spot).filter(|v| v.is_finite())
    }
}

/// Gaussian elimination with partial pivoting (indexed loops: rows are read while others are
/// written).
#[allow(clippy::needless_range_loop)]
fn solve<const N: usize>(mut a: [[f64; N]; N], mut b: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let pivot = (col..N).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..N {
            let f = a[row][col] / a[col][col];
            for k in col..N {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; N];
    for row in (0..N).rev() {
        let s: f64 = (row + 1..N).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::black_scholes::{price_unchecked, BsInput};

    fn bs(t: OptionType, spot: f64, strike: f64, days: f64, vol: f64) -> f64 {
        price_unchecked(&BsInput {
            option_type: t,
            spot,
            strike,
            years: days / 365.0,
            vol,
            rate: 0.0,
            carry: 0.0,
        })
    }

    /// Pairs priced by Black-Scholes at a constant vol on a grid of strikes, expiries and moves.
    fn bs_pairs() -> Vec<MovePair> {
        let mut out = Vec::new();
        for t in [OptionType::CE, OptionType::PE] {
            for k in (0..21).map(|i| 23500.0 + 50.0 * f64::from(i)) {
                for days in [1.0, 3.0, 7.0] {
                    for mv in [-60.0, -25.0, -5.0, 10.0, 30.0, 55.0] {
                        let (s, vol) = (24000.0, 0.14);
                        out.push(MovePair {
                            option_type: t,
                            strike: k,
                            spot: s,
                            days_to_expiry: days,
                            iv: vol,
                            premium: bs(t, s, k, days, vol),
                            new_spot: s + mv,
                            new_premium: bs(t, s + mv, k, days - 15.0 / 1440.0, vol),
                            minutes: 15.0,
                        });
                    }
                }
            }
        }
        out
    }

    #[test]
    fn learns_black_scholes_moves_closely() {
        let pairs = bs_pairs();
        let m = OptionMoveModel::fit(&pairs).unwrap();
        m.validate().unwrap();
        // Mean absolute error of the predicted change against Black-Scholes, rupees, over the
        // same grid: the delta-only rule `Δ·dS` is the yardstick it must beat.
        let mut err = 0.0;
        let mut err_delta = 0.0;
        for p in &pairs {
            let truth = p.new_premium - p.premium;
            let pred = m
                .predict_option_movement(
                    p.option_type,
                    p.spot,
                    p.strike,
                    p.days_to_expiry,
                    p.iv,
                    p.new_spot,
                    p.minutes,
                )
                .unwrap();
            err += (pred - truth).abs();
            let h = 0.01;
            let delta = (bs(p.option_type, p.spot + h, p.strike, p.days_to_expiry, p.iv)
                - bs(p.option_type, p.spot - h, p.strike, p.days_to_expiry, p.iv))
                / (2.0 * h);
            err_delta += (delta * (p.new_spot - p.spot) - truth).abs();
        }
        let n = pairs.len() as f64;
        assert!(err / n < 1.0, "mean error {} rupees", err / n);
        assert!(err < err_delta, "learned {err} vs delta {err_delta}");
    }

    #[test]
    fn favourable_moves_raise_the_premium() {
        let m = OptionMoveModel::fit(&bs_pairs()).unwrap();
        let up = m
            .predict_option_movement(OptionType::CE, 24000.0, 24000.0, 3.0, 0.14, 24050.0, 0.0)
            .unwrap();
        let down = m
            .predict_option_movement(OptionType::PE, 24000.0, 24000.0, 3.0, 0.14, 24050.0, 0.0)
            .unwrap();
        // ATM delta is about ±0.5: about +25 and −25 rupees on a 50-point move.
        assert!((up - 25.0).abs() < 4.0, "{up}");
        assert!((down + 25.0).abs() < 4.0, "{down}");
    }

    #[test]
    fn too_few_pairs_or_bad_inputs_give_nothing() {
        assert!(OptionMoveModel::fit(&bs_pairs()[..10]).is_none());
        let m = OptionMoveModel::fit(&bs_pairs()).unwrap();
        assert!(m
            .predict_option_movement(OptionType::CE, 24000.0, 24000.0, 3.0, 0.0, 24050.0, 0.0)
            .is_none());
        let mut bad = m.clone();
        bad.coefficients[3] = f64::NAN;
        assert!(bad.validate().unwrap_err().contains("x_pdf"));
    }
}
