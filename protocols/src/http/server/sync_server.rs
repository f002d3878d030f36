//! The synchronous driver: an accept thread and a bounded pool of worker
//! threads, each serving one connection at a time through the shared core;
//! between requests a keep-alive connection waits on the idle thread
//! ([`sync_idle`](super::sync_idle)), not on a worker.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sockets::{EndPoint, SelectMode};
use transport::tls::TlsStream;
use transport::{NetworkStream, TcpListener};

use super::body::{
    ConnectionInfo, Content, Request, RequestBody, Response, ResponseBody, TlsSession,
};
use super::conn::{panic_response, Conn, Step, DIRECT_WRITE, STREAM_CHUNK};
use super::events;
use super::io::{
    close_sync, end_sending_sync, fill_sync, flush_sync, linger_sync, write_all_sync, Filled,
};
use super::rejection::refuse_busy;
use super::state::{ConnGuard, ServerState, ShutdownHandle, ShutdownReport};
use super::stream::{lock, next_step, Link, Shared, SharedNet, Stream};
use super::sync_idle::{IdleConnections, Parked, HANDOFF_AFTER};
use super::upgrade::{self, OnUpgrade};
use super::ServerConfig;
use crate::http::span::Span;
use crate::http::Error;

/// A synchronous HTTP/1.1 server (the `HttpListener` of this stack): an
/// accept thread hands connections to a bounded pool of worker threads;
/// each worker serves one connection at a time — keep-alive and pipelined
/// requests strictly in order — and calls the handler for every request.
/// Between requests a keep-alive connection (plain TCP or TLS) waits on one
/// idle thread rather than on a worker, so idle clients cannot use up the
/// pool; a TLS handshake still takes a worker while it runs. For many
/// slow or idle clients, [`AsyncHttpServer`](super::AsyncHttpServer) holds
/// a connection in memory alone.
///
/// The handler is `Fn(Request) -> Response + Send + Sync`: it gets the
/// request head (the `http` crate's [`http::Request`]) with a streaming
/// [`RequestBody`], and returns a fixed or a streaming [`ResponseBody`]. A
/// handler that panics gets the client a `500` and the connection closes;
/// the server carries on.
///
/// Slow and hostile clients are bounded by [`ServerConfig`]: a head that
/// does not arrive within the head timeout (slowloris), a body that
/// stalls, an idle keep-alive connection, oversized heads (`431`) and
/// bodies (`413`), malformed requests (`400`), unsupported transfer codings
/// (`501`). [`shutdown`](HttpServer::shutdown) is graceful.
///
/// ```
/// use std::io::{Read, Write};
/// use netstack::protocols::http::server::{HttpServer, Request, Response, ServerConfig};
/// use netstack::transport::{TcpClient, TcpListener};
///
/// let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
/// let server = HttpServer::start(listener, ServerConfig::default(), |request: Request| {
///     let mut request = request;
///     let body = request.body_mut().read_all(1024).unwrap_or_default();
///     let text = format!("{} {} ({} bytes)", request.method(), request.uri().path(), body.len());
///     Response::new(text.into())
/// })?;
///
/// let mut client = TcpClient::connect_endpoint(server.local_endpoint().clone())?.into_stream();
/// client.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")?;
/// let mut reply = String::new();
/// client.read_to_string(&mut reply)?;
/// assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(reply.ends_with("POST /echo (3 bytes)"));
///
/// let report = server.shutdown();
/// assert!(report.graceful);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct HttpServer {
    state: Arc<ServerState>,
    endpoint: EndPoint,
    accept_thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

type Handler = dyn Fn(Request) -> Response + Send + Sync;

struct Pool {
    inner: Mutex<PoolInner>,
    ready: Condvar,
    config: Arc<ServerConfig>,
    handler: Arc<Handler>,
    state: Arc<ServerState>,
    /// Where keep-alive connections wait between requests (none if its
    /// thread could not start: workers then wait themselves).
    idle: OnceLock<IdleConnections>,
}

