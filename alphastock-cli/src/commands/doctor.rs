//! `alphastock doctor`: a read-only check of everything live trading needs from the broker
//! (`--broker`, else `broker.kind`; Kite's checklist is in [`super::doctor_kite`]). mStock's —
//! credentials, login, this machine's clock against the broker's, funds, one quote, the script
//! master, static-IP readiness, and the rate limits — printed as a checklist with what to fix.
//! Exit 0 when nothing failed (warnings allowed), 1 otherwise. It never places, modifies or
//! cancels an order.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;

use alphastock_core::config::{BrokerKind, RateLimitsConfig};

use super::broker_args::{broker_config, chosen_kind, BrokerArgs};
use super::{EXIT_FAILURE, EXIT_INVALID};
use crate::broker::InstrumentKey;
use crate::mstock::client::Idempotency;
use crate::mstock::config::effective_config;
use crate::mstock::http::{json_data, Request};
use crate::mstock::limits;
use crate::mstock::portfolio::{parse_funds, FUNDS_PATH};
use crate::mstock::session::today_ist;
use crate::mstock::{Credentials, MstockClient};

/// Largest clock difference with the broker that passes, seconds.
pub const SKEW_OK_SECONDS: i64 = 2;
/// Clock difference from which TOTP codes are refused (one 30 s step), seconds.
pub const SKEW_FAIL_SECONDS: i64 = 30;

/// Arguments of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Common broker flags (`--config` for the `broker` section, `--broker` to choose; `--json`
    /// prints the checklist as JSON).
    #[command(flatten)]
    pub broker: BrokerArgs,
    /// The instrument quoted as the market-data check.
    #[arg(long, default_value = "NSE:NIFTY 50")]
    pub instrument: String,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Ready.
    Ok,
    /// Works, but something deserves attention.
    Warn,
    /// Not ready: live trading would fail.
    Fail,
}

/// One line of the checklist.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// The outcome.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (empty when nothing).
    pub fix: String,
}

/// One line of the checklist.
pub(crate) fn check(name: &'static str, status: Status, detail: String, fix: &str) -> Check {
    Check {
        name,
        status,
        detail,
        fix: fix.to_string(),
    }
}

/// The funds line of the checklist.
pub(crate) fn funds_check(funds: &crate::broker::BrokerFunds) -> Check {
    check(
        "funds",
        Status::Ok,
        format!(
            "available ₹{}, in use ₹{}",
            funds.available.normalize(),
            funds.used.normalize()
        ),
        "",
    )
}

/// The clock line: the broker's `Date` header (RFC 7231 form) against `local`; `fix` is what to
/// say when they differ.
pub(crate) fn clock_check(date: Option<String>, local: DateTime<Utc>, fix: &str) -> Check {
    match date.and_then(|d| DateTime::parse_from_rfc2822(&d).ok()) {
        Some(server) => {
            let skew = (server.with_timezone(&Utc) - local).num_seconds();
            check(
                "clock",
                skew_status(skew),
                format!("the broker's clock is {skew:+} s from this machine's (1 s resolution)"),
                if skew_status(skew) == Status::Ok {
                    ""
                } else {
                    fix
                },
            )
        }
        None => check(
            "clock",
            Status::Warn,
            "the broker's answer has no Date header to compare with".into(),
            "make sure this machine's clock is synchronised (NTP)",
        ),
    }
}

/// One class's window use, e.g. `orders 3/200 per 60 s, 3/3000 per 86400 s`.
pub(crate) fn usage_text(class: &str, usage: &[crate::net::rate_limit::WindowUse]) -> String {
    let parts: Vec<String> = usage
        .iter()
        .map(|w| {
            format!(
                "{}/{} per {} s",
                w.used,
                w.window.limit,
                w.window.length.as_secs()
            )
        })
        .collect();
    if parts.is_empty() {
        class.to_string()
    } else {
        format!("{class} {}", parts.join(", "))
    }
}

