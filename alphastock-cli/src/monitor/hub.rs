//! The run's observer: [`Hub`] turns what the loop reports into alerts (through the
//! [`AlertSender`]) and into the [`Live`] view, shared with the dashboard's thread: counters,
//! positions at their marks, the equity curve, quote ages, broker health, the kill switch, and
//! the dashboard's kill-switch request going the other way.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use alphastock_core::backtest::reason_kind;
use alphastock_core::config::AlertsConfig;
use alphastock_core::engine::{Action, AlertLevel, Engine, Event, OrderPurpose, Record};
use alphastock_core::market::IstTime;
use alphastock_core::order::{Fill, TransactionType};

use super::metrics::Counters;
use super::stale::QuoteAges;
use super::state::{
    AlertView, ApiView, Controls, DashboardState, EquityPoint, PnlView, PositionView, RateWindow,
};
use super::{Control, SessionObserver};
use crate::alerts::{Alert, AlertSender, AlertStats};
use crate::broker::LinkHealth;
use crate::mstock::clock::IstClock;
use crate::runner::executor::Outcome;
use crate::runner::report::Tally;

/// Equity points kept; older ones are thinned to every other one beyond this.
const MAX_EQUITY_POINTS: usize = 2000;
/// A warning repeated word for word is alerted again after this many market minutes.
const PROBLEM_REPEAT_MINUTES: i64 = 10;
/// How long the end of a run waits for queued alerts to go out.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

#[derive(Debug, Default)]
struct View {
    counters: Counters,
    day: Option<NaiveDate>,
    as_of: Option<IstTime>,
    positions: Vec<PositionView>,
    pnl: PnlView,
    equity: Vec<EquityPoint>,
    kill_switch: Option<String>,
    quote_age: BTreeMap<String, i64>,
    last_problem: Option<String>,
    broker_failures: u32,
    broker_last_error: Option<String>,
    pending_alerts: Vec<Alert>,
    kill_request: Option<String>,
    link: Option<LinkHealth>,
}

/// The live view of a run, shared between the trading loop and the dashboard's thread.
#[derive(Debug)]
pub struct Live {
    view: Mutex<View>,
    started: Instant,
    mode: String,
    controls: Controls,
    alert_stats: Mutex<Option<Arc<AlertStats>>>,
}

impl Live {
    /// A live view for a run in `mode` (`paper run`, `live run`) with the page's `controls`.
    pub fn new(mode: &str, controls: Controls) -> Arc<Live> {
        Arc::new(Live {
            view: Mutex::new(View::default()),
            started: Instant::now(),
            mode: mode.to_string(),
            controls,
            alert_stats: Mutex::new(None),
        })
    }

    fn view(&self) -> MutexGuard<'_, View> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep serving it.
        self.view.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The trading day the run is on.
    pub fn day(&self) -> Option<NaiveDate> {
        self.view().day
    }

    /// The run's counters so far.
    pub fn counters(&self) -> Counters {
        self.view().counters.clone()
    }

    /// Whether the dashboard's kill-switch button is offered.
    pub fn kill_switch_button(&self) -> bool {
        self.controls.kill_switch_button
    }

    /// Asks the loop to trip the kill switch and flatten at the end of its next tick.
    pub fn request_kill(&self, reason: &str) {
        self.view().kill_request = Some(reason.to_string());
    }

    /// Alert delivery counts, when alerts are on.
    pub fn alert_stats(&self) -> Option<AlertView> {
        let stats = self
            .alert_stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        let (sent, dropped, rate_limited, failed) = stats.read();
        Some(AlertView {
            sent,
            dropped,
            rate_limited,
            failed,
        })
    }

    /// Counts one broker call to `endpoint` that took `seconds` and failed with `error` (or
    /// not). A failure after a success, and the circuit breaker opening, raise an alert.
    pub fn record_api(&self, endpoint: &str, seconds: f64, error: Option<&str>) {
        let mut v = self.view();
        v.counters
            .api
            .entry(endpoint.to_string())
            .or_default()
            .record(seconds, error.is_some());
        match error {
            None => {
                v.broker_failures = 0;
            }
            Some(e) => {
                v.broker_failures += 1;
                v.broker_last_error = Some(e.to_string());
                let breaker = e.contains("calls paused");
                if v.broker_failures == 1 || breaker {
                    let title = if breaker {
                        "BROKER circuit breaker open".to_string()
                    } else {
                        format!("BROKER {endpoint} failed")
                    };
                    v.pending_alerts
                        .push(Alert::new("broker_error", title, e.to_string()));
                }
            }
        }
    }

