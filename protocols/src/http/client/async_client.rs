//! The asynchronous driver: [`AsyncClient`]. The same exchange core and
//! decisions as the blocking [`Client`](super::Client), with every wait a
//! future on netstack's reactor (bounded by a reactor timer).

use std::future::poll_fn;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use transport::tls::TlsStream;
use transport::{ConnectOptions, StaticResolver, TcpClient};
use url::Url;

use crate::http::client::body::{Body, BodyKind};
use crate::http::client::conn::{connect_head, Framing, ResponseReader, Timeouts};
use crate::http::client::conn::{open_exchange, Opening};
use crate::http::client::exchange::{
    body_reader_error, build_parts, check_alpn, check_tunnel, connect_target, handshake_error,
    length_mismatch, should_retry, timeouts, tunnel_target, Failure,
};
use crate::http::client::redirect;
use crate::http::client::request::{Prepared, RequestBuilder};
use crate::http::client::response::AsyncResponse;
use crate::http::client::stream::{timed, Io, Stream};
use crate::http::client::trace::head_of;
use crate::http::client::{url_host, ClientBuilder, Config, Route, Shared, Timings, TraceEvent};
use crate::http::{encode_chunk, Error, ResponseHead, Result};

/// An asynchronous HTTP/1.1 client with a connection pool: the
/// [`Client`](super::Client)'s behaviour, as futures. Runs under any
/// executor (tokio, smol, `sockets::block_on`); cheap to clone.
///
/// ```
/// use std::io::{Read, Write};
/// use protocols::http::client::AsyncClient;
///
/// // A one-shot server on loopback, for the example.
/// let listener = transport::TcpListener::bind(([127, 0, 0, 1], 0))?;
/// listener.start(1)?;
/// let port = listener.local_endpoint()?.as_ip().unwrap().port();
/// let server = std::thread::spawn(move || {
///     let mut conn = listener.accept().unwrap();
///     let mut request = [0u8; 1024];
///     let _ = conn.read(&mut request).unwrap();
///     conn.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
///         .unwrap();
/// });
///
/// let client = AsyncClient::new();
/// let text = sockets::block_on(async {
///     let response = client.get(&format!("http://127.0.0.1:{port}/")).send().await?;
///     assert_eq!(response.status(), 200);
///     response.text().await
/// })?;
/// assert_eq!(text, "hello");
/// server.join().unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AsyncClient {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncClient")
            .field("config", &self.shared.config)
            .field("idle_connections", &self.shared.pool.idle_count())
            .finish()
    }
}

impl Default for AsyncClient {
    fn default() -> AsyncClient {
        AsyncClient::new()
    }
}

impl RequestBuilder<AsyncClient> {
    /// Sends the request; resolves once the response head has arrived.
    pub async fn send(self) -> Result<AsyncResponse> {
        self.client.send_prepared(self.request?).await
    }
}

impl AsyncClient {
    /// A client with the default settings (see [`ClientBuilder`]).
    pub fn new() -> AsyncClient {
        ClientBuilder::new().build_async()
    }

