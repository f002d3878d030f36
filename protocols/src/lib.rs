//! netstack layer 3: the protocol layer, on the transport layer.
//!
//! - [`http`]: HTTP/1.1 — the sans-IO core (heads, framing rules, bodies,
//!   limits), the pooled client and the server, each sync and async.
//! - [`fetch`]: the URL fetcher — one call for `http`, `https`, `ftp`,
//!   `file` and `data` URLs (and schemes of your own), sync and async.
//! - [`ftp`]: an FTP client (RFC 959, `EPSV`, `SIZE`/`MDTM`), sync and
//!   async — a sans-IO reply parser, login, passive data connections,
//!   `RETR` (resumable), `STOR`, `LIST`/`NLST`, typed errors per reply.
//! - [`framing`]: the framing toolkit — `Decoder`/`Encoder` codecs (lines,
//!   length-delimited, raw bytes) and `Framed`, sync and async.
//! - [`resp`]: RESP2, the Redis protocol — a sans-IO codec and a small
//!   client (sync and async, pipelining), built on the framing toolkit.
//! - [`dns`]: a DNS stub client — sans-IO queries and replies (A, AAAA,
//!   CNAME, MX, TXT), sync and async, UDP with retries and TCP fallback
//!   through the framing toolkit.
//! - [`icmp`]: ICMP and ICMPv6 echo — sans-IO encoding and parsing of echo
//!   requests, replies and error reports, ping statistics, and a
//!   `Pinger` on a raw socket (sync and async).
//!
//! Features:
//! - `tracing` (on by default): events for `tracing` subscribers, from the
//!   HTTP client (a span per request, its redirects included, and each
//!   step in it, target `netstack::http::client`) and the HTTP server (a
//!   span per connection and one per request; rejected requests, failed
//!   TLS handshakes and panicking handlers as warnings and errors, target
//!   `netstack::http::server`).
//! - `json`: JSON request bodies from any `serde::Serialize` value and
//!   response bodies read into any `serde::Deserialize` type, with
//!   serde_json, in the HTTP client (`RequestBuilder::json`,
//!   `Response::json`) and the fetcher (`FetchRequest::json`,
//!   `FetchResponse::json`).
//! - `cookies`: the HTTP client's cookie jar (`http::client::CookieJar`),
//!   with cookie_store.
//! - `tokio`: tokio's `AsyncRead` on the asynchronous bodies (the client's
//!   and the fetcher's responses, the server's request bodies).
//! - `http-body`: `http_body::Body` on the same bodies.
//! - `tower`: the async server serves a tower `Service` (an axum `Router`):
//!   `http::server::AsyncHttpServer::serve_service`.
//!
//! Every asynchronous body also reads as a `Stream` of `Bytes`
//! (`bytes_stream()`, a [`BodyStream`]), and a request body can be made
//! from one (`http::client::Body::from_stream`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// docs.rs (`--cfg docsrs`, nightly) marks what each feature adds.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body_traits;
pub mod dns;
pub mod fetch;
pub mod framing;
pub mod ftp;
pub mod http;
pub mod icmp;
mod into_url;
pub mod resp;
pub mod websocket;

pub use body_traits::BodyStream;
/// The `bytes` crate this layer's bodies are made of (the same version).
pub use bytes;
pub use into_url::IntoUrl;
pub use transport;
/// The `url` crate whose `Url` this layer's clients take and return.
pub use url;
