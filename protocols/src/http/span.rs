//! The spans the HTTP client and server open for `tracing` subscribers
//! (the `tracing` feature): the server's `connection` span and its
//! `request` spans inside it (target `netstack::http::server`), and the
//! client's `request` span around one request, its redirects included
//! (target `netstack::http::client`). Without the feature a span is an
//! empty value and entering it does nothing.

use std::future::Future;
use std::net::SocketAddr;

use http::Method;
use url::Url;

/// A span of the client or the server.
#[derive(Clone)]
pub(crate) struct Span {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl Span {
    /// The span of a request, `request` (method and target), inside its
    /// connection's: the handler's own events, and the response's, fall in it.
    pub(crate) fn server_request(method: &Method, target: &http::Uri) -> Span {
        #[cfg(not(feature = "tracing"))]
        let _ = (method, target);
        Span {
            #[cfg(feature = "tracing")]
            span: tracing::debug_span!(
                target: "netstack::http::server",
                "request",
                method = %method,
                target = %target,
            ),
        }
    }

    /// The span of a connection from `peer` to `local`.
    pub(crate) fn server_connection(
        peer: Option<SocketAddr>,
        local: Option<SocketAddr>,
        tls: bool,
    ) -> Span {
        #[cfg(not(feature = "tracing"))]
        let _ = (peer, local, tls);
        Span {
            #[cfg(feature = "tracing")]
            span: tracing::debug_span!(
                target: "netstack::http::server",
                "connection",
                peer = ?peer,
                local = ?local,
                tls,
            ),
        }
    }

    /// The span of a client's request, `request` (method and URL), around
    /// its exchange with every redirect it follows: the client's events, and
    /// the transport's connection attempts, fall in it.
    pub(crate) fn client_request(method: &Method, url: &Url) -> Span {
        #[cfg(not(feature = "tracing"))]
        let _ = (method, url);
        Span {
            #[cfg(feature = "tracing")]
            span: tracing::debug_span!(
                target: "netstack::http::client",
                "request",
                method = %method,
                url = %url,
            ),
        }
    }

    /// Runs `f` inside the span.
    pub(crate) fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        return self.span.in_scope(f);
        #[cfg(not(feature = "tracing"))]
        f()
    }

    /// `future`, polled inside the span.
    pub(crate) fn instrument<F: Future>(&self, future: F) -> impl Future<Output = F::Output> {
        #[cfg(feature = "tracing")]
        return tracing::Instrument::instrument(future, self.span.clone());
        #[cfg(not(feature = "tracing"))]
        future
    }
}
