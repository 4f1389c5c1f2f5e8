//! The engine's own book of the orders it placed and has not seen finish: what each order is
//! for, its broker id once known, how much filled. It reserves risk for entries in flight (so two
//! quick signals cannot both pass a limit that only one fits), prevents a second exit order for a
//! position that already has one working, and ignores a fill reported twice.
//!
//! It also keeps, for every order placed or restored today, a [`FillLedger`]: the ordered
//! quantity, the quantity the broker reports filled and the quantity applied to the portfolio.
//! A fill is applied at most up to the order's quantity and the broker's reported filled
//! quantity ([`OrderTracker::admit_fill`]); a trade id never seen before beyond that is a broker
//! inconsistency, not a position change.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::market::{IstTime, Symbol};
use crate::order::{Fill, OrderRequest, OrderStatus, OrderUpdate};
use crate::strategy::Side;

/// What an order the engine placed is for.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderRole {
    /// Opens a position.
    Entry {
        /// The underlying the signal was on.
        underlying: Symbol,
        /// The signal's direction on the underlying.
        side: Side,
        /// Target premium (or price), rupees.
        target: Decimal,
        /// Stop premium (or price), rupees.
        stop: Decimal,
        /// The strategy instance that produced the signal.
        strategy: String,
    },
    /// Closes (part of) a position.
    Exit {
        /// Why, for the record.
        reason: String,
    },
}

/// An order the engine placed that has not reached a terminal state.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkingOrder {
    /// The order as sent.
    pub request: OrderRequest,
    /// What it is for.
    pub role: OrderRole,
    /// The broker's order id, once an update has reported it.
    pub order_id: Option<String>,
    /// Last known state.
    pub status: OrderStatus,
    /// Units filled so far (from fills; never decreases).
    pub filled_quantity: u32,
    /// When the engine decided to place it (IST).
    pub placed_at: IstTime,
    /// True once a cancel has been asked for (so it is asked only once).
    pub cancel_requested: bool,
}

impl WorkingOrder {
    /// Units still unfilled.
    pub fn open_quantity(&self) -> u32 {
        self.request.quantity.saturating_sub(self.filled_quantity)
    }

    /// Rupees the unfilled part of an entry may still spend at its limit price (zero for exits
    /// and market orders without a price).
    pub fn reserved_premium(&self) -> Decimal {
        match (&self.role, self.request.price) {
            (OrderRole::Entry { .. }, Some(price)) => price * Decimal::from(self.open_quantity()),
            _ => Decimal::ZERO,
        }
    }
}

/// What the engine knows of the fills of one of its orders (working or finished).
#[derive(Debug, Clone, PartialEq)]
pub struct FillLedger {
    /// Units ordered.
    pub ordered: u32,
    /// Units the broker reported filled once the order finished (complete, cancelled or
    /// rejected); `None` while it works.
    pub broker_filled: Option<u32>,
    /// Units applied to the portfolio from fills.
    pub applied: u32,
    /// What the order is for.
    pub role: OrderRole,
}

impl FillLedger {
    /// Units a new fill may still add: up to the ordered quantity and, once the order has
    /// finished, up to the quantity the broker reported filled.
    pub fn room(&self) -> u32 {
        let cap = match self.broker_filled {
            Some(f) => f.min(self.ordered),
            None => self.ordered,
        };
        cap.saturating_sub(self.applied)
    }
}

/// How much of a fill may be applied ([`OrderTracker::admit_fill`]).
#[derive(Debug, Clone, PartialEq)]
pub enum FillAdmission {
    /// The trade id was seen before: a repeated report, nothing to do.
    Duplicate,
    /// A fill of an order the engine has no record of: applied as reported.
    Unknown,
    /// A fill of a known order: `apply` units (≤ the fill's quantity) may be applied;
    /// `excess` units go beyond the order's quantity or the broker's reported filled quantity
    /// and must not be.
    Known {
        /// Units to apply.
        apply: u32,
        /// Units refused (a broker inconsistency when non-zero).
        excess: u32,
        /// The order's ledger before this fill.
        ledger: FillLedger,
    },
}

/// The orders in flight, by tag.
#[derive(Debug, Clone, Default)]
pub struct OrderTracker {
    working: BTreeMap<String, WorkingOrder>,
    /// Trade ids seen since the last day roll.
    seen_trades: BTreeSet<String>,
    /// Trade ids seen the day before (still refused as duplicates).
    seen_before: BTreeSet<String>,
    ledgers: BTreeMap<String, Kept>,
}

/// A fill ledger and whether its order had finished at the last day roll (then it is
/// forgotten at the next).
#[derive(Debug, Clone)]
struct Kept {
    ledger: FillLedger,
    stale: bool,
}

