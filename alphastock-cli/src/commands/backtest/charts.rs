//! Inline SVG charts for the HTML report: a time axis over trading sessions, value ticks at
//! round numbers, lines, areas filled to zero, bars and trade markers. No scripts; hovering a
//! marker or bar shows its `<title>`.

use std::borrow::Cow;
use std::fmt::Write;

use chrono::{NaiveDate, Timelike};

use alphastock_core::market::{IstTime, IST};

/// Chart size and margins, SVG user units (pixels at 100 %).
const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 36.0;

/// Minutes in an NSE session (09:15 to 15:30 IST).
const SESSION_MINUTES: f64 = 375.0;

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Maps times onto a continuous axis of trading sessions: each day in `days` takes one unit,
/// 09:15 IST at its start and 15:30 at its end, so nights and weekends take no room.
pub struct SessionAxis {
    days: Vec<NaiveDate>,
}

impl SessionAxis {
    /// The axis over the days of `times`.
    pub fn new(times: impl IntoIterator<Item = IstTime>) -> Self {
        let mut days: Vec<NaiveDate> = times
            .into_iter()
            .map(|t| t.with_timezone(&IST).date_naive())
            .collect();
        days.sort_unstable();
        days.dedup();
        Self { days }
    }

    /// The position of `t`, in days from the first session's open (0 when the axis is empty).
    pub fn at(&self, t: &IstTime) -> f64 {
        let t = t.with_timezone(&IST);
        let day = self
            .days
            .binary_search(&t.date_naive())
            .unwrap_or_else(|i| i.min(self.days.len().saturating_sub(1)));
        let minutes = f64::from(t.hour() * 60 + t.minute()) + f64::from(t.second()) / 60.0;
        let into = ((minutes - (9.0 * 60.0 + 15.0)) / SESSION_MINUTES).clamp(0.0, 1.0);
        day as f64 + into
    }

    /// Number of sessions.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Labels along the axis: each day's date at its open and, over at most three days, the
    /// hours 10:00 to 15:00 too.
    fn labels(&self) -> Vec<(f64, String, bool)> {
        let mut out = Vec::new();
        for (i, d) in self.days.iter().enumerate() {
            out.push((i as f64, d.format("%Y-%m-%d").to_string(), true));
            if self.days.len() <= 3 {
                for h in 10..=15 {
                    let x = i as f64 + (f64::from(h * 60) - 555.0) / SESSION_MINUTES;
                    out.push((x, format!("{h}:00"), false));
                }
            }
        }
        out
    }
}

/// Round tick values covering `lo..=hi`: about five, at 1, 2 or 5 times a power of ten.
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() {
        return Vec::new();
    }
    let span = (hi - lo).abs().max(1e-9);
    let raw = span / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * power);
    let first = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut v = first;
    // Up to the first tick at or above `hi`, so the ticks cover the range.
    while out.len() < 20 {
        out.push(v);
        if v >= hi - step * 1e-9 {
            break;
        }
        v += step;
    }
    out
}

/// A tick label: thousands separated by commas, decimals only when the step needs them, and
/// never `-0`.
pub fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let zero = text.chars().all(|c| c == '0' || c == '.');
    let sign = if v < 0.0 && !zero { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// Pixel columns across a chart's plot area.
const COLUMNS: f64 = WIDTH - LEFT - RIGHT;

/// Points per pixel column above which a line is thinned (see [`thin`]).
const POINTS_PER_COLUMN: f64 = 4.0;

/// The points of a line over an axis `axis_len` long, thinned to what the chart can show when
/// there are more than [`POINTS_PER_COLUMN`] per pixel column on average: of each run of
/// consecutive points in one column, its first, lowest, highest and last (in their order), so
/// the line drawn through them spans every value's extent in that column — no spike is hidden —
/// and joins its neighbours where it did. Fewer points are returned unchanged.
pub fn thin(points: &[(f64, f64)], axis_len: f64) -> Cow<'_, [(f64, f64)]> {
    if (points.len() as f64) <= POINTS_PER_COLUMN * COLUMNS {
        return Cow::Borrowed(points);
    }
    let span = axis_len.max(1e-9);
    let column = |x: f64| ((x / span * COLUMNS).floor()).clamp(0.0, COLUMNS - 1.0) as usize;
    let mut out = Vec::with_capacity((4.0 * COLUMNS) as usize + 4);
    let mut start = 0;
    while start < points.len() {
        let col = column(points[start].0);
        let mut end = start + 1;
        while end < points.len() && column(points[end].0) == col {
            end += 1;
        }
        let run = &points[start..end];
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in run.iter().enumerate() {
            if p.1 < run[lo].1 {
                lo = i;
            }
            if p.1 > run[hi].1 {
                hi = i;
            }
        }
        let mut keep = [0, lo, hi, run.len() - 1];
        keep.sort_unstable();
        let mut last = None;
        for i in keep {
            if last != Some(i) {
                out.push(run[i]);
                last = Some(i);
            }
        }
        start = end;
    }
    Cow::Owned(out)
}

