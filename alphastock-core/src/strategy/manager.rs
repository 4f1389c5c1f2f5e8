//! Running every configured strategy on its symbols, and merging one symbol's signals into one
//! decision.

use std::collections::BTreeMap;

use thiserror::Error;

use super::registry::{build_strategy, StrategyBuildError, StrategyParams};
use super::{MarketInput, Side, Signal, Strategy};
use crate::config::Config;
use crate::market::Symbol;

/// One configured strategy instance: which built-in strategy, on which symbols, with what
/// parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct StrategySpec {
    /// Instance name (the config key, e.g. `ema_crossover` or `fast_trend`); signals carry it.
    pub instance: String,
    /// Built-in strategy kind (e.g. `ema_crossover`).
    pub kind: String,
    /// Symbols it analyses.
    pub symbols: Vec<Symbol>,
    /// Its YAML `parameters`.
    pub params: StrategyParams,
}

impl StrategySpec {
    /// The specs of the config's **enabled** strategies, in config (name) order.
    pub fn from_config(config: &Config) -> Vec<StrategySpec> {
        config
            .strategies
            .iter()
            .filter(|(_, s)| s.enabled)
            .map(|(name, s)| StrategySpec {
                instance: name.clone(),
                kind: s.kind(name).to_string(),
                symbols: s.symbols.clone(),
                params: s.parameters.clone(),
            })
            .collect()
    }
}

/// A strategy instance that could not be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("strategy `{instance}`: {source}")]
pub struct ManagerError {
    /// The instance name.
    pub instance: String,
    /// Why it could not be built.
    pub source: StrategyBuildError,
}

/// Holds one strategy object per (instance, symbol) and feeds each symbol's candles to its
/// strategies.
pub struct StrategyManager {
    specs: Vec<StrategySpec>,
    by_symbol: BTreeMap<Symbol, Vec<Box<dyn Strategy>>>,
}

impl std::fmt::Debug for StrategyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrategyManager")
            .field("specs", &self.specs)
            .finish_non_exhaustive()
    }
}

impl StrategyManager {
    /// Builds one strategy object per (spec, symbol). Symbols listed twice in one spec get one.
    pub fn new(specs: Vec<StrategySpec>) -> Result<Self, ManagerError> {
        let mut by_symbol: BTreeMap<Symbol, Vec<Box<dyn Strategy>>> = BTreeMap::new();
        for spec in &specs {
            let mut seen: Vec<&Symbol> = Vec::new();
            for symbol in &spec.symbols {
                if seen.contains(&symbol) {
                    continue;
                }
                seen.push(symbol);
                let strategy =
                    build_strategy(&spec.kind, &spec.instance, &spec.params).map_err(|source| {
                        ManagerError {
                            instance: spec.instance.clone(),
                            source,
                        }
                    })?;
                by_symbol.entry(symbol.clone()).or_default().push(strategy);
            }
        }
        Ok(Self { specs, by_symbol })
    }

    /// The manager for a config's enabled strategies.
    pub fn from_config(config: &Config) -> Result<Self, ManagerError> {
        Self::new(StrategySpec::from_config(config))
    }

    /// The specs it was built from.
    pub fn specs(&self) -> &[StrategySpec] {
        &self.specs
    }

    /// The symbols that have at least one strategy, in order.
    pub fn symbols(&self) -> impl Iterator<Item = &Symbol> {
        self.by_symbol.keys()
    }

    /// Adds a strategy object of the caller's own (one not in the registry) on `symbol`; it runs
    /// after the configured ones. This is how a program embedding the engine plugs in its own
    /// strategies.
    pub fn add(&mut self, symbol: Symbol, strategy: Box<dyn Strategy>) {
        self.by_symbol.entry(symbol).or_default().push(strategy);
    }

    /// True when at least one strategy runs on `symbol`.
    pub fn watches(&self, symbol: &Symbol) -> bool {
        self.strategy_count(symbol) > 0
    }

    /// The most candles any strategy on `symbol` needs before it can signal (0 when none
    /// watches it): how many bars a warm start should seed.
    pub fn warmup_bars(&self, symbol: &Symbol) -> usize {
        self.by_symbol
            .get(symbol)
            .and_then(|v| v.iter().map(|s| s.warmup_bars()).max())
            .unwrap_or(0)
    }

    /// How many strategy objects run on `symbol`.
    pub fn strategy_count(&self, symbol: &Symbol) -> usize {
        self.by_symbol.get(symbol).map_or(0, Vec::len)
    }

    /// Merges one symbol's signals into one decision; the same as the free function
    /// [`aggregate`], whose docs give the rule.
    pub fn aggregate(signals: &[Signal], min_confidence: u8) -> Option<Signal> {
        aggregate(signals, min_confidence)
    }

    /// Feeds the candle to every strategy of its symbol (in spec order) and returns the signals
    /// that fired. The chain is passed on only when it is of the candle's symbol. A symbol
    /// without strategies gives no signals.
    pub fn on_candle(&mut self, input: &MarketInput<'_>) -> Vec<Signal> {
        let Some(strategies) = self.by_symbol.get_mut(&input.candle.symbol) else {
            return Vec::new();
        };
        let input = MarketInput {
            candle: input.candle,
            chain: input.chain.filter(|c| c.underlying == input.candle.symbol),
        };
        strategies
            .iter_mut()
            .filter_map(|s| s.analyze(&input))
            .collect()
    }
}

