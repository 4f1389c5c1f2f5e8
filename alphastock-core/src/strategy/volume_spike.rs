//! Volume spike (momentum).
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `period` | 20 | volume average length, bars (2..=500) |
//! | `spike_factor` | 2.0 | a spike is volume at least this multiple of the average (1 ≤ x ≤ 50) |
//! | `min_move_pct` | 0.1 | the bar's body must move at least this percent of its open (0 ≤ x ≤ 10) |
//! | `min_confidence` | 60 | signals below this confidence (points 0..=100) are not emitted |
//! | `target_pct` | 0.6 | target distance, percent of price (0 < x ≤ 50) |
//! | `stop_pct` | 0.3 | stop distance, percent of price (0 < x ≤ 50) |
//!
//! **Rule.** The average volume of the previous `period` bars (not counting this one). When this
//! bar's volume is at least `spike_factor` × that average and its body |close − open| is at
//! least `min_move_pct` % of the open: BUY on a green bar (close > open), SELL on a red one. A run
//! of spike bars in the same direction signals only on its first bar. The first signal is
//! possible on bar `period + 1`.
//!
//! **Confidence** (points, clamped to 0..=100): `50 + min(30, 10·(ratio − 1)) + min(20, 100·m)`,
//! where `ratio` is volume / average volume and `m` the body in percent of the open (a body of
//! 0.2 % scores the full 20).
//!
//! **Exits.** Target `target_pct` % and stop `stop_pct` % of the close away.

use serde_yaml::Value;

use super::levels::{clamp_confidence, signal_at, to_f64, Exits};
use super::params::ParamReader;
use super::registry::{StrategyBuildError, StrategyParams};
use super::{MarketInput, Side, Signal, Strategy};
use crate::indicators::VolumeAverage;

/// The strategy kind name used in config and on the command line.
pub const KIND: &str = "volume_spike";

/// What the strategy trades on, one line (`alphastock strategies`).
pub const SUMMARY: &str =
    "momentum: BUY on a green bar, SELL on a red one, when its volume is a spike over the average";

/// Meanings of this strategy's own parameters, with units (the common `min_confidence`,
/// `target_pct` and `stop_pct` are described once for all); listed by `alphastock strategies`.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("period", "volume average length, bars"),
    (
        "spike_factor",
        "a spike is volume at least this multiple of the average",
    ),
    (
        "min_move_pct",
        "the bar's body must move at least this percent of its open",
    ),
];

/// Parameters of [`VolumeSpike`]; see the module docs for meanings and defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolumeSpikeParams {
    /// Volume average length, bars.
    pub period: usize,
    /// Spike threshold, multiple of the average volume.
    pub spike_factor: f64,
    /// Minimum body, percent of the open.
    pub min_move_pct: f64,
    /// Minimum confidence to emit, points 0..=100.
    pub min_confidence: u8,
    /// Target distance, percent of price.
    pub target_pct: f64,
    /// Stop distance, percent of price.
    pub stop_pct: f64,
}

impl Default for VolumeSpikeParams {
    fn default() -> Self {
        Self {
            period: 20,
            spike_factor: 2.0,
            min_move_pct: 0.1,
            min_confidence: 60,
            target_pct: 0.6,
            stop_pct: 0.3,
        }
    }
}

impl VolumeSpikeParams {
    /// Reads and checks the YAML `parameters`, reporting every problem.
    pub fn from_params(params: &StrategyParams) -> Result<Self, StrategyBuildError> {
        let d = Self::default();
        let mut r = ParamReader::new(KIND, params);
        let period = r.whole("period", d.period, 2, 500);
        let spike_factor = r.number("spike_factor", d.spike_factor, 1.0, 50.0, false);
        let min_move_pct = r.number("min_move_pct", d.min_move_pct, 0.0, 10.0, false);
        let min_confidence = r.confidence("min_confidence", d.min_confidence);
        let (target_pct, stop_pct) = r.exits(d.target_pct, d.stop_pct);
        r.finish()?;
        Ok(Self {
            period,
            spike_factor,
            min_move_pct,
            min_confidence,
            target_pct,
            stop_pct,
        })
    }

