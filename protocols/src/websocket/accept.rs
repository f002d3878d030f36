//! The server's side of the opening handshake (RFC 6455 §4.2): a handler
//! of netstack's HTTP server checks the upgrade request with [`Accept`] and
//! answers it with [`Accept::serve`] (blocking server) or
//! [`Accept::serve_async`] (async server): a `101` response that carries
//! the code to run on the connection once the response is written.

use std::time::Duration;

use http::header::{HeaderMap, HeaderValue, CONNECTION, UPGRADE};
use http::{Method, StatusCode, Version};

use super::builder::Connection;
use super::deflate::Deflate;
use super::error::Result;
use super::extension::{self, SEC_EXTENSIONS};
use super::handshake::{accept_key, has_token, SEC_ACCEPT, SEC_KEY, SEC_PROTOCOL, SEC_VERSION};
use super::io::{Lent, Transport};
use super::protocol::{Config, Role};
use crate::http::server::upgrade::Upgraded;

/// An upgrade request, checked: answer it with [`Accept::serve`] or
/// [`Accept::serve_async`], which give a `101` when the request is a valid
/// WebSocket opening and a `400` (or `426` for another protocol version)
/// with the reason otherwise.
///
/// ```no_run
/// use netstack::protocols::http::server::{HttpServer, Request, ServerConfig};
/// use netstack::protocols::websocket::{Accept, Message};
///
/// let server = HttpServer::bind(([127, 0, 0, 1], 9001), ServerConfig::default(), |request: Request| {
///     Accept::new(&request).protocols(&["chat"]).serve(|mut socket| {
///         while let Ok(message) = socket.read_message() {
///             if let Message::Text(_) | Message::Binary(_) = message {
///                 if socket.send(message).is_err() {
///                     break;
///                 }
///             }
///         }
///     })
/// })?;
/// # Ok::<(), netstack::protocols::http::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Accept {
    checked: std::result::Result<String, (StatusCode, String)>,
    offered: Vec<String>,
    supported: Vec<String>,
    /// The request's `Sec-WebSocket-Extensions` fields.
    extensions: HeaderMap,
    pub(crate) config: Config,
    read_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

/// The response [`Accept`] gives, in either server's response type.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// True when `request` asks to become a WebSocket (`Upgrade: websocket`):
/// route it to [`Accept`].
pub fn is_upgrade<B>(request: &http::Request<B>) -> bool {
    has_token(request.headers(), UPGRADE, "websocket")
}

impl Accept {
    /// Checks `request` as an opening handshake: `GET`, HTTP/1.1,
    /// `Upgrade: websocket`, `Connection: Upgrade`, a 16-byte
    /// `Sec-WebSocket-Key`, `Sec-WebSocket-Version: 13`.
    pub fn new<B>(request: &http::Request<B>) -> Accept {
        let headers = request.headers();
        let offered = headers
            .get_all(SEC_PROTOCOL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        let mut extensions = HeaderMap::new();
        for value in headers.get_all(SEC_EXTENSIONS) {
            extensions.append(SEC_EXTENSIONS, value.clone());
        }
        Accept {
            checked: check_request(request),
            offered,
            supported: Vec::new(),
            extensions,
            config: Config::default(),
            read_timeout: None,
            write_timeout: Some(Duration::from_secs(30)),
        }
    }

    /// The subprotocols this server speaks, in its order of preference:
    /// the first the client also offered is chosen. Without a match the
    /// connection opens without one, as RFC 6455 lets a server do.
    pub fn protocols(mut self, supported: &[&str]) -> Accept {
        self.supported = supported.iter().map(|p| p.to_string()).collect();
        self
    }

    /// Frame and message limits, whether pings are answered, and whether
    /// a client's offer of permessage-deflate is taken
    /// ([`Config::deflate`]).
    pub fn config(mut self, config: Config) -> Accept {
        self.config = config;
        self
    }

    /// How long a read waits for the client; none by default.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> Accept {
        self.read_timeout = timeout;
        self
    }

