//! The fetcher's errors: one type for every scheme, each failure sorted
//! into a [`ErrorKind`] (the cause a caller acts on, and what
//! `netstack fetch` turns into curl's exit codes).

use std::path::PathBuf;

use transport::tls::TlsError;

/// Why a fetch failed, whatever the scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
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
    /// The server's public key is none of the pinned ones.
    PinnedPublicKey,
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
    /// The server closed the connection without a byte of reply.
    EmptyReply,
    /// The server answered without a status line (HTTP/0.9), which is not
    /// accepted.
    Http09Reply,
    /// The server's response head exceeded the limits (size, line length,
    /// header count).
    HeadTooLarge,
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
    /// A resumed download came back with another range than the one asked
    /// for, or (when the resume was required) with the whole resource.
    Range,
    /// A local I/O failure (reading an upload, writing a download).
    Io,
    /// The body is not JSON, or not the JSON the caller's type expects
    /// (the `json` feature).
    Json,
    /// A scheme handler of the caller's failed, or another cause.
    Other,
}

/// A failed fetch: what failed (naming the layer), sorted by [`kind`](Error::kind).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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
        /// The status.
        status: http::StatusCode,
        /// The URL that answered.
        url: String,
    },
    /// The FTP client failed.
    #[error(transparent)]
    Ftp(#[from] crate::ftp::Error),
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
    /// A body read whole into memory passed the fetcher's limit.
    #[error("fetch: the body exceeds the {limit}-byte limit for a body read into memory")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The server answered a resumed download with another range than the
    /// one asked for: appending it would corrupt the file.
    #[error("fetch: asked to resume at byte {asked}, the server sent the range '{answered}' instead, which cannot be appended to what was fetched before")]
    RangeMismatch {
        /// The offset asked for.
        asked: u64,
        /// The server's `Content-Range`, as sent.
        answered: String,
    },
    /// The server answered a download that had to resume (see
    /// [`FetchRequest::require_resume`](crate::fetch::FetchRequest::require_resume))
    /// with another status than `206 Partial Content`: it ignored the range
    /// or does not support ranges.
    #[error("fetch: asked to resume at byte {asked}, the server answered {status} instead of 206 Partial Content: it does not support byte ranges here, so nothing was resumed (fetch the whole file again without resuming)")]
    RangeIgnored {
        /// The offset asked for.
        asked: u64,
        /// The status the server answered with.
        status: http::StatusCode,
    },
    /// Local I/O failed (reading an upload, writing a download).
    #[error("fetch: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The body is not JSON, or not the JSON the caller's type expects
    /// (`FetchResponse::json`, the `json` feature).
    #[cfg(feature = "json")]
    #[error("fetch: the body of {url} is not the JSON expected: {source}")]
    Json {
        /// The URL the body came from.
        url: String,
        /// What serde_json reported (the line and column included).
        source: serde_json::Error,
    },
    /// A handler registered by the caller failed.
    #[error("fetch: {scheme}: {source}")]
    Handler {
        /// The scheme of the handler.
        scheme: String,
        /// Its error.
        source: Box<dyn std::error::Error + Send + Sync>,
        /// How the handler sorted it.
        kind: ErrorKind,
    },
}

/// The fetcher's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error from a caller's scheme handler.
    pub fn handler(
        scheme: &str,
        kind: ErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        Error::Handler {
            scheme: scheme.to_string(),
            source: source.into(),
            kind,
        }
    }

    pub(crate) fn invalid_url(url: &str, reason: impl ToString) -> Error {
        Error::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// The cause, sorted.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidUrl { .. } => ErrorKind::InvalidUrl,
            Error::UnsupportedScheme { .. } => ErrorKind::UnsupportedScheme,
            Error::Unsupported(_) => ErrorKind::Other,
            Error::Http(e) => http_kind(e),
            Error::Status { .. } => ErrorKind::HttpStatus,
            Error::Ftp(e) => ftp_kind(e),
            Error::UploadRefused(_) => ErrorKind::UploadFailed,
            Error::File { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                    ErrorKind::NotFound
                }
                _ => ErrorKind::Io,
            },
            Error::Io { .. } => ErrorKind::Io,
            Error::RangeMismatch { .. } | Error::RangeIgnored { .. } => ErrorKind::Range,
            Error::BodyTooLarge { .. } => ErrorKind::TooLarge,
            Error::Handler { kind, .. } => *kind,
            #[cfg(feature = "json")]
            Error::Json { .. } => ErrorKind::Json,
        }
    }
}

/// How an FTP failure is sorted.
fn ftp_kind(err: &crate::ftp::Error) -> ErrorKind {
    use crate::ftp;
    match err {
        ftp::Error::Transport(e) => transport_kind(e),
        ftp::Error::Io(_) => ErrorKind::Io,
        ftp::Error::Timeout { .. } => ErrorKind::Timeout,
        ftp::Error::LoginDenied { .. } => ErrorKind::LoginDenied,
        ftp::Error::FileUnavailable { .. } => ErrorKind::NotFound,
        ftp::Error::InvalidInput(_) | ftp::Error::UnsupportedUrl(_) => ErrorKind::InvalidUrl,
        ftp::Error::TooLarge { .. } => ErrorKind::TooLarge,
        ftp::Error::ServiceNotAvailable { .. }
        | ftp::Error::Rejected { .. }
        | ftp::Error::MalformedReply(_)
        | ftp::Error::Protocol(_) => ErrorKind::BadReply,
        _ => ErrorKind::Other,
    }
}

