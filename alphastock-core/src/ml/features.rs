//! The features of a signal, as the engine sees them at its decision.
//!
//! One fixed-order vector ([`FEATURE_NAMES`]); a value that cannot be known (no chain, no IV,
//! too few candles) is `NaN`, which the model reads as the training mean. Units:
//!
//! | # | name | unit |
//! |---|---|---|
//! | 0 | `side` | +1 bullish (buys a CE), −1 bearish (buys a PE) |
//! | 1 | `confidence` | the signal's confidence, 0–100 |
//! | 2 | `agreeing_strategies` | other strategies that fired the same way on the same candle (count) |
//! | 3 | `expected_move_pct` | the signal's expected move to target, percent of price, unsigned |
//! | 4 | `reward_to_risk` | \|target − price\| / \|price − stop\| of the underlying levels |
//! | 5 | `minutes_since_open` | minutes since 09:15 IST at the decision |
//! | 6 | `days_to_expiry` | calendar days from the decision to 15:30 IST on the chain's expiry |
//! | 7 | `atm_iv` | ATM implied vol, fraction (mean of the ATM CE and PE that have one) |
//! | 8 | `atm_iv_change` | `atm_iv` now less the oldest ATM IV of the last 30 minutes, fraction |
//! | 9 | `spread_pct` | bid/ask spread of the ATM contract of the signal's type, percent of mid |
//! | 10 | `log_oi` | ln(1 + open interest of that contract, units) |
//! | 11 | `realised_vol_pct` | standard deviation of the last 20 candle log returns, percent per candle |
//! | 12 | `momentum_pct` | return over the last 20 candles, percent, times `side` (positive = the way of the signal) |
//!
//! The strategies' indicator values reach the features through the signal's confidence,
//! expected move and reward-to-risk, which every strategy derives from them.

use std::collections::{BTreeMap, VecDeque};

use chrono::{Duration, Timelike};
use rust_decimal::prelude::ToPrimitive;

use crate::market::{Candle, IstTime, OptionChain, OptionQuote, OptionType, Symbol, IST};
use crate::options::time::days_to_expiry;
use crate::strategy::{Side, Signal};
use rust_decimal::Decimal;

/// How many features there are.
pub const FEATURE_COUNT: usize = 13;

/// The feature names, in vector order (the dataset's column names and the model's check).
pub const FEATURE_NAMES: [&str; FEATURE_COUNT] = [
    "side",
    "confidence",
    "agreeing_strategies",
    "expected_move_pct",
    "reward_to_risk",
    "minutes_since_open",
    "days_to_expiry",
    "atm_iv",
    "atm_iv_change",
    "spread_pct",
    "log_oi",
    "realised_vol_pct",
    "momentum_pct",
];

/// Candle returns kept per underlying for realised vol and momentum.
const RETURN_WINDOW: usize = 20;
/// How far back the ATM IV change looks, minutes.
const IV_LOOKBACK_MINUTES: i64 = 30;

/// The features of one signal, in [`FEATURE_NAMES`] order; `NaN` where unknown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureVector(pub [f64; FEATURE_COUNT]);

/// What one underlying's recent market looked like.
#[derive(Debug, Clone, PartialEq)]
struct Recent {
    /// The last `RETURN_WINDOW + 1` candle closes, rupees as f64, oldest first.
    closes: VecDeque<f64>,
    /// Realised vol and momentum of `closes`, percent (computed once per candle).
    realised: (f64, f64),
    /// ATM IV by chain time over the last `IV_LOOKBACK_MINUTES`, oldest first.
    ivs: VecDeque<(IstTime, f64)>,
    /// The ATM facts of the latest chain, with its time (so a signal on that chain does not
    /// search it again).
    atm: Option<(IstTime, AtmFacts)>,
}

impl Default for Recent {
    fn default() -> Self {
        Self {
            closes: VecDeque::new(),
            realised: (f64::NAN, f64::NAN),
            ivs: VecDeque::new(),
            atm: None,
        }
    }
}

