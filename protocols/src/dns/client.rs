//! `DnsClient`: a stub resolver for one server, sync and async — UDP with
//! retries, TCP (2-byte length frames) when a reply is truncated.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use sockets::SocketError;
use transport::{ConnectOptions, NetworkStream, TcpClient, UdpClient};

use super::error::{Error, Result};
use super::message::{DnsResponse, Query, RecordType, ReplyCheck, Via};
use crate::framing::{Framed, LengthDelimitedCodec, LengthField};

/// The largest datagram accepted (a UDP payload's maximum): a reply is
/// never cut by the receive buffer.
const MAX_DATAGRAM: usize = 65_535;

/// A DNS stub client: sends queries to one server and returns its replies.
///
/// A query goes out over UDP from a fresh socket on a random port,
/// connected to the server (so the kernel drops datagrams from anyone
/// else). Each attempt waits [`DnsClient::DEFAULT_TIMEOUT`] (see
/// [`with_timeout`](DnsClient::with_timeout)); after
/// [`DEFAULT_ATTEMPTS`](DnsClient::DEFAULT_ATTEMPTS) silent attempts the
/// query fails with [`Error::Timeout`]. A reply with another ID or
/// another question is ignored and the wait goes on. A truncated reply
/// (TC) is asked again over TCP, framed by a 2-byte big-endian length
/// ([`LengthDelimitedCodec`] in a [`Framed`]); that exchange is bounded by
/// the same timeout. A server that is not listening at all (the kernel
/// reports ICMP "port unreachable") fails at once with a transport error
/// (`ConnectionRefused`) instead of waiting for every attempt. The client
/// never reads the system's resolver configuration: the server is always
/// explicit.
///
/// Every call has a synchronous and an asynchronous form (`…_async`); both
/// run the same [`Query`] logic.
///
/// ```
/// use std::time::Duration;
/// use netstack::protocols::dns::{DnsClient, Error, RecordType};
///
/// // A stand-in server for the example: answers every query with NXDOMAIN.
/// let server = netstack::transport::UdpClient::bind(([127, 0, 0, 1], 0))?;
/// let address = server.local_endpoint()?.as_ip().unwrap();
/// std::thread::spawn(move || {
///     let mut buf = [0u8; 512];
///     while let Ok((n, from)) = server.receive(&mut buf) {
///         buf[2] |= 0x80; // QR: a response
///         buf[3] = 3; // RCODE 3: NXDOMAIN
///         let _ = server.send_to(&buf[..n], from);
///     }
/// });
///
/// let client = DnsClient::new(address).with_timeout(Duration::from_secs(5));
/// match client.query("missing.test", RecordType::A) {
///     Err(Error::NameError { name }) => assert_eq!(name, "missing.test"),
///     other => panic!("{other:?}"),
/// }
/// // The same, asynchronously.
/// let result = netstack::sockets::block_on(client.query_async("missing.test", RecordType::Aaaa));
/// assert!(matches!(result, Err(Error::NameError { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DnsClient {
    server: SocketAddr,
    timeout: Duration,
    attempts: u32,
}

impl DnsClient {
    /// The default wait of each attempt (2 s).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
    /// The default number of attempts over UDP (3).
    pub const DEFAULT_ATTEMPTS: u32 = 3;

    /// A client for the server at `server` (e.g. `([127, 0, 0, 1], 53)`).
    pub fn new(server: impl Into<SocketAddr>) -> DnsClient {
        DnsClient {
            server: server.into(),
            timeout: Self::DEFAULT_TIMEOUT,
            attempts: Self::DEFAULT_ATTEMPTS,
        }
    }

    /// Sets the wait of each attempt (and the bound on the TCP exchange).
    pub fn with_timeout(mut self, timeout: Duration) -> DnsClient {
        self.timeout = timeout;
        self
    }

    /// Sets how many times a query is sent over UDP before giving up (at least 1).
    pub fn with_attempts(mut self, attempts: u32) -> DnsClient {
        self.attempts = attempts.max(1);
        self
    }

    /// The server queried.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The wait of each attempt.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How many times a query is sent over UDP.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Asks for the records of one name and type. An error code in the
    /// reply is an `Err` ([`Error::NameError`] for NXDOMAIN, …); a name
    /// that exists without records of that type is an `Ok` with no answers.
    pub fn query(&self, name: &str, record_type: RecordType) -> Result<DnsResponse> {
        let query = Query::new(name, record_type)?;
        let udp = self.udp_socket()?;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut exchange = Exchange::new(self);
        while exchange.next_attempt() {
            udp.send(query.as_bytes())?;
            while let Some(left) = exchange.time_left() {
                udp.client()
                    .set_receive_timeout(Some(left))
                    .map_err(socket)?;
                let n = match udp.receive(&mut buf) {
                    Ok((n, _)) => n,
                    Err(e) if e.is_timeout() => break,
                    Err(e) => return Err(e.into()),
                };
                match query.check_reply(&buf[..n], Via::Udp)? {
                    ReplyCheck::Ignored(_) => {}
                    ReplyCheck::Truncated => return self.query_tcp(&query),
                    ReplyCheck::Accepted(response) => return Ok(response),
                }
            }
        }
        Err(exchange.timed_out())
    }

