//! The flags that shape what a transfer writes, as curl's do: `-D`,
//! `--create-dirs`, `--fail-with-body` and `--limit-rate`.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Failure;

/// The output flags (flattened into `FetchArgs`).
#[derive(Args, Debug)]
pub struct OutputFlags {
    /// Write the response heads to FILE (`-`: stdout) exactly as received,
    /// those of the redirects followed with -L first.
    #[arg(short = 'D', long = "dump-header", value_name = "FILE")]
    pub dump_header: Option<PathBuf>,
    /// Create the missing directories of -o's FILE.
    #[arg(long = "create-dirs")]
    pub create_dirs: bool,
    /// Exit with code 22 on an HTTP error status (400 or more), still writing the body.
    #[arg(long = "fail-with-body")]
    pub fail_with_body: bool,
    /// Read the body no faster than RATE bytes per second on average (`k`,
    /// `m`, `g` after the number: KiB, MiB, GiB); a read piece, at most
    /// 256 KiB, may come at once.
    #[arg(long = "limit-rate", value_name = "RATE")]
    pub limit_rate: Option<String>,
}

/// Checks flags that exclude each other (with `-f`: `fail`).
pub fn check(flags: &OutputFlags, fail: bool) -> Result<(), Failure> {
    if fail && flags.fail_with_body {
        return Err(Failure::new(
            2,
            "choose either --fail or --fail-with-body, not both",
        ));
    }
    if let Some(rate) = &flags.limit_rate {
        super::rate_limit::parse(rate)?;
    }
    Ok(())
}

/// Creates the parent directories of `path` when `--create-dirs` asks for them.
pub fn prepare(flags: &OutputFlags, path: &Path) -> Result<(), Failure> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) if flags.create_dirs => std::fs::create_dir_all(parent).map_err(|e| {
            Failure::new(
                23,
                format!("--create-dirs: cannot create {}: {e}", parent.display()),
            )
        }),
        _ => Ok(()),
    }
}