/// What the features read from a chain's ATM strike; `NaN` where not quoted.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AtmFacts {
    /// Mean IV of the ATM CE and PE that carry one, fraction.
    iv: f64,
    /// (spread percent of mid, ln(1 + OI)) of the ATM CE.
    ce: (f64, f64),
    /// The same of the ATM PE.
    pe: (f64, f64),
}

impl AtmFacts {
    fn of(chain: &OptionChain) -> Self {
        let (ce, pe) = atm_quotes(chain);
        let facts = |q: Option<&OptionQuote>| {
            (
                q.and_then(|q| q.spread_pct())
                    .and_then(|s| s.to_f64())
                    .unwrap_or(f64::NAN),
                q.and_then(|q| q.oi)
                    .map_or(f64::NAN, |oi| (1.0 + oi as f64).ln()),
            )
        };
        AtmFacts {
            iv: atm_iv(&(ce, pe)).unwrap_or(f64::NAN),
            ce: facts(ce),
            pe: facts(pe),
        }
    }
}

/// The recent candles and chains of each underlying that the features need. Feed it every
/// completed candle and every chain, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarketMemory {
    by_symbol: BTreeMap<Symbol, Recent>,
}

impl MarketMemory {
    /// An empty memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers a completed candle's close.
    pub fn on_candle(&mut self, candle: &Candle) {
        let Some(close) = candle.close.to_f64().filter(|c| *c > 0.0) else {
            return;
        };
        let r = self.by_symbol.entry(candle.symbol.clone()).or_default();
        r.closes.push_back(close);
        while r.closes.len() > RETURN_WINDOW + 1 {
            r.closes.pop_front();
        }
        r.realised = realised(&r.closes);
    }

    /// Remembers a chain's ATM implied vol, spreads and open interest.
    pub fn on_chain(&mut self, chain: &OptionChain) {
        let facts = AtmFacts::of(chain);
        let r = self.by_symbol.entry(chain.underlying.clone()).or_default();
        r.atm = Some((chain.timestamp, facts));
        if !facts.iv.is_finite() {
            return;
        }
        r.ivs.push_back((chain.timestamp, facts.iv));
        let horizon = chain.timestamp - Duration::minutes(IV_LOOKBACK_MINUTES);
        while r.ivs.front().is_some_and(|(t, _)| *t < horizon) {
            r.ivs.pop_front();
        }
    }

    /// The features of `signal` decided at `now` on `chain` (the latest chain of its
    /// underlying, if any).
    pub fn features(
        &self,
        signal: &Signal,
        chain: Option<&OptionChain>,
        now: IstTime,
    ) -> FeatureVector {
        let nan = f64::NAN;
        let side = match signal.side {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        };
        let seconds = now.with_timezone(&IST).time().num_seconds_from_midnight();
        let minutes = (f64::from(seconds) - f64::from(9 * 3600 + 15 * 60)) / 60.0;
        let rr = signal
            .reward_to_risk()
            .and_then(|d| d.to_f64())
            .unwrap_or(nan);
        let recent = self.by_symbol.get(&signal.symbol);
        let (vol, momentum) = recent.map_or((nan, nan), |r| r.realised);
        let (days, iv, spread, oi) = match chain {
            Some(c) => {
                let atm = match recent.and_then(|r| r.atm) {
                    Some((t, facts)) if t == c.timestamp => facts,
                    _ => AtmFacts::of(c),
                };
                let (spread, oi) = if side > 0.0 { atm.ce } else { atm.pe };
                (days_to_expiry(now, c.expiry), atm.iv, spread, oi)
            }
            None => (nan, nan, nan, nan),
        };
        let iv_change = match recent.and_then(|r| r.ivs.front()) {
            Some((_, old)) if iv.is_finite() => iv - old,
            _ => nan,
        };
        FeatureVector([
            side,
            f64::from(signal.confidence),
            signal.strategy.matches('+').count() as f64,
            signal.expected_move_pct.abs(),
            rr,
            minutes,
            days,
            iv,
            iv_change,
            spread,
            oi,
            vol,
            momentum * side,
        ])
    }
}

