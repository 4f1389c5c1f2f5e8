//! The backtest fill model on hand-built series whose right answer is worked out by hand in
//! each test: a gap through a stop, a target touched then lost, a trailing stop on a falling
//! bid, an expiry settlement at intrinsic value, a forced MIS square-off, an entry after a
//! favourable move (and one missed beyond the tolerance), and the look-ahead case.
//!
//! Common to all: the worked example's BUY signal on BANKNIFTY decides at the end of the
//! 10:10 bar (10:15); the 51200 CE is bought at the ask + 1 tick; delta-based target 493.20
//! and stop 250.00 (from the 280 premium the decision saw); charges a flat 20 per order.

use alphastock_core::backtest::{BacktestConfig, BacktestReport, Backtester};
use alphastock_core::config::Config;
use alphastock_core::engine::{Engine, Event};
use alphastock_core::market::{
    Candle, Exchange, Greeks, IstTime, OptionChain, OptionContract, OptionQuote, OptionType, Symbol,
};
use alphastock_core::sim::replay::{OptionSource, ReplayFeed};
use alphastock_core::strategy::{MarketInput, Side, Signal, Strategy};
use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const CONFIG: &str = r#"
strategies: { ema_crossover: { enabled: false, symbols: [BANKNIFTY] } }
market_data_runner: { candle_minutes: 5 }
options_trading:
  enabled: true
  target_calculation_method: delta_based
  entry: { min_confidence: 70, limit_buffer_ticks: 0, max_chain_age_seconds: 900 }
  risk_management:
    capital: 50000
    risk_per_trade_pct: 5
    max_premium_per_trade: 25000
    max_exposure_per_underlying: 50000
    max_total_exposure: 100000
  charges:
    brokerage_per_order: 20
    stt_sell_pct: 0
    exchange_txn_pct: 0
    sebi_fee_per_crore: 0
    stamp_duty_buy_pct: 0
    gst_pct: 0
    ipft_per_crore: 0
"#;

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).expect("valid time")
}

fn t(hm: &str) -> IstTime {
    at(&format!("2026-01-05T{hm}+05:30"))
}

fn banknifty() -> Symbol {
    Symbol::parse("BANKNIFTY").expect("symbol")
}

/// Emits the worked example's bullish signal on the candles starting at the given times.
struct Scripted {
    fire_at: Vec<IstTime>,
}

impl Strategy for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn warmup_bars(&self) -> usize {
        0
    }
    fn analyze(&mut self, input: &MarketInput<'_>) -> Option<Signal> {
        if !self.fire_at.contains(&input.candle.timestamp) {
            return None;
        }
        Some(Signal {
            symbol: input.candle.symbol.clone(),
            strategy: "scripted".into(),
            side: Side::Buy,
            timestamp: input.candle.timestamp,
            price: dec!(51245),
            target: dec!(51655),
            stop: dec!(51187.3077),
            confidence: 78,
            expected_move_pct: 0.8,
            reason: "scripted".into(),
        })
    }
}

fn quote(
    strike: Decimal,
    ot: OptionType,
    premium: Decimal,
    delta: f64,
    expiry: NaiveDate,
    ts: IstTime,
) -> OptionQuote {
    OptionQuote {
        contract: OptionContract {
            underlying: banknifty(),
            expiry,
            strike,
            option_type: ot,
            lot_size: 75,
            tick_size: dec!(0.05),
            trading_symbol: format!("BANKNIFTY{expiry}{strike}{ot}"),
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
        timestamp: ts,
    }
}

/// The worked example's chain at `ts` with the 51200 CE at `ce` (ask `ce`, bid `ce` − 0.05).
fn chain_on(ts: IstTime, ce: Decimal, expiry: NaiveDate) -> OptionChain {
    let mut quotes = Vec::new();
    for (k, c, cd, p, pd) in [
        (dec!(51100), dec!(340), 0.58, dec!(190), -0.42),
        (dec!(51200), ce, 0.52, dec!(235), -0.48),
        (dec!(51300), dec!(228), 0.46, dec!(282), -0.54),
    ] {
        quotes.push(quote(k, OptionType::CE, c, cd, expiry, ts));
        quotes.push(quote(k, OptionType::PE, p, pd, expiry, ts));
    }
    OptionChain {
        underlying: banknifty(),
        spot: dec!(51245),
        expiry,
        timestamp: ts,
        quotes,
    }
}

fn thursday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 8).expect("date")
}

