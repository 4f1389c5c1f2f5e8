//! One run of the loop: every event goes to the paper broker (so fills come from the quotes),
//! then to the engine; the engine's actions are carried out through the broker, and what the
//! broker says is fed back to the engine until nothing is left. Everything is written to the
//! journal (flushed once per tick) and printed as one line per signal, order, fill and exit.

use std::collections::VecDeque;

use anyhow::Result;
use chrono::NaiveDate;
use rust_decimal::Decimal;

use alphastock_core::engine::{Action, AlertLevel, Engine, Event, Record};
use alphastock_core::market::{IstTime, Quote};

use super::executor::Executor;
use super::positions;
use super::report::{self, StatusLine, Tally};
use crate::broker::{Broker, BrokerQuote, InstrumentKey, PaperBroker};
use crate::monitor::{Control, SessionObserver};
use crate::store::{PositionRow, Row, StoreWriter};

/// The broker a run trades through.
pub enum BrokerSlot {
    /// The paper broker, fed every quote.
    Paper(PaperBroker),
    /// A real broker (mStock).
    Live(Box<dyn Broker>),
}

impl BrokerSlot {
    /// The broker as the trait object the executor uses.
    pub fn as_dyn(&mut self) -> &mut dyn Broker {
        match self {
            BrokerSlot::Paper(p) => p,
            BrokerSlot::Live(b) => b.as_mut(),
        }
    }

    /// The paper broker, when paper trading.
    pub fn paper(&mut self) -> Option<&mut PaperBroker> {
        match self {
            BrokerSlot::Paper(p) => Some(p),
            BrokerSlot::Live(_) => None,
        }
    }
}

/// What the loop prints and stores besides the trading lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionOptions {
    /// Print resident memory in each day summary.
    pub report_memory: bool,
    /// Show the status line on a terminal.
    pub status_line: bool,
    /// Store option chains every this many chains per underlying (1 = every one).
    pub chain_every: u32,
}

/// The state of a run.
pub struct Session {
    /// The engine.
    pub engine: Engine,
    /// The broker.
    pub broker: BrokerSlot,
    /// Carries out order actions.
    pub executor: Executor,
    /// The journal.
    pub writer: StoreWriter,
    options: SessionOptions,
    out: StatusLine,
    queue: VecDeque<Event>,
    day: Option<NaiveDate>,
    day_tally: Tally,
    total: Tally,
    days: u32,
    last_time: Option<IstTime>,
    chains_seen: std::collections::BTreeMap<alphastock_core::market::Symbol, u64>,
    memory: Vec<(NaiveDate, u64)>,
    /// Live: instruments whose quantity differed from the broker's at the last check, with
    /// the broker's quantity then (a difference seen twice in a row is adopted).
    suspect: std::collections::BTreeMap<String, i64>,
    observer: Option<Box<dyn SessionObserver>>,
}

impl Session {
    /// A session over an engine, a broker and a journal.
    pub fn new(
        engine: Engine,
        broker: BrokerSlot,
        executor: Executor,
        writer: StoreWriter,
        options: SessionOptions,
    ) -> Self {
        Self {
            engine,
            broker,
            executor,
            writer,
            out: StatusLine::new(options.status_line),
            options,
            queue: VecDeque::new(),
            day: None,
            day_tally: Tally::default(),
            total: Tally::default(),
            days: 0,
            last_time: None,
            chains_seen: std::collections::BTreeMap::new(),
            memory: Vec::new(),
            suspect: std::collections::BTreeMap::new(),
            observer: None,
        }
    }

    /// Reports every market event, action, order outcome, fill, tick and day end to
    /// `observer` (alerts, the dashboard, metrics).
    pub fn set_observer(&mut self, observer: Box<dyn SessionObserver>) {
        self.observer = Some(observer);
    }

    /// Takes the observer off the session (to end it: alerts still queued go out).
    pub fn take_observer(&mut self) -> Option<Box<dyn SessionObserver>> {
        self.observer.take()
    }

    /// Prints a line (above the status line).
    pub fn say(&mut self, line: &str) {
        self.out.println(line);
    }

    /// Prints a warning line and reports it to the observer (an alert, the dashboard's health).
    pub fn warn(&mut self, line: &str, now: IstTime) {
        if let Some(o) = self.observer.as_mut() {
            o.on_problem(line, now);
        }
        self.say(line);
    }

    /// Market time of the last event handled.
    pub fn last_time(&self) -> Option<IstTime> {
        self.last_time
    }

    /// The run's totals so far (finished days plus the current one).
    pub fn totals(&self) -> Tally {
        let mut t = self.total.clone();
        t.add(&self.day_tally);
        t
    }

    /// Counts into the current day what happened before a restart (from the journal).
    pub fn seed_day(&mut self, day: NaiveDate, before: &Tally) {
        self.day = Some(day);
        self.day_tally.add(before);
    }

