//! Client-side rate limiting per endpoint class, with every window the broker publishes.
//!
//! The broker's limits compound (orders 30/s, 250/min, 1,000/h; market data 1/s, 1,000/min,
//! 5,000/h; see `reference/mstock-api.md`): staying under the per-second figure all day still
//! breaks the hourly one. Each class therefore has a token bucket holding one token, which
//! paces its calls evenly at the per-second rate, and a log of its recent calls, which keeps
//! every sliding minute and hour at or under its limit. A call waits until all of them allow
//! it.

use std::collections::VecDeque;
use std::time::Duration;

use alphastock_core::config::RateLimitsConfig;

use super::clock::Clock;

/// Which limit a call counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointClass {
    /// Place, modify, cancel.
    Orders,
    /// Market data: quotes, historical candles, option chains.
    Quotes,
    /// Everything else (session, books, positions, funds, masters).
    Other,
}

impl EndpointClass {
    /// Every class, for reports.
    pub const ALL: [EndpointClass; 3] = [
        EndpointClass::Orders,
        EndpointClass::Quotes,
        EndpointClass::Other,
    ];

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            EndpointClass::Orders => "orders",
            EndpointClass::Quotes => "market data",
            EndpointClass::Other => "other",
        }
    }
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

    fn tokens_at(&self, now: Duration) -> f64 {
        let elapsed = now.saturating_sub(self.last).as_secs_f64();
        (self.tokens + elapsed * self.rate_per_second).min(self.capacity)
    }

    /// How long from `now` until a token is there (zero when one is), without taking it.
    pub fn wait(&self, now: Duration) -> Duration {
        let t = self.tokens_at(now);
        if t >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - t) / self.rate_per_second)
        }
    }

    /// Takes one token at `now`, returning how long to wait first (zero when a token was there).
    /// The token is reserved either way, so the caller must wait the returned time.
    pub fn take(&mut self, now: Duration) -> Duration {
        self.tokens = self.tokens_at(now);
        self.last = now.max(self.last);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate_per_second)
        }
    }
}

/// At most `limit` calls in any window of length `length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Calls allowed in the window.
    pub limit: u32,
    /// The window's length.
    pub length: Duration,
}

/// How much of one window is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUse {
    /// The window.
    pub window: Window,
    /// Calls made in the last `window.length`.
    pub used: u32,
}

/// The limits of one endpoint class: even pacing at the per-second rate and sliding windows.
#[derive(Debug, Clone)]
pub struct ClassLimiter {
    bucket: TokenBucket,
    windows: Vec<Window>,
    /// Times of the calls made within the longest window, oldest first.
    log: VecDeque<Duration>,
}

impl ClassLimiter {
    /// A limiter pacing calls at `per_second` and holding every window of `windows`.
    pub fn new(per_second: f64, windows: Vec<Window>, now: Duration) -> Self {
        Self {
            bucket: TokenBucket::new(per_second, 1.0, now),
            windows,
            log: VecDeque::new(),
        }
    }

    fn longest(&self) -> Duration {
        self.windows
            .iter()
            .map(|w| w.length)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    fn forget_before(&mut self, now: Duration) {
        let keep = self.longest();
        while self
            .log
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= keep)
        {
            self.log.pop_front();
        }
    }

    /// Calls in the log within `length` before `now` (the window `(now − length, now]`).
    fn count_within(&self, now: Duration, length: Duration) -> usize {
        self.log
            .iter()
            .rev()
            .take_while(|t| now.saturating_sub(**t) < length)
            .count()
    }

    /// How long from `now` until a call is allowed by the pacing and by every window.
    pub fn wait(&self, now: Duration) -> Duration {
        let mut wait = self.bucket.wait(now);
        for w in &self.windows {
            let limit = w.limit.max(1) as usize;
            if self.count_within(now, w.length) >= limit {
                // The call `limit` places back must leave the window first.
                let idx = self.log.len() - limit;
                let free_at = self.log[idx] + w.length;
                wait = wait.max(free_at.saturating_sub(now));
            }
        }
        wait
    }

