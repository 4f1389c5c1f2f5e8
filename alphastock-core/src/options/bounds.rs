//! Percent bounds on an option's stop and target premium
//! (`options_trading.risk_management.stop_loss_pct` and `profit_target_pct`).
//!
//! The pricing methods derive the stop from the underlying's stop; for a cheap or far-from-the-
//! money option that can be almost the whole premium (a 25.65 entry with a 0.05 stop). The
//! percent bounds cap that:
//!
//! - **stop**: never further below the entry than `stop_loss_pct` % of the entry premium. The
//!   percent stop is `entry × (1 − stop_loss_pct / 100)` rounded **up** to the tick (a stop
//!   rounded up is closer to the entry, so the bound still holds after rounding); the stop used
//!   is the higher (tighter) of the method's stop and the percent stop.
//! - **target**: where the method gives none (its target is not above the entry), the target
//!   is `entry × (1 + profit_target_pct / 100)` rounded **down** to the tick. A method target
//!   above the entry is kept as it is.
//!
//! Worked example (stop 20 %, target 30 %, tick 0.05): a NIFTY PE bought with a limit of 25.65
//! whose method stop is 0.05 gets the stop 25.65 × 0.80 = 20.52 → **20.55** (up to the tick), so
//! one lot of 75 risks (25.65 − 20.55) × 75 = 382.50 instead of 1,920.00. A method stop of 22.00
//! is already tighter and stays. A method target of 25.65 or less (no reward) becomes 25.65 ×
//! 1.30 = 33.345 → **33.30** (down to the tick).
//!
//! `entry` is the worst entry price the order allows (the limit price of a buy), so the bound
//! holds for every fill at or below it.

use rust_decimal::Decimal;

use super::pricing::{PremiumLevels, PricingError};
use super::tick::{round_down_to_tick, round_up_to_tick};

/// The percent bounds; `None` leaves that level to the method alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PremiumBounds {
    /// Most the stop may be below the entry, percent of the entry premium (20 = 20 %).
    pub stop_loss_pct: Option<Decimal>,
    /// Target above the entry, percent of the entry premium (30 = 30 %), used when the method's
    /// target is not above the entry.
    pub profit_target_pct: Option<Decimal>,
}

/// Levels after the bounds, and which bound set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundedLevels {
    /// The levels to trade: target rounded down and stop rounded up to the tick, rupees.
    pub levels: PremiumLevels,
    /// True when the percent stop was tighter than the method's and replaced it.
    pub stop_from_pct: bool,
    /// True when the method gave no target above the entry and the percent target was used.
    pub target_from_pct: bool,
}

impl PremiumBounds {
    /// Both bounds from the config's percents.
    pub fn new(stop_loss_pct: Decimal, profit_target_pct: Decimal) -> Self {
        Self {
            stop_loss_pct: Some(stop_loss_pct),
            profit_target_pct: Some(profit_target_pct),
        }
    }

    /// The percent stop for `entry` (rupees): `entry × (1 − stop_loss_pct / 100)` rounded up to
    /// `tick` (rupees); `None` without a `stop_loss_pct`.
    pub fn stop_floor(
        &self,
        entry: Decimal,
        tick: Decimal,
    ) -> Result<Option<Decimal>, PricingError> {
        let Some(pct) = self.stop_loss_pct else {
            return Ok(None);
        };
        let raw = entry * (Decimal::ONE_HUNDRED - pct) / Decimal::ONE_HUNDRED;
        Ok(Some(round_up_to_tick(raw.max(Decimal::ZERO), tick)?))
    }

    /// The percent target for `entry` (rupees): `entry × (1 + profit_target_pct / 100)` rounded
    /// down to `tick` (rupees); `None` without a `profit_target_pct`.
    pub fn target_fallback(
        &self,
        entry: Decimal,
        tick: Decimal,
    ) -> Result<Option<Decimal>, PricingError> {
        let Some(pct) = self.profit_target_pct else {
            return Ok(None);
        };
        let raw = entry * (Decimal::ONE_HUNDRED + pct) / Decimal::ONE_HUNDRED;
        Ok(Some(round_down_to_tick(raw, tick)?))
    }

