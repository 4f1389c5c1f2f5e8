//! The [`Backtester`]: the engine plus the [`FillModel`], event by event.

use std::collections::{BTreeMap, VecDeque};

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use super::fill_model::{intrinsic_value, EntryOutcome, FillModel, SimOrder};
use super::metrics::MetricsAccumulator;
use super::report::{BacktestReport, EquityPoint, TradeRecord};
use crate::engine::{Action, Engine, Event, OrderPurpose, Record};
use crate::market::{IstDay, IstTime, MarketSession, OptionQuote, OptionType, Symbol, IST};
use crate::order::{Fill, OrderStatus, OrderUpdate, Product, TransactionType};
use crate::sim::replay::OptionSource;
use crate::sim::LazyChain;
use crate::strategy::Side;

/// Settings of the simulated execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BacktestConfig {
    /// Ticks paid beyond the touch on every fill (see [`FillModel`]).
    pub slippage_ticks: u32,
    /// An entry whose touch moved more than this many percent between its decision and the
    /// first quote at or after it is missed (see [`FillModel`]).
    pub entry_tolerance_pct: Decimal,
    /// Where the option prices come from, for the report.
    pub option_source: OptionSource,
}

/// A working order in the simulated book, with when it was decided.
#[derive(Debug, Clone)]
struct Working {
    order: SimOrder,
    /// The engine's clock when it placed the order: the order can only meet quotes stamped
    /// at or after it.
    decided_at: IstTime,
    /// The touch of its contract the decision saw (entries only), rupees.
    reference: Option<Decimal>,
    purpose: OrderPurpose,
}

/// What an entry order carries into the trade it opens.
#[derive(Debug, Clone)]
struct EntryFacts {
    underlying: Symbol,
    strategy: String,
    side: Side,
    decided_at: IstTime,
    product: Product,
    target: Decimal,
    stop: Decimal,
    contract: Option<(NaiveDate, Decimal, OptionType)>,
}

/// Entry facts kept until the position closes.
#[derive(Debug, Clone)]
struct OpenTrade {
    underlying: Symbol,
    strategy: String,
    side: Side,
    signal_time: IstTime,
    entry_time: Option<IstTime>,
    bought_units: u64,
    bought_value: Decimal,
    sold_units: u64,
    sold_value: Decimal,
    entry_units: u32,
    long: bool,
    product: Product,
    initial_stop: Decimal,
    initial_target: Decimal,
    contract: Option<(NaiveDate, Decimal, OptionType)>,
    exit_decided_at: Option<IstTime>,
}

/// Drives an [`Engine`] over events and fills its orders with a [`FillModel`].
///
/// Feed events in time order (as [`ReplayFeed`](crate::sim::replay::ReplayFeed) makes them:
/// every event at the moment its data is known) with [`Backtester::on_event`] (or all at once
/// with [`Backtester::run`]) and call [`Backtester::finish`] for the report.
///
/// - An order is **decided** at the engine's clock when it is placed. It meets the first quote
///   of its contract stamped at or after that moment: the chain the decision was made on when
///   it is that fresh, otherwise the next one. Entries fill (or are missed) and exits fill by
///   the [`FillModel`]'s rules; an order on a stock meets the first candle starting at or
///   after its decision, at the open.
/// - When a session ends (the first event after 15:30 IST, or the end of the data), every
///   option expiring that day still open is **settled at its intrinsic value** against the
///   underlying's last price, and every other MIS position still open is **squared off** at
///   its last available quote (bid less slippage); both count as missed exits.
/// - Fills are fed to the engine as `Fill` then `OrderUpdate` (complete), so the portfolio
///   charges them by its `ChargeSchedule`. Order ids are `BT-<n>` and trade ids `BT-T<n>`,
///   numbered in order, so the run is deterministic.
#[derive(Debug)]
pub struct Backtester {
    engine: Engine,
    model: FillModel,
    source: OptionSource,
    session: MarketSession,
    orders: BTreeMap<String, Working>,
    next_order: u64,
    next_trade: u64,
    open: BTreeMap<String, OpenTrade>,
    /// Entry orders not yet filled, by tag.
    entries_by_tag: BTreeMap<String, EntryFacts>,
    /// When each exit order was decided, by tag.
    exit_decisions: BTreeMap<String, IstTime>,
    /// Last quote seen of each contract we hold or have an order in.
    last_quotes: BTreeMap<String, OptionQuote>,
    /// Last price of each underlying (chain spot or candle close), rupees.
    last_spot: BTreeMap<Symbol, Decimal>,
    /// Reasons that replace the engine's for fills the simulator forced (settlement, square-off).
    forced_reasons: BTreeMap<String, String>,
    trades: Vec<TradeRecord>,
    closed_net: Decimal,
    /// `capital + closed_net`, rupees (the equity when nothing is open).
    closed_equity: Decimal,
    capital: Decimal,
    curve: Vec<EquityPoint>,
    /// Most points kept in `curve` (thinned beyond it); `None` keeps every point.
    curve_limit: Option<usize>,
    /// Every metric, trade by trade and point by point (trades may be drained meanwhile).
    acc: MetricsAccumulator,
    daily: Vec<(NaiveDate, Decimal)>,
    last_time: Option<IstTime>,
    steps: u64,
    steps_in_market: u64,
    events: u64,
    signals: u64,
    rejections: BTreeMap<String, u64>,
    missed_entries: u64,
    missed_exits: u64,
    /// The session (IST date) whose close has been handled, to do it once.
    session_day: Option<NaiveDate>,
    /// The queue of [`Backtester::on_event`], kept between events so it is allocated once.
    queue: VecDeque<Event>,
    /// The IST dates of the equity steps (a cache).
    dates: IstDay,
}

