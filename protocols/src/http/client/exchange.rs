//! One request, from the public call to its final response head, as a
//! sans-IO step machine that both drivers carry out: the [`Exchange`] owns
//! every decision (where to connect, the tunnel, TLS, the request head,
//! `Expect: 100-continue`, the body's framing, informational responses, the
//! one retry on a reused connection, redirects, timeouts and tracing) and
//! hands its driver one [`Step`] at a time; the driver carries it out in its
//! mode and reports the [`Outcome`].
//!
//! The steps and states are drawn in the `http::client` module docs.
//!
//! A driver is one loop: `match exchange.step() { … }` carrying out the step,
//! then `exchange.answer(outcome)?`. An error from `answer` ends the exchange.

use std::io;
use std::mem;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use transport::tls::{TlsError, TlsStream};
use transport::{ConnectOptions, NetworkStream, Resolver, StaticResolver, TcpClient};

use crate::http::client::body::BodyReader;
use crate::http::client::conn::{Limit, ResponseReader, Timeouts};
use crate::http::client::redirect;
use crate::http::client::request::Prepared;
use crate::http::client::request_head::{connect_head, open_exchange, Framing, Opening};
use crate::http::client::response::{BodyState, Parts};
use crate::http::client::stream::{ClosingTls, Io, Stream};
use crate::http::client::trace::head_of;
use crate::http::client::{url_host, Route, Shared, TraceEvent};
use crate::http::{Error, Phase, ResponseHead, Result};

mod hop;
mod rules;
mod upload;

use hop::Hop;
use upload::Sending;

use rules::{
    answer_may_wait, build_parts, check_alpn, check_tunnel, connect_target, handshake_error,
    next_head, repeat_without_expectation, should_retry, timeouts, tunnel_target, Failure,
};

/// What the driver is to do next.
#[expect(
    clippy::large_enum_variant,
    reason = "made once per step and consumed at once; boxing the response would allocate per request"
)]
pub(crate) enum Step<'a> {
    /// Look up `host`'s addresses; answer [`Outcome::Resolved`] (`None`
    /// when `limit` ran out first).
    Resolve {
        resolver: &'a dyn Resolver,
        host: &'a str,
        limit: Option<Duration>,
    },
    /// Open a TCP connection; answer [`Outcome::Connected`].
    Connect {
        host: &'a str,
        port: u16,
        options: &'a ConnectOptions,
    },
    /// Carry out the TLS handshake (bounded by its own timeout); answer
    /// [`Outcome::Handshaken`].
    Handshake(&'a mut TlsStream<NetworkStream>),
    /// Write all of `bytes`, each wait bounded by `t`; answer [`Outcome::Wrote`].
    Write {
        stream: &'a mut Stream,
        bytes: &'a [u8],
        t: &'a Timeouts,
    },
    /// Read some bytes into `buf`, bounded by `per_call` and `t`'s
    /// deadline; answer [`Outcome::Read`].
    Read {
        stream: &'a mut Stream,
        buf: &'a mut [u8],
        t: &'a Timeouts,
        per_call: Option<Duration>,
        phase: Phase,
    },
    /// Whether bytes from the peer wait to be read, without waiting;
    /// answer [`Outcome::Peeked`].
    Peek(&'a Stream),
    /// Read the next piece of the request body; answer [`Outcome::BodyRead`].
    ReadBody {
        reader: &'a mut BodyReader,
        buf: &'a mut [u8],
    },
    /// The final response. When `redirect` is true, the exchange goes on
    /// to the next URL (or the same one again, after a 417 to `Expect`):
    /// drain and drop the response, answer [`Outcome::Discarded`];
    /// otherwise the exchange is over.
    Response {
        parts: Parts,
        body: BodyState,
        redirect: bool,
    },
}

/// What came of a [`Step`].
pub(crate) enum Outcome {
    Resolved(Option<transport::Result<Vec<IpAddr>>>),
    Connected(transport::Result<TcpClient>),
    Handshaken(std::result::Result<(), TlsError>),
    Wrote(Result<()>),
    Read(Result<usize>),
    BodyRead(io::Result<usize>),
    Peeked(bool),
    Discarded,
}

/// One request and its redirects.
pub(crate) struct Exchange {
    shared: Arc<Shared>,
    request: Prepared,
    t: Timeouts,
    started: Instant,
    redirects: usize,
    /// The bytes of the response heads so far (redirects included).
    head_bytes: u64,
    /// When the last new connection was resolved, connected and secured.
    connection_done: [Option<Duration>; 3],
    hop: Hop,
    state: State,
}

#[expect(
    clippy::large_enum_variant,
    reason = "one per request in flight; boxing the response would allocate per request"
)]
enum State {
    Resolve {
        host: String,
        port: u16,
        limit: Option<Limit>,
        since: Instant,
    },
    Connect {
        host: String,
        port: u16,
        options: ConnectOptions,
        limit: Option<Limit>,
        since: Instant,
    },
    Handshake {
        tls: Box<TlsStream<NetworkStream>>,
        limit: Option<Limit>,
        since: Instant,
    },
    /// A connection is open: what it is waiting for.
    Open { stream: Stream, stage: Stage },
    Respond {
        parts: Parts,
        body: BodyState,
        redirect: bool,
    },
    /// A response was handed out (or the exchange failed); only a redirect
    /// goes on from here, when its response was discarded.
    Handed,
}