    /// Keeps the broker link's latest circuit-breaker and rate-limit state.
    pub fn set_link(&self, link: Option<LinkHealth>) {
        self.view().link = link;
    }

    /// Lays the live view over `state` read from the journal.
    pub fn overlay(&self, state: &mut DashboardState) {
        let v = self.view();
        state.mode = self.mode.clone();
        state.controls = self.controls.clone();
        state.health.uptime_seconds = Some(self.started.elapsed().as_secs_f64());
        if let Some(t) = v.as_of {
            state.as_of = Some(t.to_rfc3339());
            state.positions = v.positions.clone();
            state.pnl = v.pnl.clone();
            state.equity = v.equity.clone();
            state.health.quote_age_seconds = v.quote_age.clone();
        }
        if v.kill_switch.is_some() {
            state.health.kill_switch = v.kill_switch.clone();
        }
        state.health.api = v
            .counters
            .api
            .iter()
            .map(|(ep, s)| {
                let calls = s.calls.max(1) as f64;
                (
                    ep.clone(),
                    ApiView {
                        calls: s.calls,
                        errors: s.errors,
                        error_rate_pct: s.errors as f64 * 100.0 / calls,
                        mean_ms: s.seconds * 1000.0 / calls,
                    },
                )
            })
            .collect();
        state.health.broker = if v.counters.api.is_empty() {
            "paper broker (no API calls)".to_string()
        } else if v.broker_failures == 0 {
            "ok".to_string()
        } else {
            format!(
                "failing: {} call(s) in a row (last: {})",
                v.broker_failures,
                v.broker_last_error.as_deref().unwrap_or("")
            )
        };
        state.health.last_problem = v.last_problem.clone();
        if let Some(link) = &v.link {
            state.health.circuit_breaker = Some(link.breaker.clone());
            state.health.circuit_breaker_open = link.breaker_open;
            state.health.rate_limits = link
                .windows
                .iter()
                .map(|(class, secs, used, limit)| RateWindow {
                    class: class.clone(),
                    window_seconds: *secs,
                    used: *used,
                    limit: *limit,
                })
                .collect();
        }
        drop(v);
        state.health.alerts = self.alert_stats();
        state.finish_curve();
    }
}

/// The run's observer (see the module docs).
pub struct Hub {
    live: Arc<Live>,
    alerts: Option<AlertSender>,
    config: AlertsConfig,
    /// The wall clock heartbeats are timed on: the live loop's (simulated in tests).
    wall: IstClock,
    last_heartbeat: Option<IstTime>,
    rejected: BTreeMap<String, u64>,
    rejected_since: Option<IstTime>,
    /// Underlying quotes, by symbol (`NSE:SBIN`, `BANKNIFTY`).
    quotes: QuoteAges,
    /// Option quotes of open positions, by trading symbol.
    option_quotes: QuoteAges,
    last_equity_minute: Option<i64>,
    last_problem: Option<(String, IstTime)>,
}

impl Hub {
    /// An observer feeding `live` and, when given, sending alerts through `alerts` under
    /// `config`'s heartbeat, rejection-summary and stale-data settings.
    pub fn new(live: Arc<Live>, alerts: Option<AlertSender>, config: &AlertsConfig) -> Hub {
        if let Some(a) = &alerts {
            *live.alert_stats.lock().unwrap_or_else(|e| e.into_inner()) = Some(a.stats());
        }
        Hub {
            live,
            alerts,
            config: config.clone(),
            wall: IstClock::system(),
            last_heartbeat: None,
            rejected: BTreeMap::new(),
            rejected_since: None,
            quotes: QuoteAges::default(),
            option_quotes: QuoteAges::default(),
            last_equity_minute: None,
            last_problem: None,
        }
    }

    /// Times heartbeats on `wall` (the live loop's clock) instead of the real one.
    pub fn with_wall_clock(mut self, wall: IstClock) -> Hub {
        self.wall = wall;
        self
    }

