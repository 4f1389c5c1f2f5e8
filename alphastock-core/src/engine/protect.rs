//! Protective stop orders resting at the broker (`options_trading.protective_stop: broker`).
//!
//! Every open position gets one stop-loss **limit** order (`SL`) at the broker, so a crash, a
//! power cut or a lost network leaves it protected: a SELL for a long position (trigger at the
//! stop, limit [`STOP_LIMIT_GAP_PCT`] % below it), a BUY for a short stock position (limit that
//! much above). `SL-M` is not used: NSE withdrew stop-loss market orders for index options on
//! 27 September 2021 and does not accept them for index or stock options.
//!
//! The rules, applied by the engine on every timer tick (so a position is without its broker
//! stop for at most one tick after a fill) and on every exit decision:
//! - **place** one when an open position has none (and no exit of its own is working);
//! - **modify** it in place (same order id: new trigger, limit and quantity) when the trailing
//!   stop has moved by [`STOP_REPLACE_MIN_MOVE_PCT`] % of the trigger (at least a tick), or the
//!   position's quantity changed; until then the engine's own stop still watches every quote.
//!   The broker allows it: the official mStock Type A SDK (`MiraeAsset-mStock/pytradingapi-typeA`,
//!   `tradingapi_a/mconnect.py`, `modify_order`, as of April 2025) sends `order_type, quantity,
//!   price, validity, trigger_price, disclosed_quantity` with `PUT
//!   openapi/typea/orders/regular/{order_id}`. A modify never leaves the position with no stop
//!   or two, as a cancel and a new placement would; a modify the broker refuses leaves the
//!   previous trigger resting (still one stop) and is tried again at the next move. Only a
//!   stop on the wrong side (the position reversed) is cancelled and placed anew;
//! - **convert** it in place into the exit when any other exit of the whole position is due
//!   (target, time exit, kill switch, flatten at shutdown, or the price through the trigger
//!   and the broker's order not filled within `entry_timeout_seconds`): the same order id and
//!   tag are modified to `order_type: LIMIT` with no trigger
//!   ([`crate::engine::Action::ConvertStopToExit`]), so at every instant the position has
//!   exactly one order closing it at the broker, never none (a crash, a kill or a lost network
//!   after the exit decision still leaves it protected) and never two (no short option can
//!   result). The brokers allow it: mStock's `modify_order` (above) sends `order_type` with
//!   every modify, and so does Kite's (`zerodha/pykiteconnect`, `kiteconnect/connect.py`,
//!   `modify_order`, as of April 2026: `quantity, price, order_type, trigger_price, validity,
//!   disclosed_quantity` with `PUT orders/{variety}/{order_id}`).
//!
//!   **Price: the protective floor.** The converted order's limit is, for a sell, the lower of
//!   the marketable exit price (bid less `limit_buffer_ticks`) and the stop's own limit; for a
//!   buy closing a short stock position, the higher. While the market is above the stop that
//!   is the stop's limit: a limit sell there is marketable, so it executes at once against
//!   the best bids at their prices (exchange price-time priority gives the resting bid's
//!   price, as the paper broker's fill model does: `max(bid - slippage, limit)`), and if the
//!   market collapses while the program is down it still sells down to the same floor the
//!   stop would have. The order exits now and protects. The trade-off: in a thin book a large
//!   exit can sweep the bids down to the floor, never below the stop the trader configured.
//!   When the market is already below the floor (stop hit, the broker's order not filled in
//!   time), the marketable price is used. The converted order is then the position's working
//!   exit, re-priced after `entry_timeout_seconds` as any exit, except that it is never moved
//!   above its floor while the market is above it;
//! - **cancel** it first, and send the exit once the cancel is confirmed, when the exit is for
//!   part of the position (partial targets) or would need freeze-limit slices, when the stop
//!   does not cover exactly the position (part of it filled) or its id is not known yet, and
//!   when the broker refused (or never answered) the conversion: the broker's message is
//!   alerted as a warning, the stop rests as it was meanwhile, and that position's exits
//!   cancel it first from then on. Modifying the stop's quantity down before a partial exit
//!   would need two modifies to stay consistent; the cancel keeps "working sells never exceed
//!   the held quantity" simply, at the cost of the gap between the confirmed cancel and the
//!   exit's fill for those exits only. A stop that fills meanwhile closes the position and no
//!   exit is needed;
//! - **cancel** it when the position is closed another way;
//! - after a restart, a stop order found at the broker by its tag is **adopted**, not placed
//!   again; one the broker's book shows converted (a `LIMIT` order under the stop's tag) is
//!   adopted as the position's working exit, its limit as its floor, so neither a second stop
//!   nor a second exit is placed;
//! - a stop the broker **rejects** is alerted and not retried for that position: the engine's
//!   own stop stays in force (as with `protective_stop: local`).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::market::IstTime;
use crate::options::{round_down_to_tick, round_up_to_tick};
use crate::order::{OrderRequest, OrderStatus, OrderType, TransactionType};

