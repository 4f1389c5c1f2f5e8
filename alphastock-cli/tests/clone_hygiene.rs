//! Running the program from a clone leaves nothing for `git status` to show: the session token
//! goes to the platform cache directory (0700 directory, 0600 file), and the repository's
//! `.gitignore` covers every file the program may write in its working directory.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::fake_mstock::FakeMstock;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git must be installed to run this test");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh repository holding the project's own `.gitignore`, committed.
fn clone_like(root: &Path) -> PathBuf {
    let repo = root.join("clone");
    std::fs::create_dir_all(&repo).unwrap();
    let ignore = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.gitignore");
    std::fs::copy(&ignore, repo.join(".gitignore")).unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", ".gitignore"]);
    git(
        &repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "commit",
            "-qm",
            "ignore",
        ],
    );
    assert_eq!(git(&repo, &["status", "--porcelain", "--ignored=no"]), "");
    repo
}

#[test]
fn a_quote_run_from_a_clone_leaves_git_status_clean_and_the_token_private() {
    let server = FakeMstock::start();
    let root = tempfile::tempdir().unwrap();
    let repo = clone_like(root.path());
    let home = root.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_alphastock"))
        .args(["quote", "NSE:SBIN"])
        .current_dir(&repo)
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", &home)
        .envs(server.login_env())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("812.35"));
    // Nothing new in the clone, not even an ignored file.
    assert_eq!(git(&repo, &["status", "--porcelain", "--ignored"]), "");
    // The token is in the platform cache directory, private.
    let cache = home.join(".cache").join("alphastock");
    let token = cache.join("mstock-session.json");
    assert!(token.is_file(), "no token at {}", token.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cache), 0o700);
        assert_eq!(mode(&token), 0o600);
    }
}

#[test]
fn the_gitignore_covers_every_file_the_program_may_write_in_a_clone() {
    let root = tempfile::tempdir().unwrap();
    let repo = clone_like(root.path());
    // Journals (default names and SQLite side files), the correlation table, backtest reports,
    // caches of older versions or of a token_cache_dir set beside the config.
    for f in [
        "alphastock.db",
        "alphastock.db-wal",
        "alphastock.db-shm",
        "alphastock.db-journal",
        "alphastock-paper.db",
        "correlation_table.json",
        "reports/report.html",
        ".alphastock/mstock-session.json",
        ".alphastock/scriptmaster-2026-12-01.csv",
        "cache/mstock-session.json",
        "cache/scriptmaster-2026-12-01.csv",
    ] {
        let p = repo.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "x").unwrap();
    }
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    // The check itself can fail: an unlisted file shows.
    std::fs::write(repo.join("notes.txt"), "x").unwrap();
    assert_eq!(git(&repo, &["status", "--porcelain"]), "?? notes.txt\n");
}
