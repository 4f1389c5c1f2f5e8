//! `/metrics` in the Prometheus text exposition format (version 0.0.4): counters of orders,
//! fills, signals and rejections by reason, broker API calls and errors by endpoint with a
//! latency histogram, and gauges of P&L, open positions, the kill switch, quote ages, alert
//! delivery and uptime.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::state::DashboardState;

/// Upper bounds of the API latency histogram buckets, seconds.
pub const LATENCY_BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Calls of one broker endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApiStats {
    /// Calls made.
    pub calls: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Calls whose latency was at most each of [`LATENCY_BUCKETS`] (cumulative).
    pub buckets: [u64; LATENCY_BUCKETS.len()],
    /// Sum of latencies, seconds.
    pub seconds: f64,
}

impl ApiStats {
    /// Counts one call that took `seconds` and failed or not.
    pub fn record(&mut self, seconds: f64, failed: bool) {
        self.calls += 1;
        if failed {
            self.errors += 1;
        }
        self.seconds += seconds;
        for (bound, count) in LATENCY_BUCKETS.iter().zip(self.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }
}

/// What happened so far: of a running process since it started, or of a journal's day.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counters {
    /// Orders sent, by purpose (`entry`, `exit`).
    pub orders: BTreeMap<String, u64>,
    /// Orders the broker refused (or whose outcome is unknown).
    pub order_refusals: u64,
    /// Executions.
    pub fills: u64,
    /// Signals that led to an order.
    pub signals_accepted: u64,
    /// Rejected signals by reason (numbers taken out, see
    /// [`alphastock_core::backtest::reason_kind`]).
    pub rejections: BTreeMap<String, u64>,
    /// Broker API calls by endpoint.
    pub api: BTreeMap<String, ApiStats>,
}

impl Counters {
    /// Orders of every purpose.
    pub fn orders_total(&self) -> u64 {
        self.orders.values().sum()
    }
}

