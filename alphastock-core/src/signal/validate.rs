use chrono::{Duration, NaiveDate};

use super::{EntryConfig, Rejection};
use crate::market::{IstTime, MarketSession, IST};
use crate::strategy::Signal;

/// What the validator needs to know besides the signal.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// Now (IST), from the event being processed.
    pub now: IstTime,
    /// Length of the candles the signal was computed on, minutes: the signal's data is as of
    /// its candle's end, `signal.timestamp + candle_minutes`.
    pub candle_minutes: u32,
    /// The trading session.
    pub session: MarketSession,
    /// Exchange holidays.
    pub holidays: &'a [NaiveDate],
    /// Whether options trading is enabled.
    pub trading_enabled: bool,
    /// Whether the kill switch is on.
    pub kill_switch: bool,
    /// A tag of an order in doubt in this underlying, if any.
    pub blocked_by: Option<&'a str>,
    /// Whether a position or pending entry exists in this underlying in the signal's direction.
    pub positioned_same_direction: bool,
}

/// The checks before any option is chosen, cheapest first. `Ok(())` when the signal may proceed.
pub fn validate_signal(
    signal: &Signal,
    config: &EntryConfig,
    ctx: &ValidationContext<'_>,
) -> Result<(), Rejection> {
    if !ctx.trading_enabled {
        return Err(Rejection::TradingDisabled);
    }
    if ctx.kill_switch {
        return Err(Rejection::KillSwitch);
    }
    if let Some(tag) = ctx.blocked_by {
        return Err(Rejection::UnderlyingBlocked {
            tag: tag.to_string(),
        });
    }
    if signal.confidence < config.min_confidence {
        return Err(Rejection::LowConfidence {
            confidence: signal.confidence,
            threshold: config.min_confidence,
        });
    }
    let data_time = signal.timestamp + Duration::minutes(i64::from(ctx.candle_minutes));
    let age = (ctx.now - data_time).num_seconds();
    if age > i64::try_from(config.max_signal_age_seconds).unwrap_or(i64::MAX) {
        return Err(Rejection::StaleSignal {
            age_seconds: age,
            max_seconds: config.max_signal_age_seconds,
        });
    }
    let today = ctx.now.with_timezone(&IST).date_naive();
    if !ctx.session.is_open(ctx.now) || ctx.holidays.contains(&today) {
        return Err(Rejection::MarketClosed);
    }
    let left = ctx.session.minutes_to_close(ctx.now);
    if left < i64::from(config.no_entries_minutes_before_close) {
        return Err(Rejection::TooCloseToClose {
            minutes_left: left,
            cutoff_minutes: config.no_entries_minutes_before_close,
        });
    }
    if ctx.positioned_same_direction && !config.allow_same_direction {
        return Err(Rejection::AlreadyPositioned { side: signal.side });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Symbol;
    use crate::strategy::Side;
    use chrono::DateTime;
    use rust_decimal_macros::dec;

    fn at(s: &str) -> IstTime {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn signal(ts: &str, confidence: u8) -> Signal {
        Signal {
            symbol: Symbol::parse("BANKNIFTY").unwrap(),
            strategy: "ema_crossover".into(),
            side: Side::Buy,
            timestamp: at(ts),
            price: dec!(51245),
            target: dec!(51655),
            stop: dec!(51040),
            confidence,
            expected_move_pct: 0.8,
            reason: "test".into(),
        }
    }

    fn ctx(now: &str) -> ValidationContext<'static> {
        ValidationContext {
            now: at(now),
            candle_minutes: 5,
            session: MarketSession::nse(),
            holidays: &[],
            trading_enabled: true,
            kill_switch: false,
            blocked_by: None,
            positioned_same_direction: false,
        }
    }

    #[test]
    fn a_fresh_confident_signal_in_hours_passes() {
        let cfg = EntryConfig {
            min_confidence: 70,
            ..EntryConfig::default()
        };
        let s = signal("2026-01-05T10:10:00+05:30", 78);
        assert_eq!(
            validate_signal(&s, &cfg, &ctx("2026-01-05T10:15:02+05:30")),
            Ok(())
        );
    }

    #[test]
    fn each_check_rejects_with_its_numbers() {
        let cfg = EntryConfig {
            min_confidence: 70,
            ..EntryConfig::default()
        };
        let s = signal("2026-01-05T10:10:00+05:30", 65);
        let r = validate_signal(&s, &cfg, &ctx("2026-01-05T10:15:02+05:30")).unwrap_err();
        assert_eq!(r.to_string(), "confidence 65 < threshold 70");

        let s = signal("2026-01-05T10:00:00+05:30", 78);
        let r = validate_signal(&s, &cfg, &ctx("2026-01-05T10:15:00+05:30")).unwrap_err();
        assert_eq!(r.to_string(), "signal data is 600 s old (max 120 s)");

        let s = signal("2026-01-05T15:00:00+05:30", 78);
        let r = validate_signal(&s, &cfg, &ctx("2026-01-05T15:05:00+05:30")).unwrap_err();
        assert_eq!(
            r.to_string(),
            "25 min to the close, inside the 30 min no-entry window"
        );

        let s = signal("2026-01-10T10:10:00+05:30", 78); // Saturday
        let r = validate_signal(&s, &cfg, &ctx("2026-01-10T10:15:00+05:30")).unwrap_err();
        assert_eq!(r, Rejection::MarketClosed);

        let holiday = [NaiveDate::from_ymd_opt(2026, 1, 26).unwrap()];
        let mut c = ctx("2026-01-26T10:15:00+05:30");
        c.holidays = &holiday;
        let s = signal("2026-01-26T10:10:00+05:30", 78);
        assert_eq!(validate_signal(&s, &cfg, &c), Err(Rejection::MarketClosed));

        let mut c = ctx("2026-01-05T10:15:00+05:30");
        c.positioned_same_direction = true;
        let s = signal("2026-01-05T10:10:00+05:30", 78);
        assert_eq!(
            validate_signal(&s, &cfg, &c),
            Err(Rejection::AlreadyPositioned { side: Side::Buy })
        );
        c.positioned_same_direction = false;
        c.kill_switch = true;
        assert_eq!(validate_signal(&s, &cfg, &c), Err(Rejection::KillSwitch));
        c.kill_switch = false;
        c.blocked_by = Some("AS26010500001");
        assert!(validate_signal(&s, &cfg, &c)
            .unwrap_err()
            .to_string()
            .contains("AS26010500001"));
    }
}