    /// Sends the heartbeat, saying `status`, when `alerts.heartbeat_minutes` of wall time have
    /// passed since the last one (the first one at once); 0 minutes sends none.
    fn heartbeat(&mut self, status: &str, engine: &Engine) {
        let every = chrono::Duration::minutes(i64::from(self.config.heartbeat_minutes));
        if every.is_zero() {
            return;
        }
        let now = self.wall.now();
        if self.last_heartbeat.is_some_and(|t| now - t < every) {
            return;
        }
        self.last_heartbeat = Some(now);
        let book = engine.portfolio();
        let text = format!(
            "{status}, open positions {}, day net P&L {}",
            book.open_positions().count(),
            money(book.day_pnl().net())
        );
        self.alert(Alert::new("heartbeat", "alphastock is running", text));
    }

    fn alert(&mut self, alert: Alert) {
        if let Some(a) = self.alerts.as_mut() {
            a.send(alert);
        }
    }

    fn summarise_rejections(&mut self, now: IstTime, force: bool) {
        let Some(since) = self.rejected_since else {
            return;
        };
        let window = chrono::Duration::minutes(i64::from(self.config.rejection_summary_minutes));
        if !force && now - since < window {
            return;
        }
        let total: u64 = self.rejected.values().sum();
        let mut kinds: Vec<(String, u64)> =
            std::mem::take(&mut self.rejected).into_iter().collect();
        kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
        let text = kinds
            .iter()
            .map(|(r, n)| format!("{n} × {r}"))
            .collect::<Vec<_>>()
            .join("\n");
        self.rejected_since = None;
        let mut a = Alert::new(
            "rejections",
            format!("{total} signal(s) rejected since {}", since.format("%H:%M")),
            text,
        );
        a.at = Some(now);
        self.alert(a);
    }

    fn update_view(&mut self, engine: &Engine, now: IstTime) {
        let book = engine.portfolio();
        let day = book.day_pnl();
        let pnl = PnlView {
            closed: day.realised - day.charges,
            unrealised: day.unrealised,
            net: day.net(),
        };
        let positions = book
            .open_positions()
            .map(|p| PositionView {
                trading_symbol: p.trading_symbol().to_string(),
                underlying: p.underlying().to_string(),
                quantity: p.quantity(),
                average_price: p.average_price(),
                mark: p.last_price(),
                unrealised_pnl: p.last_price().map(|_| p.unrealised_pnl()),
                stop: engine.current_stop(p.trading_symbol()),
                target: p.meta().target,
            })
            .collect();
        let minute = now.timestamp().div_euclid(60);
        let limit = self.config.stale_quote_seconds;
        let mut quote_age = BTreeMap::new();
        let mut stale_now = Vec::new();
        for s in engine.symbols() {
            let name = s.to_string();
            let Some((age, newly)) = self.quotes.age(&name, now, limit) else {
                continue;
            };
            if newly {
                stale_now.push(stale_underlying(&name, age, now, limit));
            }
            quote_age.insert(name, age);
        }
        // Each open option position is watched from when it is first seen open: a contract
        // whose quotes stop is alerted like an underlying (its mark and the engine's exits
        // then work on an old premium).
        let held: Vec<(&str, i64)> = book
            .open_positions()
            .filter(|p| p.meta().expiry.is_some())
            .map(|p| (p.trading_symbol(), p.quantity()))
            .collect();
        self.option_quotes
            .retain(|s| held.iter().any(|(h, _)| *h == s));
        for (symbol, quantity) in held {
            self.option_quotes.watch(symbol, now);
            if let Some((age, true)) = self.option_quotes.age(symbol, now, limit) {
                stale_now.push(stale_option(symbol, quantity, age, now, limit));
            }
        }
        let mut v = self.live.view();
        if v.day != Some(now.date_naive()) {
            v.equity.clear();
            self.last_equity_minute = None;
        }
        v.day = Some(now.date_naive());
        v.as_of = Some(now);
        v.positions = positions;
        if self.last_equity_minute != Some(minute) {
            self.last_equity_minute = Some(minute);
            v.equity.push(EquityPoint {
                at: now.to_rfc3339(),
                net_pnl: pnl.net,
            });
            if v.equity.len() > MAX_EQUITY_POINTS {
                let thinned: Vec<EquityPoint> = v.equity.iter().step_by(2).cloned().collect();
                v.equity = thinned;
            }
        } else if let Some(last) = v.equity.last_mut() {
            last.net_pnl = pnl.net;
        }
        v.pnl = pnl;
        v.quote_age = quote_age;
        if engine.kill_switch_on(now) {
            v.kill_switch.get_or_insert_with(|| "on".to_string());
        } else {
            v.kill_switch = None;
        }
        let pending = std::mem::take(&mut v.pending_alerts);
        drop(v);
        for a in stale_now {
            self.live.view().last_problem = Some(a.title.clone());
            self.alert(a);
        }
        for a in pending {
            self.alert(a);
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(a) = self.alerts.as_mut() {
            a.close(CLOSE_GRACE);
        }
    }
}

fn money(d: Decimal) -> String {
    d.round_dp(2).to_string()
}

/// The `stale_data` alert of an underlying without a quote for `age` seconds at `now`.
fn stale_underlying(name: &str, age: i64, now: IstTime, limit: u32) -> Alert {
    let mut a = Alert::new(
        "stale_data",
        format!("STALE {name}: no quote for {age} s"),
        format!(
            "no quote of {name} since {} (alerts.stale_quote_seconds {limit})",
            (now - chrono::Duration::seconds(age)).format("%H:%M:%S")
        ),
    );
    a.at = Some(now);
    a
}

/// The `stale_data` alert of an open option position (`quantity` units) whose contract has
/// had no quote for `age` seconds at `now`.
fn stale_option(symbol: &str, quantity: i64, age: i64, now: IstTime, limit: u32) -> Alert {
    let mut a = Alert::new(
        "stale_data",
        format!("STALE {symbol}: no option quote for {age} s"),
        format!(
            "open position {symbol} {quantity}: no quote of it since {} (alerts.stale_quote_seconds {limit}); its mark and exits are on that premium",
            (now - chrono::Duration::seconds(age)).format("%H:%M:%S")
        ),
    );
    a.trading_symbol = Some(symbol.to_string());
    a.at = Some(now);
    a
}

impl SessionObserver for Hub {
    fn on_market(&mut self, event: &Event) {
        match event {
            Event::Quote(q) => self.quotes.saw(&q.symbol.to_string(), q.timestamp),
            // Only the contracts of open positions are watched.
            Event::OptionChain(c) => {
                for q in &c.quotes {
                    if self.option_quotes.tracks(&q.contract.trading_symbol) {
                        self.option_quotes
                            .saw(&q.contract.trading_symbol, q.timestamp);
                    }
                }
            }
            Event::OptionQuote(q) if self.option_quotes.tracks(&q.contract.trading_symbol) => {
                self.option_quotes
                    .saw(&q.contract.trading_symbol, q.timestamp);
            }
            _ => {}
        }
    }

