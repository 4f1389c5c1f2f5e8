//! Behaviour of the simulated market: determinism, time order, price sanity, realised vol and
//! put-call parity of the chains.

use chrono::{NaiveDate, Timelike};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use super::*;
use crate::config::{Config, MarketConfig};
use crate::engine::Event;
use crate::market::OptionType;

fn day() -> NaiveDate {
    // A Wednesday.
    NaiveDate::from_ymd_opt(2025, 12, 3).unwrap()
}

fn small_config() -> SimConfig {
    SimConfig {
        tick_seconds: 60,
        strikes_per_side: 4,
        ..SimConfig::default()
    }
}

#[test]
fn same_seed_gives_identical_events_and_another_seed_differs() {
    let cfg = small_config();
    let m = MarketConfig::default();
    let a: Vec<Event> = SimMarket::new(&cfg, &m, day()).unwrap().collect();
    let b: Vec<Event> = SimMarket::new(&cfg, &m, day()).unwrap().collect();
    assert_eq!(a, b);
    let other = SimConfig { seed: 7, ..cfg };
    let c: Vec<Event> = SimMarket::new(&other, &m, day()).unwrap().collect();
    assert_eq!(a.len(), c.len());
    assert_ne!(a, c);
}

#[test]
fn events_cover_the_session_in_time_order() {
    let cfg = SimConfig::default();
    let sim = SimMarket::new(&cfg, &MarketConfig::default(), day()).unwrap();
    assert_eq!(sim.tick_count(), 4500);
    let events: Vec<Event> = sim.collect();
    // 3 quotes + 3 chains + 1 timer per tick.
    assert_eq!(events.len(), 4500 * 7);
    let first = events.first().unwrap().timestamp();
    let last = events.last().unwrap().timestamp();
    assert_eq!((first.hour(), first.minute(), first.second()), (9, 15, 0));
    assert_eq!((last.hour(), last.minute(), last.second()), (15, 29, 55));
    assert!(events
        .windows(2)
        .all(|w| w[0].timestamp() <= w[1].timestamp()));
    assert!(matches!(events[0], Event::Quote(_)));
    assert!(matches!(events[3], Event::OptionChain(_)));
    assert!(matches!(events[6], Event::Timer(_)));
}

fn closes(events: &[Event], symbol: &str) -> Vec<f64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Quote(q) if q.symbol.as_str() == symbol => q.ltp.to_f64(),
            _ => None,
        })
        .collect()
}

#[test]
fn prices_stay_positive_and_quotes_are_consistent() {
    let cfg = small_config();
    for e in SimMarket::days(&cfg, &MarketConfig::default(), day(), 5).unwrap() {
        match e {
            Event::Quote(q) => q.validate().unwrap(),
            Event::OptionChain(c) => {
                assert!(c.spot > Decimal::ZERO);
                for q in &c.quotes {
                    assert!(q.premium > Decimal::ZERO);
                    let (b, a) = (q.bid.unwrap(), q.ask.unwrap());
                    assert!(b > Decimal::ZERO && b < a, "{b} {a}");
                    assert!(b <= q.premium && q.premium <= a, "{b} {} {a}", q.premium);
                    assert_eq!(q.premium % q.contract.tick_size, Decimal::ZERO);
                }
            }
            _ => {}
        }
    }
}

/// Annualised realised vol from 5-minute returns, averaged over many simulated days, lies near
/// the configured vol (the day-level vol factor and trends widen single days).
#[test]
fn realised_volatility_is_near_the_configured_vol() {
    let cfg = SimConfig {
        tick_seconds: 60,
        strikes_per_side: 1,
        ..SimConfig::default()
    };
    let m = MarketConfig::default();
    let mut sum_var = 0.0;
    let days = trading_days(day(), 40, &[]);
    for d in &days {
        let events: Vec<Event> = SimMarket::new(&cfg, &m, *d).unwrap().collect();
        let px = closes(&events, "BANKNIFTY");
        let five: Vec<f64> = px.iter().step_by(5).copied().collect();
        let var: f64 = five.windows(2).map(|w| (w[1] / w[0]).ln().powi(2)).sum();
        let daily = var.sqrt() * 252f64.sqrt();
        assert!(
            daily > 0.03 && daily < 0.6,
            "single-day realised vol {daily}"
        );
        sum_var += var;
    }
    let avg = (sum_var / days.len() as f64 * 252.0).sqrt();
    eprintln!("average realised vol over {} days: {avg:.4}", days.len());
    assert!(
        avg > 0.14 * 0.7 && avg < 0.14 * 1.6,
        "average realised vol {avg}"
    );
}

