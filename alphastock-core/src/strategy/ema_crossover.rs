//! EMA crossover (trend following).
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `fast_ema` | 5 | fast EMA period, bars (1..=500, must be < `slow_ema`) |
//! | `slow_ema` | 20 | slow EMA period, bars (2..=1000) |
//! | `min_confidence` | 70 | signals below this confidence (points 0..=100) are not emitted |
//! | `target_pct` | 0.8 | target distance, percent of price (0 < x ≤ 50) |
//! | `stop_pct` | 0.4 | stop distance, percent of price (0 < x ≤ 50) |
//!
//! **Rule.** Both EMAs are fed the candle closes (TA-Lib seeding: each starts with the simple
//! average of its first `period` closes). BUY on the bar where the fast EMA moves from below the
//! slow one to above it; SELL on the bar where it moves from above to below. A bar where the two
//! are exactly equal does not change the side, so one cross fires once, on the crossing bar. The
//! first bar on which both EMAs exist only sets the side (a cross needs a previous bar with
//! both), so nothing fires before bar `slow_ema + 1`.
//!
//! **Confidence** (points, clamped to 0..=100):
//! `50 + 10·body + min(40, 400·thrust_pct)`, where `body` is 1 when the candle closed in the
//! signal's direction (close > open for BUY, < for SELL) and `thrust_pct = |close − slow EMA| /
//! close × 100` measures how decisively the close broke through the slow average. A green
//! crossing candle closing 0.1 % or more above the slow EMA scores 100; a red one that barely
//! crosses scores about 50.
//!
//! **Exits.** Target `target_pct` % and stop `stop_pct` % of the close away, on the winning and
//! losing side.

use super::levels::{clamp_confidence, signal_at, to_f64, Exits};
use super::params::ParamReader;
use super::registry::{StrategyBuildError, StrategyParams};
use super::{MarketInput, Side, Signal, Strategy};
use crate::indicators::Ema;
use serde_yaml::Value;

/// The strategy kind name used in config and on the command line.
pub const KIND: &str = "ema_crossover";

/// What the strategy trades on, one line (`alphastock strategies`).
pub const SUMMARY: &str = "trend following: BUY when the fast EMA of the closes crosses above the slow one, SELL when it crosses below";

/// Meanings of this strategy's own parameters, with units (the common `min_confidence`,
/// `target_pct` and `stop_pct` are described once for all); listed by `alphastock strategies`.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("fast_ema", "fast EMA period, bars (must be < `slow_ema`)"),
    ("slow_ema", "slow EMA period, bars"),
];

/// Parameters of [`EmaCrossover`]; see the module docs for meanings and defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmaCrossoverParams {
    /// Fast EMA period, bars.
    pub fast_ema: usize,
    /// Slow EMA period, bars.
    pub slow_ema: usize,
    /// Minimum confidence to emit, points 0..=100.
    pub min_confidence: u8,
    /// Target distance, percent of price.
    pub target_pct: f64,
    /// Stop distance, percent of price.
    pub stop_pct: f64,
}

impl Default for EmaCrossoverParams {
    fn default() -> Self {
        Self {
            fast_ema: 5,
            slow_ema: 20,
            min_confidence: 70,
            target_pct: 0.8,
            stop_pct: 0.4,
        }
    }
}

impl EmaCrossoverParams {
    /// Reads and checks the YAML `parameters`, reporting every problem.
    pub fn from_params(params: &StrategyParams) -> Result<Self, StrategyBuildError> {
        let d = Self::default();
        let mut r = ParamReader::new(KIND, params);
        let fast_ema = r.whole("fast_ema", d.fast_ema, 1, 500);
        let slow_ema = r.whole("slow_ema", d.slow_ema, 2, 1000);
        let min_confidence = r.confidence("min_confidence", d.min_confidence);
        let (target_pct, stop_pct) = r.exits(d.target_pct, d.stop_pct);
        if fast_ema >= slow_ema {
            r.problem(
                "fast_ema",
                format!("must be < slow_ema (got {fast_ema} >= {slow_ema})"),
            );
        }
        r.finish()?;
        Ok(Self {
            fast_ema,
            slow_ema,
            min_confidence,
            target_pct,
            stop_pct,
        })
    }