    fn on_action(&mut self, action: &Action, _engine: &Engine, now: IstTime) {
        match action {
            Action::PlaceOrder { purpose, .. } => {
                let kind = match purpose {
                    OrderPurpose::Entry { .. } => "entry",
                    OrderPurpose::Exit { .. } => "exit",
                };
                *self
                    .live
                    .view()
                    .counters
                    .orders
                    .entry(kind.to_string())
                    .or_default() += 1;
            }
            Action::Record(Record::Signal { rejected, .. }) => match rejected {
                None => self.live.view().counters.signals_accepted += 1,
                Some(reason) => {
                    let kind = reason_kind(reason);
                    *self
                        .live
                        .view()
                        .counters
                        .rejections
                        .entry(kind.clone())
                        .or_default() += 1;
                    *self.rejected.entry(kind).or_default() += 1;
                    self.rejected_since.get_or_insert(now);
                }
            },
            Action::Record(Record::PositionClosed {
                trading_symbol,
                underlying,
                net_pnl,
                reason,
                at,
            }) => {
                let mut a = Alert::new(
                    "exit",
                    format!("EXIT {trading_symbol} ({reason}): net P&L {}", money(*net_pnl)),
                    format!(
                        "{underlying} {trading_symbol} closed at {} on {reason}; net P&L {} rupees after charges",
                        at.format("%H:%M:%S"),
                        money(*net_pnl)
                    ),
                );
                a.pnl = Some(*net_pnl);
                a.trading_symbol = Some(trading_symbol.clone());
                a.at = Some(*at);
                self.alert(a);
            }
            Action::Alert { level, message } => {
                let kill = message.starts_with("kill switch");
                if kill {
                    self.live.view().kill_switch = Some(message.clone());
                }
                let event = if kill {
                    "kill_switch"
                } else if *level == AlertLevel::Info {
                    return;
                } else {
                    "broker_error"
                };
                let mut a = Alert::new(
                    event,
                    format!(
                        "{}: {}",
                        if *level == AlertLevel::Critical {
                            "CRITICAL"
                        } else {
                            "WARNING"
                        },
                        message.chars().take(80).collect::<String>()
                    ),
                    message.clone(),
                );
                a.at = Some(now);
                self.alert(a);
            }
            Action::ModifyOrder { .. }
            | Action::ModifyStop { .. }
            | Action::ConvertStopToExit { .. }
            | Action::CancelOrder { .. } => {}
        }
    }

