//! Indicator benchmarks: time per `update` of each streaming indicator.
use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};

use alphastock_benches::synthetic_closes;
use alphastock_core::indicators::{
    Atr, BollingerBands, Ema, RollingHigh, RollingLow, Rsi, Sma, VolumeAverage, Vwap,
};

const N: usize = 4096;

/// Benchmarks one `update` call: each iteration feeds the next value of a fixed series.
macro_rules! per_update {
    ($c:expr, $name:expr, $ind:expr, |$i:ident, $x:ident, $x_prev:ident| $update:expr) => {{
        let xs = synthetic_closes(N);
        let mut ind = $ind;
        let mut k = 0usize;
        $c.bench_function($name, |b| {
            b.iter(|| {
                k = (k + 1) % N;
                let $x = black_box(xs[k]);
                let $x_prev = xs[(k + N - 1) % N];
                let $i = &mut ind;
                black_box($update)
            })
        });
    }};
}

fn bench(c: &mut Criterion) {
    let day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("valid date");
    per_update!(c, "sma20_update", Sma::new(20).unwrap(), |i, x, _p| i
        .update(x));
    per_update!(c, "ema20_update", Ema::new(20).unwrap(), |i, x, _p| i
        .update(x));
    per_update!(c, "rsi14_update", Rsi::new(14).unwrap(), |i, x, _p| i
        .update(x));
    per_update!(
        c,
        "bollinger20_update",
        BollingerBands::new(20, 2.0, 2.0).unwrap(),
        |i, x, _p| i.update(x)
    );
    per_update!(c, "atr14_update", Atr::new(14).unwrap(), |i, x, p| i
        .update(x.max(p) + 5.0, x.min(p) - 5.0, x));
    per_update!(c, "vwap_update", Vwap::new(), |i, x, p| i.update(
        day,
        x.max(p) + 5.0,
        x.min(p) - 5.0,
        x,
        1000.0
    ));
    per_update!(
        c,
        "rolling_high20_update",
        RollingHigh::new(20).unwrap(),
        |i, x, _p| i.update(x)
    );
    per_update!(
        c,
        "rolling_low20_update",
        RollingLow::new(20).unwrap(),
        |i, x, _p| i.update(x)
    );
    per_update!(
        c,
        "volume_average20_update",
        VolumeAverage::new(20).unwrap(),
        |i, x, _p| i.update(x)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
