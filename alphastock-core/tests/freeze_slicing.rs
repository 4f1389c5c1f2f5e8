//! Freeze-limit slicing in the engine: an intent above the contract's freeze quantity (market
//! rules of the day: BANKNIFTY 900 units) goes out as several orders, each whole lots within the
//! limit, each with a tag derived from the intent's; their fills make one position, and its exit
//! is sliced the same way. Risk limits apply to the whole intent.

use alphastock_core::config::Config;
use alphastock_core::engine::{Action, Engine, Event, OrderPurpose};
use alphastock_core::market::{
    Candle, Exchange, Greeks, IstTime, OptionChain, OptionContract, OptionQuote, OptionType, Symbol,
};
use alphastock_core::order::{Fill, TransactionType};
use alphastock_core::rules::intent_tag;
use alphastock_core::strategy::{MarketInput, Side, Signal, Strategy};
use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// Room for 15 lots of the 280 CE (lot 75 in the test chain): premium cap 15 × 21,000 =
/// 3,15,000; risk budget 5 % of 1,00,00,000 = 5,00,000 ≥ 15 × 2,250.
const CONFIG: &str = r#"
strategies: { ema_crossover: { enabled: false, symbols: [BANKNIFTY] } }
options_trading:
  enabled: true
  target_calculation_method: delta_based
  entry: { min_confidence: 70, limit_buffer_ticks: 0 }
  risk_management:
    capital: 10000000
    risk_per_trade_pct: 5
    max_premium_per_trade: 315000
    max_exposure_per_underlying: 400000
    max_total_exposure: 400000
"#;

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).expect("valid time")
}

fn banknifty() -> Symbol {
    Symbol::parse("BANKNIFTY").expect("symbol")
}

/// Emits one scripted signal on its first candle: the worked example.
struct WorkedExample {
    stop: Decimal,
    /// Signals still to emit, one per candle.
    remaining: u32,
}

impl Strategy for WorkedExample {
    fn name(&self) -> &str {
        "ema_crossover"
    }
    fn warmup_bars(&self) -> usize {
        0
    }
    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        Some(Signal {
            symbol: input.candle.symbol.clone(),
            strategy: "ema_crossover".into(),
            side: Side::Buy,
            timestamp: input.candle.timestamp,
            price: dec!(51245),
            target: dec!(51655),
            stop: self.stop,
            confidence: 78,
            expected_move_pct: 0.8,
            reason: "EMA(5) 51180.00 crossed above EMA(20) 51100.00".into(),
        })
    }
}

fn quote(
    strike: Decimal,
    option_type: OptionType,
    premium: Decimal,
    delta: f64,
    t: IstTime,
) -> OptionQuote {
    let kind = match option_type {
        OptionType::CE => "CE",
        OptionType::PE => "PE",
    };
    OptionQuote {
        contract: OptionContract {
            underlying: banknifty(),
            expiry: NaiveDate::from_ymd_opt(2026, 1, 8).expect("date"),
            strike,
            option_type,
            lot_size: 75,
            tick_size: dec!(0.05),
            trading_symbol: format!("BANKNIFTY26JAN{strike}{kind}"),
            exchange: Exchange::Nfo,
        },
        premium,
        bid: Some(premium - dec!(0.05)),
        ask: Some(premium),
        volume: Some(10_000),
        oi: Some(50_000),
        iv: Some(0.16),
        greeks: Some(Greeks {
            delta,
            gamma: 0.0004,
            theta_per_day: -12.0,
            vega_per_point: 20.0,
            rho_per_pct: 3.0,
        }),
        timestamp: t,
    }
}

