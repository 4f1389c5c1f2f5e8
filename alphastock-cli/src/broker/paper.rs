//! [`PaperBroker`]: a [`Broker`] that fills against the quotes it is fed, so the whole system
//! runs without money. Prices come from the core's `FillModel` (the backtest's): market orders
//! fill at the ask (buy) or bid (sell) moved against us by `slippage_ticks`; limit orders fill
//! when the touch crosses their price, at the touch moved by the slippage but never beyond the
//! limit; SL/SL-M orders wait
//! for their trigger. Fills may be partial (`partial_fill_fraction`). Orders go through the same
//! states as at the real broker; cash is debited and credited as fills happen.

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use alphastock_core::backtest::FillModel;
use alphastock_core::config::PaperConfig;
use alphastock_core::market::{IstTime, OptionQuote, IST};
use alphastock_core::order::{Fill, OrderRequest, OrderStatus, OrderType, TransactionType};

use super::{
    Broker, BrokerError, BrokerFunds, BrokerOrder, BrokerPosition, BrokerQuote, InstrumentKey,
};

#[derive(Debug, Clone)]
struct PaperOrder {
    order: BrokerOrder,
    order_type: OrderType,
    trigger_price: Option<Decimal>,
    triggered: bool,
}

#[derive(Debug, Clone, Default)]
struct Book {
    net_quantity: i64,
    /// Rupees paid (long) or received (short) for the open quantity; kept whole rather than as
    /// an average so realised P&L adds up exactly.
    cost: Decimal,
    realised: Decimal,
}

impl Book {
    fn average_price(&self) -> Decimal {
        if self.net_quantity == 0 {
            Decimal::ZERO
        } else {
            self.cost / Decimal::from(self.net_quantity.abs())
        }
    }
}

/// The paper broker.
#[derive(Debug, Clone)]
pub struct PaperBroker {
    config: PaperConfig,
    cash: Decimal,
    orders: Vec<PaperOrder>,
    fills: Vec<Fill>,
    positions: BTreeMap<InstrumentKey, Book>,
    quotes: BTreeMap<InstrumentKey, BrokerQuote>,
    now: IstTime,
    next_order: u64,
    next_trade: u64,
}

impl PaperBroker {
    /// A paper broker with `config.starting_funds` in cash; `now` stamps orders placed before
    /// the first quote.
    pub fn new(config: PaperConfig, now: IstTime) -> Self {
        Self {
            cash: config.starting_funds,
            config,
            orders: Vec::new(),
            fills: Vec::new(),
            positions: BTreeMap::new(),
            quotes: BTreeMap::new(),
            now,
            next_order: 1,
            next_trade: 1,
        }
    }

    /// Cash available, rupees.
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// Feeds a quote: stores it and fills the resting orders it crosses. Returns the new fills.
    pub fn on_quote(&mut self, quote: &BrokerQuote) -> Vec<Fill> {
        if quote.timestamp > self.now {
            let day = |t: IstTime| t.with_timezone(&IST).date_naive();
            if day(quote.timestamp) > day(self.now) {
                self.start_day(day(quote.timestamp));
            }
            self.now = quote.timestamp;
        }
        self.quotes.insert(quote.key.clone(), quote.clone());
        self.match_orders(&quote.key)
    }

    /// A new session: like the broker's, the order book keeps only orders still working and
    /// the trade book only today's trades; the last quotes are kept only of instruments with a
    /// working order or an open position (the others, expired series and strikes far from
    /// today's market among them, are quoted again when the market quotes them). So none of
    /// them grows with the days a run lasts.
    fn start_day(&mut self, today: chrono::NaiveDate) {
        self.orders.retain(|o| !o.order.status.is_terminal());
        self.fills
            .retain(|f| f.timestamp.with_timezone(&IST).date_naive() >= today);
        let working: std::collections::BTreeSet<InstrumentKey> =
            self.orders.iter().map(|o| Self::key_of(&o.order)).collect();
        let positions = &self.positions;
        self.quotes.retain(|k, _| {
            working.contains(k) || positions.get(k).is_some_and(|b| b.net_quantity != 0)
        });
    }

    /// Feeds an option quote (its contract's exchange and trading symbol are the key).
    pub fn on_option_quote(&mut self, q: &OptionQuote) -> Vec<Fill> {
        let quote = BrokerQuote {
            key: InstrumentKey {
                exchange: q.contract.exchange,
                trading_symbol: q.contract.trading_symbol.clone(),
            },
            ltp: q.premium,
            open: q.premium,
            high: q.premium,
            low: q.premium,
            close: q.premium,
            bid: q.bid,
            ask: q.ask,
            volume: q.volume,
            oi: q.oi,
            timestamp: q.timestamp,
        };
        self.on_quote(&quote)
    }

