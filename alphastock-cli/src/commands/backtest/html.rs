//! The self-contained HTML report: caveats for short samples, the metrics, rejections by
//! reason, the equity curve and the drawdown (filled down to zero) over a time axis of trading
//! sessions, the daily P&L as bars, each underlying's price with the trades' entries and exits
//! marked, the trade table and the config used. Inline SVG; no scripts, no external files.

use std::collections::BTreeMap;
use std::fmt::Write;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use alphastock_core::backtest::metrics::MaxDrawdown;
use alphastock_core::backtest::BacktestReport;
use alphastock_core::config::Config;
use alphastock_core::market::Candle;

use super::charts::{bar_chart, esc, line_chart, Marker, SessionAxis};
use super::{ratio, source_name};

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Fewest trading days for which a daily Sharpe or Sortino ratio is shown without a caveat.
const MIN_DAYS_FOR_RATIOS: usize = 20;
/// Fewest trades for which the win rate and profit factor are shown without a caveat.
const MIN_TRADES: usize = 30;

/// Warnings about what the numbers cannot say: too few days or trades, simulated prices.
pub fn caveats(r: &BacktestReport) -> Vec<String> {
    let mut out = Vec::new();
    let days = r.daily_equity.len();
    if days < MIN_DAYS_FOR_RATIOS {
        out.push(format!(
            "Sharpe and Sortino are computed from {days} daily return(s); below {MIN_DAYS_FOR_RATIOS} trading days they mean next to nothing."
        ));
    }
    if r.metrics.trades < MIN_TRADES {
        out.push(format!(
            "{} trade(s): the win rate, averages and profit factor of fewer than {MIN_TRADES} trades are anecdotes, not statistics.",
            r.metrics.trades
        ));
    }
    if source_name(r.option_source) == "simulated" {
        out.push("Option prices are simulated (Black-Scholes on the simulated volatility surface), not recorded: fills and P&L show the mechanics, not what the market would have paid.".to_string());
    }
    out
}

/// Per-underlying price charts with each trade's entry (▲ bullish green, bearish red) and exit
/// (▼ grey) at the underlying's price then.
fn price_charts(
    r: &BacktestReport,
    candles: &[Candle],
    candle_minutes: u32,
    axis: &SessionAxis,
) -> String {
    let close_at = |c: &Candle| c.timestamp + chrono::Duration::minutes(i64::from(candle_minutes));
    let mut by_symbol: BTreeMap<&str, Vec<&Candle>> = BTreeMap::new();
    for c in candles {
        by_symbol.entry(c.symbol.as_str()).or_default().push(c);
    }
    let mut out = String::new();
    for (symbol, mut series) in by_symbol {
        series.sort_by_key(|c| c.timestamp);
        // The close of the last candle closed by `t` (else the first candle's): a binary search
        // over the sorted series, so the markers cost O(trades × log candles).
        let price_at = |t: &alphastock_core::market::IstTime| {
            let closed = series.partition_point(|c| close_at(c) <= *t);
            series
                .get(closed.saturating_sub(1))
                .map_or(0.0, |c| f(c.close))
        };
        let points: Vec<(f64, f64)> = series
            .iter()
            .map(|c| (axis.at(&close_at(c)), f(c.close)))
            .collect();
        let mut markers = Vec::new();
        for t in r.trades.iter().filter(|t| t.underlying.as_str() == symbol) {
            let bullish = super::direction(t) == "bullish";
            markers.push(Marker {
                x: axis.at(&t.entry_time),
                y: price_at(&t.entry_time),
                colour: if bullish { "#2e7d32" } else { "#c62828" },
                up: true,
                title: format!(
                    "entry {} {} {} {} x{} @ {:.2}",
                    t.entry_time.format("%Y-%m-%d %H:%M"),
                    super::direction(t),
                    t.order_side.code(),
                    t.trading_symbol,
                    t.quantity,
                    t.entry_price
                ),
            });
            markers.push(Marker {
                x: axis.at(&t.exit_time),
                y: price_at(&t.exit_time),
                colour: "#9e9e9e",
                up: false,
                title: format!(
                    "exit {} {} @ {:.2}, net {:.2} rupees ({})",
                    t.exit_time.format("%Y-%m-%d %H:%M"),
                    t.trading_symbol,
                    t.exit_price,
                    t.net_pnl,
                    t.exit_reason
                ),
            });
        }
        let _ = write!(
            out,
            "<h3>{}</h3>{}",
            esc(symbol),
            line_chart(
                &format!("{symbol} price"),
                "rupees",
                axis,
                &points,
                "#37474f",
                false,
                &markers
            )
        );
    }
    out
}

