//! Minimal Black-Scholes (no dividend) for pricing the simulated chains: price and greeks in the
//! units of [`Greeks`](crate::market::Greeks). Private to the simulator.

use crate::market::{Greeks, OptionType};

/// Standard normal density.
fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Complementary error function (Numerical Recipes `erfcc`, fractional error < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Standard normal cumulative distribution.
pub(crate) fn cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Black-Scholes premium and greeks of a European option.
///
/// `spot` and `strike` in rupees, `t_years` time to expiry in years (calendar days / 365),
/// `vol` annual volatility as a fraction, `rate` continuously compounded risk-free rate as a
/// fraction. Returns (premium in rupees, greeks).
pub(crate) fn price_and_greeks(
    option_type: OptionType,
    spot: f64,
    strike: f64,
    t_years: f64,
    vol: f64,
    rate: f64,
) -> (f64, Greeks) {
    let t = t_years.max(1e-9);
    let v = vol.max(1e-6);
    let sqrt_t = t.sqrt();
    let d1 = ((spot / strike).ln() + (rate + 0.5 * v * v) * t) / (v * sqrt_t);
    let d2 = d1 - v * sqrt_t;
    let disc = (-rate * t).exp();
    let n_d1 = pdf(d1);
    let gamma = n_d1 / (spot * v * sqrt_t);
    let vega = spot * n_d1 * sqrt_t;
    let decay = -spot * n_d1 * v / (2.0 * sqrt_t);
    let (price, delta, theta, rho) = match option_type {
        OptionType::CE => (
            spot * cdf(d1) - strike * disc * cdf(d2),
            cdf(d1),
            decay - rate * strike * disc * cdf(d2),
            strike * t * disc * cdf(d2),
        ),
        OptionType::PE => (
            strike * disc * cdf(-d2) - spot * cdf(-d1),
            cdf(d1) - 1.0,
            decay + rate * strike * disc * cdf(-d2),
            -strike * t * disc * cdf(-d2),
        ),
    };
    (
        price.max(0.0),
        Greeks {
            delta,
            gamma,
            theta_per_day: theta / 365.0,
            vega_per_point: vega * 0.01,
            rho_per_pct: rho * 0.01,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of the independent py_vollib golden file (reference/bs_golden.csv).
    #[test]
    fn matches_independent_golden_values() {
        let rows = [
            // type, spot, strike, days, vol, rate, price, delta, gamma, theta/day, vega/pt
            (
                OptionType::CE,
                2950.4,
                2970.0,
                1.0,
                0.6,
                0.065,
                28.325439653504038,
                0.4248675016550086,
                0.004228926253499857,
                -18.37215434487761,
                0.6051322465260652,
            ),
            (
                OptionType::PE,
                22410.0,
                21800.0,
                30.0,
                0.08,
                0.0,
                28.24895387657817,
                -0.11223329283198769,
                0.0003711460456600936,
                -1.6341264693783568,
                12.255948520337677,
            ),
            (
                OptionType::PE,
                51245.0,
                50650.0,
                90.0,
                0.3,
                0.07,
                2324.725492605038,
                -0.39406219564778244,
                5.040562963851503e-05,
                -12.00070064152341,
                97.91583655489875,
            ),
            (
                OptionType::CE,
                22410.0,
                22100.0,
                21.0,
                0.22,
                0.07,
                693.7429109660608,
                0.6430694055999049,
                0.0003154181563649096,
                -13.1332475499294,
                20.050237121163878,
            ),
        ];
        for (ty, s, k, days, v, r, price, delta, gamma, theta, vega) in rows {
            let (p, g) = price_and_greeks(ty, s, k, days / 365.0, v, r);
            assert!((p - price).abs() < 1e-6 * s, "price {p} vs {price}");
            assert!(
                (g.delta - delta).abs() < 1e-6,
                "delta {} vs {delta}",
                g.delta
            );
            assert!((g.gamma - gamma).abs() < 1e-6 * gamma.abs().max(1e-9) + 1e-9);
            assert!((g.theta_per_day - theta).abs() < 1e-4 * theta.abs().max(1.0));
            assert!((g.vega_per_point - vega).abs() < 1e-4 * vega.abs().max(1.0));
        }
    }
}
