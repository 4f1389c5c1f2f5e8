//! The [`Backtester`]: the engine plus the fill simulator, event by event.

use std::collections::{BTreeMap, VecDeque};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::fills::{FillSimulator, SimOrder};
use super::metrics::{Metrics, MetricsInput};
use super::report::{BacktestReport, EquityPoint, TradeRecord};
use crate::engine::{Action, Engine, Event, OrderPurpose, Record};
use crate::market::{IstTime, Symbol, IST};
use crate::order::{Fill, OrderStatus, OrderUpdate, TransactionType};
use crate::sim::replay::OptionSource;
use crate::strategy::Side;

/// Settings of the simulated execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacktestConfig {
    /// Ticks paid beyond the touch on every fill (see [`FillSimulator`]).
    pub slippage_ticks: u32,
    /// Where the option prices come from, for the report.
    pub option_source: OptionSource,
}

/// Entry facts kept until the position closes.
#[derive(Debug, Clone)]
struct OpenTrade {
    underlying: Symbol,
    strategy: String,
    side: Side,
    entry_time: Option<IstTime>,
    bought_units: u64,
    bought_value: Decimal,
    sold_units: u64,
    sold_value: Decimal,
    entry_units: u32,
    long: bool,
}

/// Drives an [`Engine`] over events and fills its orders with a [`FillSimulator`].
///
/// Feed events in time order with [`Backtester::on_event`] (or all at once with
/// [`Backtester::run`]) and call [`Backtester::finish`] for the report. Orders placed while
/// handling an event rest until a later quote (or candle, for the underlying) of their
/// contract crosses them; an **exit** order that misses the first quote of its contract after
/// it was placed is cancelled (immediate-or-cancel, as the marketable limit it is meant to be)
/// and the engine, seeing the position still open, places a new one at the new bid. When an
/// order fills, the simulator feeds the engine a `Fill` and then an `OrderUpdate` (complete),
/// so the portfolio charges it by its `ChargeSchedule`. Order ids are `BT-<n>` and trade
/// ids `BT-T<n>`, numbered in order, so the run is deterministic.
#[derive(Debug)]
pub struct Backtester {
    engine: Engine,
    fills: FillSimulator,
    source: OptionSource,
    orders: BTreeMap<String, SimOrder>,
    next_order: u64,
    next_trade: u64,
    open: BTreeMap<String, OpenTrade>,
    pending_purpose: BTreeMap<String, OrderPurpose>,
    trades: Vec<TradeRecord>,
    closed_net: Decimal,
    capital: Decimal,
    curve: Vec<EquityPoint>,
    daily: Vec<(NaiveDate, Decimal)>,
    last_time: Option<IstTime>,
    steps: u64,
    steps_in_market: u64,
    events: u64,
}

impl Backtester {
    /// A backtester around `engine`; the starting capital is the engine config's
    /// `options_trading.risk_management.capital`.
    pub fn new(engine: Engine, config: BacktestConfig) -> Self {
        let capital = engine.config().options_trading.risk_management.capital;
        Self {
            engine,
            fills: FillSimulator {
                slippage_ticks: config.slippage_ticks,
            },
            source: config.option_source,
            orders: BTreeMap::new(),
            next_order: 0,
            next_trade: 0,
            open: BTreeMap::new(),
            pending_purpose: BTreeMap::new(),
            trades: Vec::new(),
            closed_net: Decimal::ZERO,
            capital,
            curve: Vec::new(),
            daily: Vec::new(),
            last_time: None,
            steps: 0,
            steps_in_market: 0,
            events: 0,
        }
    }

    /// The engine being driven.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Trades closed so far.
    pub fn trades(&self) -> &[TradeRecord] {
        &self.trades
    }

    /// Runs every event and returns the report.
    pub fn run(mut self, events: impl IntoIterator<Item = Event>) -> BacktestReport {
        for e in events {
            self.on_event(e);
        }
        self.finish()
    }

    /// Handles one event: fills resting orders it crosses, then hands it to the engine and
    /// carries out the engine's actions (which may lead to more events: order acknowledgements
    /// and fills).
    pub fn on_event(&mut self, event: Event) {
        self.events += 1;
        let at = event.timestamp();
        let mut queue: VecDeque<Event> = VecDeque::new();
        self.match_orders(&event, &mut queue);
        let is_timer = matches!(event, Event::Timer(_));
        queue.push_back(event);
        while let Some(e) = queue.pop_front() {
            let actions = self.engine.on_event(e);
            self.carry_out(actions, at, &mut queue);
        }
        if is_timer {
            self.step(at);
        }
    }

