//! Credentials for the mStock API, read only from environment variables and held as
//! [`Secret`]s, which keep them out of logs and debug output.

pub use crate::net::secret::Secret;

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "MSTOCK_API_KEY";
/// Environment variable holding the API secret.
pub const ENV_API_SECRET: &str = "MSTOCK_API_SECRET";
/// Environment variable holding the login user name (client code).
pub const ENV_USERNAME: &str = "MSTOCK_USERNAME";
/// Environment variable holding the login password.
pub const ENV_PASSWORD: &str = "MSTOCK_PASSWORD";
/// Optional environment variable holding the base32 TOTP secret (RFC 6238).
pub const ENV_TOTP_SECRET: &str = "MSTOCK_TOTP_SECRET";
/// Optional environment variable overriding the API base URL.
pub const ENV_BASE_URL: &str = "MSTOCK_BASE_URL";

/// A required credential variable is unset or empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("environment variable {0} is not set; broker credentials come only from the environment")]
pub struct MissingCredential(pub &'static str);

/// Everything needed to log in. Every field is a [`Secret`] except the user name, which is not
/// secret but is still kept out of logs.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `MSTOCK_API_KEY`.
    pub api_key: Secret,
    /// `MSTOCK_API_SECRET`.
    pub api_secret: Secret,
    /// `MSTOCK_USERNAME`.
    pub username: Secret,
    /// `MSTOCK_PASSWORD`.
    pub password: Secret,
    /// `MSTOCK_TOTP_SECRET`, base32; when absent the login asks for the OTP sent by SMS/e-mail.
    pub totp_secret: Option<Secret>,
}

impl Credentials {
    /// Reads the credentials from the process environment.
    pub fn from_env() -> Result<Self, MissingCredential> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the credentials through `lookup` (the environment, or a map in tests). Empty values
    /// count as missing; the first missing variable is named.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, MissingCredential> {
        let get = |name: &'static str| -> Result<Secret, MissingCredential> {
            match lookup(name) {
                Some(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
                _ => Err(MissingCredential(name)),
            }
        };
        Ok(Self {
            api_key: get(ENV_API_KEY)?,
            api_secret: get(ENV_API_SECRET)?,
            username: get(ENV_USERNAME)?,
            password: get(ENV_PASSWORD)?,
            totp_secret: get(ENV_TOTP_SECRET).ok(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_secrets() {
        let c = Credentials::from_lookup(|k| Some(format!("value-of-{k}"))).unwrap();
        let dbg = format!("{c:?} {}", c.api_secret);
        assert!(!dbg.contains("value-of"), "{dbg}");
        assert!(dbg.contains("***"));
        assert_eq!(c.api_key.expose(), "value-of-MSTOCK_API_KEY");
    }

    #[test]
    fn missing_variable_is_named() {
        let err =
            Credentials::from_lookup(|k| (k != ENV_PASSWORD).then(|| "x".to_string())).unwrap_err();
        assert_eq!(err, MissingCredential("MSTOCK_PASSWORD"));
        assert!(err.to_string().contains("MSTOCK_PASSWORD"));
        let ok = Credentials::from_lookup(|k| (k != ENV_TOTP_SECRET).then(|| "x".to_string()));
        assert!(ok.unwrap().totp_secret.is_none());
    }
}
