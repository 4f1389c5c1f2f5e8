//! The comparison case shared by the `comparison` benchmark and the `comparison` example (which
//! measures its memory): an EMA(5/20) crossover that trades NSE:SBIN itself, flipping long ↔
//! short on every crossover, over seeded random-walk 1-minute bars held in memory, driven
//! through `Engine::on_event(Event::Candle)` with every order filled at the candle's close and
//! the fill fed back, so every fill is accounted in the portfolio.

use chrono::{Datelike, Duration, TimeZone, Weekday};
use rust_decimal::Decimal;

use alphastock_core::config::Config;
use alphastock_core::engine::{Action, Engine, Event, Record};
use alphastock_core::market::{Candle, Symbol, IST};
use alphastock_core::order::Fill;

/// Bars per NSE session: 09:15 to 15:29 starts, one a minute.
pub const BARS_PER_DAY: usize = 375;

/// The engine config of the comparison: 1-minute candles; one EMA(5/20) instance trading
/// NSE:SBIN itself with flips; targets and stops at their widest (50 %) so only crossovers
/// end positions; positions held overnight (no square-off) and entries allowed up to the
/// close; risk limits that never bind (sizing 1,00,000 rupees of stock per trade).
pub const CONFIG: &str = r#"
market_data_runner: { candle_minutes: 1 }
strategies:
  ema_cross:
    strategy: ema_crossover
    symbols: ["NSE:SBIN"]
    instrument: underlying
    flip: true
    parameters: { fast_ema: 5, slow_ema: 20, min_confidence: 0, target_pct: 50, stop_pct: 50 }
options_trading:
  entry: { limit_buffer_ticks: 0, no_entries_minutes_before_close: 0, max_signal_age_seconds: 120 }
  underlying: { square_off: false }
  exits: { trailing: { enabled: false } }
  risk_management:
    capital: 1000000000
    risk_per_trade_pct: 1
    max_premium_per_trade: 100000
    max_exposure_per_underlying: 1000000000
    max_total_exposure: 1000000000
    daily_loss_limit: 1000000000000
    correlated_groups: []
"#;

/// A small, fast, seeded generator (SplitMix64); the bars depend only on the seed.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// `n` 1-minute NSE:SBIN bars of a seeded random walk from 500 rupees (steps up to ±0.1 %,
/// prices on the 0.05 tick), 375 a day inside 09:15–15:30 IST on weekdays from Monday
/// 2020-01-06 (no holidays).
pub fn random_walk_bars(n: usize, seed: u64) -> Vec<Candle> {
    let symbol = Symbol::parse("NSE:SBIN").expect("valid symbol");
    let mut rng = SplitMix(seed);
    let mut day = IST
        .with_ymd_and_hms(2020, 1, 6, 9, 15, 0)
        .single()
        .expect("valid time");
    // Rupees on the 0.05 grid, in paise: round(x × 20) × 5 paise.
    let tick = |x: f64| Decimal::new((x * 20.0).round().max(1.0) as i64 * 5, 2);
    let mut price = 500.0_f64;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        for minute in 0..BARS_PER_DAY {
            if out.len() == n {
                break;
            }
            let open = price;
            price *= 1.0 + 0.001 * rng.unit();
            let wick = price * 0.0005 * (rng.unit() + 1.0);
            let (o, c) = (tick(open), tick(price));
            out.push(Candle {
                symbol: symbol.clone(),
                timestamp: day + Duration::minutes(minute as i64),
                open: o,
                high: tick(open.max(price) + wick).max(o.max(c)),
                low: tick(open.min(price) - wick).min(o.min(c)),
                close: c,
                volume: 1_000 + rng.next() % 9_000,
            });
        }
        day += Duration::days(1);
        while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            day += Duration::days(1);
        }
    }
    out
}

/// The engine of the comparison case.
pub fn engine() -> Engine {
    let config = Config::from_yaml_str(CONFIG).expect("the comparison config is valid");
    Engine::new(&config).expect("the comparison engine builds")
}

/// What a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunStats {
    /// Bars fed.
    pub bars: usize,
    /// Fills fed back (one per order).
    pub fills: u64,
    /// Signals the engine did not trade (e.g. a crossover on a day's last bar, whose data
    /// ends at the 15:30 close, when the market is closed).
    pub rejected_signals: u64,
    /// Round trips closed.
    pub closed_trades: u64,
    /// Net P&L of the closed round trips after charges, rupees.
    pub closed_net_pnl: Decimal,
}

