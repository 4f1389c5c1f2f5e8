//! The fill model: how a simulated order meets recorded or simulated prices. One set of rules
//! for backtests and replays (and the price arithmetic of the paper broker).
//!
//! Prices are rupees per unit; `slippage_ticks` are ticks of the contract (0.05 for NSE
//! options). The assumptions, each a rule the code follows:
//!
//! 1. **Decision time and data time.** A candle is known at its **end**; a decision made on it
//!    is made at that moment (the engine's clock). An order can only meet a quote stamped **at
//!    or after** its decision: the first such quote of its contract fills it (a snapshot taken
//!    at the decision itself counts; an earlier one never does). Nothing waits for a "better"
//!    quote.
//! 2. **Entries** fill at that first quote's ask (the last price when no ask is quoted) **plus**
//!    `slippage_ticks`, whichever way the price moved since the decision, so a favourable move
//!    fills as surely as an adverse one. When the touch has run away from the decision's touch
//!    by more than `entry_tolerance_pct` percent **in either direction**, the entry is
//!    *missed* (counted, never filled), so missing does not depend on the direction either.
//! 3. **Exits** (stop, trailing stop, target, time exits, kill switch, expiry, square-off) are
//!    marketable: they fill at the first quote at or after their trigger, at the bid (the last
//!    price when no bid) **less** `slippage_ticks`, never below one tick, however far that is
//!    from the level that triggered them (a gap through a stop fills at the gapped price; a
//!    target touched on one quote fills at that quote's bid). A buy to close a short fills at
//!    the ask plus the slippage.
//! 4. **Stocks traded on candles** ([`FillModel::bar_exit`]): when a bar's range reaches the
//!    stop and the target both, the stop is assumed to have come first (the conservative
//!    order, since the path inside the bar is unknown); a bar that opens beyond the stop (or
//!    the target) fills at the open, otherwise at the level itself.
//! 5. **Expiry.** An option still open when its expiry day closes is settled at its intrinsic
//!    value against the underlying's last price ([`intrinsic_value`]): max(S − K, 0) for a CE,
//!    max(K − S, 0) for a PE.
//! 6. Every fill is complete, at one price: the model knows no depth, no queue position and no
//!    latency below the data's own cadence.

use rust_decimal::Decimal;

use crate::market::{Candle, OptionQuote, OptionType};
use crate::options::{round_down_to_tick, round_up_to_tick};
use crate::order::{OrderRequest, TransactionType};

/// A resting order in the simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOrder {
    /// The order as the engine placed it (its limit may have been modified since).
    pub request: OrderRequest,
    /// The id the simulator gave it (`BT-<n>`).
    pub order_id: String,
}

/// What happened to an entry at the first quote at or after its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryOutcome {
    /// Filled at this price, rupees per unit.
    Filled(Decimal),
    /// The touch ran away from the decision's touch by more than the tolerance.
    Missed {
        /// The touch when the decision was made, rupees.
        reference: Decimal,
        /// The touch of the first quote at or after the decision, rupees.
        touch: Decimal,
    },
}

/// Which level a bar reached first under the intra-bar rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarExitKind {
    /// The stop (assumed first when the bar reaches both).
    Stop,
    /// The target.
    Target,
}

/// An exit found inside one bar of a stock traded on candles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarExit {
    /// Which level.
    pub kind: BarExitKind,
    /// Where it executes before slippage: the level, or the open when the bar opened beyond
    /// it, rupees per share.
    pub price: Decimal,
}

/// The fill rules (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillModel {
    /// Ticks paid beyond the touch on every fill: ask + slippage for a buy, bid − slippage for
    /// a sell.
    pub slippage_ticks: u32,
    /// An entry whose touch moved more than this many percent (of the decision's touch, up or
    /// down) before the first quote at or after the decision is missed.
    pub entry_tolerance_pct: Decimal,
}

impl FillModel {
    /// The price a `side` order meets: the ask for a buy, the bid for a sell, the last price
    /// when that side is not quoted (or not positive); `None` without any positive price.
    pub fn touch(
        side: TransactionType,
        bid: Option<Decimal>,
        ask: Option<Decimal>,
        last: Decimal,
    ) -> Option<Decimal> {
        let side_price = match side {
            TransactionType::Buy => ask,
            TransactionType::Sell => bid,
        };
        side_price
            .filter(|p| *p > Decimal::ZERO)
            .or_else(|| (last > Decimal::ZERO).then_some(last))
    }

    /// The touch of an option quote for a `side` order (see [`FillModel::touch`]).
    pub fn quote_touch(side: TransactionType, quote: &OptionQuote) -> Option<Decimal> {
        Self::touch(side, quote.bid, quote.ask, quote.premium)
    }

