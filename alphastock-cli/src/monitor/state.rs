//! What the dashboard shows (`/api/state`), read from the journal for one trading day; a
//! running session then lays its live view over it ([`crate::monitor::hub::Live::overlay`]): positions at
//! their live marks, the equity curve sampled every market minute, quote ages, broker health
//! and the kill switch. Money is exact decimal text in rupees.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{NaiveDate, NaiveTime, TimeZone};
use rust_decimal::Decimal;
use serde::Serialize;

use alphastock_core::backtest::reason_kind;
use alphastock_core::engine::OrderPurpose;
use alphastock_core::market::{IstTime, IST};

use crate::store::{enum_text, Store};

/// Signals kept in the state, newest first.
pub const MAX_SIGNALS: usize = 200;

/// An open position.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PositionView {
    /// Trading symbol.
    pub trading_symbol: String,
    /// The underlying.
    pub underlying: String,
    /// Signed units: positive long, negative short.
    pub quantity: i64,
    /// Average price, rupees per unit.
    pub average_price: Decimal,
    /// Last price, rupees per unit, when known.
    pub mark: Option<Decimal>,
    /// P&L at the mark against the average price, before charges, rupees.
    pub unrealised_pnl: Option<Decimal>,
    /// Stop, rupees per unit.
    pub stop: Option<Decimal>,
    /// Target, rupees per unit.
    pub target: Option<Decimal>,
}

/// An order of the day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OrderView {
    /// Client tag.
    pub tag: String,
    /// When it was decided (IST, RFC 3339).
    pub at: String,
    /// Trading symbol.
    pub trading_symbol: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Units.
    pub quantity: u32,
    /// Limit price, rupees.
    pub price: Option<Decimal>,
    /// Last known status.
    pub status: String,
    /// Units filled.
    pub filled: u32,
    /// Average fill price, rupees.
    pub average_price: Option<Decimal>,
    /// `entry (strategy)` or `exit: reason`.
    pub purpose: String,
    /// The broker's message (a refusal reason).
    pub message: Option<String>,
}

/// An execution of the day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FillView {
    /// When (IST, RFC 3339).
    pub at: String,
    /// Trading symbol.
    pub trading_symbol: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Units.
    pub quantity: u32,
    /// Price, rupees per unit.
    pub price: Decimal,
    /// The broker's trade id.
    pub trade_id: String,
}

/// A signal and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SignalView {
    /// When (IST, RFC 3339).
    pub at: String,
    /// The underlying.
    pub underlying: String,
    /// The strategy.
    pub strategy: String,
    /// `BUY` or `SELL`.
    pub side: String,
    /// Confidence, 0–100.
    pub confidence: i64,
    /// Why it was dropped; `None` when it led to an order.
    pub rejection: Option<String>,
}

/// Rejections of one kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReasonCount {
    /// The reason with its numbers replaced by `#`.
    pub reason: String,
    /// Signals it dropped.
    pub count: u64,
}

/// A closed round trip.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClosedView {
    /// When (IST, RFC 3339).
    pub at: String,
    /// Trading symbol.
    pub trading_symbol: String,
    /// The underlying.
    pub underlying: String,
    /// The strategy of the entry, when the journal has it.
    pub strategy: String,
    /// Why it was closed (target, stop, kill switch, ...).
    pub reason: String,
    /// Net P&L after charges, rupees.
    pub net_pnl: Decimal,
}

/// A point of the equity curve.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EquityPoint {
    /// When (IST, RFC 3339).
    pub at: String,
    /// The day's net P&L then, rupees.
    pub net_pnl: Decimal,
}

/// One strategy's day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StrategyPnl {
    /// The strategy (config key).
    pub strategy: String,
    /// Closed round trips.
    pub trades: u32,
    /// Of them, with a positive net P&L.
    pub wins: u32,
    /// Net P&L after charges, rupees.
    pub net_pnl: Decimal,
}

/// The day's P&L, rupees.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PnlView {
    /// Closed round trips after charges (the journal), or realised less charges (a run).
    pub closed: Decimal,
    /// Open positions at their marks, before charges.
    pub unrealised: Decimal,
    /// `closed + unrealised`.
    pub net: Decimal,
}

/// One broker endpoint's calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApiView {
    /// Calls made.
    pub calls: u64,
    /// Of them failed.
    pub errors: u64,
    /// Errors per call, percent.
    pub error_rate_pct: f64,
    /// Mean latency, milliseconds.
    pub mean_ms: f64,
}

/// What happened to alerts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlertView {
    /// Delivered.
    pub sent: u64,
    /// Dropped: the queue was full.
    pub dropped: u64,
    /// Dropped by the rate limit.
    pub rate_limited: u64,
    /// Deliveries failed after every retry.
    pub failed: u64,
}

