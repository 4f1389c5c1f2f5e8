//! mStock's endpoint classes and the rate-limit windows of `broker.mstock.rate_limits`.
//!
//! The broker's limits compound (orders 30/s, 250/min, 1,000/h; market data 1/s, 1,000/min,
//! 5,000/h; see `reference/mstock-api.md`): every window is enforced by the shared
//! [`RateLimiter`].

use std::time::Duration;

use alphastock_core::config::RateLimitsConfig;

use crate::net::rate_limit::{ClassSpec, EndpointClass, RateLimiter, Window, HOUR, MINUTE};

/// Place, modify, cancel.
pub const ORDERS: EndpointClass = EndpointClass("orders");
/// Market data: quotes, historical candles, option chains.
pub const QUOTES: EndpointClass = EndpointClass("market data");
/// Everything else (session, books, positions, funds, masters).
pub const OTHER: EndpointClass = EndpointClass("other");
/// Every class, for reports.
pub const ALL: [EndpointClass; 3] = [ORDERS, QUOTES, OTHER];

fn windows(per_minute: u32, per_hour: u32) -> Vec<Window> {
    vec![
        Window {
            limit: per_minute,
            length: MINUTE,
        },
        Window {
            limit: per_hour,
            length: HOUR,
        },
    ]
}

/// The class specs of `cfg`: each class paced at its per-second rate within its per-minute and
/// per-hour windows.
pub fn class_specs(cfg: &RateLimitsConfig) -> Vec<ClassSpec> {
    vec![
        ClassSpec {
            class: ORDERS,
            per_second: cfg.orders_per_second,
            windows: windows(cfg.orders_per_minute, cfg.orders_per_hour),
        },
        ClassSpec {
            class: QUOTES,
            per_second: cfg.quotes_per_second,
            windows: windows(cfg.quotes_per_minute, cfg.quotes_per_hour),
        },
        ClassSpec {
            class: OTHER,
            per_second: cfg.other_per_second,
            windows: windows(cfg.other_per_minute, cfg.other_per_hour),
        },
    ]
}

/// A limiter for `cfg` starting at `now`.
pub fn limiter(cfg: &RateLimitsConfig, now: Duration) -> RateLimiter {
    RateLimiter::new(class_specs(cfg), now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::clock::{Clock, FakeClock};
    use crate::net::rate_limit::TokenBucket;

    fn cfg(orders: f64, quotes: f64, other: f64) -> RateLimitsConfig {
        RateLimitsConfig {
            orders_per_second: orders,
            quotes_per_second: quotes,
            other_per_second: other,
            ..RateLimitsConfig::default()
        }
    }

    #[test]
    fn calls_are_paced_at_the_rate() {
        let clock = FakeClock::default();
        let mut rl = limiter(&cfg(5.0, 2.0, 1.0), clock.now());
        let mut times = Vec::new();
        for _ in 0..6 {
            rl.acquire(ORDERS, &clock);
            times.push(clock.now());
        }
        // First call free, then one every 200 ms.
        assert_eq!(times[0], Duration::ZERO);
        for w in times.windows(2) {
            let gap = (w[1] - w[0]).as_secs_f64();
            assert!((gap - 0.2).abs() < 1e-9, "gap {gap}");
        }
        // Quotes have their own bucket: first quote call does not wait.
        let before = clock.now();
        rl.acquire(QUOTES, &clock);
        assert_eq!(clock.now(), before);
        rl.acquire(QUOTES, &clock);
        assert!(((clock.now() - before).as_secs_f64() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn idle_time_does_not_build_a_burst() {
        let clock = FakeClock::default();
        let mut b = TokenBucket::new(10.0, 1.0, clock.now());
        clock.advance(Duration::from_secs(60));
        assert_eq!(b.take(clock.now()), Duration::ZERO);
        let w = b.take(clock.now());
        assert!((w.as_secs_f64() - 0.1).abs() < 1e-9);
    }

    #[test]
    fn a_burst_at_the_per_second_rate_is_held_to_the_minute_window() {
        // The broker's order figures: 30/s would allow 1,800 calls a minute; 250 are allowed.
        let clock = FakeClock::default();
        let c = RateLimitsConfig {
            orders_per_second: 30.0,
            ..RateLimitsConfig::default()
        };
        let mut rl = limiter(&c, clock.now());
        let mut times = Vec::new();
        for _ in 0..300 {
            rl.acquire(ORDERS, &clock);
            times.push(clock.now());
        }
        // 250 calls paced 1/30 s apart: the 250th at 249/30 = 8.3 s. The 251st waits until the
        // first leaves the minute (t = 60 s), the 252nd until the second does (60 + 1/30 s).
        assert!((times[249].as_secs_f64() - 249.0 / 30.0).abs() < 1e-6);
        assert!(
            (times[250].as_secs_f64() - 60.0).abs() < 1e-6,
            "{:?}",
            times[250]
        );
        assert!((times[251].as_secs_f64() - (60.0 + 1.0 / 30.0)).abs() < 1e-6);
        // No sliding minute holds more than 250.
        for (i, t) in times.iter().enumerate() {
            let inside = times[..=i]
                .iter()
                .filter(|u| t.saturating_sub(**u) < MINUTE)
                .count();
            assert!(inside <= 250, "{inside} calls in the minute ending {t:?}");
        }
        let usage = rl.usage(ORDERS, clock.now());
        assert_eq!(usage[0].window.limit, 250);
        assert!(usage[0].used <= 250);
    }

    #[test]
    fn the_hourly_window_binds_although_each_minute_is_within_its_limit() {
        // 250/min allows 15,000 an hour; 1,000 are allowed. At 250 a minute the 1,000th call is
        // made in the fourth minute and the 1,001st waits for the first to be an hour old.
        let clock = FakeClock::default();
        let c = RateLimitsConfig {
            orders_per_second: 30.0,
            ..RateLimitsConfig::default()
        };
        let mut rl = limiter(&c, clock.now());
        let mut times = Vec::new();
        for _ in 0..1001 {
            rl.acquire(ORDERS, &clock);
            times.push(clock.now());
        }
        assert!(times[999] < Duration::from_secs(240), "{:?}", times[999]);
        assert_eq!(times[1000], HOUR);
    }
}
