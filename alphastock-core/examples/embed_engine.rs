//! Embedding the engine in a program of your own: the program has its own market feed and its
//! own broker, drives `Engine::on_event` with them and carries out every `Action` it returns.
//!
//! The feed here is a made-up intraday path of NSE:SBIN in one-minute quotes; the config trades
//! the stock itself (`instrument: underlying`), so no option chains are needed. The "broker" fills
//! each limit order at once at its limit price and answers with an `OrderUpdate` and a `Fill`,
//! which go back into the engine, as a real broker's answers would. Records are printed, and at
//! the end the portfolio's realised P&L is checked against the fills the broker made.
//!
//! Run it from anywhere:
//!
//! ```sh
//! cargo run -p alphastock-core --example embed_engine
//! ```

use std::process::ExitCode;

use chrono::{Duration, TimeZone};
use rust_decimal::Decimal;

use alphastock_core::config::Config;
use alphastock_core::engine::{Action, Engine, Event, OrderPurpose, Record};
use alphastock_core::market::{Quote, Symbol, IST};
use alphastock_core::order::{Fill, OrderStatus, OrderUpdate, TransactionType};

const CONFIG: &str = r#"
strategies:
  sbin_trend:
    strategy: ema_crossover
    symbols: ["NSE:SBIN"]
    instrument: underlying
    parameters: { fast_ema: 3, slow_ema: 8, min_confidence: 0 }
options_trading:
  risk_management:
    capital: 100000
    max_premium_per_trade: 50000
    max_exposure_per_underlying: 60000
    max_total_exposure: 100000
"#;

/// The program's own broker: fills every limit order in full at its price.
#[derive(Default)]
struct InstantBroker {
    orders: u32,
    /// Signed cash flow of every fill, rupees (sells positive, buys negative).
    cash: Decimal,
    /// Signed units held.
    held: i64,
}

impl InstantBroker {
    /// Carries out one action; returns the events the broker's answer makes.
    fn carry_out(&mut self, action: &Action, now: alphastock_core::market::IstTime) -> Vec<Event> {
        match action {
            Action::PlaceOrder { request, purpose } => {
                self.orders += 1;
                let order_id = format!("B{:05}", self.orders);
                let price = request.price.unwrap_or(Decimal::ZERO);
                let units = i64::from(request.quantity);
                let signed = match request.transaction_type {
                    TransactionType::Buy => units,
                    TransactionType::Sell => -units,
                };
                self.held += signed;
                self.cash -= Decimal::from(signed) * price;
                let why = match purpose {
                    OrderPurpose::Entry { target, stop, .. } => {
                        format!("entry, target {target}, stop {stop}")
                    }
                    OrderPurpose::Exit { reason } => format!("exit: {reason}"),
                };
                println!(
                    "{} ORDER {} {} {} @ {} ({why})",
                    now.format("%H:%M"),
                    request.transaction_type.code(),
                    request.quantity,
                    request.trading_symbol,
                    price,
                );
                vec![
                    Event::OrderUpdate(OrderUpdate {
                        order_id: order_id.clone(),
                        tag: request.tag.clone(),
                        status: OrderStatus::Complete,
                        filled_quantity: request.quantity,
                        average_price: Some(price),
                        message: None,
                        timestamp: now,
                    }),
                    Event::Fill(Fill {
                        order_id,
                        tag: request.tag.clone(),
                        trade_id: format!("T{:05}", self.orders),
                        exchange: request.exchange,
                        trading_symbol: request.trading_symbol.clone(),
                        transaction_type: request.transaction_type,
                        quantity: request.quantity,
                        price,
                        timestamp: now,
                    }),
                ]
            }
            // Every order fills at once, so nothing is ever left to modify or cancel.
            Action::ModifyOrder { .. }
            | Action::ModifyStop { .. }
            | Action::ConvertStopToExit { .. }
            | Action::CancelOrder { .. } => Vec::new(),
            Action::Alert { level, message } => {
                println!("{} ALERT {level:?}: {message}", now.format("%H:%M"));
                Vec::new()
            }
            Action::Record(Record::Signal { signal, rejected }) => {
                println!(
                    "{} SIGNAL {} {} at {} {}",
                    now.format("%H:%M"),
                    signal.symbol,
                    signal.side.direction(),
                    signal.price,
                    rejected.as_deref().unwrap_or("accepted")
                );
                Vec::new()
            }
            Action::Record(Record::PositionClosed {
                trading_symbol,
                net_pnl,
                reason,
                ..
            }) => {
                println!(
                    "{} EXIT {trading_symbol} ({reason}) net {net_pnl}",
                    now.format("%H:%M")
                );
                Vec::new()
            }
        }
    }
}

