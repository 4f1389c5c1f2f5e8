use std::fmt;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

use super::Position;
use crate::market::{IstTime, MarketSession, IST};

/// `options_trading.exits.trailing`: moving the stop as the trade goes right.
///
/// Distances are fractions of the target distance |target − entry|: with entry 280 and target
/// 493.20 (distance 213.20), `breakeven_at_target_fraction` 0.5 moves the stop to 280 once the
/// best premium reaches 386.60, and `trail_fraction` 0.5 then keeps it 106.60 below the best
/// premium seen (but never below entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrailingConfig {
    /// `enabled`: move the stop at all (default true).
    pub enabled: bool,
    /// `breakeven_at_target_fraction`: fraction of the target distance gained at which the stop
    /// moves to the entry price (default 0.5).
    pub breakeven_at_target_fraction: Decimal,
    /// `trail_fraction`: once at breakeven, the stop trails the best premium by this fraction
    /// of the target distance (default 0.5).
    pub trail_fraction: Decimal,
}

impl Default for TrailingConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            breakeven_at_target_fraction: dec!(0.5),
            trail_fraction: dec!(0.5),
        }
    }
}

/// `options_trading.exits`: when open positions are closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExitConfig {
    /// `trailing`: the trailing stop.
    pub trailing: TrailingConfig,
    /// `square_off_minutes_before_close`: exit every position this many minutes before the
    /// 15:30 IST close (default 15).
    pub square_off_minutes_before_close: u32,
    /// `exit_before_expiry_minutes`: on its expiry day, exit an option this many minutes before
    /// the close (default 60).
    pub exit_before_expiry_minutes: u32,
    /// `partial_exit_fraction`: when set, the fraction (0 to 1) of the position's lots exited
    /// once, at `partial_exit_at_target_fraction` of the way to target (default none).
    pub partial_exit_fraction: Option<Decimal>,
    /// `partial_exit_at_target_fraction`: fraction of the target distance at which the partial
    /// exit happens (default 0.5).
    pub partial_exit_at_target_fraction: Decimal,
    /// `min_days_to_expiry_for_entries`: an option is only bought when its expiry is at least
    /// this many calendar days away (default 0: same-day expiries allowed, but never inside
    /// the exit-before-expiry or square-off window, where the entry would be forced straight
    /// out).
    pub min_days_to_expiry_for_entries: u32,
}

impl Default for ExitConfig {
    fn default() -> Self {
        Self {
            trailing: TrailingConfig::default(),
            square_off_minutes_before_close: 15,
            exit_before_expiry_minutes: 60,
            partial_exit_fraction: None,
            partial_exit_at_target_fraction: dec!(0.5),
            min_days_to_expiry_for_entries: 0,
        }
    }
}

impl ExitConfig {
    /// Range checks; `(key relative to options_trading.exits, reason)` per problem.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let unit = |v: Decimal| v > Decimal::ZERO && v <= Decimal::ONE;
        let t = &self.trailing;
        if !unit(t.breakeven_at_target_fraction) {
            out.push((
                "trailing.breakeven_at_target_fraction".to_string(),
                format!(
                    "must be above 0 and at most 1 (a fraction), got {}",
                    t.breakeven_at_target_fraction
                ),
            ));
        }
        if !unit(t.trail_fraction) {
            out.push((
                "trailing.trail_fraction".to_string(),
                format!(
                    "must be above 0 and at most 1 (a fraction), got {}",
                    t.trail_fraction
                ),
            ));
        }
        if let Some(f) = self.partial_exit_fraction {
            if !(f > Decimal::ZERO && f < Decimal::ONE) {
                out.push((
                    "partial_exit_fraction".to_string(),
                    format!("must be above 0 and below 1 (a fraction), got {f}"),
                ));
            }
        }
        if !unit(self.partial_exit_at_target_fraction) {
            out.push((
                "partial_exit_at_target_fraction".to_string(),
                format!(
                    "must be above 0 and at most 1 (a fraction), got {}",
                    self.partial_exit_at_target_fraction
                ),
            ));
        }
        for (key, v) in [
            (
                "square_off_minutes_before_close",
                self.square_off_minutes_before_close,
            ),
            (
                "exit_before_expiry_minutes",
                self.exit_before_expiry_minutes,
            ),
        ] {
            if v > 375 {
                out.push((
                    key.to_string(),
                    format!("must be at most 375 (one session), got {v}"),
                ));
            }
        }
        out
    }
}

