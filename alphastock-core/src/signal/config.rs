use serde::{Deserialize, Serialize};

use crate::order::Product;

/// `options_trading.entry`: the checks a signal must pass and how the entry order is priced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryConfig {
    /// `min_confidence`: signals below this confidence (0–100) are dropped, on top of each
    /// strategy's own `min_confidence` (default 0: leave it to the strategies).
    pub min_confidence: u8,
    /// `max_signal_age_seconds`: a signal whose data (the end of its candle) is older than this
    /// when processed is stale and dropped (default 120 s).
    pub max_signal_age_seconds: u64,
    /// `max_chain_age_seconds`: the option chain used to pick and price the option must be at
    /// most this old (default 30 s).
    pub max_chain_age_seconds: u64,
    /// `no_entries_minutes_before_close`: no new entries this many minutes before 15:30 IST
    /// (default 30).
    pub no_entries_minutes_before_close: u32,
    /// `allow_same_direction`: allow a second position in an underlying that already has one
    /// in the same direction (default false).
    pub allow_same_direction: bool,
    /// `limit_buffer_ticks`: entry and exit orders are marketable limits: an entry at the ask
    /// plus this many ticks, an exit at the bid minus this many (default 2).
    pub limit_buffer_ticks: u32,
    /// `entry_timeout_seconds`: an entry not filled within this time is cancelled (default 30).
    pub entry_timeout_seconds: u64,
    /// `product`: `MIS` (intraday, default) or `NRML`.
    pub product: Product,
    /// `expected_holding_minutes`: holding time assumed by the `delta_gamma` and `reprice`
    /// target methods (time decay over the trade), minutes (default 60).
    pub expected_holding_minutes: u32,
}

impl Default for EntryConfig {
    fn default() -> Self {
        Self {
            min_confidence: 0,
            max_signal_age_seconds: 120,
            max_chain_age_seconds: 30,
            no_entries_minutes_before_close: 30,
            allow_same_direction: false,
            limit_buffer_ticks: 2,
            entry_timeout_seconds: 30,
            product: Product::Mis,
            expected_holding_minutes: 60,
        }
    }
}

impl EntryConfig {
    /// Range checks; `(key relative to options_trading.entry, reason)` for each problem.
    pub fn validate(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.min_confidence > 100 {
            out.push((
                "min_confidence".to_string(),
                format!("must be 0 to 100, got {}", self.min_confidence),
            ));
        }
        if self.no_entries_minutes_before_close > 375 {
            out.push((
                "no_entries_minutes_before_close".to_string(),
                "must be at most 375 (one session)".to_string(),
            ));
        }
        if self.product == Product::Cnc {
            out.push((
                "product".to_string(),
                "must be MIS or NRML for options".to_string(),
            ));
        }
        if self.limit_buffer_ticks > 100 {
            out.push((
                "limit_buffer_ticks".to_string(),
                format!("must be at most 100, got {}", self.limit_buffer_ticks),
            ));
        }
        out
    }
}
