//! The client's effective settings: the `broker.mstock` config section with the
//! `MSTOCK_BASE_URL` environment override applied and the cache directory resolved.

use alphastock_core::config::MstockConfig;

use super::cache_dir::effective_cache_dir;
use super::credentials::ENV_BASE_URL;
use super::http::effective_base_url;

/// `cfg` with `MSTOCK_BASE_URL` (looked up through `lookup`) replacing `base_url` when set,
/// the base URL normalised to end without a slash, and an empty `token_cache_dir` replaced by
/// the platform cache directory ([`resolve_cache_dir`](crate::net::cache_dir::resolve_cache_dir); it stays empty, and nothing is cached,
/// when neither `XDG_CACHE_HOME` nor `HOME` is set).
pub fn effective_config(
    mut cfg: MstockConfig,
    lookup: impl Fn(&str) -> Option<String>,
) -> MstockConfig {
    cfg.base_url = effective_base_url(&cfg.base_url, ENV_BASE_URL, &lookup);
    cfg.token_cache_dir = effective_cache_dir(&cfg.token_cache_dir, &lookup);
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_base_url() {
        let cfg = effective_config(MstockConfig::default(), |_| None);
        assert_eq!(cfg.base_url, "https://api.mstock.trade");
        let cfg = effective_config(MstockConfig::default(), |k| {
            (k == "MSTOCK_BASE_URL").then(|| "http://127.0.0.1:9/".to_string())
        });
        assert_eq!(cfg.base_url, "http://127.0.0.1:9");
    }

    #[test]
    fn the_default_cache_is_the_platform_cache_directory() {
        let cfg = effective_config(MstockConfig::default(), |k| {
            (k == "HOME").then(|| "/home/trader".to_string())
        });
        assert_eq!(cfg.token_cache_dir, "/home/trader/.cache/alphastock");
        let explicit = MstockConfig {
            token_cache_dir: "/var/lib/alphastock".into(),
            ..MstockConfig::default()
        };
        let cfg = effective_config(explicit, |_| Some("/ignored".to_string()));
        assert_eq!(cfg.token_cache_dir, "/var/lib/alphastock");
        let cfg = effective_config(MstockConfig::default(), |_| None);
        assert_eq!(cfg.token_cache_dir, "");
    }
}