impl OrderTracker {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an order the engine is about to place.
    pub fn insert(&mut self, request: OrderRequest, role: OrderRole, placed_at: IstTime) {
        self.record(&request, role.clone());
        self.working.insert(
            request.tag.clone(),
            WorkingOrder {
                request,
                role,
                order_id: None,
                status: OrderStatus::Pending,
                filled_quantity: 0,
                placed_at,
                cancel_requested: false,
            },
        );
    }

    /// Records an order already at the broker as `order_id` (a resting order turned into
    /// this one in place), working from `placed_at`.
    pub fn insert_acknowledged(
        &mut self,
        request: OrderRequest,
        role: OrderRole,
        order_id: String,
        placed_at: IstTime,
    ) {
        let tag = request.tag.clone();
        self.insert(request, role, placed_at);
        if let Some(o) = self.working.get_mut(&tag) {
            o.order_id = Some(order_id);
            o.status = OrderStatus::Open;
        }
    }

    /// Remembers an order (placed now, or finished before a restart) for fill accounting,
    /// without making it working. Keeps what an earlier record of the same tag already knows.
    pub fn record(&mut self, request: &OrderRequest, role: OrderRole) {
        self.ledgers
            .entry(request.tag.clone())
            .or_insert_with(|| Kept {
                ledger: FillLedger {
                    ordered: request.quantity,
                    broker_filled: None,
                    applied: 0,
                    role,
                },
                stale: false,
            });
    }

    /// Sets the quantity the broker reported filled when the order finished (units).
    pub fn set_final_filled(&mut self, tag: &str, filled: u32) {
        if let Some(kept) = self.ledgers.get_mut(tag) {
            kept.ledger.broker_filled = Some(filled);
        }
    }

    /// Starts a new trading day: forgets the ledgers of orders that had already finished when
    /// the previous day started, and trade ids older than the previous day, so the book holds
    /// about two days of orders however long it runs. NSE day orders cannot fill after their
    /// session, and the broker's trade book lists only the current day's trades, so a report
    /// of a forgotten order or trade cannot arrive. Working orders keep their ledgers.
    pub fn roll_day(&mut self) {
        let working = &self.working;
        self.ledgers
            .retain(|tag, kept| !kept.stale || working.contains_key(tag));
        for (tag, kept) in &mut self.ledgers {
            kept.stale = !working.contains_key(tag);
        }
        self.seen_before = std::mem::take(&mut self.seen_trades);
    }

    /// Ledgers and trade ids held (for checking that the book stays bounded).
    pub fn retained(&self) -> usize {
        self.ledgers.len() + self.seen_trades.len() + self.seen_before.len()
    }

    /// The fill ledger of an order placed or restored today.
    pub fn ledger(&self, tag: &str) -> Option<&FillLedger> {
        self.ledgers.get(tag).map(|kept| &kept.ledger)
    }

    /// Decides how much of `fill` may be applied and records it as seen (and the applied part
    /// in the order's ledger). A fill seen before (same trade id) is a [`FillAdmission::Duplicate`].
    pub fn admit_fill(&mut self, fill: &Fill) -> FillAdmission {
        if self.seen_before.contains(&fill.trade_id)
            || !self.seen_trades.insert(fill.trade_id.clone())
        {
            return FillAdmission::Duplicate;
        }
        let Some(ledger) = self.ledgers.get_mut(&fill.tag).map(|kept| &mut kept.ledger) else {
            return FillAdmission::Unknown;
        };
        let before = ledger.clone();
        let apply = fill.quantity.min(ledger.room());
        ledger.applied = ledger.applied.saturating_add(apply);
        let applied = ledger.applied;
        if let Some(order) = self.working.get_mut(&fill.tag) {
            order.order_id.get_or_insert_with(|| fill.order_id.clone());
            order.filled_quantity = order.filled_quantity.max(applied);
            if order.filled_quantity >= order.request.quantity {
                order.status = OrderStatus::Complete;
                self.working.remove(&fill.tag);
            } else {
                order.status = OrderStatus::PartiallyFilled;
            }
        }
        FillAdmission::Known {
            apply,
            excess: fill.quantity - apply,
            ledger: before,
        }
    }

    /// The working order with this tag.
    pub fn get(&self, tag: &str) -> Option<&WorkingOrder> {
        self.working.get(tag)
    }

