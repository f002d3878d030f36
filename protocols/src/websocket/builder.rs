//! What both kinds of WebSocket are opened with: the URL, the subprotocols
//! offered, extra request fields, the HTTP client that carries the opening
//! handshake (proxies, TLS, connect timeouts), and the connection's limits.

use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::error::{CloseCode, Error, Result};
use super::extension::{self, SEC_EXTENSIONS};
use super::handshake;
use super::io::Transport;
use super::protocol::{CloseFrame, Config, Protocol, Role};
use crate::http::client::stream::Stream;
use crate::http::client::ClientBuilder;
use crate::http::server::state::GoingAway;
use crate::IntoUrl;

/// How to open a WebSocket: [`WebSocketBuilder::connect`] (blocking) or
/// [`WebSocketBuilder::connect_async`].
#[derive(Debug)]
pub struct WebSocketBuilder {
    pub(crate) url: Result<Url>,
    pub(crate) protocols: Vec<String>,
    pub(crate) headers: HeaderMap,
    pub(crate) http: Option<ClientBuilder>,
    pub(crate) config: Config,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
}

impl WebSocketBuilder {
    pub(crate) fn new(url: impl IntoUrl) -> WebSocketBuilder {
        let text = url.url_text();
        let url = Url::parse(text)
            .map_err(|e| Error::InvalidUrl(format!("{text:?} is not a URL: {e}")))
            .and_then(|url| handshake::http_url(&url));
        WebSocketBuilder {
            url,
            protocols: Vec::new(),
            headers: HeaderMap::new(),
            http: None,
            config: Config::default(),
            read_timeout: None,
            write_timeout: Some(Duration::from_secs(30)),
        }
    }

    /// Offers a subprotocol (`Sec-WebSocket-Protocol`), in order of preference.
    pub fn protocol(mut self, name: impl Into<String>) -> WebSocketBuilder {
        self.protocols.push(name.into());
        self
    }

    /// Adds a field to the opening request (an `Origin`, a token).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> WebSocketBuilder {
        self.headers.append(name, value);
        self
    }

    /// The HTTP client settings of the opening handshake: proxy, TLS, the
    /// connect and handshake timeouts, the resolver.
    pub fn http_client(mut self, client: ClientBuilder) -> WebSocketBuilder {
        self.http = Some(client);
        self
    }

    /// Frame and message limits, and whether pings are answered.
    pub fn config(mut self, config: Config) -> WebSocketBuilder {
        self.config = config;
        self
    }

    /// How long a read waits for the peer; none by default (a WebSocket
    /// may stay quiet for long: send pings to find a dead peer).
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> WebSocketBuilder {
        self.read_timeout = timeout;
        self
    }

    /// How long a write waits for the peer to take bytes; 30 s by default.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> WebSocketBuilder {
        self.write_timeout = timeout;
        self
    }

    /// The HTTP client settings, and the request's URL and fields with
    /// the handshake's key; what both modes send.
    pub(crate) fn handshake_parts(&mut self) -> Result<(ClientBuilder, Url, HeaderMap, String)> {
        let url = std::mem::replace(&mut self.url, Err(Error::Closed))?;
        let key = handshake::client_key();
        let mut headers = handshake::request_headers(&key, &self.protocols)?;
        if let Some(deflate) = self.config.deflate_settings() {
            headers.insert(SEC_EXTENSIONS, extension::offer(deflate));
        }
        for (name, value) in &self.headers {
            headers.append(name, value.clone());
        }
        let http = self.http.take().unwrap_or_default();
        Ok((http, url, headers, key))
    }

    /// Checks the server's answer and takes over its connection: what both
    /// modes do once the `101` has arrived.
    pub(crate) fn open(
        &self,
        key: &str,
        status: http::StatusCode,
        headers: &HeaderMap,
        upgraded: Option<(Stream, Vec<u8>)>,
    ) -> Result<Connection> {
        let protocol = handshake::check_response(status, headers, key, &self.protocols)?;
        let deflate =
            extension::agreed(headers, self.config.deflate_settings()).map_err(Error::Handshake)?;
        let (stream, buffered) = upgraded
            .ok_or_else(|| Error::Handshake("the connection closed after the 101".into()))?;
        Connection::new(
            Transport::Client(Box::new(stream)),
            Role::Client,
            self.config.clone().deflate(deflate),
            &buffered,
            protocol,
            (self.read_timeout, self.write_timeout),
        )
    }
}

/// An open WebSocket's parts, whichever mode drives it.
pub(crate) struct Connection {
    pub stream: Transport,
    pub core: Protocol,
    /// The subprotocol the server chose.
    pub protocol: Option<String>,
    /// On a served connection: set when the server shuts down.
    pub going_away: Option<GoingAway>,
}

impl Connection {
    /// The connection once the handshake is done: `buffered` is what
    /// arrived after the handshake's head, `timeouts` the read and write
    /// timeouts.
    pub(crate) fn new(
        stream: Transport,
        role: Role,
        config: Config,
        buffered: &[u8],
        protocol: Option<String>,
        timeouts: (Option<Duration>, Option<Duration>),
    ) -> Result<Connection> {
        stream.network().set_read_timeout(timeouts.0)?;
        stream.network().set_write_timeout(timeouts.1)?;
        let mut core = Protocol::new(role, config);
        core.receive(buffered);
        Ok(Connection {
            stream,
            core,
            protocol,
            going_away: None,
        })
    }

    /// Has the server's shutdown wake the task about to wait in a read
    /// (an asynchronous served connection; a blocking one reads inside
    /// the server's cancel token, see [`Connection::cancellable_read`]).
    pub(crate) fn wake_on_going_away(&self, waker: &std::task::Waker) {
        if let Some(going_away) = &self.going_away {
            going_away.wake_on_shutdown(waker);
        }
    }

    /// A blocking served connection reads inside its server's cancel token
    /// while this lives, so that the server's shutdown ends a read that
    /// waits; `None` elsewhere.
    pub(crate) fn cancellable_read(&self) -> Option<sockets::Entered> {
        let token = self.going_away.as_ref()?.cancel_token()?;
        Some(token.enter())
    }

    /// True once the server that serves this connection is shutting down;
    /// the close frame with 1001 (going away) is then queued, once. The
    /// driver writes the output and ends the call with
    /// [`Error::ServerShutdown`].
    pub(crate) fn going_away(&mut self) -> bool {
        if !self.going_away.as_ref().is_some_and(GoingAway::is_set) {
            return false;
        }
        // Refused when this side has sent its close frame already: nothing to add.
        let _ = self.core.close(Some(CloseFrame {
            code: CloseCode::GOING_AWAY,
            reason: "the server is shutting down".into(),
        }));
        true
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("stream", &self.stream)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}
