//! The asynchronous driver: [`AsyncClient`], one loop that carries out the
//! [`Exchange`]'s steps as futures (every wait bounded by a reactor timer),
//! so it behaves as the blocking client does.

use std::sync::Arc;

use transport::TcpClient;

use crate::http::client::body::Body;
use crate::http::client::exchange::{Exchange, Outcome, Step};
use crate::http::client::request::{Prepared, RequestBuilder};
use crate::http::client::response::AsyncResponse;
use crate::http::client::stream::timed;
use crate::http::client::{ClientBuilder, Config, Shared};
use crate::http::span::Span;
use crate::http::Result;

/// An asynchronous HTTP/1.1 client with a connection pool: the blocking
/// client's behaviour, as futures. Runs under any
/// executor (tokio, smol, `sockets::block_on`); cheap to clone.
///
/// ```
/// use std::io::{Read, Write};
/// use netstack::protocols::http::client::AsyncClient;
///
/// // A one-shot server on loopback, for the example.
/// let listener = netstack::transport::TcpListener::bind(([127, 0, 0, 1], 0))?;
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
/// let text = netstack::sockets::block_on(async {
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
        let request = self.request?;
        // The exchange's future is kilobytes: on the heap it is made once
        // and never moved, where inline it would be copied at every
        // `.await` that holds it.
        Box::pin(self.client.send_prepared(request)).await
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
        let request = Prepared::from_http(request)?;
        Box::pin(self.send_prepared(request)).await
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

    /// Carries out the exchange's steps, each wait a future, inside the
    /// request's span.
    pub(crate) async fn send_prepared(&self, request: Prepared) -> Result<AsyncResponse> {
        let span = Span::client_request(&request.method, &request.url);
        span.instrument(self.exchange(request)).await
    }

    async fn exchange(&self, request: Prepared) -> Result<AsyncResponse> {
        let mut exchange = Exchange::new(Arc::clone(&self.shared), request, true)?;
        loop {
            let outcome = match exchange.step() {
                Step::Resolve {
                    resolver,
                    host,
                    limit,
                } => Outcome::Resolved(Box::pin(timed(limit, resolver.resolve_async(host))).await),
                Step::Connect {
                    host,
                    port,
                    options,
                } => Outcome::Connected(
                    Box::pin(TcpClient::connect_with_async(host, port, options)).await,
                ),
                Step::Handshake(tls) => Outcome::Handshaken(Box::pin(tls.handshake_async()).await),
                Step::Write { stream, bytes, t } => {
                    Outcome::Wrote(stream.write_all_async(bytes, t).await)
                }
                Step::Read {
                    stream,
                    buf,
                    t,
                    per_call,
                    phase,
                } => Outcome::Read(stream.read_async(buf, t, per_call, phase).await),
                Step::ReadBody { reader, buf } => Outcome::BodyRead(reader.read_async(buf).await),
                Step::Peek(stream) => Outcome::Peeked(stream.has_input()),
                Step::Response {
                    parts,
                    body,
                    redirect,
                } => {
                    let response = AsyncResponse::new(parts, body);
                    if !redirect {
                        return Ok(response);
                    }
                    Box::pin(response.discard()).await;
                    Outcome::Discarded
                }
            };
            exchange.answer(outcome)?;
        }
    }
}