    /// Numbers new paper order ids and trade ids after the highest of `order_ids` and
    /// `trade_ids` (ids this broker made earlier, e.g. read back from the journal), so ids are
    /// never reused across runs.
    pub fn continue_numbering<'a>(
        &mut self,
        order_ids: impl IntoIterator<Item = &'a str>,
        trade_ids: impl IntoIterator<Item = &'a str>,
    ) {
        let after = |ids: &mut dyn Iterator<Item = &'a str>, prefix: &str| {
            ids.filter_map(|id| id.strip_prefix(prefix)?.parse::<u64>().ok())
                .max()
                .map_or(1, |m| m + 1)
        };
        self.next_order = self
            .next_order
            .max(after(&mut order_ids.into_iter(), "PAPER"));
        self.next_trade = self.next_trade.max(after(&mut trade_ids.into_iter(), "PT"));
    }

    /// Restores orders and executions of an interrupted run (from the journal): each order is
    /// put back as it was placed, with its broker id, then the fills are applied again in order
    /// (cash and positions follow), keeping their trade ids. An order whose last known state is
    /// cancelled or rejected stays so. Orders already known (by tag) are skipped.
    pub fn restore(&mut self, orders: &[(OrderRequest, String, OrderStatus)], fills: &[Fill]) {
        for (r, order_id, _) in orders {
            if self.orders.iter().any(|o| o.order.tag == r.tag) {
                continue;
            }
            self.orders.push(PaperOrder {
                order: BrokerOrder {
                    order_id: order_id.clone(),
                    tag: r.tag.clone(),
                    exchange: r.exchange,
                    trading_symbol: r.trading_symbol.clone(),
                    transaction_type: r.transaction_type,
                    quantity: r.quantity,
                    filled_quantity: 0,
                    price: r.price,
                    trigger_price: r.trigger_price,
                    order_type: Some(r.order_type),
                    average_price: None,
                    status: OrderStatus::Open,
                    message: None,
                    updated_at: self.now,
                },
                order_type: r.order_type,
                trigger_price: r.trigger_price,
                triggered: false,
            });
        }
        for f in fills {
            let Some(i) = self
                .orders
                .iter()
                .position(|o| o.order.order_id == f.order_id)
            else {
                continue;
            };
            if f.timestamp > self.now {
                self.now = f.timestamp;
            }
            let mut po = self.orders[i].clone();
            po.triggered = true;
            let qty = f.quantity.min(po.order.quantity - po.order.filled_quantity);
            if qty == 0 {
                continue;
            }
            self.apply_fill(&mut po, qty, f.price);
            if let Some(last) = self.fills.last_mut() {
                last.trade_id = f.trade_id.clone();
                last.timestamp = f.timestamp;
            }
            self.orders[i] = po;
        }
        for (r, _, status) in orders {
            if matches!(status, OrderStatus::Cancelled | OrderStatus::Rejected) {
                if let Some(o) = self.orders.iter_mut().find(|o| o.order.tag == r.tag) {
                    if !o.order.status.is_terminal() {
                        o.order.status = *status;
                    }
                }
            }
        }
        self.continue_numbering(
            orders.iter().map(|(_, id, _)| id.as_str()),
            fills.iter().map(|f| f.trade_id.as_str()),
        );
    }

    fn key_of(o: &BrokerOrder) -> InstrumentKey {
        InstrumentKey {
            exchange: o.exchange,
            trading_symbol: o.trading_symbol.clone(),
        }
    }

    /// The price an order would fill at against `q` now, if it fills.
    fn fill_price(&self, po: &mut PaperOrder, q: &BrokerQuote) -> Option<Decimal> {
        let side = po.order.transaction_type;
        let ask = q.ask.unwrap_or(q.ltp);
        let bid = q.bid.unwrap_or(q.ltp);
        if let (Some(trigger), false) = (po.trigger_price, po.triggered) {
            let hit = match side {
                TransactionType::Buy => q.ltp >= trigger,
                TransactionType::Sell => q.ltp <= trigger,
            };
            if !hit {
                return None;
            }
            po.triggered = true;
        }
        // The core's fill model prices the touch and the slippage, as in backtests.
        let model = FillModel {
            slippage_ticks: self.config.slippage_ticks,
            entry_tolerance_pct: self.config.entry_tolerance_pct,
        };
        let tick = self.config.tick_size;
        match (po.order_type, po.order.price) {
            (OrderType::Market | OrderType::StopLossMarket, _) | (_, None) => match side {
                TransactionType::Buy => Some(model.slipped(ask, tick, side)),
                TransactionType::Sell => Some(model.slipped(bid, tick, side)),
            },
            // A crossing limit fills at the touch moved by the slippage, never beyond its limit.
            (OrderType::Limit | OrderType::StopLoss, Some(limit)) => match side {
                TransactionType::Buy if ask <= limit => {
                    Some(model.slipped(ask, tick, side).min(limit))
                }
                TransactionType::Sell if bid >= limit => {
                    Some(model.slipped(bid, tick, side).max(limit))
                }
                _ => None,
            },
        }
    }

    fn match_orders(&mut self, key: &InstrumentKey) -> Vec<Fill> {
        let Some(q) = self.quotes.get(key).cloned() else {
            return Vec::new();
        };
        let mut new_fills = Vec::new();
        for i in 0..self.orders.len() {
            // Finished orders stay in the day's book: skip them (and other instruments')
            // before copying anything, so a quote costs the same late in a run as early.
            let o = &self.orders[i].order;
            if o.status.is_terminal()
                || o.exchange != key.exchange
                || o.trading_symbol != key.trading_symbol
            {
                continue;
            }
            let mut po = self.orders[i].clone();
            let Some(price) = self.fill_price(&mut po, &q) else {
                self.orders[i] = po;
                continue;
            };
            let remaining = po.order.quantity - po.order.filled_quantity;
            let mut qty = match self.config.partial_fill_fraction {
                Some(f) => {
                    let part = (Decimal::from(po.order.quantity) * f).ceil();
                    part.to_u32().unwrap_or(remaining).clamp(1, remaining)
                }
                None => remaining,
            };
            if po.order.transaction_type == TransactionType::Buy {
                let affordable = if price > Decimal::ZERO {
                    (self.cash / price).floor()
                } else {
                    Decimal::from(qty)
                };
                if affordable < Decimal::from(qty) {
                    if po.order.filled_quantity == 0 {
                        po.order.status = OrderStatus::Rejected;
                        po.order.message = Some(format!(
                            "insufficient funds: {} needed, {} available",
                            price * Decimal::from(qty),
                            self.cash
                        ));
                        po.order.updated_at = self.now;
                        self.orders[i] = po;
                        continue;
                    }
                    qty = 0;
                }
            }
            if qty == 0 {
                self.orders[i] = po;
                continue;
            }
            let fill = self.apply_fill(&mut po, qty, price);
            new_fills.push(fill);
            self.orders[i] = po;
        }
        new_fills
    }

    fn apply_fill(&mut self, po: &mut PaperOrder, qty: u32, price: Decimal) -> Fill {
        let o = &mut po.order;
        let prev = Decimal::from(o.filled_quantity) * o.average_price.unwrap_or_default();
        o.filled_quantity += qty;
        o.average_price =
            Some((prev + price * Decimal::from(qty)) / Decimal::from(o.filled_quantity));
        o.status = if o.filled_quantity == o.quantity {
            OrderStatus::Complete
        } else {
            OrderStatus::PartiallyFilled
        };
        o.updated_at = self.now;
        let value = price * Decimal::from(qty);
        let signed = o.transaction_type.sign() * i64::from(qty);
        match o.transaction_type {
            TransactionType::Buy => self.cash -= value,
            TransactionType::Sell => self.cash += value,
        }
        let book = self.positions.entry(Self::key_of(o)).or_default();
        let old = book.net_quantity;
        let new = old + signed;
        if old == 0 || old.signum() == signed.signum() {
            // Opening or adding.
            book.cost += value;
        } else {
            // Reducing or flipping: realise on the closed part; a full close takes all the cost.
            let closed = old.abs().min(signed.abs());
            let closed_cost = if closed == old.abs() {
                book.cost
            } else {
                // Cost allocated to the closed part, to the paisa; the remainder stays with the
                // open part, so the totals add up exactly.
                (book.cost * Decimal::from(closed) / Decimal::from(old.abs())).round_dp(2)
            };
            book.realised +=
                (price * Decimal::from(closed) - closed_cost) * Decimal::from(old.signum());
            book.cost -= closed_cost;
            if new != 0 && new.signum() != old.signum() {
                book.cost = price * Decimal::from(new.abs());
            }
        }
        book.net_quantity = new;
        let fill = Fill {
            order_id: o.order_id.clone(),
            tag: o.tag.clone(),
            trade_id: format!("PT{:06}", self.next_trade),
            exchange: o.exchange,
            trading_symbol: o.trading_symbol.clone(),
            transaction_type: o.transaction_type,
            quantity: qty,
            price,
            timestamp: self.now,
        };
        self.next_trade += 1;
        self.fills.push(fill.clone());
        fill
    }

    fn find(&mut self, order_id: &str) -> Result<&mut PaperOrder, BrokerError> {
        self.orders
            .iter_mut()
            .find(|o| o.order.order_id == order_id)
            .ok_or_else(|| BrokerError::Invalid(format!("no paper order {order_id}")))
    }
}

