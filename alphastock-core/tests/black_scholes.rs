//! Black-Scholes price, greeks and implied vol against independently computed golden values
//! (`fixtures/bs_golden.csv`, py_vollib with "Let's Be Rational"), plus the laws of the model.

use alphastock_core::market::OptionType;
use alphastock_core::options::{implied_vol, price, price_and_greeks, BsInput, IvError};
use proptest::prelude::*;

struct Row {
    line: usize,
    input: BsInput,
    price: f64,
    delta: f64,
    gamma: f64,
    theta_per_day: f64,
    vega_per_point: f64,
    rho_per_pct: f64,
    iv: Option<f64>,
}

fn golden() -> Vec<Row> {
    let text = include_str!("../../fixtures/bs_golden.csv");
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 13, "line {}", i + 1);
        let n = |k: usize| f[k].parse::<f64>().unwrap();
        rows.push(Row {
            line: i + 1,
            input: BsInput {
                option_type: f[0].parse().unwrap(),
                spot: n(1),
                strike: n(2),
                years: n(3) / 365.0,
                vol: n(4),
                rate: n(5),
                carry: 0.0,
            },
            price: n(6),
            delta: n(7),
            gamma: n(8),
            theta_per_day: n(9),
            vega_per_point: n(10),
            rho_per_pct: n(11),
            iv: if f[12].is_empty() { None } else { Some(n(12)) },
        });
    }
    rows
}

fn close(got: f64, want: f64, rel: f64, abs: f64) -> bool {
    let diff = (got - want).abs();
    diff <= abs || diff <= rel * want.abs()
}

#[test]
fn golden_file_has_all_sixty_cases() {
    assert_eq!(golden().len(), 60);
}