/// Distance of an SL order's limit price beyond its trigger, percent of the trigger (the limit
/// is also at least one tick beyond it): room for the order to fill in a fast market.
pub const STOP_LIMIT_GAP_PCT: u32 = 3;

/// Smallest move of the trailing stop, percent of the resting trigger (and at least a tick),
/// that moves the stop order at the broker: fewer modify calls against the broker's order rate
/// limits; the engine's own stop follows every tick meanwhile.
pub const STOP_REPLACE_MIN_MOVE_PCT: u32 = 2;

/// Prefix of the reason of every protective stop order (`OrderPurpose::Exit`).
pub const PROTECTIVE_STOP_REASON: &str = "protective stop";

/// Where a position's stop is enforced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProtectiveStopMode {
    /// A stop-loss order rests at the broker for every open position (the live default).
    Broker,
    /// The engine alone watches the stop on every quote and sends the exit (the default of
    /// paper runs and backtests).
    #[default]
    Local,
}

/// The limit price of an SL order with `trigger` (rupees): for a sell, [`STOP_LIMIT_GAP_PCT`] %
/// below the trigger rounded down to `tick`, at least one tick below it and never below one
/// tick; for a buy, that much above, rounded up.
pub fn stop_limit_price(trigger: Decimal, tick: Decimal, selling: bool) -> Decimal {
    let gap = trigger * Decimal::from(STOP_LIMIT_GAP_PCT) / Decimal::ONE_HUNDRED;
    if selling {
        round_down_to_tick(trigger - gap, tick)
            .unwrap_or(tick)
            .min(trigger - tick)
            .max(tick)
    } else {
        round_up_to_tick(trigger + gap, tick)
            .unwrap_or(trigger + tick)
            .max(trigger + tick)
    }
}

/// One protective stop order.
#[derive(Debug, Clone, PartialEq)]
pub struct StopOrder {
    /// The order as sent (type `SL`, trigger and limit on the tick grid).
    pub request: OrderRequest,
    /// The broker's order id, once known.
    pub order_id: Option<String>,
    /// When it was placed (or adopted).
    pub placed_at: IstTime,
    /// True once a cancel has been asked for.
    pub cancel_requested: bool,
    /// When the price was first seen at or through the trigger (the order should be working
    /// at the exchange as a limit order).
    pub hit_since: Option<IstTime>,
}

impl StopOrder {
    /// Trigger price, rupees.
    pub fn trigger(&self) -> Decimal {
        self.request.trigger_price.unwrap_or_default()
    }

    /// True for the SELL stop of a long position.
    pub fn selling(&self) -> bool {
        self.request.transaction_type == TransactionType::Sell
    }

    /// True when the trailing stop at `stop` (rupees) has moved far enough in the position's
    /// favour to replace this order: [`STOP_REPLACE_MIN_MOVE_PCT`] % of the trigger, at least
    /// `tick`.
    pub fn outdated_by(&self, stop: Decimal, tick: Decimal) -> bool {
        let trigger = self.trigger();
        let step =
            (trigger * Decimal::from(STOP_REPLACE_MIN_MOVE_PCT) / Decimal::ONE_HUNDRED).max(tick);
        if self.selling() {
            stop >= trigger + step
        } else {
            stop + step <= trigger
        }
    }

    /// True when `premium` (rupees) is at or through the trigger.
    pub fn triggered_at(&self, premium: Decimal) -> bool {
        if self.selling() {
            premium <= self.trigger()
        } else {
            premium >= self.trigger()
        }
    }
}

/// The protective stop orders, one per trading symbol at most.
#[derive(Debug, Clone, Default)]
pub struct ProtectiveStops {
    mode: ProtectiveStopMode,
    by_symbol: BTreeMap<String, StopOrder>,
    refused: BTreeSet<String>,
    /// Stop orders adopted after a restart beside another of the same position (a cancel
    /// that did not reach the journal before a crash): cancelled, never relied on.
    orphans: Vec<StopOrder>,
    /// Stop orders converted in place into their position's exit, by tag, until the exit
    /// ends: put back if the broker refuses the conversion.
    converted: BTreeMap<String, StopOrder>,
    /// Trading symbols whose stop the broker refused to convert: their exits cancel the stop
    /// first, as before.
    no_convert: BTreeSet<String>,
}

impl ProtectiveStops {
    /// Stops enforced as `mode` says.
    pub fn new(mode: ProtectiveStopMode) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// The mode in force.
    pub fn mode(&self) -> ProtectiveStopMode {
        self.mode
    }

