//! The [`Engine`]: the composition of strategies, signal processing, risk and portfolio behind
//! one `on_event` call.
//!
//! What it does with each event:
//! - **Quote** (an underlying): builds candles; a completed candle runs the strategies.
//! - **Candle**: runs the strategies of its symbol, aggregates their signals into one decision,
//!   and sends the decision through the [`SignalProcessor`]: an order, or a recorded rejection.
//!   Signals of strategy instances with `instrument: underlying` are aggregated apart from the
//!   option strategies' and trade the stock itself ([`crate::signal::process_underlying`]): long
//!   on BUY, short on SELL, an opposite signal closing and reversing the position (`flip`).
//! - **Quote / Candle of a stock traded itself**: marks its position at the price and
//!   evaluates its exits (target, stop, trailing stop, square-off) before the strategies run.
//! - **OptionChain / OptionQuote**: keeps the latest chain per underlying, marks open positions,
//!   and evaluates their exit rules (target, stop, trailing stop, time exits, kill switch).
//! - **OrderUpdate / Fill**: tracks orders by tag, applies fills to the portfolio once (a fill seen
//!   twice is ignored), records closed positions, and re-checks the daily loss limit.
//! - **Funds**: remembers the cash available for sizing.
//! - **OrderOutcomeUnknown**: blocks new entries in that underlying until an update with that tag
//!   arrives.
//! - **Timer**: closes candles at their end, cancels entries unfilled after
//!   `entry_timeout_seconds`, and runs the time-based exits.
//! - **Shutdown**: no new entries from then on; with `flatten`, exits every open position.
//!
//! Exits are marketable limit orders: the bid (the last price when no bid) less
//! `limit_buffer_ticks` ticks, rounded down to the tick and never below one tick. At most one exit
//! order per position is working at a time.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use rust_decimal::Decimal;

use super::{
    Action, AlertLevel, Event, OrderPurpose, OrderRole, OrderTracker, Record, TagGenerator,
};
use crate::config::Config;
use crate::config::TradeInstrument;
use crate::market::{
    Candle, CandleBuilder, IstTime, MarketSession, OptionChain, OptionQuote, Symbol,
};
use crate::options::pricing::OptionsPricingEngine;
use crate::options::{round_down_to_tick, CorrelationTable, StrikeSelector};
use crate::order::{
    Fill, OrderRequest, OrderStatus, OrderType, OrderUpdate, TransactionType, Validity,
};
use crate::portfolio::{ExitRules, Portfolio, PositionMeta};
use crate::risk::{RiskBook, RiskManager};
use crate::signal::{
    equity_trading_symbol, process_underlying, ProcessContext, SignalProcessor, UnderlyingContext,
    ValidationContext,
};
use crate::strategy::{aggregate, MarketInput, Side, Signal, Strategy, StrategyManager};

/// Why an engine could not be built from a config.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The config is not usable (each problem with its key path).
    #[error("invalid config: {0}")]
    Config(String),
}

/// An open or opening position's link back to its entry signal.
#[derive(Debug, Clone, PartialEq)]
struct EntryLink {
    underlying: Symbol,
    side: Side,
}

/// The trading engine. Feed it [`Event`]s in time order; carry out the [`Action`]s it returns.
#[derive(Debug)]
pub struct Engine {
    config: Config,
    session: MarketSession,
    candle_minutes: u32,
    builders: BTreeMap<Symbol, CandleBuilder>,
    strategies: StrategyManager,
    chains: BTreeMap<Symbol, OptionChain>,
    processor: SignalProcessor,
    risk: RiskManager,
    portfolio: Portfolio,
    exits: ExitRules,
    /// The exit rules of stocks traded themselves (without square-off when so configured).
    stock_exits: ExitRules,
    orders: OrderTracker,
    tags: TagGenerator,
    links: BTreeMap<String, EntryLink>,
    funds: Option<Decimal>,
    blocked: BTreeMap<Symbol, String>,
    no_new_entries: bool,
    flatten_all: bool,
    now: Option<IstTime>,
    /// Strategy instances configured with `instrument: underlying`, with their `flip`.
    underlying_instances: BTreeMap<String, bool>,
    /// Symbols traded themselves, with the trading symbol of their position.
    traded_underlyings: BTreeMap<Symbol, Arc<str>>,
}

