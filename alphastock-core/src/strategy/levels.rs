//! Shared arithmetic of the built-in strategies: target and stop prices, confidence clamping,
//! and building the [`Signal`].

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use super::{Side, Signal};
use crate::market::Candle;

/// A decimal price as `f64` for indicator math (0 if it does not fit, which cannot happen for
/// positive prices of realistic size).
///
/// Bit for bit the value of `Decimal::to_f64` (rust_decimal 1.x `as_f64`: integral and
/// fractional parts split by the scale, added, rounded back to the scale), taking the same
/// steps in 64-bit integers when the mantissa fits, as a price's does: the 128-bit division
/// it replaces is most of the conversion's cost, and every candle converts its prices.
pub(crate) fn to_f64(d: Decimal) -> f64 {
    let scale = d.scale();
    let mantissa = d.mantissa().unsigned_abs();
    let Ok(mantissa) = u64::try_from(mantissa) else {
        return d.to_f64().unwrap_or(0.0);
    };
    if scale == 0 || scale > 19 {
        return d.to_f64().unwrap_or(0.0);
    }
    let precision = 10_u64.pow(scale);
    let integral = (mantissa / precision) as f64;
    let fraction = (mantissa % precision) as f64 / precision as f64;
    let negative = d.is_sign_negative();
    if fraction == 0.0 {
        return if negative { -integral } else { integral };
    }
    let round_to = 10f64.powi(scale as i32);
    let rounded = ((integral + fraction) * round_to).round() / round_to;
    if negative {
        -rounded
    } else {
        rounded
    }
}

/// Clamps a raw confidence score to whole points 0..=100 (NaN gives 0).
pub(crate) fn clamp_confidence(score: f64) -> u8 {
    if score.is_nan() {
        return 0;
    }
    // In range after the clamp, so the cast is exact.
    score.round().clamp(0.0, 100.0) as u8
}

/// Target and stop prices, rupees rounded to paise, `target_pct` and `stop_pct` percent of
/// `price` away on the winning and losing side of `side`. Each is at least one paisa away from
/// `price`, so the target is always strictly on the winning side and the stop on the losing side.
pub(crate) fn price_levels(
    side: Side,
    price: Decimal,
    target_pct: f64,
    stop_pct: f64,
) -> (Decimal, Decimal) {
    let paisa = Decimal::new(1, 2);
    let dist = |pct: f64| {
        let d = (price * Decimal::from_f64(pct).unwrap_or(Decimal::ONE) / Decimal::ONE_HUNDRED)
            .round_dp(2);
        d.max(paisa)
    };
    let (up, down) = (dist(target_pct), dist(stop_pct));
    match side {
        Side::Buy => (price + up, price - down),
        Side::Sell => (price - up, price + down),
    }
}

/// The exit distances of a strategy, percent of price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Exits {
    /// Distance to the target, percent of price.
    pub target_pct: f64,
    /// Distance to the stop, percent of price.
    pub stop_pct: f64,
}

/// Builds a signal at the candle's close.
pub(crate) fn signal_at(
    strategy: &str,
    candle: &Candle,
    side: Side,
    confidence: u8,
    exits: Exits,
    reason: String,
) -> Signal {
    let price = candle.close;
    let (target, stop) = price_levels(side, price, exits.target_pct, exits.stop_pct);
    let expected_move_pct = if price.is_zero() {
        0.0
    } else {
        to_f64((target - price) / price * Decimal::ONE_HUNDRED)
    };
    Signal {
        symbol: candle.symbol.clone(),
        strategy: strategy.to_string(),
        side,
        timestamp: candle.timestamp,
        price,
        target,
        stop,
        confidence,
        expected_move_pct,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn worked_example_target_is_point_eight_percent_above() {
        let (t, s) = price_levels(Side::Buy, dec!(51245), 0.8, 0.4);
        assert_eq!(t, dec!(51654.96));
        assert_eq!(s, dec!(51040.02));
        let (t, s) = price_levels(Side::Sell, dec!(100), 1.0, 0.5);
        assert_eq!((t, s), (dec!(99), dec!(100.5)));
    }

    #[test]
    fn tiny_distances_stay_one_paisa_away() {
        let (t, s) = price_levels(Side::Buy, dec!(1), 0.01, 0.01);
        assert_eq!((t, s), (dec!(1.01), dec!(0.99)));
    }

    #[test]
    fn confidence_is_clamped_and_rounded() {
        assert_eq!(clamp_confidence(-3.0), 0);
        assert_eq!(clamp_confidence(77.6), 78);
        assert_eq!(clamp_confidence(140.0), 100);
        assert_eq!(clamp_confidence(f64::NAN), 0);
    }

    proptest::proptest! {
        /// The 64-bit conversion gives exactly `Decimal::to_f64`'s bits, whatever the scale,
        /// sign and size of the mantissa (beyond 64 bits it is `to_f64` itself).
        #[test]
        fn to_f64_is_decimal_to_f64_bit_for_bit(
            mantissa in proptest::num::i128::ANY,
            scale in 0u32..=28,
        ) {
            let m = mantissa % 79_228_162_514_264_337_593_543_950_335_i128;
            let d = Decimal::from_i128_with_scale(m, scale);
            let expected = d.to_f64().unwrap_or(0.0);
            proptest::prop_assert_eq!(to_f64(d).to_bits(), expected.to_bits());
        }

        /// The same on prices as candle files hold them: up to 2 decimals, up to 10 crore.
        #[test]
        fn to_f64_matches_on_prices(paise in 0i64..10_000_000_000, scale in 0u32..=4) {
            let d = Decimal::new(paise, scale);
            proptest::prop_assert_eq!(to_f64(d).to_bits(), d.to_f64().unwrap_or(0.0).to_bits());
            proptest::prop_assert_eq!(to_f64(-d).to_bits(), (-d).to_f64().unwrap_or(0.0).to_bits());
        }
    }
}
