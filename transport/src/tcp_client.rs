//! `TcpClient`: a TCP connection made by host name (Happy Eyeballs v2) or to an endpoint.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use sockets::{AddressFamily, EndPoint, ProtocolType, Socket, SocketType};

use crate::attempt::ConnectAttempt;
use crate::error::{Error, Result};
use crate::happy_eyeballs::{interleave_addresses, race_async, race_sync, Race};
use crate::network_stream::NetworkStream;
use crate::resolver::{Resolver, SystemResolver};

/// How a [`TcpClient`] connects.
#[derive(Clone)]
pub struct ConnectOptions {
    resolver: Arc<dyn Resolver>,
    stagger: Duration,
    timeout: Option<Duration>,
    local_endpoint: Option<EndPoint>,
    no_delay: bool,
}

impl Default for ConnectOptions {
    fn default() -> ConnectOptions {
        ConnectOptions {
            resolver: Arc::new(SystemResolver),
            stagger: Duration::from_millis(250),
            timeout: Some(Duration::from_secs(30)),
            local_endpoint: None,
            no_delay: true,
        }
    }
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("stagger", &self.stagger)
            .field("timeout", &self.timeout)
            .field("local_endpoint", &self.local_endpoint)
            .field("no_delay", &self.no_delay)
            .finish_non_exhaustive()
    }
}

impl ConnectOptions {
    /// The defaults: the system resolver, a 250 ms stagger (RFC 8305's
    /// recommended "Connection Attempt Delay"), a 30 s overall timeout, no
    /// local binding, `TCP_NODELAY` on.
    pub fn new() -> ConnectOptions {
        ConnectOptions::default()
    }

    /// Resolves names with `resolver`.
    pub fn resolver(mut self, resolver: impl Resolver + 'static) -> ConnectOptions {
        self.resolver = Arc::new(resolver);
        self
    }

    /// The delay before starting the next attempt while one is pending
    /// (RFC 8305 bounds it to 10 ms … 2 s; values outside are clamped).
    pub fn stagger(mut self, delay: Duration) -> ConnectOptions {
        self.stagger = delay.clamp(Duration::from_millis(10), Duration::from_secs(2));
        self
    }

    /// The overall connect timeout (`None`: only the kernel's own limits).
    pub fn timeout(mut self, timeout: Option<Duration>) -> ConnectOptions {
        self.timeout = timeout;
        self
    }

    /// Binds each attempt's socket to this local endpoint first.
    pub fn local_endpoint(mut self, endpoint: impl Into<EndPoint>) -> ConnectOptions {
        self.local_endpoint = Some(endpoint.into());
        self
    }

    /// Whether to turn Nagle's algorithm off on the connection (default: on, i.e. no delay).
    pub fn no_delay(mut self, no_delay: bool) -> ConnectOptions {
        self.no_delay = no_delay;
        self
    }
}

/// A TCP client connection, as .NET's `TcpClient`.
///
/// ```
/// use netstack::transport::{TcpClient, TcpListener};
/// let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
/// listener.start(8).unwrap();
/// let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
/// let client = TcpClient::connect("localhost", port).unwrap();
/// assert!(client.connected());
/// # let attempts = client.attempts();
/// # assert!(!attempts.is_empty());
/// ```
#[derive(Debug)]
pub struct TcpClient {
    stream: NetworkStream,
    attempts: Vec<ConnectAttempt>,
}

impl TcpClient {
    /// Resolves `host` and connects with Happy Eyeballs v2 and the default options.
    pub fn connect(host: &str, port: u16) -> Result<TcpClient> {
        TcpClient::connect_with(host, port, &ConnectOptions::default())
    }

    /// Resolves `host` and connects with Happy Eyeballs v2.
    pub fn connect_with(host: &str, port: u16, options: &ConnectOptions) -> Result<TcpClient> {
        let addresses = options.resolver.resolve(host)?;
        let race = plan(host, port, &addresses, options)?;
        let won = race_sync(race, host, port, options.local_endpoint.as_ref())?;
        TcpClient::from_race(won.socket, won.attempts, options)
    }

    /// Resolves `host` and connects with Happy Eyeballs v2, without blocking a thread.
    pub async fn connect_async(host: &str, port: u16) -> Result<TcpClient> {
        TcpClient::connect_with_async(host, port, &ConnectOptions::default()).await
    }

    /// Like [`connect_with`](TcpClient::connect_with), asynchronously.
    pub async fn connect_with_async(
        host: &str,
        port: u16,
        options: &ConnectOptions,
    ) -> Result<TcpClient> {
        let addresses = options.resolver.resolve_async(host).await?;
        let race = plan(host, port, &addresses, options)?;
        let won = race_async(race, host, port, options.local_endpoint.as_ref()).await?;
        TcpClient::from_race(won.socket, won.attempts, options)
    }

    /// Connects to one endpoint (no resolution, no race), bounded by the default timeout.
    pub fn connect_endpoint(endpoint: impl Into<EndPoint>) -> Result<TcpClient> {
        let address = ip_endpoint(endpoint.into())?;
        let options = ConnectOptions::default();
        let race = Race::new(vec![address], options.stagger, options.timeout);
        let won = race_sync(race, &address.ip().to_string(), address.port(), None)?;
        TcpClient::from_race(won.socket, won.attempts, &options)
    }

    /// Connects to one endpoint without blocking a thread.
    pub async fn connect_endpoint_async(endpoint: impl Into<EndPoint>) -> Result<TcpClient> {
        let address = ip_endpoint(endpoint.into())?;
        let options = ConnectOptions::default();
        let race = Race::new(vec![address], options.stagger, options.timeout);
        let won = race_async(race, &address.ip().to_string(), address.port(), None).await?;
        TcpClient::from_race(won.socket, won.attempts, &options)
    }

    fn from_race(
        socket: Socket,
        attempts: Vec<ConnectAttempt>,
        options: &ConnectOptions,
    ) -> Result<TcpClient> {
        socket.set_no_delay(options.no_delay)?;
        Ok(TcpClient {
            stream: NetworkStream::from_connected(socket),
            attempts,
        })
    }

    /// The connected stream.
    pub fn stream(&self) -> &NetworkStream {
        &self.stream
    }

    /// Gives the stream up.
    pub fn into_stream(self) -> NetworkStream {
        self.stream
    }

    /// Each connection attempt the race made, with timings and outcomes.
    pub fn attempts(&self) -> &[ConnectAttempt] {
        &self.attempts
    }

    /// True while the connection is up, as the OS reports it.
    pub fn connected(&self) -> bool {
        self.stream.socket().connected()
    }

    /// The socket underneath.
    pub fn client(&self) -> &Socket {
        self.stream.socket()
    }
}

fn ip_endpoint(endpoint: EndPoint) -> Result<SocketAddr> {
    endpoint.as_ip().ok_or_else(|| {
        Error::InvalidInput(format!(
            "a TcpClient connects to IP endpoints, not {endpoint}"
        ))
    })
}

fn plan(
    host: &str,
    port: u16,
    addresses: &[std::net::IpAddr],
    options: &ConnectOptions,
) -> Result<Race> {
    let ordered: Vec<SocketAddr> = interleave_addresses(addresses)
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect();
    if ordered.is_empty() {
        return Err(Error::NoAddresses {
            host: host.to_string(),
        });
    }
    Ok(Race::new(ordered, options.stagger, options.timeout))
}

/// An unconnected TCP socket of the right family for `address` (used by listeners).
pub(crate) fn tcp_socket(family: AddressFamily) -> sockets::Result<Socket> {
    Socket::new(family, SocketType::Stream, ProtocolType::Tcp)
}
