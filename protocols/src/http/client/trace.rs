//! What a request did, layer by layer, as it happens: the events a
//! [`ClientBuilder::trace`](super::ClientBuilder::trace) hook receives (the
//! material of `netstack fetch -v`, like curl's `--verbose`), and the TLS
//! session facts kept with each connection ([`TlsInfo`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, StatusCode, Version};
use transport::tls::rustls::pki_types::CertificateDer;
use transport::tls::{CertificateInfo, TlsStream, TlsVersion};
use transport::{ConnectAttempt, NetworkStream};
use url::Url;

/// The TLS session of an `https` connection, as negotiated.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The protocol version (TLS 1.2 or 1.3).
    pub version: Option<TlsVersion>,
    /// The cipher suite, e.g. `TLS13_AES_128_GCM_SHA256`.
    pub cipher_suite: Option<&'static str>,
    /// The application protocol agreed by ALPN (`http/1.1`), if any.
    pub alpn: Option<Vec<u8>>,
    /// True when the session was resumed rather than fully negotiated.
    pub resumed: bool,
    /// The server's leaf certificate (DER), read only when asked for.
    leaf: Option<CertificateDer<'static>>,
}

impl TlsInfo {
    pub(crate) fn of(tls: &TlsStream<NetworkStream>) -> TlsInfo {
        TlsInfo {
            version: tls.protocol_version(),
            cipher_suite: tls.cipher_suite(),
            alpn: tls.alpn_protocol().map(<[u8]>::to_vec),
            resumed: tls.is_resumed(),
            leaf: tls
                .peer_certificates()
                .and_then(|chain| chain.first().cloned()),
        }
    }

    /// Subject, issuer, validity and names of the server's certificate,
    /// read from its bytes now (a connection that nobody asks about never
    /// parses its certificate); `None` when it presented none or it cannot
    /// be read.
    pub fn peer_certificate(&self) -> Option<CertificateInfo> {
        CertificateInfo::parse(self.leaf.as_ref()?)
    }
}

/// One step of a request, in the order it happens.
#[derive(Debug)]
#[non_exhaustive]
pub enum TraceEvent<'a> {
    /// The host name was resolved (an IP literal resolves to itself).
    Resolved {
        /// The name.
        host: &'a str,
        /// Its addresses, in the order they will be tried.
        addresses: &'a [IpAddr],
        /// How long resolution took.
        took: Duration,
    },
    /// A TCP connection was established (Happy Eyeballs: every attempt made).
    Connected {
        /// The host name.
        host: &'a str,
        /// The port.
        port: u16,
        /// Each attempt and how it ended; the last one connected.
        attempts: &'a [ConnectAttempt],
        /// How long the connect race took.
        took: Duration,
    },
    /// A pooled connection is used for the request.
    Reused {
        /// The URL requested.
        url: &'a Url,
    },
    /// The TLS handshake completed.
    TlsEstablished {
        /// The negotiated session.
        info: &'a TlsInfo,
        /// How long the handshake took.
        took: Duration,
    },
    /// The request head as sent (start line and header fields, CRLFs included).
    RequestHead(&'a [u8]),
    /// The final (non-1xx) response head arrived.
    ResponseHead {
        /// Its HTTP version.
        version: Version,
        /// Its status.
        status: StatusCode,
        /// Its header fields.
        headers: &'a HeaderMap,
        /// The head exactly as received (names in the server's case).
        raw: &'a [u8],
    },
    /// A redirect is followed to `to`.
    Redirect {
        /// The redirect status.
        status: StatusCode,
        /// The next URL.
        to: &'a Url,
    },
    /// The server answered `417 Expectation Failed` before the body went:
    /// the request goes again, to `url`, without `Expect: 100-continue`.
    RepeatWithoutExpect {
        /// The URL asked again.
        url: &'a Url,
    },
}

/// The hook a client reports [`TraceEvent`]s to.
pub(crate) type Tracer = Arc<dyn Fn(&TraceEvent<'_>) + Send + Sync>;

/// The head part of an opening write (which may carry a small body after it).
pub(crate) fn head_of(opening: &[u8]) -> &[u8] {
    opening
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(opening, |end| &opening[..end + 4])
}

/// Reports `event` to `tracing` (the `tracing` feature), under the target
/// `netstack::http::client`: a subscriber sees the same events as a
/// [`ClientBuilder::trace`](super::ClientBuilder::trace) hook, made in one
/// place. The normal path is `debug`; the request head is `trace`.
#[cfg(feature = "tracing")]
pub(crate) fn emit(event: &TraceEvent<'_>) {
    match event {
        TraceEvent::Resolved {
            host,
            addresses,
            took,
        } => tracing::debug!(
            target: "netstack::http::client",
            host,
            addresses = ?addresses,
            took = ?took,
            "resolved"
        ),
        TraceEvent::Connected {
            host,
            port,
            attempts,
            took,
        } => tracing::debug!(
            target: "netstack::http::client",
            host,
            port,
            remote = ?attempts.last().map(|a| a.address),
            attempts = attempts.len(),
            took = ?took,
            "connected"
        ),
        TraceEvent::Reused { url } => tracing::debug!(
            target: "netstack::http::client",
            url = %url,
            "reusing a pooled connection"
        ),
        TraceEvent::TlsEstablished { info, took } => tracing::debug!(
            target: "netstack::http::client",
            version = ?info.version,
            cipher_suite = info.cipher_suite,
            resumed = info.resumed,
            took = ?took,
            "TLS session established"
        ),
        TraceEvent::RequestHead(head) => tracing::trace!(
            target: "netstack::http::client",
            head = %String::from_utf8_lossy(head),
            "request head sent"
        ),
        TraceEvent::ResponseHead {
            version, status, ..
        } => tracing::debug!(
            target: "netstack::http::client",
            status = status.as_u16(),
            version = ?version,
            "response head received"
        ),
        TraceEvent::Redirect { status, to } => tracing::debug!(
            target: "netstack::http::client",
            status = status.as_u16(),
            to = %to,
            "following a redirect"
        ),
        TraceEvent::RepeatWithoutExpect { url } => tracing::debug!(
            target: "netstack::http::client",
            url = %url,
            "repeating the request without Expect after a 417"
        ),
    }
}

/// True when a `tracing` subscriber wants the client's events.
#[cfg(feature = "tracing")]
pub(crate) fn wanted() -> bool {
    tracing::enabled!(target: "netstack::http::client", tracing::Level::DEBUG)
}

#[cfg(not(feature = "tracing"))]
pub(crate) fn wanted() -> bool {
    false
}
