//! The blocking driver: [`Client`], one loop that carries out the
//! [`Exchange`]'s steps with blocking calls.

use std::sync::Arc;

use transport::TcpClient;

use crate::http::client::body::Body;
use crate::http::client::exchange::{Exchange, Outcome, Step};
use crate::http::client::request::{Prepared, RequestBuilder};
use crate::http::client::response::Response;
use crate::http::client::{ClientBuilder, Config, Shared};
use crate::http::span::Span;
use crate::http::Result;

/// A blocking HTTP/1.1 client with a connection pool. Cheap to clone (the
/// clones share the pool and settings) and usable from many threads.
///
/// ```no_run
/// use std::io::Read;
/// use netstack::protocols::http::client::Client;
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

    /// Carries out the exchange's steps, blocking, inside the request's span.
    pub(crate) fn send_prepared(&self, request: Prepared) -> Result<Response> {
        Span::client_request(&request.method, &request.url).in_scope(|| self.exchange(request))
    }

    fn exchange(&self, request: Prepared) -> Result<Response> {
        let mut exchange = Exchange::new(Arc::clone(&self.shared), request, false)?;
        loop {
            let outcome = match exchange.step() {
                Step::Resolve { resolver, host, .. } => {
                    Outcome::Resolved(Some(resolver.resolve(host)))
                }
                Step::Connect {
                    host,
                    port,
                    options,
                } => Outcome::Connected(TcpClient::connect_with(host, port, options)),
                Step::Handshake(tls) => Outcome::Handshaken(tls.handshake()),
                Step::Write { stream, bytes, t } => {
                    Outcome::Wrote(stream.write_all_timed(bytes, t))
                }
                Step::Read {
                    stream,
                    buf,
                    t,
                    per_call,
                    phase,
                } => Outcome::Read(stream.read_with(buf, t, per_call, phase)),
                Step::ReadBody { reader, buf } => Outcome::BodyRead(reader.read_blocking(buf)),
                Step::Peek(stream) => Outcome::Peeked(stream.has_input()),
                Step::Response {
                    parts,
                    body,
                    redirect,
                } => {
                    let response = Response::new(parts, body);
                    if !redirect {
                        return Ok(response);
                    }
                    response.discard();
                    Outcome::Discarded
                }
            };
            exchange.answer(outcome)?;
        }
    }
}