/// A point marked on a line chart: position on the axis, value, colour, shape, hover text.
pub struct Marker {
    /// Axis position ([`SessionAxis::at`]).
    pub x: f64,
    /// Value.
    pub y: f64,
    /// Fill colour.
    pub colour: &'static str,
    /// Triangle pointing up (entry) or down (exit).
    pub up: bool,
    /// Shown on hover.
    pub title: String,
}

/// The frame of a chart: SVG start, gridlines with value labels, the time axis with its labels.
/// Returns the SVG so far and the x and y mappings.
fn frame(
    title: &str,
    axis_len: f64,
    lo: f64,
    hi: f64,
    labels: &[(f64, String, bool)],
    unit: &str,
) -> (String, impl Fn(f64) -> f64, impl Fn(f64) -> f64) {
    let ts = ticks(lo, hi);
    let (lo, hi) = match (ts.first(), ts.last()) {
        (Some(a), Some(b)) if b > a => (a.min(lo), b.max(hi)),
        _ => (lo - 1.0, hi + 1.0),
    };
    let span_x = axis_len.max(1e-9);
    let x = move |v: f64| LEFT + (WIDTH - LEFT - RIGHT) * v / span_x;
    let y = move |v: f64| TOP + (HEIGHT - TOP - BOTTOM) * (hi - v) / (hi - lo);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{t}" font-family="sans-serif" font-size="11"><rect width="100%" height="100%" fill="#fff"/>"##,
        t = esc(title)
    );
    let step = if ts.len() > 1 { ts[1] - ts[0] } else { 1.0 };
    for v in &ts {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{py:.1}" x2="{r}" y2="{py:.1}" stroke="#e4e4e4"/><text x="{lx}" y="{ty:.1}" text-anchor="end">{label}</text>"##,
            py = y(*v),
            r = WIDTH - RIGHT,
            lx = LEFT - 6.0,
            ty = y(*v) + 4.0,
            label = tick_label(*v, step)
        );
    }
    let bottom = HEIGHT - BOTTOM;
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#999"/><line x1="{LEFT}" y1="{bottom}" x2="{r}" y2="{bottom}" stroke="#999"/><text x="12" y="{mid:.1}" transform="rotate(-90 12 {mid:.1})" text-anchor="middle">{unit}</text>"##,
        r = WIDTH - RIGHT,
        mid = (TOP + bottom) / 2.0,
        unit = esc(unit)
    );
    for (at, label, major) in labels {
        let px = x(*at);
        let (colour, dy) = if *major {
            ("#666", 14.0)
        } else {
            ("#aaa", 14.0)
        };
        let _ = write!(
            svg,
            r##"<line x1="{px:.1}" y1="{bottom}" x2="{px:.1}" y2="{tick:.1}" stroke="{colour}"/><text x="{px:.1}" y="{ty:.1}" text-anchor="middle" fill="{colour}">{label}</text>"##,
            tick = bottom + 4.0,
            ty = bottom + dy + if *major { 12.0 } else { 0.0 },
            label = esc(label)
        );
    }
    (svg, x, y)
}

