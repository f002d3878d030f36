//! A fresh temporary directory per test.

use std::path::{Path, PathBuf};

/// A fresh, empty directory under [`std::env::temp_dir`] (made by
/// `tempfile`), removed with everything in it on drop. Its name starts
/// with `netstack-test-` and the given name, then a random suffix, so no
/// two tests, in this process or another, share one.
#[derive(Debug)]
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// Creates `netstack-test-{name}-…`; fails the test if it cannot.
    pub fn new(name: &str) -> TempDir {
        let prefix = format!("netstack-test-{name}-");
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temporary directory {prefix}…: {e}"));
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// The path of `name` inside the directory.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.path().join(name)
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
