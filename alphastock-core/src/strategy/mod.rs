//! Strategies: the [`Strategy`] trait, the [`Signal`] a strategy emits, the built-in strategies
//! and the [`StrategyManager`] that runs them per symbol.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::{Candle, IstTime, OptionChain, Symbol};

pub mod bollinger_reversion;
mod catalogue;
pub mod ema_crossover;
#[cfg(test)]
mod invariants;
pub mod iv_regime;
mod levels;
mod manager;
mod params;
pub mod price_breakout;
mod registry;
pub mod rsi_divergence;
pub mod volume_spike;

pub use bollinger_reversion::{BollingerReversion, BollingerReversionParams};
pub use catalogue::{strategy_catalogue, ParamInfo, StrategyInfo};
pub use ema_crossover::{EmaCrossover, EmaCrossoverParams};
pub use iv_regime::{IvRegime, IvRegimeParams};
pub use manager::{aggregate, ManagerError, StrategyManager, StrategySpec};
pub use price_breakout::{PriceBreakout, PriceBreakoutParams};
pub use registry::{
    build_strategy, known_strategies, reads_option_chain, ParamProblem, StrategyBuildError,
    StrategyParams,
};
pub use rsi_divergence::{RsiDivergence, RsiDivergenceParams};
pub use volume_spike::{VolumeSpike, VolumeSpikeParams};

/// Direction of a signal on the underlying: BUY is bullish (buy a CE), SELL is bearish (buy a PE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    /// Bullish: expects the underlying to rise.
    Buy,
    /// Bearish: expects the underlying to fall.
    Sell,
}

impl Side {
    /// `BUY` or `SELL`.
    pub fn code(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    /// The view as traders name it: `bullish` for [`Side::Buy`], `bearish` for [`Side::Sell`].
    /// A bearish signal is traded by *buying* a PE, so the signal's side is not the order's.
    pub fn direction(self) -> &'static str {
        match self {
            Side::Buy => "bullish",
            Side::Sell => "bearish",
        }
    }

    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A strategy's view on an underlying at one moment: direction, where it is wrong (stop) and
/// where it expects to get to (target), all in underlying price terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// The underlying the signal is about.
    pub symbol: Symbol,
    /// Name of the strategy (config key) that produced it.
    pub strategy: String,
    /// BUY (bullish) or SELL (bearish).
    pub side: Side,
    /// Time of the data that produced it (IST); for a candle, the candle's close time is not
    /// known, so this is the candle's timestamp (its start) as in the input.
    pub timestamp: IstTime,
    /// Underlying price when the signal fired, rupees.
    pub price: Decimal,
    /// Underlying target price, rupees (above `price` for BUY, below for SELL).
    pub target: Decimal,
    /// Underlying stop price, rupees (below `price` for BUY, above for SELL).
    pub stop: Decimal,
    /// Strength of the signal, 0 to 100.
    pub confidence: u8,
    /// Expected move to target as a percent of price (0.8 = 0.8 %), signed: negative for SELL.
    pub expected_move_pct: f64,
    /// Human-readable reason, e.g. `EMA(5) 51180.00 crossed above EMA(20) 51100.00`.
    pub reason: String,
}

impl Signal {
    /// Reward-to-risk ratio |target − price| / |price − stop|; `None` when the stop equals price.
    pub fn reward_to_risk(&self) -> Option<Decimal> {
        let risk = (self.price - self.stop).abs();
        if risk.is_zero() {
            return None;
        }
        Some((self.target - self.price).abs() / risk)
    }
}

/// What a strategy sees on each update: the newest completed candle of its symbol and, when the
/// caller has one, the latest option chain of that symbol.
#[derive(Debug, Clone, Copy)]
pub struct MarketInput<'a> {
    /// The newest completed candle.
    pub candle: &'a Candle,
    /// The latest option chain of the same underlying, if any.
    pub chain: Option<&'a OptionChain>,
}

