//! A strategy configured with `instrument: underlying` trades NSE:SBIN itself through
//! `Engine::on_event`: long on a BUY crossover, and on the opposite crossover it closes the long
//! and sells short (a flip), then flips back. Every order is filled at its limit by the test's
//! own fill loop; the P&L of each round trip is checked against the NSE intraday equity charges
//! worked out by hand.

use alphastock_core::config::Config;
use alphastock_core::engine::{Action, Engine, Event, OrderPurpose, Record};
use alphastock_core::market::{Candle, Exchange, IstTime, Symbol};
use alphastock_core::order::{Fill, OrderRequest, Product, TransactionType};
use chrono::{DateTime, Duration};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// EMA(2)/EMA(3) crossover on SBIN, trading the stock; targets and stops wide (10 % / 5 %) so
/// only crossovers and the shutdown end positions. Risk: budget 1 % of 10 lakh = 10,000; at most
/// 1,00,000 of stock per trade.
const CONFIG: &str = r#"
market_data_runner: { candle_minutes: 5 }
strategies:
  sbin_trend:
    strategy: ema_crossover
    symbols: ["NSE:SBIN"]
    instrument: underlying
    parameters: { fast_ema: 2, slow_ema: 3, min_confidence: 0, target_pct: 10, stop_pct: 5 }
options_trading:
  entry: { limit_buffer_ticks: 0 }
  risk_management:
    capital: 1000000
    risk_per_trade_pct: 1
    max_premium_per_trade: 100000
    max_exposure_per_underlying: 200000
    max_total_exposure: 500000
    correlated_groups: []
"#;

/// Closes whose EMA(2)/EMA(3) crossings (TA-Lib seeding) are: BUY on bar 4 (820), SELL on bar
/// 6 (800), BUY on bar 9 (800). Worked out by hand / an independent script: at bar 4 EMA(2) is
/// 805.00 and EMA(3) 800.00; at bar 6 807.22 < 807.50; at bar 9 792.12 > 790.94.
const CLOSES: [i64; 11] = [800, 790, 780, 770, 820, 830, 800, 780, 770, 800, 820];

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).expect("valid time")
}

fn sbin() -> Symbol {
    Symbol::parse("NSE:SBIN").expect("symbol")
}

fn candles() -> Vec<Candle> {
    let start = at("2026-01-05T10:00:00+05:30");
    let mut prev = CLOSES[0];
    CLOSES
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let open = prev;
            prev = c;
            Candle {
                symbol: sbin(),
                timestamp: start + Duration::minutes(5 * i as i64),
                open: Decimal::from(open),
                high: Decimal::from(open.max(c)),
                low: Decimal::from(open.min(c)),
                close: Decimal::from(c),
                volume: 10_000,
            }
        })
        .collect()
}

/// Feeds one event, then fills every order it places at its limit price (one fill per order),
/// feeding the fills back. Returns all actions, the orders placed in order, and the closed
/// positions' (net P&L, reason).
struct Run {
    engine: Engine,
    orders: Vec<(OrderRequest, OrderPurpose)>,
    closed: Vec<(Decimal, String)>,
    rejected: Vec<String>,
    fills: u64,
}

impl Run {
    fn new(config: &str) -> Run {
        let config = Config::from_yaml_str(config).expect("valid config");
        Run {
            engine: Engine::new(&config).expect("engine"),
            orders: Vec::new(),
            closed: Vec::new(),
            rejected: Vec::new(),
            fills: 0,
        }
    }

