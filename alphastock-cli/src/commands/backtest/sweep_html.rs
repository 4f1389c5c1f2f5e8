//! The sweep report (`--sweep ... --report DIR` writes `DIR/sweep.html`): the grid as two
//! heatmaps side by side, in-sample and out-of-sample net P&L (rupees) for each pair of values of
//! the first two swept parameters, refused combinations greyed, the ranking table, and why the
//! split differs from a plain backtest. Self-contained HTML; no scripts.

use std::fmt::Write;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_yaml::Value as Yaml;

use super::charts::esc;
use super::sweep::{Axis, SPLIT_NOTE};

/// One combination's results.
pub struct Cell {
    /// The parameter values, in axis order.
    pub combo: Vec<(String, Yaml)>,
    /// In-sample net P&L, rupees, and trades.
    pub in_sample: (Decimal, usize),
    /// Out-of-sample net P&L, rupees, and trades (`None` without out-of-sample days).
    pub out_of_sample: Option<(Decimal, usize)>,
}

fn text(v: &Yaml) -> String {
    serde_yaml::to_string(v)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// A background colour for `v` on a scale symmetric around zero up to `scale`: green for
/// gains, red for losses, paler nearer zero.
fn colour(v: f64, scale: f64) -> String {
    let t = if scale > 0.0 {
        (v.abs() / scale).min(1.0)
    } else {
        0.0
    };
    let fade = (255.0 - 150.0 * t).round() as u8;
    if v >= 0.0 {
        format!("rgb({fade},{},{fade})", 255 - (40.0 * t) as u8)
    } else {
        format!("rgb({},{fade},{fade})", 255 - (40.0 * t) as u8)
    }
}

/// The heatmap of one part: rows the first axis's values, columns the second's (one column
/// when there is one axis). With more than two axes a cell shows the best in-sample
/// combination of the others.
fn heatmap(axes: &[Axis], cells: &[Cell], out_of_sample: bool, scale: f64) -> String {
    let rows = &axes[0].1;
    let cols: Vec<Yaml> = axes.get(1).map_or(vec![Yaml::Null], |a| a.1.clone());
    let mut h = String::from("<table class=\"heat\"><tr><th></th>");
    for c in &cols {
        let head = match axes.get(1) {
            Some((k, _)) => format!("{k}={}", text(c)),
            None => "net P&amp;L".to_string(),
        };
        let _ = write!(h, "<th>{}</th>", esc(&head));
    }
    h.push_str("</tr>");
    for r in rows {
        let _ = write!(h, "<tr><th>{}={}</th>", esc(&axes[0].0), esc(&text(r)));
        for c in &cols {
            let best = cells
                .iter()
                .filter(|x| {
                    x.combo.first().is_some_and(|(_, v)| v == r)
                        && (axes.len() < 2 || x.combo.get(1).is_some_and(|(_, v)| v == c))
                })
                .max_by(|a, b| a.in_sample.0.cmp(&b.in_sample.0));
            let value = best.and_then(|b| {
                if out_of_sample {
                    b.out_of_sample
                } else {
                    Some(b.in_sample)
                }
            });
            match value {
                Some((net, trades)) => {
                    let v = net.to_f64().unwrap_or(0.0);
                    let _ = write!(
                        h,
                        "<td style=\"background:{}\" title=\"{trades} trade(s)\">{net:.2}</td>",
                        colour(v, scale)
                    );
                }
                None => h.push_str("<td class=\"none\">refused</td>"),
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    h
}

/// Renders the sweep report.
pub fn render(
    axes: &[Axis],
    cells: &[Cell],
    skipped: &[(String, String)],
    in_days: &str,
    out_days: &str,
) -> String {
    let scale = cells
        .iter()
        .flat_map(|c| std::iter::once(c.in_sample.0).chain(c.out_of_sample.map(|o| o.0)))
        .map(|d| d.abs().to_f64().unwrap_or(0.0))
        .fold(0.0, f64::max);
    let mut h = String::from("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>AlphaStock parameter sweep</title><style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}.none{background:#ddd;color:#777}.parts{display:flex;gap:2em;flex-wrap:wrap}.note{color:#555;font-size:13px;max-width:900px}</style></head><body><h1>Parameter sweep</h1>");
    let _ = write!(
        h,
        "<p>In-sample: {}; out-of-sample: {}. Cells: net P&amp;L in rupees after charges (hover for trades); green gains, red losses.{}</p><p class=\"note\">{}</p>",
        esc(in_days),
        esc(out_days),
        if axes.len() > 2 {
            " With more than two swept parameters each cell shows the combination of the others with the best in-sample net P&amp;L."
        } else {
            ""
        },
        esc(SPLIT_NOTE)
    );
    let _ = write!(
        h,
        "<div class=\"parts\"><div><h2>In-sample</h2>{}</div><div><h2>Out-of-sample</h2>{}</div></div>",
        heatmap(axes, cells, false, scale),
        heatmap(axes, cells, true, scale)
    );
    h.push_str("<h2>Every combination</h2><table><tr><th>parameters</th><th>in-sample trades</th><th>in-sample net P&amp;L</th><th>out-of-sample trades</th><th>out-of-sample net P&amp;L</th></tr>");
    for c in cells {
        let label = c
            .combo
            .iter()
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(" ");
        let (ot, on) = c
            .out_of_sample
            .map_or(("-".to_string(), "-".to_string()), |(n, t)| {
                (t.to_string(), format!("{n:.2}"))
            });
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{ot}</td><td>{on}</td></tr>",
            esc(&label),
            c.in_sample.1,
            c.in_sample.0
        );
    }
    h.push_str("</table>");
    if !skipped.is_empty() {
        h.push_str("<h2>Refused</h2><table><tr><th>parameters</th><th>reason</th></tr>");
        for (p, reason) in skipped {
            let _ = write!(h, "<tr><td>{}</td><td>{}</td></tr>", esc(p), esc(reason));
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    h
}
