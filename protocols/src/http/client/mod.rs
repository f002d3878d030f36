//! The HTTP/1.1 client, in both modes: [`Client`] (blocking) and
//! [`AsyncClient`] (futures on netstack's reactor, under any executor).
//!
//! Both drive one sans-IO exchange core (request head and body framing,
//! response head and body decoding, content decoding, redirect and retry
//! decisions, timeout arithmetic); the two drivers only move bytes between
//! it and a [`NetworkStream`](transport::NetworkStream) or a
//! [`TlsStream`](transport::tls::TlsStream), so the modes behave the same.
//!
//! How a request travels: `send` (or `execute`) makes one exchange, a
//! state machine that hands its driver one step at a time (resolve,
//! connect, handshake, write these bytes, read into this buffer, read the
//! next piece of the request body, say whether input waits) and takes back
//! what came of it. Each
//! driver is one loop over those steps, blocking or as futures:
//!
//! ```text
//!  send ─► Exchange::new ─► hop ─► a pooled connection? ── yes ─────────────┐
//!                                   │ no                                    │
//!                                   ▼                                       │
//!          Resolve ─► Connect ─► [proxy tunnel: Write CONNECT, Read 2xx]    │
//!                             ─► [https: Handshake] ───────────────────────►┤
//!                                                                           ▼
//!  Write head ─► [Read until 100 Continue] ─► [ReadBody ─► Write]… ─► Read head
//!   (every 256 KiB of body: Peek; bytes waiting ─► Read them: a final answer
//!    other than 2xx is the response now, a 2xx once the body is sent)
//!   ├─► Response { redirect: false }: the driver returns it
//!   ├─► Response { redirect: true }: the driver drains it, answers Discarded ─► hop
//!   └─► a 417 to Expect before the body went ─► hop, once, without Expect
//!  a failure on a reused connection before any response byte ─► hop, once, on a
//!  new connection (idempotent and replayable requests only)
//!  a body write that fails as the server closes ─► Read head: its answer, if
//!  it sent one before closing, else the write's error
//! ```
//!
//! The response's body is read by the same two modes from there on
//! ([`Response`] and [`AsyncResponse`] over one body pipeline: framing,
//! then content decoding).
//!
//! - Requests: [`Client::get`] & co. return a [`RequestBuilder`] (headers,
//!   [`Body`] from bytes, text, forms or readers — chunked when the length
//!   is unknown —, basic auth, a per-request timeout, `Expect:
//!   100-continue`); [`Client::execute`] takes an [`http::Request`].
//! - Responses: [`Response`] / [`AsyncResponse`]: status, version,
//!   headers, the final URL after redirects, [`Timings`], and the body as a
//!   stream (`Read` / `futures_io::AsyncRead`) or whole ([`Response::bytes`],
//!   [`Response::text`], bounded by [`ClientBuilder::max_body_size`]).
//! - Connections: a pool by (scheme, host, port, proxy) with idle limits
//!   and an idle timeout; a pooled connection that the server closed is
//!   noticed before reuse, and an idempotent request that fails on a reused
//!   connection before any response byte is retried once on a new one. A
//!   connection is reused only after its response body was read to the end
//!   without a framing error.
//! - Timeouts: connect, per read, per write and an overall deadline
//!   ([`Error::Timeout`](crate::http::Error) with its
//!   [`Phase`](crate::http::Phase): `Read`, `Write` or `Deadline`, which
//!   also ends a name lookup or a connect that would outlast it; a connect
//!   timeout of its own is the transport's `ConnectTimeout`).
//! - Redirects (10 by default), HTTPS with ALPN `http/1.1`, gzip/deflate
//!   decoding on request ([`ClientBuilder::decompress`]), HTTP proxies
//!   ([`Proxy`]).
//!
//! ```
//! use std::io::{Read, Write};
//! use netstack::protocols::http::client::Client;
//!
//! // A one-shot server on loopback, for the example.
//! let listener = netstack::transport::TcpListener::bind(([127, 0, 0, 1], 0))?;
//! listener.start(1)?;
//! let port = listener.local_endpoint()?.as_ip().unwrap().port();
//! let server = std::thread::spawn(move || {
//!     let mut conn = listener.accept().unwrap();
//!     let mut request = [0u8; 1024];
//!     let _ = conn.read(&mut request).unwrap();
//!     conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
//!         .unwrap();
//! });
//!
//! let client = Client::new();
//! let response = client.get(&format!("http://127.0.0.1:{port}/greeting")).send()?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.url().path(), "/greeting");
//! assert_eq!(response.text()?, "hello");
//! server.join().unwrap();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use transport::tls::{TlsClientConfig, TlsError};
use transport::{ConnectAttempt, Resolver, SystemResolver};
use url::Url;