/// The CE and PE at the strike nearest to spot (the lower strike on a tie), as quoted.
fn atm_quotes(chain: &OptionChain) -> (Option<&OptionQuote>, Option<&OptionQuote>) {
    let mut best: Option<(Decimal, Decimal)> = None;
    for q in &chain.quotes {
        let k = q.contract.strike;
        let d = (k - chain.spot).abs();
        if best.is_none_or(|(bd, bk)| d < bd || (d == bd && k < bk)) {
            best = Some((d, k));
        }
    }
    let Some((_, k)) = best else {
        return (None, None);
    };
    let (mut ce, mut pe) = (None, None);
    for q in chain.quotes.iter().filter(|q| q.contract.strike == k) {
        match q.contract.option_type {
            OptionType::CE => ce = ce.or(Some(q)),
            OptionType::PE => pe = pe.or(Some(q)),
        }
    }
    (ce, pe)
}

/// The mean IV (fraction) of the ATM CE and PE that carry a usable one.
fn atm_iv(atm: &(Option<&OptionQuote>, Option<&OptionQuote>)) -> Option<f64> {
    let (mut sum, mut n) = (0.0, 0.0);
    for iv in [atm.0, atm.1].into_iter().flatten().filter_map(|q| q.iv) {
        if iv.is_finite() && iv > 0.0 {
            sum += iv;
            n += 1.0;
        }
    }
    (n > 0.0).then(|| sum / n)
}

