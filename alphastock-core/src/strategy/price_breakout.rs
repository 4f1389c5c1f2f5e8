//! Price breakout (momentum).
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `lookback` | 20 | channel length, bars (2..=500) |
//! | `volume_factor` | 1.5 | volume at least this multiple of the channel's average volume confirms (0 < x ≤ 20) |
//! | `min_confidence` | 60 | signals below this confidence (points 0..=100) are not emitted |
//! | `target_pct` | 1.0 | target distance, percent of price (0 < x ≤ 50) |
//! | `stop_pct` | 0.5 | stop distance, percent of price (0 < x ≤ 50) |
//!
//! **Rule.** The channel is the highest high and lowest low of the previous `lookback` bars (not
//! counting this one). BUY when this bar closes above the channel high, SELL when it closes
//! below the channel low, only on the first bar of a breakout (the previous close was inside its
//! own channel). The first signal is possible on bar `lookback + 1`.
//!
//! **Confidence** (points, clamped to 0..=100): `50 + min(30, 300·b) + 20·v`, where `b` is the
//! breakout distance beyond the channel in percent of the close (0.1 % scores the full 30) and
//! `v` is 1 when the bar's volume is at least `volume_factor` × the average volume of the
//! previous `lookback` bars.
//!
//! **Exits.** Target `target_pct` % and stop `stop_pct` % of the close away.

use serde_yaml::Value;

use super::levels::{clamp_confidence, signal_at, to_f64, Exits};
use super::params::ParamReader;
use super::registry::{StrategyBuildError, StrategyParams};
use super::{MarketInput, Side, Signal, Strategy};
use crate::indicators::{RollingHigh, RollingLow, VolumeAverage};

/// The strategy kind name used in config and on the command line.
pub const KIND: &str = "price_breakout";

/// What the strategy trades on, one line (`alphastock strategies`).
pub const SUMMARY: &str = "momentum: BUY on the first close above the highest high of the last `lookback` bars, SELL below the lowest low";

/// Meanings of this strategy's own parameters, with units (the common `min_confidence`,
/// `target_pct` and `stop_pct` are described once for all); listed by `alphastock strategies`.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("lookback", "channel length, bars"),
    (
        "volume_factor",
        "volume at least this multiple of the channel's average volume confirms (adds confidence)",
    ),
];

/// Parameters of [`PriceBreakout`]; see the module docs for meanings and defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceBreakoutParams {
    /// Channel length, bars.
    pub lookback: usize,
    /// Volume confirmation multiple of the average volume.
    pub volume_factor: f64,
    /// Minimum confidence to emit, points 0..=100.
    pub min_confidence: u8,
    /// Target distance, percent of price.
    pub target_pct: f64,
    /// Stop distance, percent of price.
    pub stop_pct: f64,
}

impl Default for PriceBreakoutParams {
    fn default() -> Self {
        Self {
            lookback: 20,
            volume_factor: 1.5,
            min_confidence: 60,
            target_pct: 1.0,
            stop_pct: 0.5,
        }
    }
}

impl PriceBreakoutParams {
    /// Reads and checks the YAML `parameters`, reporting every problem.
    pub fn from_params(params: &StrategyParams) -> Result<Self, StrategyBuildError> {
        let d = Self::default();
        let mut r = ParamReader::new(KIND, params);
        let lookback = r.whole("lookback", d.lookback, 2, 500);
        let volume_factor = r.number("volume_factor", d.volume_factor, 0.0, 20.0, true);
        let min_confidence = r.confidence("min_confidence", d.min_confidence);
        let (target_pct, stop_pct) = r.exits(d.target_pct, d.stop_pct);
        r.finish()?;
        Ok(Self {
            lookback,
            volume_factor,
            min_confidence,
            target_pct,
            stop_pct,
        })
    }