    /// The parameters as a YAML `parameters` map (the inverse of [`Self::from_params`]).
    pub fn to_params(&self) -> StrategyParams {
        [
            ("period", Value::from(self.period as u64)),
            ("spike_factor", Value::from(self.spike_factor)),
            ("min_move_pct", Value::from(self.min_move_pct)),
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

/// Volume spike strategy over one symbol's candles; see the module docs.
#[derive(Debug, Clone)]
pub struct VolumeSpike {
    name: String,
    params: VolumeSpikeParams,
    volume: VolumeAverage,
    /// Side of the previous bar's spike, if it was one.
    prev_spike: Option<Side>,
}

impl VolumeSpike {
    /// A fresh instance named `name` (the config key).
    pub fn new(
        name: impl Into<String>,
        params: VolumeSpikeParams,
    ) -> Result<Self, StrategyBuildError> {
        let params = VolumeSpikeParams::from_params(&params.to_params())?;
        Ok(Self {
            name: name.into(),
            params,
            volume: VolumeAverage::new(params.period)
                .map_err(|e| StrategyBuildError::single("period", e))?,
            prev_spike: None,
        })
    }

    /// The parameters in use.
    pub fn params(&self) -> &VolumeSpikeParams {
        &self.params
    }
}

impl Strategy for VolumeSpike {
    fn name(&self) -> &str {
        &self.name
    }

    fn warmup_bars(&self) -> usize {
        self.params.period + 1
    }

    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        let candle = input.candle;
        let (open, close) = (to_f64(candle.open), to_f64(candle.close));
        let volume = candle.volume as f64;
        let avg = self.volume.value();
        self.volume.update(volume);
        let avg = avg.filter(|a| *a > 0.0);
        let body_pct = if open > 0.0 {
            (close - open).abs() / open * 100.0
        } else {
            0.0
        };
        let spike = avg.and_then(|a| {
            let ratio = volume / a;
            let side = if close > open { Side::Buy } else { Side::Sell };
            (ratio >= self.params.spike_factor
                && close != open
                && body_pct >= self.params.min_move_pct)
                .then_some((side, ratio))
        });
        let before = std::mem::replace(&mut self.prev_spike, spike.map(|(s, _)| s));
        let (side, ratio) = spike?;
        if before == Some(side) {
            return None;
        }
        let confidence = clamp_confidence(
            50.0 + (10.0 * (ratio - 1.0)).min(30.0) + (100.0 * body_pct).min(20.0),
        );
        if confidence < self.params.min_confidence {
            return None;
        }
        let reason = format!(
            "volume {} is {ratio:.1}× the {}-bar average on a {:.2} % {} bar",
            candle.volume,
            self.params.period,
            body_pct,
            if side == Side::Buy { "up" } else { "down" }
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

    fn strategy() -> VolumeSpike {
        VolumeSpike::new(
            "vs",
            VolumeSpikeParams {
                period: 3,
                min_confidence: 0,
                ..VolumeSpikeParams::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn a_heavy_green_bar_buys_once_and_a_heavy_red_bar_sells() {
        let closes = [100.0, 100.1, 100.0, 100.1, 100.6, 101.2, 101.3, 100.5];
        let mut cs = candles(&closes);
        // Average of bars 1..=3 is 1000: bar 4 trades 3000 (ratio 3, BUY); bar 5 is a second green
        // spike (6000, ratio 3.6) and stays silent; bar 7 is a red spike (8000, ratio 2.4).
        cs[4].volume = 3000;
        cs[5].volume = 6000;
        cs[7].volume = 8000;
        let got = run(&mut strategy(), &cs);
        let sides: Vec<_> = got.iter().map(|(i, s)| (*i, s.side)).collect();
        assert_eq!(sides, [(4, Side::Buy), (7, Side::Sell)], "{got:?}");
        // Bar 4: ratio 3 → +20; body 0.5/100.1 = 0.4995 % → +20 (capped): 90.
        assert_eq!(got[0].1.confidence, 90);
    }

    #[test]
    fn a_heavy_bar_without_a_body_is_not_a_signal() {
        let closes = [100.0, 100.0, 100.0, 100.0, 100.05];
        let mut cs = candles(&closes);
        cs[4].volume = 9000;
        assert!(run(&mut strategy(), &cs).is_empty());
    }
}