/// The credentials line: `found` names the variables set, else the error and `fix`. Returns
/// the credentials when they were read (the later checks need them).
pub(crate) fn credentials_check<C>(
    out: &mut Vec<Check>,
    read: Result<C, impl std::fmt::Display>,
    found: &str,
    fix: &str,
) -> Option<C> {
    match read {
        Ok(c) => {
            out.push(check("credentials", Status::Ok, found.into(), ""));
            Some(c)
        }
        Err(e) => {
            out.push(check("credentials", Status::Fail, e.to_string(), fix));
            None
        }
    }
}

/// The token-cache line: the resolved directory, or a warning naming the `key` that sets it.
pub(crate) fn token_cache_check(cache: &str, key: &str) -> Check {
    if cache.is_empty() {
        check(
            "token cache",
            Status::Warn,
            "no cache directory: the session cannot be kept between runs".into(),
            &format!("set XDG_CACHE_HOME or HOME, or {key}"),
        )
    } else {
        check(
            "token cache",
            Status::Ok,
            format!("{cache} (directory 0700, token 0600)"),
            "",
        )
    }
}

/// What the quote line says when the quote falls short, per broker.
pub(crate) struct QuoteAdvice {
    /// Whether a quote without open interest deserves a warning.
    pub wants_oi: bool,
    /// Appended to the list of missing fields.
    pub missing_note: &'static str,
    /// The fix when fields are missing.
    pub missing_fix: &'static str,
    /// The fix when the broker returned no usable quote.
    pub none_fix: &'static str,
    /// The fix when the call failed.
    pub error_fix: &'static str,
}

/// The quote line for `instrument` from the broker's answer: its last price, with a warning
/// listing the fields (depth, volume, OI when `advice.wants_oi`) the quote lacks.
pub(crate) fn quote_check(
    instrument: &str,
    quotes: Result<Vec<crate::broker::BrokerQuote>, impl std::fmt::Display>,
    advice: &QuoteAdvice,
) -> Check {
    match quotes {
        Ok(q) if !q.is_empty() => {
            let q = &q[0];
            let missing: Vec<&str> = [
                ("bid/ask depth", q.bid.is_none() || q.ask.is_none()),
                ("volume", q.volume.is_none()),
                ("open interest", advice.wants_oi && q.oi.is_none()),
            ]
            .iter()
            .filter(|(_, m)| *m)
            .map(|(n, _)| *n)
            .collect();
            if missing.is_empty() {
                check(
                    "quote",
                    Status::Ok,
                    format!("{instrument} last {}", q.ltp.normalize()),
                    "",
                )
            } else {
                check(
                    "quote",
                    Status::Warn,
                    format!(
                        "{instrument} last {}; the quote carries no {}{}",
                        q.ltp.normalize(),
                        missing.join(", "),
                        advice.missing_note
                    ),
                    advice.missing_fix,
                )
            }
        }
        Ok(_) => check(
            "quote",
            Status::Fail,
            format!("the broker returned no usable quote for {instrument}"),
            advice.none_fix,
        ),
        Err(e) => check("quote", Status::Fail, e.to_string(), advice.error_fix),
    }
}

/// The instrument-list line `name`: `(instruments, options)` listed (`prefix` before the
/// counts), a warning when no option is listed.
pub(crate) fn instruments_check(
    name: &'static str,
    prefix: &str,
    listed: Result<(usize, usize), impl std::fmt::Display>,
) -> Check {
    match listed {
        Ok((total, options)) => check(
            name,
            if options > 0 {
                Status::Ok
            } else {
                Status::Warn
            },
            format!("{prefix}{total} instruments, {options} options"),
            if options > 0 {
                ""
            } else {
                "no options listed: live option trading has nothing to trade"
            },
        ),
        Err(e) => check(
            name,
            Status::Fail,
            e.to_string(),
            "retry later; the instrument list is needed for lot sizes and symbols",
        ),
    }
}

