use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::Symbol;

/// `options_trading.risk_management`: position sizing and the limits every new entry must pass.
///
/// All money amounts are rupees; `*_pct` keys are percents (5 = 5 %).
///
/// Sizing takes the smallest of three lot counts: what `max_premium_per_trade` buys, what the
/// risk budget (`capital` × `risk_per_trade_pct` / 100) allows for the loss to the stop, and what
/// the available funds buy. Note that the default `max_premium_per_trade` of 10,000 is less
/// than one lot of many index options (a 280 premium × 75 units is 21,000): such a trade is
/// refused for its premium unless the limit is raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskConfig {
    /// `max_premium_per_trade`: premium paid for one entry, rupees (default 10,000).
    pub max_premium_per_trade: Decimal,
    /// `max_positions`: open positions at once (default 5; 0 blocks every entry).
    pub max_positions: i64,
    /// `profit_target_pct`: fallback target, percent of the entry premium (default 30).
    pub profit_target_pct: Decimal,
    /// `stop_loss_pct`: fallback stop, percent of the entry premium (default 20).
    pub stop_loss_pct: Decimal,
    /// `capital`: trading capital the risk budget is a percent of, rupees (default 50,000).
    pub capital: Decimal,
    /// `risk_per_trade_pct`: most a trade may lose at its stop, percent of `capital` (default 5).
    pub risk_per_trade_pct: Decimal,
    /// `max_exposure_per_underlying`: premium outlay (at entry prices) held in one underlying's
    /// positions, rupees (default 25,000).
    pub max_exposure_per_underlying: Decimal,
    /// `max_total_exposure`: premium outlay (at entry prices) held over all positions, rupees
    /// (default 50,000).
    pub max_total_exposure: Decimal,
    /// `daily_loss_limit`: the day's realised plus unrealised loss, rupees, at which the kill
    /// switch trips and no new entries are allowed until the next trading day (default 5,000).
    pub daily_loss_limit: Decimal,
    /// `flatten_on_kill_switch`: also exit every open position when the kill switch trips
    /// (default false).
    pub flatten_on_kill_switch: bool,
    /// `max_orders_per_second`: orders sent in any one-second window (default 5; must be below
    /// 10, the exchange's limit for retail algorithmic orders).
    pub max_orders_per_second: u32,
    /// `max_orders_per_minute`: orders sent in any sixty-second window (default 60).
    pub max_orders_per_minute: u32,
    /// `max_correlated_positions`: open positions allowed at once across the underlyings of one
    /// correlated group, counting positions in the same underlying (default 1).
    pub max_correlated_positions: u32,
    /// `correlated_groups`: groups of underlyings that move together (default
    /// `[[BANKNIFTY, NIFTY, FINNIFTY]]`). An underlying in no group has no concentration limit.
    pub correlated_groups: Vec<Vec<Symbol>>,
    /// `max_lots_per_order`: most lots one entry order may carry (default none: the other
    /// limits alone size it). A larger size is cut down to this many lots, not refused.
    pub max_lots_per_order: Option<u32>,
    /// `max_lots_per_underlying`: most lots held (open and entries in flight) in one
    /// underlying's positions (default none). An entry is cut down to the lots left, and
    /// refused when none are left.
    pub max_lots_per_underlying: Option<u32>,
}

impl Default for RiskConfig {
    fn default() -> Self {
        let group = ["BANKNIFTY", "NIFTY", "FINNIFTY"]
            .iter()
            .filter_map(|s| Symbol::parse(s).ok())
            .collect();
        Self {
            max_premium_per_trade: Decimal::from(10_000),
            max_positions: 5,
            profit_target_pct: Decimal::from(30),
            stop_loss_pct: Decimal::from(20),
            capital: Decimal::from(50_000),
            risk_per_trade_pct: Decimal::from(5),
            max_exposure_per_underlying: Decimal::from(25_000),
            max_total_exposure: Decimal::from(50_000),
            daily_loss_limit: Decimal::from(5_000),
            flatten_on_kill_switch: false,
            max_orders_per_second: 5,
            max_orders_per_minute: 60,
            max_correlated_positions: 1,
            correlated_groups: vec![group],
            max_lots_per_order: None,
            max_lots_per_underlying: None,
        }
    }
}

