//! Logging in: password then OTP (asked on the terminal), or a TOTP computed from
//! `MSTOCK_TOTP_SECRET`; the access token is cached for the day in a file only the user can
//! read (mode 0600), and renewed once when the broker answers 403 `TokenException`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use chrono::NaiveDate;
use serde_json::Value;

use alphastock_core::market::IST;

use super::cache_dir::TokenFile;
use super::client::MstockClient;
use super::credentials::Secret;
use super::error::MstockError;
use super::http::{json_data, Method, Request};
use super::totp::totp_now;

/// Route of the password step.
pub const LOGIN_PATH: &str = "openapi/typea/connect/login";
/// Route exchanging an OTP for an access token.
pub const SESSION_TOKEN_PATH: &str = "openapi/typea/session/token";
/// Route exchanging a TOTP for an access token.
pub const VERIFY_TOTP_PATH: &str = "openapi/typea/session/verifytotp";

/// The `checksum` form field of the OTP session call: the literal `L`.
///
/// The broker's documentation describes a checksum, but the official SDK sends whatever its
/// caller passes (`tradingapi_a/mconnect.py`, `generate_session`) and every public client seen
/// sends the literal `"L"`; the broker accepts it. A SHA-256 of key, OTP and secret (what this
/// client used to send) is not what the SDK sends, so the SDK wins.
pub const SESSION_CHECKSUM: &str = "L";

/// Today's date in IST (the trading day a token belongs to).
pub fn today_ist() -> NaiveDate {
    chrono::Utc::now().with_timezone(&IST).date_naive()
}

/// File name of the day's cached session in the cache directory.
pub const TOKEN_FILE: &str = "mstock-session.json";

/// The day's access-token file in a directory.
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

    /// The token stored for `day`, if any (a token from another day is ignored).
    pub fn load(&self, day: NaiveDate) -> Option<Secret> {
        let (v, token) = self.file.read()?;
        (v.get("date")?.as_str()? == day.to_string()).then(|| Secret::new(token))
    }

    /// Stores `token` for `day` in a file readable only by the user, in a directory only the
    /// user can open (mode 0700, created when missing). An empty directory path (no cache
    /// directory could be found) is an error: the token is never written to the working
    /// directory.
    pub fn store(&self, day: NaiveDate, token: &Secret) -> Result<PathBuf, MstockError> {
        let body = serde_json::json!({"date": day.to_string(), "access_token": token.expose()});
        self.file.write(&body)
    }

    /// Deletes the stored token.
    pub fn clear(&self) {
        self.file.clear();
    }
}

/// Reads the OTP from the terminal (prompt on stderr).
pub fn prompt_otp() -> Result<String, MstockError> {
    eprint!("Enter the OTP mStock sent to your phone/e-mail: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| MstockError::Session(format!("cannot read the OTP: {e}")))?;
    let otp = line.trim().to_string();
    if otp.is_empty() {
        return Err(MstockError::Session("no OTP entered".to_string()));
    }
    Ok(otp)
}

fn access_token(data: &Value) -> Result<Secret, MstockError> {
    data.get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(Secret::new)
        .ok_or_else(|| MstockError::Malformed("login answer has no data.access_token".to_string()))
}

impl MstockClient {
    /// The token cache in the resolved `token_cache_dir` (see [`super::cache_dir`]).
    pub fn token_cache(&self) -> TokenCache {
        TokenCache::new(&self.cfg.token_cache_dir)
    }

    /// Logs in with the TOTP computed from `MSTOCK_TOTP_SECRET` at `unix_seconds`.
    pub fn login_totp(&mut self, unix_seconds: u64) -> Result<(), MstockError> {
        let secret = self
            .credentials
            .totp_secret
            .clone()
            .ok_or_else(|| MstockError::Session("MSTOCK_TOTP_SECRET is not set".to_string()))?;
        let code = totp_now(secret.expose(), unix_seconds)
            .map_err(|e| MstockError::Session(e.to_string()))?;
        let req = Request::form(
            Method::Post,
            VERIFY_TOTP_PATH,
            vec![
                ("api_key", self.credentials.api_key.clone()),
                ("totp", Secret::new(code)),
            ],
        );
        let token = self.call_unauthenticated(&req, |raw| access_token(&json_data(raw)?))?;
        self.access_token = Some(token);
        tracing::info!("logged in to mStock with TOTP");
        Ok(())
    }

    /// Sends user name and password; the broker then sends an OTP to the user.
    pub fn request_otp(&mut self) -> Result<(), MstockError> {
        let req = Request::form(
            Method::Post,
            LOGIN_PATH,
            vec![
                ("username", self.credentials.username.clone()),
                ("password", self.credentials.password.clone()),
            ],
        );
        self.call_unauthenticated(&req, json_data)?;
        Ok(())
    }

    /// Exchanges the OTP (the request token) for an access token.
    pub fn complete_login(&mut self, otp: &str) -> Result<(), MstockError> {
        let c = &self.credentials;
        let req = Request::form(
            Method::Post,
            SESSION_TOKEN_PATH,
            vec![
                ("api_key", c.api_key.clone()),
                ("request_token", Secret::new(otp)),
                ("checksum", Secret::new(SESSION_CHECKSUM)),
            ],
        );
        let token = self.call_unauthenticated(&req, |raw| access_token(&json_data(raw)?))?;
        self.access_token = Some(token);
        tracing::info!("logged in to mStock with OTP");
        Ok(())
    }

    /// A full login: TOTP when `MSTOCK_TOTP_SECRET` is set, else password + OTP from `otp`.
    /// The token is cached for today. Returns the cache file's path.
    pub fn login(
        &mut self,
        otp: &mut dyn FnMut() -> Result<String, MstockError>,
    ) -> Result<PathBuf, MstockError> {
        if self.credentials.totp_secret.is_some() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            self.login_totp(now)?;
        } else {
            self.request_otp()?;
            let code = otp()?;
            self.complete_login(&code)?;
        }
        let token = self
            .access_token
            .clone()
            .ok_or_else(|| MstockError::Session("login gave no token".to_string()))?;
        self.token_cache().store(today_ist(), &token)
    }

    /// Makes sure a token is held: today's cached one, or a fresh non-interactive login (TOTP),
    /// or an interactive one when allowed and a terminal is attached.
    pub fn ensure_session(&mut self) -> Result<(), MstockError> {
        if self.access_token.is_some() {
            return Ok(());
        }
        if let Some(token) = self.token_cache().load(today_ist()) {
            self.access_token = Some(token);
            return Ok(());
        }
        self.relogin()
    }

    /// Logs in again without a cached token.
    pub(crate) fn relogin(&mut self) -> Result<(), MstockError> {
        self.token_cache().clear();
        let can_prompt = self.interactive && std::io::stdin().is_terminal();
        if self.credentials.totp_secret.is_none() && !can_prompt {
            return Err(MstockError::Session(
                "no valid session for today and no way to get an OTP here: set MSTOCK_TOTP_SECRET or run `alphastock login`"
                    .to_string(),
            ));
        }
        self.login(&mut prompt_otp).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_cache_is_per_day_and_private() {
        let dir = std::env::temp_dir().join(format!("alphastock-token-{}", std::process::id()));
        let cache = TokenCache::new(&dir);
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let path = cache.store(day, &Secret::new("tok")).unwrap();
        assert_eq!(cache.load(day), Some(Secret::new("tok")));
        assert_eq!(cache.load(day.succ_opt().unwrap()), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        cache.clear();
        assert_eq!(cache.load(day), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