enum Job {
    /// A connection just accepted (its head timeout counts from then).
    New {
        net: Arc<NetworkStream>,
        guard: ConnGuard,
        accepted: Instant,
    },
    /// A keep-alive connection whose next request has begun.
    Resume(Parked),
}

#[derive(Default)]
struct PoolInner {
    jobs: VecDeque<Job>,
    idle: usize,
    workers: usize,
    stopping: bool,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn submit(self: &Arc<Self>, job: Job) {
        let mut inner = self.lock();
        if let Job::New { net, .. } = &job {
            if inner.jobs.len() >= self.config.max_queued_connections {
                drop(inner);
                refuse_busy(net);
                return;
            }
        }
        inner.jobs.push_back(job);
        if inner.jobs.len() > inner.idle && inner.workers < self.config.workers {
            inner.workers += 1;
            let pool = Arc::clone(self);
            let spawned = std::thread::Builder::new()
                .name("netstack-http-worker".to_string())
                .spawn(move || pool.work());
            if spawned.is_err() {
                inner.workers -= 1;
            }
        }
        drop(inner);
        self.ready.notify_one();
    }

    fn work(&self) {
        loop {
            let job = {
                let mut inner = self.lock();
                loop {
                    if let Some(job) = inner.jobs.pop_front() {
                        break job;
                    }
                    if inner.stopping {
                        inner.workers -= 1;
                        return;
                    }
                    inner.idle += 1;
                    inner = self.ready.wait(inner).unwrap_or_else(|p| p.into_inner());
                    inner.idle -= 1;
                }
            };
            serve_connection(job, self);
        }
    }

    fn stop(&self) {
        self.lock().stopping = true;
        self.ready.notify_all();
        if let Some(idle) = self.idle.get() {
            idle.stop();
        }
    }
}

impl HttpServer {
    /// Starts serving on `listener` (bound; this starts it listening with
    /// the configured backlog): spawns the accept thread and returns. Worker
    /// threads are started as connections arrive, up to `workers`.
    pub fn start<H>(
        listener: TcpListener,
        config: ServerConfig,
        handler: H,
    ) -> Result<HttpServer, Error>
    where
        H: Fn(Request) -> Response + Send + Sync + 'static,
    {
        listener.start(config.backlog)?;
        let endpoint = listener.local_endpoint()?;
        let listener = Arc::new(listener);
        let cancel = sockets::CancelToken::new()?;
        let state = ServerState::new(
            Arc::clone(&listener),
            config.shutdown_grace,
            true,
            Some(cancel),
        );
        let pool = Arc::new(Pool {
            inner: Mutex::new(PoolInner::default()),
            ready: Condvar::new(),
            config: Arc::new(config),
            handler: Arc::new(handler),
            state: Arc::clone(&state),
            idle: OnceLock::new(),
        });
        let resumer = Arc::downgrade(&pool);
        if let Ok(idle) = IdleConnections::start(move |parked| {
            if let Some(pool) = resumer.upgrade() {
                pool.submit(Job::Resume(parked));
            }
        }) {
            let _ = pool.idle.set(idle);
        }
        let accept_state = Arc::clone(&state);
        let accept_thread = std::thread::Builder::new()
            .name("netstack-http-accept".to_string())
            .spawn(move || accept_loop(&listener, &pool, &accept_state))
            .map_err(|e| {
                Error::Transport(transport::Error::Socket(sockets::Error::from_io(
                    &e,
                    "spawn the accept thread",
                )))
            })?;
        Ok(HttpServer {
            state,
            endpoint,
            accept_thread: Some(accept_thread),
        })
    }

    /// Binds `endpoint` and [`start`](Self::start)s.
    pub fn bind<H>(
        endpoint: impl Into<EndPoint>,
        config: ServerConfig,
        handler: H,
    ) -> Result<HttpServer, Error>
    where
        H: Fn(Request) -> Response + Send + Sync + 'static,
    {
        HttpServer::start(TcpListener::bind(endpoint)?, config, handler)
    }

    /// The endpoint the server listens on (with the port the OS chose for port 0).
    pub fn local_endpoint(&self) -> &EndPoint {
        &self.endpoint
    }