#[test]
fn chains_obey_put_call_parity_within_the_spread() {
    let cfg = small_config();
    let rate = cfg.risk_free_rate;
    let mut checked = 0;
    for e in SimMarket::new(&cfg, &MarketConfig::default(), day()).unwrap() {
        let Event::OptionChain(c) = e else { continue };
        let spot = c.spot.to_f64().unwrap();
        let expiry = super::chain::expiry_moment(c.expiry).unwrap();
        let t = (expiry - c.timestamp).num_seconds() as f64 / (365.0 * 86400.0);
        for k in c.strikes() {
            let call = c.get(k, OptionType::CE).unwrap();
            let put = c.get(k, OptionType::PE).unwrap();
            let parity = spot - k.to_f64().unwrap() * (-rate * t).exp();
            let tick = 0.05;
            let hi = (call.ask.unwrap() - put.bid.unwrap()).to_f64().unwrap() + tick;
            let lo = (call.bid.unwrap() - put.ask.unwrap()).to_f64().unwrap() - tick;
            assert!(
                lo <= parity && parity <= hi,
                "{lo} <= {parity} <= {hi} at {k}"
            );
            checked += 1;
        }
    }
    assert!(checked > 1000);
}

#[test]
fn chains_sit_on_the_strike_grid_around_spot_with_a_smile_and_skew() {
    let cfg = SimConfig::default();
    let mut sim = SimMarket::new(&cfg, &MarketConfig::default(), day()).unwrap();
    let chain = sim
        .find_map(|e| match e {
            Event::OptionChain(c) if c.underlying.as_str() == "BANKNIFTY" => Some(c),
            _ => None,
        })
        .unwrap();
    let strikes = chain.strikes();
    assert_eq!(strikes.len(), 21);
    assert!(strikes
        .iter()
        .all(|k| k % Decimal::from(100) == Decimal::ZERO));
    let lowest = strikes[0].to_f64().unwrap();
    let highest = strikes[20].to_f64().unwrap();
    let spot = chain.spot.to_f64().unwrap();
    assert!(lowest < spot && spot < highest);
    // Monthly BANKNIFTY expiry: last Tuesday of December 2025.
    assert_eq!(chain.expiry, NaiveDate::from_ymd_opt(2025, 12, 30).unwrap());
    let iv = |k: Decimal| chain.get(k, OptionType::PE).unwrap().iv.unwrap();
    // Negative skew: the low strike is dearer than the high one, and the ATM is cheapest-ish.
    assert!(iv(strikes[0]) > iv(strikes[20]));
    assert!(iv(strikes[0]) > iv(strikes[10]));
    // Calls lose value as the strike rises; puts gain.
    let ce: Vec<Decimal> = strikes
        .iter()
        .map(|k| chain.get(*k, OptionType::CE).unwrap().premium)
        .collect();
    assert!(ce.windows(2).all(|w| w[0] >= w[1]));
    // Open interest peaks near the money.
    let oi = |k: Decimal| chain.get(k, OptionType::CE).unwrap().oi;
    assert!(oi(strikes[10]) > oi(strikes[0]));
}