    fn feed(&mut self, event: Event, fill_at: IstTime) {
        let mut queue = vec![event];
        while !queue.is_empty() {
            let event = queue.remove(0);
            for action in self.engine.on_event(event) {
                match action {
                    Action::PlaceOrder { request, purpose } => {
                        self.fills += 1;
                        queue.push(Event::Fill(Fill {
                            order_id: format!("OID{}", self.fills),
                            tag: request.tag.clone(),
                            trade_id: format!("T{}", self.fills),
                            exchange: request.exchange,
                            trading_symbol: request.trading_symbol.clone(),
                            transaction_type: request.transaction_type,
                            quantity: request.quantity,
                            price: request.price.expect("limit order"),
                            timestamp: fill_at,
                        }));
                        self.orders.push((request, purpose));
                    }
                    Action::Record(Record::PositionClosed {
                        net_pnl, reason, ..
                    }) => self.closed.push((net_pnl, reason)),
                    Action::Record(Record::Signal {
                        rejected: Some(r), ..
                    }) => self.rejected.push(r),
                    _ => {}
                }
            }
        }
    }

    fn candles(&mut self, candles: &[Candle]) {
        for c in candles {
            let end = c.timestamp + Duration::minutes(5);
            self.feed(Event::Candle(c.clone()), end);
        }
    }
}

fn summary(orders: &[(OrderRequest, OrderPurpose)]) -> Vec<(TransactionType, u32, Decimal, &str)> {
    orders
        .iter()
        .map(|(r, p)| {
            let kind = match p {
                OrderPurpose::Entry { .. } => "entry",
                OrderPurpose::Exit { .. } => "exit",
            };
            (
                r.transaction_type,
                r.quantity,
                r.price.unwrap_or_default(),
                kind,
            )
        })
        .collect()
}

#[test]
fn an_ema_crossover_trades_the_stock_long_and_short_flipping_with_exact_net_pnl() {
    let mut run = Run::new(CONFIG);
    run.candles(&candles());
    // Flatten what is left at the last close (820).
    let end = at("2026-01-05T10:55:00+05:30");
    run.feed(
        Event::Shutdown {
            flatten: true,
            at: end,
        },
        end,
    );

    use TransactionType::{Buy, Sell};
    // Sizes: BUY 820, stop 779 (5 %): 10,000 / 41 = 243 shares by risk, 1,00,000 / 820 = 121
    // by the per-trade cap → 121. SELL 800, stop 840: 250 by risk, 125 by the cap → 125 (the
    // long it closes does not count against the limits). BUY 800 again → 125.
    assert_eq!(
        summary(&run.orders),
        vec![
            (Buy, 121, dec!(820), "entry"),
            (Sell, 121, dec!(800), "exit"),
            (Sell, 125, dec!(800), "entry"),
            (Buy, 125, dec!(800), "exit"),
            (Buy, 125, dec!(800), "entry"),
            (Sell, 125, dec!(820), "exit"),
        ]
    );
    for (r, _) in &run.orders {
        assert_eq!(r.exchange, Exchange::Nse);
        assert_eq!(r.trading_symbol, "SBIN");
        assert_eq!(r.product, Product::Mis);
    }
    match &run.orders[2].1 {
        OrderPurpose::Entry { target, stop, .. } => {
            assert_eq!((*target, *stop), (dec!(720), dec!(840)));
        }
        other => panic!("expected the short entry, got {other:?}"),
    }

    // NSE intraday equity charges per fill at the rules of 2026-01-05 (brokerage 20, STT
    // 0.025 % sell, exchange 0.00297 %, SEBI 10/crore, stamp 0.003 % buy, IPFT 10/crore, GST
    // 18 % on brokerage + exchange + SEBI + IPFT; each rounded to the paisa):
    //   buy  121 @ 820 (99,220):   20 + stamp 2.98 + exch 2.95 + sebi 0.10 + ipft 0.10 + gst 4.17 = 30.30
    //   sell 121 @ 800 (96,800):   20 + stt 24.20 + exch 2.87 + sebi 0.10 + ipft 0.10 + gst 4.15 = 51.42
    //   sell 125 @ 800 (1,00,000): 20 + stt 25.00 + exch 2.97 + sebi 0.10 + ipft 0.10 + gst 4.17 = 52.34
    //   buy  125 @ 800 (1,00,000): 20 + stamp 3.00 + exch 2.97 + sebi 0.10 + ipft 0.10 + gst 4.17 = 30.34
    //   sell 125 @ 820 (1,02,500): 20 + stt 25.63 + exch 3.04 + sebi 0.10 + ipft 0.10 + gst 4.18 = 53.05
    // Round trips: long (800 − 820) × 121 = −2,420 − 81.72 = −2,501.72; short
    // (800 − 800) × 125 = 0 − 82.68; long (820 − 800) × 125 = 2,500 − 83.39 = 2,416.61.
    let pnl: Vec<Decimal> = run.closed.iter().map(|(p, _)| *p).collect();
    assert_eq!(pnl, vec![dec!(-2501.72), dec!(-82.68), dec!(2416.61)]);
    assert_eq!(run.closed[0].1, "reversed by a SELL signal");
    assert_eq!(run.closed[1].1, "reversed by a BUY signal");
    let position = run.engine.portfolio().position("SBIN").expect("position");
    assert_eq!(position.quantity(), 0);
    assert_eq!(run.engine.portfolio().day_pnl().net(), dec!(-167.79));
}

