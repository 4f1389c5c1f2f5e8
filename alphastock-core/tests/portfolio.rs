//! Portfolio and exits: the monitoring walk-through, charges of a round trip by hand, partial
//! fills, and each exit rule.

use alphastock_core::market::{Exchange, IstTime, MarketSession, Symbol};
use alphastock_core::order::{Fill, TransactionType};
use alphastock_core::portfolio::{
    ChargeSchedule, ExitConfig, ExitReason, ExitRules, Portfolio, PortfolioError, PositionMeta,
};
use chrono::{DateTime, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

const CE: &str = "BANKNIFTY26APR51200CE";

fn at(s: &str) -> IstTime {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn t(hm: &str) -> IstTime {
    at(&format!("2026-04-06T{hm}:00+05:30"))
}

fn meta() -> PositionMeta {
    PositionMeta {
        trading_symbol: CE.to_string(),
        exchange: Exchange::Nfo,
        underlying: Symbol::parse("BANKNIFTY").unwrap(),
        lot_size: 75,
        tick_size: dec!(0.05),
        expiry: NaiveDate::from_ymd_opt(2026, 4, 9),
        target: Some(dec!(493.20)),
        stop: Some(dec!(250.00)),
    }
}

fn fill(
    order: &str,
    trade: &str,
    side: TransactionType,
    qty: u32,
    price: Decimal,
    at: IstTime,
) -> Fill {
    Fill {
        order_id: order.to_string(),
        tag: format!("tag-{order}"),
        trade_id: trade.to_string(),
        exchange: Exchange::Nfo,
        trading_symbol: CE.to_string(),
        transaction_type: side,
        quantity: qty,
        price,
        timestamp: at,
    }
}

fn no_charges() -> ChargeSchedule {
    ChargeSchedule::zero()
}

fn rules() -> ExitRules {
    ExitRules::new(ExitConfig::default(), MarketSession::nse())
}

/// The seed's walk-through: entry 280 × 75, target 493.20, stop 250.00; at 315 the P&L is
/// +2,625 and the stop has not moved; at 395 it is +8,625 and the trailing stop is above entry.
#[test]
fn monitoring_walk_through() {
    let mut pf = Portfolio::new(ChargeSchedule::default());
    pf.register(meta());
    pf.apply_fill(&fill(
        "1",
        "t1",
        TransactionType::Buy,
        75,
        dec!(280),
        t("10:00"),
    ))
    .unwrap();
    let rules = rules();

    assert!(pf.mark(CE, dec!(315), t("10:05")));
    let p = pf.position(CE).unwrap();
    assert_eq!(p.unrealised_pnl(), dec!(2625));
    assert_eq!(rules.current_stop(p, dec!(315)), Some(dec!(250.00)));
    assert_eq!(rules.evaluate(p, dec!(315), t("10:05"), false), None);

    assert!(pf.mark(CE, dec!(395), t("10:20")));
    let p = pf.position(CE).unwrap();
    assert_eq!(p.unrealised_pnl(), dec!(8625));
    // 395 − 280 = 115 ≥ half of 213.20: stop to breakeven, then 106.60 below the best premium.
    let stop = rules.current_stop(p, dec!(395)).unwrap();
    assert_eq!(stop, dec!(288.40));
    assert!(stop > p.average_price());
    assert_eq!(rules.evaluate(p, dec!(395), t("10:20"), false), None);

    // Falling back through the trailed stop exits everything with the reason.
    pf.mark(CE, dec!(288), t("10:30"));
    let p = pf.position(CE).unwrap();
    let exit = rules.evaluate(p, dec!(288), t("10:30"), false).unwrap();
    assert_eq!(exit.quantity, 75);
    assert_eq!(
        exit.reason.to_string(),
        "trailing stop 288.40 hit at 288.00"
    );
}

/// One round trip by hand, at the default (2025) rates:
/// buy 75 @ 280 (turnover 21,000): brokerage 20; exchange 21,000 × 0.03503 % = 7.3563 → 7.36;
/// SEBI 21,000 × 10 / 1 crore = 0.021 → 0.02; stamp 21,000 × 0.003 % = 0.63;
/// GST 18 % × (20 + 7.36 + 0.02) = 4.9284 → 4.93; total 32.94.
/// sell 75 @ 315 (turnover 23,625): brokerage 20; STT 0.1 % = 23.625 → 23.63;
/// exchange 8.2758375 → 8.28; SEBI 0.023625 → 0.02; GST 18 % × 28.30 = 5.094 → 5.09; total 57.02.
/// Gross 2,625 − charges 89.96 = net 2,535.04.
#[test]
fn round_trip_charges_by_hand() {
    let mut pf = Portfolio::new(ChargeSchedule::default());
    pf.register(meta());
    let buy = pf
        .apply_fill(&fill(
            "1",
            "t1",
            TransactionType::Buy,
            75,
            dec!(280),
            t("10:00"),
        ))
        .unwrap()
        .unwrap();
    // Fills of 2026-04-06, so the rules of that day: STT 0.15 % of the sell premium (from
    // 2026-04-01), NSE 0.03503 %, SEBI ₹10 per crore, stamp 0.003 % of the buy, IPFT ₹50 per
    // crore, GST 18 % of brokerage + exchange + SEBI + IPFT; each rounded to the paisa.
    // Buy 75 × 280 = 21,000: exchange 7.3563 → 7.36, SEBI 0.021 → 0.02, stamp 0.63, IPFT
    // 0.105 → 0.11, GST 18 % × 27.49 = 4.9482 → 4.95; total 33.07.
    assert_eq!(
        (
            buy.charges.brokerage,
            buy.charges.stt,
            buy.charges.exchange,
            buy.charges.sebi,
            buy.charges.stamp_duty,
            buy.charges.ipft,
            buy.charges.gst
        ),
        (
            dec!(20),
            dec!(0),
            dec!(7.36),
            dec!(0.02),
            dec!(0.63),
            dec!(0.11),
            dec!(4.95)
        )
    );
    assert_eq!(buy.charges.total(), dec!(33.07));
    let sell = pf
        .apply_fill(&fill(
            "2",
            "t2",
            TransactionType::Sell,
            75,
            dec!(315),
            t("11:00"),
        ))
        .unwrap()
        .unwrap();
    // Sell 75 × 315 = 23,625: STT 35.4375 → 35.44, exchange 8.2758 → 8.28, SEBI 0.02, IPFT
    // 0.118 → 0.12, GST 18 % × 28.42 = 5.1156 → 5.12; total 68.98.
    assert_eq!(
        (
            sell.charges.stt,
            sell.charges.exchange,
            sell.charges.sebi,
            sell.charges.stamp_duty,
            sell.charges.ipft,
            sell.charges.gst
        ),
        (
            dec!(35.44),
            dec!(8.28),
            dec!(0.02),
            dec!(0),
            dec!(0.12),
            dec!(5.12)
        )
    );
    assert_eq!(sell.charges.total(), dec!(68.98));
    assert_eq!(sell.realised_pnl, dec!(2625));
    let closed = sell.closed.expect("flat");
    assert_eq!(closed.gross_pnl, dec!(2625));
    assert_eq!(closed.charges, dec!(102.05));
    assert_eq!(closed.net_pnl, dec!(2522.95));
    let day = pf.day_pnl();
    assert_eq!(day.net(), dec!(2522.95));
    assert_eq!(pf.risk_book().day_realised_pnl, dec!(2522.95));
    assert_eq!(pf.risk_book().open_positions(), 0);
}

#[test]
fn the_same_sell_pays_0_1_pct_stt_on_2026_03_31_and_0_15_pct_on_2026_04_01() {
    // 75 × 315 = 23,625 of premium sold: STT 23.625 → 23.63 at 0.1 %, 35.4375 → 35.44 at 0.15 %.
    for (day, stt) in [("2026-03-31", dec!(23.63)), ("2026-04-01", dec!(35.44))] {
        let mut pf = Portfolio::new(ChargeSchedule::default());
        pf.register(meta());
        let sell = pf
            .apply_fill(&fill(
                "1",
                "t1",
                TransactionType::Sell,
                75,
                dec!(315),
                at(&format!("{day}T11:00:00+05:30")),
            ))
            .unwrap()
            .unwrap();
        assert_eq!(sell.charges.stt, stt, "{day}");
    }
}

#[test]
fn partial_fills_average_the_price_and_pay_brokerage_once_per_order() {
    let mut pf = Portfolio::new(ChargeSchedule::default());
    pf.register(meta());
    let a = pf
        .apply_fill(&fill(
            "1",
            "t1",
            TransactionType::Buy,
            75,
            dec!(280),
            t("10:00"),
        ))
        .unwrap()
        .unwrap();
    let b = pf
        .apply_fill(&fill(
            "1",
            "t2",
            TransactionType::Buy,
            75,
            dec!(281),
            t("10:00"),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(a.charges.brokerage, dec!(20));
    assert_eq!(b.charges.brokerage, dec!(0));
    // The same fill seen twice is ignored.
    assert_eq!(
        pf.apply_fill(&fill(
            "1",
            "t2",
            TransactionType::Buy,
            75,
            dec!(281),
            t("10:00")
        )),
        Ok(None)
    );
    let p = pf.position(CE).unwrap();
    assert_eq!(p.quantity(), 150);
    assert_eq!(p.average_price(), dec!(280.5));
    let book = pf.risk_book();
    assert_eq!(
        book.exposure_in(&Symbol::parse("BANKNIFTY").unwrap()),
        dec!(42075)
    );
    // Sell half at 300: realised (300 − 280.5) × 75 = 1,462.50; the rest keeps its average.
    let s = pf
        .apply_fill(&fill(
            "2",
            "t3",
            TransactionType::Sell,
            75,
            dec!(300),
            t("10:30"),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(s.realised_pnl, dec!(1462.5));
    assert_eq!(s.quantity_after, 75);
    assert!(s.closed.is_none());
    assert_eq!(pf.position(CE).unwrap().average_price(), dec!(280.5));
}

#[test]
fn fills_for_unknown_instruments_or_malformed_are_errors() {
    let mut pf = Portfolio::new(no_charges());
    let err = pf
        .apply_fill(&fill(
            "1",
            "t1",
            TransactionType::Buy,
            75,
            dec!(280),
            t("10:00"),
        ))
        .unwrap_err();
    assert!(matches!(err, PortfolioError::UnknownInstrument { .. }));
    pf.register(meta());
    let err = pf
        .apply_fill(&fill(
            "1",
            "t1",
            TransactionType::Buy,
            0,
            dec!(280),
            t("10:00"),
        ))
        .unwrap_err();
    assert!(matches!(err, PortfolioError::BadFill { .. }));
}

#[test]
fn day_totals_restart_on_a_new_day() {
    let mut pf = Portfolio::new(no_charges());
    pf.register(meta());
    pf.apply_fill(&fill(
        "1",
        "t1",
        TransactionType::Buy,
        75,
        dec!(280),
        t("10:00"),
    ))
    .unwrap();
    pf.apply_fill(&fill(
        "2",
        "t2",
        TransactionType::Sell,
        75,
        dec!(270),
        t("10:10"),
    ))
    .unwrap();
    assert_eq!(pf.day_pnl().realised, dec!(-750));
    pf.register(meta());
    pf.apply_fill(&fill(
        "3",
        "t3",
        TransactionType::Buy,
        75,
        dec!(200),
        at("2026-04-07T09:20:00+05:30"),
    ))
    .unwrap();
    assert_eq!(pf.day_pnl().realised, dec!(0));
}

fn open_position(price: Decimal, qty: u32) -> Portfolio {
    let mut pf = Portfolio::new(no_charges());
    pf.register(meta());
    pf.apply_fill(&fill(
        "1",
        "t1",
        TransactionType::Buy,
        qty,
        price,
        t("10:00"),
    ))
    .unwrap();
    pf
}

#[test]
fn stop_and_target_exits() {
    let pf = open_position(dec!(280), 75);
    let p = pf.position(CE).unwrap();
    let r = rules();
    let stop = r.evaluate(p, dec!(249.95), t("10:10"), false).unwrap();
    assert_eq!(stop.reason.to_string(), "stop 250.00 hit at 249.95");
    assert_eq!(stop.quantity, 75);
    let target = r.evaluate(p, dec!(493.20), t("10:10"), false).unwrap();
    assert_eq!(target.reason.to_string(), "target 493.20 reached at 493.20");
    assert_eq!(r.evaluate(p, dec!(300), t("10:10"), false), None);
}

#[test]
fn time_expiry_and_kill_switch_exits() {
    let pf = open_position(dec!(280), 75);
    let p = pf.position(CE).unwrap();
    let r = rules();
    let ks = r.evaluate(p, dec!(300), t("10:10"), true).unwrap();
    assert_eq!(ks.reason, ExitReason::KillSwitch);
    assert_eq!(r.evaluate(p, dec!(300), t("15:14"), false), None);
    let sq = r.evaluate(p, dec!(300), t("15:15"), false).unwrap();
    assert_eq!(
        sq.reason,
        ExitReason::SquareOff {
            minutes_to_close: 15
        }
    );
    // Expiry day (Thursday 9 April 2026): out an hour before the close.
    let e = r
        .evaluate(p, dec!(300), at("2026-04-09T14:30:00+05:30"), false)
        .unwrap();
    assert_eq!(
        e.reason.to_string(),
        "expires 2026-04-09: 60 minutes to the close"
    );
    assert_eq!(
        r.evaluate(p, dec!(300), at("2026-04-09T14:29:00+05:30"), false),
        None
    );
}

#[test]
fn partial_exit_takes_whole_lots_once() {
    let cfg = ExitConfig {
        partial_exit_fraction: Some(dec!(0.5)),
        ..ExitConfig::default()
    };
    let r = ExitRules::new(cfg, MarketSession::nse());
    let mut pf = open_position(dec!(280), 225); // 3 lots
    let p = pf.position(CE).unwrap();
    // Half way to target is 386.60.
    assert_eq!(r.evaluate(p, dec!(386.55), t("10:10"), false), None);
    let d = r.evaluate(p, dec!(386.60), t("10:10"), false).unwrap();
    assert_eq!(d.quantity, 75); // floor(3 × 0.5) = 1 lot
    assert_eq!(
        d.reason.to_string(),
        "partial exit level 386.60 reached at 386.60"
    );
    pf.apply_fill(&fill(
        "2",
        "t2",
        TransactionType::Sell,
        75,
        dec!(386.60),
        t("10:11"),
    ))
    .unwrap();
    let p = pf.position(CE).unwrap();
    assert_eq!(r.evaluate(p, dec!(390), t("10:12"), false), None);
}

fn close(a: Decimal, b: Decimal) -> bool {
    (a - b).abs() < dec!(0.000001)
}

proptest! {
    /// Whatever the fills, realised P&L plus the unrealised P&L at the last price equals the
    /// cash paid and received plus the value of what is held (before charges).
    #[test]
    fn pnl_matches_cash_flows(
        trades in prop::collection::vec((any::<bool>(), 1u32..4, 20_000i64..40_000), 1..20),
    ) {
        let mut pf = Portfolio::new(no_charges());
        pf.register(meta());
        let mut cash = Decimal::ZERO;
        let mut held: i64 = 0;
        let mut last = Decimal::ZERO;
        let mut realised = Decimal::ZERO;
        for (i, (buy, lots, paise)) in trades.into_iter().enumerate() {
            let side = if buy || held == 0 { TransactionType::Buy } else { TransactionType::Sell };
            let qty = if side == TransactionType::Sell { (lots * 75).min(held as u32) } else { lots * 75 };
            let price = Decimal::new(paise, 2);
            let id = i.to_string();
            let eff = pf
                .apply_fill(&fill(&id, &id, side, qty, price, t("10:00")))
                .unwrap()
                .unwrap();
            realised += eff.realised_pnl;
            cash -= Decimal::from(side.sign() * i64::from(qty)) * price;
            held += side.sign() * i64::from(qty);
            last = price;
            prop_assert_eq!(pf.position(CE).unwrap().quantity(), held);
        }
        let p = pf.position(CE).unwrap();
        let value = Decimal::from(held) * last;
        prop_assert!(close(realised + p.unrealised_pnl_at(Some(last)), cash + value));
        let day = pf.day_pnl();
        prop_assert!(close(day.realised + day.unrealised, cash + value));
    }

    /// Whatever the premiums, the stop in force never moves down for a long position and is
    /// never above the best premium seen.
    #[test]
    fn trailing_stop_only_moves_up(marks in prop::collection::vec(20_000i64..60_000, 1..40)) {
        let mut pf = open_position(dec!(280), 75);
        let r = rules();
        let mut prev = dec!(250);
        for paise in marks {
            let price = Decimal::new(paise, 2);
            let stop = r.current_stop(pf.position(CE).unwrap(), price).unwrap();
            prop_assert!(stop >= prev, "stop fell from {} to {}", prev, stop);
            pf.mark(CE, price, t("10:05"));
            let best = pf.position(CE).unwrap().best_price().unwrap();
            prop_assert!(stop <= best.max(dec!(280)));
            prop_assert_eq!(r.current_stop(pf.position(CE).unwrap(), price).unwrap(), stop);
            prev = stop;
        }
    }

    /// Whatever the premium, time and settings, an exit closes a positive number of whole lots,
    /// never more than is held.
    #[test]
    fn exits_close_whole_lots_never_more_than_held(
        lots in 1u32..10,
        paise in 1i64..100_000,
        minute in 0i64..400,
        flatten in any::<bool>(),
        partial in prop::option::of(1u32..100),
    ) {
        let cfg = ExitConfig {
            partial_exit_fraction: partial.map(|p| Decimal::new(i64::from(p), 2)),
            ..ExitConfig::default()
        };
        let r = ExitRules::new(cfg, MarketSession::nse());
        let pf = open_position(dec!(280), lots * 75);
        let p = pf.position(CE).unwrap();
        let now = t("09:15") + chrono::Duration::minutes(minute);
        if let Some(d) = r.evaluate(p, Decimal::new(paise, 2), now, flatten) {
            prop_assert!(d.quantity > 0);
            prop_assert_eq!(d.quantity % 75, 0);
            prop_assert!(d.quantity <= lots * 75);
        } else {
            prop_assert!(!flatten);
        }
    }
}

#[test]
fn charges_exits_and_risk_are_read_and_checked_from_the_config() {
    use alphastock_core::config::Config;
    let base = "strategies:\n  ema_crossover:\n    symbols: [NIFTY]\n";
    let ok = Config::from_yaml_str(&format!(
        "{base}options_trading:\n  charges:\n    brokerage_per_order: 0\n  exits:\n    partial_exit_fraction: 0.5\n    trailing: {{ trail_fraction: 0.25 }}\n  risk_management:\n    capital: 100000\n    correlated_groups: [[BANKNIFTY, NIFTY]]\n"
    ))
    .unwrap();
    let ot = &ok.options_trading;
    assert_eq!(ot.charges.brokerage_per_order, dec!(0));
    // Statutory rates are not config: they come from the market rules of each fill's date.
    assert_eq!(ot.charges.gst_pct, None);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    let rates = ot
        .charges
        .rates_on(alphastock_core::rules::Segment::Options, day)
        .unwrap();
    assert_eq!((rates.gst_pct, rates.stt_sell_pct), (dec!(18), dec!(0.15)));
    assert_eq!(ot.exits.partial_exit_fraction, Some(dec!(0.5)));
    assert_eq!(ot.exits.trailing.trail_fraction, dec!(0.25));
    assert_eq!(ot.exits.square_off_minutes_before_close, 15);
    assert_eq!(ot.risk_management.risk_budget(), dec!(5000));
    assert_eq!(ot.risk_management.correlated_groups[0].len(), 2);

    let err = Config::from_yaml_str(&format!(
        "{base}options_trading:\n  charges:\n    gst_pct: 120\n  exits:\n    trailing: {{ trail_fraction: 2 }}\n  risk_management:\n    max_orders_per_second: 12\n    daily_los_limit: 1\n"
    ))
    .unwrap_err();
    let found: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    for want in [
        "options_trading.charges.gst_pct must be 0 to 100",
        "options_trading.exits.trailing.trail_fraction must be above 0",
        "options_trading.risk_management.max_orders_per_second must be 1 to 9",
        "options_trading.risk_management.daily_los_limit is not a known key (did you mean `daily_loss_limit`?)",
    ] {
        assert!(found.iter().any(|p| p.starts_with(want)), "{want} not in {found:#?}");
    }
}

proptest! {
    /// Whatever the fills over several contracts and days (opening, adding, reducing, closing,
    /// reversing, re-registering flat ones, adopting the broker's quantity), the open positions
    /// listed are exactly the registered positions that are open, in trading-symbol order.
    #[test]
    fn open_positions_are_exactly_the_open_ones(
        steps in prop::collection::vec((0usize..4, 0u8..4, 1u32..4, 0u32..5), 1..60),
    ) {
        let symbols = ["NIFTY26APR22000CE", "NIFTY26APR22000PE", "BANKNIFTY26APR51200CE", "NSE:SBIN"];
        let mut pf = Portfolio::new(no_charges());
        for s in symbols {
            pf.register(PositionMeta { trading_symbol: s.to_string(), ..meta() });
        }
        for (i, (which, action, lots, day)) in steps.into_iter().enumerate() {
            let symbol = symbols[which];
            let when = at(&format!("2026-04-{:02}T10:00:00+05:30", 6 + day));
            let held = pf.position(symbol).map_or(0, |p| p.quantity());
            match action {
                0 | 1 => {
                    let side = if action == 0 { TransactionType::Buy } else { TransactionType::Sell };
                    let qty = if held != 0 && side.sign() != held.signum() {
                        // Now and then exactly closing the position.
                        if lots == 1 { held.unsigned_abs() as u32 } else { lots * 75 }
                    } else {
                        lots * 75
                    };
                    let id = i.to_string();
                    let f = Fill { trading_symbol: symbol.to_string(), ..fill(&id, &id, side, qty, dec!(100), when) };
                    pf.apply_fill(&f).unwrap();
                }
                2 => {
                    pf.adopt_quantity(symbol, i64::from(lots % 3) * 75 - 75, dec!(101), when);
                }
                _ => pf.register(PositionMeta { trading_symbol: symbol.to_string(), ..meta() }),
            }
            let listed: Vec<&str> = pf.open_positions().map(|p| p.trading_symbol()).collect();
            let open: Vec<&str> = pf
                .positions()
                .filter(|p| p.is_open())
                .map(|p| p.trading_symbol())
                .collect();
            prop_assert_eq!(listed, open);
        }
    }
}