impl RiskConfig {
    /// The most one trade may lose at its stop: `capital` × `risk_per_trade_pct` / 100, rupees.
    pub fn risk_budget(&self) -> Decimal {
        self.capital * self.risk_per_trade_pct / Decimal::ONE_HUNDRED
    }

    /// The correlated groups that contain `underlying`.
    pub fn groups_of<'a>(&'a self, underlying: &'a Symbol) -> impl Iterator<Item = &'a [Symbol]> {
        self.correlated_groups
            .iter()
            .filter(move |g| g.contains(underlying))
            .map(Vec::as_slice)
    }

    /// Range checks; `(key relative to options_trading.risk_management, reason)` per problem.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut push = |key: &str, reason: String| out.push((key.to_string(), reason));
        let positive = [
            ("max_premium_per_trade", self.max_premium_per_trade),
            ("capital", self.capital),
            (
                "max_exposure_per_underlying",
                self.max_exposure_per_underlying,
            ),
            ("max_total_exposure", self.max_total_exposure),
            ("daily_loss_limit", self.daily_loss_limit),
            ("profit_target_pct", self.profit_target_pct),
        ];
        for (key, v) in positive {
            if v <= Decimal::ZERO {
                push(key, format!("must be a positive number of rupees, got {v}"));
            }
        }
        if self.max_positions < 0 {
            push(
                "max_positions",
                format!("must not be negative, got {}", self.max_positions),
            );
        }
        for (key, v) in [
            ("risk_per_trade_pct", self.risk_per_trade_pct),
            ("stop_loss_pct", self.stop_loss_pct),
        ] {
            if v <= Decimal::ZERO || v > Decimal::ONE_HUNDRED {
                push(
                    key,
                    format!("must be above 0 and at most 100 (percent), got {v}"),
                );
            }
        }
        if self.max_orders_per_second == 0 || self.max_orders_per_second >= 10 {
            push(
                "max_orders_per_second",
                format!(
                    "must be 1 to 9 (below the exchange's 10 orders a second), got {}",
                    self.max_orders_per_second
                ),
            );
        }
        if self.max_orders_per_minute < self.max_orders_per_second {
            push(
                "max_orders_per_minute",
                format!(
                    "must be at least max_orders_per_second ({}), got {}",
                    self.max_orders_per_second, self.max_orders_per_minute
                ),
            );
        }
        for (key, v) in [
            ("max_lots_per_order", self.max_lots_per_order),
            ("max_lots_per_underlying", self.max_lots_per_underlying),
        ] {
            if v == Some(0) {
                push(
                    key,
                    "must be at least 1 lot (leave it out for no limit)".to_string(),
                );
            }
        }
        if self.max_correlated_positions == 0 {
            push("max_correlated_positions", "must be at least 1".to_string());
        }
        for (i, g) in self.correlated_groups.iter().enumerate() {
            if g.len() < 2 {
                push(
                    &format!("correlated_groups.{i}"),
                    format!("must name at least two underlyings, got {}", g.len()),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let c = RiskConfig::default();
        assert!(c.validate().is_empty(), "{:?}", c.validate());
        assert_eq!(c.risk_budget(), Decimal::from(2_500));
        assert_eq!(c.correlated_groups[0].len(), 3);
    }

    #[test]
    fn validate_names_each_bad_key() {
        let c = RiskConfig {
            max_positions: -1,
            max_orders_per_second: 10,
            max_orders_per_minute: 3,
            risk_per_trade_pct: Decimal::from(150),
            capital: Decimal::ZERO,
            correlated_groups: vec![vec![]],
            ..RiskConfig::default()
        };
        let keys: Vec<(String, String)> = c.validate();
        let has = |k: &str| keys.iter().any(|(key, _)| key == k);
        assert!(keys.contains(&(
            "max_positions".to_string(),
            "must not be negative, got -1".to_string()
        )));
        for k in [
            "max_orders_per_second",
            "max_orders_per_minute",
            "risk_per_trade_pct",
            "capital",
            "correlated_groups.0",
        ] {
            assert!(has(k), "{k} missing from {keys:?}");
        }
    }
}
