//! Rounding prices to an instrument's tick size (0.05 rupees for NSE options).

use rust_decimal::Decimal;

/// Which way to round to a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TickRounding {
    /// Towards minus infinity (the largest multiple of the tick not above the value).
    Down,
    /// Towards plus infinity (the smallest multiple of the tick not below the value).
    Up,
    /// To the nearest multiple; an exact half-way value goes away from zero.
    Nearest,
}

/// Why a value could not be rounded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TickError {
    /// The tick size was zero or negative.
    #[error("tick size must be greater than 0, got {0}")]
    BadTick(Decimal),
    /// The result does not fit a Decimal.
    #[error("{0} cannot be rounded to a tick of {1}: out of range")]
    Overflow(Decimal, Decimal),
}

/// Rounds `value` (rupees) to a multiple of `tick` (rupees, > 0) in the direction `mode`.
pub fn round_to_tick(
    value: Decimal,
    tick: Decimal,
    mode: TickRounding,
) -> Result<Decimal, TickError> {
    if tick <= Decimal::ZERO {
        return Err(TickError::BadTick(tick));
    }
    let ticks = value
        .checked_div(tick)
        .ok_or(TickError::Overflow(value, tick))?;
    let whole = match mode {
        TickRounding::Down => ticks.floor(),
        TickRounding::Up => ticks.ceil(),
        TickRounding::Nearest => {
            ticks.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        }
    };
    let mut out = whole
        .checked_mul(tick)
        .ok_or(TickError::Overflow(value, tick))?;
    // An exact multiple of the tick: showing it with the tick's decimals loses nothing.
    out.rescale(tick.scale());
    Ok(out)
}

/// Rounds down to a tick (the largest multiple of `tick` not above `value`).
pub fn round_down_to_tick(value: Decimal, tick: Decimal) -> Result<Decimal, TickError> {
    round_to_tick(value, tick, TickRounding::Down)
}

/// Rounds up to a tick (the smallest multiple of `tick` not below `value`).
pub fn round_up_to_tick(value: Decimal, tick: Decimal) -> Result<Decimal, TickError> {
    round_to_tick(value, tick, TickRounding::Up)
}

/// Rounds to the nearest tick, half-way values away from zero.
pub fn round_nearest_to_tick(value: Decimal, tick: Decimal) -> Result<Decimal, TickError> {
    round_to_tick(value, tick, TickRounding::Nearest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_each_way_to_five_paise() {
        let t = dec!(0.05);
        assert_eq!(round_down_to_tick(dec!(493.23), t).unwrap(), dec!(493.20));
        assert_eq!(round_up_to_tick(dec!(493.23), t).unwrap(), dec!(493.25));
        assert_eq!(
            round_nearest_to_tick(dec!(493.22), t).unwrap(),
            dec!(493.20)
        );
        assert_eq!(
            round_nearest_to_tick(dec!(493.225), t).unwrap(),
            dec!(493.25)
        );
        assert_eq!(round_up_to_tick(dec!(250.00), t).unwrap(), dec!(250.00));
        assert_eq!(round_down_to_tick(dec!(-0.01), t).unwrap(), dec!(-0.05));
        assert!(round_down_to_tick(dec!(1), dec!(0)).is_err());
        assert!(round_down_to_tick(dec!(1), dec!(-0.05)).is_err());
    }

    proptest! {
        #[test]
        fn results_are_multiples_bracketing_the_value(cents in -10_000_000i64..10_000_000) {
            let v = Decimal::new(cents, 3);
            let t = dec!(0.05);
            let down = round_down_to_tick(v, t).unwrap();
            let up = round_up_to_tick(v, t).unwrap();
            let near = round_nearest_to_tick(v, t).unwrap();
            prop_assert!(down <= v && v <= up);
            prop_assert!(up - down <= t);
            prop_assert_eq!((down / t).fract(), Decimal::ZERO);
            prop_assert_eq!((up / t).fract(), Decimal::ZERO);
            prop_assert!(near == down || near == up);
            prop_assert!((near - v).abs() * Decimal::TWO <= t);
        }
    }
}