fn chain(hm: &str, ce: Decimal) -> Event {
    Event::OptionChain(chain_on(t(hm), ce, thursday()))
}

fn bar(start: IstTime, close: Decimal) -> Candle {
    Candle {
        symbol: banknifty(),
        timestamp: start,
        open: dec!(51200),
        high: dec!(51260).max(close),
        low: dec!(51190).min(close),
        close,
        volume: 120_000,
    }
}

fn candle(hm: &str) -> Event {
    Event::Candle(bar(t(hm), dec!(51245)))
}

fn timer(hm: &str) -> Event {
    Event::Timer(t(hm))
}

/// The entry: a chain at 10:14:58 (CE 280), the 10:10 bar (decided at 10:15), a chain at 10:20
/// with the CE at `entry_ce`.
fn entry(entry_ce: Decimal) -> Vec<Event> {
    vec![
        chain("10:14:58", dec!(280)),
        candle("10:10:00"),
        timer("10:15:00"),
        chain("10:20:00", entry_ce),
        timer("10:20:00"),
    ]
}

fn backtester() -> Backtester {
    let config = Config::from_yaml_str(CONFIG).expect("valid config");
    let mut engine = Engine::new(&config).expect("engine");
    engine.add_strategy(
        banknifty(),
        Box::new(Scripted {
            fire_at: vec![t("10:10:00"), t("10:15:00")],
        }),
    );
    Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: 1,
            entry_tolerance_pct: dec!(5),
            option_source: OptionSource::Recorded,
        },
    )
}

fn run(events: Vec<Event>) -> BacktestReport {
    backtester().run(events)
}

fn only_trade(r: &BacktestReport) -> &alphastock_core::backtest::TradeRecord {
    assert_eq!(r.trades.len(), 1, "{:#?}", r.trades);
    &r.trades[0]
}

#[test]
fn a_gap_through_the_stop_fills_at_the_gapped_bid_on_the_quote_that_triggered_it() {
    // Stop 250.00; the 10:25 chain gaps to 200 (bid 199.95), the next one to 150. The exit
    // fills on the 10:25 chain at 199.95 − 1 tick = 199.90, not later and lower.
    let mut events = entry(dec!(280));
    events.extend([
        chain("10:25:00", dec!(200)),
        timer("10:25:00"),
        chain("10:30:00", dec!(150)),
        timer("10:30:00"),
        chain("10:35:00", dec!(150)),
        timer("10:35:00"),
    ]);
    let r = run(events);
    let tr = only_trade(&r);
    assert_eq!(tr.entry_price, dec!(280.05));
    assert_eq!(tr.exit_time, t("10:25:00"));
    assert_eq!(tr.exit_price, dec!(199.90));
    // (199.90 − 280.05) × 75 = −6,011.25; two orders at 20.
    assert_eq!(tr.gross_pnl, dec!(-6011.25));
    assert_eq!(tr.net_pnl, dec!(-6051.25));
    assert!(
        tr.exit_reason.starts_with("stop 250.00 hit at 200.00"),
        "{}",
        tr.exit_reason
    );
    assert_eq!(r.missed_exits, 0);
}

#[test]
fn a_target_touched_then_lost_is_taken_on_the_quote_that_touched_it() {
    // Target 493.20; the 10:25 chain has the CE at 500 (bid 499.95), the 10:30 one falls back
    // to 300. Exit at 499.95 − 0.05 = 499.90 at 10:25: (499.90 − 280.05) × 75 = 16,488.75.
    let mut events = entry(dec!(280));
    events.extend([
        chain("10:25:00", dec!(500)),
        timer("10:25:00"),
        chain("10:30:00", dec!(300)),
        timer("10:30:00"),
        chain("10:35:00", dec!(300)),
        timer("10:35:00"),
    ]);
    let r = run(events);
    let tr = only_trade(&r);
    assert_eq!(tr.exit_time, t("10:25:00"));
    assert_eq!(tr.exit_price, dec!(499.90));
    assert_eq!(tr.gross_pnl, dec!(16488.75));
    assert_eq!(tr.net_pnl, dec!(16448.75));
    assert!(
        tr.exit_reason.starts_with("target 493.20"),
        "{}",
        tr.exit_reason
    );
}

