//! The `simulation` config section: seed, underlyings, tick length, rate, volatility surface and
//! spreads of the simulated market.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::Symbol;

/// `simulation` section: the seeded simulated market used for paper runs without a broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimConfig {
    /// `seed`: fixes every random draw; the same seed gives the same market (default 42).
    pub seed: u64,
    /// `tick_seconds`: seconds between simulated quotes and chains (default 5, 1 to 3600).
    pub tick_seconds: u32,
    /// `risk_free_rate`: continuously compounded annual rate as a fraction (default 0.065).
    pub risk_free_rate: f64,
    /// `spread_pct`: option bid/ask spread as a percent of the premium (default 1.0 = 1 %); never
    /// narrower than one tick.
    pub spread_pct: f64,
    /// `strikes_per_side`: strikes above and below the ATM strike in each chain (default 10).
    pub strikes_per_side: u32,
    /// `underlyings`: simulated underlyings keyed by symbol (defaults: BANKNIFTY 51,245 at 14 %,
    /// NIFTY 24,300 at 12 %, FINNIFTY 23,500 at 13 %).
    pub underlyings: BTreeMap<Symbol, SimUnderlyingConfig>,
    /// `vol_surface`: the implied-volatility surface options are priced from.
    pub vol_surface: VolSurfaceConfig,
}

/// `simulation.underlyings.<SYMBOL>`: one simulated underlying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimUnderlyingConfig {
    /// `start_price`: previous close before the first simulated day, rupees (default 1,000).
    pub start_price: Decimal,
    /// `annual_vol`: annualised volatility of the price path as a fraction (default 0.15 = 15 %).
    pub annual_vol: f64,
}

impl Default for SimUnderlyingConfig {
    fn default() -> Self {
        Self {
            start_price: Decimal::from(1000),
            annual_vol: 0.15,
        }
    }
}

/// `simulation.vol_surface`: implied volatility as a function of strike and expiry.
///
/// With forward `F`, strike `K`, years to expiry `T`:
/// `atm(T) = atm_vol + term_slope × (T − 30/365)` and, with standardised moneyness
/// `x = ln(K/F) / (atm(T) √T)` clamped to ±4, `iv = atm(T) × (1 + skew·x + smile_curvature·x²)`,
/// clamped to 2 %..300 %.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VolSurfaceConfig {
    /// `atm_vol`: 30-day at-the-money implied vol as a fraction; when absent, each underlying's
    /// `annual_vol` is used (default absent).
    pub atm_vol: Option<f64>,
    /// `smile_curvature`: relative vol added per squared unit of standardised moneyness
    /// (default 0.04; 0 = no smile).
    pub smile_curvature: f64,
    /// `skew`: relative vol change per unit of standardised moneyness (default −0.08: puts and
    /// low strikes are dearer, as on Indian indices).
    pub skew: f64,
    /// `term_slope`: change of ATM vol per year of expiry, as a fraction (default 0.05).
    pub term_slope: f64,
}

impl Default for VolSurfaceConfig {
    fn default() -> Self {
        Self {
            atm_vol: None,
            smile_curvature: 0.04,
            skew: -0.08,
            term_slope: 0.05,
        }
    }
}

fn underlying(price: i64, vol: f64) -> SimUnderlyingConfig {
    SimUnderlyingConfig {
        start_price: Decimal::from(price),
        annual_vol: vol,
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        let mut underlyings = BTreeMap::new();
        for (name, price, vol) in [
            ("BANKNIFTY", 51_245, 0.14),
            ("NIFTY", 24_300, 0.12),
            ("FINNIFTY", 23_500, 0.13),
        ] {
            if let Ok(sym) = Symbol::parse(name) {
                underlyings.insert(sym, underlying(price, vol));
            }
        }
        Self {
            seed: 42,
            tick_seconds: 5,
            risk_free_rate: 0.065,
            spread_pct: 1.0,
            strikes_per_side: 10,
            underlyings,
            vol_surface: VolSurfaceConfig::default(),
        }
    }
}

impl SimConfig {
    /// Checks ranges; returns (key path relative to `simulation`, reason) pairs, empty when valid.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut bad = |k: String, r: String| out.push((k, r));
        if !(1..=3600).contains(&self.tick_seconds) {
            bad(
                "tick_seconds".into(),
                format!(
                    "must be between 1 and 3600 seconds, got {}",
                    self.tick_seconds
                ),
            );
        }
        if !(0.0..=0.5).contains(&self.risk_free_rate) {
            bad(
                "risk_free_rate".into(),
                format!(
                    "must be a fraction between 0 and 0.5 (0.065 = 6.5 %), got {}",
                    self.risk_free_rate
                ),
            );
        }
        if !(self.spread_pct >= 0.0 && self.spread_pct <= 50.0) {
            bad(
                "spread_pct".into(),
                format!(
                    "must be a percent between 0 and 50, got {}",
                    self.spread_pct
                ),
            );
        }
        if !(1..=100).contains(&self.strikes_per_side) {
            bad(
                "strikes_per_side".into(),
                format!("must be between 1 and 100, got {}", self.strikes_per_side),
            );
        }
        if self.underlyings.is_empty() {
            bad(
                "underlyings".into(),
                "must list at least one underlying".into(),
            );
        }
        for (sym, u) in &self.underlyings {
            if u.start_price <= Decimal::ZERO {
                bad(
                    format!("underlyings.{sym}.start_price"),
                    format!("must be a positive number of rupees, got {}", u.start_price),
                );
            }
            if !(u.annual_vol > 0.0 && u.annual_vol <= 2.0) {
                bad(
                    format!("underlyings.{sym}.annual_vol"),
                    format!(
                        "must be a fraction above 0 and at most 2 (0.14 = 14 %), got {}",
                        u.annual_vol
                    ),
                );
            }
        }
        let vs = &self.vol_surface;
        if let Some(v) = vs.atm_vol {
            if !(v > 0.0 && v <= 3.0) {
                bad(
                    "vol_surface.atm_vol".into(),
                    format!("must be a fraction above 0 and at most 3, got {v}"),
                );
            }
        }
        if !(0.0..=5.0).contains(&vs.smile_curvature) {
            bad(
                "vol_surface.smile_curvature".into(),
                format!("must be between 0 and 5, got {}", vs.smile_curvature),
            );
        }
        if !(-2.0..=2.0).contains(&vs.skew) {
            bad(
                "vol_surface.skew".into(),
                format!("must be between -2 and 2, got {}", vs.skew),
            );
        }
        if !(-1.0..=1.0).contains(&vs.term_slope) {
            bad(
                "vol_surface.term_slope".into(),
                format!("must be between -1 and 1, got {}", vs.term_slope),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_key() {
        assert!(SimConfig::default().validate().is_empty());
        let mut c = SimConfig {
            tick_seconds: 0,
            ..SimConfig::default()
        };
        c.vol_surface.skew = 3.0;
        if let Some(u) = c.underlyings.values_mut().next() {
            u.annual_vol = 14.0;
        }
        let keys: Vec<String> = c.validate().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec![
                "tick_seconds".to_string(),
                "underlyings.BANKNIFTY.annual_vol".to_string(),
                "vol_surface.skew".to_string()
            ]
        );
    }
}
