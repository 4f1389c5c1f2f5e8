//! The streaming indicators against plain textbook (whole-window, two-pass) computations on the
//! committed synthetic candles, for every bar after warm-up. Always on; the TA-Lib comparison on
//! real data is in `reference_indicators.rs`.

use alphastock_core::indicators::{
    Atr, BollingerBands, Ema, RollingHigh, RollingLow, Rsi, Sma, VolumeAverage, Vwap,
};
use alphastock_core::market::{parse_candles, Candle};
use rust_decimal::prelude::ToPrimitive;

fn candles(symbol: &str) -> Vec<Candle> {
    let path = format!(
        "{}/../fixtures/candles/synthetic_5min.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    parse_candles(&text)
        .expect("fixture parses")
        .into_iter()
        .filter(|c| c.symbol.as_str() == symbol)
        .collect()
}

fn f(d: rust_decimal::Decimal) -> f64 {
    d.to_f64().unwrap()
}

fn close_enough(name: &str, i: usize, want: f64, got: Option<f64>) {
    let got = got.unwrap_or_else(|| panic!("{name} bar {i}: still warming up"));
    let rel = (want - got).abs() / want.abs().max(1e-12);
    assert!(rel < 1e-9, "{name} bar {i}: want {want}, got {got}");
}

#[test]
fn averages_and_bands_match_whole_window_formulas() {
    let cs = candles("BANKNIFTY");
    let x: Vec<f64> = cs.iter().map(|c| f(c.close)).collect();
    assert_eq!(x.len(), 150);
    let n = 20;
    let mut sma = Sma::new(n).unwrap();
    let mut bb = BollingerBands::new(n, 2.0, 2.0).unwrap();
    let mut hi = RollingHigh::new(n).unwrap();
    let mut lo = RollingLow::new(n).unwrap();
    let mut va = VolumeAverage::new(n).unwrap();
    for i in 0..x.len() {
        let (s, b, h, l) = (
            sma.update(x[i]),
            bb.update(x[i]),
            hi.update(x[i]),
            lo.update(x[i]),
        );
        let v = va.update(cs[i].volume as f64);
        if i + 1 < n {
            assert!(s.is_none() && b.is_none() && h.is_none() && l.is_none() && v.is_none());
            continue;
        }
        let w = &x[i + 1 - n..=i];
        let mean = w.iter().sum::<f64>() / n as f64;
        let var = w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        close_enough("sma", i, mean, s);
        close_enough("bb upper", i, mean + 2.0 * var.sqrt(), b.map(|b| b.upper));
        close_enough("bb lower", i, mean - 2.0 * var.sqrt(), b.map(|b| b.lower));
        close_enough("high", i, w.iter().copied().fold(f64::MIN, f64::max), h);
        close_enough("low", i, w.iter().copied().fold(f64::MAX, f64::min), l);
        let vols = cs[i + 1 - n..=i]
            .iter()
            .map(|c| c.volume as f64)
            .sum::<f64>()
            / n as f64;
        close_enough("volume average", i, vols, v);
    }
}

#[test]
fn ema_rsi_and_atr_match_their_recursive_definitions() {
    let cs = candles("NIFTY");
    let x: Vec<f64> = cs.iter().map(|c| f(c.close)).collect();
    let n = 14;
    // EMA: seed with the SMA of the first n, then α = 2/(n+1).
    let a = 2.0 / (n as f64 + 1.0);
    let mut want_ema = x[..n].iter().sum::<f64>() / n as f64;
    let mut ema = Ema::new(n).unwrap();
    // RSI and ATR: Wilder smoothing of the first n changes / true ranges.
    let changes: Vec<f64> = x.windows(2).map(|w| w[1] - w[0]).collect();
    let tr: Vec<f64> = (1..cs.len())
        .map(|i| {
            let (h, l, pc) = (f(cs[i].high), f(cs[i].low), x[i - 1]);
            (h - l).max((h - pc).abs()).max((l - pc).abs())
        })
        .collect();
    let mut gain = changes[..n].iter().map(|c| c.max(0.0)).sum::<f64>() / n as f64;
    let mut loss = changes[..n].iter().map(|c| (-c).max(0.0)).sum::<f64>() / n as f64;
    let mut want_atr = tr[..n].iter().sum::<f64>() / n as f64;
    let mut rsi = Rsi::new(n).unwrap();
    let mut atr = Atr::new(n).unwrap();
    for i in 0..x.len() {
        let e = ema.update(x[i]);
        let r = rsi.update(x[i]);
        let t = atr.update(f(cs[i].high), f(cs[i].low), x[i]);
        if i + 1 < n {
            assert!(e.is_none());
        } else {
            if i + 1 > n {
                want_ema += a * (x[i] - want_ema);
            }
            close_enough("ema", i, want_ema, e);
        }
        if i < n {
            assert!(r.is_none() && t.is_none(), "bar {i}");
            continue;
        }
        if i > n {
            let c = changes[i - 1];
            gain = (gain * (n as f64 - 1.0) + c.max(0.0)) / n as f64;
            loss = (loss * (n as f64 - 1.0) + (-c).max(0.0)) / n as f64;
            want_atr = (want_atr * (n as f64 - 1.0) + tr[i - 1]) / n as f64;
        }
        close_enough("rsi", i, 100.0 * gain / (gain + loss), r);
        close_enough("atr", i, want_atr, t);
    }
}

#[test]
fn vwap_restarts_each_session() {
    let cs = candles("BANKNIFTY");
    let mut vwap = Vwap::new();
    let (mut pv, mut vol, mut day) = (0.0, 0.0, None);
    for c in &cs {
        let d = c.timestamp.date_naive();
        if day != Some(d) {
            (pv, vol, day) = (0.0, 0.0, Some(d));
        }
        let typical = (f(c.high) + f(c.low) + f(c.close)) / 3.0;
        pv += typical * c.volume as f64;
        vol += c.volume as f64;
        let got = vwap.update(d, f(c.high), f(c.low), f(c.close), c.volume as f64);
        close_enough("vwap", 0, pv / vol, got);
    }
    // The fixture does hold a second session (from bar 75), so the restart was exercised.
    let first = cs
        .iter()
        .position(|c| c.timestamp.date_naive() != cs[0].timestamp.date_naive());
    assert_eq!(first, Some(75));
}