use crate::http::{Error, Limits, Result};

/// The request-starting methods (`request`, `get`, `head`, `post`, `put`,
/// `patch`, `delete`), the same for [`Client`] and [`AsyncClient`].
macro_rules! request_methods {
    ($client:ty) => {
        /// A request with any method.
        pub fn request(
            &self,
            method: http::Method,
            url: impl crate::IntoUrl,
        ) -> RequestBuilder<$client> {
            let url = url
                .into_parsed()
                .map_err(crate::http::Error::InvalidRequest);
            RequestBuilder::new(self.clone(), method, url)
        }

        /// A `GET` request.
        pub fn get(&self, url: impl crate::IntoUrl) -> RequestBuilder<$client> {
            self.request(http::Method::GET, url)
        }

        /// A `HEAD` request.
        pub fn head(&self, url: impl crate::IntoUrl) -> RequestBuilder<$client> {
            self.request(http::Method::HEAD, url)
        }

        /// A `POST` request.
        pub fn post(&self, url: impl crate::IntoUrl) -> RequestBuilder<$client> {
            self.request(http::Method::POST, url)
        }

        /// A `PUT` request.
        pub fn put(&self, url: impl crate::IntoUrl) -> RequestBuilder<$client> {
            self.request(http::Method::PUT, url)
        }

        /// A `PATCH` request.
        pub fn patch(&self, url: impl crate::IntoUrl) -> RequestBuilder<$client> {
            self.request(http::Method::PATCH, url)
        }

        /// A `DELETE` request.
        pub fn delete(&self, url: impl crate::IntoUrl) -> RequestBuilder<$client> {
            self.request(http::Method::DELETE, url)
        }
    };
}

mod async_client;
pub(crate) mod auth;
mod body;
mod conn;
#[cfg(feature = "cookies")]
mod cookies;
#[cfg(not(feature = "cookies"))]
#[path = "cookies/absent.rs"]
mod cookies;
mod decoding;
mod exchange;
mod multipart;
mod pool;
mod proxy;
mod redirect;
mod request;
mod request_head;
mod resolve;
mod response;
pub(crate) mod stream;
mod sync_client;
mod trace;

pub use async_client::AsyncClient;
pub use body::Body;
#[cfg(not(feature = "cookies"))]
pub(crate) use cookies::CookieJar;
#[cfg(feature = "cookies")]
pub use cookies::{CookieJar, StoredCookie};
pub use multipart::{Multipart, Part};
pub use proxy::Proxy;
pub use request::RequestBuilder;
pub use resolve::IpVersion;
pub use response::{AsyncResponse, Response};
pub use sync_client::Client;
pub(crate) use trace::Tracer;
pub use trace::{TlsInfo, TraceEvent};

/// How long a request took, phase by phase. Durations other than
/// `resolve`, `connect` and `tls` are measured from the start of the
/// request (redirects included).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Timings {
    /// Name resolution for the last connection opened (`None` when a pooled connection was reused).
    pub resolve: Option<Duration>,
    /// The TCP connect race (Happy Eyeballs), after resolution.
    pub connect: Option<Duration>,
    /// The TLS handshake (`https` only).
    pub tls: Option<Duration>,
    /// Until the final response head arrived.
    pub first_byte: Option<Duration>,
    /// Until the body was read to the end (`None` while it is being read).
    pub total: Option<Duration>,
    /// True when the final response came over a pooled connection.
    pub reused: bool,
    /// Redirects followed.
    pub redirects: usize,
    /// Each TCP connection attempt (address, start, duration, outcome).
    pub attempts: Vec<ConnectAttempt>,
    /// When name resolution ended, from the start of the request (curl's
    /// `time_namelookup`), for the connection the response came over, also
    /// when it was opened for an earlier hop of the redirects; `None` for a
    /// connection taken from the pool.
    pub resolve_done: Option<Duration>,
    /// When the TCP connection was established, from the start of the
    /// request (curl's `time_connect`; see `resolve_done`).
    pub connect_done: Option<Duration>,
    /// When the TLS handshake ended, from the start of the request (curl's
    /// `time_appconnect`; `None` without TLS; see `resolve_done`).
    pub tls_done: Option<Duration>,
    /// The address of the peer the final response came from (the proxy's
    /// when there is one).
    pub remote: Option<SocketAddr>,
    /// The bytes of the final response heads received, those of the
    /// redirects followed included (curl's `size_header`).
    pub head_bytes: u64,
    /// The bytes of the request body sent to the final response's URL
    /// (curl's `size_upload`): all of it, or fewer when the server
    /// answered before it was all sent.
    pub body_bytes_sent: u64,
}