    /// Applies the bounds to a method's `levels` for an order whose worst entry price is
    /// `entry` (rupees); `tick` in rupees. See the module docs for the rule.
    pub fn apply(
        &self,
        levels: PremiumLevels,
        entry: Decimal,
        tick: Decimal,
    ) -> Result<BoundedLevels, PricingError> {
        let mut out = BoundedLevels {
            levels,
            stop_from_pct: false,
            target_from_pct: false,
        };
        if let Some(floor) = self.stop_floor(entry, tick)? {
            if floor > levels.stop {
                out.levels.stop = floor;
                out.stop_from_pct = true;
            }
        }
        if levels.target <= entry {
            if let Some(target) = self.target_fallback(entry, tick)? {
                if target > entry {
                    out.levels.target = target;
                    out.target_from_pct = true;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::pricing::TargetMethod;
    use rust_decimal_macros::dec;

    fn levels(target: Decimal, stop: Decimal) -> PremiumLevels {
        PremiumLevels {
            target,
            stop,
            method: TargetMethod::DeltaBased,
        }
    }

    #[test]
    fn the_worked_example_of_the_module_docs() {
        let b = PremiumBounds::new(dec!(20), dec!(30));
        let t = dec!(0.05);
        // 25.65 × 0.80 = 20.52 → 20.55; the method's 0.05 stop is replaced.
        let r = b
            .apply(levels(dec!(40), dec!(0.05)), dec!(25.65), t)
            .unwrap();
        assert_eq!(r.levels.stop, dec!(20.55));
        assert!(r.stop_from_pct);
        assert_eq!(r.levels.target, dec!(40));
        assert!(!r.target_from_pct);
        // (25.65 − 20.55) × 75 = 382.50 at risk per lot instead of (25.65 − 0.05) × 75 = 1920.
        assert_eq!((dec!(25.65) - r.levels.stop) * dec!(75), dec!(382.50));
        // A tighter method stop stays.
        let r = b
            .apply(levels(dec!(40), dec!(22.00)), dec!(25.65), t)
            .unwrap();
        assert_eq!(r.levels.stop, dec!(22.00));
        assert!(!r.stop_from_pct);
        // No target above the entry: 25.65 × 1.30 = 33.345 → 33.30.
        let r = b
            .apply(levels(dec!(25.65), dec!(22.00)), dec!(25.65), t)
            .unwrap();
        assert_eq!(r.levels.target, dec!(33.30));
        assert!(r.target_from_pct);
    }

    #[test]
    fn the_design_example_keeps_its_method_stop() {
        // Entry 280, method stop 250: 20 % allows down to 224, so 250 stays.
        let b = PremiumBounds::new(dec!(20), dec!(30));
        let r = b
            .apply(levels(dec!(493.20), dec!(250)), dec!(280), dec!(0.05))
            .unwrap();
        assert_eq!(r.levels.stop, dec!(250));
        assert_eq!(r.levels.target, dec!(493.20));
        // A 5 % stop is tighter: 280 × 0.95 = 266.
        let b = PremiumBounds::new(dec!(5), dec!(30));
        let r = b
            .apply(levels(dec!(493.20), dec!(250)), dec!(280), dec!(0.05))
            .unwrap();
        assert_eq!(r.levels.stop, dec!(266.00));
    }

    #[test]
    fn without_bounds_the_method_levels_pass_unchanged() {
        let l = levels(dec!(30), dec!(0.05));
        let r = PremiumBounds::default()
            .apply(l, dec!(25.65), dec!(0.05))
            .unwrap();
        assert_eq!(r.levels, l);
        assert!(!r.stop_from_pct && !r.target_from_pct);
    }
}