#[test]
fn days_skip_weekends_and_holidays_and_continue_from_the_previous_close() {
    let holidays = vec![NaiveDate::from_ymd_opt(2025, 12, 4).unwrap()];
    let got = trading_days(day(), 3, &holidays);
    let want: Vec<NaiveDate> = [3, 5, 8]
        .iter()
        .map(|d| NaiveDate::from_ymd_opt(2025, 12, *d).unwrap())
        .collect();
    assert_eq!(got, want);

    let market = MarketConfig {
        holidays,
        ..MarketConfig::default()
    };
    let cfg = small_config();
    let events: Vec<Event> = SimMarket::days(&cfg, &market, day(), 3).unwrap().collect();
    let dates: std::collections::BTreeSet<NaiveDate> =
        events.iter().map(|e| e.timestamp().date_naive()).collect();
    assert_eq!(dates.into_iter().collect::<Vec<_>>(), want);
    // Day two's quotes carry day one's last price as the previous close.
    let day_one_last = events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Quote(q)
                if q.symbol.as_str() == "NIFTY" && q.timestamp.date_naive() == want[0] =>
            {
                Some(q.ltp)
            }
            _ => None,
        })
        .unwrap();
    let day_two_prev = events
        .iter()
        .find_map(|e| match e {
            Event::Quote(q)
                if q.symbol.as_str() == "NIFTY" && q.timestamp.date_naive() == want[1] =>
            {
                Some(q.close)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(day_one_last, day_two_prev);
}

#[test]
fn the_simulation_section_is_read_and_validated_from_yaml() {
    let yaml = "strategies: { s: { strategy: ema_crossover, symbols: [NIFTY] } }\n\
                simulation:\n  seed: 9\n  tick_seconds: 0\n  underlyings:\n    NIFTY: { start_price: 24000, annual_vol: 0.11 }\n";
    let err = Config::from_yaml_str(yaml).unwrap_err();
    let paths: Vec<&str> = err.problems().iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"simulation.tick_seconds"), "{paths:?}");
    let ok = yaml.replace("tick_seconds: 0", "tick_seconds: 2");
    let cfg = Config::from_yaml_str(&ok).unwrap();
    assert_eq!(cfg.simulation.seed, 9);
    assert_eq!(cfg.simulation.underlyings.len(), 1);
}

#[test]
fn an_underlying_without_contract_facts_is_an_error() {
    // SBIN is in the market rules (lot 750); TCS is not.
    let mut cfg = small_config();
    cfg.underlyings.insert(
        crate::market::Symbol::parse("NSE:TCS").unwrap(),
        SimUnderlyingConfig::default(),
    );
    let err = SimMarket::new(&cfg, &MarketConfig::default(), day()).unwrap_err();
    assert!(matches!(err, SimError::UnknownInstrument { .. }));
}

mod laws {
    use super::*;
    use crate::market::Symbol;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// For any seed, start price and vol: quotes stay valid, every chain has bid < ask,
        /// call premiums fall and put premiums rise with the strike, and the same inputs
        /// replay identically.
        #[test]
        fn chains_obey_no_arbitrage_monotonicity_for_any_seed(
            seed in any::<u64>(),
            start in 500i64..100_000,
            vol in 0.05f64..0.8,
        ) {
            let mut cfg = SimConfig {
                seed,
                tick_seconds: 900,
                strikes_per_side: 6,
                ..SimConfig::default()
            };
            cfg.underlyings.clear();
            cfg.underlyings.insert(
                Symbol::parse("NIFTY").unwrap(),
                SimUnderlyingConfig { start_price: Decimal::from(start), annual_vol: vol },
            );
            let m = MarketConfig::default();
            let events: Vec<Event> = SimMarket::new(&cfg, &m, day()).unwrap().collect();
            let again: Vec<Event> = SimMarket::new(&cfg, &m, day()).unwrap().collect();
            prop_assert_eq!(&events, &again);
            for e in &events {
                match e {
                    Event::Quote(q) => prop_assert!(q.validate().is_ok()),
                    Event::OptionChain(c) => {
                        let strikes = c.strikes();
                        prop_assert!(!strikes.is_empty());
                        let ce: Vec<Decimal> = strikes.iter().map(|k| c.get(*k, OptionType::CE).unwrap().premium).collect();
                        let pe: Vec<Decimal> = strikes.iter().map(|k| c.get(*k, OptionType::PE).unwrap().premium).collect();
                        prop_assert!(ce.windows(2).all(|w| w[0] >= w[1]), "calls {:?}", ce);
                        prop_assert!(pe.windows(2).all(|w| w[0] <= w[1]), "puts {:?}", pe);
                        for q in &c.quotes {
                            prop_assert!(q.bid.unwrap() < q.ask.unwrap());
                            let g = q.greeks.unwrap();
                            prop_assert!(g.delta.abs() <= 1.0 && g.gamma >= 0.0);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
