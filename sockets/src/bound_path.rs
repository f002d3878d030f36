//! The file a Unix domain socket creates when it binds to a path. As in
//! .NET, the socket that created it removes it when it closes, so that the
//! path can be bound again; only if the file is still that socket's (the
//! same device and inode), never one that replaced it.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub(crate) struct BoundPath {
    path: PathBuf,
    device: u64,
    inode: u64,
    removed: AtomicBool,
}

impl BoundPath {
    /// The file `bind` just created at `path`, if it can be looked at.
    pub(crate) fn created(path: &Path) -> Option<BoundPath> {
        let metadata = fs::symlink_metadata(path).ok()?;
        Some(BoundPath {
            path: path.to_path_buf(),
            device: metadata.dev(),
            inode: metadata.ino(),
            removed: AtomicBool::new(false),
        })
    }

    /// Removes the file (once) if it is still the one the socket created.
    pub(crate) fn remove(&self) {
        if self.removed.swap(true, Ordering::AcqRel) {
            return;
        }
        let ours = fs::symlink_metadata(&self.path)
            .is_ok_and(|now| now.dev() == self.device && now.ino() == self.inode);
        if ours {
            let _ = fs::remove_file(&self.path);
        }
    }

    /// Keeps the file: the descriptor went to another owner.
    pub(crate) fn keep(&self) {
        self.removed.store(true, Ordering::Release);
    }
}

impl Drop for BoundPath {
    fn drop(&mut self) {
        self.remove();
    }
}
