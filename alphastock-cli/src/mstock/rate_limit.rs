//! Client-side rate limiting per endpoint class: one token bucket per class. Buckets hold a
//! single token, so calls of a class are evenly paced at no more than the configured rate.

use std::time::Duration;

use alphastock_core::config::RateLimitsConfig;

use super::clock::Clock;

/// Which limit a call counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointClass {
    /// Place, modify, cancel.
    Orders,
    /// Quote calls.
    Quotes,
    /// Everything else (session, books, positions, funds, masters).
    Other,
}

/// A token bucket: `capacity` tokens, refilled at `rate_per_second`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate_per_second: f64,
    capacity: f64,
    tokens: f64,
    last: Duration,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens (at least 1) refilled at `rate_per_second`.
    pub fn new(rate_per_second: f64, capacity: f64, now: Duration) -> Self {
        let capacity = capacity.max(1.0);
        Self {
            rate_per_second: rate_per_second.max(f64::MIN_POSITIVE),
            capacity,
            tokens: capacity,
            last: now,
        }
    }

    /// Takes one token at `now`, returning how long to wait first (zero when a token was there).
    /// The token is reserved either way, so the caller must wait the returned time.
    pub fn take(&mut self, now: Duration) -> Duration {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate_per_second).min(self.capacity);
        self.last = now.max(self.last);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate_per_second)
        }
    }
}

/// The three buckets of the client.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    orders: TokenBucket,
    quotes: TokenBucket,
    other: TokenBucket,
}

impl RateLimiter {
    /// Buckets for the configured rates, each holding one token.
    pub fn new(cfg: &RateLimitsConfig, now: Duration) -> Self {
        Self {
            orders: TokenBucket::new(cfg.orders_per_second, 1.0, now),
            quotes: TokenBucket::new(cfg.quotes_per_second, 1.0, now),
            other: TokenBucket::new(cfg.other_per_second, 1.0, now),
        }
    }

    /// Waits (on `clock`) until a call of `class` is allowed, and takes its token.
    pub fn acquire(&mut self, class: EndpointClass, clock: &dyn Clock) {
        let bucket = match class {
            EndpointClass::Orders => &mut self.orders,
            EndpointClass::Quotes => &mut self.quotes,
            EndpointClass::Other => &mut self.other,
        };
        let wait = bucket.take(clock.now());
        if !wait.is_zero() {
            tracing::debug!(
                ?class,
                wait_ms = wait.as_millis() as u64,
                "rate limit: waiting"
            );
            clock.sleep(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::clock::FakeClock;
    use super::*;

    #[test]
    fn calls_are_paced_at_the_rate() {
        let clock = FakeClock::default();
        let cfg = RateLimitsConfig {
            orders_per_second: 5.0,
            quotes_per_second: 2.0,
            other_per_second: 1.0,
        };
        let mut rl = RateLimiter::new(&cfg, clock.now());
        let mut times = Vec::new();
        for _ in 0..6 {
            rl.acquire(EndpointClass::Orders, &clock);
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
        rl.acquire(EndpointClass::Quotes, &clock);
        assert_eq!(clock.now(), before);
        rl.acquire(EndpointClass::Quotes, &clock);
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
}