/// Drives `engine` over `bars`: each candle through `on_event`, each order it places filled
/// at that candle's close and fed back as an [`Event::Fill`] at the candle's end.
pub fn run(engine: &mut Engine, bars: &[Candle]) -> RunStats {
    let mut fills = 0u64;
    let mut rejected_signals = 0u64;
    let mut closed_trades = 0u64;
    let mut closed_net_pnl = Decimal::ZERO;
    let mut pending: Vec<Fill> = Vec::new();
    for bar in bars {
        let end = bar.timestamp + Duration::minutes(1);
        let close = bar.close;
        for action in engine.on_event(Event::Candle(bar.clone())) {
            match action {
                Action::PlaceOrder { request, .. } => {
                    fills += 1;
                    pending.push(Fill {
                        order_id: fills.to_string(),
                        trade_id: fills.to_string(),
                        tag: request.tag,
                        exchange: request.exchange,
                        trading_symbol: request.trading_symbol,
                        transaction_type: request.transaction_type,
                        quantity: request.quantity,
                        price: close,
                        timestamp: end,
                    });
                }
                Action::Record(Record::Signal {
                    rejected: Some(_), ..
                }) => rejected_signals += 1,
                _ => {}
            }
        }
        for fill in pending.drain(..) {
            // A fill places no orders here (exits are evaluated on candles, not on fills).
            for action in engine.on_event(Event::Fill(fill)) {
                if let Action::Record(Record::PositionClosed { net_pnl, .. }) = action {
                    closed_trades += 1;
                    closed_net_pnl += net_pnl;
                }
            }
        }
    }
    RunStats {
        bars: bars.len(),
        fills,
        rejected_signals,
        closed_trades,
        closed_net_pnl,
    }
}

/// Polled quotes made from `bars`: twelve a minute (every 5 s) walking from each bar's open to
/// its close, with the day's open, running high and low, and cumulative volume, as the broker
/// reports them. A 1-minute candle completes on the first quote of the next minute.
pub fn quotes_from_bars(bars: &[Candle]) -> Vec<alphastock_core::market::Quote> {
    use alphastock_core::market::Quote;
    let mut out = Vec::with_capacity(bars.len() * 12);
    let mut day = None;
    let (mut day_open, mut high, mut low, mut volume) =
        (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, 0u64);
    let steps = Decimal::from(11);
    for bar in bars {
        let date = bar.timestamp.date_naive();
        if day != Some(date) {
            day = Some(date);
            day_open = bar.open;
            high = bar.open;
            low = bar.open;
            volume = 0;
        }
        for k in 0..12u32 {
            let raw = bar.open + (bar.close - bar.open) * Decimal::from(k) / steps;
            let ltp = (raw * Decimal::from(20)).round() / Decimal::from(20);
            high = high.max(ltp);
            low = low.min(ltp);
            volume += bar.volume / 12;
            out.push(Quote {
                symbol: bar.symbol.clone(),
                ltp,
                open: day_open,
                high,
                low,
                close: day_open,
                volume,
                bid: Some(ltp - Decimal::new(5, 2)),
                ask: Some(ltp + Decimal::new(5, 2)),
                oi: None,
                timestamp: bar.timestamp + Duration::seconds(5 * i64::from(k)),
            });
        }
    }
    out
}

/// The engine of the latency benchmark: five strategies (EMA crossover, RSI divergence,
/// Bollinger reversion, price breakout, volume spike) on NSE:SBIN, each trading the stock
/// itself, 1-minute candles built from quotes, intraday square-off as configured by default.
pub const FIVE_STRATEGIES: &str = r#"
market_data_runner: { candle_minutes: 1 }
strategies:
  ema_crossover: { symbols: ["NSE:SBIN"], instrument: underlying, parameters: { min_confidence: 0 } }
  rsi_divergence: { symbols: ["NSE:SBIN"], instrument: underlying }
  bollinger_reversion: { symbols: ["NSE:SBIN"], instrument: underlying }
  price_breakout: { symbols: ["NSE:SBIN"], instrument: underlying }
  volume_spike: { symbols: ["NSE:SBIN"], instrument: underlying }
options_trading:
  entry: { limit_buffer_ticks: 1 }
  risk_management:
    capital: 1000000000
    risk_per_trade_pct: 1
    max_premium_per_trade: 100000
    max_exposure_per_underlying: 1000000000
    max_total_exposure: 1000000000
    daily_loss_limit: 1000000000000
    correlated_groups: []
"#;

/// Counts of what a stream of events did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounts {
    /// Events fed (quotes, not counting the fills fed back).
    pub events: u64,
    /// Signals recorded (traded or rejected).
    pub signals: u64,
    /// Orders placed (each filled and fed back).
    pub orders: u64,
}

/// Feeds one quote and fills every order it places at the order's limit (the quote's price
/// when no limit), feeding the fills back; adds to `counts`.
pub fn feed_quote(
    engine: &mut Engine,
    quote: &alphastock_core::market::Quote,
    counts: &mut EventCounts,
) {
    counts.events += 1;
    let mut fills = Vec::new();
    for action in engine.on_event(Event::Quote(quote.clone())) {
        match action {
            Action::PlaceOrder { request, .. } => {
                counts.orders += 1;
                let id = counts.orders.to_string();
                fills.push(Fill {
                    order_id: id.clone(),
                    trade_id: id,
                    tag: request.tag,
                    exchange: request.exchange,
                    trading_symbol: request.trading_symbol,
                    transaction_type: request.transaction_type,
                    quantity: request.quantity,
                    price: request.price.unwrap_or(quote.ltp),
                    timestamp: quote.timestamp,
                });
            }
            Action::Record(Record::Signal { .. }) => counts.signals += 1,
            _ => {}
        }
    }
    for fill in fills {
        let _ = engine.on_event(Event::Fill(fill));
    }
}

/// The engine of the latency benchmark.
pub fn five_strategy_engine() -> Engine {
    let config = Config::from_yaml_str(FIVE_STRATEGIES).expect("the benchmark config is valid");
    Engine::new(&config).expect("the benchmark engine builds")
}
