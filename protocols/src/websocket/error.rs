//! What can go wrong on a WebSocket: the peer's protocol violations (each
//! with the close code it is answered with), the handshake, the connection.

use std::fmt;
use std::io;

/// A close status code (RFC 6455 §7.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection is fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (a server shutting down, a page left).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a kind of data the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1005 (never sent): the close frame had no status code.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// 1006 (never sent): the connection ended without a close frame.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// 1007: a text message that is not UTF-8.
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message that breaks the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a frame or message over the endpoint's size limit.
    pub const TOO_BIG: CloseCode = CloseCode(1009);
    /// 1010: the server did not agree to an extension the client requires.
    pub const MANDATORY_EXTENSION: CloseCode = CloseCode(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);

    /// True for a code that may be sent in a close frame: the defined
    /// ones (1000–1003, 1007–1014) and those for libraries and
    /// applications (3000–4999).
    pub fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How the peer broke RFC 6455. Each is answered with a close frame with
/// [`Violation::close_code`], and the connection ends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// An opcode the protocol reserves (3–7, 11–15).
    #[error("a frame has the reserved opcode {0:#x}")]
    ReservedOpcode(u8),
    /// RSV1–3 set without an extension that defines them (the bits, RSV1 high).
    #[error("a frame has reserved bits set ({0:#05b}) that no negotiated extension defines")]
    ReservedBits(u8),
    /// A ping, pong or close without FIN.
    #[error("a control frame is fragmented")]
    FragmentedControlFrame,
    /// A control frame with more than 125 bytes of payload.
    #[error("a control frame carries {0} bytes, more than the 125 allowed")]
    ControlFrameTooLong(u64),
    /// A length in more bytes than it needs.
    #[error("a frame length is not in its shortest form")]
    NonMinimalLength,
    /// A 64-bit length with its top bit set.
    #[error("a frame length has its top bit set")]
    LengthTopBitSet,
    /// A client sent a frame without a masking key.
    #[error("the client sent a frame without a mask")]
    UnmaskedFrame,
    /// A server sent a masked frame.
    #[error("the server sent a masked frame")]
    MaskedFrame,
    /// A continuation frame with no message to continue.
    #[error("a continuation frame came with no message to continue")]
    UnexpectedContinuation,
    /// A text or binary frame while a fragmented message was unfinished.
    #[error("a new message started before the fragmented one before it ended")]
    UnfinishedMessage,
    /// A close frame with a one-byte payload.
    #[error("a close frame has a one-byte payload")]
    ClosePayloadTooShort,
    /// A close frame with a code that may not be sent.
    #[error("a close frame has the status code {0}, which may not be sent")]
    InvalidCloseCode(u16),
    /// A text message, or a close reason, that is not UTF-8.
    #[error("a text message or close reason is not valid UTF-8")]
    InvalidUtf8,
    /// A frame longer than the frame size limit.
    #[error("a frame of {len} bytes is over the limit of {limit}")]
    FrameTooLarge {
        /// The frame's payload length.
        len: u64,
        /// The limit.
        limit: usize,
    },
    /// A compressed message (permessage-deflate) that does not inflate.
    #[error("a compressed message is not valid DEFLATE data")]
    BadCompression,
    /// A message longer than the message size limit.
    #[error("a message is over the limit of {limit} bytes")]
    MessageTooLarge {
        /// The limit.
        limit: usize,
    },
}

impl Violation {
    /// The close code this violation is answered with: 1007 for bad UTF-8
    /// or bad compressed data, 1009 for a size limit, 1002 for the rest.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Violation::InvalidUtf8 | Violation::BadCompression => CloseCode::INVALID_PAYLOAD,
            Violation::FrameTooLarge { .. } | Violation::MessageTooLarge { .. } => {
                CloseCode::TOO_BIG
            }
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

/// Why a WebSocket call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is not a `ws://` or `wss://` URL, or cannot be parsed.
    #[error("websocket: {0}")]
    InvalidUrl(String),
    /// The HTTP request of the opening handshake failed.
    #[error("websocket: the opening handshake's request failed: {0}")]
    Http(#[from] crate::http::Error),
    /// The server did not accept the upgrade as RFC 6455 §4.1 requires.
    #[error("websocket: the server refused the opening handshake: {0}")]
    Handshake(String),
    /// The peer broke the protocol; a close frame with its code was sent.
    #[error("websocket: the peer broke the protocol (close code {code}): {0}", code = .0.close_code())]
    Protocol(#[from] Violation),
    /// The close handshake is over (or the connection was lost): nothing
    /// more can be read or sent.
    #[error("websocket: the connection is closed")]
    Closed,
    /// The connection ended without a close frame (code 1006).
    #[error("websocket: the connection ended without a close frame")]
    ConnectionLost,
    /// The server that serves this WebSocket is shutting down: a close
    /// frame with 1001 (going away) was sent, and the connection closes.
    #[error(
        "websocket: the server is shutting down; the connection was closed with 1001 (going away)"
    )]
    ServerShutdown,
    /// A message cannot be sent: this side has sent its close frame.
    #[error("websocket: a message cannot be sent after the close frame")]
    SendAfterClose,
    /// A close code that may not be sent, or a reason over 123 bytes.
    #[error("websocket: {0}")]
    InvalidClose(String),
    /// Reading or writing the connection failed (or timed out).
    #[error("websocket: {0}")]
    Transport(#[from] transport::Error),
}

impl From<Error> for io::Error {
    fn from(err: Error) -> io::Error {
        match err {
            Error::Transport(err) => err.into(),
            Error::Closed | Error::ConnectionLost | Error::ServerShutdown => {
                io::Error::new(io::ErrorKind::ConnectionAborted, err)
            }
            Error::Protocol(_) => io::Error::new(io::ErrorKind::InvalidData, err),
            other => io::Error::other(other),
        }
    }
}

/// The result of a WebSocket call.
pub type Result<T> = std::result::Result<T, Error>;
