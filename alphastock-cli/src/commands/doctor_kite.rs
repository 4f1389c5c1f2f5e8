//! `alphastock doctor --broker kite`: the read-only checklist for Kite Connect — credentials,
//! token cache, the cached session (Kite's lasts until 06:00 IST; it cannot be renewed without
//! the browser), funds with the broker's clock, one full quote (depth, volume, OI), the NFO
//! instrument list and the rate limits. It never places, modifies or cancels an order.

use chrono::Utc;

use alphastock_core::config::{KiteConfig, KiteRateLimitsConfig};

use super::doctor::{
    check, clock_check, credentials_check, funds_check, instruments_check, quote_check,
    rate_limits_check, token_cache_check, usage_text, Check, QuoteAdvice, Status,
};
use super::quote::parse_instrument;
use crate::kite::client::LOGIN_HINT;
use crate::kite::orders::{parse_margins, MARGINS_PATH};
use crate::kite::{config as kite_config, limits, KiteClient, KiteCredentials};
use crate::net::http::{json_data, Request};
use crate::net::pipeline::{Idempotency, SessionCalls};

/// Configured Kite limits above Kite's published figures, as `key value > Kite's N`.
pub fn limits_above_kite(l: &KiteRateLimitsConfig) -> Vec<String> {
    let published = KiteRateLimitsConfig::default();
    let mut out = Vec::new();
    for (k, v, broker) in [
        (
            "quotes_per_second",
            l.quotes_per_second,
            published.quotes_per_second,
        ),
        (
            "historical_per_second",
            l.historical_per_second,
            published.historical_per_second,
        ),
        (
            "orders_per_second",
            l.orders_per_second,
            published.orders_per_second,
        ),
        (
            "orders_per_minute",
            f64::from(l.orders_per_minute),
            f64::from(published.orders_per_minute),
        ),
        (
            "orders_per_day",
            f64::from(l.orders_per_day),
            f64::from(published.orders_per_day),
        ),
        (
            "other_per_second",
            l.other_per_second,
            published.other_per_second,
        ),
        (
            "modifications_per_order",
            f64::from(l.modifications_per_order),
            f64::from(published.modifications_per_order),
        ),
    ] {
        if v > broker {
            out.push(format!("{k} {v} > Kite's {broker}"));
        }
    }
    out
}

/// Runs every Kite check in order; the checks that need a session fail when there is none.
pub fn diagnose(cfg: KiteConfig, instrument: &str) -> Vec<Check> {
    let mut out = Vec::new();
    let Some(credentials) = credentials_check(
        &mut out,
        KiteCredentials::from_env(),
        "KITE_API_KEY, KITE_API_SECRET set",
        "export KITE_API_KEY and KITE_API_SECRET (see the README's broker section)",
    ) else {
        return out;
    };
    let cfg = kite_config::effective_config(cfg, |k| std::env::var(k).ok());
    let limits_cfg = cfg.rate_limits.clone();
    let cache = cfg.token_cache_dir.clone();
    let mut client = KiteClient::new(cfg, credentials);
    out.push(token_cache_check(&cache, "broker.kite.token_cache_dir"));
    if let Err(e) = client.ensure_session() {
        out.push(check("login", Status::Fail, e.to_string(), LOGIN_HINT));
        return out;
    }
    out.push(check(
        "login",
        Status::Ok,
        "cached session held (valid until 06:00 IST)".into(),
        "",
    ));

    // Funds, and the broker's clock from the same answer.
    let req = Request::get(MARGINS_PATH);
    let funds = client.call(limits::OTHER, Idempotency::Read, &req, |raw| {
        Ok((parse_margins(&json_data(raw)?)?, raw.date.clone()))
    });
    let local = Utc::now();
    match funds {
        Ok((funds, date)) => {
            out.push(funds_check(&funds));
            out.push(clock_check(
                date,
                local,
                "synchronise this machine's clock (NTP): market-hour checks depend on it",
            ));
        }
        Err(e) => {
            let fix = if e.is_token_expired() || matches!(e, crate::net::ApiError::Session(_)) {
                LOGIN_HINT
            } else {
                "check the account and the broker's status"
            };
            out.push(check("funds", Status::Fail, e.to_string(), fix));
        }
    }

    // One full quote.
    match parse_instrument(instrument) {
        Err(e) => out.push(check(
            "quote",
            Status::Fail,
            e,
            "pass --instrument like NSE:SBIN",
        )),
        Ok(key) => {
            let now = client.now();
            out.push(quote_check(
                instrument,
                client.quotes(std::slice::from_ref(&key), now),
                &QuoteAdvice {
                    wants_oi: false,
                    missing_note: " (outside market hours a side of the book can be empty)",
                    missing_fix: "",
                    none_fix: "check the instrument's spelling against Kite's instrument list",
                    error_fix: "check the market-data subscription of the Kite Connect app",
                },
            ));
        }
    }

    // The NFO list.
    let today = client.now().date_naive();
    let listed = client
        .instruments(alphastock_core::market::Exchange::Nfo, today)
        .map(|records| {
            let options = records
                .iter()
                .filter(|r| r.option_contract().is_some())
                .count();
            (records.len(), options)
        });
    out.push(instruments_check("instruments", "NFO: ", listed));

    // Rate limits.
    let above = limits_above_kite(&limits_cfg);
    let pipeline = client.pipeline_ref();
    let used: Vec<String> = pipeline
        .classes()
        .into_iter()
        .map(|c| usage_text(c.name(), &pipeline.rate_usage(c)))
        .collect();
    out.push(rate_limits_check(
        &above,
        &used,
        "Kite's figures",
        "lower broker.kite.rate_limits to Kite's published figures",
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_above_kites_figures_are_named() {
        assert!(limits_above_kite(&KiteRateLimitsConfig::default()).is_empty());
        let l = KiteRateLimitsConfig {
            quotes_per_second: 2.0,
            orders_per_day: 5000,
            ..KiteRateLimitsConfig::default()
        };
        assert_eq!(
            limits_above_kite(&l),
            vec![
                "quotes_per_second 2 > Kite's 1",
                "orders_per_day 5000 > Kite's 3000"
            ]
        );
    }
}