enum Stage {
    Write { what: Out, then: AfterWrite },
    ReadTunnel { target: String },
    AwaitContinue { until: Instant, per_call: Duration },
    ReadBody { reader: BodyReader },
    Peek { sending: Sending },
    ReadEarly { sending: Sending, wait: Duration },
    ReadHead,
}

/// Where the bytes of a write are.
enum Out {
    /// `Hop::out`.
    Buffer,
    /// A body held in memory.
    Bytes(Bytes),
    /// The first bytes of `Hop::buf`: a piece of a streamed body, sent as it is.
    Piece(usize),
}

enum AfterWrite {
    Tunnel {
        target: String,
    },
    Head,
    Piece {
        reader: BodyReader,
    },
    /// A piece of a body held in memory; `rest` is still to send.
    Rest {
        rest: Bytes,
    },
    Body,
}

impl Exchange {
    /// Checks `request` and starts it: the first step is ready.
    pub(crate) fn new(
        shared: Arc<Shared>,
        request: Prepared,
        async_mode: bool,
    ) -> Result<Exchange> {
        request.validate(async_mode)?;
        let started = Instant::now();
        let t = timeouts(&shared.config, &request, started);
        let hop = Hop::new(&shared.config, &request.url, false)?;
        let mut exchange = Exchange {
            shared,
            request,
            t,
            started,
            redirects: 0,
            head_bytes: 0,
            connection_done: [None; 3],
            hop,
            state: State::Handed,
        };
        exchange.begin()?;
        Ok(exchange)
    }

