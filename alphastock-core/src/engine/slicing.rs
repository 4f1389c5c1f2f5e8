//! Splitting an order the engine places into slices under the exchange's freeze quantity
//! (market rules of the order's day), so NSE does not reject an intent larger than the limit.
//! Risk limits were checked on the whole intent before this point.

use crate::market::{IstTime, Symbol, IST};
use crate::order::OrderRequest;
use crate::rules::{slice_order, MarketRules};

/// The orders to place for `request` (lots of `lot_size` units) on `underlying`'s options at
/// `now`: one order when the contract has no freeze quantity in the rules or the quantity is
/// within it, else the slices of [`slice_order`] (first slice keeps the tag; later ones append
/// `S2`, `S3`, ...). Cash-market orders and orders that cannot be sliced legally go out whole.
pub(crate) fn freeze_slices(
    request: OrderRequest,
    underlying: &Symbol,
    lot_size: u32,
    now: IstTime,
) -> Vec<OrderRequest> {
    if !request.exchange.is_derivatives() {
        return vec![request];
    }
    let day = now.with_timezone(&IST).date_naive();
    let freeze = MarketRules::embedded()
        .ok()
        .and_then(|r| r.instrument(underlying.name(), day).ok())
        .and_then(|i| i.freeze_quantity);
    match slice_order(&request, lot_size, freeze) {
        Some(slices) => slices,
        None => vec![request],
    }
}
