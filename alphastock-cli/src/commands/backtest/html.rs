//! The self-contained HTML report: metrics, equity curve and drawdown as inline SVG polylines,
//! and the trade table. No scripts, no external files.

use std::fmt::Write;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use alphastock_core::backtest::metrics::MaxDrawdown;
use alphastock_core::backtest::BacktestReport;

use super::{ratio, source_name};

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 220.0;
const PAD: f64 = 50.0;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A line chart of `values` (in order, evenly spaced) as an SVG element, with the minimum and
/// maximum labelled on the y axis.
fn chart(values: &[f64], colour: &str, title: &str, fill: bool) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}"><rect width="100%" height="100%" fill="#fff"/>"##,
        t = esc(title)
    );
    if values.is_empty() {
        svg.push_str(r#"<text x="50%" y="50%" text-anchor="middle">no data</text></svg>"#);
        return svg;
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let n = values.len().max(2) - 1;
    let x = |i: usize| PAD + (WIDTH - 2.0 * PAD) * i as f64 / n as f64;
    let y = |v: f64| HEIGHT - PAD / 2.0 - (HEIGHT - PAD) * (v - lo) / span;
    let mut points = String::new();
    for (i, v) in values.iter().enumerate() {
        let _ = write!(points, "{:.1},{:.1} ", x(i), y(*v));
    }
    if values.len() == 1 {
        let _ = write!(points, "{:.1},{:.1}", x(1), y(values[0]));
    }
    let _ = write!(
        svg,
        r##"<line x1="{PAD}" y1="{top}" x2="{PAD}" y2="{bottom}" stroke="#999"/><line x1="{PAD}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#999"/><text x="{lx}" y="{top}" font-size="11" text-anchor="end">{hi:.0}</text><text x="{lx}" y="{bottom}" font-size="11" text-anchor="end">{lo:.0}</text>"##,
        top = PAD / 2.0,
        bottom = HEIGHT - PAD / 2.0,
        right = WIDTH - PAD,
        lx = PAD - 4.0,
    );
    let fill_attr = if fill {
        format!(r#"fill="{colour}" fill-opacity="0.15""#)
    } else {
        r#"fill="none""#.to_string()
    };
    let _ = write!(
        svg,
        r#"<polyline points="{}" stroke="{colour}" stroke-width="1.5" {fill_attr}/></svg>"#,
        points.trim_end()
    );
    svg
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Renders the report.
pub fn render(r: &BacktestReport) -> String {
    let m = &r.metrics;
    let equity: Vec<f64> = std::iter::once(f(r.starting_capital))
        .chain(r.equity_curve.iter().map(|p| f(p.equity)))
        .collect();
    let drawdown: Vec<f64> = MaxDrawdown::series(r.starting_capital, &r.equity_curve)
        .into_iter()
        .map(|d| -f(d))
        .collect();
    let money = |d: Option<Decimal>| d.map_or("-".to_string(), |v| format!("{v:.2}"));
    let mut h = String::new();
    h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AlphaStock backtest</title><style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td.l{text-align:left}.pos{color:#060}.neg{color:#a00}</style></head><body>");
    let _ = write!(
        h,
        "<h1>Backtest report</h1><p>Option prices: <b>{}</b>{}. Starting capital {:.2} rupees; {} trading day(s).</p>",
        source_name(r.option_source),
        if source_name(r.option_source) == "simulated" {
            " (Black-Scholes chains from the simulated volatility surface; no recorded options)"
        } else {
            " (recorded option snapshots)"
        },
        r.starting_capital,
        r.daily_equity.len()
    );
    h.push_str("<h2>Metrics</h2><table>");
    let rows: Vec<(&str, String)> = vec![
        ("Net P&amp;L (rupees)", format!("{:.2}", m.net_pnl)),
        ("Gross P&amp;L (rupees)", format!("{:.2}", m.gross_pnl)),
        ("Charges (rupees)", format!("{:.2}", m.charges)),
        ("Trades", m.trades.to_string()),
        (
            "Win rate",
            m.win_rate
                .map_or("-".into(), |w| format!("{:.1} %", w * 100.0)),
        ),
        ("Average win (rupees)", money(m.average_win)),
        ("Average loss (rupees)", money(m.average_loss)),
        ("Profit factor", ratio(m.profit_factor)),
        ("Expectancy per trade (rupees)", money(m.expectancy)),
        (
            "Max drawdown",
            format!("{:.2} rupees ({:.2} %)", m.max_drawdown, m.max_drawdown_pct),
        ),
        ("Sharpe (daily, ×√252)", ratio(m.sharpe)),
        ("Sortino (daily, ×√252)", ratio(m.sortino)),
        (
            "Exposure (time in market)",
            format!("{:.1} %", m.exposure * 100.0),
        ),
        ("Open at end of data", r.open_at_end.to_string()),
        ("Signals", r.signals.to_string()),
        ("Missed entries", r.missed_entries.to_string()),
        (
            "Missed exits (settled or forced at the close)",
            r.missed_exits.to_string(),
        ),
    ];
    for (k, v) in rows {
        let _ = write!(h, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    h.push_str("</table>");
    if !r.rejections.is_empty() {
        h.push_str("<h3>Rejected signals</h3><table><tr><th>reason</th><th>count</th></tr>");
        for (reason, n) in &r.rejections {
            let _ = write!(
                h,
                "<tr><td class=\"l\">{}</td><td>{n}</td></tr>",
                esc(reason)
            );
        }
        h.push_str("</table>");
    }
    for (title, rows) in [
        ("Per strategy", &m.by_strategy),
        ("Per symbol", &m.by_symbol),
    ] {
        let _ = write!(
            h,
            "<h3>{title}</h3><table><tr><th>name</th><th>trades</th><th>wins</th><th>net P&amp;L</th><th>gross P&amp;L</th><th>win rate</th></tr>"
        );
        for (name, row) in rows {
            let _ = write!(
                h,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.1} %</td></tr>",
                esc(name),
                row.trades,
                row.wins,
                row.net_pnl,
                row.gross_pnl,
                row.win_rate * 100.0
            );
        }
        h.push_str("</table>");
    }
    let _ = write!(
        h,
        "<h2>Equity curve (rupees)</h2>{}<h2>Drawdown (rupees below the running peak)</h2>{}<p>The x axis is the sequence of equity changes in time order.</p>",
        chart(&equity, "#1f5fa8", "equity curve", false),
        chart(&drawdown, "#a00", "drawdown", true)
    );
    h.push_str("<h2>Trades</h2><table><tr><th>signal</th><th>entry</th><th>exit</th><th>strategy</th><th>direction</th><th>order</th><th>contract</th><th>qty</th><th>entry price</th><th>exit price</th><th>initial stop</th><th>initial target</th><th>gross</th><th>charges</th><th>net</th><th>reason</th></tr>");
    for t in &r.trades {
        let class = if t.net_pnl >= Decimal::ZERO {
            "pos"
        } else {
            "neg"
        };
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td class=\"l\">{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td class=\"{class}\">{:.2}</td><td class=\"l\">{}</td></tr>",
            t.signal_time.format("%Y-%m-%d %H:%M:%S"),
            t.entry_time.format("%Y-%m-%d %H:%M:%S"),
            t.exit_time.format("%Y-%m-%d %H:%M:%S"),
            esc(&t.strategy),
            super::direction(t),
            t.order_side.code(),
            esc(&t.trading_symbol),
            t.quantity,
            t.entry_price,
            t.exit_price,
            t.initial_stop,
            t.initial_target,
            t.gross_pnl,
            t.charges,
            t.net_pnl,
            esc(&t.exit_reason)
        );
    }
    h.push_str("</table></body></html>\n");
    h
}
