//! The blocking driver: [`Client`].

use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use transport::tls::{TlsError, TlsStream};
use transport::{ConnectOptions, StaticResolver, TcpClient};
use url::Url;

use crate::http::client::body::{Body, BodyKind};
use crate::http::client::conn::{
    body_decoder, connect_head, deadline_error, idempotent, request_closes, BodyPipeline, Framing,
    ResponseReader, Timeouts,
};
use crate::http::client::conn::{open_exchange, Opening};
use crate::http::client::decoding::{strip_encoding_headers, ContentDecoder};
use crate::http::client::pool::PoolKey;
use crate::http::client::redirect;
use crate::http::client::request::{Prepared, RequestBuilder};
use crate::http::client::response::{BodyState, Parts, Response};
use crate::http::client::stream::{Io, Stream};
use crate::http::client::trace::head_of;
use crate::http::client::{url_host, ClientBuilder, Config, Route, Shared, Timings, TraceEvent};
use crate::http::{encode_chunk, Error, ParseError, ResponseHead, Result};

/// A blocking HTTP/1.1 client with a connection pool. Cheap to clone (the
/// clones share the pool and settings) and usable from many threads.
///
/// ```no_run
/// use std::io::Read;
/// use protocols::http::client::Client;
/// let client = Client::new();
/// let mut response = client.get("https://example.com/").send()?;
/// println!("{} {:?}", response.status(), response.timings());
/// let mut body = String::new();
/// response.read_to_string(&mut body)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.shared.config)
            .field("idle_connections", &self.shared.pool.idle_count())
            .finish()
    }
}

impl Default for Client {
    fn default() -> Client {
        Client::new()
    }
}

/// A failed exchange, and whether it may be retried on a new connection.
pub(crate) struct Failure {
    pub error: Error,
    /// Nothing of a response arrived and the failure was the connection's, not a timeout.
    pub retryable: bool,
}

impl Failure {
    pub fn fatal(error: Error) -> Failure {
        Failure {
            error,
            retryable: false,
        }
    }

    /// A failure before any response byte: retryable when the connection broke.
    pub fn before_response(error: Error, reader: &ResponseReader) -> Failure {
        let retryable = !reader.received_any()
            && match &error {
                Error::Transport(t) => !t.is_timeout(),
                Error::Parse(ParseError::IncompleteHead { received: 0 }) => true,
                _ => false,
            };
        Failure { error, retryable }
    }
}

/// Whether a failed attempt on a pooled connection is retried once on a new one.
pub(crate) fn should_retry(
    failure: &Failure,
    reused: bool,
    retried: bool,
    request: &Prepared,
) -> bool {
    failure.retryable && reused && !retried && idempotent(&request.method) && request.replayable()
}

/// The timeouts of a request that starts now.
pub(crate) fn timeouts(config: &Config, request: &Prepared, started: Instant) -> Timeouts {
    let total = request.timeout.or(config.timeout);
    Timeouts {
        read: config.read_timeout,
        write: config.write_timeout,
        deadline: total.map(|d| (started + d, d)),
    }
}

/// The connect target: the origin, or the proxy.
pub(crate) fn connect_target(url: &Url, route: &Route) -> Result<(String, u16)> {
    Ok(match route {
        Route::Direct => (url_host(url)?, url.port_or_known_default().unwrap_or(80)),
        Route::Forward(p) | Route::Tunnel(p) => (p.host().to_string(), p.port()),
    })
}

/// The `host:port` a `CONNECT` asks for.
pub(crate) fn tunnel_target(url: &Url) -> Result<String> {
    let host = url
        .host_str()
        .ok_or_else(|| Error::InvalidRequest(format!("{url} has no host")))?;
    Ok(format!(
        "{host}:{}",
        url.port_or_known_default().unwrap_or(443)
    ))
}

