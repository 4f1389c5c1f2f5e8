//! Splitting an order above the exchange's freeze quantity into legal slices.
//!
//! NSE rejects an order whose quantity is above the freeze quantity of its contract
//! ([`crate::rules::InstrumentRules::freeze_quantity`]); a larger intent goes out as several
//! orders ("slices"), each a whole number of lots within the limit. Risk limits apply to the
//! intent's total before slicing. Each slice has its own client tag derived from the intent's:
//! the first keeps the intent's tag, the n-th (n ≥ 2) appends `S` and n (`AS2601050007` →
//! `AS2601050007S2`), so a broker's order book maps every slice back to one intent
//! ([`intent_tag`]), and the fills of all slices, being of one contract, add up to one position.

use crate::order::OrderRequest;

/// The quantities (units) of the slices of an order of `quantity` units in lots of `lot_size`,
/// each at most `freeze_quantity` units and a whole number of lots; slices are as large as
/// allowed, the remainder last. With no freeze quantity, or a quantity within it, one slice.
///
/// Returns `None` when the order cannot be sliced legally: a zero lot, a quantity that is not
/// a whole number of lots, or a freeze quantity below one lot.
pub fn slice_quantity(
    quantity: u32,
    lot_size: u32,
    freeze_quantity: Option<u32>,
) -> Option<Vec<u32>> {
    if lot_size == 0 || !quantity.is_multiple_of(lot_size) {
        return None;
    }
    let Some(freeze) = freeze_quantity else {
        return Some(vec![quantity]);
    };
    if quantity <= freeze {
        return Some(vec![quantity]);
    }
    let per_slice = (freeze / lot_size) * lot_size;
    if per_slice == 0 {
        return None;
    }
    let mut out = Vec::with_capacity((quantity / per_slice + 1) as usize);
    let mut left = quantity;
    while left > 0 {
        let q = left.min(per_slice);
        out.push(q);
        left -= q;
    }
    Some(out)
}

/// The slices of `request` (quantity in units, lots of `lot_size`) under `freeze_quantity`, each
/// with its derived tag (see the module docs); `None` when it cannot be sliced legally (see
/// [`slice_quantity`]).
pub fn slice_order(
    request: &OrderRequest,
    lot_size: u32,
    freeze_quantity: Option<u32>,
) -> Option<Vec<OrderRequest>> {
    let quantities = slice_quantity(request.quantity, lot_size, freeze_quantity)?;
    Some(
        quantities
            .into_iter()
            .enumerate()
            .map(|(i, quantity)| OrderRequest {
                tag: slice_tag(&request.tag, i + 1),
                quantity,
                ..request.clone()
            })
            .collect(),
    )
}

/// The tag of slice `n` (1-based) of the intent tagged `intent`.
pub fn slice_tag(intent: &str, n: usize) -> String {
    if n <= 1 {
        intent.to_string()
    } else {
        format!("{intent}S{n}")
    }
}

/// The intent tag a slice's tag belongs to: a tag ending in `S` and digits after at least three
/// other characters is read as a later slice; any other tag is its own intent.
pub fn intent_tag(tag: &str) -> &str {
    match tag.rfind('S') {
        Some(i)
            if i >= 3 && i + 1 < tag.len() && tag[i + 1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            &tag[..i]
        }
        _ => tag,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Exchange;
    use crate::order::{OrderType, Product, TransactionType, Validity};
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_3375_unit_nifty_order_becomes_two_tagged_slices_of_one_intent() {
        let request = OrderRequest {
            tag: "AS26010600002".into(),
            exchange: Exchange::Nfo,
            trading_symbol: "NIFTY2610622100PE".into(),
            transaction_type: TransactionType::Buy,
            order_type: OrderType::Limit,
            quantity: 3375,
            price: Some(dec!(6.55)),
            trigger_price: None,
            product: Product::Mis,
            validity: Validity::Day,
        };
        let slices = slice_order(&request, 75, Some(1800)).unwrap();
        let got: Vec<(&str, u32)> = slices
            .iter()
            .map(|s| (s.tag.as_str(), s.quantity))
            .collect();
        assert_eq!(
            got,
            vec![("AS26010600002", 1800), ("AS26010600002S2", 1575)]
        );
        assert!(slices.iter().all(|s| intent_tag(&s.tag) == "AS26010600002"));
        assert!(slices
            .iter()
            .all(|s| s.tag.len() <= 20 && s.tag.bytes().all(|b| b.is_ascii_alphanumeric())));
        assert!(slices
            .iter()
            .all(|s| s.price == request.price && s.trading_symbol == request.trading_symbol));
        assert_eq!(intent_tag("AS"), "AS");
    }

    #[test]
    fn a_3375_unit_nifty_order_in_lots_of_75_splits_under_1800() {
        // 3,375 = 45 lots of 75; 1,800 / 75 = 24 lots per slice.
        assert_eq!(slice_quantity(3375, 75, Some(1800)), Some(vec![1800, 1575]));
        // With the 2026 lot of 65: 1,800 / 65 = 27 lots = 1,755 units per slice.
        assert_eq!(slice_quantity(3380, 65, Some(1800)), Some(vec![1755, 1625]));
    }

    #[test]
    fn orders_within_the_limit_or_without_one_are_not_split() {
        assert_eq!(slice_quantity(1800, 75, Some(1800)), Some(vec![1800]));
        assert_eq!(slice_quantity(7500, 750, None), Some(vec![7500]));
        assert_eq!(slice_quantity(100, 75, Some(1800)), None);
        assert_eq!(slice_quantity(150, 75, Some(50)), None);
    }

    proptest! {
        #[test]
        fn slices_are_whole_lots_within_the_freeze_and_add_up(
            lot in 1u32..2000, lots in 1u32..500, freeze in 1u32..20000
        ) {
            let q = lot * lots;
            match slice_quantity(q, lot, Some(freeze)) {
                Some(s) => {
                    prop_assert_eq!(s.iter().sum::<u32>(), q);
                    for x in &s {
                        prop_assert!(*x > 0 && x % lot == 0);
                        prop_assert!(*x <= freeze || s.len() == 1 && q <= freeze);
                    }
                }
                None => prop_assert!(freeze < lot && q > freeze),
            }
        }
    }
}