    /// True when stops rest at the broker.
    pub fn at_broker(&self) -> bool {
        self.mode == ProtectiveStopMode::Broker
    }

    /// The stop order of `trading_symbol`, if one is placed or adopted.
    pub fn get(&self, trading_symbol: &str) -> Option<&StopOrder> {
        self.by_symbol.get(trading_symbol)
    }

    /// Every stop order, by trading symbol.
    pub fn iter(&self) -> impl Iterator<Item = &StopOrder> {
        self.by_symbol.values()
    }

    /// The stop order with this tag (orphans included).
    pub fn by_tag(&self, tag: &str) -> Option<&StopOrder> {
        self.by_symbol
            .values()
            .chain(self.orphans.iter())
            .find(|s| s.request.tag == tag)
    }

    /// True when `request` is a protective stop order (a stop-loss order placed to exit).
    pub fn is_stop_request(request: &OrderRequest) -> bool {
        matches!(
            request.order_type,
            OrderType::StopLoss | OrderType::StopLossMarket
        )
    }

    /// Adopts a stop order found working after a restart. A second one for the same position
    /// keeps the later tag (tags grow) and the other becomes an orphan to cancel.
    pub(super) fn adopt(&mut self, request: OrderRequest, placed_at: IstTime) {
        let symbol = request.trading_symbol.clone();
        let adopted = StopOrder {
            request,
            order_id: None,
            placed_at,
            cancel_requested: false,
            hit_since: None,
        };
        match self.by_symbol.remove(&symbol) {
            Some(old) if old.request.tag > adopted.request.tag => {
                self.orphans.push(adopted);
                self.by_symbol.insert(symbol, old);
            }
            Some(old) => {
                self.orphans.push(old);
                self.by_symbol.insert(symbol, adopted);
            }
            None => {
                self.by_symbol.insert(symbol, adopted);
            }
        }
    }

    /// Orphaned stop orders whose cancel can be asked now (order id known, not asked yet):
    /// (order id, tag), each returned once.
    pub(super) fn orphans_to_cancel(&mut self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for o in &mut self.orphans {
            if let (false, Some(id)) = (o.cancel_requested, o.order_id.clone()) {
                o.cancel_requested = true;
                out.push((id, o.request.tag.clone()));
            }
        }
        out
    }

    /// Orphaned stop orders still at the broker.
    pub fn orphans(&self) -> &[StopOrder] {
        &self.orphans
    }

    pub(super) fn is_refused(&self, trading_symbol: &str) -> bool {
        self.refused.contains(trading_symbol)
    }

    pub(super) fn insert(&mut self, request: OrderRequest, placed_at: IstTime) {
        self.refused.remove(&request.trading_symbol);
        self.no_convert.remove(&request.trading_symbol);
        self.by_symbol.insert(
            request.trading_symbol.clone(),
            StopOrder {
                request,
                order_id: None,
                placed_at,
                cancel_requested: false,
                hit_since: None,
            },
        );
    }

    /// Moves `trading_symbol`'s stop order to `trigger` with limit `limit` (rupees) for
    /// `quantity` units; returns the order id and tag to modify, or `None` (nothing changed)
    /// while its id is not known yet or a cancel is under way.
    pub(super) fn modify(
        &mut self,
        trading_symbol: &str,
        trigger: Decimal,
        limit: Decimal,
        quantity: u32,
    ) -> Option<(String, String)> {
        let s = self.by_symbol.get_mut(trading_symbol)?;
        if s.cancel_requested {
            return None;
        }
        let id = s.order_id.clone()?;
        s.request.trigger_price = Some(trigger);
        s.request.price = Some(limit);
        s.request.quantity = quantity;
        s.hit_since = None;
        Some((id, s.request.tag.clone()))
    }

    /// Marks a cancel as asked for; returns the order id to cancel, when known and not asked
    /// before.
    pub(super) fn request_cancel(&mut self, trading_symbol: &str) -> Option<(String, String)> {
        let s = self.by_symbol.get_mut(trading_symbol)?;
        if s.cancel_requested {
            return None;
        }
        let id = s.order_id.clone()?;
        s.cancel_requested = true;
        Some((id, s.request.tag.clone()))
    }

    /// Records that the price reached the trigger at `now` (the first time); returns when it
    /// was first seen.
    pub(super) fn note_hit(&mut self, trading_symbol: &str, now: IstTime) -> Option<IstTime> {
        let s = self.by_symbol.get_mut(trading_symbol)?;
        Some(*s.hit_since.get_or_insert(now))
    }

    pub(super) fn remove(&mut self, trading_symbol: &str) -> Option<StopOrder> {
        self.by_symbol.remove(trading_symbol)
    }

