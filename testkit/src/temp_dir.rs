//! A fresh temporary directory per test.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh, empty directory under [`std::env::temp_dir`], removed (with
/// everything in it) on drop. Its name holds the given name, the process
/// id and a counter, so no two tests, in this process or another, share one.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `netstack-test-{name}-{pid}-{n}`; fails the test if it cannot.
    pub fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "netstack-test-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        // A directory left by an earlier process with the same id.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path of `name` inside the directory.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::TempDir;

    #[test]
    fn each_directory_is_fresh_and_removed_on_drop() {
        let (one, two) = (TempDir::new("kit"), TempDir::new("kit"));
        assert_ne!(one.path(), two.path());
        assert!(one.path().starts_with(std::env::temp_dir()));
        std::fs::write(one.join("file"), "x").unwrap();
        let path = one.path().to_path_buf();
        drop(one);
        assert!(!path.exists());
        assert!(two.path().is_dir());
    }
}
