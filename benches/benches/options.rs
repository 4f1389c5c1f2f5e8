//! Options analytics benchmarks: price + all greeks, implied vol, each target/stop method.
use std::hint::black_box;

use alphastock_core::market::OptionType;
use alphastock_core::options::pricing::{OptionsPricingEngine, PricingInput, TargetMethod};
use alphastock_core::options::{implied_vol, price_and_greeks, BsInput};
use criterion::{criterion_group, criterion_main, Criterion};
use rust_decimal::Decimal;

fn atm_call() -> BsInput {
    BsInput {
        option_type: OptionType::CE,
        spot: 51245.0,
        strike: 51200.0,
        years: 3.0 / 365.0,
        vol: 0.16,
        rate: 0.065,
        carry: 0.0,
    }
}

fn bench(c: &mut Criterion) {
    let input = atm_call();
    c.bench_function("price_and_greeks", |b| {
        b.iter(|| price_and_greeks(black_box(&input)))
    });
    let premium = price_and_greeks(&input).map(|v| v.price).unwrap_or(300.0);
    c.bench_function("implied_vol", |b| {
        b.iter(|| implied_vol(black_box(&input), black_box(premium)))
    });
    // The solver alone, on the same (undiscounted) numbers: the wrapper's overhead is the gap.
    let forward = input.forward();
    let undiscounted = premium * (input.rate * input.years).exp();
    let raw = ::implied_vol::ImpliedBlackVolatility::builder()
        .option_price(undiscounted)
        .forward(forward)
        .strike(input.strike)
        .expiry(input.years)
        .is_call(true)
        .build();
    if let Some(raw) = raw {
        c.bench_function("implied_vol_crate_jaeckel", |b| {
            b.iter(|| black_box(&raw).calculate_with::<::implied_vol::solver::Jaeckel>())
        });
        c.bench_function("implied_vol_crate_hybrid", |b| {
            b.iter(|| black_box(&raw).calculate::<::implied_vol::DefaultSpecialFn>())
        });
    }
    let otm = BsInput {
        strike: 52500.0,
        ..input
    };
    let otm_premium = price_and_greeks(&otm).map(|v| v.price).unwrap_or(1.0);
    c.bench_function("implied_vol_otm", |b| {
        b.iter(|| implied_vol(black_box(&otm), black_box(otm_premium)))
    });

    let engine = OptionsPricingEngine::default();
    let pricing = PricingInput {
        delta: Some(0.52),
        gamma: Some(0.0005),
        theta_per_day: Some(-49.0),
        iv: Some(0.16),
        strike: Some(Decimal::from(51200)),
        days_to_expiry: Some(3.0),
        multiplier: Some(4.0),
        holding_minutes: 60.0,
        ..PricingInput::new(
            OptionType::CE,
            Decimal::from(51245),
            Decimal::from(51655),
            Decimal::new(511873077, 4),
            Decimal::from(280),
        )
    };
    // `learned` needs a fitted model: benchmarked in `ml`.
    for method in TargetMethod::ALL
        .into_iter()
        .filter(|m| *m != TargetMethod::Learned)
    {
        c.bench_function(&format!("levels_{method}"), |b| {
            b.iter(|| engine.levels(black_box(method), black_box(&pricing)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