/// (standard deviation of the log returns, percent; total return, percent) of `closes`;
/// `NaN` with fewer than `RETURN_WINDOW + 1` closes.
fn realised(closes: &VecDeque<f64>) -> (f64, f64) {
    if closes.len() < RETURN_WINDOW + 1 {
        return (f64::NAN, f64::NAN);
    }
    let n = (closes.len() - 1) as f64;
    let rets = closes
        .iter()
        .zip(closes.iter().skip(1))
        .map(|(a, b)| (b / a).ln());
    let mean = rets.clone().sum::<f64>() / n;
    let var = rets.map(|r| (r - mean) * (r - mean)).sum::<f64>() / (n - 1.0);
    let (first, last) = (closes[0], closes[closes.len() - 1]);
    (var.sqrt() * 100.0, (last / first - 1.0) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::OptionContract;
    use chrono::{NaiveDate, TimeZone};
    use rust_decimal_macros::dec;

    fn at(h: u32, m: u32) -> IstTime {
        IST.with_ymd_and_hms(2024, 3, 5, h, m, 0).unwrap()
    }

    fn candle(i: u32, close: Decimal) -> Candle {
        Candle {
            symbol: Symbol::parse("NIFTY").unwrap(),
            timestamp: at(9, 15) + Duration::minutes(i64::from(i)),
            open: close,
            high: close,
            low: close,
            close,
            volume: 0,
        }
    }

    fn quote(strike: Decimal, t: OptionType, iv: f64, now: IstTime) -> OptionQuote {
        OptionQuote {
            contract: OptionContract {
                underlying: Symbol::parse("NIFTY").unwrap(),
                expiry: NaiveDate::from_ymd_opt(2024, 3, 7).unwrap(),
                strike,
                option_type: t,
                lot_size: 75,
                tick_size: dec!(0.05),
                trading_symbol: format!("NIFTY{strike}{t}"),
                exchange: crate::market::Exchange::Nfo,
            },
            premium: dec!(100),
            bid: Some(dec!(99)),
            ask: Some(dec!(101)),
            volume: Some(10),
            oi: Some(1000),
            iv: Some(iv),
            greeks: None,
            timestamp: now,
        }
    }

    fn chain(now: IstTime, iv: f64) -> OptionChain {
        OptionChain {
            underlying: Symbol::parse("NIFTY").unwrap(),
            spot: dec!(22030),
            expiry: NaiveDate::from_ymd_opt(2024, 3, 7).unwrap(),
            timestamp: now,
            quotes: vec![
                quote(dec!(22000), OptionType::CE, iv, now),
                quote(dec!(22000), OptionType::PE, iv + 0.02, now),
                quote(dec!(22100), OptionType::CE, 0.5, now),
            ],
        }
    }

    fn signal(side: Side, now: IstTime) -> Signal {
        Signal {
            symbol: Symbol::parse("NIFTY").unwrap(),
            strategy: "ema_crossover+rsi_divergence".into(),
            side,
            timestamp: now,
            price: dec!(22030),
            target: dec!(22090),
            stop: dec!(22000),
            confidence: 70,
            expected_move_pct: -0.27,
            reason: String::new(),
        }
    }

    #[test]
    fn features_are_hand_computed_values() {
        let mut m = MarketMemory::new();
        // 21 closes growing 1 % a candle: every log return ln(1.01), so the standard deviation
        // is 0 and the 20-candle return 1.01^20 − 1.
        let mut close = dec!(20000);
        for i in 0..21 {
            m.on_candle(&candle(i, close));
            close = (close * dec!(1.01)).round_dp(8);
        }
        m.on_chain(&chain(at(9, 40), 0.10));
        let now = at(10, 0);
        let c = chain(now, 0.12);
        m.on_chain(&c);
        let f = m.features(&signal(Side::Buy, now), Some(&c), now).0;
        assert_eq!(f[0], 1.0);
        assert_eq!(f[1], 70.0);
        assert_eq!(f[2], 1.0);
        assert!((f[3] - 0.27).abs() < 1e-12);
        assert!((f[4] - 2.0).abs() < 1e-12, "60 / 30 = {}", f[4]);
        assert_eq!(f[5], 45.0);
        // 2024-03-05 10:00 → 2024-03-07 15:30 = 2 days 5.5 hours.
        assert!((f[6] - (2.0 + 5.5 / 24.0)).abs() < 1e-9);
        // ATM 22000: (0.12 + 0.14) / 2; 30 minutes ago (0.10 + 0.12) / 2.
        assert!((f[7] - 0.13).abs() < 1e-12);
        assert!((f[8] - 0.02).abs() < 1e-12);
        // Spread 2 on a mid of 100: 2 %.
        assert!((f[9] - 2.0).abs() < 1e-12);
        assert!((f[10] - 1001f64.ln()).abs() < 1e-12);
        assert!(
            f[11].abs() < 1e-6,
            "constant returns have no spread: {}",
            f[11]
        );
        assert!((f[12] - (1.01f64.powi(20) - 1.0) * 100.0).abs() < 1e-6);
        // Bearish: the PE's side, momentum against the signal.
        let f = m.features(&signal(Side::Sell, now), Some(&c), now).0;
        assert_eq!(f[0], -1.0);
        assert!((f[12] + (1.01f64.powi(20) - 1.0) * 100.0).abs() < 1e-6);
    }

    #[test]
    fn unknowns_are_nan_not_zero() {
        let m = MarketMemory::new();
        let now = at(10, 0);
        let f = m.features(&signal(Side::Buy, now), None, now).0;
        for i in [6, 7, 8, 9, 10, 11, 12] {
            assert!(f[i].is_nan(), "{} should be unknown", FEATURE_NAMES[i]);
        }
    }

    #[test]
    fn old_ivs_leave_the_lookback() {
        let mut m = MarketMemory::new();
        m.on_chain(&chain(at(9, 20), 0.30));
        m.on_chain(&chain(at(9, 55), 0.10));
        let now = at(10, 0);
        let c = chain(now, 0.10);
        m.on_chain(&c);
        let f = m.features(&signal(Side::Buy, now), Some(&c), now).0;
        // The 09:20 chain (40 minutes back) is gone; 09:55 had the same ATM IV.
        assert!(f[8].abs() < 1e-12);
    }
}
