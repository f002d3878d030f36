//! The fetcher's errors: one type for every scheme, each failure sorted
//! into a [`FetchErrorKind`] (the cause a caller acts on, and what
//! `netstack fetch` turns into curl's exit codes).

use std::path::PathBuf;

use transport::tls::TlsError;

/// Why a fetch failed, whatever the scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchErrorKind {
    /// The URL cannot be parsed, or a `data:` URL is malformed.
    InvalidUrl,
    /// No handler for the URL's scheme.
    UnsupportedScheme,
    /// The host name did not resolve.
    Resolve,
    /// No connection could be made (refused, unreachable).
    Connect,
    /// A timeout expired (connect, read, write or the overall deadline).
    Timeout,
    /// The TLS handshake failed for a reason other than the certificate.
    TlsHandshake,
    /// The server's certificate was not accepted.
    Certificate,
    /// More redirects than allowed.
    TooManyRedirects,
    /// The connection failed while receiving (reset, TLS truncation).
    Receive,
    /// The connection failed while sending.
    Send,
    /// The body ended before its announced length.
    PartialBody,
    /// The server's reply is not valid for its protocol.
    BadReply,
    /// The body's `Content-Encoding` could not be decoded.
    BadContentEncoding,
    /// A body exceeded a size limit.
    TooLarge,
    /// The server answered with an error status (HTTP ≥ 400), where one was not accepted.
    HttpStatus,
    /// The login was refused (FTP 530).
    LoginDenied,
    /// The remote or local file does not exist or cannot be read.
    NotFound,
    /// An upload was refused, or a local file could not be written.
    UploadFailed,
    /// A proxy refused the tunnel.
    Proxy,
    /// A local I/O failure (reading an upload, writing a download).
    Io,
    /// A scheme handler of the caller's failed, or another cause.
    Other,
}