    /// Applies a broker update. Returns the order as it was before removal when the update made
    /// it terminal (so the caller can react to a rejection or cancellation), else `None`. Updates
    /// for tags the engine does not know are ignored (they are not its orders).
    pub fn on_update(&mut self, update: &OrderUpdate) -> Option<WorkingOrder> {
        if let Some(ledger) = self
            .ledgers
            .get_mut(&update.tag)
            .map(|kept| &mut kept.ledger)
        {
            // Only a finished order's filled quantity is final: a working order's count may lag
            // the trade book.
            if update.status.is_terminal() {
                ledger.broker_filled = Some(update.filled_quantity);
            }
        }
        let order = self.working.get_mut(&update.tag)?;
        order.order_id = Some(update.order_id.clone());
        order.status = update.status;
        order.filled_quantity = order.filled_quantity.max(update.filled_quantity);
        if update.status.is_terminal() {
            self.working.remove(&update.tag)
        } else {
            None
        }
    }

    /// Registers a fill; returns false when this trade id was already seen (a duplicate report
    /// that must not be applied twice). See [`OrderTracker::admit_fill`] for the quantity cap.
    pub fn on_fill(&mut self, fill: &Fill) -> bool {
        !matches!(self.admit_fill(fill), FillAdmission::Duplicate)
    }

    /// Removes an order whose placement failed outright (the broker refused it).
    pub fn remove(&mut self, tag: &str) -> Option<WorkingOrder> {
        self.working.remove(tag)
    }

    /// All working orders, in tag order.
    pub fn iter(&self) -> impl Iterator<Item = &WorkingOrder> {
        self.working.values()
    }

    /// Entries placed at or before `now - timeout_seconds` that are still not complete, have a
    /// broker id and have not been asked to cancel: the ones to cancel now. Marks them.
    pub fn take_timed_out_entries(
        &mut self,
        now: IstTime,
        timeout_seconds: i64,
    ) -> Vec<WorkingOrder> {
        let mut out = Vec::new();
        for order in self.working.values_mut() {
            let is_entry = matches!(order.role, OrderRole::Entry { .. });
            let age = (now - order.placed_at).num_seconds();
            if is_entry
                && !order.cancel_requested
                && order.order_id.is_some()
                && age >= timeout_seconds
            {
                order.cancel_requested = true;
                out.push(order.clone());
            }
        }
        out
    }

    /// Exits placed (or last re-priced) at or before `now - after_seconds` that are still working
    /// with a broker id: the ones to re-price now. Their clock restarts at `now`, so each is
    /// re-priced at most once per `after_seconds`.
    pub fn take_stale_exits(&mut self, now: IstTime, after_seconds: i64) -> Vec<WorkingOrder> {
        let mut out = Vec::new();
        for order in self.working.values_mut() {
            let is_exit = matches!(order.role, OrderRole::Exit { .. });
            let age = (now - order.placed_at).num_seconds();
            if is_exit
                && !order.cancel_requested
                && order.order_id.is_some()
                && age >= after_seconds
            {
                order.placed_at = now;
                out.push(order.clone());
            }
        }
        out
    }

    /// Records a new limit price (rupees) for a working order after a modify was sent.
    pub fn set_price(&mut self, tag: &str, price: Decimal) {
        if let Some(order) = self.working.get_mut(tag) {
            order.request.price = Some(price);
        }
    }

    /// True when an exit order for this trading symbol is still working.
    pub fn has_working_exit(&self, trading_symbol: &str) -> bool {
        self.working.values().any(|o| {
            matches!(o.role, OrderRole::Exit { .. }) && o.request.trading_symbol == trading_symbol
        })
    }

    /// Entries still working, as (underlying, side) pairs, for limits that count positions.
    pub fn working_entries(&self) -> impl Iterator<Item = (&Symbol, Side, &WorkingOrder)> {
        self.working.values().filter_map(|o| match &o.role {
            OrderRole::Entry {
                underlying, side, ..
            } => Some((underlying, *side, o)),
            OrderRole::Exit { .. } => None,
        })
    }

    /// Number of working orders.
    pub fn len(&self) -> usize {
        self.working.len()
    }

