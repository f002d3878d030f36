//! [`Error`]: what can go wrong talking to an FTP server. Negative
//! replies are sorted by meaning (login, file, service) so callers can act
//! on them without knowing reply codes.

use super::reply::{Reply, ReplyError};

/// An FTP client failure. Each message starts with `ftp:` and names the cause.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The transport below failed: connect, or a read or write on the
    /// control or data connection (the message names the layer below).
    #[error("ftp: {0}")]
    Transport(#[from] transport::Error),
    /// Reading the caller's upload source failed.
    #[error("ftp: reading the upload source failed: {0}")]
    Io(#[from] std::io::Error),
    /// A wait passed its timeout (connect, a reply, data).
    #[error("ftp: timed out waiting for {phase}")]
    Timeout {
        /// What was being waited for ("the control connection", "a reply", "data", …).
        phase: &'static str,
    },
    /// The server refused the login (530 and friends: wrong user or password,
    /// an account needed, or a command sent before logging in).
    #[error("ftp: login denied ({code} {message})")]
    LoginDenied {
        /// The reply code.
        code: u16,
        /// The reply text.
        message: String,
    },
    /// The file or directory is missing or not accessible (450, 550, 551, 553).
    #[error("ftp: file unavailable ({code} {message})")]
    FileUnavailable {
        /// The reply code.
        code: u16,
        /// The reply text.
        message: String,
    },
    /// The server is closing the control connection (421): busy, shutting
    /// down, or an idle timeout on its side.
    #[error("ftp: service not available ({message})")]
    ServiceNotAvailable {
        /// The reply text.
        message: String,
    },
    /// Any other reply the command did not expect.
    #[error("ftp: the server answered {command} with {code} {message}")]
    Rejected {
        /// The command, as sent (a password shown as `****`).
        command: String,
        /// The reply code.
        code: u16,
        /// The reply text.
        message: String,
    },
    /// Control-connection bytes that are not a valid reply, or a reply
    /// value (port, size, time) that cannot be read.
    #[error(transparent)]
    MalformedReply(#[from] ReplyError),
    /// The server broke the protocol otherwise: it closed the control
    /// connection, or a transfer ended short of its announced size.
    #[error("ftp: {0}")]
    Protocol(String),
    /// A file read whole into memory is larger than the limit
    /// ([`FtpOptions::max_to_vec_size`](super::FtpOptions::max_to_vec_size)).
    #[error("ftp: the file is larger than the {limit}-byte limit for reading it into memory")]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// An argument that cannot be sent (a CR, LF or NUL in a path or
    /// name would inject a command), or an option out of range.
    #[error("ftp: invalid input: {0}")]
    InvalidInput(String),
    /// A URL this client cannot fetch (not `ftp:`, no host, …).
    #[error("ftp: unsupported URL: {0}")]
    UnsupportedUrl(String),
    /// An earlier failure (a timeout, a malformed reply, a closed
    /// connection, a cancelled future) left the control connection out of
    /// step: connect again.
    #[error("ftp: the control connection is unusable after an earlier failure; reconnect")]
    Broken,
}

impl Error {
    /// True when a wait passed its timeout.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport(e) => e.is_timeout(),
            _ => false,
        }
    }

    /// The reply code, when the server answered with a negative reply.
    pub fn reply_code(&self) -> Option<u16> {
        match self {
            Error::LoginDenied { code, .. }
            | Error::FileUnavailable { code, .. }
            | Error::Rejected { code, .. } => Some(*code),
            Error::ServiceNotAvailable { .. } => Some(421),
            _ => None,
        }
    }

    /// The error for a negative (or unexpected) `reply` to `command`.
    pub(crate) fn from_reply(command: &str, reply: &Reply) -> Error {
        let message = reply.message();
        let code = reply.code;
        match code {
            421 => Error::ServiceNotAvailable { message },
            530 | 532 => Error::LoginDenied { code, message },
            450 | 550 | 551 | 553 => Error::FileUnavailable { code, message },
            _ => Error::Rejected {
                command: command.to_string(),
                code,
                message,
            },
        }
    }

    /// A transport failure during `phase`: a timeout becomes [`Error::Timeout`].
    pub(crate) fn transport(error: transport::Error, phase: &'static str) -> Error {
        if error.is_timeout() {
            Error::Timeout { phase }
        } else {
            Error::Transport(error)
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(error: Error) -> std::io::Error {
        use std::io::ErrorKind;
        let kind = match &error {
            Error::Timeout { .. } => ErrorKind::TimedOut,
            Error::FileUnavailable { .. } => ErrorKind::NotFound,
            Error::LoginDenied { .. } => ErrorKind::PermissionDenied,
            Error::InvalidInput(_) | Error::UnsupportedUrl(_) => ErrorKind::InvalidInput,
            Error::Protocol(_) | Error::MalformedReply(_) => ErrorKind::InvalidData,
            Error::Io(e) => e.kind(),
            Error::Transport(e) if e.is_timeout() => ErrorKind::TimedOut,
            _ => ErrorKind::Other,
        };
        std::io::Error::new(kind, error)
    }
}

/// The FTP client's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// What a read of a download returns after its final reply reported a failure.
pub(crate) fn failed_before(failure: &str) -> Error {
    Error::Protocol(format!("the transfer failed: {failure}"))
}

/// The control connection ended under a command.
pub(crate) fn closed() -> Error {
    Error::Protocol("the server closed the control connection".into())
}