    /// [`query`](DnsClient::query) without blocking a thread.
    pub async fn query_async(&self, name: &str, record_type: RecordType) -> Result<DnsResponse> {
        let query = Query::new(name, record_type)?;
        let udp = self.udp_socket()?;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let mut exchange = Exchange::new(self);
        while exchange.next_attempt() {
            udp.send_async(query.as_bytes()).await?;
            while let Some(left) = exchange.time_left() {
                let receive = udp.client().receive_from_async(&mut buf);
                let n = match sockets::with_timeout(left, receive).await {
                    Ok((n, _)) => n,
                    Err(e) if e.kind() == SocketError::TimedOut => break,
                    Err(e) => return Err(socket(e)),
                };
                match query.check_reply(&buf[..n], Via::Udp)? {
                    ReplyCheck::Ignored(_) => {}
                    ReplyCheck::Truncated => return self.query_tcp_async(&query).await,
                    ReplyCheck::Accepted(response) => return Ok(response),
                }
            }
        }
        Err(exchange.timed_out())
    }

    /// The query again over TCP: one frame out, frames in until the reply
    /// (each read bounded by the timeout, the whole exchange too).
    fn query_tcp(&self, query: &Query) -> Result<DnsResponse> {
        self.query_tcp_inner(query).map_err(|e| self.tcp_timeout(e))
    }

    fn query_tcp_inner(&self, query: &Query) -> Result<DnsResponse> {
        let options = ConnectOptions::new().timeout(Some(self.timeout));
        let host = self.server.ip().to_string();
        let stream = TcpClient::connect_with(&host, self.server.port(), &options)?.into_stream();
        stream.set_read_timeout(Some(self.timeout))?;
        stream.set_write_timeout(Some(self.timeout))?;
        let mut conn = tcp_framed(stream);
        conn.write_frame(query.as_bytes())?;
        let mut exchange = Exchange::new(self);
        exchange.next_attempt();
        while exchange.time_left().is_some() {
            let frame = conn.read_frame()?;
            if let Some(response) = self.tcp_reply(query, frame)? {
                return Ok(response);
            }
        }
        Err(exchange.timed_out())
    }

    /// [`query_tcp`](DnsClient::query_tcp) without blocking a thread.
    async fn query_tcp_async(&self, query: &Query) -> Result<DnsResponse> {
        let exchange = async {
            let options = ConnectOptions::new().timeout(Some(self.timeout));
            let host = self.server.ip().to_string();
            let client = TcpClient::connect_with_async(&host, self.server.port(), &options).await?;
            let mut conn = tcp_framed(client.into_stream());
            conn.write_frame_async(query.as_bytes()).await?;
            loop {
                let frame = conn.read_frame_async().await?;
                if let Some(response) = self.tcp_reply(query, frame)? {
                    return Ok(response);
                }
            }
        };
        bounded(self.timeout, exchange)
            .await
            .and_then(|result| result)
            .map_err(|e| self.tcp_timeout(e))
    }

    /// A timeout of the TCP exchange is a [`Error::Timeout`] of its one attempt.
    fn tcp_timeout(&self, e: Error) -> Error {
        if !e.is_timeout() {
            return e;
        }
        let mut exchange = Exchange::new(self);
        exchange.next_attempt();
        exchange.timed_out()
    }

    /// Judges one TCP frame: the reply, `None` for a frame to ignore.
    fn tcp_reply(&self, query: &Query, frame: Option<bytes::Bytes>) -> Result<Option<DnsResponse>> {
        let Some(frame) = frame else {
            return Err(Error::ConnectionClosed {
                server: self.server.to_string(),
            });
        };
        match query.check_reply(&frame, Via::Tcp)? {
            ReplyCheck::Accepted(response) => Ok(Some(response)),
            ReplyCheck::Ignored(_) | ReplyCheck::Truncated => Ok(None),
        }
    }