/// Where a request's connection goes.
#[derive(Debug, Clone)]
pub(crate) enum Route {
    Direct,
    /// Through an HTTP proxy, the request in absolute form.
    Forward(Proxy),
    /// Through a `CONNECT` tunnel.
    Tunnel(Proxy),
}

/// Fails unless `url` has a host.
pub(crate) fn require_host(url: &Url) -> Result<()> {
    match url.host() {
        Some(_) => Ok(()),
        None => Err(Error::InvalidRequest(format!("{url} has no host"))),
    }
}

/// The host of `url` as a connect target (IPv6 without brackets).
pub(crate) fn url_host(url: &Url) -> Result<String> {
    match (url.host(), url.host_str()) {
        (Some(url::Host::Ipv6(ip)), _) => Ok(ip.to_string()),
        // A domain, or an IPv4 address as the URL already spells it (the
        // dotted form `Ipv4Addr` would print, without formatting it again).
        (Some(_), Some(host)) => Ok(host.to_string()),
        _ => Err(Error::InvalidRequest(format!("{url} has no host"))),
    }
}

/// The client's settings, shared by its clones.
pub(crate) struct Config {
    pub connect_timeout: Option<Duration>,
    pub read_timeout: Option<Duration>,
    pub write_timeout: Option<Duration>,
    pub timeout: Option<Duration>,
    pub max_redirects: usize,
    pub follow_redirects: bool,
    pub allow_https_downgrade: bool,
    pub referer_on_redirect: bool,
    pub limits: Limits,
    pub max_body_size: u64,
    pub decompress: bool,
    pub max_decompressed_size: u64,
    tls_user: Option<TlsClientConfig>,
    tls: OnceLock<std::result::Result<TlsClientConfig, String>>,
    pub proxies: Vec<Proxy>,
    pub user_agent: Option<HeaderValue>,
    pub default_headers: HeaderMap,
    pub resolver: Arc<dyn Resolver>,
    pub addressing: resolve::Addressing,
    pub expect_timeout: Duration,
    pub pool: pool::PoolConfig,
    pub trace: Option<trace::Tracer>,
    pub cookies: Option<CookieJar>,
}

impl Config {
    /// The TLS configuration: the caller's (with ALPN `http/1.1` added when
    /// it offers none), or the system's roots with ALPN `http/1.1`, built on first use.
    pub fn tls(&self) -> Result<TlsClientConfig> {
        let built = self.tls.get_or_init(|| match &self.tls_user {
            Some(config) if config.rustls_config().alpn_protocols.is_empty() => {
                let mut rustls = (**config.rustls_config()).clone();
                rustls.alpn_protocols = vec![b"http/1.1".to_vec()];
                Ok(TlsClientConfig::from_rustls(Arc::new(rustls))
                    .with_handshake_timeout(config.handshake_timeout()))
            }
            Some(config) => Ok(config.clone()),
            None => TlsClientConfig::builder()
                .alpn_protocols(["http/1.1"])
                .build()
                .map_err(|e| e.to_string()),
        });
        built
            .clone()
            .map_err(|e| Error::Transport(transport::Error::Tls(TlsError::Config(e))))
    }

    /// Direct, or through the first proxy that applies.
    pub fn route(&self, url: &Url) -> Route {
        let host = url.host_str().unwrap_or("");
        for proxy in &self.proxies {
            if proxy.applies_to(url.scheme(), host) {
                return if url.scheme() == "https" {
                    Route::Tunnel(proxy.clone())
                } else {
                    Route::Forward(proxy.clone())
                };
            }
        }
        Route::Direct
    }

