//! Logging in to Kite: the user opens the login page (`{login_url}?v=3&api_key=..`), signs in,
//! and pastes the `request_token` Kite appends to the app's redirect URL; the client exchanges
//! it at `POST /session/token` with `checksum` = hex SHA-256 of api_key + request_token +
//! api_secret (the SDK's `generate_session`). The access token is cached in a private file
//! until 06:00 IST the next day, when Kite expires every session (Kite Connect v3 docs, "User",
//! read December 2026).

use std::path::PathBuf;

use chrono::{Duration, NaiveTime, TimeZone};
use serde_json::Value;
use sha2::{Digest, Sha256};

use alphastock_core::market::{IstTime, IST};

use super::client::KiteClient;
use crate::net::cache_dir::TokenFile;
use crate::net::http::{json_data, Method, Request};
use crate::net::{ApiError, Secret};

/// Route exchanging the request token for an access token.
pub const SESSION_TOKEN_PATH: &str = "session/token";
/// File name of the cached session in the cache directory.
pub const TOKEN_FILE: &str = "kite-session.json";

/// The login page a user opens: `{login_url}?v=3&api_key={api_key}` (the SDK's
/// `login_url()`).
pub fn login_page(login_url: &str, api_key: &Secret) -> String {
    format!("{login_url}?v=3&api_key={}", api_key.expose())
}

/// The session checksum: lower-case hex SHA-256 of `api_key + request_token + api_secret`.
pub fn checksum(api_key: &Secret, request_token: &str, api_secret: &Secret) -> String {
    let mut h = Sha256::new();
    h.update(api_key.expose().as_bytes());
    h.update(request_token.as_bytes());
    h.update(api_secret.expose().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// When a session made at `at` expires: the next 06:00 IST after it.
pub fn expiry_after(at: IstTime) -> IstTime {
    let six = NaiveTime::from_hms_opt(6, 0, 0).unwrap_or(NaiveTime::MIN);
    let today = IST
        .from_local_datetime(&at.date_naive().and_time(six))
        .single();
    match today {
        Some(t) if t > at => t,
        Some(t) => t + Duration::days(1),
        None => at + Duration::hours(24),
    }
}

/// The cached access token and when it expires, in one private file.
#[derive(Debug, Clone)]
pub struct TokenCache {
    file: TokenFile,
}

impl TokenCache {
    /// A cache in `dir` (created on first store).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            file: TokenFile::new(dir, TOKEN_FILE),
        }
    }

    /// The token file's path.
    pub fn path(&self) -> PathBuf {
        self.file.path()
    }

    /// The stored token when it is still valid at `now`.
    pub fn load(&self, now: IstTime) -> Option<Secret> {
        let (v, token) = self.file.read()?;
        let until = chrono::DateTime::parse_from_rfc3339(v.get("valid_until")?.as_str()?).ok()?;
        (now < until).then(|| Secret::new(token))
    }

    /// Stores `token`, made at `at`, valid until [`expiry_after`] it: mode 0600 in a 0700
    /// directory; never in the working directory.
    pub fn store(&self, at: IstTime, token: &Secret) -> Result<PathBuf, ApiError> {
        let body = serde_json::json!({
            "valid_until": expiry_after(at).to_rfc3339(),
            "access_token": token.expose(),
        });
        self.file.write(&body)
    }

    /// Deletes the stored token.
    pub fn clear(&self) {
        self.file.clear();
    }
}

impl KiteClient {
    /// Exchanges `request_token` for an access token (sent once), caches it and returns the
    /// cache file's path and the user id Kite names.
    pub fn login(&mut self, request_token: &str) -> Result<(PathBuf, String), ApiError> {
        let request_token = request_token.trim();
        if request_token.is_empty() {
            return Err(ApiError::Session("no request_token given".to_string()));
        }
        let c = &self.credentials;
        let sum = checksum(&c.api_key, request_token, &c.api_secret);
        let req = Request::form(
            Method::Post,
            SESSION_TOKEN_PATH,
            vec![
                ("api_key", c.api_key.clone()),
                ("request_token", Secret::new(request_token)),
                ("checksum", Secret::new(sum)),
            ],
        );
        let (token, user) = self.call_unauthenticated(&req, |raw| {
            let data = json_data(raw)?;
            let token = data
                .get("access_token")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(Secret::new)
                .ok_or_else(|| {
                    ApiError::Malformed("session answer has no data.access_token".to_string())
                })?;
            let user = data
                .get("user_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            Ok((token, user))
        })?;
        self.access_token = Some(token.clone());
        tracing::info!("logged in to Kite");
        let path = self.token_cache().store(self.now(), &token)?;
        Ok((path, user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_sha256_of_key_token_and_secret() {
        // Independent value: `printf %s key1reqtok1secret1 | sha256sum`.
        let sum = checksum(&Secret::new("key1"), "reqtok1", &Secret::new("secret1"));
        assert_eq!(sum, EXPECTED_CHECKSUM);
        assert_eq!(
            login_page(
                "https://kite.zerodha.com/connect/login",
                &Secret::new("abc")
            ),
            "https://kite.zerodha.com/connect/login?v=3&api_key=abc"
        );
    }

    const EXPECTED_CHECKSUM: &str =
        "eebd2b66575f48f068ec6be99b0467b632da24f0d271a694e0f522b3f0f95b83";

    #[test]
    fn a_session_lasts_until_six_the_next_morning() {
        let at = |d, h, m| IST.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap();
        assert_eq!(expiry_after(at(1, 8, 30)), at(2, 6, 0));
        assert_eq!(expiry_after(at(1, 23, 59)), at(2, 6, 0));
        assert_eq!(expiry_after(at(2, 5, 0)), at(2, 6, 0));
        assert_eq!(expiry_after(at(2, 6, 0)), at(3, 6, 0));
    }

    #[test]
    fn the_cached_token_is_private_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::new(dir.path().join("c"));
        let at = |d, h| IST.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap();
        let path = cache.store(at(1, 9), &Secret::new("tok")).unwrap();
        assert_eq!(cache.load(at(1, 15)), Some(Secret::new("tok")));
        assert_eq!(cache.load(at(2, 5)), Some(Secret::new("tok")));
        assert_eq!(cache.load(at(2, 6)), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        cache.clear();
        assert_eq!(cache.load(at(1, 15)), None);
    }
}
