//! The asynchronous driver: one future accepts connections and drives a
//! future per connection (a `FuturesUnordered`), through the same core as
//! the synchronous driver. No runtime is required: netstack's reactor
//! wakes the futures, so any executor can poll them.

use std::future::{poll_fn, Future};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_io::AsyncRead;
use futures_util::future::FutureExt;
use futures_util::stream::{FuturesUnordered, StreamExt};
use sockets::EndPoint;
use transport::tls::TlsStream;
use transport::{NetworkStream, TcpListener};

use super::body::{
    AsyncRequest, AsyncRequestBody, AsyncResponse, ConnectionInfo, Content, TlsSession,
};
use super::conn::{panic_response, Conn, Step, DIRECT_WRITE, STREAM_CHUNK};
use super::events;
use super::io::{
    close_async, end_sending_async, fill_async, flush_async, linger_async, write_all_async, Filled,
};
use super::rejection::refuse_busy;
use super::state::{ConnGuard, ServerState, ShutdownHandle};
use super::stream::{lock, next_step, Link, Shared, SharedNet, Stream};
use super::upgrade::{self, OnUpgradeAsync};
use super::ServerConfig;
use crate::http::span::Span;
use crate::http::Error;
use sockets::{sleep, Sleep};

/// An asynchronous HTTP/1.1 server: [`serve`](AsyncHttpServer::serve)
/// returns one future that accepts connections and drives every
/// connection concurrently (keep-alive, pipelined requests in order),
/// calling the async handler for each request. Run the future on any
/// executor — tokio, smol, `futures::executor`, or [`sockets::block_on`] —
/// or spawn it; it finishes after a [`ShutdownHandle::shutdown`].
///
/// The handler is an `Fn(AsyncRequest) -> impl Future<Output = AsyncResponse>`
/// (e.g. a closure returning an `async move` block); the request body is an
/// [`AsyncRequestBody`]. Limits, timeouts (timers in netstack's reactor),
/// error statuses and shutdown behave exactly as in
/// [`HttpServer`](super::HttpServer); the two share one core.
///
/// ```
/// use netstack::protocols::http::server::{AsyncHttpServer, AsyncRequest, AsyncResponse, ServerConfig};
/// use netstack::transport::{TcpClient, TcpListener};
///
/// let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
/// let server = AsyncHttpServer::new(listener, ServerConfig::default())?;
/// let endpoint = server.local_endpoint().clone();
/// let shutdown = server.shutdown_handle();
/// let serving = std::thread::spawn(move || {
///     netstack::sockets::block_on(server.serve(|mut request: AsyncRequest| async move {
///         let body = request.body_mut().read_all_async(1024).await.unwrap_or_default();
///         AsyncResponse::new(format!("got {} bytes", body.len()).into())
///     }))
/// });
///
/// netstack::sockets::block_on(async {
///     let client = TcpClient::connect_endpoint_async(endpoint).await?.into_stream();
///     client
///         .write_all_async(b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
///         .await?;
///     let mut reply = Vec::new();
///     let mut buf = [0u8; 1024];
///     loop {
///         let n = client.read_async(&mut buf).await?;
///         if n == 0 { break; }
///         reply.extend_from_slice(&buf[..n]);
///     }
///     let reply = String::from_utf8(reply)?;
///     assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
///     assert!(reply.ends_with("got 2 bytes"));
///     Ok::<(), Box<dyn std::error::Error>>(())
/// })?;
///
/// assert!(shutdown.shutdown().graceful);
/// serving.join().unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AsyncHttpServer {
    listener: Arc<TcpListener>,
    config: Arc<ServerConfig>,
    state: Arc<ServerState>,
    endpoint: EndPoint,
}

/// A connection's task, as [`AsyncHttpServer::serve_spawned`] hands it to its spawner.
pub type ConnFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
type AcceptFuture = Pin<Box<dyn Future<Output = transport::Result<NetworkStream>> + Send>>;

/// Marks the accept loop as ended when the serve future finishes or is dropped.
struct AcceptingGuard(Arc<ServerState>);

impl Drop for AcceptingGuard {
    fn drop(&mut self) {
        self.0.set_accepting(false);
    }
}