    fn on_outcome(&mut self, _action: &Action, outcome: Option<&Outcome>, now: IstTime) {
        let text = match outcome {
            Some(Outcome::Refused { tag, reason }) => format!("order {tag} refused: {reason}"),
            Some(Outcome::Unknown { tag, detail }) => {
                format!("order {tag}: outcome unknown: {detail}")
            }
            _ => return,
        };
        self.live.view().counters.order_refusals += 1;
        let mut a = Alert::new("broker_error", "BROKER order not placed", text);
        a.at = Some(now);
        self.alert(a);
    }

    fn on_fill(&mut self, fill: &Fill, engine: &Engine) {
        self.live.view().counters.fills += 1;
        let Some(p) = engine.portfolio().position(&fill.trading_symbol) else {
            return;
        };
        let opening = match fill.transaction_type {
            TransactionType::Buy => p.quantity() > 0,
            TransactionType::Sell => p.quantity() < 0,
        };
        if !opening {
            return;
        }
        let levels = |d: Option<Decimal>| d.map_or("-".to_string(), money);
        let mut a = Alert::new(
            "entry",
            format!(
                "ENTRY {} {} {} @ {}",
                crate::store::enum_text(&fill.transaction_type),
                fill.quantity,
                fill.trading_symbol,
                money(fill.price)
            ),
            format!(
                "position {} units at average {}; stop {}, target {}",
                p.quantity(),
                money(p.average_price()),
                levels(engine.current_stop(&fill.trading_symbol)),
                levels(p.meta().target)
            ),
        );
        a.trading_symbol = Some(fill.trading_symbol.clone());
        a.at = Some(fill.timestamp);
        self.alert(a);
    }

    fn on_problem(&mut self, text: &str, now: IstTime) {
        self.live.view().last_problem = Some(text.to_string());
        // The same problem every tick is alerted once per PROBLEM_REPEAT_MINUTES.
        let what = text
            .split_once("WARN")
            .map_or(text, |(_, w)| w)
            .trim()
            .to_string();
        if let Some((last, at)) = &self.last_problem {
            if *last == what && now - *at < chrono::Duration::minutes(PROBLEM_REPEAT_MINUTES) {
                return;
            }
        }
        self.last_problem = Some((what, now));
        let mut a = Alert::new("broker_error", "BROKER problem", text);
        a.at = Some(now);
        self.alert(a);
    }

    fn on_tick(&mut self, engine: &Engine, now: IstTime) -> Option<Control> {
        self.update_view(engine, now);
        self.summarise_rejections(now, false);
        let status = format!("market time {}", now.format("%Y-%m-%d %H:%M:%S"));
        self.heartbeat(&status, engine);
        self.live
            .view()
            .kill_request
            .take()
            .map(Control::KillAndFlatten)
    }

    fn on_idle(&mut self, engine: &Engine, now: IstTime) {
        let status = format!(
            "waiting for the market to open (closed at {} IST)",
            now.format("%Y-%m-%d %H:%M:%S")
        );
        self.heartbeat(&status, engine);
    }