impl Backtester {
    /// A backtester around `engine`; the starting capital is the engine config's
    /// `options_trading.risk_management.capital`.
    pub fn new(engine: Engine, config: BacktestConfig) -> Self {
        let capital = engine.config().options_trading.risk_management.capital;
        Self {
            engine,
            model: FillModel {
                slippage_ticks: config.slippage_ticks,
                entry_tolerance_pct: config.entry_tolerance_pct,
            },
            source: config.option_source,
            session: MarketSession::nse(),
            orders: BTreeMap::new(),
            next_order: 0,
            next_trade: 0,
            open: BTreeMap::new(),
            entries_by_tag: BTreeMap::new(),
            exit_decisions: BTreeMap::new(),
            last_quotes: BTreeMap::new(),
            last_spot: BTreeMap::new(),
            forced_reasons: BTreeMap::new(),
            trades: Vec::new(),
            closed_net: Decimal::ZERO,
            closed_equity: capital,
            capital,
            curve: Vec::new(),
            curve_limit: None,
            acc: MetricsAccumulator::new(capital),
            daily: Vec::new(),
            last_time: None,
            steps: 0,
            steps_in_market: 0,
            events: 0,
            signals: 0,
            rejections: BTreeMap::new(),
            missed_entries: 0,
            missed_exits: 0,
            session_day: None,
            queue: VecDeque::new(),
            dates: IstDay::new(),
        }
    }

    /// The engine being driven.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Trades closed so far (and not yet taken by [`Backtester::drain_trades`]).
    pub fn trades(&self) -> &[TradeRecord] {
        &self.trades
    }

