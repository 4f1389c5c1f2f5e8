//! Bollinger band reversion (mean reversion).
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `period` | 20 | band period, bars (2..=500) |
//! | `std_dev` | 2.0 | band width, population standard deviations (0 < x ≤ 5) |
//! | `min_confidence` | 60 | signals below this confidence (points 0..=100) are not emitted |
//! | `target_pct` | 0.5 | target distance, percent of price (0 < x ≤ 50) |
//! | `stop_pct` | 0.4 | stop distance, percent of price (0 < x ≤ 50) |
//!
//! **Rule.** Bands on the closes (SMA ± `std_dev`·σ, as TA-Lib's BBANDS). BUY when the previous
//! close was below its lower band and this close is back at or above this bar's lower band (the
//! stretch is reverting); SELL when the previous close was above its upper band and this close is
//! back at or below the upper band. One excursion gives one signal, on the bar that re-enters.
//! The first signal is possible on bar `period + 1`.
//!
//! **Confidence** (points, clamped to 0..=100): `50 + min(50, 50·e)`, where `e` is how far the
//! previous close was outside its band, in standard deviations (an excursion of one σ beyond the
//! band scores 100).
//!
//! **Exits.** Target `target_pct` % and stop `stop_pct` % of the close away.

use serde_yaml::Value;

use super::levels::{clamp_confidence, signal_at, to_f64, Exits};
use super::params::ParamReader;
use super::registry::{StrategyBuildError, StrategyParams};
use super::{MarketInput, Side, Signal, Strategy};
use crate::indicators::{BollingerBands, BollingerOutput};

/// The strategy kind name used in config and on the command line.
pub const KIND: &str = "bollinger_reversion";

/// What the strategy trades on, one line (`alphastock strategies`).
pub const SUMMARY: &str = "mean reversion: BUY when a close below the lower Bollinger band comes back inside, SELL when one above the upper band does";

/// Meanings of this strategy's own parameters, with units (the common `min_confidence`,
/// `target_pct` and `stop_pct` are described once for all); listed by `alphastock strategies`.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("period", "band period, bars"),
    ("std_dev", "band width, population standard deviations"),
];

/// Parameters of [`BollingerReversion`]; see the module docs for meanings and defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BollingerReversionParams {
    /// Band period, bars.
    pub period: usize,
    /// Band width, standard deviations.
    pub std_dev: f64,
    /// Minimum confidence to emit, points 0..=100.
    pub min_confidence: u8,
    /// Target distance, percent of price.
    pub target_pct: f64,
    /// Stop distance, percent of price.
    pub stop_pct: f64,
}

impl Default for BollingerReversionParams {
    fn default() -> Self {
        Self {
            period: 20,
            std_dev: 2.0,
            min_confidence: 60,
            target_pct: 0.5,
            stop_pct: 0.4,
        }
    }
}

impl BollingerReversionParams {
    /// Reads and checks the YAML `parameters`, reporting every problem.
    pub fn from_params(params: &StrategyParams) -> Result<Self, StrategyBuildError> {
        let d = Self::default();
        let mut r = ParamReader::new(KIND, params);
        let period = r.whole("period", d.period, 2, 500);
        let std_dev = r.number("std_dev", d.std_dev, 0.0, 5.0, true);
        let min_confidence = r.confidence("min_confidence", d.min_confidence);
        let (target_pct, stop_pct) = r.exits(d.target_pct, d.stop_pct);
        r.finish()?;
        Ok(Self {
            period,
            std_dev,
            min_confidence,
            target_pct,
            stop_pct,
        })
    }