    fn match_orders(&mut self, event: &Event, queue: &mut VecDeque<Event>) {
        if self.orders.is_empty() {
            return;
        }
        let mut filled: Vec<(String, Decimal, IstTime)> = Vec::new();
        let mut missed: Vec<String> = Vec::new();
        match event {
            Event::OptionChain(chain) => {
                for (tag, o) in &self.orders {
                    if let Some(q) = chain.by_trading_symbol(&o.request.trading_symbol) {
                        match self.fills.against_quote(&o.request, q) {
                            Some(px) => filled.push((tag.clone(), px, chain.timestamp)),
                            None if self.is_exit(tag) => missed.push(tag.clone()),
                            None => {}
                        }
                    }
                }
            }
            Event::OptionQuote(q) => {
                for (tag, o) in &self.orders {
                    if o.request.trading_symbol == q.contract.trading_symbol {
                        match self.fills.against_quote(&o.request, q) {
                            Some(px) => filled.push((tag.clone(), px, q.timestamp)),
                            None if self.is_exit(tag) => missed.push(tag.clone()),
                            None => {}
                        }
                    }
                }
            }
            Event::Candle(c) => {
                for (tag, o) in &self.orders {
                    let ts = &o.request.trading_symbol;
                    if ts == c.symbol.as_str() || ts == c.symbol.name() {
                        if let Some(px) = self.fills.against_candle(&o.request, c) {
                            filled.push((tag.clone(), px, c.timestamp));
                        }
                    }
                }
            }
            _ => {}
        }
        // An exit is a marketable limit: one that misses the next quote of its contract is
        // cancelled (immediate-or-cancel), and the engine places a new one at the new bid.
        let at = event.timestamp();
        for tag in missed {
            if let Some(order) = self.orders.remove(&tag) {
                self.pending_purpose.remove(&tag);
                queue.push_back(Event::OrderUpdate(OrderUpdate {
                    order_id: order.order_id,
                    tag,
                    status: OrderStatus::Cancelled,
                    filled_quantity: 0,
                    average_price: None,
                    message: Some("exit limit not reached on the next quote".to_string()),
                    timestamp: at,
                }));
            }
        }
        for (tag, price, at) in filled {
            let Some(order) = self.orders.remove(&tag) else {
                continue;
            };
            self.next_trade += 1;
            let r = &order.request;
            let fill = Fill {
                order_id: order.order_id.clone(),
                tag: r.tag.clone(),
                trade_id: format!("BT-T{}", self.next_trade),
                exchange: r.exchange,
                trading_symbol: r.trading_symbol.clone(),
                transaction_type: r.transaction_type,
                quantity: r.quantity,
                price,
                timestamp: at,
            };
            self.on_fill_seen(&fill);
            // The fill first (the engine learns the order's role from its working order),
            // then the broker's completion report.
            queue.push_back(Event::Fill(fill));
            queue.push_back(Event::OrderUpdate(OrderUpdate {
                order_id: order.order_id.clone(),
                tag: r.tag.clone(),
                status: OrderStatus::Complete,
                filled_quantity: r.quantity,
                average_price: Some(price),
                message: None,
                timestamp: at,
            }));
        }
    }

    fn is_exit(&self, tag: &str) -> bool {
        matches!(
            self.pending_purpose.get(tag),
            Some(OrderPurpose::Exit { .. })
        )
    }

    fn on_fill_seen(&mut self, fill: &Fill) {
        let purpose = self.pending_purpose.remove(&fill.tag);
        let trade = match self.open.get_mut(&fill.trading_symbol) {
            Some(t) => t,
            None => {
                let (underlying, strategy, side) = match &purpose {
                    Some(OrderPurpose::Entry { signal, .. }) => {
                        (signal.symbol.clone(), signal.strategy.clone(), signal.side)
                    }
                    // A fill that opens nothing of ours (not an entry order): not a round trip.
                    _ => return,
                };
                self.open
                    .entry(fill.trading_symbol.clone())
                    .or_insert(OpenTrade {
                        underlying,
                        strategy,
                        side,
                        entry_time: None,
                        bought_units: 0,
                        bought_value: Decimal::ZERO,
                        sold_units: 0,
                        sold_value: Decimal::ZERO,
                        entry_units: 0,
                        long: fill.transaction_type == TransactionType::Buy,
                    })
            }
        };
        let value = fill.price * Decimal::from(fill.quantity);
        let opening = (fill.transaction_type == TransactionType::Buy) == trade.long;
        if opening {
            trade.entry_time.get_or_insert(fill.timestamp);
            trade.entry_units += fill.quantity;
        }
        match fill.transaction_type {
            TransactionType::Buy => {
                trade.bought_units += u64::from(fill.quantity);
                trade.bought_value += value;
            }
            TransactionType::Sell => {
                trade.sold_units += u64::from(fill.quantity);
                trade.sold_value += value;
            }
        }
    }