    /// The parameters as a YAML `parameters` map (the inverse of [`Self::from_params`]).
    pub fn to_params(&self) -> StrategyParams {
        [
            ("fast_ema", Value::from(self.fast_ema as u64)),
            ("slow_ema", Value::from(self.slow_ema as u64)),
            (
                "min_confidence",
                Value::from(u64::from(self.min_confidence)),
            ),
            ("target_pct", Value::from(self.target_pct)),
            ("stop_pct", Value::from(self.stop_pct)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// EMA crossover strategy over one symbol's candles; see the module docs.
#[derive(Debug, Clone)]
pub struct EmaCrossover {
    name: String,
    params: EmaCrossoverParams,
    fast: Ema,
    slow: Ema,
    /// Side of the last non-zero `fast − slow`: +1 above, −1 below, 0 not known yet.
    side: i8,
}

impl EmaCrossover {
    /// A fresh instance named `name` (the config key).
    pub fn new(
        name: impl Into<String>,
        params: EmaCrossoverParams,
    ) -> Result<Self, StrategyBuildError> {
        let params = EmaCrossoverParams::from_params(&params.to_params())?;
        let fast =
            Ema::new(params.fast_ema).map_err(|e| StrategyBuildError::single("fast_ema", e))?;
        let slow =
            Ema::new(params.slow_ema).map_err(|e| StrategyBuildError::single("slow_ema", e))?;
        Ok(Self {
            name: name.into(),
            params,
            fast,
            slow,
            side: 0,
        })
    }

    /// The parameters in use.
    pub fn params(&self) -> &EmaCrossoverParams {
        &self.params
    }
}

impl Strategy for EmaCrossover {
    fn name(&self) -> &str {
        &self.name
    }

    fn warmup_bars(&self) -> usize {
        self.params.slow_ema + 1
    }

    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        let candle = input.candle;
        let close = to_f64(candle.close);
        let fast = self.fast.update(close);
        let slow = self.slow.update(close);
        let (fast, slow) = (fast?, slow?);
        let now: i8 = if fast > slow {
            1
        } else if fast < slow {
            -1
        } else {
            return None;
        };
        let before = std::mem::replace(&mut self.side, now);
        if before == 0 || before == now {
            return None;
        }
        let side = if now > 0 { Side::Buy } else { Side::Sell };
        let body_agrees = (close - to_f64(candle.open)) * f64::from(now) > 0.0;
        let thrust_pct = if close > 0.0 {
            (close - slow).abs() / close * 100.0
        } else {
            0.0
        };
        let confidence = clamp_confidence(
            50.0 + if body_agrees { 10.0 } else { 0.0 } + (400.0 * thrust_pct).min(40.0),
        );
        if confidence < self.params.min_confidence {
            return None;
        }
        let direction = if now > 0 { "above" } else { "below" };
        let reason = format!(
            "EMA({}) {fast:.2} crossed {direction} EMA({}) {slow:.2}",
            self.params.fast_ema, self.params.slow_ema
        );
        let exits = Exits {
            target_pct: self.params.target_pct,
            stop_pct: self.params.stop_pct,
        };
        Some(signal_at(
            &self.name, candle, side, confidence, exits, reason,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::{candles, run};

    fn strategy(fast: usize, slow: usize, min_confidence: u8) -> EmaCrossover {
        EmaCrossover::new(
            "ema_crossover",
            EmaCrossoverParams {
                fast_ema: fast,
                slow_ema: slow,
                min_confidence,
                ..EmaCrossoverParams::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn fires_on_the_crossing_bar_once_each_way() {
        // EMA(2), α = 2/3: 9.5, 8.5, 7.5, 10.5, 11.5, 7.1667 (from bar 1)
        // EMA(3), α = 1/2:   —, 9,   8,   10,   11,   8      (from bar 2)
        // Bar 2 sets fast < slow; bar 4 crosses up (10.5 > 10); bar 6 crosses down.
        let closes = [10.0, 9.0, 8.0, 7.0, 12.0, 12.0, 5.0, 5.0];
        let signals = run(&mut strategy(2, 3, 0), &candles(&closes));
        let got: Vec<(usize, Side)> = signals.iter().map(|(i, s)| (*i, s.side)).collect();
        assert_eq!(got, vec![(4, Side::Buy), (6, Side::Sell)]);
        let (_, buy) = &signals[0];
        // Green candle 7 → 12 (+10), close 2/12 = 17 % beyond the slow EMA (+40 capped).
        assert_eq!(buy.confidence, 100);
        assert!(buy.target > buy.price && buy.stop < buy.price);
        assert_eq!(buy.reason, "EMA(2) 10.50 crossed above EMA(3) 10.00");
        let (_, sell) = &signals[1];
        assert!(sell.target < sell.price && sell.stop > sell.price);
        assert!(sell.expected_move_pct < 0.0);
    }

    #[test]
    fn a_trend_from_the_start_is_not_a_cross() {
        let closes: Vec<f64> = (0..60).map(|i| 100.0 + f64::from(i)).collect();
        assert!(run(&mut strategy(5, 20, 0), &candles(&closes)).is_empty());
    }

    #[test]
    fn touching_averages_do_not_fire_twice() {
        // A V: down for 25 bars then up; exactly one BUY, however the EMAs approach each other.
        let closes: Vec<f64> = (0..25)
            .map(|i| 200.0 - f64::from(i))
            .chain((0..25).map(|i| 176.0 + 2.0 * f64::from(i)))
            .collect();
        let signals = run(&mut strategy(5, 20, 0), &candles(&closes));
        assert_eq!(signals.len(), 1, "{signals:?}");
        assert_eq!(signals[0].1.side, Side::Buy);
    }

    #[test]
    fn below_min_confidence_is_not_emitted() {
        // A small oscillation (±0.05 %): many crosses, most with little thrust.
        let closes: Vec<f64> = (0..200)
            .map(|i| 100.0 + 0.05 * (f64::from(i) / 3.0).sin())
            .collect();
        let all = run(&mut strategy(2, 5, 0), &candles(&closes));
        assert!(all.len() > 5, "{all:?}");
        let lowest = all.iter().map(|(_, s)| s.confidence).min().unwrap();
        assert!(lowest < 100, "{all:?}");
        let strict = run(&mut strategy(2, 5, lowest + 1), &candles(&closes));
        let kept: Vec<usize> = all
            .iter()
            .filter(|(_, s)| s.confidence > lowest)
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(strict.iter().map(|(i, _)| *i).collect::<Vec<_>>(), kept);
    }

    #[test]
    fn confidence_follows_the_documented_formula() {
        // Bar 4 of the hand series, but with a red candle (open above close) and small thrust:
        // closes 10, 9, 8, 7, 9.2 → fast 7.5 + 2/3·1.7 = 8.6333, slow 8 + 0.6 = 8.6 → BUY.
        // Thrust = |9.2 − 8.6| / 9.2 = 6.5 % → +40; red candle → +0; total 90.
        let mut cs = candles(&[10.0, 9.0, 8.0, 7.0, 9.2]);
        cs[4].open = cs[4].high;
        let got = run(&mut strategy(2, 3, 0), &cs);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].0, got[0].1.confidence), (4, 90));
    }

    #[test]
    fn fast_must_be_shorter_than_slow() {
        let err = EmaCrossover::new(
            "e",
            EmaCrossoverParams {
                fast_ema: 20,
                slow_ema: 5,
                ..EmaCrossoverParams::default()
            },
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("fast_ema must be < slow_ema (got 20 >= 5)"),
            "{err}"
        );
    }
}