    /// The pool key of a request to `url` over `route`.
    pub fn pool_key(&self, url: &Url, route: &Route) -> Result<pool::PoolKey> {
        Ok(pool::PoolKey {
            scheme: match url.scheme() {
                "https" => "https",
                _ => "http",
            },
            host: url_host(url)?,
            port: url.port_or_known_default().unwrap_or(80),
            proxy: match route {
                Route::Direct => None,
                Route::Forward(p) | Route::Tunnel(p) => Some((p.host().to_string(), p.port())),
            },
        })
    }

    /// Reports `event` to the trace hook, if there is one.
    pub fn trace<'e>(&self, event: impl FnOnce() -> TraceEvent<'e>) {
        let traced = trace::wanted();
        if self.trace.is_none() && !traced {
            return;
        }
        let event = event();
        if let Some(hook) = &self.trace {
            hook(&event);
        }
        #[cfg(feature = "tracing")]
        if traced {
            trace::emit(&event);
        }
    }

    /// The fields a request to `url` gets unless it sets or omits them.
    pub fn head_defaults(&self, url: &Url) -> request_head::HeadDefaults<'_> {
        request_head::HeadDefaults {
            user_agent: self.user_agent.as_ref(),
            default_headers: &self.default_headers,
            accept_encoding: self.decompress,
            cookies: self
                .cookies
                .as_ref()
                .and_then(|jar| jar.header_for_url(url)),
        }
    }
}