/// A line over the session axis; with `fill_to_zero` the area between the line and zero is
/// filled (a drawdown); `markers` are drawn on top. A line with more points than the chart has
/// pixels is drawn through each pixel column's first, lowest, highest and last point
/// ([`thin`]).
pub fn line_chart(
    title: &str,
    unit: &str,
    axis: &SessionAxis,
    points: &[(f64, f64)],
    colour: &str,
    fill_to_zero: bool,
    markers: &[Marker],
) -> String {
    if points.is_empty() {
        return format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="60" role="img" aria-label="{}"><text x="10" y="30">no data</text></svg>"#,
            esc(title)
        );
    }
    let values = points
        .iter()
        .map(|p| p.1)
        .chain(markers.iter().map(|m| m.y));
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if fill_to_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let (mut svg, x, y) = frame(title, axis.len() as f64, lo, hi, &axis.labels(), unit);
    let points = thin(points, axis.len() as f64);
    let mut path = String::new();
    for (px, py) in points.iter() {
        let _ = write!(path, "{:.1},{:.1} ", x(*px), y(*py));
    }
    let path = path.trim_end();
    if fill_to_zero {
        let (first, last) = (points[0].0, points[points.len() - 1].0);
        let _ = write!(
            svg,
            r#"<polygon points="{:.1},{:.1} {path} {:.1},{:.1}" fill="{colour}" fill-opacity="0.25" stroke="{colour}" stroke-width="1.2"/>"#,
            x(first),
            y(0.0),
            x(last),
            y(0.0)
        );
    } else {
        let _ = write!(
            svg,
            r#"<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#
        );
    }
    for m in markers {
        let (px, py) = (x(m.x), y(m.y));
        let pts = if m.up {
            format!(
                "{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                px,
                py - 7.0,
                px - 6.0,
                py + 5.0,
                px + 6.0,
                py + 5.0
            )
        } else {
            format!(
                "{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                px,
                py + 7.0,
                px - 6.0,
                py - 5.0,
                px + 6.0,
                py - 5.0
            )
        };
        let _ = write!(
            svg,
            r##"<polygon class="marker" points="{pts}" fill="{}" stroke="#222" stroke-width="0.6"><title>{}</title></polygon>"##,
            m.colour,
            esc(&m.title)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Bars, one per labelled value (e.g. a day's P&L), green above zero and red below, from zero.
pub fn bar_chart(title: &str, unit: &str, bars: &[(String, f64)]) -> String {
    if bars.is_empty() {
        return format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="60" role="img" aria-label="{}"><text x="10" y="30">no data</text></svg>"#,
            esc(title)
        );
    }
    let lo = bars.iter().map(|b| b.1).fold(0.0, f64::min);
    let hi = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let n = bars.len() as f64;
    let labels: Vec<(f64, String, bool)> = bars
        .iter()
        .enumerate()
        .map(|(i, (l, _))| (i as f64 + 0.5, l.clone(), true))
        .collect();
    let (mut svg, x, y) = frame(title, n, lo, hi, &[], unit);
    let width = (WIDTH - LEFT - RIGHT) / n * 0.6;
    for (i, (label, v)) in bars.iter().enumerate() {
        let cx = x(i as f64 + 0.5);
        let (top, bottom) = (y(v.max(0.0)), y(v.min(0.0)));
        let colour = if *v >= 0.0 { "#2e7d32" } else { "#c62828" };
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{:.1}" y="{top:.1}" width="{width:.1}" height="{:.1}" fill="{colour}"><title>{}: {v:.2}</title></rect>"#,
            cx - width / 2.0,
            (bottom - top).max(0.5),
            esc(label)
        );
    }
    let bottom = HEIGHT - BOTTOM;
    for (at, label, _) in labels {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#666">{}</text>"##,
            x(at),
            bottom + 26.0,
            esc(&label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 5519.58),
            [0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0, 6000.0]
        );
        assert_eq!(
            ticks(-120.0, 80.0),
            [-150.0, -100.0, -50.0, 0.0, 50.0, 100.0]
        );
        let t = ticks(24130.0, 24260.0);
        assert!(t[0] <= 24130.0 && *t.last().unwrap() >= 24260.0, "{t:?}");
    }

    #[test]
    fn tick_labels_group_thousands_and_never_say_minus_zero() {
        assert_eq!(tick_label(-0.0, 1000.0), "0");
        assert_eq!(tick_label(-1e-12, 1000.0), "0");
        assert_eq!(tick_label(531363.0, 1000.0), "531,363");
        assert_eq!(tick_label(-5000.0, 1000.0), "-5,000");
        assert_eq!(tick_label(0.25, 0.05), "0.25");
    }

    #[test]
    fn the_session_axis_skips_nights() {
        use chrono::TimeZone;
        let t = |d: u32, h: u32, m: u32| IST.with_ymd_and_hms(2026, 1, d, h, m, 0).unwrap();
        let axis = SessionAxis::new([t(5, 9, 15), t(6, 15, 30)]);
        assert_eq!(axis.len(), 2);
        assert_eq!(axis.at(&t(5, 9, 15)), 0.0);
        assert_eq!(axis.at(&t(5, 15, 30)), 1.0);
        assert_eq!(axis.at(&t(6, 9, 15)), 1.0);
        assert!((axis.at(&t(6, 12, 22)) - 1.5).abs() < 0.01);
    }

    #[test]
    fn a_drawdown_area_closes_on_zero() {
        use chrono::TimeZone;
        let t = |h: u32| IST.with_ymd_and_hms(2026, 1, 5, h, 0, 0).unwrap();
        let axis = SessionAxis::new([t(10), t(14)]);
        let svg = line_chart(
            "dd",
            "rupees",
            &axis,
            &[(axis.at(&t(10)), -100.0), (axis.at(&t(14)), -300.0)],
            "#a00",
            true,
            &[],
        );
        // The polygon starts and ends on the zero line (the top tick here).
        let poly = svg.split("<polygon points=\"").nth(1).unwrap();
        let coords: Vec<&str> = poly.split('"').next().unwrap().split(' ').collect();
        let y_of = |c: &str| c.split(',').nth(1).unwrap().to_string();
        assert_eq!(y_of(coords[0]), y_of(coords[coords.len() - 1]));
        assert_eq!(y_of(coords[0]), format!("{:.1}", TOP));
        assert!(svg.contains(">-300<") && svg.contains(">0<"), "{svg}");
    }

    #[test]
    fn a_line_the_chart_can_show_is_drawn_through_every_point() {
        let points: Vec<(f64, f64)> = (0..3200).map(|i| (i as f64 / 3200.0, i as f64)).collect();
        assert!(matches!(thin(&points, 1.0), Cow::Borrowed(p) if p.len() == 3200));
    }

    #[test]
    fn a_one_bar_spike_among_a_million_points_is_still_drawn() {
        let n = 1_000_000;
        let mut points: Vec<(f64, f64)> = (0..n)
            .map(|i| (i as f64 / n as f64 * 250.0, 100.0 + (i % 7) as f64 * 0.01))
            .collect();
        points[654_321].1 = 180.0;
        points[123_456].1 = 20.0;
        let thinned = thin(&points, 250.0);
        assert!(thinned.len() <= 4 * COLUMNS as usize, "{}", thinned.len());
        assert!(thinned.contains(&points[654_321]));
        assert!(thinned.contains(&points[123_456]));
        assert_eq!(thinned[0], points[0]);
        assert_eq!(thinned[thinned.len() - 1], points[n - 1]);
    }

    proptest::proptest! {
        /// Thinning keeps points in order, the ends, and each pixel column's lowest and
        /// highest value.
        #[test]
        fn thinning_keeps_every_columns_extremes(
            steps in proptest::collection::vec((0.0f64..0.002, -50.0f64..50.0), 3201..8000)
        ) {
            let mut x = 0.0;
            let points: Vec<(f64, f64)> = steps
                .iter()
                .map(|(dx, y)| {
                    x += dx;
                    (x, *y)
                })
                .collect();
            let axis_len = x.max(1e-6);
            let thinned = thin(&points, axis_len);
            // A subsequence of the input, with its ends.
            let mut it = points.iter();
            for p in thinned.iter() {
                proptest::prop_assert!(it.any(|q| q == p));
            }
            proptest::prop_assert_eq!(thinned[0], points[0]);
            proptest::prop_assert_eq!(thinned[thinned.len() - 1], points[points.len() - 1]);
            let column = |x: f64| ((x / axis_len * COLUMNS).floor()).clamp(0.0, COLUMNS - 1.0) as usize;
            let extremes = |ps: &[(f64, f64)]| {
                let mut m = std::collections::BTreeMap::new();
                for p in ps {
                    let e = m.entry(column(p.0)).or_insert((f64::INFINITY, f64::NEG_INFINITY));
                    e.0 = e.0.min(p.1);
                    e.1 = e.1.max(p.1);
                }
                m
            };
            proptest::prop_assert_eq!(extremes(&thinned), extremes(&points));
        }
    }
}
