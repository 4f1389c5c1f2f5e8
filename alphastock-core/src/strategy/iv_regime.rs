//! Implied-volatility regime (volatility).
//!
//! | parameter | default | meaning |
//! |---|---|---|
//! | `window` | 50 | IV observations the percentile is ranked against (5..=2000) |
//! | `low_percentile` | 20 | at or below this IV percentile options are cheap (0 ≤ x < 100) |
//! | `trend_ema` | 20 | EMA period of the closes giving the direction, bars (2..=500) |
//! | `min_confidence` | 60 | signals below this confidence (points 0..=100) are not emitted |
//! | `target_pct` | 0.8 | target distance, percent of price (0 < x ≤ 50) |
//! | `stop_pct` | 0.4 | stop distance, percent of price (0 < x ≤ 50) |
//!
//! **Input.** The at-the-money implied volatility of the option chain that comes with the candle
//! (`MarketInput::chain`): the strike nearest the chain's spot, the mean of its CE and PE IVs
//! (those known). A bar without a chain or without an ATM IV adds no observation and never
//! signals.
//!
//! **Rule.** The IV percentile is the share of the previous `window` observations strictly below
//! the current IV, × 100. When it enters the low regime (≤ `low_percentile` now, above it on the
//! previous observation) long options are cheap, and the strategy trades the trend: BUY when the
//! close is above its `trend_ema` EMA, SELL when below. In the high-IV regime it stays silent
//! (buying expensive options is the wrong side of the volatility trade). The first signal is
//! possible on bar `max(window + 2, trend_ema)` (and needs `window + 2` bars with chains).
//!
//! **Confidence** (points, clamped to 0..=100): `50 + 30·(1 − p / low_percentile) + min(20, 200·g)`,
//! where `p` is the IV percentile (the first term is 30 when `low_percentile` is 0) and `g` the
//! distance of the close from the trend EMA in percent of the close (0.1 % scores the full 20).
//!
//! **Exits.** Target `target_pct` % and stop `stop_pct` % of the close away.

use serde_yaml::Value;

use super::levels::{clamp_confidence, signal_at, to_f64, Exits};
use super::params::ParamReader;
use super::registry::{StrategyBuildError, StrategyParams};
use super::{MarketInput, Side, Signal, Strategy};
use crate::indicators::Ema;
use crate::market::OptionChain;

/// The strategy kind name used in config and on the command line.
pub const KIND: &str = "iv_regime";

/// What the strategy trades on, one line (`alphastock strategies`).
pub const SUMMARY: &str = "volatility: when the ATM implied volatility enters its low percentile regime, trade the trend (BUY above the trend EMA, SELL below)";

/// Meanings of this strategy's own parameters, with units (the common `min_confidence`,
/// `target_pct` and `stop_pct` are described once for all); listed by `alphastock strategies`.
pub const PARAMETERS: &[(&str, &str)] = &[
    ("window", "IV observations the percentile is ranked against"),
    (
        "low_percentile",
        "at or below this IV percentile (points) options are cheap",
    ),
    (
        "trend_ema",
        "EMA period of the closes giving the direction, bars",
    ),
];

/// Parameters of [`IvRegime`]; see the module docs for meanings and defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IvRegimeParams {
    /// IV observations in the ranking window.
    pub window: usize,
    /// Low-IV regime threshold, percentile points 0..100.
    pub low_percentile: f64,
    /// Trend EMA period, bars.
    pub trend_ema: usize,
    /// Minimum confidence to emit, points 0..=100.
    pub min_confidence: u8,
    /// Target distance, percent of price.
    pub target_pct: f64,
    /// Stop distance, percent of price.
    pub stop_pct: f64,
}

impl Default for IvRegimeParams {
    fn default() -> Self {
        Self {
            window: 50,
            low_percentile: 20.0,
            trend_ema: 20,
            min_confidence: 60,
            target_pct: 0.8,
            stop_pct: 0.4,
        }
    }
}

