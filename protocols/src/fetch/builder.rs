//! [`FetcherBuilder`]: the settings a [`Fetcher`] is built with.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use transport::tls::TlsClientConfig;

use super::{Fetcher, FtpSettings, Inner, SchemeHandler, DEFAULT_MAX_BODY_SIZE};
#[cfg(feature = "cookies")]
use crate::http::client::CookieJar;
use crate::http::client::{AsyncClient, Client, ClientBuilder, IpVersion, Proxy, TraceEvent};

/// Builds a [`Fetcher`]. Defaults: the HTTP client's (connect, read and
/// write timeouts of 30 s, redirects followed up to 10), FTP with the same
/// connect and read timeouts, no overall deadline, no custom schemes.
#[must_use]
pub struct FetcherBuilder {
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    timeout: Option<Duration>,
    follow_redirects: bool,
    max_redirects: usize,
    referer_on_redirect: bool,
    decompress: bool,
    tls: Option<TlsClientConfig>,
    proxies: Vec<Proxy>,
    resolve_overrides: Vec<(String, u16, Vec<IpAddr>)>,
    ip_version: Option<IpVersion>,
    user_agent: Option<String>,
    trace: Option<crate::http::client::Tracer>,
    #[cfg(feature = "cookies")]
    cookies: Option<CookieJar>,
    clients: Option<(Client, AsyncClient)>,
    handlers: HashMap<String, Arc<dyn SchemeHandler>>,
    max_body_size: u64,
    expect_continue_timeout: Option<Duration>,
}

impl std::fmt::Debug for FetcherBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetcherBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("timeout", &self.timeout)
            .field("follow_redirects", &self.follow_redirects)
            .finish_non_exhaustive()
    }
}

