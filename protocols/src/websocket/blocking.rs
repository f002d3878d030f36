//! The blocking WebSocket: a loop that carries out the core's steps with
//! blocking reads and writes.

use http::Method;

use http::StatusCode;

use super::accept::Accept;
use super::builder::{Connection, WebSocketBuilder};
use super::deflate::Deflate;
use super::error::{Error, Result};
use super::protocol::{CloseFrame, Message, ReadStep};
use crate::http::server::upgrade::OnUpgrade;
use crate::http::server::{Response, ResponseBody};
use crate::IntoUrl;

/// A WebSocket client connection (RFC 6455), blocking.
///
/// ```no_run
/// use netstack::protocols::websocket::{Message, WebSocket};
///
/// let mut socket = WebSocket::connect("ws://127.0.0.1:9001/echo")?;
/// socket.send(Message::Text("hello".into()))?;
/// let reply = socket.read_message()?;
/// socket.close(None)?;
/// # let _ = reply;
/// # Ok::<(), netstack::protocols::websocket::Error>(())
/// ```
pub struct WebSocket(Connection);

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl WebSocket {
    /// Opens a WebSocket to a `ws://` or `wss://` URL with the defaults.
    pub fn connect(url: impl IntoUrl) -> Result<WebSocket> {
        WebSocket::builder(url).connect()
    }

    /// Settings for opening a WebSocket to `url`.
    pub fn builder(url: impl IntoUrl) -> WebSocketBuilder {
        WebSocketBuilder::new(url)
    }

    /// The next message: text and binary messages whole, pings (already
    /// answered), pongs, and the peer's close frame (already answered),
    /// after which [`Error::Closed`] follows.
    pub fn read_message(&mut self) -> Result<Message> {
        loop {
            match self.0.core.next_read_step() {
                ReadStep::Write => self.flush()?,
                ReadStep::Read => {
                    if self.0.going_away() {
                        self.flush()?;
                        return Err(Error::ServerShutdown);
                    }
                    // A shutdown of the server cancels the read.
                    let inside = self.0.cancellable_read();
                    let Connection { stream, core, .. } = &mut self.0;
                    let read = stream.read_sync(core.read_buffer());
                    drop(inside);
                    let n = *read.as_ref().unwrap_or(&0);
                    core.filled(n);
                    if n == 0 && self.0.going_away() {
                        self.flush()?;
                        return Err(Error::ServerShutdown);
                    }
                    if read? == 0 {
                        self.0.core.end_of_input()?;
                        return Err(Error::Closed);
                    }
                }
                ReadStep::Deliver(message) => return Ok(message),
                ReadStep::Failed(violation) => return Err(violation.into()),
                ReadStep::Closed => return Err(Error::Closed),
            }
        }
    }

    /// Sends a text, binary, ping or pong message (a `Close` starts the
    /// close handshake, as [`WebSocket::close`] does).
    pub fn send(&mut self, message: Message) -> Result<()> {
        if self.0.going_away() {
            self.flush()?;
            return Err(Error::ServerShutdown);
        }
        self.0.core.send(message)?;
        self.flush()
    }

    /// Sends a close frame; read on until the peer's answer
    /// ([`Message::Close`]) to finish the close handshake.
    pub fn close(&mut self, frame: Option<CloseFrame>) -> Result<()> {
        self.0.core.close(frame)?;
        self.flush()
    }

    /// The subprotocol the server chose, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.0.protocol.as_deref()
    }

    /// The permessage-deflate settings agreed in the handshake, if any.
    pub fn deflate(&self) -> Option<&Deflate> {
        self.0.core.deflate()
    }

    fn flush(&mut self) -> Result<()> {
        // Output is consumed as it is written, so a dropped call loses
        // nothing and repeats nothing.
        while !self.0.core.output().is_empty() {
            let n = self.0.stream.write_sync(self.0.core.output())?;
            self.0.core.consume_output(n);
        }
        self.0.stream.flush_sync()?;
        Ok(())
    }
}

impl WebSocketBuilder {
    /// Opens the WebSocket, blocking: connects through the HTTP client
    /// (proxy, TLS, timeouts as set by [`WebSocketBuilder::http_client`]),
    /// sends the upgrade request and checks the server's answer.
    pub fn connect(mut self) -> Result<WebSocket> {
        let (http, url, headers, key) = self.handshake_parts()?;
        let response = http
            .build()
            .request(Method::GET, url.as_str())
            .headers(headers)
            .send()?;
        let (status, fields) = (response.status(), response.headers().clone());
        let connection = self.open(&key, status, &fields, response.into_upgraded())?;
        Ok(WebSocket(connection))
    }
}

impl Accept {
    /// The answer to the request, for a blocking server's handler: a `101`
    /// whose `serve` runs on the connection's thread once it is written
    /// (the thread is the connection's for as long as `serve` runs), or the
    /// refusal (`400`, or `426` for another protocol version) with its reason.
    /// When the server shuts down, the WebSocket's next read or send
    /// closes it with 1001 (going away) and fails with
    /// [`Error::ServerShutdown`]; a read waiting at that moment ends at
    /// once (a send goes on, bounded by the write timeout). After `serve`
    /// returns the server still reads the client's answer to the close
    /// frame (at most 2 s), so the connection ends cleanly; a `wss://`
    /// one with TLS's `close_notify`, as long as the WebSocket was dropped
    /// by then (one moved to another thread has its connection's sending
    /// side shut under it, without `close_notify`).
    pub fn serve(self, serve: impl FnOnce(WebSocket) + Send + 'static) -> Response {
        let answer = self.answer();
        let switching = answer.status == StatusCode::SWITCHING_PROTOCOLS;
        let mut response = Response::new(ResponseBody::full(answer.body));
        *response.status_mut() = answer.status;
        *response.headers_mut() = answer.headers;
        if switching {
            response
                .extensions_mut()
                .insert(OnUpgrade::new(move |upgraded| match self.open(upgraded) {
                    Ok(connection) => serve(WebSocket(connection)),
                    Err(err) => super::events::open_failed(&err),
                }));
        }
        response
    }
}