/// One rate-limit window of the broker link.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RateWindow {
    /// Endpoint class (`orders`, `market data`, `other`).
    pub class: String,
    /// The window's length, seconds.
    pub window_seconds: f64,
    /// Calls made within the last window.
    pub used: u32,
    /// Calls allowed in a window.
    pub limit: u32,
}

/// The process's health.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Health {
    /// Seconds since the run started; `None` when reading a journal.
    pub uptime_seconds: Option<f64>,
    /// Market seconds since each underlying's last quote, at the latest market time.
    pub quote_age_seconds: BTreeMap<String, i64>,
    /// Broker API calls by endpoint.
    pub api: BTreeMap<String, ApiView>,
    /// The broker link: `ok`, `failing: N calls in a row (last: ...)` or `not measured`.
    pub broker: String,
    /// The circuit breaker of the broker link (live): `closed`, `open (calls paused)`, ...
    pub circuit_breaker: Option<String>,
    /// True while the circuit breaker is open.
    pub circuit_breaker_open: bool,
    /// Rate-limit use of the broker link per endpoint class and window (live).
    pub rate_limits: Vec<RateWindow>,
    /// The kill switch's reason when it is on.
    pub kill_switch: Option<String>,
    /// Alert delivery, when alerts are on.
    pub alerts: Option<AlertView>,
    /// The latest warning the loop printed (a broker read that failed, stale data).
    pub last_problem: Option<String>,
}

/// The page's controls.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Controls {
    /// The kill switch / flatten button is offered.
    pub kill_switch_button: bool,
    /// How often the page polls, seconds.
    pub refresh_seconds: u32,
}

/// Everything `/api/state` answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DashboardState {
    /// `paper run`, `live run` or `journal`.
    pub mode: String,
    /// The trading day shown.
    pub day: Option<NaiveDate>,
    /// The latest market time seen (IST, RFC 3339).
    pub as_of: Option<String>,
    /// Open positions.
    pub positions: Vec<PositionView>,
    /// The day's orders, oldest first.
    pub orders: Vec<OrderView>,
    /// The day's fills, oldest first.
    pub fills: Vec<FillView>,
    /// The day's signals, newest first, at most [`MAX_SIGNALS`].
    pub signals: Vec<SignalView>,
    /// All the day's signals.
    pub signals_total: u64,
    /// Rejections by kind, most frequent first.
    pub rejections: Vec<ReasonCount>,
    /// Closed round trips, oldest first.
    pub closed: Vec<ClosedView>,
    /// The equity curve (the day's net P&L over time).
    pub equity: Vec<EquityPoint>,
    /// Current drawdown from the curve's peak, rupees (≥ 0).
    pub drawdown: Decimal,
    /// Largest drawdown of the day, rupees (≥ 0).
    pub max_drawdown: Decimal,
    /// P&L per strategy.
    pub strategies: Vec<StrategyPnl>,
    /// The day's P&L.
    pub pnl: PnlView,
    /// Health.
    pub health: Health,
    /// Controls.
    pub controls: Controls,
}

fn day_start(day: NaiveDate) -> IstTime {
    IST.from_local_datetime(&day.and_time(NaiveTime::MIN))
        .single()
        .unwrap_or_else(|| IST.from_utc_datetime(&day.and_time(NaiveTime::MIN)))
}

fn rfc(t: &IstTime) -> String {
    t.with_timezone(&IST).to_rfc3339()
}