/// Why a position is being exited, with the numbers (rupees per unit, minutes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitReason {
    /// The kill switch is on and positions are being flattened.
    KillSwitch,
    /// The initial stop was hit.
    StopLoss {
        /// The stop, rupees.
        stop: Decimal,
        /// The premium that hit it, rupees.
        premium: Decimal,
    },
    /// The trailed stop (moved to breakeven or beyond) was hit.
    TrailingStop {
        /// The trailed stop, rupees.
        stop: Decimal,
        /// The premium that hit it, rupees.
        premium: Decimal,
    },
    /// The target was reached.
    Target {
        /// The target, rupees.
        target: Decimal,
        /// The premium that reached it, rupees.
        premium: Decimal,
    },
    /// Part of the position is taken off at a fraction of the way to target.
    PartialTarget {
        /// The premium level of the partial exit, rupees.
        level: Decimal,
        /// The premium that reached it, rupees.
        premium: Decimal,
    },
    /// The option expires today and the close is near.
    BeforeExpiry {
        /// The expiry date.
        expiry: NaiveDate,
        /// Minutes left to the close.
        minutes_to_close: i64,
    },
    /// The session close is near: intraday square-off.
    SquareOff {
        /// Minutes left to the close.
        minutes_to_close: i64,
    },
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::KillSwitch => f.write_str("kill switch: flattening every position"),
            ExitReason::StopLoss { stop, premium } => {
                write!(f, "stop {stop:.2} hit at {premium:.2}")
            }
            ExitReason::TrailingStop { stop, premium } => {
                write!(f, "trailing stop {stop:.2} hit at {premium:.2}")
            }
            ExitReason::Target { target, premium } => {
                write!(f, "target {target:.2} reached at {premium:.2}")
            }
            ExitReason::PartialTarget { level, premium } => {
                write!(f, "partial exit level {level:.2} reached at {premium:.2}")
            }
            ExitReason::BeforeExpiry {
                expiry,
                minutes_to_close,
            } => write!(
                f,
                "expires {expiry}: {minutes_to_close} minutes to the close"
            ),
            ExitReason::SquareOff { minutes_to_close } => {
                write!(
                    f,
                    "intraday square-off: {minutes_to_close} minutes to the close"
                )
            }
        }
    }
}

/// An exit to make: why, and how many units (a whole number of lots, at most what is held).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitDecision {
    /// Why.
    pub reason: ExitReason,
    /// Units to close (positive).
    pub quantity: u32,
}

/// The exit rules, evaluated on every quote of an open position.
#[derive(Debug, Clone, PartialEq)]
pub struct ExitRules {
    config: ExitConfig,
    session: MarketSession,
    square_off: bool,
}

impl ExitRules {
    /// Rules from `config` for `session` (the NSE session 09:15–15:30 in practice).
    pub fn new(config: ExitConfig, session: MarketSession) -> Self {
        Self {
            config,
            session,
            square_off: true,
        }
    }