    /// The parameters as a YAML `parameters` map (the inverse of [`Self::from_params`]).
    pub fn to_params(&self) -> StrategyParams {
        [
            ("lookback", Value::from(self.lookback as u64)),
            ("volume_factor", Value::from(self.volume_factor)),
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

/// Price breakout over one symbol's candles; see the module docs.
#[derive(Debug, Clone)]
pub struct PriceBreakout {
    name: String,
    params: PriceBreakoutParams,
    highs: RollingHigh,
    lows: RollingLow,
    volume: VolumeAverage,
    /// Whether the previous close was outside its channel (above, below).
    was_out: (bool, bool),
}

impl PriceBreakout {
    /// A fresh instance named `name` (the config key).
    pub fn new(
        name: impl Into<String>,
        params: PriceBreakoutParams,
    ) -> Result<Self, StrategyBuildError> {
        let params = PriceBreakoutParams::from_params(&params.to_params())?;
        let err = |e| StrategyBuildError::single("lookback", e);
        Ok(Self {
            name: name.into(),
            params,
            highs: RollingHigh::new(params.lookback).map_err(err)?,
            lows: RollingLow::new(params.lookback).map_err(err)?,
            volume: VolumeAverage::new(params.lookback).map_err(err)?,
            was_out: (false, false),
        })
    }

    /// The parameters in use.
    pub fn params(&self) -> &PriceBreakoutParams {
        &self.params
    }
}

impl Strategy for PriceBreakout {
    fn name(&self) -> &str {
        &self.name
    }

    fn warmup_bars(&self) -> usize {
        self.params.lookback + 1
    }

    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        let candle = input.candle;
        let close = to_f64(candle.close);
        let volume = candle.volume as f64;
        let channel = self.highs.value().zip(self.lows.value());
        let avg_volume = self.volume.value();
        self.highs.update(to_f64(candle.high));
        self.lows.update(to_f64(candle.low));
        self.volume.update(volume);
        let (high, low) = channel?;
        let out = (close > high, close < low);
        let before = std::mem::replace(&mut self.was_out, out);
        let (side, beyond, level) = if out.0 && !before.0 {
            (Side::Buy, close - high, high)
        } else if out.1 && !before.1 {
            (Side::Sell, low - close, low)
        } else {
            return None;
        };
        let b = if close > 0.0 {
            beyond / close * 100.0
        } else {
            0.0
        };
        let heavy = avg_volume.is_some_and(|a| a > 0.0 && volume >= self.params.volume_factor * a);
        let confidence =
            clamp_confidence(50.0 + (300.0 * b).min(30.0) + if heavy { 20.0 } else { 0.0 });
        if confidence < self.params.min_confidence {
            return None;
        }
        let edge = if side == Side::Buy { "high" } else { "low" };
        let reason = format!(
            "close {close:.2} broke the {}-bar {edge} {level:.2}{}",
            self.params.lookback,
            if heavy { " on heavy volume" } else { "" }
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

    fn strategy() -> PriceBreakout {
        PriceBreakout::new(
            "bo",
            PriceBreakoutParams {
                lookback: 5,
                min_confidence: 0,
                ..PriceBreakoutParams::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn fires_on_the_first_close_beyond_the_channel_only() {
        // A range 99.5..100.5, then a run-up that keeps making highs: one BUY at bar 7.
        let closes = [
            100.0, 100.5, 99.5, 100.2, 99.8, 100.0, 100.3, 102.0, 103.0, 104.0,
        ];
        let got = run(&mut strategy(), &candles(&closes));
        assert_eq!(
            got.iter().map(|(i, s)| (*i, s.side)).collect::<Vec<_>>(),
            [(7, Side::Buy)]
        );
        assert!(
            got[0].1.reason.contains("broke the 5-bar high"),
            "{}",
            got[0].1.reason
        );
    }

    #[test]
    fn breakdown_sells_and_heavy_volume_adds_confidence() {
        let closes = [100.0, 100.5, 99.5, 100.2, 99.8, 100.0, 99.9, 99.0];
        let mut cs = candles(&closes);
        let quiet = run(&mut strategy(), &cs);
        cs[7].volume = 10_000;
        let heavy = run(&mut strategy(), &cs);
        assert_eq!(quiet.len(), 1);
        assert_eq!((quiet[0].0, quiet[0].1.side), (7, Side::Sell));
        assert_eq!(heavy[0].1.confidence, quiet[0].1.confidence + 20);
    }
}