    /// The parameters as a YAML `parameters` map (the inverse of [`Self::from_params`]).
    pub fn to_params(&self) -> StrategyParams {
        [
            ("period", Value::from(self.period as u64)),
            ("std_dev", Value::from(self.std_dev)),
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

/// Bollinger band reversion over one symbol's candles; see the module docs.
#[derive(Debug, Clone)]
pub struct BollingerReversion {
    name: String,
    params: BollingerReversionParams,
    bands: BollingerBands,
    prev: Option<(f64, BollingerOutput)>,
}

impl BollingerReversion {
    /// A fresh instance named `name` (the config key).
    pub fn new(
        name: impl Into<String>,
        params: BollingerReversionParams,
    ) -> Result<Self, StrategyBuildError> {
        let params = BollingerReversionParams::from_params(&params.to_params())?;
        let bands = BollingerBands::new(params.period, params.std_dev, params.std_dev)
            .map_err(|e| StrategyBuildError::single("period", e))?;
        Ok(Self {
            name: name.into(),
            params,
            bands,
            prev: None,
        })
    }

    /// The parameters in use.
    pub fn params(&self) -> &BollingerReversionParams {
        &self.params
    }
}

impl Strategy for BollingerReversion {
    fn name(&self) -> &str {
        &self.name
    }

    fn warmup_bars(&self) -> usize {
        self.params.period + 1
    }

    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        let candle = input.candle;
        let close = to_f64(candle.close);
        let now = self.bands.update(close)?;
        let (prev_close, prev) = self.prev.replace((close, now))?;
        let sigma = (prev.upper - prev.middle) / self.params.std_dev;
        let (side, excursion, band) = if prev_close < prev.lower && close >= now.lower {
            (Side::Buy, prev.lower - prev_close, "lower")
        } else if prev_close > prev.upper && close <= now.upper {
            (Side::Sell, prev_close - prev.upper, "upper")
        } else {
            return None;
        };
        let e = if sigma > 0.0 { excursion / sigma } else { 0.0 };
        let confidence = clamp_confidence(50.0 + (50.0 * e).min(50.0));
        if confidence < self.params.min_confidence {
            return None;
        }
        let reason = format!(
            "close {close:.2} back inside the {band} Bollinger band ({:.2}) after {prev_close:.2} outside",
            if band == "lower" { now.lower } else { now.upper }
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

    fn strategy() -> BollingerReversion {
        BollingerReversion::new(
            "bb",
            BollingerReversionParams {
                period: 10,
                min_confidence: 0,
                ..BollingerReversionParams::default()
            },
        )
        .unwrap()
    }

    /// 12 closes around 100, ±0.2.
    fn wiggle() -> Vec<f64> {
        (0..12)
            .map(|i| if i % 2 == 0 { 100.2 } else { 99.8 })
            .collect()
    }

    #[test]
    fn buys_on_the_bar_that_re_enters_after_a_drop_below_the_lower_band() {
        // Flat at 100 with a small wiggle, a plunge to 90 (window mean 99, σ 3, lower band 93:
        // outside), then back to 99 (lower band ≈ 92.9: inside) → BUY on bar 13.
        let mut closes = wiggle();
        closes.extend([90.0, 99.0, 99.5, 100.0]);
        let got = run(&mut strategy(), &candles(&closes));
        assert_eq!(got.len(), 1, "{got:?}");
        let (i, s) = &got[0];
        assert_eq!((*i, s.side), (13, Side::Buy));
        assert!(s.target > s.price && s.stop < s.price);
        // The plunge was (93 − 90) / 3 ≈ 1 σ beyond the band: confidence ≈ 100.
        assert!(s.confidence >= 95, "{}", s.confidence);
    }

    #[test]
    fn sells_after_a_spike_above_the_upper_band() {
        let mut closes = wiggle();
        closes.extend([110.0, 101.0, 100.5]);
        let got = run(&mut strategy(), &candles(&closes));
        let sides: Vec<_> = got.iter().map(|(i, s)| (*i, s.side)).collect();
        assert_eq!(sides, [(13, Side::Sell)]);
    }

    #[test]
    fn staying_outside_does_not_fire() {
        // A steady fall keeps closing below the band: no re-entry, no signal.
        let closes: Vec<f64> = (0..30).map(|i| 100.0 * 0.97f64.powi(i)).collect();
        assert!(run(&mut strategy(), &candles(&closes)).is_empty());
    }
}