    /// `price` moved `slippage_ticks` against the order: up for a buy (to the tick above),
    /// down for a sell (to the tick below, never below one tick).
    pub fn slipped(&self, price: Decimal, tick: Decimal, side: TransactionType) -> Decimal {
        let slip = tick * Decimal::from(self.slippage_ticks);
        match side {
            TransactionType::Buy => round_up_to_tick(price + slip, tick).unwrap_or(price + slip),
            TransactionType::Sell => round_down_to_tick(price - slip, tick)
                .unwrap_or(tick)
                .max(tick),
        }
    }

    /// An entry of `side` whose decision saw `reference` (the touch then, when known) meeting
    /// `touch` on the first quote at or after the decision.
    pub fn entry(
        &self,
        side: TransactionType,
        reference: Option<Decimal>,
        touch: Decimal,
        tick: Decimal,
    ) -> EntryOutcome {
        if let Some(reference) = reference.filter(|r| *r > Decimal::ZERO) {
            let moved_pct = ((touch - reference) / reference).abs() * Decimal::ONE_HUNDRED;
            if moved_pct > self.entry_tolerance_pct {
                return EntryOutcome::Missed { reference, touch };
            }
        }
        EntryOutcome::Filled(self.slipped(touch, tick, side))
    }

    /// An entry order against an option quote at or after its decision; `None` when the quote
    /// has no usable price.
    pub fn entry_against_quote(
        &self,
        order: &OrderRequest,
        reference: Option<Decimal>,
        quote: &OptionQuote,
    ) -> Option<EntryOutcome> {
        let touch = Self::quote_touch(order.transaction_type, quote)?;
        Some(self.entry(
            order.transaction_type,
            reference,
            touch,
            quote.contract.tick_size,
        ))
    }

    /// An exit order against an option quote at or after its trigger: always fills (the bid
    /// less slippage for a sell), unless the quote has no usable price.
    pub fn exit_against_quote(&self, order: &OrderRequest, quote: &OptionQuote) -> Option<Decimal> {
        let touch = Self::quote_touch(order.transaction_type, quote)?;
        Some(self.slipped(touch, quote.contract.tick_size, order.transaction_type))
    }

    /// An order on a stock against the first candle that starts at or after its decision: at
    /// the candle's open, slipped. `reference` (the price at the decision) applies the entry
    /// tolerance; pass `None` for an exit.
    pub fn against_candle(
        &self,
        order: &OrderRequest,
        reference: Option<Decimal>,
        candle: &Candle,
        tick: Decimal,
    ) -> EntryOutcome {
        self.entry(order.transaction_type, reference, candle.open, tick)
    }

    /// The intra-bar rule for a stock position traded on candles (long when `long`): the stop
    /// first when the bar reaches both levels; a level the bar opened beyond executes at the
    /// open. `None` when the bar reaches neither.
    pub fn bar_exit(
        long: bool,
        stop: Option<Decimal>,
        target: Option<Decimal>,
        candle: &Candle,
    ) -> Option<BarExit> {
        let (adverse, favourable) = if long {
            (candle.low, candle.high)
        } else {
            (candle.high, candle.low)
        };
        // `beyond(a, b)`: a is at or past b in the position's losing direction.
        let losing_side = |a: Decimal, b: Decimal| if long { a <= b } else { a >= b };
        if let Some(stop) = stop {
            if losing_side(adverse, stop) {
                let price = if losing_side(candle.open, stop) {
                    candle.open
                } else {
                    stop
                };
                return Some(BarExit {
                    kind: BarExitKind::Stop,
                    price,
                });
            }
        }
        if let Some(target) = target {
            if losing_side(target, favourable) {
                let price = if losing_side(target, candle.open) {
                    candle.open
                } else {
                    target
                };
                return Some(BarExit {
                    kind: BarExitKind::Target,
                    price,
                });
            }
        }
        None
    }
}