impl DashboardState {
    /// The state of `day` (default: the journal's latest day) as the journal has it.
    pub fn from_journal(store: &Store, day: Option<NaiveDate>) -> Result<DashboardState> {
        let mut s = DashboardState {
            mode: "journal".to_string(),
            health: Health {
                broker: "not measured".to_string(),
                ..Health::default()
            },
            ..DashboardState::default()
        };
        let Some(day) = day.or(store.latest_day()?) else {
            return Ok(s);
        };
        s.day = Some(day);
        let start = day_start(day);
        let end = start + chrono::Duration::days(1);
        let mut strategy_of: BTreeMap<String, String> = BTreeMap::new();
        for o in store.orders_on(day)? {
            let purpose = match &o.purpose {
                Some(OrderPurpose::Entry { signal, .. }) => {
                    strategy_of.insert(o.request.trading_symbol.clone(), signal.strategy.clone());
                    format!("entry ({})", signal.strategy)
                }
                Some(OrderPurpose::Exit { reason }) => format!("exit: {reason}"),
                None => String::new(),
            };
            s.orders.push(OrderView {
                tag: o.tag.clone(),
                at: rfc(&o.created_at),
                trading_symbol: o.request.trading_symbol.clone(),
                side: enum_text(&o.request.transaction_type),
                quantity: o.request.quantity,
                price: o.request.price,
                status: enum_text(&o.status),
                filled: o.filled_quantity,
                average_price: o.average_price,
                purpose,
                message: o.message.clone(),
            });
        }
        let mut latest = None::<IstTime>;
        for f in store.fills_since(start)? {
            if f.timestamp >= end {
                continue;
            }
            latest = latest.max(Some(f.timestamp));
            s.fills.push(FillView {
                at: rfc(&f.timestamp),
                trading_symbol: f.trading_symbol.clone(),
                side: enum_text(&f.transaction_type),
                quantity: f.quantity,
                price: f.price,
                trade_id: f.trade_id.clone(),
            });
        }
        let (signals, total) = store.signals_on(day, MAX_SIGNALS)?;
        s.signals_total = total;
        s.signals = signals
            .into_iter()
            .map(|g| SignalView {
                at: rfc(&g.at),
                underlying: g.underlying,
                strategy: g.strategy,
                side: g.side,
                confidence: g.confidence,
                rejection: g.rejection,
            })
            .collect();
        let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
        for (text, n) in store.rejections_on(day)? {
            *kinds.entry(reason_kind(&text)).or_default() += n;
        }
        s.rejections = kinds
            .into_iter()
            .map(|(reason, count)| ReasonCount { reason, count })
            .collect();
        s.rejections.sort_by_key(|r| std::cmp::Reverse(r.count));
        let mut cumulative = Decimal::ZERO;
        let mut per: BTreeMap<String, StrategyPnl> = BTreeMap::new();
        for (at, d) in store.journal_since("position_closed", start)? {
            if at >= end {
                continue;
            }
            let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let net: Decimal = text("net_pnl").parse().unwrap_or(Decimal::ZERO);
            let symbol = text("trading_symbol");
            let strategy = strategy_of.get(&symbol).cloned().unwrap_or_default();
            cumulative += net;
            s.equity.push(EquityPoint {
                at: rfc(&at),
                net_pnl: cumulative,
            });
            let row = per.entry(strategy.clone()).or_insert_with(|| StrategyPnl {
                strategy: strategy.clone(),
                ..StrategyPnl::default()
            });
            row.trades += 1;
            row.wins += u32::from(net > Decimal::ZERO);
            row.net_pnl += net;
            s.closed.push(ClosedView {
                at: rfc(&at),
                trading_symbol: symbol,
                underlying: text("underlying"),
                strategy,
                reason: text("reason"),
                net_pnl: net,
            });
        }
        s.strategies = per.into_values().collect();
        for (at, d) in store.journal_since("alert", start)? {
            if let Some(m) = d.get("message").and_then(|m| m.as_str()) {
                if at < end && m.starts_with("kill switch tripped") {
                    s.health.kill_switch = Some(m.to_string());
                }
            }
        }
        let as_of = store
            .latest_quote_time()?
            .filter(|t| t.date_naive() == day)
            .max(latest)
            .unwrap_or(end);
        s.as_of = Some(rfc(&as_of));
        let mut unrealised = Decimal::ZERO;
        for p in store.positions()? {
            let detail = |k: &str| {
                p.detail
                    .get(k)
                    .and_then(|v| v.as_str())
                    .and_then(|v| v.parse::<Decimal>().ok())
            };
            let mark = store.last_price(&p.trading_symbol, as_of)?.map(|(m, _)| m);
            let u = mark.map(|m| (m - p.average_price) * Decimal::from(p.quantity));
            unrealised += u.unwrap_or(Decimal::ZERO);
            s.positions.push(PositionView {
                trading_symbol: p.trading_symbol.clone(),
                underlying: p.underlying.clone(),
                quantity: p.quantity,
                average_price: p.average_price,
                mark,
                unrealised_pnl: u,
                stop: detail("stop"),
                target: detail("target"),
            });
        }
        s.pnl = PnlView {
            closed: cumulative,
            unrealised,
            net: cumulative + unrealised,
        };
        s.finish_curve();
        Ok(s)
    }

    /// Sets the drawdowns from the equity curve (peak to trough, starting from zero).
    pub fn finish_curve(&mut self) {
        let mut peak = Decimal::ZERO;
        let mut worst = Decimal::ZERO;
        let mut now = Decimal::ZERO;
        for p in &self.equity {
            peak = peak.max(p.net_pnl);
            now = peak - p.net_pnl;
            worst = worst.max(now);
        }
        self.drawdown = now;
        self.max_drawdown = worst;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(v: i64) -> EquityPoint {
        EquityPoint {
            at: String::new(),
            net_pnl: Decimal::from(v),
        }
    }

    #[test]
    fn drawdown_is_measured_from_the_running_peak() {
        let mut s = DashboardState {
            equity: vec![point(100), point(-50), point(200), point(150)],
            ..Default::default()
        };
        s.finish_curve();
        assert_eq!(s.max_drawdown, Decimal::from(150));
        assert_eq!(s.drawdown, Decimal::from(50));
        let mut losing = DashboardState {
            equity: vec![point(-30)],
            ..Default::default()
        };
        losing.finish_curve();
        assert_eq!(losing.max_drawdown, Decimal::from(30));
    }
}
