use std::collections::VecDeque;

use chrono::Duration;

use super::RiskRejection;
use crate::market::IstTime;

/// Counts orders sent in sliding one-second and sixty-second windows.
///
/// An order sent at `t` counts in the window ending at `now` when `now − window < t ≤ now`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderRateLimiter {
    sent: VecDeque<IstTime>,
}

impl OrderRateLimiter {
    /// A limiter with no orders recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an order sent at `now`.
    pub fn record(&mut self, now: IstTime) {
        self.prune(now);
        self.sent.push_back(now);
    }

    /// Orders sent in the `window` ending at `now`.
    pub fn sent_within(&self, now: IstTime, window: Duration) -> usize {
        let from = now - window;
        self.sent.iter().filter(|&&t| t > from && t <= now).count()
    }

    /// `Ok` when one more order at `now` stays within `per_second` and `per_minute`.
    pub fn allow(
        &self,
        now: IstTime,
        per_second: u32,
        per_minute: u32,
    ) -> Result<(), RiskRejection> {
        let sec = self.sent_within(now, Duration::seconds(1));
        if sec >= per_second as usize {
            return Err(RiskRejection::OrdersPerSecond {
                sent: sec,
                max: per_second,
            });
        }
        let min = self.sent_within(now, Duration::seconds(60));
        if min >= per_minute as usize {
            return Err(RiskRejection::OrdersPerMinute {
                sent: min,
                max: per_minute,
            });
        }
        Ok(())
    }

    fn prune(&mut self, now: IstTime) {
        let from = now - Duration::seconds(60);
        while self.sent.front().is_some_and(|&t| t <= from) {
            self.sent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(ms: i64) -> IstTime {
        DateTime::parse_from_rfc3339("2026-04-06T10:00:00+05:30").unwrap()
            + Duration::milliseconds(ms)
    }

    #[test]
    fn sixth_order_in_a_second_is_refused_and_allowed_after_it() {
        let mut r = OrderRateLimiter::new();
        for i in 0..5 {
            assert!(r.allow(at(i * 100), 5, 60).is_ok());
            r.record(at(i * 100));
        }
        assert_eq!(
            r.allow(at(900), 5, 60),
            Err(RiskRejection::OrdersPerSecond { sent: 5, max: 5 })
        );
        // The first order (at 0 ms) leaves the window at exactly 1000 ms.
        assert!(r.allow(at(1000), 5, 60).is_ok());
    }

    #[test]
    fn per_minute_cap_counts_sixty_seconds() {
        let mut r = OrderRateLimiter::new();
        for i in 0..10 {
            r.record(at(i * 5_000));
        }
        assert_eq!(
            r.allow(at(50_000), 5, 10),
            Err(RiskRejection::OrdersPerMinute { sent: 10, max: 10 })
        );
        assert!(r.allow(at(60_000), 5, 10).is_ok());
    }
}
