//! What the server tells `tracing` subscribers (the `tracing` feature),
//! under the target `netstack::http::server`. Each connection has a span,
//! `connection`, with the peer and local addresses, and each request one
//! inside it, `request` (method and target), around the handler and the
//! response, so the handler's own events fall in both; the core
//! reports each request (`debug`) and each request it rejects (`warn`:
//! malformed, too large, too slow), and the drivers report a handler that
//! panicked (`error`) and a TLS handshake that failed (`warn`). An accept
//! that fails (out of descriptors) is a `warn` outside any connection.
//! Without the feature every function here compiles to nothing. The spans
//! are [`Span`](crate::http::span::Span)s.

use std::net::SocketAddr;

use http::{Method, StatusCode};

use super::rejection::Rejection;

/// A request head was read (inside its connection's span).
pub(crate) fn request(method: &Method, target: &[u8]) {
    // The target is text (the parser checked it); it is looked at only
    // when a subscriber wants the event.
    #[cfg(feature = "tracing")]
    tracing::debug!(
        target: "netstack::http::server",
        method = %method,
        target = ?String::from_utf8_lossy(target),
        "request"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (method, target);
}

/// A response is about to be sent.
pub(crate) fn response(status: StatusCode) {
    #[cfg(feature = "tracing")]
    tracing::debug!(target: "netstack::http::server", status = status.as_u16(), "response");
    #[cfg(not(feature = "tracing"))]
    let _ = status;
}

/// The core refused a request: the status it gets and why.
pub(crate) fn rejected(rejection: &Rejection) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "netstack::http::server",
        status = rejection.status.as_u16(),
        "request rejected: {}",
        rejection.message()
    );
    #[cfg(not(feature = "tracing"))]
    let _ = rejection;
}

/// A handler answered `101` to switch protocols but kept the request's
/// body, which reads from the same connection: the connection is closed.
pub(crate) fn upgrade_abandoned() {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: "netstack::http::server",
        "the handler switched protocols but kept the request body: the connection is closed"
    );
}

/// The handler panicked; the client gets a `500` and the connection closes.
pub(crate) fn handler_panicked() {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: "netstack::http::server",
        "the handler panicked: the client gets 500 Internal Server Error and the connection closes"
    );
}

/// A tower service failed a request; the client gets a `500`.
#[cfg(feature = "tower")]
pub(crate) fn service_failed(error: &(dyn std::error::Error + Send + Sync)) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: "netstack::http::server",
        "the service failed: {error}; the client gets 500 Internal Server Error"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}

/// The TLS handshake of a new connection failed; it is closed.
pub(crate) fn handshake_failed(
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    error: &transport::tls::TlsError,
) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: "netstack::http::server",
        peer = ?peer,
        local = ?local,
        "TLS handshake failed: {error}"
    );
    #[cfg(not(feature = "tracing"))]
    let _ = (peer, local, error);
}

/// Accepting a connection failed (out of descriptors and the like).
pub(crate) fn accept_failed(error: &transport::Error) {
    #[cfg(feature = "tracing")]
    tracing::warn!(target: "netstack::http::server", "accept failed: {error}");
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}
