//! Errors of the HTTP layer: the sans-IO core's [`ParseError`] (what was
//! wrong with the bytes a peer sent) and the drivers' [`Error`], which wraps
//! the transport layer's.

use std::time::Duration;

/// Bytes from a peer that are not valid HTTP/1.1 (RFC 9112), or that exceed
/// a limit. Each rejection is its own variant; a connection that produced
/// one is never reused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The head (start line and headers) did not end within the size limit.
    #[error("http: the message head exceeds the {limit}-byte limit")]
    HeadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More header fields than the limit.
    #[error("http: more than {limit} header fields")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// A start or header line longer than the limit.
    #[error("http: a head line exceeds the {limit}-byte limit")]
    LineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// The status line is not `HTTP/1.x NNN reason`.
    #[error("http: invalid status line {0:?}")]
    InvalidStatusLine(String),
    /// The request line is not `METHOD target HTTP/1.x`.
    #[error("http: invalid request line {0:?}")]
    InvalidRequestLine(String),
    /// An HTTP version other than 1.0 or 1.1.
    #[error("http: unsupported HTTP version")]
    InvalidVersion,
    /// A header name with characters a token may not hold.
    #[error("http: invalid header name")]
    InvalidHeaderName,
    /// A header value with forbidden characters.
    #[error("http: invalid header value")]
    InvalidHeaderValue,
    /// A header line folded onto the next (obs-fold, RFC 9112 §5.2).
    #[error("http: obsolete line folding in a header")]
    ObsFold,
    /// A CR not followed by LF (RFC 9112 §2.2).
    #[error("http: bare CR in the message head")]
    BareCr,
    /// Both `Transfer-Encoding` and `Content-Length` (RFC 9112 §6.3, a smuggling vector).
    #[error("http: both Transfer-Encoding and Content-Length are present")]
    ConflictingFraming,
    /// Several `Content-Length` values that differ.
    #[error("http: different Content-Length values")]
    DifferentContentLengths,
    /// A `Content-Length` that is not a non-negative decimal number.
    #[error("http: invalid Content-Length {0:?}")]
    InvalidContentLength(String),
    /// A transfer coding under the final `chunked` that is not supported
    /// (only `chunked` alone is).
    #[error("http: unsupported Transfer-Encoding {0:?} (only chunked alone is accepted)")]
    UnsupportedTransferEncoding(String),
    /// A request's `Transfer-Encoding` whose final coding is not `chunked`,
    /// or that applies `chunked` twice: its length cannot be known (RFC 9112 §6.3).
    #[error("http: Transfer-Encoding {0:?} does not end in a single chunked")]
    ChunkedNotFinal(String),
    /// A chunk-size line that is not hexadecimal digits (signs, spaces, junk).
    #[error("http: invalid chunk size line {0:?}")]
    InvalidChunkSize(String),
    /// A chunk size that does not fit in 64 bits.
    #[error("http: chunk size overflows")]
    ChunkSizeOverflow,
    /// A chunk-size line (with extensions) longer than the limit.
    #[error("http: a chunk size line exceeds the {limit}-byte limit")]
    ChunkLineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// Chunk data not followed by CRLF.
    #[error("http: chunk data not followed by CRLF")]
    InvalidChunkTerminator,
    /// The trailer section exceeded the limit.
    #[error("http: trailers exceed the {limit}-byte limit")]
    TrailersTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection ended before the whole body arrived.
    #[error("http: the body ended early: {received} of {} bytes", expected.map_or("a chunked number of".to_string(), |e| e.to_string()))]
    IncompleteBody {
        /// The announced length, if it was announced.
        expected: Option<u64>,
        /// What arrived.
        received: u64,
    },
    /// More informational (1xx) responses than a client passes over.
    #[error("http: more than {limit} informational (1xx) responses")]
    TooManyInformational {
        /// The limit.
        limit: u32,
    },
    /// The connection ended before a complete message head.
    #[error("http: the connection closed before a complete message head ({received} bytes)")]
    IncompleteHead {
        /// Bytes of head that arrived.
        received: usize,
    },
}

