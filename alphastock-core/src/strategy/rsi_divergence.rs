//! RSI divergence (mean reversion).
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `rsi_period` | 14 | RSI period, bars (2..=200) |
//! | `divergence_periods` | 5 | look-back window for the previous extreme, bars (2..=100) |
//! | `min_confidence` | 60 | signals below this confidence (points 0..=100) are not emitted |
//! | `target_pct` | 0.6 | target distance, percent of price (0 < x ≤ 50) |
//! | `stop_pct` | 0.4 | stop distance, percent of price (0 < x ≤ 50) |
//!
//! **Rule.** RSI (Wilder, TA-Lib seeding) of the closes. Over the previous `divergence_periods`
//! bars that have an RSI, take the bar with the lowest close (the latest if tied):
//! - **BUY** (bullish divergence) when this bar's close is *below* that low (a lower low in price)
//!   while this bar's RSI is *above* the RSI at that low (a higher low in momentum) and below 50.
//! - **SELL** (bearish divergence) mirrors it with the highest close: a higher high in price, a
//!   lower RSI than at that high, and RSI above 50.
//!
//! After a signal the same side is not signalled again for `divergence_periods` bars, so one
//! divergence does not fire on every bar of a slide. The first signal is possible on bar
//! `rsi_period + divergence_periods + 1`.
//!
//! **Confidence** (points, clamped to 0..=100): `50 + min(30, 3·d) + 20·[extreme RSI]`, where `d`
//! is the RSI divergence in points (|RSI now − RSI at the previous extreme|) and "extreme RSI"
//! means the previous low's RSI was ≤ 30 (BUY) or the previous high's RSI ≥ 70 (SELL).
//!
//! **Exits.** Target `target_pct` % and stop `stop_pct` % of the close away.

use serde_yaml::Value;

use super::levels::{clamp_confidence, signal_at, to_f64, Exits};
use super::params::ParamReader;
use super::registry::{StrategyBuildError, StrategyParams};
use super::{MarketInput, Side, Signal, Strategy};
use crate::indicators::Rsi;

/// The strategy kind name used in config and on the command line.
pub const KIND: &str = "rsi_divergence";

/// What the strategy trades on, one line (`alphastock strategies`).
pub const SUMMARY: &str = "mean reversion: BUY on a lower low in price with a higher RSI (below 50), SELL on a higher high with a lower RSI (above 50)";

/// Meanings of this strategy's own parameters, with units (the common `min_confidence`,
/// `target_pct` and `stop_pct` are described once for all); listed by `alphastock strategies`.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("rsi_period", "RSI period, bars"),
    (
        "divergence_periods",
        "look-back window for the previous extreme, bars",
    ),
];

/// Parameters of [`RsiDivergence`]; see the module docs for meanings and defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RsiDivergenceParams {
    /// RSI period, bars.
    pub rsi_period: usize,
    /// Look-back window for the previous extreme, bars.
    pub divergence_periods: usize,
    /// Minimum confidence to emit, points 0..=100.
    pub min_confidence: u8,
    /// Target distance, percent of price.
    pub target_pct: f64,
    /// Stop distance, percent of price.
    pub stop_pct: f64,
}

impl Default for RsiDivergenceParams {
    fn default() -> Self {
        Self {
            rsi_period: 14,
            divergence_periods: 5,
            min_confidence: 60,
            target_pct: 0.6,
            stop_pct: 0.4,
        }
    }
}

impl RsiDivergenceParams {
    /// Reads and checks the YAML `parameters`, reporting every problem.
    pub fn from_params(params: &StrategyParams) -> Result<Self, StrategyBuildError> {
        let d = Self::default();
        let mut r = ParamReader::new(KIND, params);
        let rsi_period = r.whole("rsi_period", d.rsi_period, 2, 200);
        let divergence_periods = r.whole("divergence_periods", d.divergence_periods, 2, 100);
        let min_confidence = r.confidence("min_confidence", d.min_confidence);
        let (target_pct, stop_pct) = r.exits(d.target_pct, d.stop_pct);
        r.finish()?;
        Ok(Self {
            rsi_period,
            divergence_periods,
            min_confidence,
            target_pct,
            stop_pct,
        })
    }