    /// The step to carry out now.
    pub(crate) fn step(&mut self) -> Step<'_> {
        if let State::Respond { .. } = self.state {
            let State::Respond {
                parts,
                body,
                redirect,
            } = mem::replace(&mut self.state, State::Handed)
            else {
                unreachable!("matched above")
            };
            return Step::Response {
                parts,
                body,
                redirect,
            };
        }
        let Exchange {
            shared,
            t,
            hop,
            state,
            ..
        } = self;
        match state {
            State::Resolve { host, limit, .. } => Step::Resolve {
                resolver: &*shared.config.resolver,
                host,
                limit: limit.map(|l| l.wait),
            },
            State::Connect {
                host,
                port,
                options,
                ..
            } => Step::Connect {
                host,
                port: *port,
                options,
            },
            State::Handshake { tls, .. } => Step::Handshake(tls),
            State::Open { stream, stage } => match stage {
                Stage::Write { what, .. } => Step::Write {
                    stream,
                    bytes: match what {
                        Out::Buffer => &hop.out,
                        Out::Bytes(bytes) => bytes,
                        Out::Piece(n) => &hop.buf[..*n],
                    },
                    t,
                },
                Stage::ReadTunnel { .. } | Stage::ReadHead => Step::Read {
                    stream,
                    buf: hop.reader.read_space(),
                    t,
                    per_call: t.read,
                    phase: Phase::Read,
                },
                Stage::AwaitContinue { per_call, .. } => Step::Read {
                    stream,
                    buf: hop.reader.read_space(),
                    t,
                    per_call: Some(*per_call),
                    phase: Phase::ExpectContinue,
                },
                Stage::ReadBody { reader } => Step::ReadBody {
                    reader,
                    buf: &mut hop.buf,
                },
                Stage::Peek { .. } => Step::Peek(stream),
                Stage::ReadEarly { wait, .. } => Step::Read {
                    stream,
                    buf: hop.reader.read_space(),
                    t,
                    per_call: Some(*wait),
                    phase: Phase::ExpectContinue,
                },
            },
            State::Respond { .. } | State::Handed => {
                unreachable!("an exchange is not stepped after its response or a failure")
            }
        }
    }

    /// Takes the outcome of the last step and moves on to the next; an
    /// error ends the exchange.
    pub(crate) fn answer(&mut self, outcome: Outcome) -> Result<()> {
        match (mem::replace(&mut self.state, State::Handed), outcome) {
            (
                State::Resolve {
                    host,
                    port,
                    limit,
                    since,
                },
                Outcome::Resolved(result),
            ) => match result {
                Some(addresses) => self.resolved(host, port, addresses?, since),
                None => Err(self.t.expired(Phase::Deadline, limit)),
            },
            (
                State::Connect {
                    limit,
                    since,
                    host,
                    port,
                    ..
                },
                Outcome::Connected(result),
            ) => {
                let client = result.map_err(|e| match e {
                    transport::Error::ConnectTimeout { .. }
                        if limit.is_some_and(|l| l.by_deadline) =>
                    {
                        self.t.expired(Phase::Deadline, limit)
                    }
                    e => Error::Transport(e),
                })?;
                let took = since.elapsed();
                self.hop.timings.connect = Some(took);
                self.hop.timings.connect_done = Some(self.started.elapsed());
                self.hop.timings.attempts = client.attempts().to_vec();
                self.shared.config.trace(|| TraceEvent::Connected {
                    host: &host,
                    port,
                    attempts: client.attempts(),
                    took,
                });
                self.connected(Stream::new(Io::Plain(client.into_stream())))
            }
            (State::Handshake { tls, limit, since }, Outcome::Handshaken(result)) => {
                result.map_err(|e| {
                    handshake_error(e, limit.is_some_and(|l| l.by_deadline), &self.t)
                })?;
                let took = since.elapsed();
                self.hop.timings.tls = Some(took);
                self.hop.timings.tls_done = Some(self.started.elapsed());
                check_alpn(tls.alpn_protocol())?;
                let stream = Stream::new(Io::Tls(ClosingTls::new(tls)));
                if let Some(info) = &stream.tls_info {
                    self.shared
                        .config
                        .trace(|| TraceEvent::TlsEstablished { info, took });
                }
                self.open(stream)
            }
            (State::Open { stream, stage }, outcome) => self.on_connection(stream, stage, outcome),
            (State::Handed, Outcome::Discarded) => {
                self.hop = Hop::new(&self.shared.config, &self.request.url, false)?;
                self.begin()
            }
            _ => unreachable!("each step is answered with its own outcome"),
        }
    }

    /// Starts the hop: on a pooled connection, or by resolving its host.
    fn begin(&mut self) -> Result<()> {
        let config = &self.shared.config;
        if !self.hop.retried {
            if let Some(mut stream) = self.shared.pool.take(&self.hop.key) {
                config.trace(|| TraceEvent::Reused {
                    url: &self.request.url,
                });
                self.hop.reader.reuse(mem::take(&mut stream.read_buffers));
                self.hop.reused = true;
                self.hop.timings.reused = true;
                return self.open(stream);
            }
        }
        let (host, port) = connect_target(&self.request.url, &self.hop.route)?;
        let since = Instant::now();
        if let Some(addresses) = config.addressing.overridden(&host, port) {
            return self.resolved(host, port, addresses, since);
        }
        match host.parse::<IpAddr>() {
            Ok(ip) => self.resolved(host, port, vec![ip], since),
            Err(_) => {
                let limit = self.t.limit(None)?;
                self.state = State::Resolve {
                    host,
                    port,
                    limit,
                    since,
                };
                Ok(())
            }
        }
    }

    fn resolved(
        &mut self,
        host: String,
        port: u16,
        addresses: Vec<IpAddr>,
        since: Instant,
    ) -> Result<()> {
        let config = &self.shared.config;
        let took = since.elapsed();
        self.hop.timings.resolve = Some(took);
        self.hop.timings.resolve_done = Some(self.started.elapsed());
        let addresses = config.addressing.keep_version(&host, port, addresses)?;
        config.trace(|| TraceEvent::Resolved {
            host: &host,
            addresses: &addresses,
            took,
        });
        let limit = self.t.limit(config.connect_timeout)?;
        let options = ConnectOptions::new()
            .resolver(StaticResolver::new(addresses))
            .timeout(limit.map(|l| l.wait));
        self.state = State::Connect {
            host,
            port,
            options,
            limit,
            since: Instant::now(),
        };
        Ok(())
    }

    /// A new connection: through the proxy's tunnel first, if any.
    fn connected(&mut self, stream: Stream) -> Result<()> {
        let config = &self.shared.config;
        if let Route::Tunnel(proxy) = &self.hop.route {
            let target = tunnel_target(&self.request.url)?;
            self.hop.out.clear();
            connect_head(
                &target,
                proxy.auth(),
                config.user_agent.as_ref(),
                &mut self.hop.out,
            )?;
            self.state = State::Open {
                stream,
                stage: Stage::Write {
                    what: Out::Buffer,
                    then: AfterWrite::Tunnel { target },
                },
            };
            return Ok(());
        }
        self.secure(stream)
    }

    /// Starts TLS for `https`.
    fn secure(&mut self, stream: Stream) -> Result<()> {
        if self.request.url.scheme() != "https" {
            return self.open(stream);
        }
        let tls_config = self.shared.config.tls()?;
        let Io::Plain(net) = stream.io else {
            unreachable!("TLS is set up once, on a new connection");
        };
        let server_name = url_host(&self.request.url)?;
        let mut tls = TlsStream::client(&tls_config, &server_name, net)
            .map_err(|e| Error::Transport(e.into()))?;
        let limit = self.t.limit(Some(tls_config.handshake_timeout()))?;
        if let Some(limit) = limit {
            tls.set_handshake_timeout(limit.wait);
        }
        self.state = State::Handshake {
            tls: Box::new(tls),
            limit,
            since: Instant::now(),
        };
        Ok(())
    }

    /// The connection is ready: write the request head (and a small body).
    fn open(&mut self, stream: Stream) -> Result<()> {
        let config = &self.shared.config;
        let body = self.request.body_for_send();
        let Opening {
            bytes,
            framing,
            body,
            expect_continue,
        } = open_exchange(
            &self.request,
            body,
            &config.head_defaults(&self.request.url),
            &self.hop.route,
        )?;
        config.trace(|| TraceEvent::RequestHead(head_of(&bytes)));
        self.hop.out = bytes;
        self.hop.framing = framing;
        self.hop.expect_continue = expect_continue;
        // A small body goes out with the head.
        self.hop.body_writing = match (&body, framing) {
            (None, Framing::Length(n)) => n,
            _ => 0,
        };
        self.hop.body = body.map(|body| body.kind);
        self.state = State::Open {
            stream,
            stage: Stage::Write {
                what: Out::Buffer,
                then: AfterWrite::Head,
            },
        };
        Ok(())
    }

    fn on_connection(&mut self, stream: Stream, stage: Stage, outcome: Outcome) -> Result<()> {
        match (stage, outcome) {
            (Stage::Write { then, .. }, Outcome::Wrote(result)) => {
                if let Err(e) = result {
                    return match then {
                        AfterWrite::Tunnel { .. } => Err(e),
                        // A server that refuses a body often answers and
                        // closes while it comes: read that answer first.
                        AfterWrite::Piece { .. } | AfterWrite::Rest { .. } | AfterWrite::Body
                            if answer_may_wait(&e) =>
                        {
                            self.hop.send_error = Some(Box::new(e));
                            self.read_head(stream)
                        }
                        _ => self.fail(e),
                    };
                }
                self.hop.body_written += mem::take(&mut self.hop.body_writing);
                match then {
                    AfterWrite::Tunnel { target } => self.read_tunnel(stream, target),
                    AfterWrite::Head if self.hop.expect_continue => {
                        let wait = self.shared.config.expect_timeout;
                        let per_call = self.t.read.map_or(wait, |r| r.min(wait));
                        self.await_continue(stream, Instant::now() + wait, per_call)
                    }
                    AfterWrite::Head => self.send_body(stream),
                    AfterWrite::Piece { reader } => {
                        self.piece_sent(stream, Sending::Reader(reader))
                    }
                    AfterWrite::Rest { rest } => self.piece_sent(stream, Sending::Bytes(rest)),
                    AfterWrite::Body => self.read_head(stream),
                }
            }
            (Stage::ReadTunnel { target }, Outcome::Read(result)) => {
                self.hop.reader.filled(result?);
                self.read_tunnel(stream, target)
            }
            (Stage::AwaitContinue { until, per_call }, Outcome::Read(result)) => match result {
                Ok(n) => {
                    self.hop.reader.filled(n);
                    self.await_continue(stream, until, per_call)
                }
                // No answer in time: send the body anyway, as RFC 9110 says.
                Err(Error::Timeout {
                    phase: Phase::ExpectContinue,
                    ..
                }) => self.send_body(stream),
                Err(e) => self.fail(e),
            },
            (Stage::ReadBody { reader }, Outcome::BodyRead(result)) => {
                self.body_read(stream, reader, result)
            }
            (Stage::Peek { sending }, Outcome::Peeked(waiting)) => {
                self.peeked(stream, sending, waiting)
            }
            (Stage::ReadEarly { sending, .. }, Outcome::Read(result)) => {
                self.read_early(stream, sending, result)
            }
            (Stage::ReadHead, Outcome::Read(result)) => match result {
                Ok(n) => {
                    self.hop.reader.filled(n);
                    self.read_head(stream)
                }
                Err(e) => self.fail(e),
            },
            _ => unreachable!("each step is answered with its own outcome"),
        }
    }

    fn read_tunnel(&mut self, stream: Stream, target: String) -> Result<()> {
        match next_head(&mut self.hop.reader, &mut self.hop.informational, false)? {
            Some(head) => {
                if let Route::Tunnel(proxy) = &self.hop.route {
                    check_tunnel(&head, &self.hop.reader, proxy, &target)?;
                }
                self.hop.reader = ResponseReader::new(self.shared.config.limits);
                self.secure(stream)
            }
            None => {
                self.state = State::Open {
                    stream,
                    stage: Stage::ReadTunnel { target },
                };
                Ok(())
            }
        }
    }

    /// After a head with `Expect: 100-continue`: the body goes once
    /// `100 Continue` came or nothing came by `until`; a final response
    /// instead means the body is withheld.
    fn await_continue(&mut self, stream: Stream, until: Instant, per_call: Duration) -> Result<()> {
        match next_head(&mut self.hop.reader, &mut self.hop.informational, true) {
            Err(e) => self.fail(e),
            Ok(Some(head)) if head.status == StatusCode::CONTINUE => self.send_body(stream),
            Ok(Some(head)) => self.respond(stream, head, true),
            Ok(None) if Instant::now() >= until => self.send_body(stream),
            Ok(None) => {
                self.state = State::Open {
                    stream,
                    stage: Stage::AwaitContinue { until, per_call },
                };
                Ok(())
            }
        }
    }

    fn read_head(&mut self, stream: Stream) -> Result<()> {
        if let Some(head) = self.hop.early.take() {
            let cut_short = self.hop.send_error.is_some();
            return self.respond(stream, *head, cut_short);
        }
        match next_head(&mut self.hop.reader, &mut self.hop.informational, false) {
            Err(e) => self.fail(e),
            Ok(Some(head)) => {
                let cut_short = self.hop.send_error.is_some();
                self.respond(stream, head, cut_short)
            }
            Ok(None) => {
                self.state = State::Open {
                    stream,
                    stage: Stage::ReadHead,
                };
                Ok(())
            }
        }
    }

    /// The final head is in: the response, and whether it redirects.
    /// `cut_short` when the body was not sent whole (the connection cannot
    /// be used again).
    fn respond(&mut self, stream: Stream, head: ResponseHead, cut_short: bool) -> Result<()> {
        let config = &self.shared.config;
        let started = self.started;
        self.hop
            .timings
            .first_byte
            .get_or_insert_with(|| started.elapsed());
        if let Some(jar) = &config.cookies {
            jar.store_response(&self.request.url, &head.headers);
        }
        config.trace(|| TraceEvent::ResponseHead {
            version: head.version,
            status: head.status,
            headers: &head.headers,
            raw: &head.raw,
        });
        let reader = mem::replace(&mut self.hop.reader, ResponseReader::new(config.limits));
        let mut timings = mem::take(&mut self.hop.timings);
        timings.redirects = self.redirects;
        self.head_bytes += head.raw.len() as u64;
        timings.head_bytes = self.head_bytes;
        timings.body_bytes_sent = self.hop.body_written;
        let t = &mut timings;
        if t.connect_done.is_some() {
            self.connection_done = [t.resolve_done, t.connect_done, t.tls_done];
        } else {
            [t.resolve_done, t.connect_done, t.tls_done] = self.connection_done;
        }
        timings.remote = stream.remote;
        let (parts, body) = build_parts(
            cut_short,
            config,
            &self.request,
            head,
            reader,
            stream,
            &self.shared,
            // The hop ends with its response: its key goes with the body.
            mem::take(&mut self.hop.key),
            timings,
            self.t,
            self.started,
        )?;
        // A withheld body can still go: to a repeat, a redirect's next URL.
        let withheld = self.hop.body.is_some();
        self.request.give_back(self.hop.body.take());
        let repeat = repeat_without_expectation(&mut self.request, parts.status, withheld);
        let redirect = repeat
            || redirect::follow(
                config,
                &mut self.request,
                parts.status,
                &parts.headers,
                self.redirects,
            )?;
        if repeat {
            let url = &self.request.url;
            config.trace(|| TraceEvent::RepeatWithoutExpect { url });
        } else if redirect {
            config.trace(|| TraceEvent::Redirect {
                status: parts.status,
                to: &self.request.url,
            });
            self.redirects += 1;
        }
        self.state = State::Respond {
            parts,
            body,
            redirect,
        };
        Ok(())
    }

    /// A failure on the connection before the response: retried once on a
    /// new connection when that is safe, otherwise the exchange's error.
    fn fail(&mut self, error: Error) -> Result<()> {
        // No answer came after a failed send: the send's error is the cause.
        let error = self.hop.send_error.take().map_or(error, |e| *e);
        let failure = Failure::before_response(error, &self.hop.reader);
        self.request.give_back(self.hop.body.take());
        if !should_retry(&failure, self.hop.reused, self.hop.retried, &self.request) {
            return Err(failure.error);
        }
        self.hop = Hop::new(&self.shared.config, &self.request.url, true)?;
        self.begin()
    }
}