impl FetcherBuilder {
    pub(super) fn new() -> FetcherBuilder {
        FetcherBuilder {
            connect_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(30)),
            timeout: None,
            follow_redirects: true,
            max_redirects: 10,
            referer_on_redirect: false,
            decompress: false,
            tls: None,
            proxies: Vec::new(),
            resolve_overrides: Vec::new(),
            ip_version: None,
            user_agent: None,
            trace: None,
            #[cfg(feature = "cookies")]
            cookies: None,
            clients: None,
            handlers: HashMap::new(),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            expect_continue_timeout: None,
        }
    }

    /// The largest body read whole into memory (`bytes`, `text`,
    /// `download_bytes`, `download_string`), whatever the scheme; 64 MiB by
    /// default. Copying a body to a writer (`copy_to`, `download_file`)
    /// has no bound: the writer decides.
    pub fn max_body_size(mut self, bytes: u64) -> FetcherBuilder {
        self.max_body_size = bytes;
        self
    }

    /// How long an HTTP body that waits for `100 Continue` (see
    /// [`FetchRequest::expect_continue`](super::FetchRequest::expect_continue))
    /// waits before it is sent anyway; 1 s by default, as in curl.
    pub fn expect_continue_timeout(mut self, timeout: Duration) -> FetcherBuilder {
        self.expect_continue_timeout = Some(timeout);
        self
    }

    /// The connect timeout (HTTP and FTP), `None` for none.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> FetcherBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// The limit on each wait for the peer (HTTP and FTP), `None` for none.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> FetcherBuilder {
        self.read_timeout = timeout;
        self
    }

    /// An overall limit on each fetch, the transfer included (curl's `-m`).
    pub fn timeout(mut self, timeout: Option<Duration>) -> FetcherBuilder {
        self.timeout = timeout;
        self
    }

    /// Whether HTTP redirects are followed (on by default).
    pub fn follow_redirects(mut self, follow: bool) -> FetcherBuilder {
        self.follow_redirects = follow;
        self
    }

    /// Sends the URL redirected from as `Referer` on each HTTP redirect
    /// (curl's `-e ';auto'`; see
    /// [`ClientBuilder::referer_on_redirect`](crate::http::client::ClientBuilder::referer_on_redirect)).
    pub fn referer_on_redirect(mut self, send: bool) -> FetcherBuilder {
        self.referer_on_redirect = send;
        self
    }

    /// At most this many HTTP redirects.
    pub fn max_redirects(mut self, limit: usize) -> FetcherBuilder {
        self.max_redirects = limit;
        self
    }

    /// Asks for gzip/deflate and decodes it (curl's `--compressed`).
    pub fn decompress(mut self, on: bool) -> FetcherBuilder {
        self.decompress = on;
        self
    }

    /// The TLS settings for `https` (roots, client certificate, …).
    pub fn tls_config(mut self, config: TlsClientConfig) -> FetcherBuilder {
        self.tls = Some(config);
        self
    }

    /// An HTTP proxy for `http` and `https` (proxies are tried in the
    /// order added; the first that applies to a URL is used).
    pub fn proxy(mut self, proxy: Proxy) -> FetcherBuilder {
        self.proxies.push(proxy);
        self
    }

    /// The proxies of the environment, as curl reads them (see
    /// [`Proxy::from_env_lookup`]), after any added so far.
    pub fn proxy_from_env(mut self) -> FetcherBuilder {
        self.proxies.extend(Proxy::from_env());
        self
    }

    /// Connects to `addresses` for `host:port` instead of resolving `host`
    /// (curl's `--resolve`; see [`ClientBuilder::resolve_override`]), for
    /// HTTP and HTTPS.
    pub fn resolve_override(
        mut self,
        host: &str,
        port: u16,
        addresses: impl IntoIterator<Item = IpAddr>,
    ) -> FetcherBuilder {
        let addresses = addresses.into_iter().collect();
        self.resolve_overrides
            .push((host.to_string(), port, addresses));
        self
    }

    /// Connects over this IP version only (curl's `-4` / `-6`; see
    /// [`ClientBuilder::ip_version`]), for HTTP and HTTPS.
    pub fn ip_version(mut self, version: Option<IpVersion>) -> FetcherBuilder {
        self.ip_version = version;
        self
    }

    /// The `User-Agent` of HTTP requests (an empty one: send none).
    pub fn user_agent(mut self, agent: &str) -> FetcherBuilder {
        self.user_agent = Some(agent.to_string());
        self
    }

    /// A hook told each step of every HTTP request (see [`ClientBuilder::trace`]).
    pub fn trace(
        mut self,
        hook: impl Fn(&TraceEvent<'_>) + Send + Sync + 'static,
    ) -> FetcherBuilder {
        self.trace = Some(Arc::new(hook));
        self
    }

    /// Keeps the cookies of HTTP responses in `jar` and sends them on
    /// (see [`ClientBuilder::cookie_jar`]; the `cookies` feature).
    #[cfg(feature = "cookies")]
    pub fn cookie_jar(mut self, jar: CookieJar) -> FetcherBuilder {
        self.cookies = Some(jar);
        self
    }

    /// Uses these HTTP clients (and their pools and settings) instead of
    /// building new ones; the HTTP settings of this builder then do not apply.
    pub fn http_clients(mut self, client: Client, async_client: AsyncClient) -> FetcherBuilder {
        self.clients = Some((client, async_client));
        self
    }

    /// Serves URLs of `scheme` (case-insensitive) with `handler`; a built-in
    /// scheme can be replaced this way too.
    pub fn register(mut self, scheme: &str, handler: impl SchemeHandler) -> FetcherBuilder {
        self.handlers
            .insert(scheme.to_ascii_lowercase(), Arc::new(handler));
        self
    }

    fn client_builder(&self) -> ClientBuilder {
        let mut builder = Client::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .write_timeout(self.read_timeout)
            .follow_redirects(self.follow_redirects)
            .max_redirects(self.max_redirects)
            .referer_on_redirect(self.referer_on_redirect)
            .decompress(self.decompress);
        if let Some(tls) = &self.tls {
            builder = builder.tls_config(tls.clone());
        }
        if let Some(timeout) = self.expect_continue_timeout {
            builder = builder.expect_continue_timeout(timeout);
        }
        for proxy in &self.proxies {
            builder = builder.proxy(proxy.clone());
        }
        for (host, port, addresses) in &self.resolve_overrides {
            builder = builder.resolve_override(host, *port, addresses.iter().copied());
        }
        builder = builder.ip_version(self.ip_version);
        if let Some(agent) = &self.user_agent {
            builder = builder.user_agent(Some(agent.as_str()).filter(|a| !a.is_empty()));
        }
        #[cfg(feature = "cookies")]
        if let Some(jar) = &self.cookies {
            builder = builder.cookie_jar(jar.clone());
        }
        if let Some(hook) = &self.trace {
            let hook = Arc::clone(hook);
            builder = builder.trace(move |event: &TraceEvent<'_>| hook(event));
        }
        builder
    }

    /// The fetcher.
    pub fn build(self) -> Fetcher {
        let (http, http_async) = match &self.clients {
            Some((client, async_client)) => (client.clone(), async_client.clone()),
            None => (
                self.client_builder().build(),
                self.client_builder().build_async(),
            ),
        };
        Fetcher {
            inner: Arc::new(Inner {
                http,
                http_async,
                ftp: FtpSettings {
                    connect_timeout: self.connect_timeout,
                    read_timeout: self.read_timeout,
                },
                timeout: self.timeout,
                handlers: self.handlers,
                max_body_size: self.max_body_size,
            }),
        }
    }
}
