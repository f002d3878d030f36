//! The asynchronous WebSocket: the same loop as the blocking one over the
//! core's steps, each wait a future.

use http::Method;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::StatusCode;

use super::accept::Accept;
use super::builder::{Connection, WebSocketBuilder};
use super::deflate::Deflate;
use super::error::{Error, Result};
use super::protocol::{CloseFrame, Message, ReadStep};
use crate::http::server::upgrade::OnUpgradeAsync;
use crate::http::server::{AsyncResponse, AsyncResponseBody};
use crate::IntoUrl;

/// A WebSocket client connection (RFC 6455) whose calls are futures,
/// under any executor.
///
/// ```no_run
/// use netstack::protocols::websocket::{AsyncWebSocket, Message};
///
/// netstack::sockets::block_on(async {
///     let mut socket = AsyncWebSocket::connect("ws://127.0.0.1:9001/echo").await?;
///     socket.send(Message::Text("hello".into())).await?;
///     let reply = socket.read_message().await?;
///     socket.close(None).await?;
///     # let _ = reply;
///     Ok::<(), netstack::protocols::websocket::Error>(())
/// })?;
/// # Ok::<(), netstack::protocols::websocket::Error>(())
/// ```
pub struct AsyncWebSocket(Connection);

impl std::fmt::Debug for AsyncWebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl AsyncWebSocket {
    /// Opens a WebSocket to a `ws://` or `wss://` URL with the defaults.
    pub async fn connect(url: impl IntoUrl) -> Result<AsyncWebSocket> {
        WebSocketBuilder::new(url).connect_async().await
    }

    /// Settings for opening a WebSocket to `url`.
    pub fn builder(url: impl IntoUrl) -> WebSocketBuilder {
        WebSocketBuilder::new(url)
    }

    /// The next message (see [`WebSocket::read_message`](super::WebSocket::read_message)).
    /// Dropping the future loses nothing: what has arrived stays in the core.
    pub async fn read_message(&mut self) -> Result<Message> {
        poll_fn(|cx| self.poll_read_message(cx)).await
    }

    /// Sends a text, binary, ping or pong message.
    pub async fn send(&mut self, message: Message) -> Result<()> {
        if self.0.going_away() {
            poll_fn(|cx| self.poll_write_output(cx)).await?;
            return Err(Error::ServerShutdown);
        }
        self.0.core.send(message)?;
        poll_fn(|cx| self.poll_write_output(cx)).await
    }

    /// Sends a close frame; read on until the peer's answer.
    pub async fn close(&mut self, frame: Option<CloseFrame>) -> Result<()> {
        self.0.core.close(frame)?;
        poll_fn(|cx| self.poll_write_output(cx)).await
    }

    /// The subprotocol the server chose, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.0.protocol.as_deref()
    }

    /// The permessage-deflate settings agreed in the handshake, if any.
    pub fn deflate(&self) -> Option<&Deflate> {
        self.0.core.deflate()
    }

    /// Polls for the next message: the core's steps, each wait a poll.
    pub fn poll_read_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message>> {
        loop {
            match self.0.core.next_read_step() {
                ReadStep::Write => ready!(self.poll_write_output(cx))?,
                ReadStep::Read => {
                    // A shutdown of the server wakes this wait.
                    self.0.wake_on_going_away(cx.waker());
                    if self.0.going_away() {
                        ready!(self.poll_write_output(cx))?;
                        return Poll::Ready(Err(Error::ServerShutdown));
                    }
                    let Connection { stream, core, .. } = &mut self.0;
                    let read = stream.poll_read(cx, core.read_buffer());
                    let n = match &read {
                        Poll::Ready(Ok(n)) => *n,
                        _ => 0,
                    };
                    core.filled(n);
                    if ready!(read)? == 0 {
                        self.0.core.end_of_input()?;
                        return Poll::Ready(Err(Error::Closed));
                    }
                }
                ReadStep::Deliver(message) => return Poll::Ready(Ok(message)),
                ReadStep::Failed(violation) => return Poll::Ready(Err(violation.into())),
                ReadStep::Closed => return Poll::Ready(Err(Error::Closed)),
            }
        }
    }

    /// Writes the core's output, consuming it as it goes: a dropped call
    /// loses nothing and repeats nothing.
    fn poll_write_output(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let Connection { stream, core, .. } = &mut self.0;
        while !core.output().is_empty() {
            let n = ready!(stream.poll_write(cx, core.output()))?;
            core.consume_output(n);
        }
        Poll::Ready(Ok(ready!(stream.poll_flush(cx))?))
    }
}

/// The messages as they arrive; the stream ends after the close handshake.
impl futures_core::Stream for AsyncWebSocket {
    type Item = Result<Message>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Message>>> {
        match ready!(self.get_mut().poll_read_message(cx)) {
            Err(Error::Closed) => Poll::Ready(None),
            other => Poll::Ready(Some(other)),
        }
    }
}

/// Messages to send; closing the sink starts the close handshake.
impl futures_sink::Sink<Message> for AsyncWebSocket {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_write_output(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<()> {
        self.get_mut().0.core.send(message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.get_mut().poll_write_output(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        if !this.0.core.close_sent() {
            this.0.core.close(None)?;
        }
        this.poll_write_output(cx)
    }
}

impl WebSocketBuilder {
    /// Opens the WebSocket without blocking a thread (see
    /// [`WebSocketBuilder::connect`]).
    pub async fn connect_async(mut self) -> Result<AsyncWebSocket> {
        let (http, url, headers, key) = self.handshake_parts()?;
        let response = http
            .build_async()
            .request(Method::GET, url.as_str())
            .headers(headers)
            .send()
            .await?;
        let (status, fields) = (response.status(), response.headers().clone());
        let connection = self.open(&key, status, &fields, response.into_upgraded())?;
        Ok(AsyncWebSocket(connection))
    }
}

impl Accept {
    /// The answer to the request, for an async server's handler: a `101`
    /// whose `serve` future the connection's task drives once it is
    /// written, or the refusal (`400`, or `426` for another protocol
    /// version) with its reason. When the server shuts down, the
    /// WebSocket's next read or send closes it with 1001 (going away) and
    /// fails with [`Error::ServerShutdown`]. When the future ends, the
    /// server reads the client's answer to the close frame (at most 2 s)
    /// and ends a `wss://` connection with TLS's `close_notify`, as long as
    /// the WebSocket was dropped by then (one moved to another task has its
    /// connection's sending side shut under it, without `close_notify`).
    pub fn serve_async<F, Fut>(self, serve: F) -> AsyncResponse
    where
        F: FnOnce(AsyncWebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let answer = self.answer();
        let switching = answer.status == StatusCode::SWITCHING_PROTOCOLS;
        let mut response = AsyncResponse::new(AsyncResponseBody::full(answer.body));
        *response.status_mut() = answer.status;
        *response.headers_mut() = answer.headers;
        if switching {
            response
                .extensions_mut()
                .insert(OnUpgradeAsync::new(move |upgraded| async move {
                    match self.open(upgraded) {
                        Ok(connection) => serve(AsyncWebSocket(connection)).await,
                        Err(err) => super::events::open_failed(&err),
                    }
                }));
        }
        response
    }
}