impl Broker for PaperBroker {
    fn name(&self) -> &str {
        "paper"
    }

    fn session_lost(&self) -> Option<String> {
        None
    }

    fn place_order(&mut self, r: &OrderRequest) -> Result<String, BrokerError> {
        if r.quantity == 0 {
            return Err(BrokerError::Rejected {
                error_type: "InputException".to_string(),
                message: "quantity must be at least 1".to_string(),
            });
        }
        let needs_price = matches!(r.order_type, OrderType::Limit | OrderType::StopLoss);
        let needs_trigger = matches!(
            r.order_type,
            OrderType::StopLoss | OrderType::StopLossMarket
        );
        if (needs_price && r.price.is_none()) || (needs_trigger && r.trigger_price.is_none()) {
            return Err(BrokerError::Rejected {
                error_type: "InputException".to_string(),
                message: format!(
                    "{} order needs its price/trigger price",
                    r.order_type.code()
                ),
            });
        }
        if self.orders.iter().any(|o| o.order.tag == r.tag) {
            return Err(BrokerError::Rejected {
                error_type: "InputException".to_string(),
                message: format!("tag {} already used today", r.tag),
            });
        }
        let order_id = format!("PAPER{:06}", self.next_order);
        self.next_order += 1;
        self.orders.push(PaperOrder {
            order: BrokerOrder {
                order_id: order_id.clone(),
                tag: r.tag.clone(),
                exchange: r.exchange,
                trading_symbol: r.trading_symbol.clone(),
                transaction_type: r.transaction_type,
                quantity: r.quantity,
                filled_quantity: 0,
                price: r
                    .price
                    .filter(|_| needs_price || r.order_type == OrderType::Limit),
                trigger_price: r.trigger_price.filter(|_| needs_trigger),
                order_type: Some(r.order_type),
                average_price: None,
                status: OrderStatus::Open,
                message: None,
                updated_at: self.now,
            },
            order_type: r.order_type,
            trigger_price: r.trigger_price.filter(|_| needs_trigger),
            triggered: false,
        });
        let key = InstrumentKey {
            exchange: r.exchange,
            trading_symbol: r.trading_symbol.clone(),
        };
        self.match_orders(&key);
        Ok(order_id)
    }