/// The program's own feed: one quote a minute from 09:15 to 15:29 IST on 2026-12-01, a price
/// path that trends up, then down, then up again (rupees, on SBIN's 0.05 tick).
fn feed(symbol: &Symbol) -> Vec<Quote> {
    let Some(open) = IST.with_ymd_and_hms(2026, 12, 1, 9, 15, 0).single() else {
        return Vec::new();
    };
    (0..375i64)
        .map(|m| {
            let x = m as f64;
            let path = 800.0 + 12.0 * (x / 60.0).sin() + 0.02 * x;
            let ltp = (Decimal::try_from(path).unwrap_or(Decimal::from(800)) * Decimal::from(20))
                .round()
                / Decimal::from(20);
            let tick = Decimal::new(5, 2);
            Quote {
                symbol: symbol.clone(),
                ltp,
                open: Decimal::from(800),
                high: ltp.max(Decimal::from(800)),
                low: ltp.min(Decimal::from(800)),
                close: Decimal::from(800),
                volume: 1000 * (m as u64 + 1),
                bid: Some(ltp - tick),
                ask: Some(ltp + tick),
                oi: None,
                timestamp: open + Duration::minutes(m),
            }
        })
        .collect()
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let config = Config::from_yaml_str(CONFIG).map_err(|e| e.to_string())?;
    let mut engine = Engine::new(&config).map_err(|e| e.to_string())?;
    let mut broker = InstantBroker::default();
    let symbol = Symbol::parse("NSE:SBIN").map_err(|e| e.to_string())?;
    let mut last = None;
    for quote in feed(&symbol) {
        let now = quote.timestamp;
        last = Some(now);
        // Each quote, then a timer tick (candle closes, time exits), and every answer of the
        // broker until the engine has nothing more to do.
        let mut pending = vec![Event::Quote(quote), Event::Timer(now)];
        while !pending.is_empty() {
            let mut answers = Vec::new();
            for event in pending {
                for action in engine.on_event(event) {
                    answers.extend(broker.carry_out(&action, now));
                }
            }
            pending = answers;
        }
    }
    let Some(end) = last else {
        return Err("the feed is empty".into());
    };
    // End of the program's day: close what is open.
    let mut pending = vec![Event::Shutdown {
        flatten: true,
        at: end,
    }];
    while !pending.is_empty() {
        let mut answers = Vec::new();
        for event in pending {
            for action in engine.on_event(event) {
                answers.extend(broker.carry_out(&action, end));
            }
        }
        pending = answers;
    }

    let realised = engine.portfolio().day_pnl().realised;
    println!(
        "orders {}, held at the end {}, broker cash flow {:.2}, engine's realised P&L {:.2} (before charges) rupees",
        broker.orders, broker.held, broker.cash, realised
    );
    if broker.orders == 0 {
        return Err("the engine placed no order".into());
    }
    if broker.held == 0 && realised != broker.cash {
        return Err(format!(
            "the engine's realised P&L {realised} differs from the broker's cash flow {}",
            broker.cash
        ));
    }
    Ok(())
}