/// Checks a proxy's answer to `CONNECT`.
pub(crate) fn check_tunnel(
    head: &ResponseHead,
    reader: &ResponseReader,
    proxy: &crate::http::client::Proxy,
    target: &str,
) -> Result<()> {
    let name = format!("{}:{}", proxy.host(), proxy.port());
    if !head.status.is_success() {
        return Err(Error::Proxy {
            proxy: name,
            detail: format!("CONNECT {target} answered {}", head.status),
        });
    }
    if reader.has_buffered() {
        return Err(Error::Proxy {
            proxy: name,
            detail: format!("CONNECT {target}: bytes arrived before the tunnel was used"),
        });
    }
    Ok(())
}

/// The error for a TLS handshake that ran out of time.
pub(crate) fn handshake_error(err: TlsError, by_deadline: bool, t: &Timeouts) -> Error {
    match (&err, t.deadline) {
        (TlsError::HandshakeTimeout { .. }, Some((_, total))) if by_deadline => {
            deadline_error(total)
        }
        _ => Error::Transport(transport::Error::Tls(err)),
    }
}

/// Rejects a server that agreed by ALPN on a protocol other than HTTP/1.1.
pub(crate) fn check_alpn(protocol: Option<&[u8]>) -> Result<()> {
    match protocol {
        None | Some(b"http/1.1") => Ok(()),
        Some(other) => Err(Error::Transport(transport::Error::Tls(TlsError::Config(
            format!(
                "the server chose the ALPN protocol {:?}, not http/1.1",
                String::from_utf8_lossy(other)
            ),
        )))),
    }
}

/// Builds the response for a final head: body framing, content decoding, pooling.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_parts(
    withheld: bool,
    config: &Config,
    request: &Prepared,
    head: ResponseHead,
    reader: ResponseReader,
    stream: Stream,
    shared: &Shared,
    key: PoolKey,
    timings: Timings,
    t: Timeouts,
    started: Instant,
) -> Result<(Parts, BodyState)> {
    let stream_tls = stream.tls_info.clone();
    let (decoder, keep) = body_decoder(&request.method, &head, config.limits)?;
    let content = if config.decompress {
        ContentDecoder::for_headers(&head.headers)
    } else {
        None
    };
    let mut headers = head.headers;
    if content.is_some() && !decoder.is_done() {
        strip_encoding_headers(&mut headers);
    }
    let content = if decoder.is_done() { None } else { content };
    let pipeline = BodyPipeline::new(reader, decoder, content, config.max_decompressed_size);
    let reusable = keep && !withheld && !request_closes(&request.headers);
    let body = BodyState::new(
        stream,
        pipeline,
        reusable,
        shared.pool.clone(),
        key,
        t,
        started,
    );
    let parts = Parts {
        tls: stream_tls,
        status: head.status,
        version: head.version,
        headers,
        url: request.url.clone(),
        timings,
        max_body_size: config.max_body_size,
    };
    Ok((parts, body))
}

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]).
    pub fn new() -> Client {
        ClientBuilder::new().build()
    }

    /// A builder for a client with other settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    pub(crate) fn from_config(config: Config) -> Client {
        Client {
            shared: Shared::new(config),
        }
    }

    request_methods!(Client);

    /// Sends an [`http::Request`] built elsewhere (its URI must be absolute).
    pub fn execute<B: Into<Body>>(&self, request: http::Request<B>) -> Result<Response> {
        self.send_prepared(Prepared::from_http(request)?)
    }

    /// A request builder from an [`http::Request`], to add settings before sending.
    pub fn request_from<B: Into<Body>>(&self, request: http::Request<B>) -> RequestBuilder<Client> {
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

    pub(crate) fn send_prepared(&self, mut request: Prepared) -> Result<Response> {
        request.validate(false)?;
        let config = &self.shared.config;
        let started = Instant::now();
        let t = timeouts(config, &request, started);
        let mut redirects = 0;
        loop {
            let mut response = self.send_hop(&mut request, &t, started)?;
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
            response.discard();
        }
    }

    fn send_hop(&self, request: &mut Prepared, t: &Timeouts, started: Instant) -> Result<Response> {
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
                None => self.connect(&request.url, &route, t, &mut timings)?,
            };
            timings.reused = reused;
            let body = request.body_for_send();
            match self.exchange(stream, request, body, &route, t) {
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
                    return Ok(Response::new(parts, body));
                }
                Err(failure) if should_retry(&failure, reused, retried, request) => {
                    retried = true;
                }
                Err(failure) => return Err(failure.error),
            }
        }
    }

    fn connect(
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
            Err(_) => config.resolver.resolve(&host)?,
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
        let client = TcpClient::connect_with(&host, port, &options).map_err(|e| match e {
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
            stream.write_all_timed(&out, t)?;
            let mut reader = ResponseReader::new(config.limits);
            let head = read_head(&mut stream, &mut reader, t)?;
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
            tls.handshake()
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

    /// Sends the request and reads the final response head.
    fn exchange(
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
            .write_all_timed(&out, t)
            .map_err(|e| Failure::before_response(e, &reader))?;
        let mut early = None;
        if expect {
            early = wait_for_continue(&mut stream, &mut reader, t, config.expect_timeout)
                .map_err(|e| Failure::before_response(e, &reader))?;
        }
        if early.is_none() {
            if let Some(body) = body {
                send_body(&mut stream, body, framing, t)
                    .map_err(|e| Failure::before_response(e, &reader))?;
            }
        }
        // A body announced but not sent leaves the connection unusable.
        let withheld = early.is_some();
        let head = match early {
            Some(head) => head,
            None => read_head(&mut stream, &mut reader, t)
                .map_err(|e| Failure::before_response(e, &reader))?,
        };
        Ok((head, reader, stream, withheld))
    }
}

/// Reads heads until a final one (1xx responses are skipped).
pub(crate) fn read_head(
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
                let n = stream.read_timed(reader.read_space(), t)?;
                reader.filled(n);
            }
        }
    }
}

