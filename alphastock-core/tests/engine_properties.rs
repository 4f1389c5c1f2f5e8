//! Laws of the engine under random event sequences: no entry breaches a risk limit, quantities
//! are positive whole lots, every exit closes (part of) an existing position, and no entry is
//! sent while the kill switch is on.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use alphastock_core::config::Config;
use alphastock_core::engine::{Action, Engine, Event, OrderPurpose};
use alphastock_core::market::{
    Candle, Exchange, Greeks, IstTime, OptionChain, OptionContract, OptionQuote, OptionType, Symbol,
};
use alphastock_core::order::{Fill, OrderRequest, OrderStatus, OrderUpdate, TransactionType};
use alphastock_core::strategy::{MarketInput, Side, Signal, Strategy};
use chrono::{DateTime, Duration, NaiveDate};
use proptest::prelude::{any, prop_oneof, proptest, Just, ProptestConfig};
use proptest::strategy::Strategy as _;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const LOT: u32 = 30;
const CAPITAL: i64 = 200_000;
const RISK_PCT: i64 = 2;
const MAX_PREMIUM: i64 = 40_000;
const MAX_POSITIONS: usize = 2;

fn config() -> Config {
    let yaml = format!(
        r#"
strategies: {{ ema_crossover: {{ enabled: false, symbols: [BANKNIFTY] }} }}
options_trading:
  entry: {{ min_confidence: 50, allow_same_direction: true }}
  risk_management:
    capital: {CAPITAL}
    risk_per_trade_pct: {RISK_PCT}
    max_premium_per_trade: {MAX_PREMIUM}
    max_positions: {MAX_POSITIONS}
    max_exposure_per_underlying: 1000000
    max_total_exposure: 1000000
    daily_loss_limit: 3000
    max_correlated_positions: 5
"#
    );
    Config::from_yaml_str(&yaml).expect("valid config")
}

fn banknifty() -> Symbol {
    Symbol::parse("BANKNIFTY").expect("symbol")
}

type Queue = Arc<Mutex<VecDeque<Signal>>>;

struct Scripted(Queue);

impl Strategy for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn warmup_bars(&self) -> usize {
        0
    }
    fn analyze(&mut self, _input: &MarketInput<'_>) -> Option<Signal> {
        self.0.lock().ok()?.pop_front()
    }
}

fn quote(strike: i64, option_type: OptionType, premium: Decimal, t: IstTime) -> OptionQuote {
    let delta = match option_type {
        OptionType::CE => 0.5,
        OptionType::PE => -0.5,
    };
    OptionQuote {
        contract: OptionContract {
            underlying: banknifty(),
            expiry: NaiveDate::from_ymd_opt(2026, 1, 8).expect("date"),
            strike: Decimal::from(strike),
            option_type,
            lot_size: LOT,
            tick_size: dec!(0.05),
            trading_symbol: format!("BANKNIFTY26JAN{strike}{option_type:?}"),
            exchange: Exchange::Nfo,
        },
        premium,
        bid: Some((premium - dec!(0.05)).max(dec!(0.05))),
        ask: Some(premium + dec!(0.05)),
        volume: Some(10_000),
        oi: Some(50_000),
        iv: Some(0.15),
        greeks: Some(Greeks {
            delta,
            gamma: 0.0004,
            theta_per_day: -10.0,
            vega_per_point: 20.0,
            rho_per_pct: 3.0,
        }),
        timestamp: t,
    }
}

fn chain(spot: i64, premium: Decimal, t: IstTime) -> OptionChain {
    let atm = (spot / 100) * 100;
    let mut quotes = Vec::new();
    for k in [atm - 100, atm, atm + 100] {
        quotes.push(quote(k, OptionType::CE, premium, t));
        quotes.push(quote(k, OptionType::PE, premium, t));
    }
    OptionChain {
        underlying: banknifty(),
        spot: Decimal::from(spot),
        expiry: NaiveDate::from_ymd_opt(2026, 1, 8).expect("date"),
        timestamp: t,
        quotes,
    }
}

#[derive(Debug, Clone)]
enum Step {
    Signal {
        bullish: bool,
        stop_points: i64,
        confidence: u8,
    },
    Reprice {
        premium_cents: i64,
    },
    FillOldest,
    RejectOldest,
    Wait {
        minutes: i64,
    },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    prop_oneof![
        (any::<bool>(), 5i64..400, 0u8..=100).prop_map(|(bullish, stop_points, confidence)| {
            Step::Signal {
                bullish,
                stop_points,
                confidence,
            }
        }),
        (500i64..90_000).prop_map(|premium_cents| Step::Reprice { premium_cents }),
        Just(Step::FillOldest),
        Just(Step::FillOldest),
        Just(Step::RejectOldest),
        (1i64..40).prop_map(|minutes| Step::Wait { minutes }),
    ]
}

struct Harness {
    engine: Engine,
    queue: Queue,
    now: IstTime,
    premium: Decimal,
    sent: VecDeque<OrderRequest>,
    trade_seq: u32,
    entries: usize,
    exits: usize,
}

impl Harness {
    fn new() -> Self {
        let queue: Queue = Arc::new(Mutex::new(VecDeque::new()));
        let mut engine = Engine::new(&config()).expect("engine");
        engine.add_strategy(banknifty(), Box::new(Scripted(queue.clone())));
        Harness {
            engine,
            queue,
            now: DateTime::parse_from_rfc3339("2026-01-05T09:30:00+05:30").expect("time"),
            premium: dec!(200),
            sent: VecDeque::new(),
            trade_seq: 0,
            entries: 0,
            exits: 0,
        }
    }