fn http_kind(err: &crate::http::Error) -> ErrorKind {
    use crate::http::{Error, ParseError};
    match err {
        Error::Parse(ParseError::IncompleteBody { .. }) => ErrorKind::PartialBody,
        Error::Parse(ParseError::IncompleteHead { received: 0 }) => ErrorKind::EmptyReply,
        // Bytes of some other protocol, or none of a status line at all.
        Error::Parse(ParseError::InvalidStatusLine(line)) if !line.starts_with("HTTP/") => {
            ErrorKind::Http09Reply
        }
        Error::Parse(
            ParseError::HeadTooLarge { .. }
            | ParseError::LineTooLong { .. }
            | ParseError::TooManyHeaders { .. },
        ) => ErrorKind::HeadTooLarge,
        // A chunked body broken on the way is a receive failure, as curl sees it.
        Error::Parse(
            ParseError::InvalidChunkSize(_)
            | ParseError::ChunkSizeOverflow
            | ParseError::ChunkLineTooLong { .. }
            | ParseError::InvalidChunkTerminator
            | ParseError::TrailersTooLarge { .. },
        ) => ErrorKind::Receive,
        Error::Parse(_) => ErrorKind::BadReply,
        Error::Transport(e) => transport_kind(e),
        Error::Timeout { .. } | Error::TooSlow { .. } => ErrorKind::Timeout,
        Error::InvalidRequest(_) => ErrorKind::InvalidUrl,
        Error::BodyTooLarge { .. } => ErrorKind::TooLarge,
        Error::ContentDecoding { .. } => ErrorKind::BadContentEncoding,
        Error::Proxy { .. } => ErrorKind::Proxy,
        Error::TooManyRedirects { .. } => ErrorKind::TooManyRedirects,
        Error::BodyReader(_) => ErrorKind::Io,
        #[cfg(feature = "json")]
        Error::Json(_) => ErrorKind::Json,
    }
}

pub(crate) fn transport_kind(err: &transport::Error) -> ErrorKind {
    use sockets::SocketError;
    match err {
        transport::Error::NoAddresses { .. } => ErrorKind::Resolve,
        transport::Error::ConnectFailed { .. } => ErrorKind::Connect,
        transport::Error::ConnectTimeout { .. } => ErrorKind::Timeout,
        transport::Error::InvalidInput(_) => ErrorKind::Other,
        transport::Error::Tls(TlsError::Truncated { .. }) => ErrorKind::Receive,
        transport::Error::Tls(e) if e.is_timeout() => ErrorKind::Timeout,
        transport::Error::Tls(TlsError::PublicKeyPinMismatch { .. }) => ErrorKind::PinnedPublicKey,
        transport::Error::Tls(e) if e.is_certificate_error() => ErrorKind::Certificate,
        transport::Error::Tls(_) => ErrorKind::TlsHandshake,
        transport::Error::Socket(e) => match e.kind() {
            SocketError::HostNotFound
            | SocketError::TryAgain
            | SocketError::NoData
            | SocketError::NoRecovery => ErrorKind::Resolve,
            SocketError::TimedOut => ErrorKind::Timeout,
            SocketError::ConnectionRefused
            | SocketError::HostUnreachable
            | SocketError::NetworkUnreachable => ErrorKind::Connect,
            _ if e.operation().starts_with("write") || e.operation().starts_with("send") => {
                ErrorKind::Send
            }
            _ => ErrorKind::Receive,
        },
        _ => ErrorKind::Other,
    }
}

/// For code that works in `io::Error`s: the kind follows [`Error::kind`],
/// the error stays the source (a local I/O failure keeps its kind); an
/// HTTP or FTP failure becomes that client's own `io::Error`.
impl From<Error> for std::io::Error {
    fn from(error: Error) -> std::io::Error {
        use std::io::ErrorKind as Io;
        let error = match error {
            Error::Http(e) => return e.into(),
            Error::Ftp(e) => return e.into(),
            other => other,
        };
        let kind = match (&error, error.kind()) {
            (Error::Io { source, .. } | Error::File { source, .. }, _) => source.kind(),
            (_, kind) => match kind {
                ErrorKind::InvalidUrl => Io::InvalidInput,
                ErrorKind::UnsupportedScheme => Io::Unsupported,
                ErrorKind::Resolve | ErrorKind::NotFound => Io::NotFound,
                ErrorKind::Connect => Io::ConnectionRefused,
                ErrorKind::Timeout => Io::TimedOut,
                ErrorKind::LoginDenied => Io::PermissionDenied,
                ErrorKind::PartialBody | ErrorKind::EmptyReply => Io::UnexpectedEof,
                ErrorKind::BadReply
                | ErrorKind::Http09Reply
                | ErrorKind::HeadTooLarge
                | ErrorKind::BadContentEncoding
                | ErrorKind::TooLarge
                | ErrorKind::Range
                | ErrorKind::Json => Io::InvalidData,
                _ => Io::Other,
            },
        };
        std::io::Error::new(kind, error)
    }
}