/// Merges the signals of one symbol (from one candle) into one decision.
///
/// **Rule (confidence-weighted vote).** Only the signals of the first signal's symbol count.
/// Each side's weight is the sum of its signals' confidences. Equal weights cancel (no decision).
/// Otherwise the heavier side wins, with confidence
/// `(winning weight − losing weight) / number of winning signals`, rounded, at most 100: one
/// signal keeps its confidence, agreeing signals average theirs, and opposition takes its
/// weight off. The decision copies the strongest winning signal (price, target, stop, expected
/// move; the first on ties), names every winning strategy joined by `+`, and joins their
/// reasons with `; `. A result below `min_confidence` is dropped.
pub fn aggregate(signals: &[Signal], min_confidence: u8) -> Option<Signal> {
    let symbol = &signals.first()?.symbol;
    let mine = || signals.iter().filter(|s| &s.symbol == symbol);
    let weight = |side: Side| -> u32 {
        mine()
            .filter(|s| s.side == side)
            .map(|s| u32::from(s.confidence))
            .sum()
    };
    let (buy, sell) = (weight(Side::Buy), weight(Side::Sell));
    let (side, net) = match buy.cmp(&sell) {
        std::cmp::Ordering::Equal => return None,
        std::cmp::Ordering::Greater => (Side::Buy, buy - sell),
        std::cmp::Ordering::Less => (Side::Sell, sell - buy),
    };
    let winners: Vec<&Signal> = mine().filter(|s| s.side == side).collect();
    let n = u32::try_from(winners.len()).unwrap_or(u32::MAX).max(1);
    let confidence = ((net + n / 2) / n).min(100);
    let confidence = u8::try_from(confidence).unwrap_or(100);
    if confidence < min_confidence {
        return None;
    }
    let best = winners
        .iter()
        .copied()
        .reduce(|a, b| if b.confidence > a.confidence { b } else { a })?;
    let mut out = best.clone();
    out.confidence = confidence;
    out.strategy = winners
        .iter()
        .map(|s| s.strategy.as_str())
        .collect::<Vec<_>>()
        .join("+");
    out.reason = winners
        .iter()
        .map(|s| s.reason.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::test_support::candles;
    use rust_decimal::Decimal;

    fn signal(strategy: &str, side: Side, confidence: u8) -> Signal {
        let c = &candles(&[100.0])[0];
        let (target, stop) = match side {
            Side::Buy => (Decimal::from(101), Decimal::from(99)),
            Side::Sell => (Decimal::from(99), Decimal::from(101)),
        };
        Signal {
            symbol: c.symbol.clone(),
            strategy: strategy.into(),
            side,
            timestamp: c.timestamp,
            price: c.close,
            target,
            stop,
            confidence,
            expected_move_pct: if side == Side::Buy { 1.0 } else { -1.0 },
            reason: format!("{strategy} says {side}"),
        }
    }

    #[test]
    fn one_signal_passes_through_and_agreement_averages() {
        let a = signal("a", Side::Buy, 80);
        assert_eq!(aggregate(std::slice::from_ref(&a), 70), Some(a.clone()));
        let b = signal("b", Side::Buy, 71);
        let both = aggregate(&[b, a], 70).unwrap();
        assert_eq!(both.confidence, 76); // (80 + 71) / 2 = 75.5 → 76
        assert_eq!(both.strategy, "b+a");
        assert_eq!(both.reason, "b says BUY; a says BUY");
        assert_eq!(both.target, Decimal::from(101));
    }

    #[test]
    fn opposing_signals_cancel_or_subtract() {
        let buy = signal("a", Side::Buy, 80);
        let sell = signal("b", Side::Sell, 80);
        assert_eq!(aggregate(&[buy.clone(), sell], 0), None);
        let weak_sell = signal("b", Side::Sell, 30);
        let d = aggregate(&[buy.clone(), weak_sell.clone()], 0).unwrap();
        assert_eq!((d.side, d.confidence), (Side::Buy, 50));
        assert_eq!(aggregate(&[buy, weak_sell], 60), None);
        assert_eq!(aggregate(&[], 0), None);
    }

    #[test]
    fn from_config_builds_one_object_per_instance_and_symbol() {
        let cfg = Config::from_yaml_str(
            "strategies:\n  ema_crossover:\n    symbols: [BANKNIFTY, NIFTY]\n    parameters: { fast_ema: 2, slow_ema: 3, min_confidence: 0 }\n  fast_trend:\n    strategy: ema_crossover\n    symbols: [BANKNIFTY]\n  rsi_divergence:\n    enabled: false\n    symbols: [BANKNIFTY]\n",
        )
        .unwrap();
        let mut m = StrategyManager::from_config(&cfg).unwrap();
        let bank = Symbol::parse("BANKNIFTY").unwrap();
        let nifty = Symbol::parse("NIFTY").unwrap();
        assert_eq!(m.strategy_count(&bank), 2);
        assert_eq!(m.strategy_count(&nifty), 1);
        assert_eq!(m.specs().len(), 2);
        // The hand series of the EMA crossover tests: BUY on bar 4, from the (2, 3) instance only.
        let mut fired = Vec::new();
        for (i, c) in candles(&[10.0, 9.0, 8.0, 7.0, 12.0]).iter().enumerate() {
            for s in m.on_candle(&MarketInput {
                candle: c,
                chain: None,
            }) {
                fired.push((i, s.strategy));
            }
        }
        assert_eq!(fired, [(4, "ema_crossover".to_string())]);
        // Candles of a symbol nobody trades give nothing, and instances per symbol are separate.
        let mut other = candles(&[10.0])[0].clone();
        other.symbol = Symbol::parse("NSE:SBIN").unwrap();
        assert!(m
            .on_candle(&MarketInput {
                candle: &other,
                chain: None
            })
            .is_empty());
    }
}
