//! The account's funds read from the broker and fed to the engine as `Event::Funds`, the same
//! way in paper and live runs: at the first event of a run and every [`FUNDS_POLL_SECONDS`] of
//! market time after, so entries are sized against the account in both.
//!
//! Sizing compares each entry's premium (price × quantity, rupees) with the available funds.
//! For a bought option the margin the broker blocks is that premium, so the check is the
//! broker's; for an intraday (MIS) stock position it is stricter than the broker's leveraged
//! margin. The broker's order-margin call is not used: the official mStock Type A SDK
//! (`MiraeAsset-mStock/pytradingapi-typeA`, `tradingapi_a/mconnect.py`,
//! `calculate_order_margin`, as of April 2025) sends it as a GET of
//! `openapi/typea/margins/orders` with a JSON body (`exchange, tradingsymbol, transaction_type,
//! variety, product, order_type, quantity, price, trigger_price`; the answer's `data.total` is
//! the margin), which this client's form-encoded transport does not send, and its recorded
//! answer (`mock_responses/calc_order_margin.json`) is for an equity order only.

use chrono::Duration;

use alphastock_core::engine::Event;
use alphastock_core::market::IstTime;

use crate::broker::Broker;

/// Seconds between reads of the account's funds (every 5 minutes).
pub const FUNDS_POLL_SECONDS: u64 = 300;

/// When the funds are next read, on the run's clock (market time).
#[derive(Debug, Clone)]
pub struct FundsPoll {
    every: Duration,
    next: Option<IstTime>,
}

impl Default for FundsPoll {
    fn default() -> Self {
        Self::every(FUNDS_POLL_SECONDS)
    }
}

impl FundsPoll {
    /// Reads at the first call of [`FundsPoll::poll`] and every `seconds` after.
    pub fn every(seconds: u64) -> Self {
        Self {
            every: Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 1000)),
            next: None,
        }
    }

    /// When due at `now`, reads `broker`'s funds: the event to feed the engine, or the reason
    /// the read failed (the engine keeps the last figure). `None` when not due.
    pub fn poll(&mut self, broker: &mut dyn Broker, now: IstTime) -> Option<Result<Event, String>> {
        if self.next.is_some_and(|next| now < next) {
            return None;
        }
        self.next = Some(now + self.every);
        Some(
            broker
                .funds()
                .map(|f| Event::Funds {
                    available: f.available,
                    at: now,
                })
                .map_err(|e| format!("funds: {e}")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::PaperBroker;
    use alphastock_core::config::PaperConfig;
    use rust_decimal_macros::dec;

    fn at(s: &str) -> IstTime {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn funds_are_read_at_the_first_event_and_every_five_minutes_of_market_time() {
        let config = PaperConfig {
            starting_funds: dec!(250000),
            ..PaperConfig::default()
        };
        let mut broker = PaperBroker::new(config, at("2026-12-01T09:00:00+05:30"));
        let mut poll = FundsPoll::default();
        let read = |poll: &mut FundsPoll, b: &mut PaperBroker, t: &str| {
            poll.poll(b, at(t)).map(|r| match r {
                Ok(Event::Funds { available, .. }) => available,
                other => panic!("{other:?}"),
            })
        };
        assert_eq!(
            read(&mut poll, &mut broker, "2026-12-01T09:15:00+05:30"),
            Some(dec!(250000))
        );
        assert_eq!(
            read(&mut poll, &mut broker, "2026-12-01T09:19:59+05:30"),
            None
        );
        assert_eq!(
            read(&mut poll, &mut broker, "2026-12-01T09:20:00+05:30"),
            Some(dec!(250000))
        );
        assert_eq!(
            read(&mut poll, &mut broker, "2026-12-01T09:24:00+05:30"),
            None
        );
    }
}