    /// Trading days finished so far.
    pub fn days_finished(&self) -> u32 {
        self.days
    }

    /// Resident memory (KiB) measured at each day's end.
    pub fn memory(&self) -> &[(NaiveDate, u64)] {
        &self.memory
    }

    /// Handles one market event (quote, chain, option quote, candle, timer). A timer ends a tick:
    /// the broker's books are synced and the journal is flushed.
    pub fn on_market_event(&mut self, event: Event) -> Result<()> {
        let at = event.timestamp();
        let date = at.date_naive();
        if let Some(d) = self.day {
            if d != date {
                self.end_day()?;
            }
        }
        self.day = Some(date);
        self.last_time = Some(self.last_time.map_or(at, |t| t.max(at)));
        if let Some(o) = self.observer.as_mut() {
            o.on_market(&event);
        }
        let fills = self.feed_paper(&event);
        if let Some(row) = self.row_for(&event) {
            self.writer.push(row)?;
        }
        let is_timer = matches!(event, Event::Timer(_));
        self.process(event)?;
        for f in fills {
            self.queue.push_back(Event::Fill(f));
        }
        self.drain()?;
        if is_timer {
            self.end_tick(at)?;
        }
        Ok(())
    }

    /// Tells the observer the loop is waiting for the market to open at `now` (the loop's wall
    /// clock), so alerts such as the heartbeat keep going while nothing trades.
    pub fn idle(&mut self, now: IstTime) {
        if let Some(o) = self.observer.as_mut() {
            o.on_idle(&self.engine, now);
        }
    }

    /// Ends a tick at `now`: reads the broker's books, feeds what changed to the engine, and
    /// commits the journal.
    pub fn end_tick(&mut self, now: IstTime) -> Result<()> {
        match self.executor.sync(self.broker.as_dyn(), now) {
            Ok(events) => self.queue.extend(events),
            Err(e) => {
                let line = format!(
                    "{} WARN   broker books not read: {e}",
                    now.format("%H:%M:%S")
                );
                self.warn(&line, now);
            }
        }
        self.drain()?;
        if matches!(self.broker, BrokerSlot::Live(_)) {
            self.check_positions(now)?;
        }
        if let Some(Control::KillAndFlatten(reason)) = self
            .observer
            .as_mut()
            .and_then(|o| o.on_tick(&self.engine, now))
        {
            self.kill_and_flatten(&reason, now)?;
        }
        self.writer.flush()?;
        if self.options.status_line {
            let status = self.status_text(now);
            self.out.show(&status);
        }
        Ok(())
    }

    /// Live: compares the broker's positions with the engine's. A difference in an instrument
    /// with no order working, seen at two checks in a row with the same broker quantity, is
    /// adopted (see [`Session::adopt`]); a failed read is reported and changes nothing.
    fn check_positions(&mut self, now: IstTime) -> Result<()> {
        let at_broker = match self.broker.as_dyn().positions() {
            Ok(p) => p,
            Err(e) => {
                let line = format!(
                    "{} WARN   broker positions not read: {e}",
                    now.format("%H:%M:%S")
                );
                self.say(&line);
                return Ok(());
            }
        };
        let working: Vec<String> = self
            .engine
            .working_orders()
            .iter()
            .map(|o| o.request.trading_symbol.clone())
            .collect();
        let found =
            positions::mismatches(&self.engine, &at_broker, |s| working.iter().any(|w| w == s));
        let mut confirmed = Vec::new();
        let mut suspect = std::collections::BTreeMap::new();
        for m in found {
            if self.suspect.get(&m.trading_symbol) == Some(&m.broker_quantity) {
                confirmed.push(m);
            } else {
                suspect.insert(m.trading_symbol.clone(), m.broker_quantity);
            }
        }
        self.suspect = suspect;
        self.adopt(&confirmed, now)
    }

    /// Adopts the broker's side of each difference: the engine takes the broker's quantity and
    /// protects it ([`Engine::adopt_position`]); the alert is printed and journaled, with an
    /// `adopt_position` journal entry and the position row.
    pub fn adopt(&mut self, found: &[positions::Mismatch], now: IstTime) -> Result<()> {
        for m in found {
            let Some(meta) = positions::meta_for(&self.engine, m) else {
                let line = format!(
                    "{} ALERT  {}; no underlying could be found for it: not managed",
                    now.format("%H:%M:%S"),
                    m.sentence()
                );
                self.say(&line);
                continue;
            };
            let actions = self
                .engine
                .adopt_position(meta, m.broker_quantity, m.price, now);
            self.writer.push(Row::Journal {
                at: now,
                kind: "adopt_position".to_string(),
                detail: serde_json::json!({
                    "trading_symbol": m.trading_symbol,
                    "broker_quantity": m.broker_quantity,
                    "engine_quantity": m.engine_quantity,
                    "price": m.price.to_string(),
                    "stop": self.engine.portfolio().position(&m.trading_symbol)
                        .and_then(|p| p.meta().stop).map(|d| d.to_string()),
                }),
            })?;
            self.run_actions(actions, now)?;
            self.store_position(&m.trading_symbol, now)?;
        }
        self.drain()
    }

