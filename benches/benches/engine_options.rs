//! Engine latency on the product's main path: one simulated trading day of BANKNIFTY, NIFTY and
//! FINNIFTY (an underlying quote and an option chain per symbol every 5 seconds) through
//! `Engine::on_event` with five strategies trading options: candle building, strategies,
//! aggregation, strike selection, target/stop pricing, risk, orders, and position marking and
//! exits on every chain. Orders are filled at their limit price and fed back, so positions are
//! held and marked. Time per event.
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::{criterion_group, criterion_main, Criterion};

use alphastock_core::config::Config;
use alphastock_core::engine::{Action, Engine, Event};
use alphastock_core::order::Fill;
use alphastock_core::sim::SimMarket;

const CONFIG: &str = r#"
strategies:
  ema_crossover: { symbols: [BANKNIFTY, NIFTY, FINNIFTY], parameters: { fast_ema: 5, slow_ema: 20, min_confidence: 50 } }
  rsi_divergence: { symbols: [BANKNIFTY, NIFTY, FINNIFTY], parameters: { min_confidence: 50 } }
  bollinger_reversion: { symbols: [BANKNIFTY, NIFTY, FINNIFTY], parameters: { min_confidence: 50 } }
  price_breakout: { symbols: [BANKNIFTY, NIFTY, FINNIFTY], parameters: { min_confidence: 50 } }
  volume_spike: { symbols: [BANKNIFTY, NIFTY, FINNIFTY], parameters: { min_confidence: 50 } }
market_data_runner: { candle_minutes: 1 }
options_trading:
  entry: { min_confidence: 50 }
  risk_management:
    capital: 1000000
    max_premium_per_trade: 100000
    max_positions: 10
    max_exposure_per_underlying: 500000
    max_total_exposure: 1000000
    daily_loss_limit: 1000000
    max_correlated_positions: 10
"#;

/// Feeds one event and fills every order at its limit, counting orders.
fn feed(engine: &mut Engine, event: Event, orders: &mut u64, seq: &mut u64) {
    let at = event.timestamp();
    let mut queue = vec![event];
    while let Some(ev) = queue.pop() {
        for action in engine.on_event(ev) {
            if let Action::PlaceOrder { request, .. } = action {
                *orders += 1;
                *seq += 1;
                if let Some(price) = request.price {
                    queue.push(Event::Fill(Fill {
                        order_id: format!("O{seq}"),
                        tag: request.tag.clone(),
                        trade_id: format!("T{seq}"),
                        exchange: request.exchange,
                        trading_symbol: request.trading_symbol.clone(),
                        transaction_type: request.transaction_type,
                        quantity: request.quantity,
                        price,
                        timestamp: at,
                    }));
                }
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let config = Config::from_yaml_str(CONFIG).expect("the benchmark config is valid");
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date");
    let events: Vec<Event> = SimMarket::new(&config.simulation, &config.market, day)
        .expect("the simulated market builds")
        .collect();
    let (mut orders, mut seq) = (0u64, 0u64);
    let mut engine = Engine::new(&config).expect("the benchmark engine builds");
    for ev in events.iter().cloned() {
        feed(&mut engine, ev, &mut orders, &mut seq);
    }
    println!(
        "engine (options): {} events in one simulated day gave {} orders (all filled)",
        events.len(),
        orders
    );
    c.bench_function("engine_options_event_5_strategies", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                let mut engine = Engine::new(&config).expect("the benchmark engine builds");
                let n = events.len().min((iters - done) as usize);
                let batch: Vec<Event> = events[..n].to_vec();
                let (mut orders, mut seq) = (0u64, 0u64);
                let started = Instant::now();
                for ev in batch {
                    feed(&mut engine, ev, &mut orders, &mut seq);
                }
                total += started.elapsed();
                black_box(orders);
                done += n as u64;
            }
            total
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