#[test]
fn a_trailing_stop_on_a_falling_bid_fills_where_it_triggered() {
    // Entry 280.05, target 493.20: distance 213.15. At 400 the gain 119.95 passes half the
    // distance (106.575), so the stop trails to 280.05 + (119.95 − 106.575) = 293.425, down to
    // the tick 293.40. The 10:30 chain at 290 (bid 289.95) hits it: exit 289.90 there, while
    // the bid goes on falling to 260 and 230.
    let mut events = entry(dec!(280));
    events.extend([
        chain("10:25:00", dec!(400)),
        timer("10:25:00"),
        chain("10:30:00", dec!(290)),
        timer("10:30:00"),
        chain("10:35:00", dec!(260)),
        timer("10:35:00"),
        chain("10:40:00", dec!(230)),
        timer("10:40:00"),
    ]);
    let r = run(events);
    let tr = only_trade(&r);
    assert_eq!(tr.exit_time, t("10:30:00"));
    assert_eq!(tr.exit_price, dec!(289.90));
    assert!(
        tr.exit_reason
            .starts_with("trailing stop 293.40 hit at 290.00"),
        "{}",
        tr.exit_reason
    );
    // (289.90 − 280.05) × 75 = 738.75.
    assert_eq!(tr.gross_pnl, dec!(738.75));
}

#[test]
fn an_option_still_open_at_its_expiry_close_is_settled_at_intrinsic_value() {
    // The CE expires today. After the entry no quote of it comes any more, so the exit the
    // engine places an hour before the close (14:30) never meets one. At the close it is
    // settled at intrinsic value against the last underlying price, 51,400 (the 15:25 bar):
    // 51,400 − 51,200 = 200.00. Gross (200 − 280.05) × 75 = −6,003.75.
    let today = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let events = vec![
        Event::OptionChain(chain_on(t("10:14:58"), dec!(280), today)),
        candle("10:10:00"),
        timer("10:15:00"),
        Event::OptionChain(chain_on(t("10:20:00"), dec!(280), today)),
        timer("10:20:00"),
        timer("14:30:00"),
        timer("15:15:00"),
        Event::Candle(bar(t("15:25:00"), dec!(51400))),
        timer("15:30:00"),
    ];
    let r = run(events);
    let tr = only_trade(&r);
    assert_eq!(tr.expiry, Some(today));
    assert_eq!(tr.exit_time, t("15:30:00"));
    assert_eq!(tr.exit_price, dec!(200));
    assert_eq!(tr.gross_pnl, dec!(-6003.75));
    assert_eq!(tr.net_pnl, dec!(-6043.75));
    assert!(
        tr.exit_reason.contains("settled at intrinsic value 200.00"),
        "{}",
        tr.exit_reason
    );
    assert_eq!(r.open_at_end, 0);
    assert_eq!(r.missed_exits, 1);
}

#[test]
fn an_mis_position_is_flat_at_the_close_even_without_a_quote_after_the_square_off() {
    // The last quote of the CE is at 13:00 (310, bid 309.95). The square-off exit placed at
    // 15:15 meets no quote before the close, so it is forced at 15:30 at the last bid less a
    // tick: 309.90. The next day's first event finds nothing carried over.
    let mut events = entry(dec!(280));
    events.extend([
        chain("13:00:00", dec!(310)),
        timer("13:00:00"),
        timer("15:15:00"),
        timer("15:25:00"),
        Event::Timer(at("2026-01-06T09:20:00+05:30")),
    ]);
    let r = run(events);
    let tr = only_trade(&r);
    assert_eq!(tr.exit_time, t("15:30:00"));
    assert_eq!(tr.exit_price, dec!(309.90));
    // (309.90 − 280.05) × 75 = 2,238.75.
    assert_eq!(tr.gross_pnl, dec!(2238.75));
    assert!(
        tr.exit_reason
            .contains("MIS square-off forced at the close"),
        "{}",
        tr.exit_reason
    );
    assert_eq!(r.open_at_end, 0);
    assert_eq!(r.missed_exits, 1);
}