/// Renders the report of a backtest over `candles` with `config`.
pub fn render(r: &BacktestReport, candles: &[Candle], config: &Config) -> String {
    let m = &r.metrics;
    let axis = SessionAxis::new(
        candles
            .iter()
            .map(|c| c.timestamp)
            .chain(r.equity_curve.iter().map(|p| p.time)),
    );
    let mut equity: Vec<(f64, f64)> = Vec::new();
    if let Some(first) = candles.iter().map(|c| c.timestamp).min() {
        equity.push((axis.at(&first), f(r.starting_capital)));
    }
    equity.extend(
        r.equity_curve
            .iter()
            .map(|p| (axis.at(&p.time), f(p.equity))),
    );
    let mut drawdown: Vec<(f64, f64)> = Vec::new();
    if let Some(first) = candles.iter().map(|c| c.timestamp).min() {
        drawdown.push((axis.at(&first), 0.0));
    }
    drawdown.extend(
        MaxDrawdown::series(r.starting_capital, &r.equity_curve)
            .into_iter()
            .zip(&r.equity_curve)
            .map(|(d, p)| (axis.at(&p.time), -f(d))),
    );
    let mut previous = r.starting_capital;
    let daily: Vec<(String, f64)> = r
        .daily_equity
        .iter()
        .map(|(day, eq)| {
            let pnl = *eq - previous;
            previous = *eq;
            (day.format("%Y-%m-%d").to_string(), f(pnl))
        })
        .collect();
    let money = |d: Option<Decimal>| d.map_or("-".to_string(), |v| format!("{v:.2}"));
    let mut h = String::new();
    h.push_str("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AlphaStock backtest</title><style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td.l{text-align:left}.pos{color:#060}.neg{color:#a00}.caveats{background:#fff8e1;border:1px solid #f0c36d;padding:6px 12px;max-width:880px}.note{color:#555;font-size:13px}pre{background:#f7f7f7;padding:8px;font-size:12px;max-height:420px;overflow:auto;max-width:880px}</style></head><body>");
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
    let warnings = caveats(r);
    if !warnings.is_empty() {
        h.push_str("<div class=\"caveats\"><b>Read with care</b><ul>");
        for w in warnings {
            let _ = write!(h, "<li>{}</li>", esc(&w));
        }
        h.push_str("</ul></div>");
    }
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
        "<h2>Equity curve</h2>{}<h2>Drawdown (below the running peak)</h2>{}<h2>Daily P&amp;L</h2>{}<p class=\"note\">Time runs along trading sessions (09:15 to 15:30 IST); nights and weekends take no room.</p><h2>Underlying prices with the trades</h2><p class=\"note\">&#9650; entry (green bullish, red bearish), &#9660; exit, at the underlying's price then; hover for the trade.</p>{}",
        line_chart("equity curve", "rupees", &axis, &equity, "#1f5fa8", false, &[]),
        line_chart("drawdown", "rupees", &axis, &drawdown, "#c62828", true, &[]),
        bar_chart("daily P&L", "rupees", &daily),
        price_charts(r, candles, config.market_data_runner.candle_minutes, &axis)
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
    h.push_str("</table>");
    let yaml = serde_yaml::to_string(config).unwrap_or_else(|e| format!("# not shown: {e}\n"));
    let _ = writeln!(
        h,
        "<h2>Config used</h2><p class=\"note\">Every setting, defaults included, as this backtest ran (the chain-age limit as raised, if it was).</p><pre>{}</pre></body></html>",
        esc(&yaml)
    );
    h
}