/// Reads one count of an endpoint's stats.
type ApiCount = fn(&ApiStats) -> u64;

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The metrics page for `counters`, with the gauges read from `state` (P&L, positions, kill
/// switch, quote ages, alerts, uptime).
pub fn render(counters: &Counters, state: &DashboardState) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "alphastock_up",
        "gauge",
        "1 while the process serves metrics.",
    );
    let _ = writeln!(out, "alphastock_up{{source=\"{}\"}} 1", label(&state.mode));
    if let Some(up) = state.health.uptime_seconds {
        family(
            &mut out,
            "alphastock_uptime_seconds",
            "gauge",
            "Seconds since the run started.",
        );
        let _ = writeln!(out, "alphastock_uptime_seconds {up:.3}");
    }
    family(
        &mut out,
        "alphastock_orders_total",
        "counter",
        "Orders sent to the broker, by purpose.",
    );
    for purpose in ["entry", "exit"] {
        let n = counters.orders.get(purpose).copied().unwrap_or(0);
        let _ = writeln!(out, "alphastock_orders_total{{purpose=\"{purpose}\"}} {n}");
    }
    family(
        &mut out,
        "alphastock_order_refusals_total",
        "counter",
        "Orders the broker refused or whose outcome is unknown.",
    );
    let _ = writeln!(
        out,
        "alphastock_order_refusals_total {}",
        counters.order_refusals
    );
    family(&mut out, "alphastock_fills_total", "counter", "Executions.");
    let _ = writeln!(out, "alphastock_fills_total {}", counters.fills);
    family(
        &mut out,
        "alphastock_signals_accepted_total",
        "counter",
        "Signals that led to an order.",
    );
    let _ = writeln!(
        out,
        "alphastock_signals_accepted_total {}",
        counters.signals_accepted
    );
    family(
        &mut out,
        "alphastock_rejections_total",
        "counter",
        "Rejected signals by reason (numbers replaced by #).",
    );
    for (reason, n) in &counters.rejections {
        let _ = writeln!(
            out,
            "alphastock_rejections_total{{reason=\"{}\"}} {n}",
            label(reason)
        );
    }
    let per_endpoint: [(&str, &str, ApiCount); 2] = [
        (
            "alphastock_api_calls_total",
            "Broker API calls by endpoint.",
            |s| s.calls,
        ),
        (
            "alphastock_api_errors_total",
            "Broker API calls that failed, by endpoint.",
            |s| s.errors,
        ),
    ];
    for (name, help, value) in per_endpoint {
        family(&mut out, name, "counter", help);
        for (ep, s) in &counters.api {
            let _ = writeln!(out, "{name}{{endpoint=\"{}\"}} {}", label(ep), value(s));
        }
    }
    family(
        &mut out,
        "alphastock_api_latency_seconds",
        "histogram",
        "Broker API call latency, seconds.",
    );
    for (ep, s) in &counters.api {
        let ep = label(ep);
        for (bound, n) in LATENCY_BUCKETS.iter().zip(s.buckets.iter()) {
            let _ = writeln!(
                out,
                "alphastock_api_latency_seconds_bucket{{endpoint=\"{ep}\",le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "alphastock_api_latency_seconds_bucket{{endpoint=\"{ep}\",le=\"+Inf\"}} {}",
            s.calls
        );
        let _ = writeln!(
            out,
            "alphastock_api_latency_seconds_sum{{endpoint=\"{ep}\"}} {:.6}",
            s.seconds
        );
        let _ = writeln!(
            out,
            "alphastock_api_latency_seconds_count{{endpoint=\"{ep}\"}} {}",
            s.calls
        );
    }
    family(
        &mut out,
        "alphastock_pnl_rupees",
        "gauge",
        "The day's P&L, rupees: closed (after charges), unrealised (open, at marks), net.",
    );
    for (kind, v) in [
        ("closed", &state.pnl.closed),
        ("unrealised", &state.pnl.unrealised),
        ("net", &state.pnl.net),
    ] {
        let _ = writeln!(out, "alphastock_pnl_rupees{{kind=\"{kind}\"}} {v}");
    }
    family(
        &mut out,
        "alphastock_open_positions",
        "gauge",
        "Open positions.",
    );
    let _ = writeln!(out, "alphastock_open_positions {}", state.positions.len());
    family(
        &mut out,
        "alphastock_kill_switch",
        "gauge",
        "1 when the kill switch is on (no new entries).",
    );
    let _ = writeln!(
        out,
        "alphastock_kill_switch {}",
        u8::from(state.health.kill_switch.is_some())
    );
    family(
        &mut out,
        "alphastock_quote_age_seconds",
        "gauge",
        "Market seconds since the last quote of each underlying.",
    );
    for (u, age) in &state.health.quote_age_seconds {
        let _ = writeln!(
            out,
            "alphastock_quote_age_seconds{{underlying=\"{}\"}} {age}",
            label(u)
        );
    }
    if let Some(b) = &state.health.circuit_breaker {
        family(
            &mut out,
            "alphastock_circuit_breaker_open",
            "gauge",
            "1 while the broker link's circuit breaker is open (calls paused).",
        );
        let _ = writeln!(
            out,
            "alphastock_circuit_breaker_open{{state=\"{}\"}} {}",
            label(b),
            u8::from(state.health.circuit_breaker_open)
        );
    }
    if !state.health.rate_limits.is_empty() {
        family(
            &mut out,
            "alphastock_rate_limit_used_ratio",
            "gauge",
            "Share of each broker rate-limit window in use (1 = at the limit).",
        );
        for w in &state.health.rate_limits {
            let _ = writeln!(
                out,
                "alphastock_rate_limit_used_ratio{{class=\"{}\",window_seconds=\"{}\"}} {:.4}",
                label(&w.class),
                w.window_seconds,
                f64::from(w.used) / f64::from(w.limit.max(1))
            );
        }
    }
    if let Some(a) = &state.health.alerts {
        family(
            &mut out,
            "alphastock_alerts_total",
            "counter",
            "Alerts by fate: sent, dropped (queue full), rate_limited, failed (per target).",
        );
        for (fate, n) in [
            ("sent", a.sent),
            ("dropped", a.dropped),
            ("rate_limited", a.rate_limited),
            ("failed", a.failed),
        ] {
            let _ = writeln!(out, "alphastock_alerts_total{{fate=\"{fate}\"}} {n}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_the_text_format_is_well_formed() {
        let mut c = Counters::default();
        c.orders.insert("entry".into(), 2);
        c.orders.insert("exit".into(), 1);
        c.rejections.insert("spread \"#\" wide".into(), 3);
        let api = c.api.entry("place_order".into()).or_default();
        api.record(0.03, false);
        api.record(0.3, true);
        api.record(20.0, false);
        assert_eq!(api.buckets, [0, 1, 1, 1, 2, 2, 2, 2, 2]);
        let text = render(&c, &DashboardState::default());
        assert!(text.contains("alphastock_orders_total{purpose=\"entry\"} 2\n"));
        assert!(text.contains("alphastock_orders_total{purpose=\"exit\"} 1\n"));
        assert!(text.contains("alphastock_rejections_total{reason=\"spread \\\"#\\\" wide\"} 3\n"));
        assert!(text.contains(
            "alphastock_api_latency_seconds_bucket{endpoint=\"place_order\",le=\"+Inf\"} 3\n"
        ));
        assert!(text.contains("alphastock_api_errors_total{endpoint=\"place_order\"} 1\n"));
        assert!(text
            .contains("alphastock_api_latency_seconds_sum{endpoint=\"place_order\"} 20.330000\n"));
        // Every sample line is `name{labels} value` or `name value`, after its # TYPE line.
        let mut typed = std::collections::BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.insert(rest.split(' ').next().unwrap().to_string());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let name = line.split(['{', ' ']).next().unwrap();
            let base = name
                .trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count");
            assert!(typed.contains(name) || typed.contains(base), "{line}");
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