/// A trading strategy over one symbol's candles. Implementations keep streaming state (their
/// indicators) and must be cheap per update; they never panic on odd data.
///
/// The built-in ones are built by kind name with [`build_strategy`]; a strategy of your own is
/// any type implementing this trait, added with [`crate::engine::Engine::add_strategy`]
/// (a whole backtest of one is `alphastock-core/examples/custom_strategy.rs`).
///
/// ```
/// use alphastock_core::strategy::{MarketInput, Signal, Strategy};
///
/// /// Never signals: the smallest strategy there is.
/// struct Quiet;
///
/// impl Strategy for Quiet {
///     fn name(&self) -> &str {
///         "quiet"
///     }
///     fn warmup_bars(&self) -> usize {
///         1
///     }
///     fn analyze(&mut self, _input: &MarketInput<'_>) -> Option<Signal> {
///         None
///     }
/// }
///
/// let mut strategies: Vec<Box<dyn Strategy>> = vec![Box::new(Quiet)];
/// let ema = alphastock_core::strategy::build_strategy(
///     "ema_crossover",
///     "my_ema",
///     &Default::default(),
/// )
/// .unwrap();
/// assert_eq!(ema.warmup_bars(), 21); // slow EMA of 20 bars, and one bar to see the cross
/// strategies.push(ema);
/// assert_eq!(strategies[1].name(), "my_ema");
/// ```
pub trait Strategy: Send {
    /// The instance name (the config key, e.g. `ema_crossover`).
    fn name(&self) -> &str;
    /// Number of candles needed before the strategy can emit any signal.
    fn warmup_bars(&self) -> usize;
    /// Consumes the next candle (and optional chain) and returns a signal if one fires now.
    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal>;
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Crafted candle series for the strategy tests.

    use chrono::{Duration, TimeZone};
    use rust_decimal::prelude::FromPrimitive;
    use rust_decimal::Decimal;

    use super::{MarketInput, Signal, Strategy};
    use crate::market::{
        Candle, Exchange, OptionChain, OptionContract, OptionQuote, OptionType, Symbol, IST,
    };

    /// 5-minute candles from 2024-05-02 09:15 IST with the given closes; open = previous close,
    /// high/low 0.1 % beyond the body, volume 1000.
    pub(crate) fn candles(closes: &[f64]) -> Vec<Candle> {
        let start = IST.with_ymd_and_hms(2024, 5, 2, 9, 15, 0).unwrap();
        let symbol = Symbol::parse("BANKNIFTY").unwrap();
        let mut prev = closes.first().copied().unwrap_or(100.0);
        closes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let d = |x: f64| Decimal::from_f64(x).unwrap().round_dp(4);
                let (o, hi, lo) = (prev, prev.max(c) * 1.001, prev.min(c) * 0.999);
                prev = c;
                Candle {
                    symbol: symbol.clone(),
                    timestamp: start + Duration::minutes(5 * i as i64),
                    open: d(o),
                    high: d(hi),
                    low: d(lo),
                    close: d(c),
                    volume: 1000,
                }
            })
            .collect()
    }

    /// A one-expiry chain around the candle's close: strikes every 1 % from −2 % to +2 %, CE
    /// and PE, every IV `iv` (fraction).
    pub(crate) fn chain(candle: &Candle, iv: f64) -> OptionChain {
        let expiry = candle.timestamp.date_naive() + Duration::days(3);
        let spot = candle.close;
        let quotes = (-2..=2)
            .flat_map(|k| {
                let strike = (spot * (Decimal::ONE_HUNDRED + Decimal::from(k))
                    / Decimal::ONE_HUNDRED)
                    .round_dp(0);
                [OptionType::CE, OptionType::PE].map(|option_type| OptionQuote {
                    contract: OptionContract {
                        underlying: candle.symbol.clone(),
                        expiry,
                        strike,
                        option_type,
                        lot_size: 35,
                        tick_size: Decimal::new(5, 2),
                        trading_symbol: format!("{}{strike}{option_type}", candle.symbol.name()),
                        exchange: Exchange::Nfo,
                    },
                    premium: Decimal::from(100),
                    bid: None,
                    ask: None,
                    volume: Some(1000),
                    oi: Some(10_000),
                    iv: Some(iv),
                    greeks: None,
                    timestamp: candle.timestamp,
                })
            })
            .collect();
        // Put the ATM strike first so tests can edit it as quotes[0].
        let mut chain = OptionChain {
            underlying: candle.symbol.clone(),
            spot,
            expiry,
            timestamp: candle.timestamp,
            quotes,
        };
        chain.quotes.rotate_left(4);
        chain
    }

    /// Runs `strategy` over `candles` and returns the signals with their bar index.
    pub(crate) fn run(strategy: &mut dyn Strategy, candles: &[Candle]) -> Vec<(usize, Signal)> {
        candles
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                strategy
                    .analyze(&MarketInput {
                        candle: c,
                        chain: None,
                    })
                    .map(|s| (i, s))
            })
            .collect()
    }
}