impl AsyncHttpServer {
    /// A server on `listener` (bound; this starts it listening with the
    /// configured backlog). Nothing is accepted until the future of
    /// [`serve`](Self::serve) runs.
    pub fn new(listener: TcpListener, config: ServerConfig) -> Result<AsyncHttpServer, Error> {
        listener.start(config.backlog)?;
        let endpoint = listener.local_endpoint()?;
        let listener = Arc::new(listener);
        let state = ServerState::new(Arc::clone(&listener), config.shutdown_grace, false, None);
        Ok(AsyncHttpServer {
            listener,
            config: Arc::new(config),
            state,
            endpoint,
        })
    }

    /// Binds `endpoint` and creates the server ([`new`](Self::new)).
    pub fn bind(
        endpoint: impl Into<EndPoint>,
        config: ServerConfig,
    ) -> Result<AsyncHttpServer, Error> {
        AsyncHttpServer::new(TcpListener::bind(endpoint)?, config)
    }

    /// The endpoint the server listens on.
    pub fn local_endpoint(&self) -> &EndPoint {
        &self.endpoint
    }

    /// A handle that shuts the server down from any thread or task.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            state: Arc::clone(&self.state),
        }
    }

    /// The future that serves: it accepts connections (past
    /// `max_connections` at once, a new one gets a `503` and is closed)
    /// and drives them all until a shutdown
    /// has finished. Dropping it closes every connection.
    pub fn serve<H, F>(self, handler: H) -> impl Future<Output = ()> + Send + 'static
    where
        H: Fn(AsyncRequest) -> F + Send + Sync + 'static,
        F: Future<Output = AsyncResponse> + Send + 'static,
    {
        let AsyncHttpServer {
            listener,
            config,
            state,
            ..
        } = self;
        let handler = Arc::new(handler);
        async move {
            state.set_accepting(true);
            let _accepting = AcceptingGuard(Arc::clone(&state));
            let mut conns: FuturesUnordered<ConnFuture> = FuturesUnordered::new();
            let mut accept: Option<AcceptFuture> = None;
            let mut backoff: Option<Sleep> = None;
            poll_fn(|cx| {
                state.register_waker(cx.waker());
                if state.is_forced() {
                    conns.clear();
                    return Poll::Ready(());
                }
                loop {
                    // Accept; past the cap, a connection gets a 503 and is closed.
                    while !state.is_shutting_down() {
                        if let Some(wait) = backoff.as_mut() {
                            if Pin::new(&mut *wait).poll(cx).is_pending() {
                                break;
                            }
                            backoff = None;
                        }
                        let listener = Arc::clone(&listener);
                        let pending = accept.get_or_insert_with(|| {
                            Box::pin(async move { listener.accept_async().await })
                        });
                        match pending.as_mut().poll(cx) {
                            Poll::Ready(Ok(stream)) if conns.len() >= config.max_connections => {
                                accept = None;
                                refuse_busy(&stream);
                            }
                            Poll::Ready(Ok(stream)) => {
                                accept = None;
                                let net = Arc::new(stream);
                                let guard = state.register(Arc::clone(&net));
                                conns.push(Box::pin(serve_connection(
                                    net,
                                    guard,
                                    Arc::clone(&config),
                                    Arc::clone(&handler),
                                    Arc::clone(&state),
                                )));
                            }
                            Poll::Ready(Err(e)) => {
                                accept = None;
                                if !state.is_shutting_down() {
                                    // Out of file descriptors and the like.
                                    events::accept_failed(&e);
                                    backoff = Some(sleep(Duration::from_millis(10)));
                                }
                            }
                            Poll::Pending => break,
                        }
                    }
                    if state.is_shutting_down() {
                        accept = None;
                    }
                    // Drive the connections.
                    let full = conns.len() >= config.max_connections;
                    let mut finished = false;
                    while let Poll::Ready(Some(())) = conns.poll_next_unpin(cx) {
                        finished = true;
                    }
                    if state.is_shutting_down() && conns.is_empty() {
                        return Poll::Ready(());
                    }
                    // A slot came free: accept again at once.
                    if !(full && finished && !state.is_shutting_down()) {
                        return Poll::Pending;
                    }
                }
            })
            .await;
        }
    }

    /// Like [`serve`](Self::serve), but every connection runs as a task of
    /// its own, handed to `spawn` — e.g. `|task| { tokio::spawn(task); }` —
    /// so a multi-threaded executor serves connections in parallel (`serve`
    /// drives them all inside one future, on one thread at a time).
    ///
    /// The returned future accepts connections (past `max_connections`
    /// live at once, a new one gets a `503` and is closed) until a shutdown
    /// begins. Spawned connections outlive it;
    /// the [`ShutdownHandle`] still waits for them and closes what is left
    /// after the grace period.
    pub fn serve_spawned<H, F, S>(
        self,
        handler: H,
        spawn: S,
    ) -> impl Future<Output = ()> + Send + 'static
    where
        H: Fn(AsyncRequest) -> F + Send + Sync + 'static,
        F: Future<Output = AsyncResponse> + Send + 'static,
        S: Fn(ConnFuture) + Send + Sync + 'static,
    {
        let AsyncHttpServer {
            listener,
            config,
            state,
            ..
        } = self;
        let handler = Arc::new(handler);
        async move {
            state.set_accepting(true);
            let _accepting = AcceptingGuard(Arc::clone(&state));
            loop {
                if state.is_shutting_down() {
                    return;
                }
                match listener.accept_async().await {
                    // Past the cap, a connection gets a 503 and is closed.
                    Ok(stream) if state.connection_count() >= config.max_connections => {
                        refuse_busy(&stream);
                    }
                    Ok(stream) => {
                        let net = Arc::new(stream);
                        let guard = state.register(Arc::clone(&net));
                        spawn(Box::pin(serve_connection(
                            net,
                            guard,
                            Arc::clone(&config),
                            Arc::clone(&handler),
                            Arc::clone(&state),
                        )));
                    }
                    // Stopped by a shutdown, or out of descriptors: pause briefly.
                    Err(_) if state.is_shutting_down() => return,
                    Err(e) => {
                        events::accept_failed(&e);
                        sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }
    }
}

async fn serve_connection<H, F>(
    net: Arc<NetworkStream>,
    guard: ConnGuard,
    config: Arc<ServerConfig>,
    handler: Arc<H>,
    state: Arc<ServerState>,
) where
    H: Fn(AsyncRequest) -> F + Send + Sync + 'static,
    F: Future<Output = AsyncResponse> + Send + 'static,
{
    let started = Instant::now();
    let _ = net.set_no_delay(true);
    let mut info = ConnectionInfo::of(&net, config.tls.is_some());
    let stream = match &config.tls {
        None => Stream::Plain(SharedNet(Arc::clone(&net))),
        Some(tls) => match TlsStream::accept_async(tls, SharedNet(Arc::clone(&net))).await {
            Ok(tls) => {
                info.tls_session = Some(Arc::new(TlsSession::of(&tls)));
                Stream::Tls(Box::new(tls))
            }
            Err(e) => {
                events::handshake_failed(info.remote, info.local, &e);
                net.close();
                return;
            }
        },
    };
    let link: Link = Arc::new(Mutex::new(Shared {
        stream,
        core: Conn::new(&config, started),
        net: Arc::clone(&net),
        read_timer: None,
    }));
    let span = info.span();
    span.instrument(serve_steps(link, net, guard, info, config, handler, state))
        .await;
}

/// Carries out the core's steps for one connection until it closes.
async fn serve_steps<H, F>(
    link: Link,
    net: Arc<NetworkStream>,
    guard: ConnGuard,
    info: ConnectionInfo,
    config: Arc<ServerConfig>,
    handler: Arc<H>,
    state: Arc<ServerState>,
) where
    H: Fn(AsyncRequest) -> F + Send + Sync + 'static,
    F: Future<Output = AsyncResponse> + Send + 'static,
{
    loop {
        match next_step(&link, state.is_shutting_down()) {
            Step::Read { idle } => {
                if idle && !guard.set_idle(true) {
                    break;
                }
                let filled = fill_async(&link).await;
                guard.set_idle(false);
                if let Filled::Failed(_) = filled {
                    break;
                }
            }
            Step::Handle(parts) => {
                let request_span = Span::server_request(&parts.method, &parts.uri);
                let body = AsyncRequestBody::new(Arc::clone(&link));
                let mut request = AsyncRequest::from_parts(parts, body);
                request.extensions_mut().insert(info.clone());
                let written = request_span
                    .instrument(async {
                        let mut response = AssertUnwindSafe((*handler)(request))
                            .catch_unwind()
                            .await
                            .unwrap_or_else(|_| {
                                events::handler_panicked();
                                panic_response()
                            });
                        match OnUpgradeAsync::take(&mut response) {
                            Some(serve) => Ok(Some((serve, response.into_parts().0.headers))),
                            None => write_response(&link, response, &config, &state)
                                .await
                                .map(|()| None),
                        }
                    })
                    .await;
                match written {
                    Ok(None) => {}
                    Ok(Some((serve, headers))) => {
                        let Some(leftover) = upgrade::begin(&link, headers) else {
                            continue; // refused: the error response is queued
                        };
                        if flush_async(&link, config.write_timeout).await.is_ok() {
                            match upgrade::finish(link, leftover, &guard, false) {
                                Some(upgraded) => {
                                    let given_back = upgraded.give_back.clone();
                                    request_span.instrument(serve(upgraded)).await;
                                    // Boxed: these futures are part of every connection's.
                                    Box::pin(end_sending_async(
                                        given_back.take(),
                                        &net,
                                        config.write_timeout,
                                    ))
                                    .await;
                                    Box::pin(linger_async(&net)).await;
                                    upgrade::end(&net);
                                    return;
                                }
                                None => events::upgrade_abandoned(),
                            }
                        }
                        net.close();
                        return;
                    }
                    Err(_) => {
                        net.close();
                        return;
                    }
                }
            }
            Step::Close => break,
        }
    }
    close_async(&link, config.write_timeout).await;
    drop(guard);
}

fn mismatch(_: super::conn::LengthMismatch) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "response body length mismatch",
    )
}