    /// The same rules without the intraday square-off: positions are held through the close
    /// (delivery stock positions, or backtests compared with engines that know no session).
    pub fn without_square_off(mut self) -> Self {
        self.square_off = false;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &ExitConfig {
        &self.config
    }

    /// Why an option expiring on `expiry` must not be bought at `now`, if it must not: fewer
    /// calendar days to expiry than `min_days_to_expiry_for_entries`, or expiring today with
    /// the close no further than the exit-before-expiry (or square-off) window, where the
    /// position would be forced out at once.
    pub fn entry_block(&self, expiry: NaiveDate, now: IstTime) -> Option<String> {
        let today = now.with_timezone(&IST).date_naive();
        let days = (expiry - today).num_days();
        let min = i64::from(self.config.min_days_to_expiry_for_entries);
        if days < min {
            return Some(format!(
                "expiry {expiry} is {days} day(s) away, below min_days_to_expiry_for_entries {min}"
            ));
        }
        if days <= 0 {
            let window = self
                .config
                .exit_before_expiry_minutes
                .max(if self.square_off {
                    self.config.square_off_minutes_before_close
                } else {
                    0
                });
            let left = self.session.minutes_to_close(now);
            if left <= i64::from(window) {
                return Some(format!(
                    "expiry {expiry} is today and {left} min to the close is inside the {window} min exit-before-expiry window"
                ));
            }
        }
        None
    }

    /// The stop in force for `position` when its premium is `premium`: the initial stop, moved
    /// to entry once the best premium (including `premium`) has covered
    /// `breakeven_at_target_fraction` of the target distance, then trailing the best premium by
    /// `trail_fraction` of it; rounded to the tick away from the price. `None` without a stop.
    pub fn current_stop(&self, position: &Position, premium: Decimal) -> Option<Decimal> {
        let meta = position.meta();
        let initial = meta.stop?;
        let dir = Decimal::from(position.quantity().signum());
        if dir.is_zero() || !self.config.trailing.enabled {
            return Some(initial);
        }
        let Some(target) = meta.target else {
            return Some(initial);
        };
        let entry = position.average_price();
        let distance = (target - entry) * dir;
        if distance <= Decimal::ZERO {
            return Some(initial);
        }
        let best = match position.best_price() {
            Some(b) if (b - premium) * dir > Decimal::ZERO => b,
            _ => premium,
        };
        let gained = (best - entry) * dir;
        let t = &self.config.trailing;
        if gained < t.breakeven_at_target_fraction * distance {
            return Some(initial);
        }
        let lead = (gained - t.trail_fraction * distance).max(Decimal::ZERO);
        let trailed = round_away(entry + dir * lead, meta.tick_size, dir);
        // The stop only ever moves in the position's favour.
        Some(if (trailed - initial) * dir > Decimal::ZERO {
            trailed
        } else {
            initial
        })
    }

    /// What to do with `position` at `premium` (rupees per unit) and `now`: `None` to hold.
    /// In order: kill switch (when `flatten` is true), stop or trailing stop, target, expiry
    /// day, intraday square-off, then the partial exit.
    pub fn evaluate(
        &self,
        position: &Position,
        premium: Decimal,
        now: IstTime,
        flatten: bool,
    ) -> Option<ExitDecision> {
        let held = u32::try_from(position.quantity().unsigned_abs()).ok()?;
        if held == 0 {
            return None;
        }
        let all = |reason| {
            Some(ExitDecision {
                reason,
                quantity: held,
            })
        };
        if flatten {
            return all(ExitReason::KillSwitch);
        }
        let dir = Decimal::from(position.quantity().signum());
        let meta = position.meta();
        if premium > Decimal::ZERO {
            // Comparisons rather than products with the direction: the same test, cheaper
            // (this runs on every quote of every open position).
            let long = position.quantity() > 0;
            if let Some(stop) = self.current_stop(position, premium) {
                if (long && premium <= stop) || (!long && premium >= stop) {
                    return all(if Some(stop) == meta.stop {
                        ExitReason::StopLoss { stop, premium }
                    } else {
                        ExitReason::TrailingStop { stop, premium }
                    });
                }
            }
            if let Some(target) = meta.target {
                if (long && premium >= target) || (!long && premium <= target) {
                    return all(ExitReason::Target { target, premium });
                }
            }
        }
        if meta.expiry.is_none() && !self.square_off {
            // Nothing time-based applies: skip the clock arithmetic.
            return if premium > Decimal::ZERO {
                self.partial(position, premium, held, dir)
            } else {
                None
            };
        }
        let minutes_to_close = self.session.minutes_to_close(now);
        if let Some(expiry) = meta.expiry {
            let today = now.with_timezone(&IST).date_naive();
            if today > expiry
                || (today == expiry
                    && minutes_to_close <= i64::from(self.config.exit_before_expiry_minutes))
            {
                return all(ExitReason::BeforeExpiry {
                    expiry,
                    minutes_to_close,
                });
            }
        }
        if self.square_off
            && minutes_to_close <= i64::from(self.config.square_off_minutes_before_close)
        {
            return all(ExitReason::SquareOff { minutes_to_close });
        }
        if premium > Decimal::ZERO {
            return self.partial(position, premium, held, dir);
        }
        None
    }

    fn partial(
        &self,
        position: &Position,
        premium: Decimal,
        held: u32,
        dir: Decimal,
    ) -> Option<ExitDecision> {
        let fraction = self.config.partial_exit_fraction?;
        let meta = position.meta();
        let target = meta.target?;
        if meta.lot_size == 0 || u64::from(held) < position.peak_quantity() {
            return None; // already reduced once
        }
        let entry = position.average_price();
        let distance = (target - entry) * dir;
        if distance <= Decimal::ZERO {
            return None;
        }
        let level = entry + dir * distance * self.config.partial_exit_at_target_fraction;
        if (premium - level) * dir < Decimal::ZERO {
            return None;
        }
        let lots = held / meta.lot_size;
        let exit_lots = (Decimal::from(lots) * fraction).floor();
        let exit_lots = exit_lots.to_u32()?;
        if exit_lots == 0 || exit_lots >= lots {
            return None;
        }
        Some(ExitDecision {
            reason: ExitReason::PartialTarget { level, premium },
            quantity: exit_lots * meta.lot_size,
        })
    }
}

/// Rounds `price` to the `tick` grid away from the position's favour (down for a long's stop,
/// up for a short's).
fn round_away(price: Decimal, tick: Decimal, dir: Decimal) -> Decimal {
    if tick <= Decimal::ZERO {
        return price;
    }
    let steps = price / tick;
    let steps = if dir > Decimal::ZERO {
        steps.floor()
    } else {
        steps.ceil()
    };
    (steps * tick).round_dp_with_strategy(tick.scale(), RoundingStrategy::MidpointAwayFromZero)
}
