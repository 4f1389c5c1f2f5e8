//! The indicators and the EMA crossover against TA-Lib 0.6 on real BANKNIFTY 5-minute candles.
//!
//! The real data is never copied into the repository: these tests read it from the directory
//! in `ALPHASTOCK_REFERENCE` (CI sets it to `../shared/reference`) and are ignored by default.

use std::path::PathBuf;

use alphastock_core::indicators::{Atr, BollingerBands, Ema, Rsi, Sma};
use alphastock_core::market::{parse_candles, Candle};
use alphastock_core::strategy::{EmaCrossover, EmaCrossoverParams, MarketInput, Side, Strategy};
use rust_decimal::prelude::ToPrimitive;

fn reference_dir() -> PathBuf {
    let dir = std::env::var("ALPHASTOCK_REFERENCE")
        .unwrap_or_else(|_| panic!("set ALPHASTOCK_REFERENCE to the reference directory"));
    PathBuf::from(dir).join("real")
}

fn read(name: &str) -> String {
    let path = reference_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The golden table: header names and rows of optional cells.
struct Golden {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Golden {
    fn load() -> Self {
        let text = read("indicators_golden.csv");
        let mut lines = text.lines();
        let header = lines
            .next()
            .expect("header")
            .split(',')
            .map(str::to_string)
            .collect();
        let rows = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split(',').map(|c| c.trim().to_string()).collect())
            .collect();
        Golden { header, rows }
    }

    fn column(&self, name: &str) -> Vec<Option<String>> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        self.rows
            .iter()
            .map(|r| r.get(i).filter(|c| !c.is_empty()).cloned())
            .collect()
    }

    fn numbers(&self, name: &str) -> Vec<Option<f64>> {
        self.column(name)
            .into_iter()
            .map(|c| c.map(|c| c.parse().expect("number")))
            .collect()
    }
}

fn candles() -> Vec<Candle> {
    parse_candles(&read("banknifty_5min_2024-04-29_2024-05-03.csv")).expect("reference candles")
}

fn f(d: rust_decimal::Decimal) -> f64 {
    d.to_f64().expect("price as f64")
}

/// Every non-empty golden value equals ours to 1e-9 relative, and we are in warm-up exactly
/// where TA-Lib is.
fn assert_matches(name: &str, golden: &[Option<f64>], ours: &[Option<f64>]) {
    assert_eq!(golden.len(), ours.len(), "{name}: row count");
    let mut compared = 0;
    for (i, (g, o)) in golden.iter().zip(ours).enumerate() {
        match (g, o) {
            (Some(g), Some(o)) => {
                let rel = (g - o).abs() / g.abs().max(f64::MIN_POSITIVE);
                assert!(
                    rel <= 1e-9,
                    "{name} row {i}: TA-Lib {g}, ours {o} (rel {rel:e})"
                );
                compared += 1;
            }
            (None, None) => {}
            _ => panic!("{name} row {i}: TA-Lib {g:?}, ours {o:?} (warm-up differs)"),
        }
    }
    assert!(compared > 200, "{name}: only {compared} values compared");
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn moving_averages_match_talib() {
    let g = Golden::load();
    let cs = candles();
    let closes: Vec<f64> = cs.iter().map(|c| f(c.close)).collect();
    assert_eq!(
        g.numbers("close"),
        closes.iter().map(|&c| Some(c)).collect::<Vec<_>>()
    );
    let mut sma = Sma::new(20).unwrap();
    let mut ema5 = Ema::new(5).unwrap();
    let mut ema20 = Ema::new(20).unwrap();
    let ours_sma: Vec<_> = closes.iter().map(|&x| sma.update(x)).collect();
    let ours_ema5: Vec<_> = closes.iter().map(|&x| ema5.update(x)).collect();
    let ours_ema20: Vec<_> = closes.iter().map(|&x| ema20.update(x)).collect();
    assert_matches("sma20", &g.numbers("sma20"), &ours_sma);
    assert_matches("ema5", &g.numbers("ema5"), &ours_ema5);
    assert_matches("ema20", &g.numbers("ema20"), &ours_ema20);
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn rsi_matches_talib() {
    let g = Golden::load();
    let mut rsi = Rsi::new(14).unwrap();
    let ours: Vec<_> = candles().iter().map(|c| rsi.update(f(c.close))).collect();
    assert_matches("rsi14", &g.numbers("rsi14"), &ours);
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn bollinger_bands_match_talib() {
    let g = Golden::load();
    let mut bb = BollingerBands::new(20, 2.0, 2.0).unwrap();
    let ours: Vec<_> = candles().iter().map(|c| bb.update(f(c.close))).collect();
    assert_matches(
        "bb_upper",
        &g.numbers("bb_upper"),
        &ours.iter().map(|b| b.map(|b| b.upper)).collect::<Vec<_>>(),
    );
    assert_matches(
        "bb_middle",
        &g.numbers("bb_middle"),
        &ours.iter().map(|b| b.map(|b| b.middle)).collect::<Vec<_>>(),
    );
    assert_matches(
        "bb_lower",
        &g.numbers("bb_lower"),
        &ours.iter().map(|b| b.map(|b| b.lower)).collect::<Vec<_>>(),
    );
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn atr_matches_talib() {
    let g = Golden::load();
    let mut atr = Atr::new(14).unwrap();
    let ours: Vec<_> = candles()
        .iter()
        .map(|c| atr.update(f(c.high), f(c.low), f(c.close)))
        .collect();
    assert_matches("atr14", &g.numbers("atr14"), &ours);
}

#[test]
#[ignore = "needs ALPHASTOCK_REFERENCE real data"]
fn ema_crossover_fires_on_the_talib_cross_bars() {
    let g = Golden::load();
    let expected: Vec<Option<Side>> = g
        .column("ema5_20_cross")
        .into_iter()
        .map(|c| {
            c.map(|c| match c.as_str() {
                "BUY" => Side::Buy,
                "SELL" => Side::Sell,
                other => panic!("unexpected cross value {other}"),
            })
        })
        .collect();
    let mut s = EmaCrossover::new(
        "ema_crossover",
        EmaCrossoverParams {
            min_confidence: 0,
            ..EmaCrossoverParams::default()
        },
    )
    .unwrap();
    let ours: Vec<Option<Side>> = candles()
        .iter()
        .map(|c| {
            s.analyze(&MarketInput {
                candle: c,
                chain: None,
            })
            .map(|sig| sig.side)
        })
        .collect();
    assert!(expected.iter().flatten().count() >= 5);
    assert_eq!(ours, expected);
}