/// Builds a [`Client`] or an [`AsyncClient`].
///
/// Defaults: connect timeout 30 s, read and write timeouts 30 s each, no
/// overall deadline, redirects followed up to 10, https→http redirects
/// refused, 64 MiB for [`Response::bytes`]/[`Response::text`], no content
/// decoding (256 MiB of decoded data when it is on), at most 8 idle
/// connections per host and 64 in all, closed after 90 s idle, the
/// system's trusted roots for HTTPS, no proxy, `User-Agent: netstack/0.1`.
///
/// ```
/// use std::time::Duration;
/// use netstack::protocols::http::client::Client;
/// let client = Client::builder()
///     .timeout(Some(Duration::from_secs(10)))
///     .max_redirects(3)
///     .decompress(true)
///     .build();
/// # drop(client);
/// ```
#[must_use]
pub struct ClientBuilder {
    config: Config,
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder {
            config: Config {
                connect_timeout: Some(Duration::from_secs(30)),
                read_timeout: Some(Duration::from_secs(30)),
                write_timeout: Some(Duration::from_secs(30)),
                timeout: None,
                max_redirects: 10,
                follow_redirects: true,
                allow_https_downgrade: false,
                referer_on_redirect: false,
                limits: Limits::default(),
                max_body_size: 64 << 20,
                decompress: false,
                max_decompressed_size: 256 << 20,
                tls_user: None,
                tls: OnceLock::new(),
                proxies: Vec::new(),
                user_agent: Some(HeaderValue::from_static(conn::USER_AGENT_VALUE)),
                default_headers: HeaderMap::new(),
                resolver: Arc::new(SystemResolver),
                addressing: resolve::Addressing::default(),
                expect_timeout: Duration::from_secs(1),
                pool: pool::PoolConfig {
                    max_idle_per_host: 8,
                    max_idle: 64,
                    idle_timeout: Duration::from_secs(90),
                },
                trace: None,
                cookies: None,
            },
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("timeout", &self.timeout)
            .field("max_redirects", &self.max_redirects)
            .field("follow_redirects", &self.follow_redirects)
            .field("decompress", &self.decompress)
            .field("proxies", &self.proxies)
            .field("pool", &self.pool)
            .field("trace", &self.trace.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The defaults (see [`ClientBuilder`]).
    pub fn new() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The connect timeout (resolution excluded), `None` for the kernel's own limit.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> ClientBuilder {
        self.config.connect_timeout = timeout;
        self
    }

    /// How long one read may wait for bytes (`None`: no limit).
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> ClientBuilder {
        self.config.read_timeout = timeout;
        self
    }

    /// How long one write may wait for room (`None`: no limit).
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> ClientBuilder {
        self.config.write_timeout = timeout;
        self
    }

    /// An overall deadline per request: connecting, sending, redirects and
    /// reading the whole body (`Error::Timeout` with the phase
    /// `Phase::Deadline`); `None` (the default): none. Like the other
    /// timeouts here and on the fetcher's builder, an `Option`.
    pub fn timeout(mut self, timeout: Option<Duration>) -> ClientBuilder {
        self.config.timeout = timeout;
        self
    }

    /// Follows at most `limit` redirects (then `Error::TooManyRedirects`).
    pub fn max_redirects(mut self, limit: usize) -> ClientBuilder {
        self.config.max_redirects = limit;
        self
    }

    /// Whether to follow redirects at all (on by default); off returns the 3xx response.
    pub fn follow_redirects(mut self, follow: bool) -> ClientBuilder {
        self.config.follow_redirects = follow;
        self
    }

    /// Follows redirects from `https` to `http` (refused by default).
    pub fn allow_https_downgrade(mut self, allow: bool) -> ClientBuilder {
        self.config.allow_https_downgrade = allow;
        self
    }

    /// On each redirect, sends the URL redirected from as `Referer` (off by
    /// default; curl's `-e ';auto'`). It is sent without its fragment and
    /// credentials, and not at all from `https` to `http` (RFC 9110
    /// §10.1.3); a `Referer` the request set itself goes on the first hop only.
    pub fn referer_on_redirect(mut self, send: bool) -> ClientBuilder {
        self.config.referer_on_redirect = send;
        self
    }

    /// The limits for response heads and chunked framing.
    pub fn limits(mut self, limits: Limits) -> ClientBuilder {
        self.config.limits = limits;
        self
    }

    /// The most bytes [`Response::bytes`] and [`Response::text`] read (64 MiB by default).
    pub fn max_body_size(mut self, bytes: u64) -> ClientBuilder {
        self.config.max_body_size = bytes;
        self
    }

    /// Asks for gzip/deflate (`Accept-Encoding: gzip, deflate`) and decodes
    /// such bodies transparently (`Content-Encoding` and `Content-Length`
    /// are then removed from the response headers). Off by default.
    pub fn decompress(mut self, on: bool) -> ClientBuilder {
        self.config.decompress = on;
        self
    }

    /// The most bytes a decoded body may grow to (256 MiB by default);
    /// beyond, the read fails with `Error::BodyTooLarge` (a gzip bomb stops here).
    pub fn max_decompressed_size(mut self, bytes: u64) -> ClientBuilder {
        self.config.max_decompressed_size = bytes;
        self
    }

    /// The TLS configuration for `https` (custom roots, client
    /// certificates, `dangerous_accept_any_certificate` for tests). ALPN
    /// `http/1.1` is added when the configuration offers no protocol.
    pub fn tls_config(mut self, config: TlsClientConfig) -> ClientBuilder {
        self.config.tls_user = Some(config);
        self
    }

    /// Sends requests through `proxy` (proxies are tried in the order added).
    pub fn proxy(mut self, proxy: Proxy) -> ClientBuilder {
        self.config.proxies.push(proxy);
        self
    }

    /// Uses the proxies from `http_proxy`, `HTTPS_PROXY`, `ALL_PROXY` and
    /// `NO_PROXY` as curl reads them (see [`Proxy::from_env_lookup`]; off by default, so that a test's loopback traffic never
    /// goes to a proxy by surprise).
    pub fn proxy_from_env(mut self) -> ClientBuilder {
        self.config.proxies.extend(Proxy::from_env());
        self
    }

    /// The `User-Agent` sent when a request has none (`None`: send none).
    pub fn user_agent(mut self, agent: Option<&str>) -> ClientBuilder {
        self.config.user_agent = agent.and_then(|a| HeaderValue::try_from(a).ok());
        self
    }

    /// A header sent with every request that does not set it.
    pub fn default_header(mut self, name: HeaderName, value: HeaderValue) -> ClientBuilder {
        self.config.default_headers.insert(name, value);
        self
    }

    /// Resolves host names with `resolver` (the system's by default).
    pub fn resolver(mut self, resolver: impl Resolver + 'static) -> ClientBuilder {
        self.config.resolver = Arc::new(resolver);
        self
    }

    /// Connects to `addresses` for `host:port` instead of resolving
    /// `host` (curl's `--resolve HOST:PORT:ADDR`; `*` as the host stands for
    /// every host). The URL's host is still the `Host` header and the name
    /// TLS checks the certificate against. Applies to the host connected to:
    /// the proxy's, when there is one.
    pub fn resolve_override(
        mut self,
        host: &str,
        port: u16,
        addresses: impl IntoIterator<Item = IpAddr>,
    ) -> ClientBuilder {
        let addresses = addresses.into_iter().collect();
        self.config.addressing.add_override(host, port, addresses);
        self
    }

    /// Connects over this IP version only (curl's `-4` / `-6`); `None`, the
    /// default, uses every address. A name without an address of that
    /// version fails to resolve.
    pub fn ip_version(mut self, version: Option<IpVersion>) -> ClientBuilder {
        self.config.addressing.ip_version = version;
        self
    }

    /// How long to wait for `100 Continue` before sending the body anyway (1 s).
    pub fn expect_continue_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.expect_timeout = timeout;
        self
    }