#[test]
fn an_entry_fills_after_a_favourable_move_and_misses_only_beyond_the_tolerance() {
    // Decision at 10:15 on the CE at 280. The first chain after it has the CE at 290
    // (+3.57 %, inside 5 %): filled at 290.05 although the limit was 280.
    let mut events = entry(dec!(290));
    events.extend([chain("10:25:00", dec!(500)), timer("10:25:00")]);
    let r = run(events);
    let tr = only_trade(&r);
    assert_eq!(tr.signal_time, t("10:15:00"));
    assert_eq!(tr.entry_time, t("10:20:00"));
    assert_eq!(tr.entry_price, dec!(290.05));
    assert_eq!(tr.exit_price, dec!(499.90));
    assert_eq!(r.missed_entries, 0);

    // At 300 (+7.14 %) the entry is missed, and counted.
    let r = run(entry(dec!(300)));
    assert!(r.trades.is_empty());
    assert_eq!(r.missed_entries, 1);
    assert_eq!(r.open_at_end, 0);
    // At 260 (−7.14 %) as well: missing does not depend on the direction.
    let r = run(entry(dec!(260)));
    assert!(r.trades.is_empty());
    assert_eq!(r.missed_entries, 1);
}

#[test]
fn a_decision_at_1020_fills_on_the_1021_snapshot_never_on_the_1015_one() {
    // Snapshots at 10:10, 10:15 (CE 279) and 10:21 (CE 282); the 10:15 bar is known at 10:20,
    // so the decision is at 10:20 and sees the 10:15 snapshot. The first snapshot at or after
    // 10:20 is 10:21: filled there at 282 + 1 tick.
    let config = Config::from_yaml_str(CONFIG).expect("config");
    let snapshots = vec![
        chain_on(t("10:10:00"), dec!(280), thursday()),
        chain_on(t("10:15:00"), dec!(279), thursday()),
        chain_on(t("10:21:00"), dec!(282), thursday()),
        chain_on(t("10:26:00"), dec!(282), thursday()),
    ];
    let candles = vec![
        bar(t("10:10:00"), dec!(51245)),
        bar(t("10:15:00"), dec!(51245)),
    ];
    let feed = ReplayFeed::new(
        candles,
        Some(snapshots),
        &config.simulation,
        &config.market,
        5,
    );
    let mut engine = Engine::new(&config).expect("engine");
    engine.add_strategy(
        banknifty(),
        Box::new(Scripted {
            fire_at: vec![t("10:15:00")],
        }),
    );
    let r = Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: 1,
            entry_tolerance_pct: dec!(5),
            option_source: OptionSource::Recorded,
        },
    )
    .run(feed);
    assert_eq!(r.signals, 1);
    assert_eq!(r.open_at_end, 0, "closed at the close by the MIS rule");
    let tr = only_trade(&r);
    assert_eq!(tr.signal_time, t("10:20:00"));
    assert_eq!(tr.entry_time, t("10:21:00"));
    assert_eq!(tr.entry_price, dec!(282.05));
}

#[test]
fn no_entry_inside_the_exit_before_expiry_window_of_a_same_day_expiry() {
    // The chain expires today. A signal on the 14:25 bar is decided at 14:30: 60 min to the
    // close, inside the 60 min exit-before-expiry window, so it is refused (it would be
    // forced out at once). The same signal at 10:15 (decided at 10:15) is taken.
    let today = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let config = Config::from_yaml_str(CONFIG).expect("config");
    let mut engine = Engine::new(&config).expect("engine");
    engine.add_strategy(
        banknifty(),
        Box::new(Scripted {
            fire_at: vec![t("14:25:00")],
        }),
    );
    let r = Backtester::new(
        engine,
        BacktestConfig {
            slippage_ticks: 1,
            entry_tolerance_pct: dec!(5),
            option_source: OptionSource::Recorded,
        },
    )
    .run(vec![
        Event::OptionChain(chain_on(t("14:29:58"), dec!(280), today)),
        Event::Candle(bar(t("14:25:00"), dec!(51245))),
        timer("14:30:00"),
        Event::OptionChain(chain_on(t("14:35:00"), dec!(280), today)),
        timer("14:35:00"),
    ]);
    assert!(r.trades.is_empty());
    assert_eq!(r.signals, 1);
    assert_eq!(
        r.rejections.keys().collect::<Vec<_>>(),
        ["expiry #-#-# is today and # min to the close is inside the # min exit-before-expiry window"]
    );
    let early = run(vec![
        Event::OptionChain(chain_on(t("10:14:58"), dec!(280), today)),
        candle("10:10:00"),
        timer("10:15:00"),
        Event::OptionChain(chain_on(t("10:20:00"), dec!(280), today)),
        timer("10:20:00"),
    ]);
    assert_eq!(early.trades.len(), 1);
}