#[test]
fn price_and_greeks_match_golden_values() {
    let mut failures = Vec::new();
    for r in golden() {
        let v = price_and_greeks(&r.input).unwrap();
        let g = v.greeks;
        let checks = [
            ("price", v.price, r.price, 1e-9),
            ("delta", g.delta, r.delta, 1e-9),
            ("gamma", g.gamma, r.gamma, 1e-9),
            ("vega_per_point", g.vega_per_point, r.vega_per_point, 1e-9),
            ("rho_per_pct", g.rho_per_pct, r.rho_per_pct, 1e-9),
            ("theta_per_day", g.theta_per_day, r.theta_per_day, 1e-8),
        ];
        for (name, got, want, rel) in checks {
            if !close(got, want, rel, 1e-12) {
                failures.push(format!(
                    "line {} {name}: got {got:e}, want {want:e}",
                    r.line
                ));
            }
        }
        let p = price(&r.input).unwrap();
        if !close(p, r.price, 1e-9, 1e-12) {
            failures.push(format!(
                "line {} price(): got {p:e}, want {:e}",
                r.line, r.price
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn implied_vol_recovers_golden_vols() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for r in golden() {
        let Some(want) = r.iv else { continue };
        checked += 1;
        match implied_vol(&r.input, r.price) {
            Ok(got) if close(got, want, 1e-9, 0.0) => {}
            other => failures.push(format!("line {}: got {other:?}, want {want}", r.line)),
        }
    }
    assert!(checked >= 40, "only {checked} golden implied vols");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn atm_call() -> BsInput {
    BsInput {
        option_type: OptionType::CE,
        spot: 51245.0,
        strike: 51200.0,
        years: 3.0 / 365.0,
        vol: 0.15,
        rate: 0.065,
        carry: 0.0,
    }
}

#[test]
fn premium_below_intrinsic_is_an_error_saying_so() {
    let input = BsInput {
        strike: 50000.0,
        ..atm_call()
    };
    let err = implied_vol(&input, 1000.0).unwrap_err();
    assert!(matches!(err, IvError::BelowIntrinsic { .. }), "{err:?}");
    assert!(
        err.to_string().contains("below the intrinsic value"),
        "{err}"
    );
}

#[test]
fn premium_above_upper_bound_is_an_error_saying_so() {
    let err = implied_vol(&atm_call(), 60000.0).unwrap_err();
    assert!(matches!(err, IvError::AboveUpperBound { .. }), "{err:?}");
    assert!(err.to_string().contains("upper bound"), "{err}");
    let put = BsInput {
        option_type: OptionType::PE,
        ..atm_call()
    };
    assert!(matches!(
        implied_vol(&put, 51200.0),
        Err(IvError::AboveUpperBound { what: "strike", .. })
    ));
}

#[test]
fn bad_inputs_are_errors_not_nan() {
    for bad in [
        BsInput {
            spot: f64::NAN,
            ..atm_call()
        },
        BsInput {
            spot: 0.0,
            ..atm_call()
        },
        BsInput {
            strike: -1.0,
            ..atm_call()
        },
        BsInput {
            years: -0.1,
            ..atm_call()
        },
        BsInput {
            vol: -0.2,
            ..atm_call()
        },
        BsInput {
            rate: f64::INFINITY,
            ..atm_call()
        },
    ] {
        assert!(price_and_greeks(&bad).is_err(), "{bad:?}");
        assert!(price(&bad).is_err(), "{bad:?}");
    }
    assert!(matches!(
        implied_vol(&atm_call(), f64::NAN),
        Err(IvError::BadPremium { .. })
    ));
    let expired = BsInput {
        years: 0.0,
        ..atm_call()
    };
    assert_eq!(implied_vol(&expired, 45.0), Err(IvError::Expired));
}

#[test]
fn at_expiry_the_price_is_intrinsic() {
    let v = price_and_greeks(&BsInput {
        years: 0.0,
        ..atm_call()
    })
    .unwrap();
    assert_eq!(v.price, 45.0);
    assert_eq!(v.greeks.delta, 1.0);
    assert_eq!(v.greeks.gamma, 0.0);
    let put = price_and_greeks(&BsInput {
        years: 0.0,
        option_type: OptionType::PE,
        ..atm_call()
    })
    .unwrap();
    assert_eq!(put.price, 0.0);
    assert_eq!(put.greeks.delta, 0.0);
}

#[test]
fn dividend_carry_lowers_calls_and_raises_puts() {
    let call = price(&atm_call()).unwrap();
    let call_q = price(&BsInput {
        carry: 0.02,
        ..atm_call()
    })
    .unwrap();
    let put = price(&BsInput {
        option_type: OptionType::PE,
        ..atm_call()
    })
    .unwrap();
    let put_q = price(&BsInput {
        option_type: OptionType::PE,
        carry: 0.02,
        ..atm_call()
    })
    .unwrap();
    assert!(call_q < call && put_q > put);
    // Put-call parity with carry: C − P = S·e^(−qT) − K·e^(−rT).
    let i = BsInput {
        carry: 0.02,
        ..atm_call()
    };
    let parity = i.spot * (-i.carry * i.years).exp() - i.strike * (-i.rate * i.years).exp();
    assert!((call_q - put_q - parity).abs() < 1e-8);
}

fn input_strategy() -> impl Strategy<Value = BsInput> {
    (
        100.0f64..100_000.0,
        0.5f64..1.5,
        0.01f64..730.0,
        0.01f64..3.0,
        -0.02f64..0.15,
        0.0f64..0.05,
    )
        .prop_map(|(spot, k_ratio, days, vol, rate, carry)| BsInput {
            option_type: OptionType::CE,
            spot,
            strike: spot * k_ratio,
            years: days / 365.0,
            vol,
            rate,
            carry,
        })
}

proptest! {
    #[test]
    fn put_call_parity_holds(i in input_strategy()) {
        let c = price(&i).unwrap();
        let p = price(&BsInput { option_type: OptionType::PE, ..i }).unwrap();
        let parity = i.spot * (-i.carry * i.years).exp() - i.strike * (-i.rate * i.years).exp();
        prop_assert!((c - p - parity).abs() <= 1e-9 * i.spot, "c {c} p {p} parity {parity}");
    }

    #[test]
    fn calls_fall_and_puts_rise_with_strike(i in input_strategy(), bump in 0.001f64..0.2) {
        let higher = BsInput { strike: i.strike * (1.0 + bump), ..i };
        let tol = 1e-10 * i.spot;
        prop_assert!(price(&higher).unwrap() <= price(&i).unwrap() + tol);
        let put = BsInput { option_type: OptionType::PE, ..i };
        let put_higher = BsInput { option_type: OptionType::PE, ..higher };
        prop_assert!(price(&put_higher).unwrap() + tol >= price(&put).unwrap());
    }

    #[test]
    fn deltas_stay_in_their_bounds(i in input_strategy()) {
        let c = price_and_greeks(&i).unwrap().greeks.delta;
        let p = price_and_greeks(&BsInput { option_type: OptionType::PE, ..i }).unwrap().greeks.delta;
        prop_assert!((0.0..=1.0).contains(&c), "call delta {c}");
        prop_assert!((-1.0..=0.0).contains(&p), "put delta {p}");
    }

    #[test]
    fn implied_vol_round_trips(i in input_strategy(), put in any::<bool>()) {
        let i = if put { BsInput { option_type: OptionType::PE, ..i } } else { i };
        let v = price_and_greeks(&i).unwrap();
        // Only where the time value is large enough for the volatility to be recoverable in
        // double precision (the golden file's criterion).
        let intrinsic = match i.option_type {
            OptionType::CE => (i.spot * (-i.carry * i.years).exp() - i.strike * (-i.rate * i.years).exp()).max(0.0),
            OptionType::PE => (i.strike * (-i.rate * i.years).exp() - i.spot * (-i.carry * i.years).exp()).max(0.0),
        };
        prop_assume!(v.price - intrinsic > 1e-6 * i.spot);
        prop_assume!(v.greeks.vega_per_point > 1e-6 * i.spot);
        let iv = implied_vol(&i, v.price).unwrap();
        prop_assert!((iv - i.vol).abs() <= 1e-9 * i.vol, "vol {} iv {iv}", i.vol);
    }
}