    /// Feeds one event and checks every action against the laws.
    fn feed(&mut self, event: Event) {
        let kill_before = self.engine.kill_switch_on(self.now);
        let actions = self.engine.on_event(event);
        if std::env::var_os("HARNESS_DEBUG").is_some() {
            eprintln!("{actions:#?}");
        }
        for action in actions {
            if let Action::PlaceOrder { request, purpose } = action {
                assert!(request.quantity > 0, "zero quantity: {request:?}");
                assert_eq!(request.quantity % LOT, 0, "not whole lots: {request:?}");
                match &purpose {
                    OrderPurpose::Entry { stop, .. } => {
                        self.entries += 1;
                        assert!(!kill_before, "entry sent with the kill switch on");
                        let price = request.price.expect("entries are limit orders");
                        let qty = Decimal::from(request.quantity);
                        assert!(price * qty <= Decimal::from(MAX_PREMIUM), "premium cap");
                        let budget = Decimal::from(CAPITAL * RISK_PCT) / dec!(100);
                        assert!((price - *stop) * qty <= budget, "risk budget");
                        // Distinct contracts held or being bought, the new entry included.
                        let mut contracts: std::collections::BTreeSet<String> = self
                            .engine
                            .portfolio()
                            .open_positions()
                            .map(|p| p.trading_symbol().to_string())
                            .collect();
                        for (_, _, o) in self.engine.working_orders().working_entries() {
                            contracts.insert(o.request.trading_symbol.clone());
                        }
                        assert!(
                            contracts.len() <= MAX_POSITIONS,
                            "max positions: {contracts:?}"
                        );
                    }
                    OrderPurpose::Exit { .. } => {
                        self.exits += 1;
                        let held = self
                            .engine
                            .portfolio()
                            .position(&request.trading_symbol)
                            .map(|p| p.quantity())
                            .unwrap_or(0);
                        assert!(held > 0, "exit without a position: {request:?}");
                        assert!(i64::from(request.quantity) <= held, "exit larger than held");
                        assert_eq!(request.transaction_type, TransactionType::Sell);
                    }
                }
                self.sent.push_back(request);
            }
        }
    }

    fn run(&mut self, s: Step) {
        match s {
            Step::Signal {
                bullish,
                stop_points,
                confidence,
            } => {
                let spot = Decimal::from(51_250);
                let stop_pts = Decimal::from(stop_points);
                let (side, target, stop) = if bullish {
                    (Side::Buy, spot + stop_pts * dec!(2), spot - stop_pts)
                } else {
                    (Side::Sell, spot - stop_pts * dec!(2), spot + stop_pts)
                };
                if let Ok(mut q) = self.queue.lock() {
                    q.push_back(Signal {
                        symbol: banknifty(),
                        strategy: "scripted".into(),
                        side,
                        timestamp: self.now - Duration::minutes(5),
                        price: spot,
                        target,
                        stop,
                        confidence,
                        expected_move_pct: 0.5,
                        reason: "scripted".into(),
                    });
                }
                self.feed(Event::OptionChain(chain(51_250, self.premium, self.now)));
                self.feed(Event::Candle(Candle {
                    symbol: banknifty(),
                    timestamp: self.now - Duration::minutes(5),
                    open: spot,
                    high: spot,
                    low: spot,
                    close: spot,
                    volume: 1_000,
                }));
            }
            Step::Reprice { premium_cents } => {
                self.premium = Decimal::new(premium_cents, 2);
                self.feed(Event::OptionChain(chain(51_250, self.premium, self.now)));
            }
            Step::FillOldest => {
                if let Some(order) = self.sent.pop_front() {
                    self.trade_seq += 1;
                    let price = order.price.unwrap_or(self.premium);
                    self.feed(Event::Fill(Fill {
                        order_id: format!("O-{}", order.tag),
                        tag: order.tag.clone(),
                        trade_id: format!("T{}", self.trade_seq),
                        exchange: order.exchange,
                        trading_symbol: order.trading_symbol.clone(),
                        transaction_type: order.transaction_type,
                        quantity: order.quantity,
                        price,
                        timestamp: self.now,
                    }));
                }
            }
            Step::RejectOldest => {
                if let Some(order) = self.sent.pop_front() {
                    self.feed(Event::OrderUpdate(OrderUpdate {
                        order_id: format!("O-{}", order.tag),
                        tag: order.tag.clone(),
                        status: OrderStatus::Rejected,
                        filled_quantity: 0,
                        average_price: None,
                        message: Some("RMS: margin shortfall".into()),
                        timestamp: self.now,
                    }));
                }
            }
            Step::Wait { minutes } => {
                self.now += Duration::minutes(minutes);
                self.feed(Event::Timer(self.now));
            }
        }
    }
}

/// The harness does reach entries and exits (so the laws above are exercised, not vacuous).
#[test]
fn the_harness_reaches_entries_and_exits() {
    let mut h = Harness::new();
    for s in [
        Step::Signal {
            bullish: true,
            stop_points: 10,
            confidence: 90,
        },
        Step::FillOldest,
        // Below the 195.05 stop: a loss of about 6 × 180 units, inside the daily limit.
        Step::Reprice {
            premium_cents: 19_400,
        },
        Step::FillOldest,
        Step::Signal {
            bullish: false,
            stop_points: 40,
            confidence: 90,
        },
        Step::Signal {
            bullish: true,
            stop_points: 40,
            confidence: 90,
        },
        Step::Signal {
            bullish: true,
            stop_points: 40,
            confidence: 90,
        },
    ] {
        h.run(s);
    }
    assert!(h.entries >= 2, "entries {}", h.entries);
    assert_eq!(h.exits, 1, "the stop exit");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_action_breaks_the_laws(steps in proptest::collection::vec(step(), 1..60)) {
        let mut h = Harness::new();
        for s in steps {
            h.run(s);
        }
    }
}
