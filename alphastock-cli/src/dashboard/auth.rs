//! Who may use the dashboard: loopback without a token; anything else only with one, compared
//! in constant time.

use std::net::SocketAddr;

use anyhow::{bail, Result};
use tiny_http::Request;

/// Refuses to listen beyond this machine without an access token.
pub fn check_listen(addr: &SocketAddr, token: Option<&str>) -> Result<()> {
    if addr.ip().is_loopback() || token.is_some_and(|t| !t.is_empty()) {
        return Ok(());
    }
    bail!(
        "the dashboard would listen on {addr}, beyond this machine, without an access token: set the variable dashboard.token_env names (default ALPHASTOCK_DASHBOARD_TOKEN), or listen on 127.0.0.1"
    )
}

/// True when `presented` is exactly `expected` (time independent of where they differ).
pub fn token_matches(expected: &str, presented: Option<&str>) -> bool {
    let Some(p) = presented else {
        return false;
    };
    let (a, b) = (expected.as_bytes(), p.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(!x));
    }
    diff == 0 && !expected.is_empty()
}

/// The token a request carries: `Authorization: Bearer TOKEN`, else `token=` in the query.
pub(super) fn presented_token(req: &Request, query: &str) -> Option<String> {
    let bearer = req
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .and_then(|h| h.value.as_str().strip_prefix("Bearer ").map(str::to_string));
    bearer.or_else(|| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(percent_decoded)
    })
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' => {
                match (
                    bytes.get(i + 1).and_then(|b| hex(*b)),
                    bytes.get(i + 2).and_then(|b| hex(*b)),
                ) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_needs_no_token_and_anything_else_does() {
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(check_listen(&local, None).is_ok());
        assert!(check_listen(&"[::1]:8080".parse().unwrap(), None).is_ok());
        let err = check_listen(&any, None).unwrap_err().to_string();
        assert!(err.contains("ALPHASTOCK_DASHBOARD_TOKEN"), "{err}");
        assert!(check_listen(&any, Some("")).is_err());
        assert!(check_listen(&any, Some("s3cret")).is_ok());
    }

    #[test]
    fn tokens_match_only_exactly() {
        assert!(token_matches("abc", Some("abc")));
        assert!(!token_matches("abc", Some("abd")));
        assert!(!token_matches("abc", Some("ab")));
        assert!(!token_matches("abc", Some("abcd")));
        assert!(!token_matches("abc", None));
        assert!(!token_matches("", Some("")));
        assert_eq!(percent_decoded("a%2Bb+c%zz"), "a+b c%zz");
    }
}
