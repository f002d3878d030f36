//! FTP: a passive-mode client (RFC 959, with RFC 2428 `EPSV` and RFC 3659
//! `SIZE`/`MDTM`), blocking ([`FtpClient`]) and asynchronous
//! ([`AsyncFtpClient`]).
//!
//! - [`reply`]: the sans-IO part — [`ReplyParser`]
//!   (multi-line replies, bounded lines) and the parsers of the values
//!   replies carry (`PASV`/`EPSV` ports, `SIZE`, `MDTM`, `PWD`).
//! - `session`, `conversations`, `operation` (private): each call as a
//!   conversation of commands and expected replies, run as one sans-IO
//!   step machine that both clients carry out, so they behave the same.
//! - [`FtpClient`] / [`AsyncFtpClient`]: login (user and password, or
//!   anonymous), `TYPE I`, `CWD`/`PWD`, `SIZE`, `MDTM`, `RETR` (with `REST`
//!   to resume) as a reader, `STOR` from a reader, `LIST`/`NLST`, `DELE`,
//!   `MKD`/`RMD`, `QUIT`.
//! - [`FtpUrl`]: the server, login and path of an `ftp://` URL, checked
//!   against command injection; `connect_url` connects, logs in and sets
//!   the transfer type from one.
//! - [`FtpOptions`]: timeouts (connect, each read and write), limits, resolver.
//! - [`Error`]: negative replies sorted by meaning
//!   ([`LoginDenied`](Error::LoginDenied), [`FileUnavailable`](Error::FileUnavailable),
//!   [`ServiceNotAvailable`](Error::ServiceNotAvailable), [`Rejected`](Error::Rejected)),
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
//! How a call travels: each public method makes one operation, a state
//! machine that hands its client one step at a time (send this command
//! line, read into this buffer, open the data connection, move data) and
//! takes back what came of it; [`FtpClient`] carries the steps out with
//! blocking calls, [`AsyncFtpClient`] as futures:
//!
//! ```text
//!  Operation::new ─► [Receive: an abandoned transfer's final reply]
//!    ─► Send ─► Receive ─► … (the conversation judges each reply)
//!    transfers: ─► Connect (data) ─► Send RETR/LIST/STOR ─► Receive 1yz
//!      LIST/NLST: ─► ReadData … until its end ─► Receive the final reply
//!      STOR:      ─► ReadSource ─► WriteData … ─► CloseData ─► Receive the final reply
//!      RETR:      ─► Done (the download reads the data, then runs the final reply)
//!    ─► Done(output)
//! ```
//!
//! ```no_run
//! use std::io::Read;
//! use std::time::Duration;
//! use netstack::protocols::ftp::{FtpClient, Error, FtpOptions};
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
//!     Err(Error::FileUnavailable { code, .. }) => assert_eq!(code, 550),
//!     other => panic!("{other:?}"),
//! }
//! ftp.quit()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod async_client;
mod conversations;
mod data_connection;
mod error;
mod operation;
mod options;
pub mod reply;
mod session;
mod sync_client;
mod url;

pub use async_client::{AsyncFtpClient, AsyncFtpDownload};
pub use error::{Error, Result};
pub use options::FtpOptions;
pub use reply::{Reply, ReplyParser};
pub use sync_client::{FtpClient, FtpDownload};
pub use url::FtpUrl;
