//! What the exchange decides around its steps, apart from the bytes (which
//! are `conn`'s): where to connect and tunnel, whether a proxy's answer and
//! the negotiated protocol are acceptable, whether a failure may be
//! retried, the exchange's timeouts, the errors a request body ends with,
//! and the response's parts once its head is in.

use std::time::Instant;

use http::StatusCode;

use transport::tls::TlsError;
use url::Url;

use crate::http::client::conn::{
    body_decoder, deadline_error, BodyPipeline, ResponseReader, Timeouts,
};
use crate::http::client::decoding::{strip_encoding_headers, ContentDecoder};
use crate::http::client::pool::PoolKey;
use crate::http::client::request::Prepared;
use crate::http::client::request_head::{idempotent, request_closes};
use crate::http::client::response::{BodyState, Parts};
use crate::http::client::stream::Stream;
use crate::http::client::{url_host, Config, Route, Shared, Timings};
use crate::http::{Error, ParseError, ResponseHead, Result};

/// A failed exchange, and whether it may be retried on a new connection.
pub(super) struct Failure {
    pub(super) error: Error,
    /// Nothing of a response arrived and the failure was the connection's,
    /// not a timeout or a cancel.
    retryable: bool,
}

impl Failure {
    /// A failure before any response byte: retryable when the connection broke.
    pub(super) fn before_response(error: Error, reader: &ResponseReader) -> Failure {
        let retryable = !reader.received_any()
            && match &error {
                Error::Transport(t) => !t.is_timeout() && !t.is_cancelled(),
                Error::Parse(ParseError::IncompleteHead { received: 0 }) => true,
                _ => false,
            };
        Failure { error, retryable }
    }
}

/// Whether a failed attempt on a pooled connection is retried once on a new one.
pub(super) fn should_retry(
    failure: &Failure,
    reused: bool,
    retried: bool,
    request: &Prepared,
) -> bool {
    failure.retryable && reused && !retried && idempotent(&request.method) && request.replayable()
}

/// True when a response may be waiting after sending the body failed with
/// `error`: the peer reset or closed the connection (it may have answered
/// first), so a read ends at once, with the answer or without.
pub(super) fn answer_may_wait(error: &Error) -> bool {
    use sockets::SocketError as S;
    let Error::Transport(t) = error else {
        return false;
    };
    let kind = match t {
        transport::Error::Tls(TlsError::Io(e)) => match e.get_ref() {
            Some(inner) => inner.downcast_ref::<sockets::Error>().map(|e| e.kind()),
            None => Some(sockets::Error::from_io(e, "write").kind()),
        },
        t => t.socket_error(),
    };
    matches!(
        kind,
        Some(S::ConnectionReset | S::ConnectionAborted | S::Shutdown)
    )
}

/// True when a final response that came instead of `100 Continue` asks
/// for the request again without the expectation: a `417 Expectation
/// Failed` does (RFC 9110 §10.1.1), once. The expectation is dropped then.
pub(super) fn repeat_without_expectation(
    request: &mut Prepared,
    status: StatusCode,
    withheld: bool,
) -> bool {
    let repeat = withheld && status == StatusCode::EXPECTATION_FAILED && request.expect_continue;
    if repeat {
        request.expect_continue = false;
    }
    repeat
}

/// The timeouts of a request that starts now.
pub(super) fn timeouts(config: &Config, request: &Prepared, started: Instant) -> Timeouts {
    let total = request.timeout.or(config.timeout);
    Timeouts {
        read: config.read_timeout,
        write: config.write_timeout,
        deadline: total.map(|d| (started + d, d)),
    }
}

/// The connect target: the origin, or the proxy.
pub(super) fn connect_target(url: &Url, route: &Route) -> Result<(String, u16)> {
    Ok(match route {
        Route::Direct => (url_host(url)?, url.port_or_known_default().unwrap_or(80)),
        Route::Forward(p) | Route::Tunnel(p) => (p.host().to_string(), p.port()),
    })
}

/// The `host:port` a `CONNECT` asks for.
pub(super) fn tunnel_target(url: &Url) -> Result<String> {
    let host = url
        .host_str()
        .ok_or_else(|| Error::InvalidRequest(format!("{url} has no host")))?;
    Ok(format!(
        "{host}:{}",
        url.port_or_known_default().unwrap_or(443)
    ))
}

