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
//!   arrives; an exit in doubt keeps its position's exit rules evaluated (a critical alert when
//!   one fires), and once refused (never placed) the exit is placed again under a new tag.
//! - **Fill**: applied at most up to its order's quantity and a finished order's filled
//!   quantity; beyond that it is a broker inconsistency (alert, no position change).
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

use super::held_chain::HeldChain;
use super::protect::{self, ProtectiveStopMode, ProtectiveStops};
use super::slicing::freeze_slices;
use super::{
    Action, AlertLevel, Event, FillAdmission, FillLedger, OrderPurpose, OrderRole, OrderTracker,
    Record, TagGenerator,
};
use crate::config::Config;
use crate::config::TradeInstrument;
use crate::market::{
    Candle, CandleBuilder, IstDay, IstTime, MarketSession, OptionChain, OptionQuote, Symbol,
};
use crate::ml::{OptionMoveModel, SignalFilter};
use crate::options::pricing::OptionsPricingEngine;
use crate::options::{round_down_to_tick, CorrelationTable, PremiumBounds, StrikeSelector};
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
///
/// Synchronous and I/O-free: time comes in with the events, orders go out as actions, and the
/// caller's broker answers with [`Event::OrderUpdate`] and [`Event::Fill`]. A whole program
/// that embeds it is `alphastock-core/examples/embed_engine.rs`.
///
/// ```
/// use alphastock_core::config::Config;
/// use alphastock_core::engine::{Action, Engine, Event};
/// use alphastock_core::market::{Quote, Symbol, IST};
/// use chrono::TimeZone;
/// use rust_decimal::Decimal;
///
/// let config = Config::from_yaml_str(
///     "strategies:\n  ema_crossover: { symbols: [NIFTY] }\n",
/// )
/// .unwrap();
/// let mut engine = Engine::new(&config).unwrap();
/// assert_eq!(engine.symbols(), vec![Symbol::parse("NIFTY").unwrap()]);
///
/// // One quote of the underlying at 10:00 IST: a candle is being built, nothing is traded yet.
/// let price = Decimal::from(24_000);
/// let quote = Quote {
///     symbol: Symbol::parse("NIFTY").unwrap(),
///     ltp: price,
///     open: price,
///     high: price,
///     low: price,
///     close: price,
///     volume: 0,
///     bid: None,
///     ask: None,
///     oi: None,
///     timestamp: IST.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
/// };
/// let actions = engine.on_event(Event::Quote(quote));
/// assert!(!actions.iter().any(|a| matches!(a, Action::PlaceOrder { .. })));
/// ```
#[derive(Debug)]
pub struct Engine {
    config: Config,
    session: MarketSession,
    candle_minutes: u32,
    builders: BTreeMap<Symbol, CandleBuilder>,
    strategies: StrategyManager,
    chains: BTreeMap<Symbol, HeldChain>,
    /// What of the option chain passed with each candle the strategies may read.
    strategies_read: ChainReading,
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
    /// Premium (rupees) of option entries placed since the last funds read: the broker's figure
    /// does not reflect them yet, so sizing takes them off it.
    funds_committed: Decimal,
    blocked: BTreeMap<Symbol, String>,
    no_new_entries: bool,
    flatten_all: bool,
    now: Option<IstTime>,
    /// Strategy instances configured with `instrument: underlying`, with their `flip`.
    underlying_instances: BTreeMap<String, bool>,
    /// Symbols traded themselves, with the trading symbol of their position.
    traded_underlyings: BTreeMap<Symbol, Arc<str>>,
    /// Exit tags in doubt whose position's exit rule has fired since (alerted once each).
    doubt_alerted: std::collections::BTreeSet<String>,
    /// Option entries placed by this engine: the pricing method's stop before the percent
    /// bound, by trading symbol, so the bound is re-anchored on the fill price.
    method_stops: BTreeMap<String, Decimal>,
    /// Stop orders resting at the broker (`protective_stop: broker`).
    protect: ProtectiveStops,
    /// Reversal signals waiting for the cancel of the position's stop order, by trading symbol.
    deferred_flips: BTreeMap<String, Signal>,
    /// The learned signal filter (`ml.filter`), when set.
    ml: Option<SignalFilter>,
    /// Scratch list of the open positions' (trading symbol, last price in rupees) checked on
    /// every timer tick; kept between ticks so its strings are allocated once.
    timer_marks: Vec<(String, Decimal)>,
    /// The exit check of a traded stock made on its latest price that decided nothing (trading
    /// symbol, price in rupees, engine time), as long as nothing has happened since: the timer
    /// tick at the same time and price would decide the same, so it skips that check. Cleared
    /// by every event but the timer, by a signal and by every change made from outside.
    quiet_exit: Option<(Arc<str>, Decimal, IstTime)>,
    /// The IST dates of the engine's clock (a cache).
    dates: IstDay,
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
            bounds: PremiumBounds::new(
                trading.risk_management.stop_loss_pct,
                trading.risk_management.profit_target_pct,
            ),
        };
        Ok(Engine {
            config: config.with_market_holidays(),
            session,
            candle_minutes: config.market_data_runner.candle_minutes,
            builders: BTreeMap::new(),
            strategies,
            chains: BTreeMap::new(),
            strategies_read: if config
                .strategies
                .iter()
                .any(|(name, s)| s.enabled && crate::strategy::reads_option_chain(s.kind(name)))
            {
                ChainReading::NearAtm
            } else {
                ChainReading::Nothing
            },
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
            funds_committed: Decimal::ZERO,
            blocked: BTreeMap::new(),
            no_new_entries: false,
            flatten_all: false,
            now: None,
            underlying_instances,
            traded_underlyings,
            doubt_alerted: std::collections::BTreeSet::new(),
            method_stops: BTreeMap::new(),
            protect: ProtectiveStops::new(ProtectiveStopMode::Local),
            deferred_flips: BTreeMap::new(),
            ml: None,
            timer_marks: Vec::new(),
            quiet_exit: None,
            dates: IstDay::new(),
        })
    }

    /// Replaces the learned option/underlying multipliers the `historical_correlation` method
    /// uses.
    pub fn set_correlations(&mut self, table: CorrelationTable) {
        self.processor.pricing.correlations = table;
    }

    /// Sets the learned option-move model the `learned` target method uses
    /// (`ml.option_move_model`).
    pub fn set_option_move_model(&mut self, model: OptionMoveModel) {
        self.processor.pricing.option_move = Some(model);
    }

    /// Puts a learned filter in front of option signals (`ml.filter`): a signal whose win
    /// probability is below its minimum is rejected with that probability.
    pub fn set_signal_filter(&mut self, filter: SignalFilter) {
        self.ml = Some(filter);
    }

    /// The learned filter, when set (a recorder holds the features of every signal seen).
    pub fn signal_filter(&self) -> Option<&SignalFilter> {
        self.ml.as_ref()
    }

    /// Where stops are enforced: at the broker (a resting stop order per open position) or by
    /// the engine alone. [`Engine::new`] starts with [`ProtectiveStopMode::Local`]; the run
    /// command sets `options_trading.protective_stop` (live default `broker`).
    pub fn set_protective_stop(&mut self, mode: ProtectiveStopMode) {
        self.quiet_exit = None;
        self.protect = ProtectiveStops::new(mode);
    }

    /// The protective stop orders resting at the broker.
    pub fn protective_stops(&self) -> &ProtectiveStops {
        &self.protect
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

    /// Orders, fill ledgers and trade ids the engine's order book holds: about two days' worth
    /// however long it runs (see [`OrderTracker::roll_day`](super::orders::OrderTracker::roll_day)).
    pub fn retained_orders(&self) -> usize {
        self.orders.retained() + self.orders.iter().count()
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

    /// The most candles any strategy on `symbol` needs before it can signal (0 when none
    /// watches it): how many completed bars [`Engine::warm_up`] should be given for it.
    pub fn warmup_bars(&self, symbol: &Symbol) -> usize {
        self.strategies.warmup_bars(symbol)
    }

    /// The candle interval the engine builds from quotes, minutes
    /// (`market_data_runner.candle_minutes`).
    pub fn candle_minutes(&self) -> u32 {
        self.candle_minutes
    }

    /// Adds a strategy of the caller's own on `symbol` (see [`StrategyManager::add`]).
    pub fn add_strategy(&mut self, symbol: Symbol, strategy: Box<dyn Strategy>) {
        self.strategies_read = ChainReading::Whole;
        self.strategies.add(symbol, strategy);
    }

    /// The latest option chain of an underlying (a simulated chain received lazily is priced
    /// whole here, once).
    pub fn chain(&self, underlying: &Symbol) -> Option<&OptionChain> {
        self.chains.get(underlying).map(HeldChain::whole)
    }

    /// The quote of the contract `trading_symbol` in the latest chain of `underlying`, when
    /// that chain lists it (a lazy chain prices that contract alone).
    pub fn chain_quote(&self, underlying: &Symbol, trading_symbol: &str) -> Option<OptionQuote> {
        self.chains.get(underlying)?.quote(trading_symbol)
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
        self.quiet_exit = None;
        if self.protect.at_broker()
            && ProtectiveStops::is_stop_request(&request)
            && matches!(purpose, OrderPurpose::Exit { .. })
        {
            // A protective stop placed before the restart: tracked again, never placed twice.
            self.protect.adopt(request, placed_at);
            return;
        }
        if self.protect.at_broker()
            && request.order_type == OrderType::Limit
            && matches!(&purpose, OrderPurpose::Exit { reason }
                if reason.starts_with(protect::PROTECTIVE_STOP_REASON))
        {
            // A stop converted into its position's exit before the restart: the exit, keeping
            // the stop's floor (its limit as converted).
            self.protect.adopt_converted(request.clone(), placed_at);
        }
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
        self.quiet_exit = None;
        self.links.insert(
            meta.trading_symbol.clone(),
            EntryLink {
                underlying: meta.underlying.clone(),
                side,
            },
        );
        self.portfolio.register(meta);
    }

    /// After a restart: remembers an order of today that is no longer working (from the
    /// journal), so its fills, replayed or reported again, are applied at most up to its
    /// quantity and to `final_filled` (units the broker reported filled when it finished).
    pub fn record_order(
        &mut self,
        request: &OrderRequest,
        purpose: &OrderPurpose,
        final_filled: Option<u32>,
    ) {
        self.quiet_exit = None;
        self.orders.record(request, role_of(purpose));
        if let Some(filled) = final_filled {
            self.orders.set_final_filled(&request.tag, filled);
        }
    }

    /// After a restart: puts the kill switch back on when it had tripped earlier in the day
    /// (`at`, IST), so a restart never re-opens trading the day's loss limit closed.
    pub fn restore_kill_switch(&mut self, reason: &str, at: IstTime) {
        self.quiet_exit = None;
        self.risk.trip_kill_switch(reason, at);
    }

    /// Takes the broker's position in an instrument as the truth: the engine's position in
    /// `meta.trading_symbol` becomes `quantity` units (signed: positive long, negative short)
    /// at `price` rupees per unit (the broker's average price), without charges, and is
    /// protected like any position: when `meta` carries no stop (or target), they are set
    /// from `risk_management.stop_loss_pct` (and `profit_target_pct`) of the average price,
    /// rounded to the tick on the safe side. Returns the alert to raise.
    pub fn adopt_position(
        &mut self,
        mut meta: PositionMeta,
        quantity: i64,
        price: Decimal,
        at: IstTime,
    ) -> Vec<Action> {
        self.quiet_exit = None;
        let symbol = meta.trading_symbol.clone();
        let before = self.portfolio.position(&symbol).map_or(0, |p| p.quantity());
        if price <= Decimal::ZERO && quantity != 0 {
            return vec![alert(
                AlertLevel::Critical,
                format!(
                    "broker position {symbol} {quantity} (engine has {before}) not adopted: no usable price ({price})"
                ),
            )];
        }
        let long = quantity > 0;
        if let Some(p) = self
            .portfolio
            .position(&symbol)
            .filter(|p| p.is_open() && (p.quantity() > 0) == long)
        {
            // Same direction: the position keeps its own levels.
            meta.stop = meta.stop.or(p.meta().stop);
            meta.target = meta.target.or(p.meta().target);
        }
        if quantity != 0 {
            let (stop, target) = protective_levels(
                &self.config.options_trading.risk_management,
                price,
                meta.tick_size,
                long,
            );
            meta.stop = meta.stop.or(stop);
            meta.target = meta.target.or(target);
        }
        self.portfolio.register(meta.clone());
        if !meta.exchange.is_derivatives() {
            self.traded_underlyings
                .entry(meta.underlying.clone())
                .or_insert_with(|| Arc::from(symbol.as_str()));
        }
        let side = match (
            long,
            symbol.ends_with("PE") && meta.exchange.is_derivatives(),
        ) {
            (true, false) | (false, true) => Side::Buy,
            _ => Side::Sell,
        };
        self.links.insert(
            symbol.clone(),
            EntryLink {
                underlying: meta.underlying.clone(),
                side,
            },
        );
        self.portfolio.adopt_quantity(&symbol, quantity, price, at);
        let levels = match self.portfolio.position(&symbol).map(|p| p.meta().clone()) {
            Some(m) if quantity != 0 => format!(
                "; protected: stop {}, target {}",
                m.stop.map_or_else(|| "none".to_string(), |d| d.to_string()),
                m.target
                    .map_or_else(|| "none".to_string(), |d| d.to_string())
            ),
            _ => String::new(),
        };
        vec![alert(
            AlertLevel::Critical,
            format!(
                "position {symbol}: broker has {quantity}, engine had {before}; adopted the broker's position at {price}{levels}"
            ),
        )]
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
                | Event::ConversionRefused { .. }
        );
        let now = match self.now {
            Some(prev) if prev >= at || !market_event => prev,
            _ => at,
        };
        if self.now != Some(now) {
            self.portfolio.roll_day(now);
            let later_day = self
                .now
                .is_some_and(|prev| self.dates.date(prev) < self.dates.date(now));
            if later_day {
                self.orders.roll_day();
            }
        }
        self.now = Some(now);
        if !matches!(event, Event::Timer(_)) {
            self.quiet_exit = None;
        }
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
            // `at` is the candle's end (worked out above).
            Event::Candle(candle) => self.on_candle(candle, now.max(at), &mut out),
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
                if let Some(f) = &mut self.ml {
                    f.observe_chain(&chain);
                }
                self.chains
                    .insert(chain.underlying.clone(), HeldChain::Priced(chain));
                for q in quotes {
                    self.on_option_quote(&q, now, &mut out);
                }
            }
            Event::LazyChain(chain) => {
                // The open positions' contracts, in the order of the whole chain.
                let mut quotes: Vec<OptionQuote> = self
                    .portfolio
                    .open_positions()
                    .filter_map(|p| chain.by_trading_symbol(p.trading_symbol()))
                    .collect();
                quotes.sort_by_key(|q| (q.contract.strike, q.contract.option_type));
                let held = HeldChain::lazy(chain);
                if let Some(f) = &mut self.ml {
                    // The filter reads the ATM strike's quotes.
                    f.observe_chain(held.near_atm(self.processor.selector.config.strikes_per_side));
                }
                self.chains.insert(held.underlying().clone(), held);
                for q in quotes {
                    self.on_option_quote(&q, now, &mut out);
                }
            }
            Event::OptionQuote(q) => self.on_option_quote(&q, now, &mut out),
            Event::OrderUpdate(update) => self.on_order_update(&update, &mut out),
            Event::Fill(fill) => self.on_fill(&fill, now, &mut out),
            Event::Funds { available, .. } => {
                self.funds = Some(available);
                self.funds_committed = Decimal::ZERO;
            }
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
                    None if self.protect.by_tag(&tag).is_some() => out.push(alert(
                        AlertLevel::Critical,
                        format!(
                            "protective stop {tag} outcome unknown: no other stop order is placed for its position until it is resolved; the engine keeps watching the stop itself"
                        ),
                    )),
                    None => out.push(alert(
                        AlertLevel::Critical,
                        format!("order {tag} outcome unknown (not an order of this engine)"),
                    )),
                }
            }
            Event::ConversionRefused { tag, message, .. } => {
                self.on_conversion_refused(&tag, &message, &mut out);
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
        // Valid only when nothing at all happens before the checks below.
        let mut quiet = self.quiet_exit.take().filter(|_| finished.is_empty());
        for candle in finished {
            self.on_candle(candle, now, out);
        }
        let timeout = i64::try_from(self.processor.entry.entry_timeout_seconds).unwrap_or(i64::MAX);
        let timed_out = self.orders.take_timed_out_entries(now, timeout);
        let stale = self.orders.take_stale_exits(now, timeout);
        if !timed_out.is_empty() || !stale.is_empty() {
            quiet = None;
        }
        for order in timed_out {
            if let Some(order_id) = order.order_id {
                out.push(Action::CancelOrder {
                    order_id,
                    tag: order.request.tag.clone(),
                    reason: format!("entry not filled within {timeout} s"),
                });
            }
        }
        for order in stale {
            self.reprice_exit(order, timeout, out);
        }
        // The scratch list's strings are overwritten in place: no allocation per tick once
        // it has held as many positions.
        let mut marks = std::mem::take(&mut self.timer_marks);
        let mut count = 0;
        for p in self.portfolio.open_positions() {
            let Some(px) = p.last_price() else {
                continue;
            };
            if count == marks.len() {
                marks.push((String::new(), px));
            }
            if let Some((symbol, premium)) = marks.get_mut(count) {
                symbol.clear();
                symbol.push_str(p.trading_symbol());
                *premium = px;
            }
            count += 1;
        }
        for (symbol, premium) in marks.iter().take(count) {
            let checked = quiet
                .as_ref()
                .is_some_and(|(s, p, t)| **s == **symbol && p == premium && *t == now);
            if !checked {
                self.check_exit(symbol, *premium, None, now, out);
            }
        }
        self.timer_marks = marks;
        self.quiet_exit = None;
        self.protect_positions(now, out);
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
        // Nothing working on the position: an exit check that adds no action decided nothing.
        let unattended = !self.orders.has_working_exit(&trading_symbol)
            && self.protect.get(&trading_symbol).is_none();
        let actions = out.len();
        self.check_exit(&trading_symbol, price, touch, now, out);
        if unattended && out.len() == actions {
            self.quiet_exit = Some((trading_symbol, price, now));
        }
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
        if let Some(f) = &mut self.ml {
            f.observe_candle(&candle);
        }
        if !self.traded_underlyings.is_empty() {
            self.on_underlying_price(&candle.symbol, candle.close, None, None, now, out);
        }
        let signals = {
            let near_atm = self.processor.selector.config.strikes_per_side;
            let chain = self.chains.get(&candle.symbol).and_then(|c| match c {
                HeldChain::Priced(c) => Some(c),
                HeldChain::Lazy { .. } => match self.strategies_read {
                    ChainReading::Nothing => None,
                    ChainReading::NearAtm => Some(c.near_atm(near_atm)),
                    ChainReading::Whole => Some(c.whole()),
                },
            });
            self.strategies.on_candle(&MarketInput {
                candle: &candle,
                chain,
            })
        };
        if signals.is_empty() {
            return;
        }
        self.quiet_exit = None;
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
        if held != 0 && held.signum() != dir && self.protect.get(&trading_symbol).is_some() {
            // A reversal closes the position: its stop order at the broker is cancelled first,
            // and the signal is taken up again once the broker confirms (or the stop filled).
            self.cancel_stop(
                &trading_symbol,
                &format!("reverse first ({} signal)", signal.side),
                out,
            );
            self.deferred_flips.insert(trading_symbol, signal);
            return;
        }
        let mut book = self.risk_book();
        if held != 0 && held.signum() != dir {
            // The position a flip closes does not count against the new one.
            if let Some(p) = self.portfolio.position(&trading_symbol) {
                if let Some(e) = book.by_underlying.get_mut(&signal.symbol) {
                    e.positions = e.positions.saturating_sub(1);
                    e.exposure -= p.exposure();
                    let lot = u64::from(p.meta().lot_size.max(1));
                    e.lots = e
                        .lots
                        .saturating_sub(p.quantity().unsigned_abs().div_ceil(lot));
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
            available_funds: self.funds_for_sizing(),
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
        // No entry that the expiry rules would force straight out (or that is too near its
        // expiry by config).
        let expiry = self.chains.get(&signal.symbol).map(HeldChain::expiry);
        if let Some(block) = expiry.and_then(|e| self.exits.entry_block(e, now)) {
            out.push(Action::Record(Record::Signal {
                signal,
                rejected: Some(block),
            }));
            return;
        }
        if let Some(Err(rejection)) = self.ml.as_mut().map(|f| {
            let near_atm = self.processor.selector.config.strikes_per_side;
            let chain = self
                .chains
                .get(&signal.symbol)
                .map(|c| c.near_atm(near_atm));
            f.check(&signal, chain, now)
        }) {
            out.push(Action::Record(Record::Signal {
                signal,
                rejected: Some(rejection.to_string()),
            }));
            return;
        }
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
            chain: self
                .chains
                .get(&signal.symbol)
                .map(|c| c.near_atm(self.processor.selector.config.strikes_per_side)),
            available_funds: self.funds_for_sizing(),
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
                self.method_stops
                    .insert(request.trading_symbol.clone(), intent.method_stop());
                let role = role_of(&purpose);
                let lot = self
                    .portfolio
                    .position(&request.trading_symbol)
                    .map_or(1, |p| p.meta().lot_size);
                self.funds_committed +=
                    request.price.unwrap_or_default() * Decimal::from(request.quantity);
                let slices = freeze_slices(request, &signal.symbol, lot, now);
                out.push(Action::Record(Record::Signal {
                    signal,
                    rejected: None,
                }));
                for request in slices {
                    self.orders.insert(request.clone(), role.clone(), now);
                    out.push(Action::PlaceOrder {
                        request,
                        purpose: purpose.clone(),
                    });
                }
            }
            Err(rejection) => out.push(Action::Record(Record::Signal {
                signal,
                rejected: Some(rejection.to_string()),
            })),
        }
    }

    /// Funds (rupees) sizing may use: the last funds read less the premium of option entries
    /// placed since, never below zero; `None` before the first read.
    fn funds_for_sizing(&self) -> Option<Decimal> {
        self.funds
            .map(|f| (f - self.funds_committed).max(Decimal::ZERO))
    }

    fn register_entry(
        &mut self,
        request: &OrderRequest,
        signal: &Signal,
        target: Decimal,
        stop: Decimal,
    ) {
        let chain_quote = self
            .chain_quote(&signal.symbol, &request.trading_symbol)
            .map(|q| q.contract);
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
            let lot = self
                .portfolio
                .position(&order.request.trading_symbol)
                .map_or(1, |p| u64::from(p.meta().lot_size.max(1)));
            book.add_lots(underlying, u64::from(order.open_quantity()).div_ceil(lot));
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
            self.check_exit_in_doubt(trading_symbol, premium, now, out);
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
        let whole = u64::from(quantity) == held;
        let tick = position.meta().tick_size;
        let exchange = position.meta().exchange;
        let selling = position.quantity() > 0;
        let underlying = position.meta().underlying.clone();
        let lot = position.meta().lot_size;
        let price = self.exit_price(premium, bid, tick, selling);
        let reason = decision.reason.to_string();
        if let Some(stop) = self.protect.get(trading_symbol) {
            if stop.triggered_at(premium) && !stop.cancel_requested && stop.order_id.is_some() {
                // The broker's own stop is working: give it time to fill.
                let timeout =
                    i64::try_from(self.processor.entry.entry_timeout_seconds).unwrap_or(i64::MAX);
                let since = self.protect.note_hit(trading_symbol, now).unwrap_or(now);
                if (now - since).num_seconds() < timeout {
                    return;
                }
            }
            // The whole position: the stop order itself becomes the exit. Otherwise the
            // broker's stop is cancelled first and the exit goes once that is confirmed.
            let converted = whole
                && self.convert_stop_to_exit(
                    trading_symbol,
                    (quantity, price, selling),
                    (&underlying, lot),
                    &reason,
                    now,
                    out,
                );
            if !converted {
                self.cancel_stop_for_exit(trading_symbol, &reason, now, out);
            }
            return;
        }
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
        for request in freeze_slices(request, &underlying, lot, now) {
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
                purpose: OrderPurpose::Exit {
                    reason: reason.clone(),
                },
            });
        }
    }

    /// While the exit working for `trading_symbol` is in doubt (its placement's outcome is
    /// unknown), the position's exit rules are still evaluated: the first time one fires, a
    /// critical alert says the position is unprotected until the doubt is resolved (the exit is
    /// placed again under a new tag once the broker's order book shows it never arrived).
    fn check_exit_in_doubt(
        &mut self,
        trading_symbol: &str,
        premium: Decimal,
        now: IstTime,
        out: &mut Vec<Action>,
    ) {
        let in_doubt = self.orders.iter().find(|o| {
            matches!(o.role, OrderRole::Exit { .. })
                && o.request.trading_symbol == trading_symbol
                && self.blocked.values().any(|t| *t == o.request.tag)
        });
        let Some(tag) = in_doubt.map(|o| o.request.tag.clone()) else {
            return;
        };
        if self.doubt_alerted.contains(&tag) {
            return;
        }
        let Some(position) = self.portfolio.position(trading_symbol) else {
            return;
        };
        let flatten = self.flatten_all || self.risk.should_flatten(now);
        let rules = if position.meta().exchange.is_derivatives() {
            &self.exits
        } else {
            &self.stock_exits
        };
        if let Some(decision) = rules.evaluate(position, premium, now, flatten) {
            out.push(alert(
                AlertLevel::Critical,
                format!(
                    "{trading_symbol}: {} while its exit {tag} is in doubt (outcome unknown): unprotected until the broker's order book is read",
                    decision.reason
                ),
            ));
            self.doubt_alerted.insert(tag);
        }
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
        let mut price = self.exit_price(premium, None, tick, selling);
        if let Some(floor) = self.protect.converted_floor(&order.request.tag) {
            // A stop turned exit: never past the stop's floor while the market is beyond it.
            price = if selling {
                price.min(floor)
            } else {
                price.max(floor)
            };
        }
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
        if let Some((ended, rejected)) =
            self.protect
                .on_update(&update.tag, &update.order_id, update.status)
        {
            if let Some(stop) = &ended {
                let symbol = stop.request.trading_symbol.clone();
                if let Some(signal) = self.deferred_flips.remove(&symbol) {
                    let now = self.now.unwrap_or(update.timestamp);
                    self.on_underlying_signal(signal, now, out);
                }
            }
            if let (Some(stop), true) = (ended, rejected) {
                out.push(alert(
                    AlertLevel::Critical,
                    format!(
                        "protective stop {} for {} rejected: {}; the engine keeps watching the stop itself",
                        update.tag,
                        stop.request.trading_symbol,
                        update.message.as_deref().unwrap_or("no reason given")
                    ),
                ));
            }
            return;
        }
        let Some(finished) = self.orders.on_update(update) else {
            return;
        };
        self.protect.conversion_ended(&update.tag);
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
        let working_role = self.orders.get(&fill.tag).map(|o| o.role.clone());
        let stop_trigger = self.protect.by_tag(&fill.tag).map(|s| s.trigger());
        let (capped, role) = match self.orders.admit_fill(fill) {
            FillAdmission::Duplicate => return,
            FillAdmission::Unknown => (None, working_role),
            FillAdmission::Known {
                apply,
                excess,
                ledger,
            } => {
                if excess > 0 {
                    out.push(alert(
                        AlertLevel::Critical,
                        inconsistency_message(fill, apply, excess, &ledger),
                    ));
                }
                if apply == 0 {
                    return;
                }
                let capped = (apply < fill.quantity).then(|| Fill {
                    quantity: apply,
                    ..fill.clone()
                });
                (capped, Some(ledger.role))
            }
        };
        let fill = capped.as_ref().unwrap_or(fill);
        if self.orders.get(&fill.tag).is_none() {
            self.protect.conversion_ended(&fill.tag);
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
                    if fill.exchange.is_derivatives() && effect.quantity_after > 0 {
                        self.reanchor_stop(&fill.trading_symbol, *target);
                    }
                }
                if effect.quantity_after == 0 && stop_trigger.is_some() {
                    // A stop order that filled is done with; nothing is left to protect. A
                    // reversal waiting for its cancel now just opens the new position.
                    self.protect.remove(&fill.trading_symbol);
                    if let Some(signal) = self.deferred_flips.remove(&fill.trading_symbol) {
                        self.on_underlying_signal(signal, now, out);
                    }
                }
                if let Some(closed) = effect.closed {
                    let reason = match role {
                        Some(OrderRole::Exit { reason }) => reason,
                        _ => match stop_trigger {
                            Some(trigger) => format!(
                                "{} {trigger} hit at the broker",
                                protect::PROTECTIVE_STOP_REASON
                            ),
                            None => "position closed".to_string(),
                        },
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

impl Engine {
    /// `protective_stop: broker`: gives every open position its stop order at the broker,
    /// moves one whose trigger (trailing) or quantity is out of date in place, replaces one on
    /// the wrong side, and cancels those of closed positions (see [`protect`]).
    fn protect_positions(&mut self, now: IstTime, out: &mut Vec<Action>) {
        if !self.protect.at_broker() {
            return;
        }
        // Reversals waiting on a stop order: ask for its cancel once its id is known; once it
        // is gone, take the reversal up again.
        let deferred: Vec<String> = self.deferred_flips.keys().cloned().collect();
        for symbol in deferred {
            match self.protect.get(&symbol) {
                None => {
                    if let Some(signal) = self.deferred_flips.remove(&symbol) {
                        self.on_underlying_signal(signal, now, out);
                    }
                }
                Some(s) if !s.cancel_requested => {
                    self.cancel_stop(&symbol, "reverse first", out);
                }
                Some(_) => {}
            }
        }
        for (order_id, tag) in self.protect.orphans_to_cancel() {
            out.push(Action::CancelOrder {
                order_id,
                tag,
                reason: format!(
                    "{}: a second one for the same position after a restart",
                    protect::PROTECTIVE_STOP_REASON
                ),
            });
        }
        let mut wanted: Vec<(String, Decimal, u32, bool)> = Vec::new();
        for p in self.portfolio.open_positions() {
            let symbol = p.trading_symbol();
            if self.orders.has_working_exit(symbol) || self.deferred_flips.contains_key(symbol) {
                continue;
            }
            let rules = if p.meta().exchange.is_derivatives() {
                &self.exits
            } else {
                &self.stock_exits
            };
            let premium = p.last_price().unwrap_or_else(|| p.average_price());
            let Some(stop) = rules.current_stop(p, premium) else {
                continue;
            };
            if stop <= Decimal::ZERO {
                continue;
            }
            let Ok(quantity) = u32::try_from(p.quantity().unsigned_abs()) else {
                continue;
            };
            wanted.push((symbol.to_string(), stop, quantity, p.quantity() > 0));
        }
        let open: Vec<String> = wanted.iter().map(|w| w.0.clone()).collect();
        let stale: Vec<String> = self
            .protect
            .iter()
            .map(|s| s.request.trading_symbol.clone())
            .filter(|sym| {
                !open.contains(sym) && self.portfolio.position(sym).is_none_or(|p| !p.is_open())
            })
            .collect();
        for sym in stale {
            self.cancel_stop(&sym, "position closed", out);
        }
        for (symbol, trigger, quantity, selling) in wanted {
            let Some(position) = self.portfolio.position(&symbol) else {
                continue;
            };
            let tick = position.meta().tick_size;
            let exchange = position.meta().exchange;
            match self.protect.get(&symbol) {
                Some(s) if s.cancel_requested => {}
                Some(s) if s.selling() != selling => {
                    let why = format!("replace at trigger {trigger} for {quantity}");
                    self.cancel_stop(&symbol, &why, out);
                }
                Some(s) => {
                    if s.request.quantity == quantity && !s.outdated_by(trigger, tick) {
                        continue;
                    }
                    let from = s.trigger();
                    let limit = protect::stop_limit_price(trigger, tick, selling);
                    if let Some((order_id, tag)) =
                        self.protect.modify(&symbol, trigger, limit, quantity)
                    {
                        out.push(Action::ModifyStop {
                            order_id,
                            tag,
                            trigger_price: trigger,
                            price: limit,
                            quantity,
                            reason: format!(
                                "{}: trigger {from} to {trigger} for {quantity}",
                                protect::PROTECTIVE_STOP_REASON
                            ),
                        });
                    }
                }
                None if self.protect.is_refused(&symbol) => {}
                None => {
                    let request = OrderRequest {
                        tag: self.tags.next_tag(now),
                        exchange,
                        trading_symbol: symbol.clone(),
                        transaction_type: if selling {
                            TransactionType::Sell
                        } else {
                            TransactionType::Buy
                        },
                        order_type: OrderType::StopLoss,
                        quantity,
                        price: Some(protect::stop_limit_price(trigger, tick, selling)),
                        trigger_price: Some(trigger),
                        product: if exchange.is_derivatives() {
                            self.processor.entry.product
                        } else {
                            self.config.options_trading.underlying.product
                        },
                        validity: Validity::Day,
                    };
                    self.protect.insert(request.clone(), now);
                    self.risk.record_order(now);
                    out.push(Action::PlaceOrder {
                        request,
                        purpose: OrderPurpose::Exit {
                            reason: format!(
                                "{}, trigger {trigger}",
                                protect::PROTECTIVE_STOP_REASON
                            ),
                        },
                    });
                }
            }
        }
    }

    /// Asks the broker to cancel `trading_symbol`'s stop order (once).
    fn cancel_stop(&mut self, trading_symbol: &str, why: &str, out: &mut Vec<Action>) {
        if let Some((order_id, tag)) = self.protect.request_cancel(trading_symbol) {
            out.push(Action::CancelOrder {
                order_id,
                tag,
                reason: format!("{}: {why}", protect::PROTECTIVE_STOP_REASON),
            });
        }
    }

    /// An exit is due while a stop order rests at the broker: cancel the stop first. A stop
    /// whose placement was never acknowledged within the entry timeout is taken as not at the
    /// broker, so the exit is not held up for ever.
    fn cancel_stop_for_exit(
        &mut self,
        trading_symbol: &str,
        reason: &str,
        now: IstTime,
        out: &mut Vec<Action>,
    ) {
        let Some(stop) = self.protect.get(trading_symbol) else {
            return;
        };
        if stop.order_id.is_none() {
            let timeout =
                i64::try_from(self.processor.entry.entry_timeout_seconds).unwrap_or(i64::MAX);
            if (now - stop.placed_at).num_seconds() > timeout {
                let tag = stop.request.tag.clone();
                self.protect.remove(trading_symbol);
                out.push(alert(
                    AlertLevel::Critical,
                    format!(
                        "protective stop {tag} for {trading_symbol} was never acknowledged; exiting without it"
                    ),
                ));
            }
            return;
        }
        self.cancel_stop(trading_symbol, &format!("exit first ({reason})"), out);
    }

    /// An exit of the whole position (`quantity` units at the marketable `price`, rupees, on
    /// the `selling` side) is due while its stop order rests at the broker: turns that order
    /// into the exit in place ([`Action::ConvertStopToExit`]), at the protective floor: for a
    /// sell the lower of `price` and the stop's own limit, for a buy the higher. Returns false,
    /// with nothing done, when the stop cannot be converted (see
    /// [`ProtectiveStops::convertible`]) or the exit would need freeze slices (`underlying`,
    /// lot of `lot` units): the caller then cancels the stop first.
    fn convert_stop_to_exit(
        &mut self,
        trading_symbol: &str,
        (quantity, price, selling): (u32, Decimal, bool),
        (underlying, lot): (&Symbol, u32),
        reason: &str,
        now: IstTime,
        out: &mut Vec<Action>,
    ) -> bool {
        let Some(stop) = self.protect.convertible(trading_symbol, quantity, selling) else {
            return false;
        };
        let floor = stop.request.price.unwrap_or(price);
        let mut request = stop.request.clone();
        request.order_type = OrderType::Limit;
        request.trigger_price = None;
        request.price = Some(if selling {
            price.min(floor)
        } else {
            price.max(floor)
        });
        if freeze_slices(request.clone(), underlying, lot, now).len() > 1 {
            return false;
        }
        let Some(stop) = self.protect.convert(trading_symbol) else {
            return false;
        };
        let Some(order_id) = stop.order_id.clone() else {
            return false;
        };
        let price = request.price.unwrap_or(price);
        let tag = request.tag.clone();
        self.orders.insert_acknowledged(
            request,
            OrderRole::Exit {
                reason: reason.to_string(),
            },
            order_id.clone(),
            now,
        );
        out.push(Action::ConvertStopToExit {
            order_id,
            tag,
            price,
            quantity,
            reason: format!(
                "{reason}: {} {} becomes the exit at {price}",
                protect::PROTECTIVE_STOP_REASON,
                stop.trigger()
            ),
        });
        true
    }

    /// The broker refused to convert the stop with `tag` into its position's exit: the stop
    /// rests as it was, tracked as a stop again; the exit now cancels it first.
    fn on_conversion_refused(&mut self, tag: &str, message: &str, out: &mut Vec<Action>) {
        let Some(stop) = self.protect.conversion_refused(tag) else {
            return;
        };
        let symbol = stop.request.trading_symbol.clone();
        let reason = match self.orders.remove(tag).map(|o| o.role) {
            Some(OrderRole::Exit { reason }) => reason,
            _ => "exit".to_string(),
        };
        out.push(alert(
            AlertLevel::Warning,
            format!(
                "{} {tag} for {symbol} not converted into the exit: {message}; it stays as the stop, cancelled before the exit instead",
                protect::PROTECTIVE_STOP_REASON,
            ),
        ));
        self.cancel_stop(&symbol, &format!("exit first ({reason})"), out);
    }

    /// After an option entry fill: the `stop_loss_pct` bound was taken at the order's limit;
    /// on the actual average entry price the stop is the higher of the method's stop and the
    /// percent stop of that price, so an entry that filled below its limit is not stopped out
    /// by a bound meant for a dearer fill.
    fn reanchor_stop(&mut self, trading_symbol: &str, target: Decimal) {
        let Some(method_stop) = self.method_stops.get(trading_symbol).copied() else {
            return;
        };
        let Some(position) = self.portfolio.position(trading_symbol) else {
            return;
        };
        let tick = position.meta().tick_size;
        let entry = position.average_price();
        let floor = match self.processor.bounds.stop_floor(entry, tick) {
            Ok(f) => f,
            Err(_) => return,
        };
        let stop = floor.map_or(method_stop, |f| f.max(method_stop));
        if position.meta().stop != Some(stop) {
            self.portfolio
                .set_levels(trading_symbol, Some(target), Some(stop));
        }
    }
}

/// Stop and target for a position taken over from the broker, from the configured fallback
/// percentages of `price` (rupees), on the tick grid: a long's stop rounded up and target
/// down, a short's the other way; a long's stop at least one tick.
fn protective_levels(
    risk: &crate::risk::RiskConfig,
    price: Decimal,
    tick: Decimal,
    long: bool,
) -> (Option<Decimal>, Option<Decimal>) {
    let hundred = Decimal::ONE_HUNDRED;
    let stop_move = price.checked_mul(risk.stop_loss_pct / hundred);
    let target_move = price.checked_mul(risk.profit_target_pct / hundred);
    let up = |x: Decimal| crate::options::round_up_to_tick(x, tick).ok();
    let down = |x: Decimal| round_down_to_tick(x, tick).ok();
    if long {
        let stop = stop_move.and_then(|m| up(price - m)).map(|s| s.max(tick));
        let target = target_move
            .and_then(|m| price.checked_add(m))
            .and_then(down);
        (stop, target)
    } else {
        let stop = stop_move.and_then(|m| price.checked_add(m)).and_then(down);
        let target = target_move
            .and_then(|m| up(price - m))
            .filter(|t| *t > Decimal::ZERO);
        (stop, target)
    }
}

/// The alert for a fill that goes beyond what its order can fill.
fn inconsistency_message(fill: &Fill, apply: u32, excess: u32, ledger: &FillLedger) -> String {
    let reported = ledger.broker_filled.map_or_else(
        || "no final filled quantity yet".to_string(),
        |f| format!("{f} filled"),
    );
    format!(
        "broker inconsistency: trade {} of order {} ({} {} {} @ {}) goes {excess} unit(s) beyond the order (ordered {}, broker reports {reported}, {} already applied); {apply} applied, {excess} not applied",
        fill.trade_id,
        fill.tag,
        fill.transaction_type.code(),
        fill.quantity,
        fill.trading_symbol,
        fill.price,
        ledger.ordered,
        ledger.applied,
    )
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

/// What of the chain passed with each candle the strategies read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChainReading {
    /// No strategy reads it: built-ins other than the IV regime decide on candles alone.
    Nothing,
    /// The ATM strike's quotes (the IV regime's ATM implied vol).
    NearAtm,
    /// Anything: a strategy of the caller's own may read any contract.
    Whole,
}