impl Engine {
    /// Builds an engine from a config. The config should have passed
    /// [`Config::validate`]; strategies that cannot be built are reported here too.
    pub fn new(config: &Config) -> Result<Engine, EngineError> {
        let problems = config.validate();
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            return Err(EngineError::Config(text.join("; ")));
        }
        let strategies =
            StrategyManager::from_config(config).map_err(|e| EngineError::Config(e.to_string()))?;
        let session = MarketSession::nse();
        let trading = &config.options_trading;
        let mut underlying_instances = BTreeMap::new();
        let mut traded_underlyings = BTreeMap::new();
        for (name, s) in config.strategies.iter().filter(|(_, s)| s.enabled) {
            if s.instrument == TradeInstrument::Underlying {
                underlying_instances.insert(name.clone(), s.flip);
                for sym in &s.symbols {
                    traded_underlyings.insert(sym.clone(), Arc::from(equity_trading_symbol(sym)));
                }
            }
        }
        let processor = SignalProcessor {
            entry: trading.entry.clone(),
            selector: StrikeSelector::new(config.options_data_runner.strike_selection.clone()),
            pricing: OptionsPricingEngine::new(CorrelationTable::default()),
            method: trading.target_calculation_method,
            rate: trading.risk_free_rate,
        };
        Ok(Engine {
            config: config.clone(),
            session,
            candle_minutes: config.market_data_runner.candle_minutes,
            builders: BTreeMap::new(),
            strategies,
            chains: BTreeMap::new(),
            processor,
            risk: RiskManager::new(trading.risk_management.clone()),
            portfolio: Portfolio::new(trading.charges.clone())
                .with_cash_charges(trading.underlying.charges.clone()),
            exits: ExitRules::new(trading.exits.clone(), session),
            stock_exits: if trading.underlying.square_off {
                ExitRules::new(trading.exits.clone(), session)
            } else {
                ExitRules::new(trading.exits.clone(), session).without_square_off()
            },
            orders: OrderTracker::new(),
            tags: TagGenerator::new(),
            links: BTreeMap::new(),
            funds: None,
            blocked: BTreeMap::new(),
            no_new_entries: false,
            flatten_all: false,
            now: None,
            underlying_instances,
            traded_underlyings,
        })
    }

    /// Replaces the learned option/underlying multipliers the `historical_correlation` method
    /// uses.
    pub fn set_correlations(&mut self, table: CorrelationTable) {
        self.processor.pricing = OptionsPricingEngine::new(table);
    }

    /// The engine's market clock: the latest timestamp of a market event (quote, candle, chain,
    /// timer) seen so far. Broker reports never move it.
    pub fn clock(&self) -> Option<IstTime> {
        self.now
    }

    /// The config the engine runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The portfolio: positions, fills, P&L.
    pub fn portfolio(&self) -> &Portfolio {
        &self.portfolio
    }

    /// The stop in force for an open position at its last mark: the initial stop, or the
    /// trailed one once the trailing rule has moved it (rupees).
    pub fn current_stop(&self, trading_symbol: &str) -> Option<Decimal> {
        let position = self.portfolio.position(trading_symbol)?;
        let premium = position.last_price()?;
        self.exits.current_stop(position, premium)
    }

    /// The orders placed and not yet finished.
    pub fn working_orders(&self) -> &OrderTracker {
        &self.orders
    }

    /// Underlyings blocked by an order whose outcome is unknown, with that order's tag.
    pub fn blocked_underlyings(&self) -> &BTreeMap<Symbol, String> {
        &self.blocked
    }

    /// True when the kill switch is on at `now`.
    pub fn kill_switch_on(&self, now: IstTime) -> bool {
        self.risk.is_kill_switch_on(now)
    }

    /// The underlyings the strategies watch.
    pub fn symbols(&self) -> Vec<Symbol> {
        self.strategies.symbols().cloned().collect()
    }

    /// Adds a strategy of the caller's own on `symbol` (see [`StrategyManager::add`]).
    pub fn add_strategy(&mut self, symbol: Symbol, strategy: Box<dyn Strategy>) {
        self.strategies.add(symbol, strategy);
    }

    /// The latest option chain of an underlying.
    pub fn chain(&self, underlying: &Symbol) -> Option<&OptionChain> {
        self.chains.get(underlying)
    }

    /// After a restart: makes new tags follow the highest of `existing_tags` (from the journal
    /// and the broker's order book), so no tag is ever reused.
    pub fn resume_tags<'a>(&mut self, existing_tags: impl IntoIterator<Item = &'a str>) {
        self.tags.resume_after(existing_tags);
    }

    /// After a restart: adopts an order placed before the restart (found in the journal and
    /// the broker's order book), so it is tracked, not placed again.
    pub fn adopt_order(
        &mut self,
        request: OrderRequest,
        purpose: OrderPurpose,
        placed_at: IstTime,
    ) {
        let role = role_of(&purpose);
        if let OrderPurpose::Entry {
            signal,
            target,
            stop,
        } = &purpose
        {
            self.register_entry(&request, signal, *target, *stop);
        }
        self.orders.insert(request, role, placed_at);
    }

    /// After a restart: registers an instrument the journal has fills for, with the direction
    /// of the signal that opened it, so replayed [`Event::Fill`]s rebuild the position (target
    /// and stop included) before live events resume.
    pub fn restore_instrument(&mut self, meta: PositionMeta, side: Side) {
        self.links.insert(
            meta.trading_symbol.clone(),
            EntryLink {
                underlying: meta.underlying.clone(),
                side,
            },
        );
        self.portfolio.register(meta);
    }

    /// Consumes one event and returns what to do about it, in order.
    pub fn on_event(&mut self, event: Event) -> Vec<Action> {
        // A completed candle is known at its end, not its start.
        let at = match &event {
            Event::Candle(c) => c.timestamp + Duration::minutes(i64::from(self.candle_minutes)),
            other => other.timestamp(),
        };
        // The market drives the clock: quotes, candles, chains and timer ticks advance it
        // (never backwards). Broker reports (fills, order updates, funds) are applied at the
        // current market time, so a broker stamping in the future (or the past) cannot make
        // signals look stale or time exits fire early.
        let market_event = !matches!(
            event,
            Event::OrderUpdate(_)
                | Event::Fill(_)
                | Event::Funds { .. }
                | Event::OrderOutcomeUnknown { .. }
        );
        let now = match self.now {
            Some(prev) if prev >= at || !market_event => prev,
            _ => at,
        };
        if self.now != Some(now) {
            self.portfolio.roll_day(now);
        }
        self.now = Some(now);
        let mut out = Vec::new();
        match event {
            Event::Quote(quote) => {
                if let Err(e) = quote.validate() {
                    out.push(alert(AlertLevel::Warning, format!("quote ignored: {e}")));
                    return out;
                }
                if self.traded_underlyings.contains_key(&quote.symbol) {
                    let bid = match quote.bid {
                        Some(b) if b > Decimal::ZERO => b,
                        _ => quote.ltp,
                    };
                    self.on_underlying_price(
                        &quote.symbol,
                        quote.ltp,
                        Some(bid),
                        quote.ask,
                        now,
                        &mut out,
                    );
                }
                let finished = match self.builder(&quote.symbol) {
                    Some(b) => b.on_quote(&quote),
                    None => Ok(None),
                };
                match finished {
                    Ok(Some(candle)) => self.on_candle(candle, now, &mut out),
                    Ok(None) => {}
                    Err(e) => out.push(alert(AlertLevel::Warning, format!("quote ignored: {e}"))),
                }
            }
            Event::Candle(candle) => {
                let end = candle.timestamp + Duration::minutes(i64::from(self.candle_minutes));
                self.on_candle(candle, now.max(end), &mut out);
            }
            Event::OptionChain(chain) => {
                let quotes: Vec<OptionQuote> = chain
                    .quotes
                    .iter()
                    .filter(|q| {
                        self.portfolio
                            .position(&q.contract.trading_symbol)
                            .is_some_and(|p| p.is_open())
                    })
                    .cloned()
                    .collect();
                self.chains.insert(chain.underlying.clone(), chain);
                for q in quotes {
                    self.on_option_quote(&q, now, &mut out);
                }
            }
            Event::OptionQuote(q) => self.on_option_quote(&q, now, &mut out),
            Event::OrderUpdate(update) => self.on_order_update(&update, &mut out),
            Event::Fill(fill) => self.on_fill(&fill, now, &mut out),
            Event::Funds { available, .. } => self.funds = Some(available),
            Event::OrderOutcomeUnknown { tag, .. } => {
                let underlying = self.orders.get(&tag).and_then(|o| match &o.role {
                    OrderRole::Entry { underlying, .. } => Some(underlying.clone()),
                    OrderRole::Exit { .. } => self
                        .links
                        .get(&o.request.trading_symbol)
                        .map(|l| l.underlying.clone()),
                });
                match underlying {
                    Some(u) => {
                        out.push(alert(
                            AlertLevel::Critical,
                            format!("order {tag} outcome unknown: no new entries in {u} until it is resolved"),
                        ));
                        self.blocked.insert(u, tag);
                    }
                    None => out.push(alert(
                        AlertLevel::Critical,
                        format!("order {tag} outcome unknown (not an order of this engine)"),
                    )),
                }
            }
            Event::Timer(t) => self.on_timer(t.max(now), &mut out),
            Event::Shutdown { flatten, .. } => {
                self.no_new_entries = true;
                out.push(alert(
                    AlertLevel::Info,
                    if flatten {
                        "shutdown: no new entries; closing every open position".to_string()
                    } else {
                        "shutdown: no new entries; open positions stay open".to_string()
                    },
                ));
                if flatten {
                    self.flatten_all = true;
                    self.exit_everything(now, &mut out);
                }
            }
        }
        out
    }

    fn builder(&mut self, symbol: &Symbol) -> Option<&mut CandleBuilder> {
        if !self.builders.contains_key(symbol) {
            if !self.strategies.watches(symbol) {
                return None;
            }
            let b = CandleBuilder::new(symbol.clone(), self.candle_minutes, self.session).ok()?;
            self.builders.insert(symbol.clone(), b);
        }
        self.builders.get_mut(symbol)
    }

    fn on_timer(&mut self, now: IstTime, out: &mut Vec<Action>) {
        let finished: Vec<Candle> = self
            .builders
            .values_mut()
            .filter_map(|b| b.on_time(now))
            .collect();
        for candle in finished {
            self.on_candle(candle, now, out);
        }
        let timeout = i64::try_from(self.processor.entry.entry_timeout_seconds).unwrap_or(i64::MAX);
        for order in self.orders.take_timed_out_entries(now, timeout) {
            if let Some(order_id) = order.order_id {
                out.push(Action::CancelOrder {
                    order_id,
                    tag: order.request.tag.clone(),
                    reason: format!("entry not filled within {timeout} s"),
                });
            }
        }
        for order in self.orders.take_stale_exits(now, timeout) {
            self.reprice_exit(order, timeout, out);
        }
        let marks: Vec<(String, Decimal)> = self
            .portfolio
            .open_positions()
            .filter_map(|p| {
                p.last_price()
                    .map(|px| (p.trading_symbol().to_string(), px))
            })
            .collect();
        for (symbol, premium) in marks {
            self.check_exit(&symbol, premium, None, now, out);
        }
    }

    /// Marks the position in a symbol traded itself at `price` and evaluates its exits.
    fn on_underlying_price(
        &mut self,
        symbol: &Symbol,
        price: Decimal,
        bid: Option<Decimal>,
        ask: Option<Decimal>,
        now: IstTime,
        out: &mut Vec<Action>,
    ) {
        let Some(trading_symbol) = self.traded_underlyings.get(symbol) else {
            return;
        };
        let open = self
            .portfolio
            .position(trading_symbol)
            .map(|p| p.quantity());
        let Some(held) = open.filter(|q| *q != 0) else {
            return;
        };
        // A shared name: no allocation on this per-bar path.
        let trading_symbol = Arc::clone(trading_symbol);
        if !self.portfolio.mark(&trading_symbol, price, now) {
            return;
        }
        self.after_mark(now, out);
        // A long exits into the bid, a short into the ask.
        let touch = if held > 0 { bid } else { ask };
        self.check_exit(&trading_symbol, price, touch, now, out);
    }

    /// Warm start: seeds the strategies' indicators with completed `candles` from before the
    /// session (oldest first; the broker's historical candles live, the journal or the data in
    /// paper and replay), so a strategy needing 20 bars can fire on the session's first bar.
    /// Each watched symbol's strategies see the bars as they would live; what they signal on
    /// history is **discarded** (history is not traded), and the engine's clock, portfolio,
    /// orders and candle building are untouched. Returns the candles used (those of watched
    /// symbols).
    pub fn warm_up(&mut self, candles: &[Candle]) -> usize {
        let mut used = 0;
        for candle in candles {
            if !self.strategies.watches(&candle.symbol) {
                continue;
            }
            let _discarded = self.strategies.on_candle(&MarketInput {
                candle,
                chain: None,
            });
            used += 1;
        }
        used
    }

    fn on_candle(&mut self, candle: Candle, now: IstTime, out: &mut Vec<Action>) {
        if !self.traded_underlyings.is_empty() {
            self.on_underlying_price(&candle.symbol, candle.close, None, None, now, out);
        }
        let signals = {
            let chain = self.chains.get(&candle.symbol);
            self.strategies.on_candle(&MarketInput {
                candle: &candle,
                chain,
            })
        };
        if signals.is_empty() {
            return;
        }
        if !self.underlying_instances.is_empty() {
            let (own, options): (Vec<Signal>, Vec<Signal>) = signals
                .into_iter()
                .partition(|s| self.underlying_instances.contains_key(&s.strategy));
            if !own.is_empty() {
                self.decide(own, now, out, true);
            }
            if !options.is_empty() {
                self.decide(options, now, out, false);
            }
            return;
        }
        self.decide(signals, now, out, false);
    }

    /// Aggregates one symbol's signals of one instrument kind and processes the decision.
    fn decide(&mut self, signals: Vec<Signal>, now: IstTime, out: &mut Vec<Action>, own: bool) {
        let min_confidence = self.processor.entry.min_confidence;
        match aggregate(&signals, min_confidence) {
            Some(decision) if own => self.on_underlying_signal(decision, now, out),
            Some(decision) => self.on_signal(decision, now, out),
            None => {
                for s in signals {
                    out.push(Action::Record(Record::Signal {
                        signal: s,
                        rejected: Some(
                            "cancelled by an opposing signal or below min_confidence after aggregation"
                                .to_string(),
                        ),
                    }));
                }
            }
        }
    }

    /// A decision of `instrument: underlying` strategies: trade the stock itself.
    fn on_underlying_signal(&mut self, signal: Signal, now: IstTime, out: &mut Vec<Action>) {
        let trading_symbol = equity_trading_symbol(&signal.symbol).to_string();
        let held = self
            .portfolio
            .position(&trading_symbol)
            .map_or(0, |p| p.quantity());
        let dir = match signal.side {
            Side::Buy => 1,
            Side::Sell => -1,
        };
        let mut book = self.risk_book();
        if held != 0 && held.signum() != dir {
            // The position a flip closes does not count against the new one.
            if let Some(p) = self.portfolio.position(&trading_symbol) {
                if let Some(e) = book.by_underlying.get_mut(&signal.symbol) {
                    e.positions = e.positions.saturating_sub(1);
                    e.exposure -= p.exposure();
                }
            }
        }
        let pending = self
            .orders
            .working_entries()
            .any(|(u, s, _)| u == &signal.symbol && s == signal.side);
        let positioned = held.signum() == dir || pending;
        let flip = signal
            .strategy
            .split('+')
            .all(|name| self.underlying_instances.get(name).copied().unwrap_or(true));
        let kill = self.risk.is_kill_switch_on(now) || self.no_new_entries;
        let ctx = UnderlyingContext {
            validation: ValidationContext {
                now,
                candle_minutes: self.candle_minutes,
                session: self.session,
                holidays: &self.config.market.holidays,
                trading_enabled: self.config.options_trading.enabled,
                kill_switch: kill,
                blocked_by: self.blocked.get(&signal.symbol).map(String::as_str),
                positioned_same_direction: positioned,
            },
            held_quantity: held,
            exit_working: self.orders.has_working_exit(&trading_symbol),
            flip,
            available_funds: self.funds,
            book: &book,
        };
        let tags = &mut self.tags;
        let result = process_underlying(
            &signal,
            &self.processor.entry,
            &self.config.options_trading.underlying,
            &ctx,
            &mut self.risk,
            || tags.next_tag(now),
        );
        let intent = match result {
            Ok(intent) => intent,
            Err(rejection) => {
                out.push(Action::Record(Record::Signal {
                    signal,
                    rejected: Some(rejection.to_string()),
                }));
                return;
            }
        };
        out.push(Action::Record(Record::Signal {
            signal: signal.clone(),
            rejected: None,
        }));
        if let Some(request) = intent.close() {
            let reason = format!("reversed by a {} signal", signal.side);
            self.orders.insert(
                request.clone(),
                OrderRole::Exit {
                    reason: reason.clone(),
                },
                now,
            );
            out.push(Action::PlaceOrder {
                request: request.clone(),
                purpose: OrderPurpose::Exit { reason },
            });
        }
        if let Some((request, _)) = intent.open() {
            let request = request.clone();
            let tick = self.config.options_trading.underlying.tick_size;
            self.register_underlying(&request, &signal, intent.target(), intent.stop(), tick);
            let purpose = OrderPurpose::Entry {
                signal,
                target: intent.target(),
                stop: intent.stop(),
            };
            let role = role_of(&purpose);
            self.orders.insert(request.clone(), role, now);
            out.push(Action::PlaceOrder { request, purpose });
        }
    }

    /// Registers the position a stock entry opens: 1 share per lot, no expiry, the signal's
    /// underlying target and stop.
    fn register_underlying(
        &mut self,
        request: &OrderRequest,
        signal: &Signal,
        target: Decimal,
        stop: Decimal,
        tick: Decimal,
    ) {
        let meta = PositionMeta {
            trading_symbol: request.trading_symbol.clone(),
            exchange: request.exchange,
            underlying: signal.symbol.clone(),
            lot_size: 1,
            tick_size: tick,
            expiry: None,
            target: Some(target),
            stop: Some(stop),
        };
        // An open position (about to be reversed) keeps its levels until the entry fills
        // (see `on_fill`).
        let open = self
            .portfolio
            .position(&request.trading_symbol)
            .is_some_and(|p| p.is_open());
        if !open {
            self.portfolio.register(meta);
        }
        self.links.insert(
            request.trading_symbol.clone(),
            EntryLink {
                underlying: signal.symbol.clone(),
                side: signal.side,
            },
        );
    }

    fn on_signal(&mut self, signal: Signal, now: IstTime, out: &mut Vec<Action>) {
        let book = self.risk_book();
        let positioned = self.positioned(&signal.symbol, signal.side);
        let kill = self.risk.is_kill_switch_on(now) || self.no_new_entries;
        let ctx = ProcessContext {
            validation: ValidationContext {
                now,
                candle_minutes: self.candle_minutes,
                session: self.session,
                holidays: &self.config.market.holidays,
                trading_enabled: self.config.options_trading.enabled,
                kill_switch: kill,
                blocked_by: self.blocked.get(&signal.symbol).map(String::as_str),
                positioned_same_direction: positioned,
            },
            chain: self.chains.get(&signal.symbol),
            available_funds: self.funds,
            book: &book,
        };
        let tags = &mut self.tags;
        let result = self
            .processor
            .process(&signal, &ctx, &mut self.risk, || tags.next_tag(now));
        match result {
            Ok(intent) => {
                let request = intent.request().clone();
                let purpose = OrderPurpose::Entry {
                    signal: signal.clone(),
                    target: intent.target(),
                    stop: intent.stop(),
                };
                self.register_entry(&request, &signal, intent.target(), intent.stop());
                let role = role_of(&purpose);
                self.orders.insert(request.clone(), role, now);
                out.push(Action::Record(Record::Signal {
                    signal,
                    rejected: None,
                }));
                out.push(Action::PlaceOrder { request, purpose });
            }
            Err(rejection) => out.push(Action::Record(Record::Signal {
                signal,
                rejected: Some(rejection.to_string()),
            })),
        }
    }

    fn register_entry(
        &mut self,
        request: &OrderRequest,
        signal: &Signal,
        target: Decimal,
        stop: Decimal,
    ) {
        let chain_quote = self
            .chains
            .get(&signal.symbol)
            .and_then(|c| c.by_trading_symbol(&request.trading_symbol))
            .map(|q| q.contract.clone());
        let (lot_size, tick, expiry) = match chain_quote {
            Some(c) => (c.lot_size, c.tick_size, Some(c.expiry)),
            None => (request.quantity.max(1), Decimal::new(5, 2), None),
        };
        self.portfolio.register(PositionMeta {
            trading_symbol: request.trading_symbol.clone(),
            exchange: request.exchange,
            underlying: signal.symbol.clone(),
            lot_size,
            tick_size: tick,
            expiry,
            target: Some(target),
            stop: Some(stop),
        });
        self.links.insert(
            request.trading_symbol.clone(),
            EntryLink {
                underlying: signal.symbol.clone(),
                side: signal.side,
            },
        );
    }

    /// The portfolio's risk snapshot plus the entries still in flight, which count as positions
    /// with their reserved premium.
    fn risk_book(&self) -> RiskBook {
        let mut book = self.portfolio.risk_book();
        for (underlying, _, order) in self.orders.working_entries() {
            let already_open = self
                .portfolio
                .position(&order.request.trading_symbol)
                .is_some_and(|p| p.is_open());
            if already_open {
                if let Some(e) = book.by_underlying.get_mut(underlying) {
                    e.exposure += order.reserved_premium();
                }
            } else {
                book.add_position(underlying.clone(), order.reserved_premium());
            }
        }
        book
    }

    fn positioned(&self, underlying: &Symbol, side: Side) -> bool {
        let open = self.portfolio.open_positions().any(|p| {
            self.links
                .get(p.trading_symbol())
                .is_some_and(|l| &l.underlying == underlying && l.side == side)
        });
        open || self
            .orders
            .working_entries()
            .any(|(u, s, _)| u == underlying && s == side)
    }

    fn on_option_quote(&mut self, quote: &OptionQuote, now: IstTime, out: &mut Vec<Action>) {
        let symbol = quote.contract.trading_symbol.clone();
        if quote.premium <= Decimal::ZERO {
            return;
        }
        if !self.portfolio.mark_quote(quote) {
            return;
        }
        self.after_mark(now, out);
        self.check_exit(&symbol, quote.premium, quote.bid, now, out);
    }

    fn after_mark(&mut self, now: IstTime, out: &mut Vec<Action>) {
        // The kill switch looks at the day's P&L only; no per-underlying map is needed.
        let day = self.portfolio.day_pnl();
        let book = RiskBook {
            day_realised_pnl: day.realised - day.charges,
            day_unrealised_pnl: day.unrealised,
            ..RiskBook::new()
        };
        if let Some(trip) = self.risk.update(&book, now) {
            out.push(alert(
                AlertLevel::Critical,
                format!("kill switch tripped: {}", trip.reason),
            ));
            if self.risk.should_flatten(now) {
                self.exit_everything(now, out);
            }
        }
    }

    fn check_exit(
        &mut self,
        trading_symbol: &str,
        premium: Decimal,
        bid: Option<Decimal>,
        now: IstTime,
        out: &mut Vec<Action>,
    ) {
        if self.orders.has_working_exit(trading_symbol) {
            return;
        }
        let Some(position) = self.portfolio.position(trading_symbol) else {
            return;
        };
        if !position.is_open() {
            return;
        }
        let flatten = self.flatten_all || self.risk.should_flatten(now);
        let rules = if position.meta().exchange.is_derivatives() {
            &self.exits
        } else {
            &self.stock_exits
        };
        let Some(decision) = rules.evaluate(position, premium, now, flatten) else {
            return;
        };
        let held = position.quantity().unsigned_abs();
        let lot = u64::from(position.meta().lot_size.max(1));
        let mut quantity = u64::from(decision.quantity).min(held);
        quantity -= quantity % lot;
        if quantity == 0 {
            quantity = held;
        }
        let Ok(quantity) = u32::try_from(quantity) else {
            return;
        };
        let tick = position.meta().tick_size;
        let exchange = position.meta().exchange;
        let selling = position.quantity() > 0;
        let price = self.exit_price(premium, bid, tick, selling);
        let reason = decision.reason.to_string();
        let request = OrderRequest {
            tag: self.tags.next_tag(now),
            exchange,
            trading_symbol: trading_symbol.to_string(),
            transaction_type: if selling {
                TransactionType::Sell
            } else {
                TransactionType::Buy
            },
            order_type: OrderType::Limit,
            quantity,
            price: Some(price),
            trigger_price: None,
            product: if exchange.is_derivatives() {
                self.processor.entry.product
            } else {
                self.config.options_trading.underlying.product
            },
            validity: Validity::Day,
        };
        self.orders.insert(
            request.clone(),
            OrderRole::Exit {
                reason: reason.clone(),
            },
            now,
        );
        self.risk.record_order(now);
        out.push(Action::PlaceOrder {
            request,
            purpose: OrderPurpose::Exit { reason },
        });
    }

    /// Moves a resting exit to the current price (bid side) when the market has left it.
    fn reprice_exit(&mut self, order: super::WorkingOrder, waited: i64, out: &mut Vec<Action>) {
        let Some(order_id) = order.order_id.clone() else {
            return;
        };
        let Some(position) = self.portfolio.position(&order.request.trading_symbol) else {
            return;
        };
        let Some(premium) = position.last_price() else {
            return;
        };
        let tick = position.meta().tick_size;
        let selling = order.request.transaction_type == TransactionType::Sell;
        let price = self.exit_price(premium, None, tick, selling);
        if order.request.price == Some(price) {
            return;
        }
        let old = order
            .request
            .price
            .map_or_else(|| "market".to_string(), |p| p.to_string());
        self.orders.set_price(&order.request.tag, price);
        out.push(Action::ModifyOrder {
            order_id,
            tag: order.request.tag.clone(),
            price,
            reason: format!("exit not filled within {waited} s: re-priced from {old} to {price}"),
        });
    }

    /// Bid (or last price) less the buffer, down to the tick, at least one tick; for a buy to
    /// close, last price plus the buffer, up to the tick.
    fn exit_price(
        &self,
        premium: Decimal,
        bid: Option<Decimal>,
        tick: Decimal,
        selling: bool,
    ) -> Decimal {
        let buffer = tick * Decimal::from(self.processor.entry.limit_buffer_ticks);
        if selling {
            let base = bid.filter(|b| *b > Decimal::ZERO).unwrap_or(premium);
            round_down_to_tick(base - buffer, tick)
                .unwrap_or(tick)
                .max(tick)
        } else {
            crate::options::round_up_to_tick(premium + buffer, tick).unwrap_or(premium)
        }
    }

    fn exit_everything(&mut self, now: IstTime, out: &mut Vec<Action>) {
        let marks: Vec<(String, Decimal)> = self
            .portfolio
            .open_positions()
            .map(|p| {
                let px = p.last_price().unwrap_or_else(|| p.average_price());
                (p.trading_symbol().to_string(), px)
            })
            .collect();
        for (symbol, premium) in marks {
            self.check_exit(&symbol, premium, None, now, out);
        }
    }

    fn on_order_update(&mut self, update: &OrderUpdate, out: &mut Vec<Action>) {
        if let Some(u) = self
            .blocked
            .iter()
            .find(|(_, tag)| **tag == update.tag)
            .map(|(u, _)| u.clone())
        {
            self.blocked.remove(&u);
            out.push(alert(
                AlertLevel::Info,
                format!(
                    "order {} resolved ({:?}): entries in {u} allowed again",
                    update.tag, update.status
                ),
            ));
        }
        let Some(finished) = self.orders.on_update(update) else {
            return;
        };
        match (update.status, &finished.role) {
            (OrderStatus::Rejected, OrderRole::Exit { reason }) => out.push(alert(
                AlertLevel::Critical,
                format!(
                    "exit order {} for {} ({reason}) rejected: {}; the position is still open",
                    update.tag,
                    finished.request.trading_symbol,
                    update.message.as_deref().unwrap_or("no reason given")
                ),
            )),
            (OrderStatus::Rejected, OrderRole::Entry { .. }) => out.push(alert(
                AlertLevel::Warning,
                format!(
                    "entry order {} for {} rejected: {}",
                    update.tag,
                    finished.request.trading_symbol,
                    update.message.as_deref().unwrap_or("no reason given")
                ),
            )),
            _ => {}
        }
    }

    fn on_fill(&mut self, fill: &Fill, now: IstTime, out: &mut Vec<Action>) {
        let role = self.orders.get(&fill.tag).map(|o| o.role.clone());
        if !self.orders.on_fill(fill) {
            return;
        }
        match self.portfolio.apply_fill(fill) {
            Ok(Some(effect)) => {
                if let Some(OrderRole::Entry { target, stop, .. }) = &role {
                    if !fill.exchange.is_derivatives() && effect.quantity_after != 0 {
                        // A stock position takes its entry's levels once the entry fills (a
                        // reversed one only then has the new direction).
                        self.portfolio
                            .set_levels(&fill.trading_symbol, Some(*target), Some(*stop));
                    }
                }
                if let Some(closed) = effect.closed {
                    let reason = match role {
                        Some(OrderRole::Exit { reason }) => reason,
                        _ => "position closed".to_string(),
                    };
                    out.push(Action::Record(Record::PositionClosed {
                        trading_symbol: closed.trading_symbol,
                        underlying: closed.underlying,
                        net_pnl: closed.net_pnl,
                        reason,
                        at: fill.timestamp,
                    }));
                }
            }
            Ok(None) => {}
            Err(e) => out.push(alert(
                AlertLevel::Critical,
                format!("fill not applied: {e}"),
            )),
        }
        self.after_mark(now, out);
    }
}

fn alert(level: AlertLevel, message: String) -> Action {
    Action::Alert { level, message }
}

/// What a working order is for, from why it was placed.
fn role_of(purpose: &OrderPurpose) -> OrderRole {
    match purpose {
        OrderPurpose::Entry {
            signal,
            target,
            stop,
        } => OrderRole::Entry {
            underlying: signal.symbol.clone(),
            side: signal.side,
            target: *target,
            stop: *stop,
            strategy: signal.strategy.clone(),
        },
        OrderPurpose::Exit { reason } => OrderRole::Exit {
            reason: reason.clone(),
        },
    }
}