    /// Takes the trades closed since the last call, in the order they closed, so a long run
    /// can hand them on (e.g. to a file) instead of holding them all. The metrics still count
    /// every trade; the report's `trades` lists only those never drained.
    pub fn drain_trades(&mut self) -> std::vec::Drain<'_, TradeRecord> {
        self.trades.drain(..)
    }

    /// Keeps at most about `points` points (at least 2) of the equity curve: whenever the curve
    /// reaches twice that, every other point is dropped (the last one always stays), so the
    /// curve held stays evenly thinned and its memory bounded however long the run. The
    /// metrics (drawdown included) still see every point. Without this, every point is kept.
    pub fn with_curve_limit(mut self, points: usize) -> Self {
        self.curve_limit = Some(points.max(2));
        self
    }

    /// Appends a point to the equity curve (and the metrics), thinning it past the limit.
    fn push_point(&mut self, point: EquityPoint) {
        self.acc.add_equity(point.equity);
        self.curve.push(point);
        if let Some(limit) = self.curve_limit {
            if self.curve.len() >= 2 * limit {
                let last = self.curve.len() - 1;
                let mut i = 0;
                self.curve.retain(|_| {
                    let keep = i % 2 == 0 || i == last;
                    i += 1;
                    keep
                });
            }
        }
    }

    /// Runs every event and returns the report.
    pub fn run(mut self, events: impl IntoIterator<Item = Event>) -> BacktestReport {
        for e in events {
            self.on_event(e);
        }
        self.finish()
    }

    /// Handles one event: closes the previous session when the event is past it, fills the
    /// resting orders the event's prices meet, then hands it to the engine and carries out the
    /// engine's actions (orders placed now fill at once when the engine's latest chain is
    /// already at or after their decision).
    pub fn on_event(&mut self, event: Event) {
        self.events += 1;
        let at = self.known_at(&event);
        self.close_sessions_before(at);
        let mut queue = std::mem::take(&mut self.queue);
        self.observe(&event);
        self.match_orders(&event, &mut queue);
        if let Event::Candle(c) = &event {
            // Fills at the bar's open first, so a position opened there is held through the
            // rest of the bar, then the bar's range against the stop and target.
            self.drain(&mut queue, at);
            self.intra_bar_exit(c, at, &mut queue);
        }
        let is_timer = matches!(event, Event::Timer(_));
        if queue.is_empty() {
            // Nothing ahead of it (the usual case): handled at once, as `drain` would, without
            // copying the event into the queue and out again.
            self.handle(event, at, &mut queue);
        } else {
            queue.push_back(event);
        }
        self.drain(&mut queue, at);
        self.queue = queue;
        if is_timer {
            self.step(at);
        }
    }

    /// When the event's data is known: a candle at its end, anything else at its timestamp.
    fn known_at(&self, event: &Event) -> IstTime {
        match event {
            Event::Candle(c) => {
                c.timestamp
                    + Duration::minutes(i64::from(
                        self.engine.config().market_data_runner.candle_minutes,
                    ))
            }
            other => other.timestamp(),
        }
    }

    fn drain(&mut self, queue: &mut VecDeque<Event>, at: IstTime) {
        while let Some(e) = queue.pop_front() {
            self.handle(e, at, queue);
        }
    }

    /// Hands one event to the engine and carries out its actions (new events go to `queue`).
    fn handle(&mut self, e: Event, at: IstTime, queue: &mut VecDeque<Event>) {
        if let Event::Fill(f) = &e {
            self.on_fill_seen(f);
        }
        let actions = self.engine.on_event(e);
        self.carry_out(actions, at, queue);
    }

    /// Remembers the last prices: underlying spots and the quotes of contracts we deal in.
    fn observe(&mut self, event: &Event) {
        match event {
            Event::OptionChain(chain) => {
                self.last_spot.insert(chain.underlying.clone(), chain.spot);
                for q in &chain.quotes {
                    let ts = &q.contract.trading_symbol;
                    if self.open.contains_key(ts) || self.has_order_in(ts) {
                        self.last_quotes.insert(ts.clone(), q.clone());
                    }
                }
            }
            Event::LazyChain(chain) => {
                self.last_spot
                    .insert(chain.underlying().clone(), chain.spot());
                for q in self.dealt_quotes(chain) {
                    self.last_quotes
                        .insert(q.contract.trading_symbol.clone(), q);
                }
            }
            Event::OptionQuote(q) => {
                let ts = &q.contract.trading_symbol;
                if self.open.contains_key(ts) || self.has_order_in(ts) {
                    self.last_quotes.insert(ts.clone(), q.clone());
                }
            }
            Event::Candle(c) => set_spot(&mut self.last_spot, &c.symbol, c.close),
            Event::Quote(q) => set_spot(&mut self.last_spot, &q.symbol, q.ltp),
            _ => {}
        }
    }

    /// The quotes in a lazy chain of the contracts held or with an order in.
    fn dealt_quotes(&self, chain: &LazyChain) -> Vec<OptionQuote> {
        if self.open.is_empty() && self.orders.is_empty() {
            return Vec::new();
        }
        let mut symbols: Vec<&str> = self
            .open
            .keys()
            .map(String::as_str)
            .chain(
                self.orders
                    .values()
                    .map(|w| w.order.request.trading_symbol.as_str()),
            )
            .collect();
        symbols.sort_unstable();
        symbols.dedup();
        symbols
            .into_iter()
            .filter_map(|ts| chain.by_trading_symbol(ts))
            .collect()
    }

    fn has_order_in(&self, trading_symbol: &str) -> bool {
        self.orders
            .values()
            .any(|w| w.order.request.trading_symbol == trading_symbol)
    }

    fn match_orders(&mut self, event: &Event, queue: &mut VecDeque<Event>) {
        if self.orders.is_empty() {
            return;
        }
        let tags: Vec<String> = self.orders.keys().cloned().collect();
        for tag in tags {
            let Some(w) = self.orders.get(&tag) else {
                continue;
            };
            let ts = w.order.request.trading_symbol.as_str();
            let outcome = match event {
                Event::OptionChain(chain) if chain.timestamp >= w.decided_at => chain
                    .by_trading_symbol(ts)
                    .and_then(|q| self.against_quote(w, q)),
                Event::LazyChain(chain) if chain.timestamp() >= w.decided_at => chain
                    .by_trading_symbol(ts)
                    .and_then(|q| self.against_quote(w, &q)),
                Event::OptionQuote(q)
                    if q.timestamp >= w.decided_at && q.contract.trading_symbol == ts =>
                {
                    self.against_quote(w, q)
                }
                Event::Candle(c)
                    if c.timestamp >= w.decided_at
                        && (ts == c.symbol.as_str() || ts == c.symbol.name()) =>
                {
                    let reference = if is_exit(&w.purpose) {
                        None
                    } else {
                        w.reference
                    };
                    let tick = self
                        .engine
                        .portfolio()
                        .position(ts)
                        .map_or(Decimal::new(5, 2), |p| p.meta().tick_size);
                    Some((
                        self.model
                            .against_candle(&w.order.request, reference, c, tick),
                        c.timestamp,
                    ))
                }
                _ => None,
            };
            if let Some((outcome, at)) = outcome {
                self.settle_order(&tag, outcome, at, queue);
            }
        }
    }

    /// The intra-bar rule for a stock traded on candles ([`FillModel::bar_exit`]): a position
    /// held through `bar` whose stop (the one in force at the bar's start) or target lies
    /// inside the bar is closed at that level (or at the open when the bar opened beyond it),
    /// slipped, stamped at the bar's end `at`, with the stop assumed first when both lie inside.
    fn intra_bar_exit(
        &mut self,
        bar: &crate::market::Candle,
        at: IstTime,
        queue: &mut VecDeque<Event>,
    ) {
        let Some(p) = self.engine.portfolio().open_positions().find(|p| {
            !p.meta().exchange.is_derivatives()
                && (p.trading_symbol() == bar.symbol.as_str()
                    || p.trading_symbol() == bar.symbol.name())
        }) else {
            return;
        };
        // Borrowed on this per-bar path; owned only when the bar does close the position.
        let ts = p.trading_symbol();
        let pending_fill = queue
            .iter()
            .any(|e| matches!(e, Event::Fill(f) if f.trading_symbol == ts));
        if pending_fill || self.has_order_in(ts) {
            return;
        }
        let long = p.quantity() > 0;
        let quantity = p.quantity();
        let tick = p.meta().tick_size;
        let target = p.meta().target;
        let stop = self.engine.current_stop(ts);
        let Some(hit) = FillModel::bar_exit(long, stop, target, bar) else {
            return;
        };
        let side = if long {
            TransactionType::Sell
        } else {
            TransactionType::Buy
        };
        let price = self.model.slipped(hit.price, tick, side);
        let (what, level) = match hit.kind {
            super::fill_model::BarExitKind::Stop => ("stop", stop.unwrap_or(hit.price)),
            super::fill_model::BarExitKind::Target => ("target", target.unwrap_or(hit.price)),
        };
        let reason = format!(
            "{what} {level:.2} reached inside the {} bar (low {}, high {}): executed at {:.2}",
            bar.timestamp.format("%H:%M"),
            bar.low,
            bar.high,
            hit.price
        );
        let ts = ts.to_string();
        self.push_forced(&ts, side, quantity, price, at, reason, false, queue);
    }

    /// The outcome of a working order against a quote at or after its decision.
    fn against_quote(&self, w: &Working, q: &OptionQuote) -> Option<(EntryOutcome, IstTime)> {
        let outcome = if is_exit(&w.purpose) {
            EntryOutcome::Filled(self.model.exit_against_quote(&w.order.request, q)?)
        } else {
            self.model
                .entry_against_quote(&w.order.request, w.reference, q)?
        };
        Some((outcome, q.timestamp))
    }

    fn settle_order(
        &mut self,
        tag: &str,
        outcome: EntryOutcome,
        at: IstTime,
        queue: &mut VecDeque<Event>,
    ) {
        let Some(w) = self.orders.remove(tag) else {
            return;
        };
        match outcome {
            EntryOutcome::Filled(price) => self.push_fill(&w.order, price, at, queue),
            EntryOutcome::Missed { reference, touch } => {
                self.missed_entries += 1;
                queue.push_back(Event::OrderUpdate(OrderUpdate {
                    order_id: w.order.order_id,
                    tag: tag.to_string(),
                    status: OrderStatus::Cancelled,
                    filled_quantity: 0,
                    average_price: None,
                    message: Some(format!(
                        "entry missed: the touch moved from {reference} to {touch}, more than {} %",
                        self.model.entry_tolerance_pct
                    )),
                    timestamp: at,
                }));
            }
        }
    }

    fn push_fill(
        &mut self,
        order: &SimOrder,
        price: Decimal,
        at: IstTime,
        queue: &mut VecDeque<Event>,
    ) {
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
        // The fill first (the engine learns the order's role from its working order), then
        // the broker's completion report.
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

    fn on_fill_seen(&mut self, fill: &Fill) {
        let entry = self.entries_by_tag.remove(&fill.tag);
        let trade = match self.open.get_mut(&fill.trading_symbol) {
            Some(t) => t,
            None => {
                // A fill that opens nothing of ours (not an entry order): not a round trip.
                let Some(e) = entry else {
                    return;
                };
                self.open
                    .entry(fill.trading_symbol.clone())
                    .or_insert(OpenTrade {
                        underlying: e.underlying,
                        strategy: e.strategy,
                        side: e.side,
                        signal_time: e.decided_at,
                        entry_time: None,
                        bought_units: 0,
                        bought_value: Decimal::ZERO,
                        sold_units: 0,
                        sold_value: Decimal::ZERO,
                        entry_units: 0,
                        long: fill.transaction_type == TransactionType::Buy,
                        product: e.product,
                        initial_stop: e.stop,
                        initial_target: e.target,
                        contract: e.contract,
                        exit_decided_at: None,
                    })
            }
        };
        let value = fill.price * Decimal::from(fill.quantity);
        let opening = (fill.transaction_type == TransactionType::Buy) == trade.long;
        if opening {
            trade.entry_time.get_or_insert(fill.timestamp);
            trade.entry_units += fill.quantity;
        } else if let Some(d) = self.exit_decisions.remove(&fill.tag) {
            trade.exit_decided_at = Some(d);
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
                    self.place(request, purpose, at, queue);
                }
                Action::ModifyOrder { tag, price, .. } => {
                    if let Some(w) = self.orders.get_mut(&tag) {
                        w.order.request.price = Some(price);
                    }
                }
                Action::ModifyStop {
                    tag,
                    trigger_price,
                    price,
                    quantity,
                    ..
                } => {
                    if let Some(w) = self.orders.get_mut(&tag) {
                        w.order.request.trigger_price = Some(trigger_price);
                        w.order.request.price = Some(price);
                        w.order.request.quantity = quantity;
                    }
                }
                Action::ConvertStopToExit {
                    tag,
                    price,
                    quantity,
                    ..
                } => {
                    if let Some(w) = self.orders.get_mut(&tag) {
                        w.order.request.order_type = crate::order::OrderType::Limit;
                        w.order.request.trigger_price = None;
                        w.order.request.price = Some(price);
                        w.order.request.quantity = quantity;
                    }
                }
                Action::CancelOrder { order_id, tag, .. } => {
                    if let Some(w) = self.orders.remove(&tag) {
                        if !is_exit(&w.purpose) {
                            // An entry the engine gave up on (no quote within its timeout).
                            self.missed_entries += 1;
                            self.entries_by_tag.remove(&tag);
                        }
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
                Action::Record(Record::Signal { rejected, .. }) => {
                    self.signals += 1;
                    if let Some(reason) = rejected {
                        *self.rejections.entry(reason_kind(&reason)).or_insert(0) += 1;
                    }
                }
                Action::Alert { .. } => {}
            }
        }
    }

    fn place(
        &mut self,
        request: crate::order::OrderRequest,
        purpose: OrderPurpose,
        at: IstTime,
        queue: &mut VecDeque<Event>,
    ) {
        self.next_order += 1;
        let order_id = format!("BT-{}", self.next_order);
        let decided_at = self.engine.clock().unwrap_or(at);
        queue.push_back(Event::OrderUpdate(OrderUpdate {
            order_id: order_id.clone(),
            tag: request.tag.clone(),
            status: OrderStatus::Open,
            filled_quantity: 0,
            average_price: None,
            message: None,
            timestamp: decided_at,
        }));
        let ts = request.trading_symbol.clone();
        let underlying = match &purpose {
            OrderPurpose::Entry { signal, .. } => Some(signal.symbol.clone()),
            OrderPurpose::Exit { .. } => self
                .engine
                .portfolio()
                .position(&ts)
                .map(|p| p.underlying().clone()),
        };
        // The quote the decision saw (the engine's latest chain of the underlying).
        let seen = underlying
            .as_ref()
            .and_then(|u| self.engine.chain_quote(u, &ts));
        let reference = match &purpose {
            OrderPurpose::Entry { .. } => seen
                .as_ref()
                .and_then(|q| FillModel::quote_touch(request.transaction_type, q))
                .or_else(|| {
                    // A stock: its price at the decision.
                    (!request.exchange.is_derivatives())
                        .then(|| {
                            underlying
                                .as_ref()
                                .and_then(|u| self.last_spot.get(u).copied())
                        })
                        .flatten()
                })
                .or(request.price),
            OrderPurpose::Exit { .. } => None,
        };
        match &purpose {
            OrderPurpose::Entry {
                signal,
                target,
                stop,
            } => {
                self.entries_by_tag.insert(
                    request.tag.clone(),
                    EntryFacts {
                        underlying: signal.symbol.clone(),
                        strategy: signal.strategy.clone(),
                        side: signal.side,
                        decided_at,
                        product: request.product,
                        target: *target,
                        stop: *stop,
                        contract: seen.as_ref().map(|q| {
                            (q.contract.expiry, q.contract.strike, q.contract.option_type)
                        }),
                    },
                );
            }
            OrderPurpose::Exit { .. } => {
                self.exit_decisions.insert(request.tag.clone(), decided_at);
            }
        }
        let working = Working {
            order: SimOrder { request, order_id },
            decided_at,
            reference,
            purpose,
        };
        let tag = working.order.request.tag.clone();
        // Already a quote at or after the decision (the chain the decision was made on, or a
        // quote of the contract since): fill on the first of them now.
        let first = [seen, self.last_quotes.get(&ts).cloned()]
            .into_iter()
            .flatten()
            .filter(|q| q.timestamp >= decided_at)
            .min_by_key(|q| q.timestamp);
        let outcome = first.and_then(|q| self.against_quote(&working, &q));
        self.orders.insert(tag.clone(), working);
        if let Some((outcome, fill_at)) = outcome {
            self.settle_order(&tag, outcome, fill_at, queue);
        }
    }

    fn close_trade(&mut self, symbol: String, net_pnl: Decimal, reason: String, at: IstTime) {
        self.closed_net += net_pnl;
        self.closed_equity = self.capital + self.closed_net;
        let reason = self.forced_reasons.remove(&symbol).unwrap_or(reason);
        self.last_quotes.remove(&symbol);
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
        let (expiry, strike, option_type) = match t.contract {
            Some((e, k, o)) => (Some(e), Some(k), Some(o)),
            None => (None, None, None),
        };
        let record = TradeRecord {
            trading_symbol: symbol,
            underlying: t.underlying,
            strategy: t.strategy,
            side: t.side,
            order_side: if t.long {
                TransactionType::Buy
            } else {
                TransactionType::Sell
            },
            signal_time: t.signal_time,
            entry_time: t.entry_time.unwrap_or(at),
            exit_decided_at: t.exit_decided_at.unwrap_or(at),
            exit_time: at,
            quantity: t.entry_units,
            entry_price: entry_price.round_dp(4),
            exit_price: exit_price.round_dp(4),
            initial_stop: t.initial_stop,
            initial_target: t.initial_target,
            expiry,
            strike,
            option_type,
            product: t.product,
            gross_pnl: gross,
            charges: gross - net_pnl,
            net_pnl,
            exit_reason: reason,
        };
        self.acc.add_trade(&record);
        self.trades.push(record);
    }

    /// Ends every session that closed before `at`: options expiring that day are settled at
    /// intrinsic value, other MIS positions are squared off at their last quote.
    fn close_sessions_before(&mut self, at: IstTime) {
        let Some(prev) = self.engine.clock() else {
            return;
        };
        let close = self.session.close_on(prev);
        if at <= close {
            return;
        }
        let day = close.with_timezone(&IST).date_naive();
        if self.session_day == Some(day) {
            return;
        }
        self.session_day = Some(day);
        self.force_flat(close, day);
    }

    /// Forces every position that may not outlive the session of `day` (closing at `close`)
    /// flat.
    fn force_flat(&mut self, close: IstTime, day: NaiveDate) {
        let mut queue = VecDeque::new();
        let positions: Vec<(String, i64, Symbol, Option<NaiveDate>, Decimal)> = self
            .engine
            .portfolio()
            .open_positions()
            .map(|p| {
                (
                    p.trading_symbol().to_string(),
                    p.quantity(),
                    p.underlying().clone(),
                    p.meta().expiry,
                    p.meta().tick_size,
                )
            })
            .collect();
        for (ts, qty, underlying, expiry, tick) in positions {
            let product = self.open.get(&ts).map(|t| t.product);
            let contract = self.open.get(&ts).and_then(|t| t.contract);
            let side = if qty > 0 {
                TransactionType::Sell
            } else {
                TransactionType::Buy
            };
            let (price, reason) = match (expiry, contract) {
                (Some(e), Some((_, strike, option_type))) if e <= day => {
                    let Some(spot) = self.last_spot.get(&underlying).copied() else {
                        continue;
                    };
                    let value = intrinsic_value(option_type, strike, spot);
                    (
                        value,
                        format!(
                            "expired {e}: settled at intrinsic value {value:.2} (underlying {spot})"
                        ),
                    )
                }
                _ if product == Some(Product::Mis) => {
                    let Some(q) = self.last_quotes.get(&ts) else {
                        // A stock: its last price.
                        let Some(px) = self.last_spot.get(&underlying).copied() else {
                            continue;
                        };
                        let price = self.model.slipped(px, tick, side);
                        let reason = format!(
                            "MIS square-off forced at the close: no fill before it, last price {px}"
                        );
                        self.push_forced(&ts, side, qty, price, close, reason, true, &mut queue);
                        continue;
                    };
                    let Some(touch) = FillModel::quote_touch(side, q) else {
                        continue;
                    };
                    let price = self.model.slipped(touch, tick, side);
                    (
                        price,
                        format!(
                            "MIS square-off forced at the close: no fill before it, last quote {} at {}",
                            touch,
                            q.timestamp.format("%H:%M:%S")
                        ),
                    )
                }
                _ => continue,
            };
            self.push_forced(&ts, side, qty, price, close, reason, true, &mut queue);
        }
        self.drain(&mut queue, close);
    }

    /// Closes `trading_symbol` at `price`: through its working exit order when there is one,
    /// else with a fill of the simulator's own (`BT-FORCED-<n>`); `missed` counts it as an
    /// exit that met no quote.
    #[allow(clippy::too_many_arguments)]
    fn push_forced(
        &mut self,
        trading_symbol: &str,
        side: TransactionType,
        quantity: i64,
        price: Decimal,
        at: IstTime,
        reason: String,
        missed: bool,
        queue: &mut VecDeque<Event>,
    ) {
        if missed {
            self.missed_exits += 1;
        }
        self.forced_reasons
            .insert(trading_symbol.to_string(), reason);
        let working: Option<String> = self
            .orders
            .iter()
            .find(|(_, w)| w.order.request.trading_symbol == trading_symbol && is_exit(&w.purpose))
            .map(|(t, _)| t.clone());
        if let Some(tag) = working {
            if let Some(w) = self.orders.remove(&tag) {
                let mut order = w.order;
                order.request.quantity = u32::try_from(quantity.unsigned_abs()).unwrap_or(0);
                self.push_fill(&order, price, at, queue);
                return;
            }
        }
        let Ok(units) = u32::try_from(quantity.unsigned_abs()) else {
            return;
        };
        let Some(position) = self.engine.portfolio().position(trading_symbol) else {
            return;
        };
        self.next_order += 1;
        let order = SimOrder {
            request: crate::order::OrderRequest {
                tag: format!("BT-FORCED-{}", self.next_order),
                exchange: position.meta().exchange,
                trading_symbol: trading_symbol.to_string(),
                transaction_type: side,
                order_type: crate::order::OrderType::Market,
                quantity: units,
                price: None,
                trigger_price: None,
                product: Product::Mis,
                validity: crate::order::Validity::Day,
            },
            order_id: format!("BT-{}", self.next_order),
        };
        self.push_fill(&order, price, at, queue);
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
        // One pass over the open positions: whether there is one, and their net P&L.
        let open = self
            .engine
            .portfolio()
            .open_positions()
            .map(|p| p.net_pnl())
            .reduce(|a, b| a + b);
        if open.is_some() {
            self.steps_in_market += 1;
        }
        // The same sum as `equity` (which starts the positions' sum from zero).
        let equity = open.map_or(self.closed_equity, |o| {
            self.closed_equity + (Decimal::ZERO + o)
        });
        let date = self.dates.date(at);
        match self.daily.last_mut() {
            Some((d, e)) if *d == date => *e = equity,
            _ => self.daily.push((date, equity)),
        }
        let changed = self.curve.last().is_none_or(|p| p.equity != equity);
        if changed {
            self.push_point(EquityPoint { time: at, equity });
        }
    }

    /// The report: trades, equity curve, metrics and the counts of what did not happen.
    ///
    /// The last session is closed first (expiring options settled, MIS positions squared
    /// off); positions allowed to stay open (NRML options before their expiry, delivery
    /// stock) are counted in `open_at_end`.
    pub fn finish(mut self) -> BacktestReport {
        if let Some(now) = self.engine.clock() {
            let close = self.session.close_on(now);
            let day = close.with_timezone(&IST).date_naive();
            if self.session_day != Some(day) {
                self.session_day = Some(day);
                let before = self.acc.trade_count();
                self.force_flat(close.max(now), day);
                // The forced closes change equity: record it at the close.
                if self.acc.trade_count() != before && self.last_time.is_some() {
                    self.step(close.max(now));
                }
            }
        }
        if let Some(at) = self.last_time {
            if self.curve.last().is_some_and(|p| p.time != at) {
                let equity = self.equity();
                self.push_point(EquityPoint { time: at, equity });
            }
        }
        let metrics = self
            .acc
            .finish(&self.daily, self.capital, self.steps, self.steps_in_market);
        let still_working_exits =
            self.orders.values().filter(|w| is_exit(&w.purpose)).count() as u64;
        BacktestReport {
            open_at_end: self.engine.portfolio().open_positions().count(),
            trades: self.trades,
            equity_curve: self.curve,
            daily_equity: self.daily,
            starting_capital: self.capital,
            metrics,
            option_source: self.source,
            events: self.events,
            signals: self.signals,
            rejections: self.rejections,
            missed_entries: self.missed_entries,
            missed_exits: self.missed_exits + still_working_exits,
        }
    }
}

/// Sets the last price of `symbol` (rupees), cloning its name only the first time.
fn set_spot(spots: &mut BTreeMap<Symbol, Decimal>, symbol: &Symbol, price: Decimal) {
    match spots.get_mut(symbol) {
        Some(spot) => *spot = price,
        None => {
            spots.insert(symbol.clone(), price);
        }
    }
}

fn is_exit(purpose: &OrderPurpose) -> bool {
    matches!(purpose, OrderPurpose::Exit { .. })
}

/// A rejection reason with its numbers taken out, so like rejections count together
/// (`the NIFTY chain is 360 s old (max 30 s)` → `the NIFTY chain is # s old (max # s)`).
pub fn reason_kind(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut in_number = false;
    for c in reason.chars() {
        let numeric = c.is_ascii_digit() || (in_number && (c == '.' || c == ','));
        if numeric {
            if !in_number {
                out.push('#');
                in_number = true;
            }
        } else {
            in_number = false;
            out.push(c);
        }
    }
    // A trailing separator taken into a number (`100.` at the end of a sentence) is lost;
    // the kind stays readable.
    out
}
