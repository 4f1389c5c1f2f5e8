//! The last call of each rate-limited endpoint class, remembered across runs.
//!
//! A broker counts calls per API key, not per process (Kite's quote window is one request a
//! second, Kite Connect v3 documentation, rate limits, read 3 December 2026; see
//! [`crate::kite::limits`]): a run restarted within a second of its last quote would otherwise
//! send two quote calls less than a second apart. The pipeline writes the wall-clock time of each
//! class's last call to `{broker}-rate-windows.json` in the private cache directory (mode 0600,
//! like the token) and seeds its limiter from it at start. A missing file is a first run; an
//! unreadable or corrupt one is reported with a warning and ignored, never fatal.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::cache_dir::ensure_private_dir;

/// The file of `broker`'s last calls, inside the cache directory.
pub fn file_name(broker: &str) -> String {
    format!("{broker}-rate-windows.json")
}

/// The remembered last calls of one broker link: endpoint class name → milliseconds since the
/// Unix epoch (wall-clock time, UTC).
#[derive(Debug, Clone)]
pub struct RateMemory {
    dir: PathBuf,
    path: PathBuf,
    /// False after a failed write (warned once): the run goes on without remembering.
    writable: bool,
}

impl RateMemory {
    /// The memory of `broker` (e.g. `kite`) in the cache directory `dir`.
    pub fn new(dir: &Path, broker: &str) -> Self {
        Self {
            dir: dir.to_path_buf(),
            path: dir.join(file_name(broker)),
            writable: true,
        }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How long ago (from `now`) each class last called, by class name. Empty when the file
    /// is missing; a file that cannot be read or parsed is reported and counts as empty. A
    /// time after `now` (the clock was set back) counts as a call just now.
    pub fn since_last(&self, now: SystemTime) -> BTreeMap<String, Duration> {
        let now_ms = epoch_ms(now);
        self.read()
            .into_iter()
            .map(|(class, at)| (class, Duration::from_millis(now_ms.saturating_sub(at))))
            .collect()
    }

    /// Records a call of `class` at `at`: the file is read again and only raised, so two
    /// processes sharing the directory keep each other's later calls. A failed write is
    /// reported once; later calls are then not remembered.
    pub fn record(&mut self, class: &str, at: SystemTime) {
        if !self.writable {
            return;
        }
        let mut all = self.read();
        let at = epoch_ms(at);
        let entry = all.entry(class.to_string()).or_insert(at);
        *entry = (*entry).max(at);
        if let Err(e) = self.write(&all) {
            tracing::warn!(file = %self.path.display(), error = %e,
                "cannot remember the last broker call for the next run's rate limits");
            self.writable = false;
        }
    }

    fn read(&self) -> BTreeMap<String, u64> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BTreeMap::new(),
            Err(e) => {
                tracing::warn!(file = %self.path.display(), error = %e,
                    "cannot read the last broker calls; rate limits start afresh");
                return BTreeMap::new();
            }
        };
        match serde_json::from_str::<BTreeMap<String, u64>>(&text) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(file = %self.path.display(), error = %e,
                    "the last broker calls file is corrupt; ignored, rate limits start afresh");
                BTreeMap::new()
            }
        }
    }

    fn write(&self, all: &BTreeMap<String, u64>) -> Result<(), String> {
        ensure_private_dir(&self.dir).map_err(|e| e.to_string())?;
        let text = serde_json::to_string(all).map_err(|e| e.to_string())?;
        // Written in place, not synced: a torn file reads as corrupt, which is harmless.
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&self.path).map_err(|e| e.to_string())?;
        f.write_all(text.as_bytes()).map_err(|e| e.to_string())
    }
}

/// Milliseconds since the Unix epoch (0 before it).
fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_remembered_per_class_and_only_raised() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        let t0 = UNIX_EPOCH + Duration::from_secs(1_764_650_000);
        let mut m = RateMemory::new(&cache, "kite");
        assert!(m.since_last(t0).is_empty(), "no file: a first run");
        m.record("quote", t0);
        m.record("orders", t0 + Duration::from_millis(300));
        // Another process's earlier call does not lower a later one.
        RateMemory::new(&cache, "kite").record("quote", t0 - Duration::from_secs(5));
        let ago = RateMemory::new(&cache, "kite").since_last(t0 + Duration::from_millis(400));
        assert_eq!(ago["quote"], Duration::from_millis(400));
        assert_eq!(ago["orders"], Duration::from_millis(100));
        // A clock set back: the call counts as just now.
        assert_eq!(
            m.since_last(t0 - Duration::from_secs(1))["quote"],
            Duration::ZERO
        );
        // Each broker has its own file.
        assert!(RateMemory::new(&cache, "mstock").since_last(t0).is_empty());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(m.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_corrupt_or_unreadable_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = UNIX_EPOCH + Duration::from_secs(1_764_650_000);
        let mut m = RateMemory::new(dir.path(), "kite");
        std::fs::write(m.path(), "{\"quote\": 17646").unwrap();
        assert!(m.since_last(t0).is_empty());
        // Recording over it repairs it.
        m.record("quote", t0);
        assert_eq!(m.since_last(t0)["quote"], Duration::ZERO);
        // A directory where the file should be: warned, ignored, nothing panics.
        let blocked = dir.path().join("blocked");
        std::fs::create_dir_all(blocked.join(file_name("kite"))).unwrap();
        let mut m = RateMemory::new(&blocked, "kite");
        assert!(m.since_last(t0).is_empty());
        m.record("quote", t0);
        m.record("quote", t0);
    }
}