    fn on_day_end(&mut self, day: NaiveDate, tally: &Tally, at: IstTime) {
        self.summarise_rejections(at, true);
        let mut a = Alert::new(
            "daily_summary",
            format!("DAY {day}: net P&L {}", money(tally.net())),
            tally.line(),
        );
        a.pnl = Some(tally.net());
        a.at = Some(at);
        self.alert(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Target;
    use crate::mstock::clock::FakeClock;
    use alphastock_core::config::Config;
    use alphastock_core::market::IST;
    use chrono::TimeZone;
    use serde_json::Value;

    /// A webhook receiver on loopback keeping every JSON body, and the target posting to it.
    fn receiver() -> (Target, Arc<Mutex<Vec<Value>>>) {
        let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", server.server_addr());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let keep = bodies.clone();
        std::thread::spawn(move || {
            for mut req in server.incoming_requests() {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(req.as_reader(), &mut text);
                if let Ok(v) = serde_json::from_str::<Value>(&text) {
                    keep.lock().unwrap().push(v);
                }
                let _ = req.respond(tiny_http::Response::from_string("ok"));
            }
        });
        let target = Target::Webhook {
            url,
            topic: String::new(),
        };
        (target, bodies)
    }

    /// A hub sending to a loopback receiver under `config`, and what the receiver got.
    fn hub_with_receiver(config: &AlertsConfig) -> (Hub, Arc<Mutex<Vec<Value>>>) {
        let (target, bodies) = receiver();
        let sender = AlertSender::start(config, vec![target]).unwrap();
        let hub = Hub::new(
            Live::new("live run", Controls::default()),
            Some(sender),
            config,
        );
        (hub, bodies)
    }

    fn engine() -> Engine {
        let config = Config::from_yaml_str(
            "strategies:\n  ema_crossover: { enabled: true, symbols: [BANKNIFTY] }\n",
        )
        .unwrap();
        Engine::new(&config).unwrap()
    }

    /// The `message` of every alert of kind `event` received, in order.
    fn messages(bodies: &Mutex<Vec<Value>>, event: &str) -> Vec<String> {
        bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b["event"] == event)
            .map(|b| b["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn heartbeats_go_on_while_the_loop_waits_for_the_open_at_the_configured_interval() {
        let config = AlertsConfig {
            heartbeat_minutes: 15,
            max_per_minute: 600,
            ..AlertsConfig::default()
        };
        let (hub, bodies) = hub_with_receiver(&config);
        // A night on a simulated clock: 05:00 to the open at 09:15, one call a second.
        let start = IST.with_ymd_and_hms(2026, 12, 1, 5, 0, 0).unwrap();
        let wall = IstClock::starting_at(start, Arc::new(FakeClock::default()));
        let mut hub = hub.with_wall_clock(wall.clone());
        let engine = engine();
        let open = IST.with_ymd_and_hms(2026, 12, 1, 9, 15, 0).unwrap();
        while wall.now() < open {
            hub.on_idle(&engine, wall.now());
            wall.sleep(Duration::from_secs(1));
        }
        hub.on_tick(&engine, wall.now());
        drop(hub);
        let got = messages(&bodies, "heartbeat");
        // 05:00, 05:15, ... 09:00 while waiting, then the first tick at 09:15.
        assert_eq!(got.len(), 18, "{got:#?}");
        assert_eq!(
            got[0],
            "waiting for the market to open (closed at 2026-12-01 05:00:00 IST), open positions 0, day net P&L 0"
        );
        assert_eq!(
            got[16],
            "waiting for the market to open (closed at 2026-12-01 09:00:00 IST), open positions 0, day net P&L 0"
        );
        assert_eq!(
            got[17],
            "market time 2026-12-01 09:15:00, open positions 0, day net P&L 0"
        );
    }

    /// A quote of `symbol` (an option contract of BANKNIFTY expiring 2025-12-30) at `at`.
    fn option_quote(
        symbol: &str,
        strike: i64,
        at: IstTime,
    ) -> alphastock_core::market::OptionQuote {
        use alphastock_core::market::{Exchange, OptionContract, OptionQuote, OptionType, Symbol};
        OptionQuote {
            contract: OptionContract {
                underlying: Symbol::parse("BANKNIFTY").unwrap(),
                expiry: NaiveDate::from_ymd_opt(2025, 12, 30).unwrap(),
                strike: Decimal::from(strike),
                option_type: OptionType::CE,
                lot_size: 35,
                tick_size: Decimal::new(5, 2),
                trading_symbol: symbol.to_string(),
                exchange: Exchange::Nfo,
            },
            premium: Decimal::from(280),
            bid: None,
            ask: None,
            volume: None,
            oi: None,
            iv: None,
            greeks: None,
            timestamp: at,
        }
    }

    #[test]
    fn an_open_option_position_whose_quotes_stop_is_alerted_once_per_quiet_spell() {
        use alphastock_core::market::{Exchange, OptionChain, Quote, Symbol};
        use alphastock_core::portfolio::PositionMeta;
        let config = AlertsConfig {
            heartbeat_minutes: 0,
            stale_quote_seconds: 120,
            max_per_minute: 600,
            ..AlertsConfig::default()
        };
        let (mut hub, bodies) = hub_with_receiver(&config);
        let mut engine = engine();
        let t0 = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
        let held = "BANKNIFTY25DEC51200CE";
        let other = "BANKNIFTY25DEC51300CE";
        engine.adopt_position(
            PositionMeta {
                trading_symbol: held.into(),
                exchange: Exchange::Nfo,
                underlying: Symbol::parse("BANKNIFTY").unwrap(),
                lot_size: 35,
                tick_size: Decimal::new(5, 2),
                expiry: NaiveDate::from_ymd_opt(2025, 12, 30),
                target: None,
                stop: None,
            },
            35,
            Decimal::new(28015, 2),
            t0,
        );
        // A tick every 5 s for 10 minutes. The underlying is quoted throughout and the other
        // contract too; the held one until 10:02:00, again at 10:06:00 only.
        for n in 0..=120 {
            let now = t0 + chrono::Duration::seconds(5 * n);
            let spot = Decimal::from(51245);
            hub.on_market(&Event::Quote(Quote {
                symbol: Symbol::parse("BANKNIFTY").unwrap(),
                ltp: spot,
                open: spot,
                high: spot,
                low: spot,
                close: spot,
                volume: 0,
                bid: None,
                ask: None,
                oi: None,
                timestamp: now,
            }));
            let mut quotes = vec![option_quote(other, 51300, now)];
            if n <= 24 || n == 72 {
                quotes.push(option_quote(held, 51200, now));
            }
            hub.on_market(&Event::OptionChain(OptionChain {
                underlying: Symbol::parse("BANKNIFTY").unwrap(),
                spot,
                expiry: NaiveDate::from_ymd_opt(2025, 12, 30).unwrap(),
                timestamp: now,
                quotes,
            }));
            hub.on_tick(&engine, now);
        }
        let live = hub.live.clone();
        drop(hub);
        let stale: Vec<Value> = bodies
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b["event"] == "stale_data")
            .cloned()
            .collect();
        // Last quoted 10:02:00, first tick beyond 120 s at 10:04:05; again 10:06:00 → 10:08:05.
        assert_eq!(stale.len(), 2, "{stale:#?}");
        assert_eq!(
            stale[0]["title"],
            "STALE BANKNIFTY25DEC51200CE: no option quote for 125 s"
        );
        assert_eq!(
            stale[0]["message"],
            "open position BANKNIFTY25DEC51200CE 35: no quote of it since 10:02:00 \
             (alerts.stale_quote_seconds 120); its mark and exits are on that premium"
        );
        assert_eq!(stale[0]["trading_symbol"], held);
        assert_eq!(stale[0]["at"], "2025-12-02T10:04:05+05:30");
        assert_eq!(
            stale[1]["message"],
            "open position BANKNIFTY25DEC51200CE 35: no quote of it since 10:06:00 \
             (alerts.stale_quote_seconds 120); its mark and exits are on that premium"
        );
        assert_eq!(stale[1]["at"], "2025-12-02T10:08:05+05:30");
        let mut state = DashboardState::default();
        live.overlay(&mut state);
        assert_eq!(
            state.health.last_problem.as_deref(),
            Some("STALE BANKNIFTY25DEC51200CE: no option quote for 125 s")
        );
    }

    #[test]
    fn a_warning_repeated_every_tick_is_alerted_once_per_interval_and_counted_on_the_page() {
        let config = AlertsConfig::default();
        // No target: the worker counts each alert it takes as sent.
        let sender = AlertSender::start(&config, Vec::new()).unwrap();
        let stats = sender.stats();
        let live = Live::new("live run", Controls::default());
        let mut hub = Hub::new(live.clone(), Some(sender), &config);
        let t0 = alphastock_core::market::IST
            .with_ymd_and_hms(2026, 12, 1, 10, 0, 0)
            .unwrap();
        for s in 0..60 {
            let now = t0 + chrono::Duration::seconds(5 * s);
            hub.on_problem(
                &format!("{} WARN   quotes not read: timeout", now.format("%H:%M:%S")),
                now,
            );
        }
        hub.on_problem("10:05:00 WARN   positions not read", t0);
        let later = t0 + chrono::Duration::minutes(PROBLEM_REPEAT_MINUTES);
        hub.on_problem("WARN   quotes not read: timeout", later);
        let mut state = DashboardState::default();
        live.overlay(&mut state);
        assert_eq!(
            state.health.last_problem.as_deref(),
            Some("WARN   quotes not read: timeout")
        );
        drop(hub);
        assert_eq!(stats.read().0, 3);
    }
}