    /// Trips the kill switch for `reason` (journaled as a critical alert, so a restart keeps
    /// it) and closes every open position.
    fn kill_and_flatten(&mut self, reason: &str, now: IstTime) -> Result<()> {
        let message = format!("kill switch tripped: {reason}");
        self.engine.restore_kill_switch(&message, now);
        self.run_actions(
            vec![Action::Alert {
                level: AlertLevel::Critical,
                message,
            }],
            now,
        )?;
        self.process(Event::Shutdown {
            flatten: true,
            at: now,
        })?;
        self.drain()
    }

    /// Feeds an event that is not market data (shutdown, an order update from recovery).
    pub fn on_control_event(&mut self, event: Event) -> Result<()> {
        self.process(event)?;
        self.drain()?;
        self.writer.flush()
    }

    /// Ends the current day (if any): prints its summary and stores its P&L.
    pub fn end_day(&mut self) -> Result<()> {
        let Some(day) = self.day.take() else {
            return Ok(());
        };
        let at = self
            .last_time
            .unwrap_or_else(|| chrono::Utc::now().with_timezone(&alphastock_core::market::IST));
        self.writer
            .push(Row::DailyPnl(self.day_tally.daily_row(day, at)))?;
        if let Some(o) = self.observer.as_mut() {
            o.on_day_end(day, &self.day_tally, at);
        }
        self.writer.flush()?;
        let mut line = format!("DAY {day}: {}", self.day_tally.line());
        if let Some(kib) = report::resident_kib() {
            self.memory.push((day, kib));
            if self.options.report_memory {
                line.push_str(&format!(", resident memory {} MiB", kib / 1024));
            }
        }
        self.out.clear();
        self.say(&line);
        self.total.add(&self.day_tally);
        self.day_tally = Tally::default();
        self.days += 1;
        Ok(())
    }

    fn status_text(&self, now: IstTime) -> String {
        let prices: Vec<String> = self
            .engine
            .symbols()
            .iter()
            .filter_map(|s| {
                self.engine
                    .chain(s)
                    .map(|c| format!("{s} {}", c.spot.round_dp(2)))
            })
            .collect();
        let open = self.engine.portfolio().open_positions().count();
        let pnl = self.engine.portfolio().day_pnl();
        format!(
            "{} | {} | open positions {} | day P&L {}",
            now.format("%H:%M:%S"),
            prices.join("  "),
            open,
            pnl.net().round_dp(2)
        )
    }

    fn row_for(&mut self, event: &Event) -> Option<Row> {
        if let Event::OptionChain(c) = event {
            let seen = self.chains_seen.entry(c.underlying.clone()).or_insert(0);
            *seen += 1;
            let every = u64::from(self.options.chain_every.max(1));
            if !(*seen - 1).is_multiple_of(every) {
                return None;
            }
        }
        Row::from_event(event)
    }

    fn feed_paper(&mut self, event: &Event) -> Vec<alphastock_core::order::Fill> {
        let Some(paper) = self.broker.paper() else {
            return Vec::new();
        };
        let fills = match event {
            Event::Quote(q) => paper.on_quote(&underlying_quote(q)),
            Event::OptionChain(c) => {
                let mut out = Vec::new();
                for q in &c.quotes {
                    out.extend(paper.on_option_quote(q));
                }
                out
            }
            Event::OptionQuote(q) => paper.on_option_quote(q),
            _ => Vec::new(),
        };
        self.executor
            .mark_trades_seen(fills.iter().map(|f| f.trade_id.as_str()));
        fills
    }

    fn drain(&mut self) -> Result<()> {
        while let Some(e) = self.queue.pop_front() {
            if let Some(row) = Row::from_event(&e) {
                self.writer.push(row)?;
            }
            let fill = match &e {
                Event::Fill(f) => Some(f.clone()),
                _ => None,
            };
            if let Some(f) = &fill {
                // The fill is on disk before it is printed.
                self.writer.flush()?;
                self.day_tally.fills += 1;
                self.say(&report::fill_line(f));
            }
            self.process(e)?;
            if let (Some(f), Some(o)) = (&fill, self.observer.as_mut()) {
                o.on_fill(f, &self.engine);
            }
            if let Some(f) = fill {
                self.store_position(&f.trading_symbol, f.timestamp)?;
            }
        }
        Ok(())
    }