/// Checks a proxy's answer to `CONNECT`.
pub(super) fn check_tunnel(
    head: &ResponseHead,
    reader: &ResponseReader,
    proxy: &crate::http::client::Proxy,
    target: &str,
) -> Result<()> {
    let name = format!("{}:{}", proxy.host(), proxy.port());
    if !head.status.is_success() {
        return Err(Error::Proxy {
            proxy: name,
            detail: format!("CONNECT {target} answered {}", head.status),
        });
    }
    if reader.has_buffered() {
        return Err(Error::Proxy {
            proxy: name,
            detail: format!("CONNECT {target}: bytes arrived before the tunnel was used"),
        });
    }
    Ok(())
}

/// The error for a TLS handshake that ran out of time.
pub(super) fn handshake_error(err: TlsError, by_deadline: bool, t: &Timeouts) -> Error {
    match (&err, t.deadline) {
        (TlsError::HandshakeTimeout { .. }, Some((_, total))) if by_deadline => {
            deadline_error(total)
        }
        _ => Error::Transport(transport::Error::Tls(err)),
    }
}

/// Rejects a server that agreed by ALPN on a protocol other than HTTP/1.1.
pub(super) fn check_alpn(protocol: Option<&[u8]>) -> Result<()> {
    match protocol {
        None | Some(b"http/1.1") => Ok(()),
        Some(other) => Err(Error::Transport(transport::Error::Tls(TlsError::Config(
            format!(
                "the server chose the ALPN protocol {:?}, not http/1.1",
                String::from_utf8_lossy(other)
            ),
        )))),
    }
}

/// Builds the response for a final head: body framing, content decoding, pooling.
#[allow(clippy::too_many_arguments)]
pub(super) fn build_parts(
    cut_short: bool,
    config: &Config,
    request: &Prepared,
    head: ResponseHead,
    reader: ResponseReader,
    stream: Stream,
    shared: &Shared,
    key: PoolKey,
    timings: Timings,
    t: Timeouts,
    started: Instant,
) -> Result<(Parts, BodyState)> {
    let stream_tls = stream.tls_info.clone();
    let (decoder, keep) = body_decoder(&request.method, &head, config.limits)?;
    let content = if config.decompress {
        ContentDecoder::for_headers(&head.headers)
    } else {
        None
    };
    let mut headers = head.headers;
    if content.is_some() && !decoder.is_done() {
        strip_encoding_headers(&mut headers);
    }
    let content = if decoder.is_done() { None } else { content };
    let pipeline = BodyPipeline::new(reader, decoder, content, config.max_decompressed_size);
    let reusable = keep && !cut_short && !request_closes(&request.headers);
    let upgraded = head.status == StatusCode::SWITCHING_PROTOCOLS;
    let body = BodyState::new(
        stream,
        pipeline,
        reusable,
        upgraded,
        shared.pool.clone(),
        key,
        t,
        started,
    );
    let parts = Parts {
        tls: stream_tls,
        status: head.status,
        version: head.version,
        headers,
        raw_head: head.raw,
        url: request.url.clone(),
        timings,
        max_body_size: config.max_body_size,
    };
    Ok((parts, body))
}

/// How many informational (1xx) responses one exchange passes over: a
/// server that sends them without end would otherwise hold it forever.
const MAX_INFORMATIONAL: u32 = 32;

/// The next head in `reader` that is not to be passed over, counting the
/// informational ones in `seen`. `101 Switching Protocols` is final, and
/// so is `100 Continue` when `continue_is_final` (waiting to send a body).
pub(super) fn next_head(
    reader: &mut ResponseReader,
    seen: &mut u32,
    continue_is_final: bool,
) -> Result<Option<ResponseHead>> {
    loop {
        match reader.poll_head()? {
            Some(head)
                if head.status.is_informational()
                    && head.status != StatusCode::SWITCHING_PROTOCOLS
                    && !(continue_is_final && head.status == StatusCode::CONTINUE) =>
            {
                *seen += 1;
                if *seen > MAX_INFORMATIONAL {
                    return Err(ParseError::TooManyInformational {
                        limit: MAX_INFORMATIONAL,
                    }
                    .into());
                }
            }
            head => return Ok(head),
        }
    }
}

pub(super) fn body_reader_error(err: std::io::Error) -> Error {
    Error::BodyReader(err)
}

pub(super) fn length_mismatch(length: u64, sent: u64, which: &str) -> Error {
    Error::InvalidRequest(format!(
        "the request body reader yielded {which} bytes ({sent}) than its length ({length})"
    ))
}
