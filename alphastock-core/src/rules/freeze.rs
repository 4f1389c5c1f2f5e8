//! Splitting an order above the exchange's freeze quantity into legal slices.

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
    if lot_size == 0 || quantity % lot_size != 0 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
