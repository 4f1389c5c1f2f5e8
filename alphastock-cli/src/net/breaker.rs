//! Circuit breaker: after `failure_threshold` consecutive failures the breaker opens and calls
//! fail fast; after `cooldown` one trial call is let through (half-open); its success closes the
//! breaker, its failure opens it again.

use std::time::Duration;

use alphastock_core::config::BreakerConfig;

/// Breaker state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BreakerState {
    /// Calls flow; counts consecutive failures.
    Closed {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Calls fail fast until `until`.
    Open {
        /// Monotonic time when a trial call is allowed.
        until: Duration,
    },
    /// One trial call is in flight.
    HalfOpen,
}

/// The circuit breaker.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    state: BreakerState,
}

impl CircuitBreaker {
    /// A closed breaker with the configured threshold and cool-down.
    pub fn new(cfg: &BreakerConfig) -> Self {
        Self {
            threshold: cfg.failure_threshold.max(1),
            cooldown: Duration::from_secs_f64(cfg.cooldown_seconds.max(0.0)),
            state: BreakerState::Closed { failures: 0 },
        }
    }

    /// Current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Asks to make a call at `now`: `Ok` to go ahead, `Err(wait)` while open.
    pub fn allow(&mut self, now: Duration) -> Result<(), Duration> {
        match self.state {
            BreakerState::Closed { .. } | BreakerState::HalfOpen => Ok(()),
            BreakerState::Open { until } if now >= until => {
                tracing::info!("circuit breaker half-open: trying one call");
                self.state = BreakerState::HalfOpen;
                Ok(())
            }
            BreakerState::Open { until } => Err(until - now),
        }
    }

    /// Records a successful call.
    pub fn on_success(&mut self) {
        if self.state != (BreakerState::Closed { failures: 0 }) {
            if !matches!(self.state, BreakerState::Closed { .. }) {
                tracing::info!("circuit breaker closed");
            }
            self.state = BreakerState::Closed { failures: 0 };
        }
    }

    /// Records a failed call at `now`.
    pub fn on_failure(&mut self, now: Duration) {
        self.state = match self.state {
            BreakerState::Closed { failures } if failures + 1 < self.threshold => {
                BreakerState::Closed {
                    failures: failures + 1,
                }
            }
            _ => {
                tracing::warn!(
                    cooldown_ms = self.cooldown.as_millis() as u64,
                    "circuit breaker open after repeated failures"
                );
                BreakerState::Open {
                    until: now + self.cooldown,
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_half_opens_after_cooldown() {
        let mut b = CircuitBreaker::new(&BreakerConfig {
            failure_threshold: 3,
            cooldown_seconds: 10.0,
        });
        let t = |s: u64| Duration::from_secs(s);
        for _ in 0..2 {
            assert!(b.allow(t(0)).is_ok());
            b.on_failure(t(0));
        }
        assert_eq!(b.state(), BreakerState::Closed { failures: 2 });
        b.on_failure(t(1));
        assert_eq!(b.allow(t(5)), Err(t(6)));
        assert!(b.allow(t(11)).is_ok());
        assert_eq!(b.state(), BreakerState::HalfOpen);
        // Trial fails: open again for a full cool-down.
        b.on_failure(t(11));
        assert_eq!(b.allow(t(12)), Err(t(9)));
        assert!(b.allow(t(21)).is_ok());
        b.on_success();
        assert_eq!(b.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn a_success_resets_the_count() {
        let mut b = CircuitBreaker::new(&BreakerConfig {
            failure_threshold: 2,
            cooldown_seconds: 1.0,
        });
        b.on_failure(Duration::ZERO);
        b.on_success();
        b.on_failure(Duration::ZERO);
        assert!(b.allow(Duration::ZERO).is_ok());
    }
}