impl IvRegimeParams {
    /// Reads and checks the YAML `parameters`, reporting every problem.
    pub fn from_params(params: &StrategyParams) -> Result<Self, StrategyBuildError> {
        let d = Self::default();
        let mut r = ParamReader::new(KIND, params);
        let window = r.whole("window", d.window, 5, 2000);
        let low_percentile = r.number("low_percentile", d.low_percentile, 0.0, 99.0, false);
        let trend_ema = r.whole("trend_ema", d.trend_ema, 2, 500);
        let min_confidence = r.confidence("min_confidence", d.min_confidence);
        let (target_pct, stop_pct) = r.exits(d.target_pct, d.stop_pct);
        r.finish()?;
        Ok(Self {
            window,
            low_percentile,
            trend_ema,
            min_confidence,
            target_pct,
            stop_pct,
        })
    }

    /// The parameters as a YAML `parameters` map (the inverse of [`Self::from_params`]).
    pub fn to_params(&self) -> StrategyParams {
        [
            ("window", Value::from(self.window as u64)),
            ("low_percentile", Value::from(self.low_percentile)),
            ("trend_ema", Value::from(self.trend_ema as u64)),
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

/// The at-the-money implied volatility of a chain (fraction): the mean of the known, positive
/// CE and PE IVs at the strike nearest the spot. `None` when that strike has no IV.
pub fn atm_iv(chain: &OptionChain) -> Option<f64> {
    let nearest = chain
        .quotes
        .iter()
        .map(|q| q.contract.strike)
        .min_by_key(|k| (*k - chain.spot).abs())?;
    let (mut sum, mut n) = (0.0, 0u32);
    for q in chain.quotes.iter().filter(|q| q.contract.strike == nearest) {
        if let Some(iv) = q.iv.filter(|v| v.is_finite() && *v > 0.0) {
            sum += iv;
            n += 1;
        }
    }
    (n > 0).then(|| sum / f64::from(n))
}

/// IV regime strategy over one symbol's candles and chains; see the module docs.
#[derive(Debug, Clone)]
pub struct IvRegime {
    name: String,
    params: IvRegimeParams,
    trend: Ema,
    /// Ring of the last `window` IV observations; allocated once.
    history: Vec<f64>,
    next: usize,
    was_low: bool,
    /// Whether an observation has been ranked yet (the first only sets the regime).
    ranked: bool,
}

impl IvRegime {
    /// A fresh instance named `name` (the config key).
    pub fn new(
        name: impl Into<String>,
        params: IvRegimeParams,
    ) -> Result<Self, StrategyBuildError> {
        let params = IvRegimeParams::from_params(&params.to_params())?;
        Ok(Self {
            name: name.into(),
            params,
            trend: Ema::new(params.trend_ema)
                .map_err(|e| StrategyBuildError::single("trend_ema", e))?,
            history: Vec::with_capacity(params.window),
            next: 0,
            was_low: false,
            ranked: false,
        })
    }

    /// The parameters in use.
    pub fn params(&self) -> &IvRegimeParams {
        &self.params
    }

    /// Ranks `iv` against the window (if full), then records it.
    fn observe(&mut self, iv: f64) -> Option<f64> {
        let full = self.history.len() == self.params.window;
        let pct = full.then(|| {
            let below = self.history.iter().filter(|h| **h < iv).count();
            below as f64 / self.params.window as f64 * 100.0
        });
        if full {
            self.history[self.next] = iv;
            self.next = (self.next + 1) % self.params.window;
        } else {
            self.history.push(iv);
        }
        pct
    }
}

impl Strategy for IvRegime {
    fn name(&self) -> &str {
        &self.name
    }

    fn warmup_bars(&self) -> usize {
        (self.params.window + 2).max(self.params.trend_ema)
    }

    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        let candle = input.candle;
        let close = to_f64(candle.close);
        let ema = self.trend.update(close);
        let iv = input.chain.and_then(atm_iv)?;
        let pct = self.observe(iv)?;
        let low = pct <= self.params.low_percentile;
        let was_low = std::mem::replace(&mut self.was_low, low);
        // The first ranked observation only sets the regime.
        let first = !std::mem::replace(&mut self.ranked, true);
        if first || !low || was_low {
            return None;
        }
        let ema = ema?;
        let side = if close > ema {
            Side::Buy
        } else if close < ema {
            Side::Sell
        } else {
            return None;
        };
        let depth = if self.params.low_percentile > 0.0 {
            1.0 - pct / self.params.low_percentile
        } else {
            1.0
        };
        let g = if close > 0.0 {
            (close - ema).abs() / close * 100.0
        } else {
            0.0
        };
        let confidence = clamp_confidence(50.0 + 30.0 * depth + (200.0 * g).min(20.0));
        if confidence < self.params.min_confidence {
            return None;
        }
        let reason = format!(
            "ATM IV {:.1} % at the {pct:.0}th percentile of {} observations (cheap options); close {close:.2} {} EMA({}) {ema:.2}",
            iv * 100.0,
            self.params.window,
            if side == Side::Buy { "above" } else { "below" },
            self.params.trend_ema
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
    use crate::strategy::test_support::{candles, chain};

    fn strategy() -> IvRegime {
        IvRegime::new(
            "iv",
            IvRegimeParams {
                window: 5,
                trend_ema: 3,
                min_confidence: 0,
                ..IvRegimeParams::default()
            },
        )
        .unwrap()
    }

    fn run(ivs: &[Option<f64>], closes: &[f64]) -> Vec<(usize, Signal)> {
        let cs = candles(closes);
        let mut s = strategy();
        cs.iter()
            .zip(ivs)
            .enumerate()
            .filter_map(|(i, (c, iv))| {
                let ch = iv.map(|iv| chain(c, iv));
                s.analyze(&MarketInput {
                    candle: c,
                    chain: ch.as_ref(),
                })
                .map(|sig| (i, sig))
            })
            .collect()
    }

    #[test]
    fn entering_the_low_iv_regime_trades_the_trend_once() {
        // IVs 0.20..0.24 fill the window; 0.22 ranks 40th (not low); 0.15 ranks 0th (enters low,
        // uptrend → BUY); 0.14 stays low (silent).
        let ivs = [0.20, 0.21, 0.22, 0.23, 0.24, 0.22, 0.15, 0.14].map(Some);
        let closes = [100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0];
        let got = run(&ivs, &closes);
        assert_eq!(
            got.iter().map(|(i, s)| (*i, s.side)).collect::<Vec<_>>(),
            [(6, Side::Buy)]
        );
        // Percentile 0 → +30; close 106 vs EMA(3) ≈ 105 (≈1 %) → +20.
        assert_eq!(got[0].1.confidence, 100);
    }

    #[test]
    fn no_chain_no_signal_and_a_downtrend_sells() {
        let closes = [107.0, 106.0, 105.0, 104.0, 103.0, 102.0, 101.0, 100.0];
        let without: Vec<Option<f64>> = vec![None; 8];
        assert!(run(&without, &closes).is_empty());
        let ivs = [0.20, 0.21, 0.22, 0.23, 0.24, 0.22, 0.15, 0.14].map(Some);
        let got = run(&ivs, &closes);
        assert_eq!(
            got.iter().map(|(i, s)| (*i, s.side)).collect::<Vec<_>>(),
            [(6, Side::Sell)]
        );
    }

    #[test]
    fn atm_iv_averages_the_nearest_strike() {
        let cs = candles(&[100.0]);
        let mut ch = chain(&cs[0], 0.2);
        assert!((atm_iv(&ch).unwrap() - 0.2).abs() < 1e-12);
        ch.quotes[0].iv = Some(0.3);
        // The nearest strike's CE now 0.3, PE 0.2 → 0.25.
        assert!((atm_iv(&ch).unwrap() - 0.25).abs() < 1e-12);
        ch.quotes.clear();
        assert_eq!(atm_iv(&ch), None);
    }
}