    /// The parameters as a YAML `parameters` map (the inverse of [`Self::from_params`]).
    pub fn to_params(&self) -> StrategyParams {
        [
            ("rsi_period", Value::from(self.rsi_period as u64)),
            (
                "divergence_periods",
                Value::from(self.divergence_periods as u64),
            ),
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

/// RSI divergence strategy over one symbol's candles; see the module docs.
#[derive(Debug, Clone)]
pub struct RsiDivergence {
    name: String,
    params: RsiDivergenceParams,
    rsi: Rsi,
    /// Ring of the previous `divergence_periods` (close, RSI) pairs; allocated once.
    history: Vec<(f64, f64)>,
    next: usize,
    /// Bars since the last BUY / SELL signal (saturating).
    since_buy: usize,
    since_sell: usize,
}

impl RsiDivergence {
    /// A fresh instance named `name` (the config key).
    pub fn new(
        name: impl Into<String>,
        params: RsiDivergenceParams,
    ) -> Result<Self, StrategyBuildError> {
        let params = RsiDivergenceParams::from_params(&params.to_params())?;
        let rsi =
            Rsi::new(params.rsi_period).map_err(|e| StrategyBuildError::single("rsi_period", e))?;
        Ok(Self {
            name: name.into(),
            params,
            rsi,
            history: Vec::with_capacity(params.divergence_periods),
            next: 0,
            since_buy: usize::MAX,
            since_sell: usize::MAX,
        })
    }

    /// The parameters in use.
    pub fn params(&self) -> &RsiDivergenceParams {
        &self.params
    }

    fn remember(&mut self, close: f64, rsi: f64) {
        if self.history.len() < self.params.divergence_periods {
            self.history.push((close, rsi));
        } else {
            self.history[self.next] = (close, rsi);
            self.next = (self.next + 1) % self.params.divergence_periods;
        }
    }

    /// The (close, RSI) of the lowest and of the highest previous close, latest on ties.
    fn extremes(&self) -> ((f64, f64), (f64, f64)) {
        let n = self.history.len();
        let mut low = (f64::INFINITY, 0.0);
        let mut high = (f64::NEG_INFINITY, 0.0);
        // Oldest first, so `<=` / `>=` keep the latest of equal closes.
        for i in 0..n {
            let (c, r) = self.history[(self.next + i) % n];
            if c <= low.0 {
                low = (c, r);
            }
            if c >= high.0 {
                high = (c, r);
            }
        }
        (low, high)
    }
}

impl Strategy for RsiDivergence {
    fn name(&self) -> &str {
        &self.name
    }

    fn warmup_bars(&self) -> usize {
        self.params.rsi_period + self.params.divergence_periods + 1
    }

    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        let candle = input.candle;
        let close = to_f64(candle.close);
        let rsi = self.rsi.update(close)?;
        self.since_buy = self.since_buy.saturating_add(1);
        self.since_sell = self.since_sell.saturating_add(1);
        if self.history.len() < self.params.divergence_periods {
            self.remember(close, rsi);
            return None;
        }
        let (low, high) = self.extremes();
        self.remember(close, rsi);
        let cooldown = self.params.divergence_periods;
        let (side, reference, extreme) = if close < low.0 && rsi > low.1 && rsi < 50.0 {
            if self.since_buy <= cooldown {
                return None;
            }
            (Side::Buy, low, low.1 <= 30.0)
        } else if close > high.0 && rsi < high.1 && rsi > 50.0 {
            if self.since_sell <= cooldown {
                return None;
            }
            (Side::Sell, high, high.1 >= 70.0)
        } else {
            return None;
        };
        match side {
            Side::Buy => self.since_buy = 0,
            Side::Sell => self.since_sell = 0,
        }
        let divergence = (rsi - reference.1).abs();
        let confidence = clamp_confidence(
            50.0 + (3.0 * divergence).min(30.0) + if extreme { 20.0 } else { 0.0 },
        );
        if confidence < self.params.min_confidence {
            return None;
        }
        let (price_word, rsi_word) = match side {
            Side::Buy => ("lower low", "higher"),
            Side::Sell => ("higher high", "lower"),
        };
        let reason = format!(
            "{price_word} {close:.2} vs {:.2} with {rsi_word} RSI({}) {rsi:.1} vs {:.1}",
            reference.0, self.params.rsi_period, reference.1
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

    fn strategy() -> RsiDivergence {
        RsiDivergence::new(
            "rsi",
            RsiDivergenceParams {
                rsi_period: 3,
                divergence_periods: 3,
                min_confidence: 0,
                ..RsiDivergenceParams::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn a_lower_low_with_a_higher_rsi_buys() {
        // A hard drop to 90 (RSI(3) near 0), a bounce, then a gentle lower low at 89.5: price
        // makes a lower low, RSI a higher one.
        let closes = [100.0, 101.0, 100.0, 101.0, 95.0, 90.0, 93.0, 92.0, 89.5];
        let mut rsi = Rsi::new(3).unwrap();
        let rsis: Vec<_> = closes.iter().map(|&c| rsi.update(c)).collect();
        let got = run(&mut strategy(), &candles(&closes));
        assert_eq!(got.len(), 1, "{got:?} {rsis:?}");
        let (i, s) = &got[0];
        assert_eq!((*i, s.side), (8, Side::Buy));
        assert!(rsis[8].unwrap() > rsis[5].unwrap() && rsis[8].unwrap() < 50.0);
        assert!(
            s.reason.starts_with("lower low 89.50 vs 90.00"),
            "{}",
            s.reason
        );
    }

    #[test]
    fn a_higher_high_with_a_lower_rsi_sells() {
        let closes = [100.0, 99.0, 100.0, 99.0, 105.0, 110.0, 107.0, 108.0, 110.5];
        let got = run(&mut strategy(), &candles(&closes));
        let sides: Vec<_> = got.iter().map(|(i, s)| (*i, s.side)).collect();
        assert_eq!(sides, [(8, Side::Sell)]);
    }

    #[test]
    fn a_clean_trend_is_not_a_divergence() {
        let closes: Vec<f64> = (0..40).map(|i| 100.0 - f64::from(i)).collect();
        assert!(run(&mut strategy(), &candles(&closes)).is_empty());
    }
}