    /// A handle that shuts the server down from anywhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            state: Arc::clone(&self.state),
        }
    }

    /// Shuts down gracefully (see [`ShutdownHandle`]) and waits for it.
    pub fn shutdown(mut self) -> ShutdownReport {
        let report = self.state.shutdown();
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
        report
    }
}

impl Drop for HttpServer {
    /// Stops accepting; requests in flight finish on their workers.
    fn drop(&mut self) {
        self.state.begin_shutdown();
    }
}

fn accept_loop(listener: &TcpListener, pool: &Arc<Pool>, state: &Arc<ServerState>) {
    loop {
        match listener.accept() {
            Ok(stream) => {
                if state.is_shutting_down() {
                    stream.close();
                    break;
                }
                let accepted = Instant::now();
                let net = Arc::new(stream);
                let guard = state.register(Arc::clone(&net));
                pool.submit(Job::New {
                    net,
                    guard,
                    accepted,
                });
            }
            Err(_) if state.is_shutting_down() => break,
            // Out of file descriptors and the like: wait a moment.
            Err(e) => {
                events::accept_failed(&e);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    pool.stop();
    state.set_accepting(false);
}

/// Opens a new connection (the TLS handshake, if any): its link to the core.
fn open_connection(
    net: Arc<NetworkStream>,
    accepted: Instant,
    config: &ServerConfig,
) -> Option<(Link, ConnectionInfo)> {
    let _ = net.set_no_delay(true);
    let _ = net.set_write_timeout(Some(config.write_timeout));
    let mut info = ConnectionInfo::of(&net, config.tls.is_some());
    let stream = match &config.tls {
        None => Stream::Plain(SharedNet(Arc::clone(&net))),
        Some(tls) => match TlsStream::accept(tls, SharedNet(Arc::clone(&net))) {
            Ok(tls) => {
                info.tls_session = Some(Arc::new(TlsSession::of(&tls)));
                Stream::Tls(Box::new(tls))
            }
            Err(e) => {
                events::handshake_failed(info.remote, info.local, &e);
                net.close();
                return None;
            }
        },
    };
    let link: Link = Arc::new(Mutex::new(Shared {
        stream,
        core: Conn::new(config, accepted),
        net,
        read_timer: None,
    }));
    Some((link, info))
}

fn serve_connection(job: Job, pool: &Pool) {
    let config = &*pool.config;
    let (link, net, guard, info, span) = match job {
        Job::New {
            net,
            guard,
            accepted,
        } => match open_connection(Arc::clone(&net), accepted, config) {
            Some((link, info)) => {
                let span = info.span();
                (link, net, guard, info, span)
            }
            None => return,
        },
        Job::Resume(parked) => (
            parked.link,
            parked.net,
            parked.guard,
            parked.info,
            parked.span,
        ),
    };
    span.clone()
        .in_scope(|| serve_steps(link, net, guard, info, span, pool));
}

/// Carries out the core's steps for one connection until it closes or is
/// parked between requests.
fn serve_steps(
    link: Link,
    net: Arc<NetworkStream>,
    guard: ConnGuard,
    info: ConnectionInfo,
    span: Span,
    pool: &Pool,
) {
    let state = &*pool.state;
    loop {
        match next_step(&link, state.is_shutting_down()) {
            Step::Read { idle } => {
                if idle && !guard.set_idle(true) {
                    break;
                }
                if idle && may_park(&link, &net, pool) {
                    if let Some(idle_connections) = pool.idle.get() {
                        idle_connections.park(Parked {
                            link,
                            net,
                            guard,
                            info,
                            span,
                        });
                        return;
                    }
                }
                let filled = fill_sync(&mut lock(&link));
                guard.set_idle(false);
                if let Filled::Failed(_) = filled {
                    break;
                }
            }
            Step::Handle(parts) => {
                let request_span = Span::server_request(&parts.method, &parts.uri);
                let mut request = Request::from_parts(parts, RequestBody::new(Arc::clone(&link)));
                request.extensions_mut().insert(info.clone());
                let written = request_span.in_scope(|| {
                    let mut response = catch_unwind(AssertUnwindSafe(|| (pool.handler)(request)))
                        .unwrap_or_else(|_| {
                            events::handler_panicked();
                            panic_response()
                        });
                    match OnUpgrade::take(&mut response) {
                        Some(serve) => Ok(Some((serve, response.into_parts().0.headers))),
                        None => write_response(&link, response, state).map(|()| None),
                    }
                });
                match written {
                    Ok(None) => {}
                    Ok(Some((serve, headers))) => {
                        let Some(leftover) = upgrade::begin(&link, headers) else {
                            continue; // refused: the error response is queued
                        };
                        if flush_sync(&mut lock(&link)).is_ok() {
                            match upgrade::finish(link, leftover, &guard, true) {
                                Some(upgraded) => {
                                    let given_back = upgraded.give_back.clone();
                                    request_span.in_scope(|| serve(upgraded));
                                    end_sending_sync(
                                        given_back.take().as_mut(),
                                        &net,
                                        Some(pool.config.write_timeout),
                                    );
                                    linger_sync(&net);
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
                        // The response broke off midway: the client must see the cut.
                        net.close();
                        return;
                    }
                }
            }
            Step::Close => break,
        }
    }
    close_sync(&link);
    drop(guard);
}

/// Whether a connection between requests goes to the idle thread: its
/// output is written, its next request has not begun within
/// [`HANDOFF_AFTER`], and the socket is the whole story: on TLS, rustls
/// holds no decrypted bytes (those would not show as readable on the
/// socket) and has not seen the peer's `close_notify`.
fn may_park(link: &Link, net: &NetworkStream, pool: &Pool) -> bool {
    if pool.idle.get().is_none() {
        return false;
    }
    let mut shared = lock(link);
    let socket_tells_all = match &shared.stream {
        Stream::Plain(_) => true,
        Stream::Tls(tls) => !tls.is_handshaking() && tls.rustls_connection().wants_read(),
    };
    if !socket_tells_all || flush_sync(&mut shared).is_err() {
        return false;
    }
    drop(shared);
    matches!(
        net.socket().poll(Some(HANDOFF_AFTER), SelectMode::Read),
        Ok(false)
    )
}

fn write_response(link: &Link, response: Response, state: &ServerState) -> io::Result<()> {
    let (parts, body) = response.into_parts();
    let mut shared = lock(link);
    if state.is_shutting_down() {
        shared.core.set_closing();
    }
    let framing = shared
        .core
        .start_response(parts.status, &parts.headers, body.content.kind());
    let mismatch = |_| io::Error::new(io::ErrorKind::InvalidData, "response body length mismatch");
    match body.content {
        Content::Full(bytes) => {
            if framing.sends_body() {
                if bytes.len() > DIRECT_WRITE && shared.core.body_is_raw() {
                    flush_sync(&mut shared)?;
                    write_all_sync(&mut shared, &bytes)?;
                    shared
                        .core
                        .body_written_directly(bytes.len() as u64)
                        .map_err(mismatch)?;
                } else {
                    shared.core.body_data(&bytes).map_err(mismatch)?;
                }
            }
            shared.core.finish_response().map_err(mismatch)?;
            flush_sync(&mut shared)
        }
        Content::Stream { mut reader, .. } => {
            if !framing.sends_body() {
                shared.core.finish_response().map_err(mismatch)?;
                return flush_sync(&mut shared);
            }
            flush_sync(&mut shared)?;
            drop(shared);
            let mut buf = vec![0u8; STREAM_CHUNK];
            loop {
                // The reader may read the request body: no lock is held here.
                let n = match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                let mut shared = lock(link);
                shared.core.body_data(&buf[..n]).map_err(mismatch)?;
                flush_sync(&mut shared)?;
            }
            let mut shared = lock(link);
            shared.core.finish_response().map_err(mismatch)?;
            flush_sync(&mut shared)
        }
    }
}

#[allow(dead_code)]
fn _assert_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<HttpServer>();
    fn send<T: Send>() {}
    send::<ResponseBody>();
    send::<RequestBody>();
}