    /// Records a call made at `now` (after [`ClassLimiter::wait`] said zero).
    pub fn record(&mut self, now: Duration) {
        self.bucket.take(now);
        self.forget_before(now);
        self.log.push_back(now);
    }

    /// Use of each window at `now`.
    pub fn usage(&self, now: Duration) -> Vec<WindowUse> {
        self.windows
            .iter()
            .map(|w| WindowUse {
                window: *w,
                used: self.count_within(now, w.length) as u32,
            })
            .collect()
    }
}

/// The limiters of the three classes.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    orders: ClassLimiter,
    quotes: ClassLimiter,
    other: ClassLimiter,
}

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

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

impl RateLimiter {
    /// Limiters for the configured rates and windows.
    pub fn new(cfg: &RateLimitsConfig, now: Duration) -> Self {
        Self {
            orders: ClassLimiter::new(
                cfg.orders_per_second,
                windows(cfg.orders_per_minute, cfg.orders_per_hour),
                now,
            ),
            quotes: ClassLimiter::new(
                cfg.quotes_per_second,
                windows(cfg.quotes_per_minute, cfg.quotes_per_hour),
                now,
            ),
            other: ClassLimiter::new(
                cfg.other_per_second,
                windows(cfg.other_per_minute, cfg.other_per_hour),
                now,
            ),
        }
    }

    fn class(&self, class: EndpointClass) -> &ClassLimiter {
        match class {
            EndpointClass::Orders => &self.orders,
            EndpointClass::Quotes => &self.quotes,
            EndpointClass::Other => &self.other,
        }
    }

    /// Waits (on `clock`) until a call of `class` is allowed by its pacing and every window,
    /// and records it.
    pub fn acquire(&mut self, class: EndpointClass, clock: &dyn Clock) {
        loop {
            let now = clock.now();
            let wait = self.class(class).wait(now);
            if wait.is_zero() {
                let limiter = match class {
                    EndpointClass::Orders => &mut self.orders,
                    EndpointClass::Quotes => &mut self.quotes,
                    EndpointClass::Other => &mut self.other,
                };
                limiter.record(now);
                return;
            }
            tracing::debug!(
                class = class.name(),
                wait_ms = wait.as_millis() as u64,
                "rate limit: waiting"
            );
            clock.sleep(wait);
        }
    }

    /// Use of each window of `class` at `now` (for `alphastock doctor`).
    pub fn usage(&self, class: EndpointClass, now: Duration) -> Vec<WindowUse> {
        self.class(class).usage(now)
    }
}

#[cfg(test)]
mod tests {
    use super::super::clock::FakeClock;
    use super::*;

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
        let mut rl = RateLimiter::new(&cfg(5.0, 2.0, 1.0), clock.now());
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

    #[test]
    fn a_burst_at_the_per_second_rate_is_held_to_the_minute_window() {
        // The broker's order figures: 30/s would allow 1,800 calls a minute; 250 are allowed.
        let clock = FakeClock::default();
        let c = RateLimitsConfig {
            orders_per_second: 30.0,
            ..RateLimitsConfig::default()
        };
        let mut rl = RateLimiter::new(&c, clock.now());
        let mut times = Vec::new();
        for _ in 0..300 {
            rl.acquire(EndpointClass::Orders, &clock);
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
        let usage = rl.usage(EndpointClass::Orders, clock.now());
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
        let mut rl = RateLimiter::new(&c, clock.now());
        let mut times = Vec::new();
        for _ in 0..1001 {
            rl.acquire(EndpointClass::Orders, &clock);
            times.push(clock.now());
        }
        assert!(times[999] < Duration::from_secs(240), "{:?}", times[999]);
        assert_eq!(times[1000], HOUR);
    }
}