    /// A UDP socket on a random port, connected to the server. For a
    /// loopback server it is bound to loopback too.
    fn udp_socket(&self) -> Result<UdpClient> {
        let local: SocketAddr = match self.server.ip() {
            IpAddr::V4(ip) if ip.is_loopback() => (Ipv4Addr::LOCALHOST, 0).into(),
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(ip) if ip.is_loopback() => (Ipv6Addr::LOCALHOST, 0).into(),
            IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let udp = UdpClient::bind(local)?;
        udp.connect(self.server)?;
        Ok(udp)
    }

    /// The name's IPv4 then IPv6 addresses (an `A` and an `AAAA` query).
    /// When one family has addresses, an error for the other is ignored.
    pub fn lookup_ip(&self, name: &str) -> Result<Vec<IpAddr>> {
        merge_ips(
            self.query(name, RecordType::A),
            self.query(name, RecordType::Aaaa),
        )
    }

    /// [`lookup_ip`](DnsClient::lookup_ip) without blocking a thread.
    pub async fn lookup_ip_async(&self, name: &str) -> Result<Vec<IpAddr>> {
        let v4 = self.query_async(name, RecordType::A).await;
        let v6 = self.query_async(name, RecordType::Aaaa).await;
        merge_ips(v4, v6)
    }

    /// The name's mail exchangers as `(preference, name)`, lowest first.
    pub fn lookup_mx(&self, name: &str) -> Result<Vec<(u16, String)>> {
        Ok(self.query(name, RecordType::Mx)?.mx())
    }

    /// [`lookup_mx`](DnsClient::lookup_mx) without blocking a thread.
    pub async fn lookup_mx_async(&self, name: &str) -> Result<Vec<(u16, String)>> {
        Ok(self.query_async(name, RecordType::Mx).await?.mx())
    }

    /// The name's TXT records, each one's strings joined ([`DnsResponse::txt`]).
    pub fn lookup_txt(&self, name: &str) -> Result<Vec<String>> {
        Ok(self.query(name, RecordType::Txt)?.txt())
    }

    /// [`lookup_txt`](DnsClient::lookup_txt) without blocking a thread.
    pub async fn lookup_txt_async(&self, name: &str) -> Result<Vec<String>> {
        Ok(self.query_async(name, RecordType::Txt).await?.txt())
    }
}

/// The attempts of one query and the deadline of the current one: the
/// retry policy both drivers follow.
struct Exchange<'a> {
    client: &'a DnsClient,
    sent: u32,
    deadline: Instant,
}

impl<'a> Exchange<'a> {
    fn new(client: &'a DnsClient) -> Exchange<'a> {
        Exchange {
            client,
            sent: 0,
            deadline: Instant::now(),
        }
    }

    /// Starts the next attempt (its wait begins now); false when all are spent.
    fn next_attempt(&mut self) -> bool {
        if self.sent >= self.client.attempts {
            return false;
        }
        self.sent += 1;
        self.deadline = Instant::now() + self.client.timeout;
        true
    }

    /// What is left of the current attempt's wait; `None` once it is over.
    fn time_left(&self) -> Option<Duration> {
        let left = self.deadline.checked_duration_since(Instant::now())?;
        // A zero receive timeout would mean "wait forever" to the socket.
        (!left.is_zero()).then(|| left.max(Duration::from_millis(1)))
    }

    fn timed_out(&self) -> Error {
        Error::Timeout {
            server: self.client.server.to_string(),
            attempts: self.sent,
            timeout: self.client.timeout,
        }
    }
}

/// A TCP connection framed as DNS over TCP (RFC 1035 §4.2.2): a 2-byte
/// big-endian length before each message.
fn tcp_framed(stream: NetworkStream) -> Framed<NetworkStream, LengthDelimitedCodec> {
    let codec = LengthDelimitedCodec::new()
        .length_field(LengthField::U16)
        .max_frame_length(usize::from(u16::MAX));
    Framed::new(stream, codec)
}

fn merge_ips(v4: Result<DnsResponse>, v6: Result<DnsResponse>) -> Result<Vec<IpAddr>> {
    match (v4, v6) {
        (Ok(a), Ok(b)) => Ok([a.ips(), b.ips()].concat()),
        (Ok(a), Err(e)) | (Err(e), Ok(a)) if a.ips().is_empty() => Err(e),
        (Ok(a), Err(_)) | (Err(_), Ok(a)) => Ok(a.ips()),
        (Err(e), Err(_)) => Err(e),
    }
}

fn socket(e: sockets::Error) -> Error {
    Error::Transport(e.into())
}

/// Runs `future` within `timeout` (a timeout is a transport error, `TimedOut`).
async fn bounded<T>(timeout: Duration, future: impl Future<Output = T>) -> Result<T> {
    sockets::with_timeout(timeout, async { Ok(future.await) })
        .await
        .map_err(socket)
}
