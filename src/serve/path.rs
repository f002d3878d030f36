//! From a request's URL path to a file under the served directory, never
//! outside it.

use std::io;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// Why a URL path is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not an absolute path, or its percent-encoding is not UTF-8: `400`.
    Malformed,
    /// A `..` segment (plain or encoded), an encoded `/` or `\`, a NUL,
    /// or a target outside the directory (through a symbolic link): `403`.
    Forbidden,
    /// Nothing there: `404`.
    NotFound,
}

/// The URL path as relative path segments: percent-decoded one segment at
/// a time, empty and `.` segments dropped, anything that could climb out
/// of the served directory refused.
pub fn sanitize(url_path: &str) -> Result<PathBuf, Refused> {
    let rest = url_path.strip_prefix('/').ok_or(Refused::Malformed)?;
    let mut relative = PathBuf::new();
    for raw in rest.split('/') {
        let segment = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| Refused::Malformed)?;
        match &*segment {
            "" | "." => {}
            ".." => return Err(Refused::Forbidden),
            s if s.contains(['/', '\\', '\0']) => return Err(Refused::Forbidden),
            s => relative.push(s),
        }
    }
    Ok(relative)
}

/// The real path of `relative` under `root` (which must be canonical),
/// symbolic links resolved; refused when it leaves `root`.
pub fn resolve(root: &Path, relative: &Path) -> Result<PathBuf, Refused> {
    let real = root
        .join(relative)
        .canonicalize()
        .map_err(|e| match e.kind() {
            io::ErrorKind::PermissionDenied => Refused::Forbidden,
            _ => Refused::NotFound,
        })?;
    if real.starts_with(root) {
        Ok(real)
    } else {
        Err(Refused::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_encoded_paths_become_relative_paths() {
        assert_eq!(sanitize("/"), Ok(PathBuf::new()));
        assert_eq!(sanitize("/a/b.txt"), Ok(PathBuf::from("a/b.txt")));
        assert_eq!(sanitize("//a/./b//"), Ok(PathBuf::from("a/b")));
        assert_eq!(
            sanitize("/with%20space/%C3%A9t%C3%A9"),
            Ok(PathBuf::from("with space/été"))
        );
        // `...` and names starting with dots are names, not traversal.
        assert_eq!(sanitize("/.../..x"), Ok(PathBuf::from(".../..x")));
    }

    #[test]
    fn traversal_is_forbidden_in_every_spelling() {
        for path in [
            "/..",
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E/etc/passwd",
            "/.%2e/x",
            "/a/%2e%2e%2f%2e%2e/etc",
            "/..%2fetc",
            "/%2fetc/passwd",
            "/..%5c..%5cwindows",
            "/a%00b",
        ] {
            assert_eq!(sanitize(path), Err(Refused::Forbidden), "{path}");
        }
    }

    #[test]
    fn malformed_paths_are_refused() {
        assert_eq!(sanitize("etc/passwd"), Err(Refused::Malformed));
        assert_eq!(sanitize("*"), Err(Refused::Malformed));
        assert_eq!(sanitize(""), Err(Refused::Malformed));
        assert_eq!(sanitize("/%ff%fe"), Err(Refused::Malformed));
    }

    #[test]
    fn resolve_stays_inside_the_root() {
        let base = std::env::temp_dir().join(format!("netstack-serve-path-{}", std::process::id()));
        let root = base.join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/file"), b"x").unwrap();
        std::fs::write(base.join("secret"), b"s").unwrap();
        let root = root.canonicalize().unwrap();
        assert_eq!(
            resolve(&root, Path::new("sub/file")),
            Ok(root.join("sub/file"))
        );
        assert_eq!(resolve(&root, Path::new("missing")), Err(Refused::NotFound));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.join("secret"), root.join("out")).unwrap();
            std::os::unix::fs::symlink(root.join("sub/file"), root.join("in")).unwrap();
            assert_eq!(resolve(&root, Path::new("out")), Err(Refused::Forbidden));
            assert_eq!(resolve(&root, Path::new("in")), Ok(root.join("sub/file")));
        }
        std::fs::remove_dir_all(&base).unwrap();
    }
}
