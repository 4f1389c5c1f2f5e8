//! Where a broker client keeps its access token and instrument list: the platform cache
//! directory, never the working directory (a token written into a clone could be committed).
//!
//! A broker's `token_cache_dir` (`broker.mstock.token_cache_dir`, `broker.kite.token_cache_dir`)
//! empty (the default) means `$XDG_CACHE_HOME/alphastock`, else `$HOME/.cache/alphastock` (the
//! XDG Base Directory default). A non-empty value is used as given. The directory is created with mode 0700 (owner only); files in it are written 0600.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::ApiError;

/// Environment variable naming the user's cache directory (XDG Base Directory).
pub const ENV_XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
/// Environment variable naming the user's home directory.
pub const ENV_HOME: &str = "HOME";
/// Name of the program's directory inside the cache directory.
pub const APP_DIR: &str = "alphastock";

/// The cache directory for `configured` (the `token_cache_dir` setting), with environment
/// variables read through `lookup`. `None` when it is empty and neither `XDG_CACHE_HOME` nor
/// `HOME` gives an absolute path (relative values are ignored, as the XDG specification says).
pub fn resolve_cache_dir(
    configured: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Option<PathBuf> {
    let configured = configured.trim();
    if !configured.is_empty() {
        return Some(PathBuf::from(configured));
    }
    let absolute = |name: &str| {
        lookup(name)
            .map(|v| PathBuf::from(v.trim()))
            .filter(|p| p.is_absolute())
    };
    if let Some(xdg) = absolute(ENV_XDG_CACHE_HOME) {
        return Some(xdg.join(APP_DIR));
    }
    absolute(ENV_HOME).map(|home| home.join(".cache").join(APP_DIR))
}

/// [`resolve_cache_dir`] as text, empty when no directory is known (then nothing is cached).
pub fn effective_cache_dir(configured: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    resolve_cache_dir(configured, lookup)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Creates `dir` (and its parents) and sets its own mode to 0700 on Unix, so only the user can
/// list or read the token in it.
pub fn ensure_private_dir(dir: &Path) -> Result<(), ApiError> {
    if dir.as_os_str().is_empty() {
        return Err(ApiError::Local(format!(
            "no cache directory: set {ENV_XDG_CACHE_HOME} or {ENV_HOME}, or the broker's token_cache_dir"
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| ApiError::Local(format!("cannot create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| ApiError::Local(format!("cannot make {} private: {e}", dir.display())))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` with mode 0600 (owner read/write only) on Unix.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()
}

/// A broker's access-token file in the cache directory: a JSON object with `access_token`
/// and the broker's own validity field, mode 0600 in a 0700 directory.
#[derive(Debug, Clone)]
pub struct TokenFile {
    dir: PathBuf,
    name: &'static str,
}

impl TokenFile {
    /// The file `name` in the cache directory `dir` (created on first write; an empty `dir`
    /// means no cache directory is known, and nothing is read or written).
    pub fn new(dir: impl Into<PathBuf>, name: &'static str) -> Self {
        Self {
            dir: dir.into(),
            name,
        }
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(self.name)
    }

    /// The stored JSON and its non-empty `access_token`; `None` when no directory is set, or
    /// the file is missing, unreadable or holds no token.
    pub fn read(&self) -> Option<(serde_json::Value, String)> {
        if self.dir.as_os_str().is_empty() {
            return None;
        }
        let text = std::fs::read_to_string(self.path()).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        let token = v.get("access_token")?.as_str()?.to_string();
        (!token.is_empty()).then_some((v, token))
    }

    /// Writes `body` ([`ensure_private_dir`], [`write_private`]); never in the working
    /// directory: an empty directory is an error. Returns the file's path.
    pub fn write(&self, body: &serde_json::Value) -> Result<PathBuf, ApiError> {
        ensure_private_dir(&self.dir)?;
        let path = self.path();
        write_private(&path, body.to_string().as_bytes())
            .map_err(|e| ApiError::Local(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }

    /// Deletes the file.
    pub fn clear(&self) {
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_file(self.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn platform_cache_directory_unless_configured() {
        let both = [("XDG_CACHE_HOME", "/x/cache"), ("HOME", "/home/u")];
        assert_eq!(
            resolve_cache_dir("", env(&both)),
            Some(PathBuf::from("/x/cache/alphastock"))
        );
        assert_eq!(
            resolve_cache_dir("", env(&[("HOME", "/home/u")])),
            Some(PathBuf::from("/home/u/.cache/alphastock"))
        );
        // A relative XDG_CACHE_HOME is ignored (XDG Base Directory specification).
        assert_eq!(
            resolve_cache_dir("", env(&[("XDG_CACHE_HOME", "rel"), ("HOME", "/home/u")])),
            Some(PathBuf::from("/home/u/.cache/alphastock"))
        );
        assert_eq!(resolve_cache_dir("", env(&[("HOME", "rel")])), None);
        assert_eq!(resolve_cache_dir("  ", env(&[])), None);
        assert_eq!(
            resolve_cache_dir("/srv/tok", env(&both)),
            Some(PathBuf::from("/srv/tok"))
        );
    }

    #[test]
    fn the_directory_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("a").join("alphastock");
        ensure_private_dir(&d).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&d).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        assert!(ensure_private_dir(Path::new("")).is_err());
    }
}
