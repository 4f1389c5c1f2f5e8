//! Client-side rate limiting per endpoint class, with every window the broker publishes.
//!
//! Brokers' limits compound (mStock's orders 30/s, 250/min, 1,000/h; Kite's orders 10/s,
//! 400/min, 5,000/day, of which this client keeps 200 and 3,000 by default): staying under the
//! per-second figure all day still breaks the longer ones. Each class therefore has a token
//! bucket holding one token, which paces its calls
//! evenly at the per-second rate, and a log of its recent calls, which keeps every sliding
//! window at or under its limit. A call waits until all of them allow it. The classes and their
//! windows are data ([`ClassSpec`]) each broker builds from its config section.

use std::collections::VecDeque;
use std::time::Duration;

use super::clock::Clock;

/// Which limit a call counts against: a named class of endpoints, defined by each broker
/// (mStock: orders, market data, other; Kite: orders, quote, historical, other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointClass(pub &'static str);

impl EndpointClass {
    /// A short name for messages.
    pub fn name(self) -> &'static str {
        self.0
    }
}

/// The limits of one endpoint class as configured: calls per second (evenly paced) and every
/// sliding window the broker publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSpec {
    /// The class.
    pub class: EndpointClass,
    /// Calls per second.
    pub per_second: f64,
    /// Sliding windows (e.g. per minute, per hour, per day).
    pub windows: Vec<Window>,
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

    /// Accounts for a call made `ago` before `now` by an earlier run: the pacing waits as if
    /// the call had been made here, and every window counts it, at `now − ago` (at the clock's
    /// origin when that is earlier: counted a little longer, never less).
    pub fn seed_last(&mut self, now: Duration, ago: Duration) {
        let refilled = (ago.as_secs_f64() * self.bucket.rate_per_second).min(self.bucket.capacity);
        self.bucket.tokens = self.bucket.tokens_at(now).min(refilled);
        self.bucket.last = now.max(self.bucket.last);
        if ago < self.longest() {
            self.log.push_back(now.saturating_sub(ago));
            self.log.make_contiguous().sort();
        }
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

/// The limiters of a broker's endpoint classes.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    classes: Vec<(EndpointClass, ClassLimiter)>,
}

/// One minute.
pub const MINUTE: Duration = Duration::from_secs(60);
/// One hour.
pub const HOUR: Duration = Duration::from_secs(3600);
/// One day (24 hours; a broker's per-day cap counts a trading day, which this covers).
pub const DAY: Duration = Duration::from_secs(86_400);

impl RateLimiter {
    /// Limiters for `specs`, starting at `now`.
    pub fn new(specs: Vec<ClassSpec>, now: Duration) -> Self {
        Self {
            classes: specs
                .into_iter()
                .map(|s| (s.class, ClassLimiter::new(s.per_second, s.windows, now)))
                .collect(),
        }
    }

    /// The classes limited, in the order given.
    pub fn classes(&self) -> Vec<EndpointClass> {
        self.classes.iter().map(|(c, _)| *c).collect()
    }

    fn index(&self, class: EndpointClass) -> Option<usize> {
        self.classes.iter().position(|(c, _)| *c == class)
    }

    /// Waits (on `clock`) until a call of `class` is allowed by its pacing and every window,
    /// and records it. A class the limiter was not built with is held to the last class given
    /// (the catch-all "other" of each broker), never let through unlimited.
    pub fn acquire(&mut self, class: EndpointClass, clock: &dyn Clock) {
        let Some(i) = self
            .index(class)
            .or_else(|| self.classes.len().checked_sub(1))
        else {
            return;
        };
        loop {
            let now = clock.now();
            let wait = self.classes[i].1.wait(now);
            if wait.is_zero() {
                self.classes[i].1.record(now);
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

    /// Accounts for a call of the class named `class` made `ago` before `now` by an earlier run
    /// ([`ClassLimiter::seed_last`]); a name the limiter does not know is ignored.
    pub fn seed_last(&mut self, class: &str, now: Duration, ago: Duration) {
        if let Some((_, limiter)) = self.classes.iter_mut().find(|(c, _)| c.name() == class) {
            limiter.seed_last(now, ago);
        }
    }

    /// Use of each window of `class` at `now` (for `alphastock doctor`); empty for a class the
    /// limiter does not know.
    pub fn usage(&self, class: EndpointClass, now: Duration) -> Vec<WindowUse> {
        self.index(class)
            .map(|i| self.classes[i].1.usage(now))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_an_earlier_run_made_paces_the_first_call_of_this_one() {
        let ms = Duration::from_millis;
        let windows = vec![Window {
            limit: 2,
            length: MINUTE,
        }];
        // Quoted 300 ms before this run started: the first call waits the other 700 ms.
        let mut l = ClassLimiter::new(1.0, windows.clone(), Duration::ZERO);
        assert_eq!(l.wait(Duration::ZERO), Duration::ZERO);
        l.seed_last(Duration::ZERO, ms(300));
        assert_eq!(l.wait(Duration::ZERO), ms(700));
        assert_eq!(l.usage(Duration::ZERO)[0].used, 1);
        l.record(ms(700));
        // The minute window counts both calls: the third waits for the first to leave it.
        assert_eq!(l.wait(ms(1700)), MINUTE - ms(1700));
        // A call long enough ago changes nothing.
        let mut l = ClassLimiter::new(1.0, windows, ms(5000));
        l.seed_last(ms(5000), Duration::from_secs(120));
        assert_eq!(l.wait(ms(5000)), Duration::ZERO);
        assert_eq!(l.usage(ms(5000))[0].used, 0);
    }

    #[test]
    fn seeding_names_the_class_and_ignores_unknown_ones() {
        let spec = |name: &'static str| ClassSpec {
            class: EndpointClass(name),
            per_second: 1.0,
            windows: Vec::new(),
        };
        let mut r = RateLimiter::new(vec![spec("quote"), spec("other")], Duration::ZERO);
        r.seed_last("quote", Duration::ZERO, Duration::from_millis(100));
        r.seed_last("gone", Duration::ZERO, Duration::ZERO);
        let i = |c| r.index(EndpointClass(c)).unwrap();
        assert_eq!(
            r.classes[i("quote")].1.wait(Duration::ZERO),
            Duration::from_millis(900)
        );
        assert_eq!(r.classes[i("other")].1.wait(Duration::ZERO), Duration::ZERO);
    }
}
