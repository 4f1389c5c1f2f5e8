//! The backtester trading a stock itself (NSE:SBIN, `instrument: underlying`) on candles: a
//! long, a flip to a short and back, each fill at the next candle's open moved by one tick of
//! slippage; the trade list right for the short (gross, charges, exit price); and the intra-bar
//! rule (a bar that reaches the short's stop closes it at the stop, at the bar's end).
//!
//! The candles and crossovers are those of `underlying_trading.rs` (EMA(2)/EMA(3), TA-Lib
//! seeding): BUY on bar 4 (close 820), SELL on bar 6 (800), BUY on bar 9 (800); sizes 121,
//! 125, 125 (the per-trade cap of 1,00,000). Charges here are a flat 20 per order.

use alphastock_core::backtest::{BacktestConfig, BacktestReport, Backtester};
use alphastock_core::config::Config;
use alphastock_core::engine::Engine;
use alphastock_core::market::{Candle, IstTime, Symbol};
use alphastock_core::order::TransactionType;
use alphastock_core::sim::replay::{OptionSource, ReplayFeed};
use alphastock_core::strategy::Side;
use chrono::{DateTime, Duration};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

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
  underlying:
    charges:
      brokerage_per_order: 20
      stt_sell_pct: 0
      exchange_txn_pct: 0
      sebi_fee_per_crore: 0
      stamp_duty_buy_pct: 0
      gst_pct: 0
      ipft_per_crore: 0
"#;

const CLOSES: [i64; 11] = [800, 790, 780, 770, 820, 830, 800, 780, 770, 800, 820];

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).expect("valid time")
}

fn t(hm: &str) -> IstTime {
    at(&format!("2026-01-05T{hm}:00+05:30"))
}

/// Bars from 10:00, opening at the previous close; `high7` overrides bar 7's high.
fn candles(high7: Option<i64>) -> Vec<Candle> {
    let start = t("10:00");
    let mut prev = CLOSES[0];
    CLOSES
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let open = prev;
            prev = c;
            let mut high = open.max(c);
            if i == 7 {
                high = high7.unwrap_or(high);
            }
            Candle {
                symbol: Symbol::parse("NSE:SBIN").expect("symbol"),
                timestamp: start + Duration::minutes(5 * i as i64),
                open: Decimal::from(open),
                high: Decimal::from(high),
                low: Decimal::from(open.min(c)),
                close: Decimal::from(c),
                volume: 10_000,
            }
        })
        .collect()
}

fn run(high7: Option<i64>) -> BacktestReport {
    let config = Config::from_yaml_str(CONFIG).expect("config");
    let feed = ReplayFeed::new(candles(high7), None, &config.simulation, &config.market, 5);
    Backtester::new(
        Engine::new(&config).expect("engine"),
        BacktestConfig {
            slippage_ticks: 1,
            entry_tolerance_pct: dec!(5),
            option_source: OptionSource::Simulated,
        },
    )
    .run(feed)
}

#[test]
fn a_long_a_flip_to_a_short_and_back_report_the_right_prices_gross_and_charges() {
    let r = run(None);
    assert_eq!(r.trades.len(), 3, "{:#?}", r.trades);
    let [long, short, last] = [&r.trades[0], &r.trades[1], &r.trades[2]];
    // BUY decided at 10:25 (end of bar 4), filled at bar 5's open 820 + 0.05; the SELL decided
    // at 10:35 closes it on bar 7's open 800 − 0.05 = 799.95: (799.95 − 820.05) × 121.
    assert_eq!(
        (long.order_side, long.side),
        (TransactionType::Buy, Side::Buy)
    );
    assert_eq!(long.signal_time, t("10:25"));
    assert_eq!(long.entry_time, t("10:25"));
    assert_eq!(
        (long.quantity, long.entry_price, long.exit_price),
        (121, dec!(820.05), dec!(799.95))
    );
    assert_eq!(long.gross_pnl, dec!(-2432.10));
    assert_eq!(long.charges, dec!(40));
    assert_eq!(long.initial_stop, dec!(779));
    // The short opened by the same fill at 799.95, bought back on bar 10's open 800 + 0.05:
    // (799.95 − 800.05) × 125 = −12.50.
    assert_eq!(
        (short.order_side, short.side),
        (TransactionType::Sell, Side::Sell)
    );
    assert_eq!(short.entry_time, t("10:35"));
    assert_eq!(
        (short.quantity, short.entry_price, short.exit_price),
        (125, dec!(799.95), dec!(800.05))
    );
    assert_eq!(short.gross_pnl, dec!(-12.50));
    assert_eq!(short.charges, dec!(40));
    assert_eq!(short.net_pnl, dec!(-52.50));
    assert!(
        short.exit_reason.contains("reversed by a BUY signal"),
        "{}",
        short.exit_reason
    );
    // The last long is flat at the close (MIS) at the last price 820 − 0.05.
    assert_eq!(
        (last.entry_price, last.exit_price),
        (dec!(800.05), dec!(819.95))
    );
    assert_eq!(last.gross_pnl, dec!(2487.50));
    assert_eq!(r.open_at_end, 0);
}

#[test]
fn a_bar_reaching_the_shorts_stop_closes_it_at_the_stop() {
    // Bar 7 (10:35–10:40) opens at 800 and trades up to 845: the short's stop 840 lies inside
    // it, so the short is bought back at 840 + 0.05 = 840.05, stamped at the bar's end. The
    // day's loss is then −2,472.10 − 5,052.50 = −7,524.60, past the 5,000 daily loss limit, so
    // the later BUY is refused by the kill switch.
    let r = run(Some(845));
    assert_eq!(r.trades.len(), 2, "{:#?}", r.trades);
    let short = &r.trades[1];
    assert_eq!(short.order_side, TransactionType::Sell);
    assert_eq!(short.initial_stop, dec!(840));
    assert_eq!(
        (short.entry_price, short.exit_price),
        (dec!(799.95), dec!(840.05))
    );
    assert_eq!(short.exit_time, t("10:40"));
    // (799.95 − 840.05) × 125 = −5,012.50.
    assert_eq!(short.gross_pnl, dec!(-5012.50));
    assert!(
        short
            .exit_reason
            .starts_with("stop 840.00 reached inside the 10:35 bar"),
        "{}",
        short.exit_reason
    );
    assert_eq!(short.net_pnl, dec!(-5052.50));
    assert!(
        r.rejections.keys().any(|k| k.contains("kill switch")),
        "{:?}",
        r.rejections
    );
    assert_eq!(r.open_at_end, 0);
}
