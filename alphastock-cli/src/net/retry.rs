//! Retry delays for idempotent reads: exponential backoff with jitter, honouring the broker's
//! `Retry-After`, capped at `max_delay_ms`.

use std::time::Duration;

use alphastock_core::config::RetryConfig;

/// How many times and how patiently a read is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, including the first.
    pub max_attempts: u32,
    /// Delay before the first retry (doubles each retry).
    pub base_delay: Duration,
    /// Cap on any one delay.
    pub max_delay: Duration,
}

impl From<&RetryConfig> for RetryPolicy {
    fn from(c: &RetryConfig) -> Self {
        Self {
            max_attempts: c.max_attempts.max(1),
            base_delay: Duration::from_millis(c.base_delay_ms),
            max_delay: Duration::from_millis(c.max_delay_ms),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `failed_attempt + 1`. Backoff `base × 2^(failed_attempt − 1)`,
    /// capped, with "equal jitter" (uniform in its upper half, `jitter` in [0, 1)); a
    /// `retry_after` from the broker is waited in full when longer (still capped).
    pub fn delay(
        &self,
        failed_attempt: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Duration {
        let exp = failed_attempt.saturating_sub(1).min(20);
        let backoff = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let half = backoff / 2;
        let jittered = half + half.mul_f64(jitter.clamp(0.0, 1.0));
        match retry_after {
            Some(ra) => ra.max(jittered).min(self.max_delay),
            None => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        }
    }

    #[test]
    fn backoff_doubles_within_jitter_bounds_and_caps() {
        let p = policy();
        assert_eq!(p.delay(1, None, 0.0), Duration::from_millis(50));
        assert_eq!(p.delay(1, None, 0.999_999).as_millis(), 99);
        assert_eq!(p.delay(2, None, 0.0), Duration::from_millis(100));
        assert_eq!(p.delay(3, None, 0.0), Duration::from_millis(200));
        assert_eq!(p.delay(10, None, 0.0), Duration::from_millis(500));
        assert!(p.delay(10, None, 0.999) <= Duration::from_millis(1000));
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let p = policy();
        assert_eq!(
            p.delay(1, Some(Duration::from_millis(700)), 0.0),
            Duration::from_millis(700)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(30)), 0.0),
            Duration::from_millis(1000)
        );
        // A shorter Retry-After does not shorten the backoff.
        assert_eq!(
            p.delay(3, Some(Duration::from_millis(1)), 0.0),
            Duration::from_millis(200)
        );
    }
}
