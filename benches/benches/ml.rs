//! Learned-filter benchmarks: the model's probability for one feature vector, and the engine's
//! whole per-signal call (features from a 21-strike chain and the candle memory, then the
//! probability), plus one option-move prediction.
use std::hint::black_box;

use alphastock_core::market::{
    Candle, Exchange, OptionChain, OptionContract, OptionQuote, OptionType, Symbol, IST,
};
use alphastock_core::ml::option_move::MovePair;
use alphastock_core::ml::{
    FeatureVector, LogisticModel, OptionMoveModel, SignalFilter, TrainSettings, FEATURE_COUNT,
};
use alphastock_core::strategy::{Side, Signal};
use chrono::{Duration, NaiveDate, TimeZone};
use criterion::{criterion_group, criterion_main, Criterion};
use rust_decimal::Decimal;

/// A model trained on a small deterministic dataset (weights all non-zero).
fn model() -> LogisticModel {
    let rows: Vec<FeatureVector> = (0..400)
        .map(|i| {
            let mut x = [0.0; FEATURE_COUNT];
            for (j, v) in x.iter_mut().enumerate() {
                *v = f64::from((i * (j as i32 + 3) + 7) % 97);
            }
            FeatureVector(x)
        })
        .collect();
    let wins: Vec<bool> = rows.iter().map(|r| r.0[1] + r.0[4] > 90.0).collect();
    LogisticModel::train(&rows, &wins, TrainSettings::default())
}

fn chain(now: chrono::DateTime<chrono::FixedOffset>) -> OptionChain {
    let underlying = Symbol::parse("NIFTY").unwrap_or_else(|_| unreachable!());
    let expiry = NaiveDate::from_ymd_opt(2024, 3, 7).unwrap_or_default();
    let mut quotes = Vec::new();
    for i in -10i64..=10 {
        for t in [OptionType::CE, OptionType::PE] {
            let strike = Decimal::from(22000 + 50 * i);
            quotes.push(OptionQuote {
                contract: OptionContract {
                    underlying: underlying.clone(),
                    expiry,
                    strike,
                    option_type: t,
                    lot_size: 75,
                    tick_size: Decimal::new(5, 2),
                    trading_symbol: format!("NIFTY24MAR{strike}{t}"),
                    exchange: Exchange::Nfo,
                },
                premium: Decimal::from(100),
                bid: Some(Decimal::from(99)),
                ask: Some(Decimal::from(101)),
                volume: Some(1000),
                oi: Some(50_000),
                iv: Some(0.14),
                greeks: None,
                timestamp: now,
            });
        }
    }
    OptionChain {
        underlying,
        spot: Decimal::from(22010),
        expiry,
        timestamp: now,
        quotes,
    }
}

fn bench(c: &mut Criterion) {
    let m = model();
    let x = FeatureVector([
        1.0, 70.0, 0.0, 0.3, 2.0, 45.0, 2.2, 0.13, 0.01, 2.0, 10.8, 0.05, 0.4,
    ]);
    c.bench_function("ml_filter_probability", |b| {
        b.iter(|| black_box(&m).probability(black_box(&x)))
    });

    let now = IST
        .with_ymd_and_hms(2024, 3, 5, 10, 0, 0)
        .single()
        .unwrap_or_else(|| unreachable!());
    let mut filter = SignalFilter::new(m, 0.5).unwrap_or_else(|_| unreachable!());
    let sym = Symbol::parse("NIFTY").unwrap_or_else(|_| unreachable!());
    for i in 0..30 {
        let close = Decimal::from(22000 + (i * 7) % 40);
        filter.observe_candle(&Candle {
            symbol: sym.clone(),
            timestamp: now - Duration::minutes(30 - i),
            open: close,
            high: close,
            low: close,
            close,
            volume: 0,
        });
    }
    let ch = chain(now);
    filter.observe_chain(&chain(now - Duration::minutes(20)));
    filter.observe_chain(&ch);
    let signal = Signal {
        symbol: sym,
        strategy: "ema_crossover".into(),
        side: Side::Buy,
        timestamp: now,
        price: Decimal::from(22010),
        target: Decimal::from(22070),
        stop: Decimal::from(21980),
        confidence: 70,
        expected_move_pct: 0.27,
        reason: String::new(),
    };
    c.bench_function("ml_filter_check_signal", |b| {
        b.iter(|| black_box(&mut filter).check(black_box(&signal), Some(&ch), now))
    });

    let pairs: Vec<MovePair> = (0..200)
        .map(|i| {
            let mv = f64::from(i % 21 - 10) * 5.0;
            let k = 21900.0 + f64::from(i % 9) * 25.0;
            MovePair {
                option_type: if i % 2 == 0 {
                    OptionType::CE
                } else {
                    OptionType::PE
                },
                strike: k,
                spot: 22000.0,
                days_to_expiry: 2.0,
                iv: 0.14,
                premium: 100.0,
                new_spot: 22000.0 + mv,
                new_premium: 100.0 + 0.5 * mv * if i % 2 == 0 { 1.0 } else { -1.0 },
                minutes: 15.0,
            }
        })
        .collect();
    if let Some(om) = OptionMoveModel::fit(&pairs) {
        c.bench_function("ml_predict_option_movement", |b| {
            b.iter(|| {
                black_box(&om).predict_option_movement(
                    OptionType::CE,
                    black_box(22000.0),
                    22000.0,
                    2.0,
                    0.14,
                    22050.0,
                    15.0,
                )
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