    /// A builder for a client with other settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    pub(crate) fn from_config(config: Config) -> AsyncClient {
        AsyncClient {
            shared: Shared::new(config),
        }
    }

    request_methods!(AsyncClient);

    /// Sends an [`http::Request`] built elsewhere (its URI must be absolute).
    pub async fn execute<B: Into<Body>>(&self, request: http::Request<B>) -> Result<AsyncResponse> {
        self.send_prepared(Prepared::from_http(request)?).await
    }

    /// A request builder from an [`http::Request`], to add settings before sending.
    pub fn request_from<B: Into<Body>>(
        &self,
        request: http::Request<B>,
    ) -> RequestBuilder<AsyncClient> {
        RequestBuilder::from_prepared(self.clone(), Prepared::from_http(request))
    }

    /// Idle connections in the pool now.
    pub fn idle_connections(&self) -> usize {
        self.shared.pool.idle_count()
    }

    /// Closes every idle connection.
    pub fn clear_pool(&self) {
        self.shared.pool.clear()
    }

    pub(crate) async fn send_prepared(&self, mut request: Prepared) -> Result<AsyncResponse> {
        request.validate(true)?;
        let config = &self.shared.config;
        let started = Instant::now();
        let t = timeouts(config, &request, started);
        let mut redirects = 0;
        loop {
            let mut response = self.send_hop(&mut request, &t, started).await?;
            response.set_redirects(redirects);
            let (status, headers) = (response.status(), response.headers().clone());
            if !redirect::follow(config, &mut request, status, &headers, redirects)? {
                return Ok(response);
            }
            config.trace(|| TraceEvent::Redirect {
                status,
                to: &request.url,
            });
            redirects += 1;
            response.discard().await;
        }
    }

    async fn send_hop(
        &self,
        request: &mut Prepared,
        t: &Timeouts,
        started: Instant,
    ) -> Result<AsyncResponse> {
        let config = &self.shared.config;
        let route = config.route(&request.url);
        let key = config.pool_key(&request.url, &route)?;
        let mut retried = false;
        loop {
            let mut timings = Timings::default();
            let pooled = if retried {
                None
            } else {
                self.shared.pool.take(&key)
            };
            let reused = pooled.is_some();
            let stream = match pooled {
                Some(stream) => {
                    config.trace(|| TraceEvent::Reused { url: &request.url });
                    stream
                }
                None => self.connect(&request.url, &route, t, &mut timings).await?,
            };
            timings.reused = reused;
            let body = request.body_for_send();
            match self.exchange(stream, request, body, &route, t).await {
                Ok((head, reader, stream, withheld)) => {
                    timings.first_byte = Some(started.elapsed());
                    config.trace(|| TraceEvent::ResponseHead {
                        version: head.version,
                        status: head.status,
                        headers: &head.headers,
                    });
                    let (parts, body) = build_parts(
                        withheld,
                        config,
                        request,
                        head,
                        reader,
                        stream,
                        &self.shared,
                        key,
                        timings,
                        *t,
                        started,
                    )?;
                    return Ok(AsyncResponse::new(parts, body));
                }
                Err(failure) if should_retry(&failure, reused, retried, request) => {
                    retried = true;
                }
                Err(failure) => return Err(failure.error),
            }
        }
    }

    async fn connect(
        &self,
        url: &Url,
        route: &Route,
        t: &Timeouts,
        timings: &mut Timings,
    ) -> Result<Stream> {
        let config = &self.shared.config;
        let (host, port) = connect_target(url, route)?;
        let resolving = Instant::now();
        let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => {
                let limit = t.limit(None)?;
                match timed(limit.map(|l| l.wait), config.resolver.resolve_async(&host)).await {
                    Some(result) => result?,
                    None => return Err(t.expired("resolve", limit)),
                }
            }
        };
        timings.resolve = Some(resolving.elapsed());
        config.trace(|| TraceEvent::Resolved {
            host: &host,
            addresses: &addresses,
            took: resolving.elapsed(),
        });
        let limit = t.limit(config.connect_timeout)?;
        let options = ConnectOptions::new()
            .resolver(StaticResolver::new(addresses))
            .timeout(limit.map(|l| l.wait));
        let connecting = Instant::now();
        let client = TcpClient::connect_with_async(&host, port, &options)
            .await
            .map_err(|e| match e {
                transport::Error::ConnectTimeout { .. } if limit.is_some_and(|l| l.by_deadline) => {
                    t.expired("connect", limit)
                }
                e => Error::Transport(e),
            })?;
        timings.connect = Some(connecting.elapsed());
        timings.attempts = client.attempts().to_vec();
        config.trace(|| TraceEvent::Connected {
            host: &host,
            port,
            attempts: client.attempts(),
            took: connecting.elapsed(),
        });
        let mut stream = Stream::new(Io::Plain(client.into_stream()));
        if let Route::Tunnel(proxy) = route {
            let target = tunnel_target(url)?;
            let mut out = Vec::new();
            connect_head(&target, proxy.auth(), config.user_agent.as_ref(), &mut out)?;
            stream.write_all_async(&out, t).await?;
            let mut reader = ResponseReader::new(config.limits);
            let head = read_head(&mut stream, &mut reader, t).await?;
            check_tunnel(&head, &reader, proxy, &target)?;
        }
        if url.scheme() == "https" {
            let tls_config = config.tls()?;
            let Io::Plain(net) = stream.io else {
                unreachable!("TLS is set up once, here");
            };
            let server_name = url_host(url)?;
            let mut tls = TlsStream::client(&tls_config, &server_name, net)
                .map_err(|e| Error::Transport(e.into()))?;
            let limit = t.limit(Some(tls_config.handshake_timeout()))?;
            if let Some(limit) = limit {
                tls.set_handshake_timeout(limit.wait);
            }
            let handshaking = Instant::now();
            tls.handshake_async()
                .await
                .map_err(|e| handshake_error(e, limit.is_some_and(|l| l.by_deadline), t))?;
            timings.tls = Some(handshaking.elapsed());
            check_alpn(tls.alpn_protocol())?;
            stream = Stream::new(Io::Tls(Box::new(tls)));
            if let Some(info) = &stream.tls_info {
                config.trace(|| TraceEvent::TlsEstablished {
                    info,
                    took: handshaking.elapsed(),
                });
            }
        }
        Ok(stream)
    }

    async fn exchange(
        &self,
        mut stream: Stream,
        request: &Prepared,
        body: Body,
        route: &Route,
        t: &Timeouts,
    ) -> std::result::Result<(ResponseHead, ResponseReader, Stream, bool), Failure> {
        let config = &self.shared.config;
        let mut reader = ResponseReader::new(config.limits);
        let Opening {
            bytes: out,
            framing,
            body,
            expect_continue: expect,
        } = open_exchange(request, body, &config.head_defaults(), route).map_err(Failure::fatal)?;
        config.trace(|| TraceEvent::RequestHead(head_of(&out)));
        stream
            .write_all_async(&out, t)
            .await
            .map_err(|e| Failure::before_response(e, &reader))?;
        let mut early = None;
        if expect {
            early = wait_for_continue(&mut stream, &mut reader, t, config.expect_timeout)
                .await
                .map_err(|e| Failure::before_response(e, &reader))?;
        }
        if early.is_none() {
            if let Some(body) = body {
                send_body(&mut stream, body, framing, t)
                    .await
                    .map_err(|e| Failure::before_response(e, &reader))?;
            }
        }
        let withheld = early.is_some();
        let head = match early {
            Some(head) => head,
            None => read_head(&mut stream, &mut reader, t)
                .await
                .map_err(|e| Failure::before_response(e, &reader))?,
        };
        Ok((head, reader, stream, withheld))
    }
}

