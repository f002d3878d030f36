//! The blocking driver: [`Client`].

use std::io::Read;
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
use crate::http::client::response::Response;
use crate::http::client::stream::{Io, Stream};
use crate::http::client::trace::head_of;
use crate::http::client::{url_host, ClientBuilder, Config, Route, Shared, Timings, TraceEvent};
use crate::http::{encode_chunk, Error, ResponseHead, Result};

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

impl RequestBuilder<Client> {
    /// Sends the request and returns the response once its head has arrived.
    pub fn send(self) -> Result<Response> {
        self.client.send_prepared(self.request?)
    }
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