    /// How long a write waits for the client to take bytes; 30 s by default.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> Accept {
        self.write_timeout = timeout;
        self
    }

    /// True when the request is a valid opening handshake.
    pub fn is_valid(&self) -> bool {
        self.checked.is_ok()
    }

    /// The subprotocol that will be chosen, if any.
    pub fn chosen_protocol(&self) -> Option<&str> {
        self.supported
            .iter()
            .find(|p| self.offered.contains(p))
            .map(String::as_str)
    }

    /// The permessage-deflate settings the connection will run with: this
    /// server's, with what the client's first acceptable offer asks.
    pub fn deflate(&self) -> Option<Deflate> {
        self.agreed().map(|(deflate, _)| deflate)
    }

    fn agreed(&self) -> Option<(Deflate, HeaderValue)> {
        extension::accept(&self.extensions, self.config.deflate_settings()?)
    }

    /// The answer's status, fields and body: a `101` with its fields, or
    /// the refusal with its reason.
    pub(crate) fn answer(&self) -> Answer {
        let key = match &self.checked {
            Ok(key) => key,
            Err((status, why)) => {
                let mut headers = HeaderMap::new();
                if *status == StatusCode::UPGRADE_REQUIRED {
                    headers.insert(SEC_VERSION, HeaderValue::from_static("13"));
                }
                return Answer {
                    status: *status,
                    headers,
                    body: why.clone().into_bytes(),
                };
            }
        };
        let mut headers = HeaderMap::new();
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(
            SEC_ACCEPT,
            HeaderValue::from_str(&accept_key(key)).expect("base64 is a valid header value"),
        );
        if let Some((_, answer)) = self.agreed() {
            headers.insert(SEC_EXTENSIONS, answer);
        }
        if let Some(protocol) = self.chosen_protocol() {
            if let Ok(value) = HeaderValue::from_str(protocol) {
                headers.insert(SEC_PROTOCOL, value);
            }
        }
        Answer {
            status: StatusCode::SWITCHING_PROTOCOLS,
            headers,
            body: Vec::new(),
        }
    }

    /// The open connection on what the server handed over.
    pub(crate) fn open(&self, upgraded: Upgraded) -> Result<Connection> {
        let mut connection = Connection::new(
            Transport::Server(Lent::new(upgraded.stream, upgraded.give_back), upgraded.net),
            Role::Server,
            self.config.clone().deflate(self.deflate()),
            &upgraded.leftover,
            self.chosen_protocol().map(str::to_string),
            (self.read_timeout, self.write_timeout),
        )?;
        connection.going_away = Some(upgraded.going_away);
        Ok(connection)
    }
}

fn check_request<B>(
    request: &http::Request<B>,
) -> std::result::Result<String, (StatusCode, String)> {
    let bad = |why: &str| Err((StatusCode::BAD_REQUEST, format!("{why}.\n")));
    let headers = request.headers();
    if request.method() != Method::GET {
        return bad("A WebSocket opening handshake is a GET request");
    }
    if request.version() < Version::HTTP_11 {
        return bad("A WebSocket opening handshake needs HTTP/1.1");
    }
    if !has_token(headers, UPGRADE, "websocket") {
        return bad("The request does not ask for Upgrade: websocket");
    }
    if !has_token(headers, CONNECTION, "upgrade") {
        return bad("The request's Connection header does not name Upgrade");
    }
    if headers
        .get(SEC_VERSION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        != Some("13")
    {
        return Err((
            StatusCode::UPGRADE_REQUIRED,
            "This server speaks WebSocket version 13 only.\n".to_string(),
        ));
    }
    let key = headers
        .get(SEC_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    // 16 bytes in base64: 22 characters and "==".
    let well_formed = key.len() == 24
        && key.ends_with("==")
        && key.as_bytes()[..22]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');

    if !well_formed {
        return bad("The Sec-WebSocket-Key is not 16 bytes in base64");
    }
    Ok(key.to_string())
}
