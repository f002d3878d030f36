//! Why a request is refused (the status it gets, the error the handler's
//! body reads see) and the complete response that refuses it.

use std::time::Duration;

use http::header::{HeaderMap, HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE};
use http::StatusCode;

use transport::NetworkStream;

use crate::http::{encode_response_head, ParseError, Phase};

use super::date::insert_date;

/// Why a request could not be served, with the status it gets.
#[derive(Debug, Clone)]
pub(crate) struct Rejection {
    pub(crate) status: StatusCode,
    pub(crate) reason: RejectReason,
}

#[derive(Debug, Clone)]
pub(crate) enum RejectReason {
    Parse(ParseError),
    BodyTooLarge(u64),
    Timeout(Phase, Duration),
    /// Slower than this many bytes per second on average.
    TooSlow(Phase, u64),
    Other(String),
}

impl Rejection {
    pub(crate) fn parse(error: ParseError) -> Rejection {
        let status = match &error {
            ParseError::HeadTooLarge { .. }
            | ParseError::TooManyHeaders { .. }
            | ParseError::LineTooLong { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ParseError::UnsupportedTransferEncoding(_) => StatusCode::NOT_IMPLEMENTED,
            ParseError::InvalidVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            _ => StatusCode::BAD_REQUEST,
        };
        Rejection {
            status,
            reason: RejectReason::Parse(error),
        }
    }

    pub(crate) fn other(status: StatusCode, message: impl Into<String>) -> Rejection {
        Rejection {
            status,
            reason: RejectReason::Other(message.into()),
        }
    }

    /// The layer's error for this rejection (for the handler's body reads).
    pub(crate) fn to_error(&self) -> crate::http::Error {
        match &self.reason {
            RejectReason::Parse(e) => crate::http::Error::Parse(e.clone()),
            RejectReason::BodyTooLarge(limit) => crate::http::Error::BodyTooLarge { limit: *limit },
            RejectReason::Timeout(phase, after) => crate::http::Error::Timeout {
                phase: *phase,
                after: *after,
            },
            RejectReason::TooSlow(phase, rate) => crate::http::Error::TooSlow {
                phase: *phase,
                min_rate: *rate,
            },
            RejectReason::Other(m) => crate::http::Error::InvalidRequest(m.clone()),
        }
    }

    pub(crate) fn io_kind(&self) -> std::io::ErrorKind {
        match &self.reason {
            RejectReason::Timeout(..) | RejectReason::TooSlow(..) => std::io::ErrorKind::TimedOut,
            RejectReason::Parse(ParseError::IncompleteBody { .. }) => {
                std::io::ErrorKind::UnexpectedEof
            }
            _ => std::io::ErrorKind::InvalidData,
        }
    }

    pub(crate) fn message(&self) -> String {
        self.to_error().to_string()
    }
}

/// Appends a complete error response (a short text body naming the error)
/// that closes the connection.
pub(crate) fn encode_rejection(rejection: &Rejection, out: &mut Vec<u8>) {
    let body = format!("{}\n", rejection.message());
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    insert_date(&mut headers);
    encode_response_head(rejection.status, &headers, out);
    out.extend_from_slice(body.as_bytes());
}

/// A connection past what the server takes (no worker free and the queue
/// full, or the connection cap reached): a short `503` and close, never
/// waiting (a new connection's send buffer takes these bytes at once).
pub(crate) fn refuse_busy(net: &NetworkStream) {
    let _ = net.socket().set_blocking(false);
    let _ = net.write_all_sync(
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n",
    );
    let _ = net.shutdown(sockets::Shutdown::Send);
    net.close();
}