    fn modify_order(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: Option<u32>,
    ) -> Result<(), BrokerError> {
        let now = self.now;
        let po = self.find(order_id)?;
        if po.order.status.is_terminal() {
            return Err(BrokerError::Rejected {
                error_type: "OrderException".to_string(),
                message: format!(
                    "order {order_id} is {:?} and cannot be modified",
                    po.order.status
                ),
            });
        }
        if let Some(q) = quantity {
            if q < po.order.filled_quantity.max(1) {
                return Err(BrokerError::Invalid(format!(
                    "new quantity {q} is below the filled {}",
                    po.order.filled_quantity
                )));
            }
            po.order.quantity = q;
        }
        po.order.price = Some(price);
        if po.order_type == OrderType::Market {
            po.order_type = OrderType::Limit;
        }
        po.order.updated_at = now;
        let key = Self::key_of(&po.order);
        self.match_orders(&key);
        Ok(())
    }

    fn modify_stop(
        &mut self,
        order_id: &str,
        trigger: Decimal,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError> {
        let po = self.find(order_id)?;
        if po.trigger_price.is_none() || po.triggered || po.order.status.is_terminal() {
            return Err(BrokerError::Rejected {
                error_type: "OrderException".to_string(),
                message: format!(
                    "order {order_id} is not a resting stop order ({:?})",
                    po.order.status
                ),
            });
        }
        po.trigger_price = Some(trigger);
        po.order.trigger_price = Some(trigger);
        self.modify_order(order_id, price, Some(quantity))
    }

    /// The stop becomes a plain limit order (no trigger, `price`, `quantity`) and is matched
    /// against the last quote at once, as the exchange would.
    fn convert_stop_to_limit(
        &mut self,
        order_id: &str,
        price: Decimal,
        quantity: u32,
    ) -> Result<(), BrokerError> {
        let po = self.find(order_id)?;
        if po.trigger_price.is_none() || po.order.status.is_terminal() {
            return Err(BrokerError::Rejected {
                error_type: "OrderException".to_string(),
                message: format!(
                    "order {order_id} is not a resting stop order ({:?})",
                    po.order.status
                ),
            });
        }
        po.order_type = OrderType::Limit;
        po.order.order_type = Some(OrderType::Limit);
        po.trigger_price = None;
        po.order.trigger_price = None;
        self.modify_order(order_id, price, Some(quantity))
    }

    fn cancel_order(&mut self, order_id: &str) -> Result<(), BrokerError> {
        let now = self.now;
        let po = self.find(order_id)?;
        if po.order.status.is_terminal() {
            return Err(BrokerError::Rejected {
                error_type: "OrderException".to_string(),
                message: format!(
                    "order {order_id} is {:?} and cannot be cancelled",
                    po.order.status
                ),
            });
        }
        po.order.status = OrderStatus::Cancelled;
        po.order.updated_at = now;
        Ok(())
    }

    fn order_book(&mut self) -> Result<Vec<BrokerOrder>, BrokerError> {
        Ok(self.orders.iter().map(|o| o.order.clone()).collect())
    }

    fn trade_book(&mut self) -> Result<Vec<Fill>, BrokerError> {
        Ok(self.fills.clone())
    }

    fn positions(&mut self) -> Result<Vec<BrokerPosition>, BrokerError> {
        Ok(self
            .positions
            .iter()
            .map(|(k, b)| {
                let ltp = self
                    .quotes
                    .get(k)
                    .map(|q| q.ltp)
                    .unwrap_or_else(|| b.average_price());
                let sign = Decimal::from(b.net_quantity.signum());
                BrokerPosition {
                    exchange: k.exchange,
                    trading_symbol: k.trading_symbol.clone(),
                    net_quantity: b.net_quantity,
                    average_price: b.average_price(),
                    ltp,
                    realised_pnl: b.realised,
                    unrealised_pnl: ltp * Decimal::from(b.net_quantity) - sign * b.cost,
                }
            })
            .collect())
    }

    fn funds(&mut self) -> Result<BrokerFunds, BrokerError> {
        let used = self.positions.values().map(|b| b.cost).sum();
        Ok(BrokerFunds {
            available: self.cash,
            used,
        })
    }

    fn quotes(&mut self, keys: &[InstrumentKey]) -> Result<Vec<BrokerQuote>, BrokerError> {
        Ok(keys
            .iter()
            .filter_map(|k| self.quotes.get(k).cloned())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alphastock_core::market::Exchange;
    use alphastock_core::order::{Product, Validity};
    use rust_decimal_macros::dec;

    fn t(s: &str) -> IstTime {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn key() -> InstrumentKey {
        InstrumentKey {
            exchange: Exchange::Nfo,
            trading_symbol: "BANKNIFTY25DEC51200CE".into(),
        }
    }

    fn quote(bid: Decimal, ask: Decimal, at: &str) -> BrokerQuote {
        let ltp = (bid + ask) / dec!(2);
        BrokerQuote {
            key: key(),
            ltp,
            open: ltp,
            high: ltp,
            low: ltp,
            close: ltp,
            bid: Some(bid),
            ask: Some(ask),
            volume: Some(1000),
            oi: Some(5000),
            timestamp: t(at),
        }
    }

    fn order(
        tag: &str,
        side: TransactionType,
        ty: OrderType,
        qty: u32,
        price: Option<Decimal>,
    ) -> OrderRequest {
        OrderRequest {
            tag: tag.into(),
            exchange: Exchange::Nfo,
            trading_symbol: "BANKNIFTY25DEC51200CE".into(),
            transaction_type: side,
            order_type: ty,
            quantity: qty,
            price,
            trigger_price: None,
            product: Product::Nrml,
            validity: Validity::Day,
        }
    }

    /// A broker holding 30 units bought at market (ask 280.10) at 09:20.
    fn long_30() -> PaperBroker {
        let mut b = broker(None);
        b.on_quote(&quote(
            dec!(279.90),
            dec!(280.10),
            "2026-12-01T09:20:00+05:30",
        ));
        b.place_order(&order(
            "B1",
            TransactionType::Buy,
            OrderType::Market,
            30,
            None,
        ))
        .unwrap();
        b
    }

    fn broker(partial: Option<Decimal>) -> PaperBroker {
        PaperBroker::new(
            PaperConfig {
                starting_funds: dec!(50000),
                slippage_ticks: 1,
                tick_size: dec!(0.05),
                partial_fill_fraction: partial,
                ..PaperConfig::default()
            },
            t("2026-12-01T09:15:00+05:30"),
        )
    }

    #[test]
    fn market_buy_fills_at_ask_plus_slippage_and_sell_at_bid_minus() {
        let mut b = broker(None);
        b.on_quote(&quote(
            dec!(279.90),
            dec!(280.10),
            "2026-12-01T09:20:00+05:30",
        ));
        let id = b
            .place_order(&order(
                "A1",
                TransactionType::Buy,
                OrderType::Market,
                30,
                None,
            ))
            .unwrap();
        let fills = b.trade_book().unwrap();
        assert_eq!(fills.len(), 1);
        assert_eq!(fills[0].price, dec!(280.15));
        assert_eq!(fills[0].order_id, id);
        // 50,000 − 30 × 280.15 = 41,595.50
        assert_eq!(b.cash(), dec!(41595.50));
        b.on_quote(&quote(
            dec!(300.00),
            dec!(300.20),
            "2026-12-01T09:25:00+05:30",
        ));
        b.place_order(&order(
            "A2",
            TransactionType::Sell,
            OrderType::Market,
            30,
            None,
        ))
        .unwrap();
        let pos = b.positions().unwrap();
        assert_eq!(pos[0].net_quantity, 0);
        // (299.95 − 280.15) × 30 = 594.00
        assert_eq!(pos[0].realised_pnl, dec!(594.00));
        assert_eq!(b.cash(), dec!(50594.00));
        let book = b.order_book().unwrap();
        assert!(book.iter().all(|o| o.status == OrderStatus::Complete));
    }

    #[test]
    fn limit_rests_until_the_price_crosses_then_fills_at_the_touch_plus_slippage_within_the_limit()
    {
        let mut b = broker(None);
        b.on_quote(&quote(
            dec!(279.90),
            dec!(280.10),
            "2026-12-01T09:20:00+05:30",
        ));
        let id = b
            .place_order(&order(
                "L1",
                TransactionType::Buy,
                OrderType::Limit,
                30,
                Some(dec!(275)),
            ))
            .unwrap();
        assert_eq!(b.order_book().unwrap()[0].status, OrderStatus::Open);
        assert!(b
            .on_quote(&quote(
                dec!(275.50),
                dec!(275.10),
                "2026-12-01T09:21:00+05:30"
            ))
            .is_empty());
        let fills = b.on_quote(&quote(
            dec!(274.60),
            dec!(274.80),
            "2026-12-01T09:22:00+05:30",
        ));
        assert_eq!(fills.len(), 1);
        // The ask 274.80 plus 1 tick of slippage: 274.85, inside the 275 limit.
        assert_eq!(fills[0].price, dec!(274.85));
        assert_eq!(b.order_book().unwrap()[0].status, OrderStatus::Complete);
        assert!(b.cancel_order(&id).is_err());
        // An ask right at the limit fills at the limit: slippage never passes it.
        b.on_quote(&quote(dec!(274.90), dec!(275), "2026-12-01T09:23:00+05:30"));
        b.place_order(&order(
            "L2",
            TransactionType::Buy,
            OrderType::Limit,
            30,
            Some(dec!(275)),
        ))
        .unwrap();
        let book = b.trade_book().unwrap();
        assert_eq!(book.len(), 2);
        assert_eq!(book[1].price, dec!(275));
    }

    #[test]
    fn partial_fills_go_through_partially_filled_to_complete() {
        let mut b = broker(Some(dec!(0.5)));
        b.on_quote(&quote(dec!(100), dec!(100.05), "2026-12-01T09:20:00+05:30"));
        b.place_order(&order(
            "P1",
            TransactionType::Buy,
            OrderType::Market,
            75,
            None,
        ))
        .unwrap();
        let o = &b.order_book().unwrap()[0];
        assert_eq!(
            (o.status, o.filled_quantity),
            (OrderStatus::PartiallyFilled, 38)
        );
        b.on_quote(&quote(dec!(101), dec!(101.05), "2026-12-01T09:21:00+05:30"));
        let o = &b.order_book().unwrap()[0];
        assert_eq!((o.status, o.filled_quantity), (OrderStatus::Complete, 75));
        // Average of 38 @ 100.10 and 37 @ 101.10.
        let avg = (dec!(38) * dec!(100.10) + dec!(37) * dec!(101.10)) / dec!(75);
        assert_eq!(o.average_price, Some(avg));
    }

    #[test]
    fn orders_without_a_quote_rest_and_can_be_cancelled() {
        let mut b = broker(None);
        let id = b
            .place_order(&order(
                "M1",
                TransactionType::Buy,
                OrderType::Market,
                30,
                None,
            ))
            .unwrap();
        assert_eq!(b.order_book().unwrap()[0].status, OrderStatus::Open);
        b.cancel_order(&id).unwrap();
        assert!(b
            .on_quote(&quote(dec!(1), dec!(1.05), "2026-12-01T09:20:00+05:30"))
            .is_empty());
        assert_eq!(b.order_book().unwrap()[0].status, OrderStatus::Cancelled);
    }

    #[test]
    fn insufficient_funds_reject_and_duplicate_tags_are_refused() {
        let mut b = broker(None);
        b.on_quote(&quote(dec!(999), dec!(1000), "2026-12-01T09:20:00+05:30"));
        b.place_order(&order(
            "F1",
            TransactionType::Buy,
            OrderType::Market,
            75,
            None,
        ))
        .unwrap();
        let o = &b.order_book().unwrap()[0];
        assert_eq!(o.status, OrderStatus::Rejected);
        assert!(o
            .message
            .as_deref()
            .unwrap_or("")
            .contains("insufficient funds"));
        assert_eq!(b.cash(), dec!(50000));
        assert!(b
            .place_order(&order(
                "F1",
                TransactionType::Buy,
                OrderType::Market,
                1,
                None
            ))
            .is_err());
    }

    #[test]
    fn modify_reprices_a_resting_limit() {
        let mut b = broker(None);
        b.on_quote(&quote(
            dec!(279.90),
            dec!(280.10),
            "2026-12-01T09:20:00+05:30",
        ));
        let id = b
            .place_order(&order(
                "X1",
                TransactionType::Buy,
                OrderType::Limit,
                30,
                Some(dec!(270)),
            ))
            .unwrap();
        b.modify_order(&id, dec!(280.10), None).unwrap();
        assert_eq!(b.order_book().unwrap()[0].status, OrderStatus::Complete);
        assert_eq!(b.trade_book().unwrap()[0].price, dec!(280.10));
    }

    #[test]
    fn a_stop_order_moves_in_place_and_triggers_at_its_new_trigger() {
        let mut b = long_30();
        let mut sl = order(
            "S1",
            TransactionType::Sell,
            OrderType::StopLoss,
            30,
            Some(dec!(242.50)),
        );
        sl.trigger_price = Some(dec!(250));
        let id = b.place_order(&sl).unwrap();
        // A limit order is not a stop: refused, left as it was.
        let limit = b
            .place_order(&order(
                "L1",
                TransactionType::Sell,
                OrderType::Limit,
                30,
                Some(dec!(400)),
            ))
            .unwrap();
        assert!(b.modify_stop(&limit, dec!(270), dec!(261.90), 30).is_err());
        // Trailing: the same order now triggers at 270 (limit 261.90).
        b.modify_stop(&id, dec!(270), dec!(261.90), 30).unwrap();
        let fills = b.on_quote(&quote(
            dec!(264.90),
            dec!(265.10),
            "2026-12-01T09:21:00+05:30",
        ));
        assert_eq!(fills.len(), 1, "265 is through the new trigger 270");
        assert_eq!(fills[0].order_id, id);
        assert_eq!(fills[0].quantity, 30);
        assert!(fills[0].price >= dec!(261.90), "{:?}", fills[0]);
        assert_eq!(b.positions().unwrap()[0].net_quantity, 0);
    }

    #[test]
    fn a_stop_converted_into_a_limit_exit_fills_at_the_bid_not_at_its_floor() {
        let mut b = long_30();
        let mut sl = order(
            "S1",
            TransactionType::Sell,
            OrderType::StopLoss,
            30,
            Some(dec!(242.50)),
        );
        sl.trigger_price = Some(dec!(250));
        let id = b.place_order(&sl).unwrap();
        // A plain limit order is no stop: its conversion is refused.
        let limit = b
            .place_order(&order(
                "L1",
                TransactionType::Sell,
                OrderType::Limit,
                30,
                Some(dec!(400)),
            ))
            .unwrap();
        assert!(b.convert_stop_to_limit(&limit, dec!(390), 30).is_err());
        // The same order becomes a LIMIT SELL at the stop's floor, no trigger: marketable
        // against the bid 279.90, it sells there less the slippage tick, not at 242.50.
        b.convert_stop_to_limit(&id, dec!(242.50), 30).unwrap();
        let book = b.order_book().unwrap();
        let o = book.iter().find(|o| o.order_id == id).unwrap();
        assert_eq!(o.order_type, Some(OrderType::Limit));
        assert_eq!(o.trigger_price, None);
        assert_eq!(o.status, OrderStatus::Complete);
        let trades = b.trade_book().unwrap();
        assert_eq!(trades.last().map(|f| f.price), Some(dec!(279.85)));
        assert_eq!(b.positions().unwrap()[0].net_quantity, 0);
        // Done: a second conversion is refused.
        assert!(b.convert_stop_to_limit(&id, dec!(242.50), 30).is_err());
    }

    #[test]
    fn stop_loss_market_waits_for_its_trigger() {
        let mut b = long_30();
        let mut sl = order(
            "S1",
            TransactionType::Sell,
            OrderType::StopLossMarket,
            30,
            None,
        );
        sl.trigger_price = Some(dec!(250));
        b.place_order(&sl).unwrap();
        assert!(b
            .on_quote(&quote(dec!(260), dec!(260.10), "2026-12-01T09:21:00+05:30"))
            .is_empty());
        let fills = b.on_quote(&quote(
            dec!(249.90),
            dec!(250.00),
            "2026-12-01T09:22:00+05:30",
        ));
        assert_eq!(fills.len(), 1);
        // Sold at the bid less one tick.
        assert_eq!(fills[0].price, dec!(249.85));
        assert_eq!(b.positions().unwrap()[0].net_quantity, 0);
    }

    #[test]
    fn option_quotes_feed_the_same_book() {
        use alphastock_core::market::{OptionContract, OptionType};
        let mut b = broker(None);
        let contract = OptionContract {
            underlying: "BANKNIFTY".parse().unwrap(),
            expiry: chrono::NaiveDate::from_ymd_opt(2025, 12, 30).unwrap(),
            strike: dec!(51200),
            option_type: OptionType::CE,
            lot_size: 35,
            tick_size: dec!(0.05),
            trading_symbol: "BANKNIFTY25DEC51200CE".into(),
            exchange: Exchange::Nfo,
        };
        b.place_order(&order(
            "O1",
            TransactionType::Buy,
            OrderType::Limit,
            35,
            Some(dec!(281)),
        ))
        .unwrap();
        let q = OptionQuote {
            contract,
            premium: dec!(280.05),
            bid: Some(dec!(279.95)),
            ask: Some(dec!(280.15)),
            volume: Some(10),
            oi: Some(100),
            iv: None,
            greeks: None,
            timestamp: t("2026-12-01T09:20:00+05:30"),
        };
        let fills = b.on_option_quote(&q);
        assert_eq!(fills.len(), 1);
        // The ask 280.15 plus 1 tick of slippage, inside the 281 limit.
        assert_eq!(fills[0].price, dec!(280.20));
        assert_eq!(fills[0].timestamp, t("2026-12-01T09:20:00+05:30"));
    }

    proptest::proptest! {
        /// Whatever the sequence of market orders and quotes, once flat the cash has moved by
        /// exactly the realised P&L, and it never goes negative.
        #[test]
        fn cash_moves_by_exactly_the_realised_pnl(
            steps in proptest::collection::vec((1u32..5, 100i64..400, proptest::bool::ANY), 1..30)
        ) {
            let mut b = broker(None);
            let mut n = 0;
            for (lots, px, buy) in steps {
                let bid = Decimal::new(px * 100, 2);
                b.on_quote(&quote(bid, bid + dec!(0.10), "2026-12-01T09:20:00+05:30"));
                let side = if buy { TransactionType::Buy } else { TransactionType::Sell };
                n += 1;
                b.place_order(&order(&format!("T{n}"), side, OrderType::Market, lots * 15, None)).unwrap();
                proptest::prop_assert!(b.cash() >= Decimal::ZERO);
            }
            let net = b.positions().unwrap().first().map(|p| p.net_quantity).unwrap_or(0);
            if net != 0 {
                n += 1;
                let side = if net > 0 { TransactionType::Sell } else { TransactionType::Buy };
                b.place_order(&order(&format!("T{n}"), side, OrderType::Market, net.unsigned_abs() as u32, None)).unwrap();
            }
            let pos = b.positions().unwrap();
            let flat = pos.iter().all(|p| p.net_quantity == 0);
            if flat {
                let realised: Decimal = pos.iter().map(|p| p.realised_pnl).sum();
                proptest::prop_assert_eq!(b.cash() - dec!(50000), realised);
            }
        }
    }

    /// Like the broker's, the books start empty each session: yesterday's finished orders and
    /// trades are gone, an order still working stays.
    #[test]
    fn a_new_session_keeps_only_working_orders_and_todays_trades() {
        let mut b = broker(None);
        b.on_quote(&quote(dec!(100), dec!(100.05), "2026-12-01T09:20:00+05:30"));
        b.place_order(&order(
            "F1",
            TransactionType::Buy,
            OrderType::Market,
            30,
            None,
        ))
        .unwrap();
        b.place_order(&order(
            "W1",
            TransactionType::Buy,
            OrderType::Limit,
            30,
            Some(dec!(90)),
        ))
        .unwrap();
        assert_eq!(b.order_book().unwrap().len(), 2);
        assert_eq!(b.trade_book().unwrap().len(), 1);
        // Later the same day: nothing forgotten.
        b.on_quote(&quote(dec!(100), dec!(100.05), "2026-12-01T15:00:00+05:30"));
        assert_eq!(b.order_book().unwrap().len(), 2);
        b.on_quote(&quote(dec!(100), dec!(100.05), "2026-12-02T09:15:00+05:30"));
        let book = b.order_book().unwrap();
        assert_eq!(book.len(), 1);
        assert_eq!(book[0].tag, "W1");
        assert_eq!(book[0].status, OrderStatus::Open);
        assert!(b.trade_book().unwrap().is_empty());
    }

    /// A quote of `trading_symbol` (bid 100, ask 100.05) at `at`.
    fn quote_of(trading_symbol: &str, at: &str) -> BrokerQuote {
        BrokerQuote {
            key: InstrumentKey {
                exchange: Exchange::Nfo,
                trading_symbol: trading_symbol.into(),
            },
            ..quote(dec!(100), dec!(100.05), at)
        }
    }

    #[test]
    fn a_new_session_keeps_quotes_only_of_working_orders_and_open_positions() {
        let mut b = broker(None);
        // Day 1: 40 contracts quoted; one bought (held overnight), one with a resting order.
        for day in 1..=20 {
            let at = format!("2026-12-{day:02}T09:20:00+05:30");
            for strike in 0..40 {
                b.on_quote(&quote_of(
                    &format!("NIFTY26D{day:02}{}CE", 24000 + 50 * strike),
                    &at,
                ));
            }
            // Yesterday's other 40 quotes are gone.
            let want = if day == 1 { 40 } else { 40 + 2 };
            assert_eq!(b.quotes.len(), want, "day {day}");
            if day == 1 {
                b.on_quote(&quote(dec!(100), dec!(100.05), &at));
                b.place_order(&order(
                    "F1",
                    TransactionType::Buy,
                    OrderType::Market,
                    30,
                    None,
                ))
                .unwrap();
                let mut w = order(
                    "W1",
                    TransactionType::Buy,
                    OrderType::Limit,
                    30,
                    Some(dec!(90)),
                );
                w.trading_symbol = "NIFTY26D0124000PE".into();
                b.on_quote(&quote_of("NIFTY26D0124000PE", &at));
                b.place_order(&w).unwrap();
                assert_eq!(b.quotes.len(), 42);
            }
        }
        // The held contract and the working order's contract keep their last quotes.
        let kept = b
            .quotes(&[
                key(),
                InstrumentKey {
                    exchange: Exchange::Nfo,
                    trading_symbol: "NIFTY26D0124000PE".into(),
                },
            ])
            .unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!(b.positions().unwrap()[0].ltp, dec!(100.025));
    }
}
