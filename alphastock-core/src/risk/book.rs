use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::Symbol;

/// Open positions and exposure in one underlying.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnderlyingExposure {
    /// Open positions on the underlying.
    pub positions: usize,
    /// Premium outlay of those positions at their average entry prices, rupees.
    pub exposure: Decimal,
    /// Lots held in those positions (and entries in flight), whole lots.
    #[serde(default)]
    pub lots: u64,
}

/// A snapshot of what the risk manager needs to know about open positions and the day's P&L.
/// The portfolio produces it (`Portfolio::risk_book`); tests build it by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskBook {
    /// Per underlying: open positions and exposure.
    pub by_underlying: BTreeMap<Symbol, UnderlyingExposure>,
    /// The day's realised P&L net of charges, rupees.
    pub day_realised_pnl: Decimal,
    /// Unrealised P&L of the open positions at their last marks, rupees.
    pub day_unrealised_pnl: Decimal,
}

impl RiskBook {
    /// An empty book: no positions, no P&L.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one open position on `underlying` with `exposure` rupees of premium outlay.
    pub fn add_position(&mut self, underlying: Symbol, exposure: Decimal) {
        let e = self.by_underlying.entry(underlying).or_default();
        e.positions += 1;
        e.exposure += exposure;
    }

    /// Adds `lots` whole lots to `underlying`'s count (of a position added with
    /// [`RiskBook::add_position`], or an entry in flight).
    pub fn add_lots(&mut self, underlying: &Symbol, lots: u64) {
        if let Some(e) = self.by_underlying.get_mut(underlying) {
            e.lots += lots;
        }
    }

    /// Lots held in `underlying`'s positions, whole lots.
    pub fn lots_in(&self, underlying: &Symbol) -> u64 {
        self.by_underlying.get(underlying).map_or(0, |e| e.lots)
    }

    /// Open positions over all underlyings.
    pub fn open_positions(&self) -> usize {
        self.by_underlying.values().map(|e| e.positions).sum()
    }

    /// Open positions on `underlying`.
    pub fn positions_in(&self, underlying: &Symbol) -> usize {
        self.by_underlying
            .get(underlying)
            .map_or(0, |e| e.positions)
    }

    /// Exposure in `underlying`, rupees.
    pub fn exposure_in(&self, underlying: &Symbol) -> Decimal {
        self.by_underlying
            .get(underlying)
            .map_or(Decimal::ZERO, |e| e.exposure)
    }

    /// Exposure over all underlyings, rupees.
    pub fn total_exposure(&self) -> Decimal {
        self.by_underlying.values().map(|e| e.exposure).sum()
    }

    /// The day's P&L, realised plus unrealised, rupees (negative is a loss).
    pub fn day_pnl(&self) -> Decimal {
        self.day_realised_pnl + self.day_unrealised_pnl
    }
}