    /// The stop of `trading_symbol` when it can be converted in place into an exit for
    /// `quantity` units on the `selling` side: its order id is known, no cancel is under way,
    /// it covers exactly `quantity` (so no part of it has filled) and the broker has not
    /// refused a conversion of it.
    pub fn convertible(
        &self,
        trading_symbol: &str,
        quantity: u32,
        selling: bool,
    ) -> Option<&StopOrder> {
        self.by_symbol.get(trading_symbol).filter(|s| {
            !s.cancel_requested
                && s.order_id.is_some()
                && s.request.quantity == quantity
                && s.selling() == selling
                && !self.no_convert.contains(trading_symbol)
        })
    }

    /// Takes `trading_symbol`'s stop out of the stops: from now on its order is the
    /// position's exit. It is kept aside by tag until [`ProtectiveStops::conversion_ended`],
    /// in case the broker refuses the conversion.
    pub(super) fn convert(&mut self, trading_symbol: &str) -> Option<StopOrder> {
        let stop = self.by_symbol.remove(trading_symbol)?;
        self.converted
            .insert(stop.request.tag.clone(), stop.clone());
        Some(stop)
    }

    /// The broker refused to convert the stop with this tag: it rests as it was, so it is a
    /// stop again, and the position's exits cancel it first from now on. Returns it, or
    /// `None` when the tag is not a converted stop's.
    pub(super) fn conversion_refused(&mut self, tag: &str) -> Option<StopOrder> {
        let stop = self.converted.remove(tag)?;
        let symbol = stop.request.trading_symbol.clone();
        self.no_convert.insert(symbol.clone());
        match self.by_symbol.entry(symbol) {
            // A new stop was placed meanwhile: the old order is one too many.
            std::collections::btree_map::Entry::Occupied(_) => self.orphans.push(stop.clone()),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(stop.clone());
            }
        }
        Some(stop)
    }

    /// The exit converted from the stop with this tag ended (filled, cancelled or rejected).
    pub(super) fn conversion_ended(&mut self, tag: &str) {
        self.converted.remove(tag);
    }

    /// True while the stop with this tag is converted into an exit.
    pub fn is_converted(&self, tag: &str) -> bool {
        self.converted.contains_key(tag)
    }

    /// The protective floor of the exit converted from the stop with this tag (rupees): the
    /// stop's limit. Re-pricing that exit never goes past it while the market is beyond it.
    pub fn converted_floor(&self, tag: &str) -> Option<Decimal> {
        self.converted.get(tag).and_then(|s| s.request.price)
    }

    /// Adopts, after a restart, a stop order the broker's book shows converted into its
    /// position's exit (a `LIMIT` order at `request.price`, its floor).
    pub(super) fn adopt_converted(&mut self, request: OrderRequest, placed_at: IstTime) {
        self.converted.insert(
            request.tag.clone(),
            StopOrder {
                request,
                order_id: None,
                placed_at,
                cancel_requested: false,
                hit_since: None,
            },
        );
    }

    /// Applies a broker report about one of the stop orders; returns the stop and whether it
    /// was rejected when the report ends it. `None` when the tag is not a stop order's.
    pub(super) fn on_update(
        &mut self,
        tag: &str,
        order_id: &str,
        status: OrderStatus,
    ) -> Option<(Option<StopOrder>, bool)> {
        if let Some(i) = self.orphans.iter().position(|o| o.request.tag == tag) {
            if !order_id.is_empty() {
                self.orphans[i].order_id = Some(order_id.to_string());
            }
            if status.is_terminal() {
                self.orphans.remove(i);
            }
            return Some((None, false));
        }
        let symbol = self
            .by_symbol
            .iter()
            .find(|(_, s)| s.request.tag == tag)
            .map(|(k, _)| k.clone())?;
        let s = self.by_symbol.get_mut(&symbol)?;
        if !order_id.is_empty() {
            s.order_id = Some(order_id.to_string());
        }
        if status.is_terminal() {
            let rejected = status == OrderStatus::Rejected;
            if rejected {
                self.refused.insert(symbol.clone());
            }
            return Some((self.by_symbol.remove(&symbol), rejected));
        }
        Some((None, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_stop_limit_is_three_pct_beyond_the_trigger_on_the_tick_grid() {
        let t = dec!(0.05);
        // 27.55 × 0.97 = 26.7235 → 26.70 (down for a sell).
        assert_eq!(stop_limit_price(dec!(27.55), t, true), dec!(26.70));
        // 596.25 × 1.03 = 614.1375 → 614.15 (up for a buy to close a short).
        assert_eq!(stop_limit_price(dec!(596.25), t, false), dec!(614.15));
        // A cheap trigger: 3 % is under a tick, so one tick below; never below one tick.
        assert_eq!(stop_limit_price(dec!(1.00), t, true), dec!(0.95));
        assert_eq!(stop_limit_price(dec!(0.05), t, true), dec!(0.05));
    }
}