#[test]
fn a_short_is_stopped_out_on_the_underlying_candle() {
    // Tight stop (0.5 %): the short from 800 (stop 804.00) is bought back when a candle closes
    // at 805, above its stop.
    let config = CONFIG.replace("stop_pct: 5", "stop_pct: 0.5");
    let mut run = Run::new(&config);
    let mut cs = candles();
    cs.truncate(7); // up to the SELL at 800 on bar 6
    let mut next = cs[6].clone();
    next.timestamp += Duration::minutes(5);
    next.open = dec!(800);
    next.high = dec!(805);
    next.close = dec!(805);
    cs.push(next);
    run.candles(&cs);
    let (last, purpose) = run.orders.last().expect("an order");
    assert_eq!(last.transaction_type, TransactionType::Buy);
    assert_eq!(last.price, Some(dec!(805)));
    match purpose {
        OrderPurpose::Exit { reason } => assert_eq!(reason, "stop 804.00 hit at 805.00"),
        other => panic!("expected a stop exit, got {other:?}"),
    }
    assert_eq!(
        run.engine
            .portfolio()
            .position("SBIN")
            .map(|p| p.quantity()),
        Some(0)
    );
}

#[test]
fn without_flip_an_opposite_signal_is_rejected_while_the_long_is_open() {
    let config = CONFIG.replace(
        "instrument: underlying",
        "instrument: underlying\n    flip: false",
    );
    let mut run = Run::new(&config);
    run.candles(&candles()[..7]);
    assert_eq!(run.orders.len(), 1, "only the first long");
    assert_eq!(
        run.rejected,
        vec!["an opposite position of 121 shares is open and flip is off for this strategy"]
    );
}

#[test]
fn with_cnc_a_sell_only_closes_the_long() {
    let config = CONFIG.replace(
        "  entry: { limit_buffer_ticks: 0 }",
        "  entry: { limit_buffer_ticks: 0 }\n  underlying: { product: CNC }",
    );
    let mut run = Run::new(&config);
    run.candles(&candles()[..7]);
    use TransactionType::{Buy, Sell};
    assert_eq!(
        summary(&run.orders),
        vec![
            (Buy, 121, dec!(820), "entry"),
            (Sell, 121, dec!(800), "exit")
        ]
    );
    assert!(run.orders.iter().all(|(r, _)| r.product == Product::Cnc));
}

#[test]
fn an_index_cannot_be_traded_itself() {
    let config = CONFIG.replace("[\"NSE:SBIN\"]", "[BANKNIFTY]");
    let err = Config::from_yaml_str(&config).expect_err("index underlying refused");
    let text = err.to_string();
    assert!(
        text.contains("strategies.sbin_trend.instrument") && text.contains("BANKNIFTY is an index"),
        "{text}"
    );
}