async fn write_response(
    link: &Link,
    response: AsyncResponse,
    config: &ServerConfig,
    state: &ServerState,
) -> std::io::Result<()> {
    let timeout = config.write_timeout;
    let (parts, body) = response.into_parts();
    let (framing, raw, queued) = {
        let mut shared = lock(link);
        if state.is_shutting_down() {
            shared.core.set_closing();
        }
        let framing = shared
            .core
            .start_response(parts.status, &parts.headers, body.content.kind());
        let raw = shared.core.body_is_raw();
        match &body.content {
            // A small body goes out with its head, queued under this one lock.
            Content::Full(bytes)
                if !(framing.sends_body() && bytes.len() > DIRECT_WRITE && raw) =>
            {
                if framing.sends_body() {
                    shared.core.body_data(bytes).map_err(mismatch)?;
                }
                shared.core.finish_response().map_err(mismatch)?;
                (framing, raw, true)
            }
            _ => (framing, raw, false),
        }
    };
    if queued {
        return flush_async(link, timeout).await;
    }
    match body.content {
        Content::Full(bytes) => {
            if framing.sends_body() && bytes.len() > DIRECT_WRITE && raw {
                flush_async(link, timeout).await?;
                write_all_async(link, &bytes, timeout).await?;
                lock(link)
                    .core
                    .body_written_directly(bytes.len() as u64)
                    .map_err(mismatch)?;
            } else if framing.sends_body() {
                lock(link).core.body_data(&bytes).map_err(mismatch)?;
            }
            lock(link).core.finish_response().map_err(mismatch)?;
            flush_async(link, timeout).await
        }
        Content::Stream { mut reader, .. } => {
            if framing.sends_body() {
                flush_async(link, timeout).await?;
                let mut buf = vec![0u8; STREAM_CHUNK];
                loop {
                    // The reader may read the request body: no lock is held here.
                    let n = poll_fn(|cx| Pin::new(&mut reader).poll_read(cx, &mut buf)).await;
                    let n = match n {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(e),
                    };
                    lock(link).core.body_data(&buf[..n]).map_err(mismatch)?;
                    flush_async(link, timeout).await?;
                }
            }
            lock(link).core.finish_response().map_err(mismatch)?;
            flush_async(link, timeout).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::server::AsyncResponseBody;

    /// Every connection holds its future for as long as it is open: 10,000
    /// idle connections hold 10,000 of them. (A linger buffer kept in it
    /// once made it 9 KiB.)
    #[test]
    fn a_served_connection_holds_a_small_future() {
        let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
        listener.start(1).unwrap();
        let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
        let _client = transport::TcpClient::connect("127.0.0.1", port).unwrap();
        let net = Arc::new(listener.accept().unwrap());
        let state = ServerState::new(Arc::new(listener), Duration::from_secs(1), false, None);
        let guard = state.register(Arc::clone(&net));
        let handler =
            Arc::new(|_: AsyncRequest| async { AsyncResponse::new(AsyncResponseBody::empty()) });
        let config = Arc::new(ServerConfig::default());
        let connection = serve_connection(net, guard, config, handler, state);
        let size = std::mem::size_of_val(&connection);
        assert!(size <= 3 * 1024, "a connection's future is {size} bytes");
    }
}