    /// True when nothing is working.
    pub fn is_empty(&self) -> bool {
        self.working.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Exchange;
    use crate::order::{OrderType, Product, TransactionType, Validity};
    use chrono::DateTime;
    use rust_decimal_macros::dec;

    fn at(s: &str) -> IstTime {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn entry(tag: &str, qty: u32) -> OrderRequest {
        OrderRequest {
            tag: tag.into(),
            exchange: Exchange::Nfo,
            trading_symbol: "BANKNIFTY26JAN51200CE".into(),
            transaction_type: TransactionType::Buy,
            order_type: OrderType::Limit,
            quantity: qty,
            price: Some(dec!(280.10)),
            trigger_price: None,
            product: Product::Mis,
            validity: Validity::Day,
        }
    }

    fn role() -> OrderRole {
        OrderRole::Entry {
            underlying: Symbol::parse("BANKNIFTY").unwrap(),
            side: Side::Buy,
            target: dec!(493.20),
            stop: dec!(250.00),
            strategy: "ema_crossover".into(),
        }
    }

    fn fill(tag: &str, trade: &str, qty: u32) -> Fill {
        Fill {
            order_id: "O1".into(),
            tag: tag.into(),
            trade_id: trade.into(),
            exchange: Exchange::Nfo,
            trading_symbol: "BANKNIFTY26JAN51200CE".into(),
            transaction_type: TransactionType::Buy,
            quantity: qty,
            price: dec!(280.10),
            timestamp: at("2026-01-05T10:15:05+05:30"),
        }
    }

    #[test]
    fn a_fill_seen_twice_is_applied_once_and_partial_fills_accumulate() {
        let mut book = OrderTracker::new();
        book.insert(entry("T1", 150), role(), at("2026-01-05T10:15:00+05:30"));
        assert_eq!(book.get("T1").unwrap().reserved_premium(), dec!(42015.00));
        assert!(book.on_fill(&fill("T1", "X1", 75)));
        assert!(!book.on_fill(&fill("T1", "X1", 75)));
        let o = book.get("T1").unwrap();
        assert_eq!(o.filled_quantity, 75);
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
        assert_eq!(o.reserved_premium(), dec!(21007.50));
        assert!(book.on_fill(&fill("T1", "X2", 75)));
        assert!(book.get("T1").is_none(), "complete orders leave the book");
    }

    #[test]
    fn unfilled_entries_time_out_once() {
        let mut book = OrderTracker::new();
        book.insert(entry("T1", 75), role(), at("2026-01-05T10:15:00+05:30"));
        let t = at("2026-01-05T10:15:40+05:30");
        assert!(
            book.take_timed_out_entries(t, 30).is_empty(),
            "no broker id yet: nothing to cancel"
        );
        book.on_update(&OrderUpdate {
            order_id: "O1".into(),
            tag: "T1".into(),
            status: OrderStatus::Open,
            filled_quantity: 0,
            average_price: None,
            message: None,
            timestamp: t,
        });
        assert!(book
            .take_timed_out_entries(at("2026-01-05T10:15:20+05:30"), 30)
            .is_empty());
        assert_eq!(book.take_timed_out_entries(t, 30).len(), 1);
        assert!(book.take_timed_out_entries(t, 30).is_empty());
    }

    #[test]
    fn terminal_updates_remove_the_order_and_unknown_tags_are_ignored() {
        let mut book = OrderTracker::new();
        book.insert(entry("T1", 75), role(), at("2026-01-05T10:15:00+05:30"));
        let mut u = OrderUpdate {
            order_id: "O9".into(),
            tag: "OTHER".into(),
            status: OrderStatus::Rejected,
            filled_quantity: 0,
            average_price: None,
            message: Some("RMS".into()),
            timestamp: at("2026-01-05T10:15:01+05:30"),
        };
        assert!(book.on_update(&u).is_none());
        assert_eq!(book.len(), 1);
        u.tag = "T1".into();
        let gone = book.on_update(&u).unwrap();
        assert_eq!(gone.order_id.as_deref(), Some("O9"));
        assert!(book.is_empty());
    }

    /// Day after day of orders, the book holds about two days of them, and a trade reported
    /// again the day after is still refused as a duplicate.
    #[test]
    fn the_book_holds_two_days_of_orders_however_long_it_runs() {
        let mut book = OrderTracker::new();
        let t = at("2026-01-05T10:00:00+05:30");
        let mut held = Vec::new();
        for day in 0..30 {
            if day > 0 {
                book.roll_day();
            }
            for n in 0..10 {
                let tag = format!("D{day}-{n}");
                book.insert(entry(&tag, 75), role(), t);
                let f = fill(&tag, &format!("T{day}-{n}"), 75);
                assert!(matches!(
                    book.admit_fill(&f),
                    FillAdmission::Known { apply: 75, .. }
                ));
            }
            held.push(book.retained());
        }
        // Ten orders a day: at most three days' ledgers and two days' trade ids.
        assert!(held.iter().all(|n| *n <= 50), "{held:?}");
        assert_eq!(held[29], held[10]);
        // Yesterday's trade reported again today: a duplicate, not a second fill.
        assert!(matches!(
            book.admit_fill(&fill("D28-3", "T28-3", 75)),
            FillAdmission::Duplicate
        ));
        assert!(book.ledger("D29-0").is_some());
        assert!(book.ledger("D0-0").is_none());
    }
}
