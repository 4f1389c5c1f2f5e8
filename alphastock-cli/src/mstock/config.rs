//! The client's effective settings: the `broker.mstock` config section with the
//! `MSTOCK_BASE_URL` environment override applied.

use alphastock_core::config::MstockConfig;

use super::credentials::ENV_BASE_URL;

/// `cfg` with `MSTOCK_BASE_URL` (looked up through `lookup`) replacing `base_url` when set,
/// and the base URL normalised to end without a slash.
pub fn effective_config(
    mut cfg: MstockConfig,
    lookup: impl Fn(&str) -> Option<String>,
) -> MstockConfig {
    if let Some(url) = lookup(ENV_BASE_URL).filter(|u| !u.trim().is_empty()) {
        cfg.base_url = url.trim().to_string();
    }
    cfg.base_url = cfg.base_url.trim_end_matches('/').to_string();
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
}
