//! Journal write cost: committing one simulated tick (3 quotes and 3 option chains of 42
//! contracts each) in one transaction.
use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

use alphastock_cli::store::{Row, Store};
use alphastock_core::config::MarketConfig;
use alphastock_core::engine::Event;
use alphastock_core::sim::{SimConfig, SimMarket};

fn bench(c: &mut Criterion) {
    let Some(day) = NaiveDate::from_ymd_opt(2025, 12, 3) else {
        return;
    };
    let Ok(sim) = SimMarket::new(&SimConfig::default(), &MarketConfig::default(), day) else {
        return;
    };
    // One tick's rows.
    let rows: Vec<Row> = sim
        .take_while(|e| !matches!(e, Event::Timer(_)))
        .filter_map(|e| Row::from_event(&e))
        .collect();
    let contracts: usize = rows
        .iter()
        .map(|r| match r {
            Row::OptionChain(c) => c.quotes.len(),
            _ => 1,
        })
        .sum();
    let dir = std::env::temp_dir().join(format!("alphastock-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let Ok(store) = Store::open(dir.join("bench.db")) else {
        return;
    };
    let mut writer = store.writer(usize::MAX);
    let mut group = c.benchmark_group("store_writer");
    group.throughput(Throughput::Elements(contracts as u64));
    group.sample_size(20);
    group.bench_function("flush_one_tick", |b| {
        b.iter(|| {
            for r in &rows {
                let _ = writer.push(r.clone());
            }
            writer.flush()
        })
    });
    group.finish();
    drop(writer);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