/// After a head with `Expect: 100-continue`: `None` when the body should be
/// sent (`100 Continue` came, or nothing within `wait`), or the final
/// response the server sent instead.
fn wait_for_continue(
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
                match stream.read_with(reader.read_space(), t, per_call, "100-continue") {
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

/// Sends the body as `framing` says.
fn send_body(stream: &mut Stream, body: Body, framing: Framing, t: &Timeouts) -> Result<()> {
    match body.kind {
        BodyKind::Empty => Ok(()),
        BodyKind::Bytes(bytes) => stream.write_all_timed(&bytes, t),
        BodyKind::Reader(reader, _) => {
            let mut reader = reader.into_inner();
            let mut buf = vec![0u8; 16 * 1024];
            let mut frame = Vec::with_capacity(buf.len() + 16);
            let mut sent = 0u64;
            loop {
                let n = match reader.read(&mut buf) {
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
                        stream.write_all_timed(&frame, t)?;
                    }
                    _ => stream.write_all_timed(&buf[..n], t)?,
                }
            }
            match framing {
                Framing::Length(length) if sent < length => {
                    Err(length_mismatch(length, sent, "fewer"))
                }
                Framing::Chunked => stream.write_all_timed(b"0\r\n\r\n", t),
                _ => Ok(()),
            }
        }
        BodyKind::AsyncReader(..) => Err(Error::InvalidRequest(
            "a body from an async reader needs the AsyncClient".to_string(),
        )),
    }
}

pub(crate) fn body_reader_error(err: std::io::Error) -> Error {
    Error::InvalidRequest(format!("reading the request body failed: {err}"))
}

pub(crate) fn length_mismatch(length: u64, sent: u64, which: &str) -> Error {
    Error::InvalidRequest(format!(
        "the request body reader yielded {which} bytes ({sent}) than its length ({length})"
    ))
}
