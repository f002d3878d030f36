//! FTP: a passive-mode client (RFC 959, with RFC 2428 `EPSV` and RFC 3659
//! `SIZE`/`MDTM`), blocking ([`FtpClient`]) and asynchronous
//! ([`AsyncFtpClient`]).
//!
//! - [`reply`]: the sans-IO part — [`ReplyParser`]
//!   (multi-line replies, bounded lines) and the parsers of the values
//!   replies carry (`PASV`/`EPSV` ports, `SIZE`, `MDTM`, `PWD`).
//! - `session` (private): each operation as a conversation of commands and
//!   expected replies, shared by both clients, so they behave the same.
//! - [`FtpClient`] / [`AsyncFtpClient`]: login (user and password, or
//!   anonymous), `TYPE I`, `CWD`/`PWD`, `SIZE`, `MDTM`, `RETR` (with `REST`
//!   to resume) as a reader, `STOR` from a reader, `LIST`/`NLST`, `DELE`,
//!   `MKD`/`RMD`, `QUIT`.
//! - [`FtpUrl`]: the server, login and path of an `ftp://` URL, checked
//!   against command injection; `connect_url` connects, logs in and sets
//!   the transfer type from one.
//! - [`FtpOptions`]: timeouts (connect, each read and write), limits, resolver.
//! - [`FtpError`]: negative replies sorted by meaning
//!   ([`LoginDenied`](FtpError::LoginDenied), [`FileUnavailable`](FtpError::FileUnavailable),
//!   [`ServiceNotAvailable`](FtpError::ServiceNotAvailable), [`Rejected`](FtpError::Rejected)),
//!   timeouts, malformed replies, transport failures.
//!
//! Data connections are passive only: `EPSV` first, and `PASV` for the
//! rest of the session once a server refuses `EPSV`. The data connection
//! always goes to the control connection's peer — the address in a 227
//! reply is ignored (as curl does by default), which defeats FTP bounce
//! and works behind NAT. Arguments containing CR, LF or NUL are refused,
//! so a path cannot inject a command. A download reads the transfer's
//! final reply when its data ends, so a transfer cut short is an error.
//!
//! ```no_run
//! use std::io::Read;
//! use std::time::Duration;
//! use protocols::ftp::{FtpClient, FtpError, FtpOptions};
//!
//! let options = FtpOptions::new().timeout(Some(Duration::from_secs(10)));
//! let mut ftp = FtpClient::connect("127.0.0.1", 2121, &options)?;
//! ftp.login("alice", "secret")?;
//! ftp.binary()?;
//! ftp.stor("hello.txt", &mut &b"hello, world"[..])?;
//! let mut download = ftp.retr_from("hello.txt", 7)?; // resume at byte 7
//! let mut tail = String::new();
//! download.read_to_string(&mut tail)?;
//! assert_eq!(tail, "world");
//! match ftp.retr("missing.txt") {
//!     Err(FtpError::FileUnavailable { code, .. }) => assert_eq!(code, 550),
//!     other => panic!("{other:?}"),
//! }
//! ftp.quit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod async_client;
mod data_connection;
mod error;
mod options;
pub mod reply;
mod session;
mod sync_client;
mod url;

pub use async_client::{AsyncFtpClient, AsyncFtpDownload};
pub use error::{FtpError, Result};
pub use options::FtpOptions;
pub use reply::{Reply, ReplyParser};
pub use sync_client::{FtpClient, FtpDownload};
pub use url::FtpUrl;