fn chain(t: IstTime) -> OptionChain {
    let mut quotes = Vec::new();
    for (k, ce, ce_delta, pe, pe_delta) in [
        (dec!(51100), dec!(340), 0.58, dec!(190), -0.42),
        (dec!(51200), dec!(280), 0.52, dec!(235), -0.48),
        (dec!(51300), dec!(228), 0.46, dec!(282), -0.54),
    ] {
        quotes.push(quote(k, OptionType::CE, ce, ce_delta, t));
        quotes.push(quote(k, OptionType::PE, pe, pe_delta, t));
    }
    OptionChain {
        underlying: banknifty(),
        spot: dec!(51245),
        expiry: NaiveDate::from_ymd_opt(2026, 1, 8).expect("date"),
        timestamp: t,
        quotes,
    }
}

fn candle(t: IstTime) -> Candle {
    Candle {
        symbol: banknifty(),
        timestamp: t,
        open: dec!(51200),
        high: dec!(51260),
        low: dec!(51190),
        close: dec!(51245),
        volume: 120_000,
    }
}

fn engine(stop: Decimal) -> Engine {
    engine_with_signals(stop, 1)
}

fn engine_with_signals(stop: Decimal, signals: u32) -> Engine {
    let config = Config::from_yaml_str(CONFIG).expect("valid config");
    let mut engine = Engine::new(&config).expect("engine");
    engine.add_strategy(
        banknifty(),
        Box::new(WorkedExample {
            stop,
            remaining: signals,
        }),
    );
    engine
}

fn ce_51200() -> String {
    "BANKNIFTY26JAN51200CE".to_string()
}

fn fill(tag: &str, side: TransactionType, quantity: u32, price: Decimal, t: IstTime) -> Fill {
    Fill {
        order_id: format!("O-{tag}"),
        tag: tag.to_string(),
        trade_id: format!("T-{tag}"),
        exchange: Exchange::Nfo,
        trading_symbol: ce_51200(),
        transaction_type: side,
        quantity,
        price,
        timestamp: t,
    }
}

fn placed(actions: &[Action]) -> Vec<(String, u32, bool)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::PlaceOrder { request, purpose } => Some((
                request.tag.clone(),
                request.quantity,
                matches!(purpose, OrderPurpose::Entry { .. }),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn an_entry_above_the_freeze_quantity_goes_out_in_tagged_whole_lot_slices() {
    let mut e = engine(dec!(51187.3077));
    e.on_event(Event::OptionChain(chain(at("2026-01-05T10:14:58+05:30"))));
    let actions = e.on_event(Event::Candle(candle(at("2026-01-05T10:10:00+05:30"))));
    // 15 lots × 75 = 1,125 units > BANKNIFTY's freeze 900: 12 lots (900) + 3 lots (225).
    let orders = placed(&actions);
    assert_eq!(orders.len(), 2, "{actions:#?}");
    let tag = orders[0].0.clone();
    assert_eq!(orders[0], (tag.clone(), 900, true));
    assert_eq!(orders[1], (format!("{tag}S2"), 225, true));
    assert!(orders.iter().all(|(t, _, _)| intent_tag(t) == tag));

    // Both slices fill: one position of 1,125 units.
    let t = at("2026-01-05T10:20:00+05:30");
    for (slice, qty, _) in &orders {
        e.on_event(Event::Fill(fill(
            slice,
            TransactionType::Buy,
            *qty,
            dec!(280),
            t,
        )));
    }
    let p = e.portfolio().position(&ce_51200()).expect("position");
    assert_eq!(p.quantity(), 1125);

    // The target is reached: the exit of 1,125 units is sliced the same way.
    let mut c = chain(at("2026-01-05T10:25:00+05:30"));
    for q in &mut c.quotes {
        if q.contract.trading_symbol == ce_51200() {
            q.premium = dec!(500);
            q.bid = Some(dec!(499.95));
            q.ask = Some(dec!(500));
        }
    }
    let exits = placed(&e.on_event(Event::OptionChain(c)));
    assert_eq!(exits.len(), 2, "{exits:?}");
    assert_eq!((exits[0].1, exits[1].1), (900, 225));
    assert!(!exits[0].2 && !exits[1].2);
    assert_eq!(exits[1].0, format!("{}S2", exits[0].0));
}