async fn read_head(
    stream: &mut Stream,
    reader: &mut ResponseReader,
    t: &Timeouts,
) -> Result<ResponseHead> {
    loop {
        match reader.poll_head()? {
            Some(head)
                if head.status.is_informational()
                    && head.status != StatusCode::SWITCHING_PROTOCOLS => {}
            Some(head) => return Ok(head),
            None => {
                let n = stream
                    .read_async(reader.read_space(), t, t.read, "read")
                    .await?;
                reader.filled(n);
            }
        }
    }
}

async fn wait_for_continue(
    stream: &mut Stream,
    reader: &mut ResponseReader,
    t: &Timeouts,
    wait: Duration,
) -> Result<Option<ResponseHead>> {
    let per_call = Some(t.read.map_or(wait, |r| r.min(wait)));
    let until = Instant::now() + wait;
    loop {
        match reader.poll_head()? {
            Some(head) if head.status == StatusCode::CONTINUE => return Ok(None),
            Some(head) if head.status.is_informational() => {}
            Some(head) => return Ok(Some(head)),
            None => {
                if Instant::now() >= until {
                    return Ok(None);
                }
                match stream
                    .read_async(reader.read_space(), t, per_call, "100-continue")
                    .await
                {
                    Ok(n) => reader.filled(n),
                    Err(Error::Timeout {
                        phase: "100-continue",
                        ..
                    }) => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

async fn send_body(stream: &mut Stream, body: Body, framing: Framing, t: &Timeouts) -> Result<()> {
    match body.kind {
        BodyKind::Empty => Ok(()),
        BodyKind::Bytes(bytes) => stream.write_all_async(&bytes, t).await,
        BodyKind::AsyncReader(reader, _) => {
            let mut reader = reader.into_inner();
            let mut buf = vec![0u8; 16 * 1024];
            let mut frame = Vec::with_capacity(buf.len() + 16);
            let mut sent = 0u64;
            loop {
                let read = poll_fn(|cx| reader.as_mut().poll_read(cx, &mut buf)).await;
                let n = match read {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(body_reader_error(e)),
                };
                if n == 0 {
                    break;
                }
                sent += n as u64;
                match framing {
                    Framing::Length(length) if sent > length => {
                        return Err(length_mismatch(length, sent, "more"))
                    }
                    Framing::Chunked => {
                        frame.clear();
                        encode_chunk(&buf[..n], &mut frame);
                        stream.write_all_async(&frame, t).await?;
                    }
                    _ => stream.write_all_async(&buf[..n], t).await?,
                }
            }
            match framing {
                Framing::Length(length) if sent < length => {
                    Err(length_mismatch(length, sent, "fewer"))
                }
                Framing::Chunked => stream.write_all_async(b"0\r\n\r\n", t).await,
                _ => Ok(()),
            }
        }
        BodyKind::Reader(..) => Err(Error::InvalidRequest(
            "a body from a blocking reader needs the blocking Client".to_string(),
        )),
    }
}
