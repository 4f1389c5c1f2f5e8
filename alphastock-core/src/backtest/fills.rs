//! The fill simulator: resting orders fill against the next quote of their contract.
//!
//! Rules (all prices in rupees per unit):
//! - A **limit buy** fills on the first option quote of its contract that arrives after it was
//!   placed and whose ask (the premium when no ask is quoted) is at or below the limit; it fills
//!   at that ask plus `slippage_ticks` ticks.
//! - A **limit sell** fills when the bid (the premium when no bid) is at or above the limit, at
//!   that bid less `slippage_ticks` ticks (never below one tick).
//! - A **market** order fills on the next quote at the ask (buy) or bid (sell), with the same
//!   slippage.
//! - An order on the underlying itself (its trading symbol is the candle's symbol, with or
//!   without the exchange prefix) fills on the next candle of that symbol: a limit buy when the
//!   low reaches the limit, at the lower of open and limit; a limit sell when the high reaches
//!   it, at the higher of open and limit; market orders at the open; slippage as above.
//!
//! Every order fills in full, at one price, in one execution.

use rust_decimal::Decimal;

use crate::market::{Candle, OptionQuote};
use crate::order::{OrderRequest, OrderType, TransactionType};

/// A resting order in the simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct SimOrder {
    /// The order as the engine placed it (its limit may have been modified since).
    pub request: OrderRequest,
    /// The id the simulator gave it (`BT-<n>`).
    pub order_id: String,
}

/// Decides fills for resting orders against quotes and candles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillSimulator {
    /// Ticks paid beyond the touch on every fill (ask + slippage for a buy, bid − slippage for a
    /// sell).
    pub slippage_ticks: u32,
}

impl FillSimulator {
    /// The fill price of `order` against an option quote, if it crosses.
    pub fn against_quote(&self, order: &OrderRequest, quote: &OptionQuote) -> Option<Decimal> {
        let tick = quote.contract.tick_size;
        let touch = match order.transaction_type {
            TransactionType::Buy => quote.ask.filter(|a| *a > Decimal::ZERO),
            TransactionType::Sell => quote.bid.filter(|b| *b > Decimal::ZERO),
        }
        .unwrap_or(quote.premium);
        if touch <= Decimal::ZERO {
            return None;
        }
        self.cross(order, touch, touch, tick)
    }

    /// The fill price of an order on the underlying against the next candle, if it crosses.
    pub fn against_candle(&self, order: &OrderRequest, candle: &Candle) -> Option<Decimal> {
        let tick = Decimal::new(5, 2);
        match (order.order_type, order.transaction_type, order.price) {
            (OrderType::Limit, TransactionType::Buy, Some(limit)) if candle.low <= limit => {
                Some(self.slip(candle.open.min(limit), tick, true))
            }
            (OrderType::Limit, TransactionType::Sell, Some(limit)) if candle.high >= limit => {
                Some(self.slip(candle.open.max(limit), tick, false))
            }
            (OrderType::Market, side, _) => {
                Some(self.slip(candle.open, tick, side == TransactionType::Buy))
            }
            _ => None,
        }
    }

    fn cross(
        &self,
        order: &OrderRequest,
        touch: Decimal,
        _last: Decimal,
        tick: Decimal,
    ) -> Option<Decimal> {
        let buy = order.transaction_type == TransactionType::Buy;
        let crosses = match (order.order_type, order.price) {
            (OrderType::Market, _) => true,
            (OrderType::Limit, Some(limit)) => {
                if buy {
                    touch <= limit
                } else {
                    touch >= limit
                }
            }
            // Stop orders are not simulated: the engine exits with limit orders.
            _ => false,
        };
        crosses.then(|| self.slip(touch, tick, buy))
    }

    fn slip(&self, price: Decimal, tick: Decimal, buy: bool) -> Decimal {
        let slip = tick * Decimal::from(self.slippage_ticks);
        if buy {
            price + slip
        } else {
            (price - slip).max(tick)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{Exchange, OptionContract, OptionType, Symbol};
    use crate::order::{Product, Validity};
    use chrono::{DateTime, NaiveDate};
    use rust_decimal_macros::dec;

    fn quote(premium: Decimal, bid: Option<Decimal>, ask: Option<Decimal>) -> OptionQuote {
        OptionQuote {
            contract: OptionContract {
                underlying: Symbol::parse("NIFTY").unwrap(),
                expiry: NaiveDate::from_ymd_opt(2026, 1, 8).unwrap(),
                strike: dec!(22000),
                option_type: OptionType::CE,
                lot_size: 75,
                tick_size: dec!(0.05),
                trading_symbol: "NIFTY26JAN22000CE".into(),
                exchange: Exchange::Nfo,
            },
            premium,
            bid,
            ask,
            volume: Some(1),
            oi: Some(1),
            iv: None,
            greeks: None,
            timestamp: DateTime::parse_from_rfc3339("2026-01-05T09:20:00+05:30").unwrap(),
        }
    }

    fn order(side: TransactionType, price: Option<Decimal>) -> OrderRequest {
        OrderRequest {
            tag: "t".into(),
            exchange: Exchange::Nfo,
            trading_symbol: "NIFTY26JAN22000CE".into(),
            transaction_type: side,
            order_type: if price.is_some() {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            quantity: 75,
            price,
            trigger_price: None,
            product: Product::Mis,
            validity: Validity::Day,
        }
    }

    #[test]
    fn limit_buy_fills_at_the_ask_plus_slippage_only_when_the_ask_crosses() {
        let sim = FillSimulator { slippage_ticks: 2 };
        let buy = order(TransactionType::Buy, Some(dec!(100)));
        let q = quote(dec!(100), Some(dec!(99.95)), Some(dec!(100.05)));
        assert_eq!(sim.against_quote(&buy, &q), None);
        let q = quote(dec!(99.9), Some(dec!(99.85)), Some(dec!(99.95)));
        assert_eq!(sim.against_quote(&buy, &q), Some(dec!(100.05)));
    }

    #[test]
    fn limit_sell_fills_at_the_bid_less_slippage_and_uses_the_premium_without_a_bid() {
        let sim = FillSimulator { slippage_ticks: 1 };
        let sell = order(TransactionType::Sell, Some(dec!(120)));
        assert_eq!(
            sim.against_quote(&sell, &quote(dec!(121), Some(dec!(119.95)), None)),
            None
        );
        assert_eq!(
            sim.against_quote(&sell, &quote(dec!(121), Some(dec!(120.5)), None)),
            Some(dec!(120.45))
        );
        assert_eq!(
            sim.against_quote(&sell, &quote(dec!(121), None, None)),
            Some(dec!(120.95))
        );
    }

    #[test]
    fn market_orders_always_fill_at_the_touch() {
        let sim = FillSimulator { slippage_ticks: 0 };
        let q = quote(dec!(50), Some(dec!(49.9)), Some(dec!(50.1)));
        assert_eq!(
            sim.against_quote(&order(TransactionType::Buy, None), &q),
            Some(dec!(50.1))
        );
        assert_eq!(
            sim.against_quote(&order(TransactionType::Sell, None), &q),
            Some(dec!(49.9))
        );
    }
}
