//! Kite's endpoint classes and the windows of `broker.kite.rate_limits` (Kite Connect v3
//! documentation, rate limits, read 3 December 2026): quote 1/s; historical 3/s; orders 10/s;
//! everything else 10/s. Orders are also capped at 200 a minute and 3,000 a day by default,
//! below Kite's current 400 and 5,000, to leave headroom for orders the account places
//! elsewhere (see `KiteRateLimitsConfig` for the sources and why).

use std::time::Duration;

use alphastock_core::config::KiteRateLimitsConfig;

use crate::net::rate_limit::{ClassSpec, EndpointClass, RateLimiter, Window, DAY, MINUTE};

/// Place, modify, cancel.
pub const ORDERS: EndpointClass = EndpointClass("orders");
/// `/quote`.
pub const QUOTE: EndpointClass = EndpointClass("quote");
/// Historical candles.
pub const HISTORICAL: EndpointClass = EndpointClass("historical");
/// Everything else (session, books, positions, margins, instruments).
pub const OTHER: EndpointClass = EndpointClass("other");

/// The class specs of `cfg`.
pub fn class_specs(cfg: &KiteRateLimitsConfig) -> Vec<ClassSpec> {
    vec![
        ClassSpec {
            class: ORDERS,
            per_second: cfg.orders_per_second,
            windows: vec![
                Window {
                    limit: cfg.orders_per_minute,
                    length: MINUTE,
                },
                Window {
                    limit: cfg.orders_per_day,
                    length: DAY,
                },
            ],
        },
        ClassSpec {
            class: QUOTE,
            per_second: cfg.quotes_per_second,
            windows: Vec::new(),
        },
        ClassSpec {
            class: HISTORICAL,
            per_second: cfg.historical_per_second,
            windows: Vec::new(),
        },
        ClassSpec {
            class: OTHER,
            per_second: cfg.other_per_second,
            windows: Vec::new(),
        },
    ]
}

/// A limiter for `cfg` starting at `now`.
pub fn limiter(cfg: &KiteRateLimitsConfig, now: Duration) -> RateLimiter {
    RateLimiter::new(class_specs(cfg), now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::clock::{Clock, FakeClock};

    #[test]
    fn orders_are_held_to_200_a_minute_and_quotes_to_one_a_second() {
        let clock = FakeClock::default();
        let mut rl = limiter(&KiteRateLimitsConfig::default(), clock.now());
        let mut times = Vec::new();
        for _ in 0..201 {
            rl.acquire(ORDERS, &clock);
            times.push(clock.now());
        }
        // 10/s: the 200th order at 19.9 s; the 201st waits for the first to leave the minute.
        assert!(
            (times[199].as_secs_f64() - 19.9).abs() < 1e-6,
            "{:?}",
            times[199]
        );
        assert_eq!(times[200], MINUTE);
        let usage = rl.usage(ORDERS, clock.now());
        assert_eq!(usage[1].window.limit, 3000);
        assert_eq!(usage[1].used, 201);
        // Quotes have their own pacing: two calls are one second apart.
        let before = clock.now();
        rl.acquire(QUOTE, &clock);
        rl.acquire(QUOTE, &clock);
        assert_eq!(clock.now() - before, Duration::from_secs(1));
        // Historical at 3/s.
        let before = clock.now();
        rl.acquire(HISTORICAL, &clock);
        rl.acquire(HISTORICAL, &clock);
        assert!(((clock.now() - before).as_secs_f64() - 1.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn the_day_cap_binds_when_every_minute_is_within_its_limit() {
        let clock = FakeClock::default();
        let cfg = KiteRateLimitsConfig {
            orders_per_day: 400,
            ..KiteRateLimitsConfig::default()
        };
        let mut rl = limiter(&cfg, clock.now());
        let mut last = Duration::ZERO;
        for _ in 0..401 {
            rl.acquire(ORDERS, &clock);
            last = clock.now();
        }
        // 400 fit in the first two minutes; the 401st waits a day after the first.
        assert_eq!(last, DAY);
    }
}