/// The rate-limits line: the configured limits `above` the broker's figures (`figures`, e.g.
/// "the broker's figures"), else what this check `used`; `fix` names the key to lower.
pub(crate) fn rate_limits_check(
    above: &[String],
    used: &[String],
    figures: &str,
    fix: &str,
) -> Check {
    if above.is_empty() {
        check(
            "rate limits",
            Status::Ok,
            format!("within {figures}; used by this check: {}", used.join("; ")),
            "",
        )
    } else {
        check("rate limits", Status::Fail, above.join("; "), fix)
    }
}

/// Classifies the broker's clock minus this machine's, seconds.
pub fn skew_status(skew_seconds: i64) -> Status {
    match skew_seconds.abs() {
        s if s <= SKEW_OK_SECONDS => Status::Ok,
        s if s < SKEW_FAIL_SECONDS => Status::Warn,
        _ => Status::Fail,
    }
}

/// Configured rate limits above the broker's published figures, as `key value > broker`.
pub fn limits_above_broker(l: &RateLimitsConfig) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v, broker) in [
        ("orders_per_second", l.orders_per_second, 30.0),
        ("orders_per_minute", f64::from(l.orders_per_minute), 250.0),
        ("orders_per_hour", f64::from(l.orders_per_hour), 1000.0),
        ("quotes_per_second", l.quotes_per_second, 1.0),
        ("quotes_per_minute", f64::from(l.quotes_per_minute), 1000.0),
        ("quotes_per_hour", f64::from(l.quotes_per_hour), 5000.0),
    ] {
        if v > broker {
            out.push(format!("{k} {v} > the broker's {broker}"));
        }
    }
    out
}