/// What a timeout of the HTTP layer was waiting for.
///
/// ```
/// use netstack::protocols::http::Phase;
/// assert_eq!(Phase::ExpectContinue.to_string(), "100-continue");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Client: a read of the response.
    Read,
    /// Client: a write of the request.
    Write,
    /// Client: waiting for `100 Continue` before sending the body (this
    /// one is not an error: the body goes anyway).
    ExpectContinue,
    /// Client: the whole request's deadline, redirects and body included.
    Deadline,
    /// Server: the request head.
    RequestHead,
    /// Server: the request body.
    RequestBody,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Read => "read",
            Phase::Write => "write",
            Phase::ExpectContinue => "100-continue",
            Phase::Deadline => "request deadline",
            Phase::RequestHead => "request head",
            Phase::RequestBody => "request body",
        })
    }
}

/// An HTTP client or server failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer sent bytes that are not valid HTTP, or exceeded a limit.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The transport below failed (connect, TLS, read, write).
    #[error(transparent)]
    Transport(#[from] transport::Error),
    /// A timeout of the HTTP layer expired.
    #[error("http: {phase} timed out after {after:?}")]
    Timeout {
        /// What was being waited for.
        phase: Phase,
        /// How long.
        after: Duration,
    },
    /// The peer sent more slowly than the minimum rate the server asks
    /// (see `ServerConfig::min_body_rate`).
    #[error("http: the {phase} came more slowly than {min_rate} bytes/s")]
    TooSlow {
        /// What was being received.
        phase: Phase,
        /// The slowest rate allowed, in bytes per second.
        min_rate: u64,
    },
    /// The request or its URL cannot be sent.
    #[error("http: invalid request: {0}")]
    InvalidRequest(String),
    /// A body larger than the limit the caller set.
    #[error("http: the body exceeds the {limit}-byte limit")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A response body could not be decoded by its `Content-Encoding`
    /// (corrupt or truncated gzip/deflate data).
    #[error("http: the {encoding} response body cannot be decoded: {detail}")]
    ContentDecoding {
        /// The content coding (`gzip`, `deflate`).
        encoding: &'static str,
        /// What the decoder reported.
        detail: String,
    },
    /// A proxy refused to open a `CONNECT` tunnel, or broke the tunnel protocol.
    #[error("http: proxy {proxy}: {detail}")]
    Proxy {
        /// The proxy's `host:port`.
        proxy: String,
        /// What went wrong (e.g. "CONNECT example.com:443 answered 407 Proxy Authentication Required").
        detail: String,
    },
    /// A response body is not JSON, or not the JSON the caller's type
    /// expects (`Response::json`, the `json` feature).
    #[cfg(feature = "json")]
    #[error("http: the response body is not the JSON expected: {0}")]
    Json(#[source] serde_json::Error),
    /// Too many redirects.
    #[error("http: too many redirects (limit {limit})")]
    TooManyRedirects {
        /// The limit.
        limit: usize,
    },
    /// The reader of the request body failed (`Body::from_reader` and
    /// the like); the request was cut off.
    #[error("http: reading the request body failed: {0}")]
    BodyReader(#[source] std::io::Error),
}

impl From<sockets::Error> for Error {
    fn from(err: sockets::Error) -> Error {
        Error::Transport(transport::Error::Socket(err))
    }
}

/// The HTTP layer's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// For code that works in `io::Error`s (an `io::Read` adapter, `?` in a
/// function returning `io::Result`): the kind says what happened, the
/// error itself stays the source. A transport failure becomes the
/// transport's own `io::Error`.
impl From<Error> for std::io::Error {
    fn from(error: Error) -> std::io::Error {
        use std::io::ErrorKind;
        let error = match error {
            Error::Transport(transport) => return transport.into(),
            other => other,
        };
        let kind = match &error {
            Error::Timeout { .. } | Error::TooSlow { .. } => ErrorKind::TimedOut,
            Error::InvalidRequest(_) => ErrorKind::InvalidInput,
            Error::Parse(ParseError::IncompleteBody { .. } | ParseError::IncompleteHead { .. }) => {
                ErrorKind::UnexpectedEof
            }
            Error::Parse(_) | Error::BodyTooLarge { .. } | Error::ContentDecoding { .. } => {
                ErrorKind::InvalidData
            }
            #[cfg(feature = "json")]
            Error::Json(_) => ErrorKind::InvalidData,
            Error::Transport(_) | Error::Proxy { .. } | Error::TooManyRedirects { .. } => {
                ErrorKind::Other
            }
            Error::BodyReader(e) => e.kind(),
        };
        std::io::Error::new(kind, error)
    }
}