/// A failed fetch: what failed (naming the layer), sorted by [`kind`](FetchError::kind).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL cannot be parsed.
    #[error("fetch: invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No handler is registered for the scheme.
    #[error("fetch: unsupported scheme {scheme:?} (built in: http, https, ftp, file, data)")]
    UnsupportedScheme {
        /// The scheme.
        scheme: String,
    },
    /// The request is not possible for this scheme (e.g. an upload to a `data:` URL).
    #[error("fetch: {0}")]
    Unsupported(String),
    /// The HTTP client failed.
    #[error(transparent)]
    Http(#[from] crate::http::Error),
    /// The server answered with an error status.
    #[error("fetch: {url} answered {status}")]
    Status {
        /// The status code.
        status: u16,
        /// The URL that answered.
        url: String,
    },
    /// The FTP client failed.
    #[error(transparent)]
    Ftp(#[from] crate::ftp::FtpError),
    /// The server refused an upload.
    #[error("fetch: {0}")]
    UploadRefused(String),
    /// A local file is missing or unreadable (`file:` URLs).
    #[error("fetch: file {}: {source}", path.display())]
    File {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Local I/O failed (reading an upload, writing a download).
    #[error("fetch: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A handler registered by the caller failed.
    #[error("fetch: {scheme}: {source}")]
    Handler {
        /// The scheme of the handler.
        scheme: String,
        /// Its error.
        source: Box<dyn std::error::Error + Send + Sync>,
        /// How the handler sorted it.
        kind: FetchErrorKind,
    },
}

/// The fetcher's result type.
pub type Result<T> = std::result::Result<T, FetchError>;

impl FetchError {
    /// An error from a caller's scheme handler.
    pub fn handler(
        scheme: &str,
        kind: FetchErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> FetchError {
        FetchError::Handler {
            scheme: scheme.to_string(),
            source: source.into(),
            kind,
        }
    }

    pub(crate) fn invalid_url(url: &str, reason: impl ToString) -> FetchError {
        FetchError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> FetchError {
        FetchError::Io {
            context: context.into(),
            source,
        }
    }

    /// The cause, sorted.
    pub fn kind(&self) -> FetchErrorKind {
        match self {
            FetchError::InvalidUrl { .. } => FetchErrorKind::InvalidUrl,
            FetchError::UnsupportedScheme { .. } => FetchErrorKind::UnsupportedScheme,
            FetchError::Unsupported(_) => FetchErrorKind::Other,
            FetchError::Http(e) => http_kind(e),
            FetchError::Status { .. } => FetchErrorKind::HttpStatus,
            FetchError::Ftp(e) => ftp_kind(e),
            FetchError::UploadRefused(_) => FetchErrorKind::UploadFailed,
            FetchError::File { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                    FetchErrorKind::NotFound
                }
                _ => FetchErrorKind::Io,
            },
            FetchError::Io { .. } => FetchErrorKind::Io,
            FetchError::Handler { kind, .. } => *kind,
        }
    }
}

/// How an FTP failure is sorted.
fn ftp_kind(err: &crate::ftp::FtpError) -> FetchErrorKind {
    use crate::ftp::FtpError;
    match err {
        FtpError::Transport(e) => transport_kind(e),
        FtpError::Io(_) => FetchErrorKind::Io,
        FtpError::Timeout { .. } => FetchErrorKind::Timeout,
        FtpError::LoginDenied { .. } => FetchErrorKind::LoginDenied,
        FtpError::FileUnavailable { .. } => FetchErrorKind::NotFound,
        FtpError::InvalidInput(_) | FtpError::UnsupportedUrl(_) => FetchErrorKind::InvalidUrl,
        FtpError::ServiceNotAvailable { .. }
        | FtpError::Rejected { .. }
        | FtpError::MalformedReply(_)
        | FtpError::Protocol(_) => FetchErrorKind::BadReply,
        _ => FetchErrorKind::Other,
    }
}

fn http_kind(err: &crate::http::Error) -> FetchErrorKind {
    use crate::http::{Error, ParseError};
    match err {
        Error::Parse(ParseError::IncompleteBody { .. }) => FetchErrorKind::PartialBody,
        Error::Parse(_) => FetchErrorKind::BadReply,
        Error::Transport(e) => transport_kind(e),
        Error::Timeout { .. } => FetchErrorKind::Timeout,
        Error::InvalidRequest(_) => FetchErrorKind::InvalidUrl,
        Error::BodyTooLarge { .. } => FetchErrorKind::TooLarge,
        Error::ContentDecoding { .. } => FetchErrorKind::BadContentEncoding,
        Error::Proxy { .. } => FetchErrorKind::Proxy,
        Error::TooManyRedirects { .. } => FetchErrorKind::TooManyRedirects,
    }
}

pub(crate) fn transport_kind(err: &transport::Error) -> FetchErrorKind {
    use sockets::SocketError;
    match err {
        transport::Error::NoAddresses { .. } => FetchErrorKind::Resolve,
        transport::Error::ConnectFailed { .. } => FetchErrorKind::Connect,
        transport::Error::ConnectTimeout { .. } => FetchErrorKind::Timeout,
        transport::Error::InvalidInput(_) => FetchErrorKind::Other,
        transport::Error::Tls(TlsError::Truncated { .. }) => FetchErrorKind::Receive,
        transport::Error::Tls(e) if e.is_timeout() => FetchErrorKind::Timeout,
        transport::Error::Tls(e) if e.is_certificate_error() => FetchErrorKind::Certificate,
        transport::Error::Tls(_) => FetchErrorKind::TlsHandshake,
        transport::Error::Socket(e) => match e.kind() {
            SocketError::HostNotFound
            | SocketError::TryAgain
            | SocketError::NoData
            | SocketError::NoRecovery => FetchErrorKind::Resolve,
            SocketError::TimedOut => FetchErrorKind::Timeout,
            SocketError::ConnectionRefused
            | SocketError::HostUnreachable
            | SocketError::NetworkUnreachable => FetchErrorKind::Connect,
            _ if e.operation().starts_with("write") || e.operation().starts_with("send") => {
                FetchErrorKind::Send
            }
            _ => FetchErrorKind::Receive,
        },
        _ => FetchErrorKind::Other,
    }
}
