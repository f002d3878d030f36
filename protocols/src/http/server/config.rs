//! [`ServerConfig`]: the limits and timeouts both server drivers apply.

use std::time::Duration;

use transport::tls::TlsServerConfig;

use crate::http::Limits;

/// Limits, timeouts and options of an [`HttpServer`](super::HttpServer) or
/// [`AsyncHttpServer`](super::AsyncHttpServer). Every wait has a timeout and
/// every buffer a peer can grow has a bound (DESIGN.md rule 6).
///
/// ```
/// use std::time::Duration;
/// use netstack::protocols::http::{server::ServerConfig, Limits};
/// let config = ServerConfig::default()
///     .head_timeout(Duration::from_secs(5))
///     .max_body_size(1024 * 1024)
///     .limits(Limits::default().max_head_size(16 * 1024))
///     .workers(8);
/// assert_eq!(config.get_head_timeout(), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) limits: Limits,
    pub(crate) max_body_size: u64,
    pub(crate) head_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) min_body_rate: u64,
    pub(crate) idle_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) shutdown_grace: Duration,
    pub(crate) workers: usize,
    pub(crate) max_queued_connections: usize,
    pub(crate) max_connections: usize,
    pub(crate) backlog: i32,
    pub(crate) tls: Option<TlsServerConfig>,
}

impl Default for ServerConfig {
    /// The default [`Limits`]; 16 MiB request bodies; a 10 s head timeout
    /// (from the connection's start, or from the first byte of a later
    /// request: a client that trickles its head is cut off), 30 s between
    /// body bytes and a body of at least 500 bytes/s on average (after a
    /// first 30 s), 15 s idle between keep-alive requests, 30 s per write,
    /// 10 s of shutdown grace; 64 worker threads with 256 queued
    /// connections (sync), 10,000 concurrent connections (async); a
    /// listen backlog of 1024; no TLS.
    fn default() -> ServerConfig {
        ServerConfig {
            limits: Limits::default(),
            max_body_size: 16 * 1024 * 1024,
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            min_body_rate: 500,
            idle_timeout: Duration::from_secs(15),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            workers: 64,
            max_queued_connections: 256,
            max_connections: 10_000,
            backlog: 1024,
            tls: None,
        }
    }
}

impl ServerConfig {
    /// Head size, header count and line length limits for requests
    /// (exceeding them gets `431`), and the chunked-body limits.
    pub fn limits(mut self, limits: Limits) -> ServerConfig {
        self.limits = limits;
        self
    }

    /// The largest request body, in bytes; a larger one gets `413`.
    pub fn max_body_size(mut self, bytes: u64) -> ServerConfig {
        self.max_body_size = bytes;
        self
    }

    /// How long a request head may take to arrive, counted from the
    /// connection's start (first request) or from the request's first byte
    /// (later requests). A client that is slower is disconnected (slowloris).
    pub fn head_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.head_timeout = timeout;
        self
    }

    /// How long a read of the request body may wait for bytes.
    pub fn body_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.body_timeout = timeout;
        self
    }

    /// The slowest a request body may come, on average, in bytes per
    /// second (default 500, as Apache's `mod_reqtimeout`); 0 turns the rule
    /// off. From the first wait for body bytes, the body has the body
    /// timeout plus one second for every `bytes_per_second` bytes received;
    /// past that its reads fail, the handler sees
    /// [`Error::TooSlow`](crate::http::Error::TooSlow) and the client gets
    /// `408`. The per-read [`body_timeout`](Self::body_timeout) alone would
    /// let a client send one byte every few seconds for ever.
    pub fn min_body_rate(mut self, bytes_per_second: u64) -> ServerConfig {
        self.min_body_rate = bytes_per_second;
        self
    }

    /// How long a keep-alive connection may wait for its next request.
    pub fn idle_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.idle_timeout = timeout;
        self
    }

    /// How long one write of the response may wait for the client to read.
    pub fn write_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.write_timeout = timeout;
        self
    }

    /// How long a graceful shutdown waits for requests in flight before it
    /// closes their connections.
    pub fn shutdown_grace(mut self, grace: Duration) -> ServerConfig {
        self.shutdown_grace = grace;
        self
    }

    /// The most worker threads of the synchronous server (one connection
    /// per worker at a time). At least 1.
    pub fn workers(mut self, workers: usize) -> ServerConfig {
        self.workers = workers.max(1);
        self
    }

    /// How many accepted connections may wait for a free worker
    /// (synchronous server); past that, a connection gets `503` and is closed.
    pub fn max_queued_connections(mut self, count: usize) -> ServerConfig {
        self.max_queued_connections = count;
        self
    }

    /// The most connections the asynchronous server serves at once; one
    /// more is answered `503 Service Unavailable` (with `Retry-After: 1`)
    /// and closed. At least 1.
    pub fn max_connections(mut self, count: usize) -> ServerConfig {
        self.max_connections = count.max(1);
        self
    }

    /// The listen backlog passed to [`TcpListener::start`](transport::TcpListener::start).
    pub fn backlog(mut self, backlog: i32) -> ServerConfig {
        self.backlog = backlog;
        self
    }

    /// Serves HTTPS: every connection does a TLS handshake first (bounded
    /// by the configuration's handshake timeout).
    pub fn tls(mut self, config: TlsServerConfig) -> ServerConfig {
        self.tls = Some(config);
        self
    }

    /// The message limits.
    pub fn get_limits(&self) -> Limits {
        self.limits
    }

    /// The request body limit.
    pub fn get_max_body_size(&self) -> u64 {
        self.max_body_size
    }

    /// The head timeout.
    pub fn get_head_timeout(&self) -> Duration {
        self.head_timeout
    }

    /// The body read timeout.
    pub fn get_body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// The minimum request body rate, in bytes per second (0: none).
    pub fn get_min_body_rate(&self) -> u64 {
        self.min_body_rate
    }

    /// The keep-alive idle timeout.
    pub fn get_idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// The write timeout.
    pub fn get_write_timeout(&self) -> Duration {
        self.write_timeout
    }

    /// The shutdown grace period.
    pub fn get_shutdown_grace(&self) -> Duration {
        self.shutdown_grace
    }

    /// The worker thread limit (synchronous server).
    pub fn get_workers(&self) -> usize {
        self.workers
    }

    /// The TLS configuration, when serving HTTPS.
    pub fn get_tls(&self) -> Option<&TlsServerConfig> {
        self.tls.as_ref()
    }
}