    fn carry_out(&mut self, actions: Vec<Action>, at: IstTime, queue: &mut VecDeque<Event>) {
        for action in actions {
            match action {
                Action::PlaceOrder { request, purpose } => {
                    self.next_order += 1;
                    let order_id = format!("BT-{}", self.next_order);
                    queue.push_back(Event::OrderUpdate(OrderUpdate {
                        order_id: order_id.clone(),
                        tag: request.tag.clone(),
                        status: OrderStatus::Open,
                        filled_quantity: 0,
                        average_price: None,
                        message: None,
                        timestamp: at,
                    }));
                    self.pending_purpose.insert(request.tag.clone(), purpose);
                    self.orders
                        .insert(request.tag.clone(), SimOrder { request, order_id });
                }
                Action::ModifyOrder { tag, price, .. } => {
                    if let Some(o) = self.orders.get_mut(&tag) {
                        o.request.price = Some(price);
                    }
                }
                Action::CancelOrder { order_id, tag, .. } => {
                    if self.orders.remove(&tag).is_some() {
                        self.pending_purpose.remove(&tag);
                        queue.push_back(Event::OrderUpdate(OrderUpdate {
                            order_id,
                            tag,
                            status: OrderStatus::Cancelled,
                            filled_quantity: 0,
                            average_price: None,
                            message: None,
                            timestamp: at,
                        }));
                    }
                }
                Action::Record(Record::PositionClosed {
                    trading_symbol,
                    net_pnl,
                    reason,
                    at,
                    ..
                }) => self.close_trade(trading_symbol, net_pnl, reason, at),
                Action::Record(Record::Signal { .. }) | Action::Alert { .. } => {}
            }
        }
    }

    fn close_trade(&mut self, symbol: String, net_pnl: Decimal, reason: String, at: IstTime) {
        self.closed_net += net_pnl;
        let Some(t) = self.open.remove(&symbol) else {
            return;
        };
        let avg = |value: Decimal, units: u64| {
            if units == 0 {
                Decimal::ZERO
            } else {
                value / Decimal::from(units)
            }
        };
        let (entry_price, exit_price) = if t.long {
            (
                avg(t.bought_value, t.bought_units),
                avg(t.sold_value, t.sold_units),
            )
        } else {
            (
                avg(t.sold_value, t.sold_units),
                avg(t.bought_value, t.bought_units),
            )
        };
        let gross = t.sold_value - t.bought_value;
        self.trades.push(TradeRecord {
            trading_symbol: symbol,
            underlying: t.underlying,
            strategy: t.strategy,
            side: t.side,
            entry_time: t.entry_time.unwrap_or(at),
            exit_time: at,
            quantity: t.entry_units,
            entry_price: entry_price.round_dp(4),
            exit_price: exit_price.round_dp(4),
            gross_pnl: gross,
            charges: gross - net_pnl,
            net_pnl,
            exit_reason: reason,
        });
    }

    /// Equity now: capital + closed trades' net P&L + open positions' net P&L at their marks.
    pub fn equity(&self) -> Decimal {
        let open: Decimal = self
            .engine
            .portfolio()
            .open_positions()
            .map(|p| p.net_pnl())
            .sum();
        self.capital + self.closed_net + open
    }

    fn step(&mut self, at: IstTime) {
        if self.last_time == Some(at) {
            return;
        }
        self.last_time = Some(at);
        self.steps += 1;
        let in_market = self.engine.portfolio().open_positions().next().is_some();
        if in_market {
            self.steps_in_market += 1;
        }
        let equity = if in_market {
            self.equity()
        } else {
            self.capital + self.closed_net
        };
        let date = at.with_timezone(&IST).date_naive();
        match self.daily.last_mut() {
            Some((d, e)) if *d == date => *e = equity,
            _ => self.daily.push((date, equity)),
        }
        let changed = self.curve.last().map_or(true, |p| p.equity != equity);
        if changed {
            self.curve.push(EquityPoint { time: at, equity });
        }
    }

    /// The report: trades, equity curve, metrics and the option source.
    pub fn finish(mut self) -> BacktestReport {
        if let Some(at) = self.last_time {
            if self.curve.last().is_some_and(|p| p.time != at) {
                let equity = self.equity();
                self.curve.push(EquityPoint { time: at, equity });
            }
        }
        let metrics = Metrics::calculate(&MetricsInput {
            trades: &self.trades,
            equity_curve: &self.curve,
            daily_equity: &self.daily,
            starting_capital: self.capital,
            steps: self.steps,
            steps_in_market: self.steps_in_market,
        });
        BacktestReport {
            open_at_end: self.engine.portfolio().open_positions().count(),
            trades: self.trades,
            equity_curve: self.curve,
            daily_equity: self.daily,
            starting_capital: self.capital,
            metrics,
            option_source: self.source,
            events: self.events,
        }
    }
}
