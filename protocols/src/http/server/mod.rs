//! The HTTP/1.1 server: the `HttpListener` of this stack, in both modes.
//!
//! - [`HttpServer`]: synchronous — an accept thread and a bounded pool of
//!   worker threads; the handler is `Fn(`[`Request`]`) -> `[`Response`].
//! - [`AsyncHttpServer`]: asynchronous — [`serve`](AsyncHttpServer::serve)
//!   returns one future that accepts and drives every connection, under
//!   any executor; the handler returns a future of an [`AsyncResponse`].
//! - [`ServerConfig`]: limits (head size and header count via
//!   [`Limits`](crate::http::Limits), body size) and timeouts (head —
//!   against slowloris —, body, idle keep-alive, write, shutdown grace),
//!   and TLS ([`ServerConfig::tls`]).
//! - [`ShutdownHandle`]: graceful shutdown — stop accepting, close idle
//!   connections, let requests in flight finish, then return.
//!
//! Both drivers are thin loops around one per-connection state machine
//! (sans-IO: bytes in, request heads and body bytes out; response heads and
//! bodies in, bytes out), so they behave the same: keep-alive and
//! pipelining (requests answered strictly in order), `Expect:
//! 100-continue` (answered when the handler first reads the body), no body
//! for HEAD, `204` and `304`, `Content-Length` for fixed bodies and chunked
//! coding for streams of unknown length, and on bad input a status and a
//! closed connection: `400` (malformed, `Transfer-Encoding` with
//! `Content-Length`, obs-fold, no `Host`), `413` (body too large), `431`
//! (head too large), `501` (a transfer coding other than chunked), `408`
//! (a head or body that did not arrive in time).
//!
//! How a connection is served: the driver asks the connection's state
//! machine for its next step and carries it out, one `match` per driver:
//!
//! ```text
//!  accept ─► [TLS handshake] ─► next step ─┬─ Read { idle }: write what is queued
//!                   ▲                      │    (100 Continue, a rejection), read
//!                   │                      │    until the head, body or idle deadline
//!                   │                      ├─ Handle(request head): call the handler,
//!                   │                      │    hand its response over (head, body,
//!                   │                      │    end) and write it
//!                   └──────────────────────┤  after a response: drain what the handler
//!                                          │    left of the body, keep-alive or not
//!                                          └─ Close: write what is left, close_notify,
//!                                               shut down, linger if the client may
//!                                               still be sending, close
//! ```

mod async_server;
mod body;
mod config;
mod conn;
mod date;
mod events;
mod io;
mod rejection;
#[cfg(feature = "tower")]
mod service;
pub(crate) mod state;
pub(crate) mod stream;
mod sync_idle;
mod sync_server;
pub(crate) mod upgrade;

pub use async_server::{AsyncHttpServer, ConnFuture};
pub use body::{
    AsyncRequest, AsyncRequestBody, AsyncResponse, AsyncResponseBody, ConnectionInfo, Request,
    RequestBody, Response, ResponseBody, TlsSession,
};
pub use config::ServerConfig;
pub use state::{ShutdownHandle, ShutdownReport};
pub use sync_server::HttpServer;
