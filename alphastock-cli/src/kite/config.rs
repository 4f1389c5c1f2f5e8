//! The Kite client's environment: credentials (`KITE_API_KEY`, `KITE_API_SECRET`, never
//! logged), the `KITE_BASE_URL` and `KITE_LOGIN_URL` overrides, and the effective
//! `broker.kite` settings.

use alphastock_core::config::KiteConfig;

use crate::mstock::credentials::MissingCredential;
use crate::net::cache_dir::effective_cache_dir;
use crate::net::http::effective_base_url;
use crate::net::Secret;

/// Environment variable holding the Kite Connect API key.
pub const ENV_API_KEY: &str = "KITE_API_KEY";
/// Environment variable holding the Kite Connect API secret.
pub const ENV_API_SECRET: &str = "KITE_API_SECRET";
/// Optional environment variable overriding the API base URL.
pub const ENV_BASE_URL: &str = "KITE_BASE_URL";
/// Optional environment variable overriding the login page URL.
pub const ENV_LOGIN_URL: &str = "KITE_LOGIN_URL";
/// Kite's login page (`_default_login_uri` of the SDK's `connect.py`).
pub const DEFAULT_LOGIN_URL: &str = "https://kite.zerodha.com/connect/login";

/// The API key and secret of a Kite Connect app.
#[derive(Debug, Clone)]
pub struct KiteCredentials {
    /// `KITE_API_KEY`.
    pub api_key: Secret,
    /// `KITE_API_SECRET` (only the login checksum uses it).
    pub api_secret: Secret,
}

impl KiteCredentials {
    /// Reads the credentials from the process environment.
    pub fn from_env() -> Result<Self, MissingCredential> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the credentials through `lookup`; empty values count as missing and the first
    /// missing variable is named.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, MissingCredential> {
        let get = |name: &'static str| match lookup(name) {
            Some(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
            _ => Err(MissingCredential(name)),
        };
        Ok(Self {
            api_key: get(ENV_API_KEY)?,
            api_secret: get(ENV_API_SECRET)?,
        })
    }
}

/// The names of the required Kite variables that `lookup` does not give (for `config check`).
pub fn missing_variables(lookup: impl Fn(&str) -> Option<String>) -> Vec<&'static str> {
    [ENV_API_KEY, ENV_API_SECRET]
        .into_iter()
        .filter(|n| lookup(n).is_none_or(|v| v.trim().is_empty()))
        .collect()
}

/// `cfg` with `KITE_BASE_URL` replacing `base_url` when set, the base URL without a trailing
/// slash, and an empty `token_cache_dir` replaced by the platform cache directory (left empty
/// when none is known).
pub fn effective_config(
    mut cfg: KiteConfig,
    lookup: impl Fn(&str) -> Option<String>,
) -> KiteConfig {
    cfg.base_url = effective_base_url(&cfg.base_url, ENV_BASE_URL, &lookup);
    cfg.token_cache_dir = effective_cache_dir(&cfg.token_cache_dir, &lookup);
    cfg
}

/// The login page URL: `KITE_LOGIN_URL` when set, else Kite's.
pub fn login_url(lookup: impl Fn(&str) -> Option<String>) -> String {
    lookup(ENV_LOGIN_URL)
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_LOGIN_URL.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_overrides_come_from_the_environment() {
        let env = |k: &str| match k {
            "KITE_API_KEY" => Some("key1".to_string()),
            "KITE_BASE_URL" => Some("http://127.0.0.1:9/".to_string()),
            "HOME" => Some("/home/t".to_string()),
            _ => None,
        };
        let err = KiteCredentials::from_lookup(env).unwrap_err();
        assert_eq!(err, MissingCredential("KITE_API_SECRET"));
        assert_eq!(missing_variables(env), vec!["KITE_API_SECRET"]);
        assert_eq!(
            missing_variables(|_| None),
            vec!["KITE_API_KEY", "KITE_API_SECRET"]
        );
        let cfg = effective_config(KiteConfig::default(), env);
        assert_eq!(cfg.base_url, "http://127.0.0.1:9");
        assert_eq!(cfg.token_cache_dir, "/home/t/.cache/alphastock");
        let cfg = effective_config(KiteConfig::default(), |_| None);
        assert_eq!(cfg.base_url, "https://api.kite.trade");
        assert_eq!(
            login_url(|_| None),
            "https://kite.zerodha.com/connect/login"
        );
        assert_eq!(
            login_url(|k| (k == "KITE_LOGIN_URL").then(|| "http://127.0.0.1:9/login".into())),
            "http://127.0.0.1:9/login"
        );
        let both = KiteCredentials::from_lookup(|k| Some(format!("v-{k}"))).unwrap();
        assert!(!format!("{both:?}").contains("v-KITE"));
    }
}