    fn store_position(&mut self, trading_symbol: &str, at: IstTime) -> Result<()> {
        let Some(p) = self.engine.portfolio().position(trading_symbol) else {
            return Ok(());
        };
        let meta = p.meta();
        let row = PositionRow {
            trading_symbol: trading_symbol.to_string(),
            exchange: meta.exchange,
            underlying: meta.underlying.to_string(),
            quantity: p.quantity(),
            average_price: p.average_price(),
            realised_pnl: p.realised_pnl(),
            detail: serde_json::json!({
                "target": meta.target.map(|d| d.to_string()),
                "stop": meta.stop.map(|d| d.to_string()),
                "lot_size": meta.lot_size,
            }),
            updated_at: at,
        };
        self.writer.push(Row::Position(row))
    }

    fn process(&mut self, event: Event) -> Result<()> {
        let now = event.timestamp();
        let actions = self.engine.on_event(event);
        self.run_actions(actions, now)
    }

    fn run_actions(&mut self, actions: Vec<Action>, now: IstTime) -> Result<()> {
        for action in actions {
            if let Some(o) = self.observer.as_mut() {
                o.on_action(&action, &self.engine, now);
            }
            match &action {
                Action::PlaceOrder { request, purpose } => {
                    // On disk before it is sent, so a crash can never lose an order the broker
                    // has.
                    self.writer.push_durable(Row::OrderPlaced {
                        request: request.clone(),
                        purpose: Some(purpose.clone()),
                        at: now,
                    })?;
                    self.day_tally.orders += 1;
                    self.carry_out(&action, now)?;
                }
                Action::ModifyOrder { .. }
                | Action::ModifyStop { .. }
                | Action::ConvertStopToExit { .. }
                | Action::CancelOrder { .. } => {
                    self.carry_out(&action, now)?;
                }
                Action::Alert { level, message } => {
                    tracing::info!(level = ?level, "{message}");
                    if *level == AlertLevel::Critical {
                        self.writer.push(Row::Journal {
                            at: now,
                            kind: "alert".to_string(),
                            detail: serde_json::json!({ "message": message }),
                        })?;
                    }
                    if let Some(line) = report::alert_line(*level, message, &now) {
                        self.say(&line);
                    }
                }
                Action::Record(record) => {
                    self.writer.push(Row::from_record(record))?;
                    self.tally_record(record);
                    let line = report::record_line(record);
                    tracing::info!(target: "alphastock::record", "{line}");
                    self.say(&line);
                }
            }
        }
        Ok(())
    }

    /// Carries out an order action. What the broker answered (an order id, a refusal) is on
    /// disk before the line saying so is printed, so after a crash the journal never knows
    /// less than stdout showed.
    fn carry_out(&mut self, action: &Action, now: IstTime) -> Result<()> {
        let (events, outcome) = self.executor.execute(self.broker.as_dyn(), action, now);
        if let Some(o) = self.observer.as_mut() {
            o.on_outcome(action, outcome.as_ref(), now);
        }
        let mut answered = false;
        for e in &events {
            if let Event::OrderUpdate(u) = e {
                self.writer.push(Row::OrderUpdate(u.clone()))?;
                answered = true;
            }
        }
        if answered {
            self.writer.flush()?;
        }
        if let Some(line) = report::order_line(action, outcome.as_ref(), &now) {
            tracing::info!(target: "alphastock::order", "{line}");
            self.say(&line);
        }
        self.queue.extend(events);
        Ok(())
    }

    fn tally_record(&mut self, record: &Record) {
        match record {
            Record::Signal { rejected, .. } => {
                self.day_tally.signals += 1;
                if rejected.is_none() {
                    self.day_tally.accepted += 1;
                }
            }
            Record::PositionClosed {
                trading_symbol,
                net_pnl,
                ..
            } => {
                let charges = self
                    .engine
                    .portfolio()
                    .position(trading_symbol)
                    .map_or(Decimal::ZERO, |p| p.charges());
                self.day_tally.close_trade(*net_pnl, charges);
            }
        }
    }
}

/// An underlying's quote as the paper broker keys it (`NSE:<symbol>`).
fn underlying_quote(q: &Quote) -> BrokerQuote {
    BrokerQuote {
        // The key orders for the symbol itself carry (`NSE` + `SBIN` for `NSE:SBIN`), so the
        // paper broker fills stock orders against these quotes.
        key: InstrumentKey {
            exchange: q.symbol.cash_exchange(),
            trading_symbol: q.symbol.name().to_string(),
        },
        ltp: q.ltp,
        open: q.open,
        high: q.high,
        low: q.low,
        close: q.close,
        bid: q.bid,
        ask: q.ask,
        volume: Some(q.volume),
        oi: q.oi,
        timestamp: q.timestamp,
    }
}
