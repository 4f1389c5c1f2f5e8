//! Simulated wall-clock time for `alphastock run --live` against a broker server on this
//! machine (a test double of mStock on a loopback address), so the real binary can trade a
//! market session whatever the time of day: `ALPHASTOCK_SIM_CLOCK=<start>@<factor>` starts the
//! session's IST clock at `<start>` (RFC 3339, e.g. `2025-12-02T10:00:00+05:30`) and runs it
//! `<factor>` times faster than real time. Refused unless the broker's base URL is a loopback
//! address: trading with the real broker always runs on the real clock.

use std::sync::Arc;

use chrono::DateTime;

use alphastock_core::market::IST;

use crate::mstock::clock::{IstClock, ScaledClock};

/// The environment variable that sets a simulated clock (see the module docs).
pub const ENV_SIM_CLOCK: &str = "ALPHASTOCK_SIM_CLOCK";

/// The live loop's wall clock: the real one when `value` (the variable's content) is unset or
/// empty, else the simulated one it describes. Errors name the variable and what is wrong: a
/// malformed value, a factor that is not a positive number, or a `base_url` that is not a
/// loopback address.
pub fn live_wall_clock(value: Option<&str>, base_url: &str) -> Result<IstClock, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(IstClock::system());
    };
    if !is_loopback(base_url) {
        return Err(format!(
            "{ENV_SIM_CLOCK} is only accepted with a broker on a loopback address, not {base_url}"
        ));
    }
    let (start, factor) = value.rsplit_once('@').ok_or_else(|| {
        format!("{ENV_SIM_CLOCK}={value:?}: expected <RFC 3339 start>@<speed factor>")
    })?;
    let start = DateTime::parse_from_rfc3339(start.trim())
        .map_err(|e| format!("{ENV_SIM_CLOCK}: start {start:?} is not RFC 3339: {e}"))?
        .with_timezone(&IST);
    let factor: f64 = factor
        .trim()
        .parse()
        .ok()
        .filter(|f: &f64| f.is_finite() && *f > 0.0)
        .ok_or_else(|| {
            format!("{ENV_SIM_CLOCK}: speed factor {factor:?} is not a positive number")
        })?;
    Ok(IstClock::starting_at(
        start,
        Arc::new(ScaledClock::new(factor)),
    ))
}

/// True when `base_url`'s host is `localhost`, an IPv4 address in 127.0.0.0/8 or `[::1]`.
fn is_loopback(base_url: &str) -> bool {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_a_loopback_broker_runs_on_a_simulated_clock() {
        assert!(live_wall_clock(None, "https://api.mstock.trade").is_ok());
        let err = live_wall_clock(
            Some("2025-12-02T10:00:00+05:30@60"),
            "https://api.mstock.trade",
        )
        .unwrap_err();
        assert!(err.contains("ALPHASTOCK_SIM_CLOCK") && err.contains("api.mstock.trade"));
        for url in [
            "http://127.0.0.1:4100",
            "http://localhost",
            "http://[::1]:80/x",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "http://127.0.0.1.evil.example",
            "https://10.0.0.1",
            "api.mstock.trade",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn the_simulated_clock_starts_at_the_given_time() {
        let clock =
            live_wall_clock(Some("2025-12-02T10:00:00+05:30@1"), "http://127.0.0.1:9").unwrap();
        let start = IST.with_ymd_and_hms(2025, 12, 2, 10, 0, 0).unwrap();
        let gone = clock.now() - start;
        assert!(gone >= chrono::Duration::zero() && gone < chrono::Duration::hours(1));
        for bad in [
            "2025-12-02T10:00:00+05:30",
            "yesterday@60",
            "2025-12-02T10:00:00+05:30@0",
        ] {
            assert!(
                live_wall_clock(Some(bad), "http://127.0.0.1:9").is_err(),
                "{bad}"
            );
        }
    }
}