/// Runs `doctor`.
pub fn run(args: DoctorArgs) -> anyhow::Result<ExitCode> {
    let cfg = match broker_config(&args.broker)? {
        Ok(c) => c,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let checks = match chosen_kind(&args.broker, &cfg) {
        BrokerKind::Mstock => diagnose(cfg.mstock, &args.instrument),
        BrokerKind::Kite => super::doctor_kite::diagnose(cfg.kite, &args.instrument),
        BrokerKind::Paper => {
            eprintln!("error: broker.kind is paper: nothing to check; pass --broker mstock or --broker kite");
            return Ok(ExitCode::from(EXIT_INVALID));
        }
    };
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    if args.broker.json {
        let rows: Vec<serde_json::Value> = checks
            .iter()
            .map(|c| {
                serde_json::json!({"check": c.name, "status": format!("{:?}", c.status).to_lowercase(),
                    "detail": c.detail, "fix": c.fix})
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else {
        for c in &checks {
            let mark = match c.status {
                Status::Ok => "[ok]  ",
                Status::Warn => "[warn]",
                Status::Fail => "[FAIL]",
            };
            println!("{mark} {}: {}", c.name, c.detail);
            if !c.fix.is_empty() {
                println!("       fix: {}", c.fix);
            }
        }
        println!(
            "{}",
            if failed {
                "not ready for live trading"
            } else {
                "ready for live trading"
            }
        );
    }
    Ok(if failed {
        ExitCode::from(EXIT_FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

/// Runs every check in order; later checks that need a session are skipped (failed) when
/// there is none.
fn diagnose(cfg: alphastock_core::config::MstockConfig, instrument: &str) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(credentials) = credentials_check(
        &mut out,
        Credentials::from_env(),
        "MSTOCK_API_KEY, MSTOCK_API_SECRET, MSTOCK_USERNAME, MSTOCK_PASSWORD set",
        "export the MSTOCK_* variables (see the README's mStock section)",
    ) else {
        return out;
    };
    let totp = credentials.totp_secret.is_some();
    let cfg = effective_config(cfg, |k| std::env::var(k).ok());
    let limits = cfg.rate_limits.clone();
    let cache = cfg.token_cache_dir.clone();
    let mut client = MstockClient::new(cfg, credentials);
    client.set_interactive(false);
    out.push(token_cache_check(&cache, "broker.mstock.token_cache_dir"));

    // Login (today's cached token, or TOTP); never prompts.
    match client.ensure_session() {
        Ok(()) => out.push(check(
            "login",
            Status::Ok,
            format!(
                "session for {} held{}",
                today_ist(),
                if totp { " (TOTP available)" } else { "" }
            ),
            if totp {
                ""
            } else {
                "set MSTOCK_TOTP_SECRET so an expired session can be renewed unattended"
            },
        )),
        Err(e) => {
            out.push(check(
                "login",
                Status::Fail,
                e.to_string(),
                "run `alphastock login`, or set MSTOCK_TOTP_SECRET",
            ));
            return out;
        }
    }
    if !totp {
        if let Some(last) = out.last_mut() {
            last.status = Status::Warn;
        }
    }

    // Funds, and the broker's clock from the same answer.
    let req = Request::get(FUNDS_PATH);
    let funds = client.call(limits::OTHER, Idempotency::Read, &req, |raw| {
        let funds = parse_funds(&json_data(raw)?)?;
        Ok((funds, raw.date.clone()))
    });
    let local = Utc::now();
    match funds {
        Ok((funds, date)) => {
            out.push(funds_check(&funds));
            out.push(clock_check(
                date,
                local,
                "synchronise this machine's clock (NTP): TOTP codes and market-hour checks depend on it",
            ));
        }
        Err(e) => out.push(check(
            "funds",
            Status::Fail,
            e.to_string(),
            if e.is_api_key_error() {
                "the API key is refused: check MSTOCK_API_KEY and the static IP registered for it"
            } else {
                "check the account and the broker's status"
            },
        )),
    }

    // One quote.
    match instrument.split_once(':').and_then(|(e, s)| {
        Some(InstrumentKey {
            exchange: e.parse().ok()?,
            trading_symbol: s.to_string(),
        })
    }) {
        None => out.push(check(
            "quote",
            Status::Fail,
            format!("{instrument:?} is not EXCHANGE:TRADINGSYMBOL"),
            "pass --instrument like NSE:SBIN",
        )),
        Some(key) => out.push(quote_check(
            instrument,
            client.quotes(
                std::slice::from_ref(&key),
                crate::mstock::clock::IstClock::system().now(),
            ),
            &QuoteAdvice {
                wants_oi: true,
                missing_note: "",
                missing_fix: "options without OI/volume/depth fail non-zero liquidity filters (unknown is not zero)",
                none_fix: "check the instrument's spelling against the script master",
                error_fix: "check the market-data entitlement of the API key",
            },
        )),
    }

    // The script master.
    let listed = client.script_master(today_ist()).map(|records| {
        let options = records
            .iter()
            .filter(|r| r.option_contract().is_some())
            .count();
        (records.len(), options)
    });
    out.push(instruments_check("script master", "", listed));

    // Static IP: the broker offers no read-only way to ask.
    out.push(check(
        "static IP",
        Status::Warn,
        "not reported by the broker's read-only calls; orders from an unregistered address are refused with APIKeyException (reported, never retried)".into(),
        "make sure this machine's public IP is the one registered for the API key at mStock",
    ));

    // Rate limits: the configuration against the broker's figures, and what this check used.
    let above = limits_above_broker(&limits);
    let used: Vec<String> = limits::ALL
        .iter()
        .map(|c| usage_text(c.name(), &client.rate_usage(*c)))
        .collect();
    out.push(rate_limits_check(
        &above,
        &used,
        "the broker's figures",
        "lower broker.mstock.rate_limits to the broker's published figures",
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_skew_and_limits_are_classified() {
        assert_eq!(skew_status(0), Status::Ok);
        assert_eq!(skew_status(-2), Status::Ok);
        assert_eq!(skew_status(3), Status::Warn);
        assert_eq!(skew_status(-29), Status::Warn);
        assert_eq!(skew_status(30), Status::Fail);
        assert!(limits_above_broker(&RateLimitsConfig::default()).is_empty());
        let l = RateLimitsConfig {
            quotes_per_second: 2.0,
            orders_per_minute: 300,
            ..RateLimitsConfig::default()
        };
        assert_eq!(
            limits_above_broker(&l),
            vec![
                "orders_per_minute 300 > the broker's 250",
                "quotes_per_second 2 > the broker's 1"
            ]
        );
    }
}
