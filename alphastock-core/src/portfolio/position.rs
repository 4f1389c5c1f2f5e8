use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::{Exchange, IstTime, Symbol};
use crate::order::TransactionType;

/// What the portfolio needs to know about an instrument before its first fill: the engine
/// registers it when it places the entry ([`super::Portfolio::register`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PositionMeta {
    /// The broker's trading symbol (the position's key).
    pub trading_symbol: String,
    /// Segment (NFO, BFO, NSE).
    pub exchange: Exchange,
    /// The underlying, for per-underlying limits.
    pub underlying: Symbol,
    /// Units per lot (exit sizes are whole lots).
    pub lot_size: u32,
    /// Price step, rupees (0.05 for NSE options); stops are rounded to it.
    pub tick_size: Decimal,
    /// Expiry date of an option; `None` for an underlying.
    pub expiry: Option<NaiveDate>,
    /// Target premium (price) per unit, rupees, when there is one.
    pub target: Option<Decimal>,
    /// Initial stop premium (price) per unit, rupees, when there is one.
    pub stop: Option<Decimal>,
}

/// One instrument's position: quantity, average price, and P&L since it was last opened from
/// flat. Quantity is signed units: positive long, negative short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    meta: PositionMeta,
    quantity: i64,
    average_price: Decimal,
    realised_pnl: Decimal,
    charges: Decimal,
    last_price: Option<Decimal>,
    best_price: Option<Decimal>,
    peak_quantity: u64,
    opened_at: Option<IstTime>,
}

impl Position {
    /// A flat position for `meta`.
    pub fn new(meta: PositionMeta) -> Self {
        Self {
            meta,
            quantity: 0,
            average_price: Decimal::ZERO,
            realised_pnl: Decimal::ZERO,
            charges: Decimal::ZERO,
            last_price: None,
            best_price: None,
            peak_quantity: 0,
            opened_at: None,
        }
    }

    /// The instrument's facts, target and stop.
    pub fn meta(&self) -> &PositionMeta {
        &self.meta
    }

    /// The broker's trading symbol.
    pub fn trading_symbol(&self) -> &str {
        &self.meta.trading_symbol
    }

    /// The underlying.
    pub fn underlying(&self) -> &Symbol {
        &self.meta.underlying
    }

    /// Signed units held: positive long, negative short, 0 flat.
    pub fn quantity(&self) -> i64 {
        self.quantity
    }

    /// True when anything is held.
    pub fn is_open(&self) -> bool {
        self.quantity != 0
    }

    /// Average entry price of the units held, rupees per unit (0 when flat).
    pub fn average_price(&self) -> Decimal {
        self.average_price
    }

    /// Realised P&L before charges since the position was opened from flat, rupees.
    pub fn realised_pnl(&self) -> Decimal {
        self.realised_pnl
    }

    /// Charges paid since the position was opened from flat, rupees.
    pub fn charges(&self) -> Decimal {
        self.charges
    }

    /// Last mark (premium or price), rupees per unit, when one was seen.
    pub fn last_price(&self) -> Option<Decimal> {
        self.last_price
    }

    /// Most favourable price seen since opening (highest for a long, lowest for a short),
    /// rupees per unit; drives the trailing stop.
    pub fn best_price(&self) -> Option<Decimal> {
        self.best_price
    }

    /// Largest absolute quantity held since opening, units; less than `|quantity|` never, more
    /// once part of the position was exited.
    pub fn peak_quantity(&self) -> u64 {
        self.peak_quantity
    }

    /// When the position was opened from flat.
    pub fn opened_at(&self) -> Option<IstTime> {
        self.opened_at
    }

    /// Unrealised P&L at the last mark (or at `price` when given), before charges, rupees:
    /// (mark − average) × quantity. Zero when flat or never marked.
    pub fn unrealised_pnl_at(&self, price: Option<Decimal>) -> Decimal {
        match price.or(self.last_price) {
            Some(p) if self.quantity != 0 => {
                (p - self.average_price) * Decimal::from(self.quantity)
            }
            _ => Decimal::ZERO,
        }
    }

    /// Unrealised P&L at the last mark, before charges, rupees.
    pub fn unrealised_pnl(&self) -> Decimal {
        self.unrealised_pnl_at(None)
    }

    /// Realised + unrealised − charges, rupees.
    pub fn net_pnl(&self) -> Decimal {
        self.realised_pnl + self.unrealised_pnl() - self.charges
    }

    /// Premium outlay of what is held at the average price, rupees: |quantity| × average.
    pub fn exposure(&self) -> Decimal {
        Decimal::from(self.quantity.unsigned_abs()) * self.average_price
    }

    /// Records a mark: last price and, if better, the best price.
    pub(super) fn mark(&mut self, price: Decimal) {
        self.last_price = Some(price);
        if self.quantity == 0 {
            return;
        }
        let better = match self.best_price {
            None => true,
            Some(b) if self.quantity > 0 => price > b,
            Some(b) => price < b,
        };
        if better {
            self.best_price = Some(price);
        }
    }

    /// Applies one execution; returns the realised P&L (before charges) it produced, rupees.
    pub(super) fn apply(
        &mut self,
        side: TransactionType,
        quantity: u32,
        price: Decimal,
        charges: Decimal,
        at: IstTime,
    ) -> Decimal {
        if self.quantity == 0 {
            // A new round trip.
            self.realised_pnl = Decimal::ZERO;
            self.charges = Decimal::ZERO;
            self.best_price = None;
            self.peak_quantity = 0;
            self.opened_at = Some(at);
        }
        self.charges += charges;
        let signed = side.sign() * i64::from(quantity);
        let mut realised = Decimal::ZERO;
        if self.quantity == 0 || self.quantity.signum() == signed.signum() {
            let held = Decimal::from(self.quantity.abs());
            let add = Decimal::from(quantity);
            self.average_price = (self.average_price * held + price * add) / (held + add);
            self.quantity += signed;
        } else {
            let closing = self.quantity.abs().min(signed.abs());
            realised = (price - self.average_price)
                * Decimal::from(closing)
                * Decimal::from(self.quantity.signum());
            self.quantity += signed;
            if self.quantity == 0 {
                self.average_price = Decimal::ZERO;
            } else if self.quantity.signum() == signed.signum() {
                // Reversed through flat: the rest opens at this price.
                self.average_price = price;
                self.best_price = None;
                self.peak_quantity = 0;
            }
            self.realised_pnl += realised;
        }
        self.peak_quantity = self.peak_quantity.max(self.quantity.unsigned_abs());
        self.mark(price);
        realised
    }
}

impl Position {
    /// Replaces the target and stop (e.g. when the engine re-registers an open position).
    pub(super) fn set_levels(&mut self, target: Option<Decimal>, stop: Option<Decimal>) {
        self.meta.target = target;
        self.meta.stop = stop;
    }
}