    /// Idle connections kept per (scheme, host, port, proxy); 0 turns pooling off.
    pub fn pool_max_idle_per_host(mut self, count: usize) -> ClientBuilder {
        self.config.pool.max_idle_per_host = count;
        self
    }

    /// Idle connections kept in all.
    pub fn pool_max_idle(mut self, count: usize) -> ClientBuilder {
        self.config.pool.max_idle = count;
        self
    }

    /// How long an idle connection is kept.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.config.pool.idle_timeout = timeout;
        self
    }

    /// A hook told each step of every request as it happens (resolution,
    /// each connection attempt, the TLS session, the request and response
    /// heads, redirects): the material of a verbose trace, like curl's `-v`.
    ///
    /// ```
    /// use netstack::protocols::http::client::{Client, TraceEvent};
    /// let client = Client::builder()
    ///     .trace(|event: &TraceEvent<'_>| {
    ///         if let TraceEvent::RequestHead(head) = event {
    ///             eprint!("> {}", String::from_utf8_lossy(head));
    ///         }
    ///     })
    ///     .build();
    /// # drop(client);
    /// ```
    pub fn trace(
        mut self,
        hook: impl Fn(&TraceEvent<'_>) + Send + Sync + 'static,
    ) -> ClientBuilder {
        self.config.trace = Some(Arc::new(hook));
        self
    }

    /// Keeps cookies in `jar`: every response's `Set-Cookie` is stored
    /// there (redirects included), and every request carries the jar's
    /// cookies for its URL, before any `Cookie` the request sets itself.
    /// Clients given clones of one jar share its cookies.
    ///
    /// ```
    /// use netstack::protocols::http::client::{Client, CookieJar};
    /// let jar = CookieJar::new();
    /// let client = Client::builder().cookie_jar(jar.clone()).build();
    /// // After requests, `jar.write_netscape(...)` saves what servers set.
    /// # drop(client);
    /// ```
    #[cfg(feature = "cookies")]
    pub fn cookie_jar(mut self, jar: CookieJar) -> ClientBuilder {
        self.config.cookies = Some(jar);
        self
    }

    /// The blocking client.
    pub fn build(self) -> Client {
        Client::from_config(self.config)
    }

    /// The asynchronous client.
    pub fn build_async(self) -> AsyncClient {
        AsyncClient::from_config(self.config)
    }
}

/// What a client shares between its clones.
pub(crate) struct Shared {
    pub config: Config,
    pub pool: pool::Pool,
}

impl Shared {
    pub fn new(config: Config) -> Arc<Shared> {
        let pool = pool::Pool::new(config.pool);
        Arc::new(Shared { config, pool })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_urls_host_is_its_connect_target() {
        let host = |url: &str| url_host(&Url::parse(url).unwrap());
        assert_eq!(host("http://127.0.0.1:8080/").unwrap(), "127.0.0.1");
        assert_eq!(host("http://Example.COM/").unwrap(), "example.com");
        assert_eq!(host("http://[::1]:80/").unwrap(), "::1");
        assert_eq!(host("http://[::ffff:1.2.3.4]/").unwrap(), "::ffff:1.2.3.4");
        assert!(host("unix:/run/socket").is_err());
    }
}