/// The intrinsic value of an option at expiry with the underlying at `underlying`, rupees per
/// unit: max(S − K, 0) for a CE, max(K − S, 0) for a PE.
pub fn intrinsic_value(option_type: OptionType, strike: Decimal, underlying: Decimal) -> Decimal {
    match option_type {
        OptionType::CE => (underlying - strike).max(Decimal::ZERO),
        OptionType::PE => (strike - underlying).max(Decimal::ZERO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Symbol;
    use chrono::DateTime;
    use rust_decimal_macros::dec;

    fn model(slip: u32) -> FillModel {
        FillModel {
            slippage_ticks: slip,
            entry_tolerance_pct: dec!(5),
        }
    }

    fn bar(open: Decimal, high: Decimal, low: Decimal, close: Decimal) -> Candle {
        Candle {
            symbol: Symbol::parse("NSE:SBIN").unwrap(),
            timestamp: DateTime::parse_from_rfc3339("2026-01-05T10:00:00+05:30").unwrap(),
            open,
            high,
            low,
            close,
            volume: 1,
        }
    }

    #[test]
    fn entries_fill_at_the_touch_plus_slippage_whichever_way_the_price_moved() {
        let m = model(2);
        let buy = TransactionType::Buy;
        // Decision ask 100; the first quote after it is 98 (favourable) or 102 (adverse).
        assert_eq!(
            m.entry(buy, Some(dec!(100)), dec!(98), dec!(0.05)),
            EntryOutcome::Filled(dec!(98.10))
        );
        assert_eq!(
            m.entry(buy, Some(dec!(100)), dec!(102), dec!(0.05)),
            EntryOutcome::Filled(dec!(102.10))
        );
        // 5 % is the limit: 105 fills, 105.05 and 94.95 are missed (either direction).
        assert_eq!(
            m.entry(buy, Some(dec!(100)), dec!(105), dec!(0.05)),
            EntryOutcome::Filled(dec!(105.10))
        );
        for away in [dec!(105.05), dec!(94.95)] {
            assert_eq!(
                m.entry(buy, Some(dec!(100)), away, dec!(0.05)),
                EntryOutcome::Missed {
                    reference: dec!(100),
                    touch: away
                }
            );
        }
    }

    #[test]
    fn sells_slip_down_to_the_tick_and_never_below_one_tick() {
        let m = model(2);
        assert_eq!(
            m.slipped(dec!(36.55), dec!(0.05), TransactionType::Sell),
            dec!(36.45)
        );
        assert_eq!(
            m.slipped(dec!(0.05), dec!(0.05), TransactionType::Sell),
            dec!(0.05)
        );
        // A last price off the grid (12.33) goes to the grid in the order's disfavour.
        assert_eq!(
            model(0).slipped(dec!(12.33), dec!(0.05), TransactionType::Sell),
            dec!(12.30)
        );
        assert_eq!(
            model(0).slipped(dec!(12.33), dec!(0.05), TransactionType::Buy),
            dec!(12.35)
        );
    }

    #[test]
    fn the_touch_is_the_side_of_the_book_or_the_last_price() {
        let b = TransactionType::Buy;
        let s = TransactionType::Sell;
        assert_eq!(
            FillModel::touch(b, Some(dec!(9)), Some(dec!(10)), dec!(9.5)),
            Some(dec!(10))
        );
        assert_eq!(
            FillModel::touch(s, Some(dec!(9)), Some(dec!(10)), dec!(9.5)),
            Some(dec!(9))
        );
        assert_eq!(
            FillModel::touch(s, Some(dec!(0)), None, dec!(9.5)),
            Some(dec!(9.5))
        );
        assert_eq!(FillModel::touch(s, None, None, dec!(0)), None);
    }

    #[test]
    fn intra_bar_rule_stop_first_and_gaps_at_the_open() {
        // Long, stop 95, target 110.
        let long = |o, h, l, c| {
            FillModel::bar_exit(true, Some(dec!(95)), Some(dec!(110)), &bar(o, h, l, c))
        };
        // Both inside one bar: the stop is assumed first, at its level.
        assert_eq!(
            long(dec!(100), dec!(111), dec!(94), dec!(105)),
            Some(BarExit {
                kind: BarExitKind::Stop,
                price: dec!(95)
            })
        );
        // Gap through the stop: the open.
        assert_eq!(
            long(dec!(90), dec!(92), dec!(89), dec!(91)),
            Some(BarExit {
                kind: BarExitKind::Stop,
                price: dec!(90)
            })
        );
        // Target only, reached inside the bar; then a gap above it.
        assert_eq!(
            long(dec!(100), dec!(112), dec!(99), dec!(101)),
            Some(BarExit {
                kind: BarExitKind::Target,
                price: dec!(110)
            })
        );
        assert_eq!(
            long(dec!(113), dec!(115), dec!(112), dec!(114)),
            Some(BarExit {
                kind: BarExitKind::Target,
                price: dec!(113)
            })
        );
        assert_eq!(long(dec!(100), dec!(105), dec!(96), dec!(101)), None);
        // Short, stop 105, target 90: a gap up through the stop fills at the open.
        assert_eq!(
            FillModel::bar_exit(
                false,
                Some(dec!(105)),
                Some(dec!(90)),
                &bar(dec!(108), dec!(109), dec!(89), dec!(95))
            ),
            Some(BarExit {
                kind: BarExitKind::Stop,
                price: dec!(108)
            })
        );
    }

    #[test]
    fn intrinsic_value_of_calls_and_puts() {
        assert_eq!(
            intrinsic_value(OptionType::CE, dec!(24300), dec!(24412.35)),
            dec!(112.35)
        );
        assert_eq!(
            intrinsic_value(OptionType::CE, dec!(24300), dec!(24200)),
            dec!(0)
        );
        assert_eq!(
            intrinsic_value(OptionType::PE, dec!(24300), dec!(24200)),
            dec!(100)
        );
    }
}
