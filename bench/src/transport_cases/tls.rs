//! The TLS cases: certificates and configurations, netstack's TlsStream against
//! plain rustls, bulk and handshakes.

use super::*;

/// A self-signed certificate for `localhost` and 127.0.0.1 (ECDSA P-256, by rcgen).
pub(crate) struct Pki {
    pub(super) cert_der: Vec<u8>,
    pub(super) key_der: Vec<u8>,
    pub(super) cert_pem: String,
    pub(super) key_pem: String,
}

impl Pki {
    pub(crate) fn generate() -> BenchResult<Pki> {
        let certified = rcgen::generate_simple_self_signed(vec![
            SERVER_NAME.to_string(),
            "127.0.0.1".to_string(),
        ])?;
        Ok(Pki {
            cert_der: certified.cert.der().to_vec(),
            key_der: certified.signing_key.serialize_der(),
            cert_pem: certified.cert.pem(),
            key_pem: certified.signing_key.serialize_pem(),
        })
    }

    pub(crate) fn cert(&self) -> CertificateDer<'static> {
        CertificateDer::from(self.cert_der.clone())
    }

    pub(super) fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

/// rustls on *ring* with one cipher suite: TLS13_AES_128_GCM_SHA256.
pub(super) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256];
    Arc::new(provider)
}

/// A server configuration: TLS 1.3 only, the one suite, rustls's default
/// session cache and two tickets per handshake. Built anew for each contender.
pub(crate) fn server_config(pki: &Pki) -> BenchResult<Arc<ServerConfig>> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(vec![pki.cert()], pki.key())?;
    Ok(Arc::new(config))
}

/// A client configuration trusting the certificate: TLS 1.3 only, the one
/// suite, session resumption on or off. Built anew for each contender, so
/// each has its own session cache.
pub(crate) fn client_config(pki: &Pki, resumption: bool) -> BenchResult<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    roots.add(pki.cert())?;
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    if !resumption {
        config.resumption = Resumption::disabled();
    }
    Ok(Arc::new(config))
}

/// What both TLS contenders do: make a handshaken pair, and serve or make
/// one handshake (for the handshake rate).
pub(super) trait TlsContender: Sync {
    type Client: SyncStream;
    type Server: SyncStream;
    type Listener: Send + Sync;

    /// A connected, handshaken pair (client, server) on 127.0.0.1 (setup, not timed).
    fn pair(&self, timeout: Duration) -> BenchResult<(Self::Client, Self::Server)>;
    /// The negotiated version and suite of a client, e.g. `"TLSv1.3 TLS13_AES_128_GCM_SHA256"`.
    fn negotiated(client: &Self::Client) -> String;
    /// A listener on 127.0.0.1 and its address.
    fn listen(&self, timeout: Duration) -> BenchResult<(Self::Listener, SocketAddr)>;
    /// Accepts one connection, does the server handshake and echoes one
    /// byte; returns whether the session was resumed.
    fn serve_one(&self, listener: &Self::Listener, timeout: Duration) -> BenchResult<bool>;
    /// Connects, does the client handshake, sends one byte and reads its
    /// echo; returns whether the session was resumed.
    fn connect_one(&self, address: SocketAddr, timeout: Duration) -> BenchResult<bool>;
    /// Whether a blocked `serve_one` needs a connection to wake it (its
    /// accept has no timeout).
    const ACCEPT_NEEDS_WAKING: bool;
}

/// netstack: `TlsStream` over `NetworkStream`, configurations from `from_rustls`.
pub(super) struct NetstackTls {
    pub(super) client: TlsClientConfig,
    pub(super) server: TlsServerConfig,
}

impl NetstackTls {
    pub(super) fn new(pki: &Pki, resumption: bool) -> BenchResult<NetstackTls> {
        Ok(NetstackTls {
            client: TlsClientConfig::from_rustls(client_config(pki, resumption)?),
            server: TlsServerConfig::from_rustls(server_config(pki)?),
        })
    }
}

impl TlsContender for NetstackTls {
    type Client = TlsStream<NetworkStream>;
    type Server = TlsStream<NetworkStream>;
    type Listener = transport::TcpListener;
    const ACCEPT_NEEDS_WAKING: bool = false;

    fn pair(&self, timeout: Duration) -> BenchResult<(Self::Client, Self::Server)> {
        let (client, server) = netstack_tcp_pair(timeout)?;
        thread::scope(|s| {
            let accepted = s.spawn(|| TlsStream::accept(&self.server, server));
            let connected = TlsStream::connect(&self.client, SERVER_NAME, client);
            let accepted = accepted.join().map_err(|_| "TLS accept thread panicked")?;
            let (client, server) = (connected?, accepted?);
            let negotiated = Self::negotiated(&client);
            if server.cipher_suite() != Some(SUITE_NAME) || !negotiated.ends_with(SUITE_NAME) {
                return Err(format!("netstack negotiated {negotiated}, not {SUITE_NAME}").into());
            }
            Ok((client, server))
        })
    }

    fn negotiated(client: &Self::Client) -> String {
        format!(
            "{} {}",
            client.protocol_version().map_or("?", TlsVersion::as_str),
            client.cipher_suite().unwrap_or("?")
        )
    }

    fn listen(&self, timeout: Duration) -> BenchResult<(Self::Listener, SocketAddr)> {
        netstack_listener(timeout)
    }

    fn serve_one(&self, listener: &Self::Listener, timeout: Duration) -> BenchResult<bool> {
        let stream = listener.accept()?;
        configure_sync(&stream, timeout)?;
        let mut tls = TlsStream::accept(&self.server, stream)?;
        let mut byte = [0u8; 1];
        std::io::Read::read_exact(&mut tls, &mut byte)?;
        std::io::Write::write_all(&mut tls, &byte)?;
        std::io::Write::flush(&mut tls)?;
        Ok(tls.is_resumed())
    }

    fn connect_one(&self, address: SocketAddr, timeout: Duration) -> BenchResult<bool> {
        let stream = TcpClient::connect_endpoint(address)?.into_stream();
        configure_sync(&stream, timeout)?;
        let mut tls = TlsStream::connect(&self.client, SERVER_NAME, stream)?;
        echo_one(&mut tls)?;
        Ok(tls.is_resumed())
    }
}

/// The peer: rustls's `StreamOwned` over std's `TcpStream`.
pub(super) struct RustlsStd {
    pub(super) client: Arc<ClientConfig>,
    pub(super) server: Arc<ServerConfig>,
}

impl RustlsStd {
    pub(super) fn new(pki: &Pki, resumption: bool) -> BenchResult<RustlsStd> {
        Ok(RustlsStd {
            client: client_config(pki, resumption)?,
            server: server_config(pki)?,
        })
    }

    pub(super) fn client_handshake(
        &self,
        sock: StdTcpStream,
    ) -> BenchResult<StreamOwned<ClientConnection, StdTcpStream>> {
        let name = ServerName::try_from(SERVER_NAME)?.to_owned();
        let conn = ClientConnection::new(Arc::clone(&self.client), name)?;
        let mut tls = StreamOwned::new(conn, sock);
        rustls_handshake(&mut tls.conn, &mut tls.sock)?;
        Ok(tls)
    }

    pub(super) fn server_handshake(
        &self,
        sock: StdTcpStream,
    ) -> BenchResult<StreamOwned<ServerConnection, StdTcpStream>> {
        let conn = ServerConnection::new(Arc::clone(&self.server))?;
        let mut tls = StreamOwned::new(conn, sock);
        rustls_handshake(&mut tls.conn, &mut tls.sock)?;
        Ok(tls)
    }
}

/// Drives a rustls handshake to completion over a blocking socket, then
/// sends whatever is queued (the server's tickets), as `TlsStream`'s
/// handshake does.
pub(super) fn rustls_handshake<D: SideData>(
    conn: &mut ConnectionCommon<D>,
    sock: &mut StdTcpStream,
) -> BenchResult<()> {
    for _ in 0..MAX_HANDSHAKE_TURNS {
        if !conn.is_handshaking() {
            break;
        }
        conn.complete_io(sock)
            .map_err(|e| format!("rustls handshake: {e}"))?;
    }
    if conn.is_handshaking() {
        return Err(
            format!("rustls handshake unfinished after {MAX_HANDSHAKE_TURNS} turns").into(),
        );
    }
    for _ in 0..MAX_HANDSHAKE_TURNS {
        if !conn.wants_write() {
            return Ok(());
        }
        conn.write_tls(sock)
            .map_err(|e| format!("rustls handshake flush: {e}"))?;
    }
    Err("rustls handshake: queued records never drained".into())
}

pub(super) fn rustls_negotiated<D: SideData>(conn: &ConnectionCommon<D>) -> String {
    format!(
        "{} {}",
        conn.protocol_version()
            .map_or("?".to_string(), |v| match v {
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
                other => format!("{other:?}"),
            }),
        conn.negotiated_cipher_suite()
            .and_then(|s| s.suite().as_str())
            .unwrap_or("?")
    )
}

impl TlsContender for RustlsStd {
    type Client = StreamOwned<ClientConnection, StdTcpStream>;
    type Server = StreamOwned<ServerConnection, StdTcpStream>;
    type Listener = std::net::TcpListener;
    const ACCEPT_NEEDS_WAKING: bool = true;

    fn pair(&self, timeout: Duration) -> BenchResult<(Self::Client, Self::Server)> {
        let (client, server) = std_pair(true, timeout)?;
        thread::scope(|s| {
            let accepted = s.spawn(|| self.server_handshake(server));
            let connected = self.client_handshake(client);
            let accepted = accepted.join().map_err(|_| "TLS accept thread panicked")?;
            let (client, server) = (connected?, accepted?);
            let negotiated = Self::negotiated(&client);
            if !rustls_negotiated(&server.conn).ends_with(SUITE_NAME)
                || !negotiated.ends_with(SUITE_NAME)
            {
                return Err(format!("rustls negotiated {negotiated}, not {SUITE_NAME}").into());
            }
            Ok((client, server))
        })
    }

    fn negotiated(client: &Self::Client) -> String {
        rustls_negotiated(&client.conn)
    }

    fn listen(&self, _timeout: Duration) -> BenchResult<(Self::Listener, SocketAddr)> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let address = listener.local_addr()?;
        check_loopback(address)?;
        Ok((listener, address))
    }

    fn serve_one(&self, listener: &Self::Listener, timeout: Duration) -> BenchResult<bool> {
        // std's accept has no timeout: the driver wakes it with a connection on failure.
        let (sock, _) = listener.accept()?;
        configure_std(&sock, timeout)?;
        let mut tls = self.server_handshake(sock)?;
        let mut byte = [0u8; 1];
        tls.read_exact(&mut byte)?;
        tls.write_all(&byte)?;
        tls.flush()?;
        Ok(tls.conn.handshake_kind() == Some(HandshakeKind::Resumed))
    }

    fn connect_one(&self, address: SocketAddr, timeout: Duration) -> BenchResult<bool> {
        let sock = StdTcpStream::connect_timeout(&address, timeout)?;
        configure_std(&sock, timeout)?;
        let mut tls = self.client_handshake(sock)?;
        echo_one(&mut tls)?;
        Ok(tls.conn.handshake_kind() == Some(HandshakeKind::Resumed))
    }
}

/// Sends one byte and checks its echo.
pub(super) fn echo_one(tls: &mut (impl Read + Write)) -> BenchResult<()> {
    tls.write_all(b"h")?;
    tls.flush()?;
    let mut byte = [0u8; 1];
    tls.read_exact(&mut byte)?;
    if &byte != b"h" {
        return Err(format!("the echo was {byte:?}, not \"h\"").into());
    }
    Ok(())
}

/// One pair of each contender: both must have negotiated TLS 1.3 with the one suite.
pub(super) fn suite_check(
    netstack: &NetstackTls,
    peer: &RustlsStd,
    args: &Args,
    timeout: Duration,
) -> BenchResult<Check> {
    let (ours, _server) = netstack.pair(timeout)?;
    let (theirs, _server) = peer.pair(timeout)?;
    let (ours, theirs) = (
        NetstackTls::negotiated(&ours),
        RustlsStd::negotiated(&theirs),
    );
    let expected = format!("TLSv1.3 {SUITE_NAME}");
    Ok(Check {
        name: "negotiated protocol and cipher suite (client side; the server side is checked in every sample)".to_string(),
        outcome: format!("netstack: {ours}; rustls: {theirs}"),
        passed: ours == expected && theirs == expected,
        command: args.command(Case::TlsBulk),
    })
}

/// `count` handshakes against a server thread; returns handshakes per
/// second. For `resumed`, one untimed handshake first fills the session
/// cache, and every timed handshake must then be resumed on both sides;
/// otherwise every one must be full.
pub(super) fn handshakes<C: TlsContender>(
    contender: &C,
    count: u64,
    resumed: bool,
    timeout: Duration,
) -> BenchResult<f64> {
    let (listener, address) = contender.listen(timeout)?;
    let priming = u64::from(resumed);
    thread::scope(|s| {
        let server = s.spawn(|| -> BenchResult<u64> {
            let mut resumed_count = 0;
            for i in 0..priming + count {
                let was_resumed = contender
                    .serve_one(&listener, timeout)
                    .map_err(|e| format!("server, handshake {i}: {e}"))?;
                if i >= priming && was_resumed {
                    resumed_count += 1;
                }
            }
            Ok(resumed_count)
        });
        let client = (|| -> BenchResult<(f64, u64)> {
            if resumed {
                contender
                    .connect_one(address, timeout)
                    .map_err(|e| format!("client, priming handshake: {e}"))?;
            }
            let start = Instant::now();
            let mut resumed_count = 0;
            for i in 0..count {
                let was_resumed = contender
                    .connect_one(address, timeout)
                    .map_err(|e| format!("client, handshake {i}: {e}"))?;
                if was_resumed != resumed {
                    return Err(format!(
                        "client, handshake {i}: {} where a {} one was expected",
                        kind(was_resumed),
                        kind(resumed)
                    )
                    .into());
                }
                resumed_count += u64::from(was_resumed);
            }
            Ok((count as f64 / start.elapsed().as_secs_f64(), resumed_count))
        })();
        if client.is_err() && C::ACCEPT_NEEDS_WAKING {
            wake_accept(address, &server, timeout);
        }
        let served = server
            .join()
            .map_err(|_| "handshake server thread panicked")?;
        let (rate, client_resumed) = client?;
        let server_resumed = served?;
        let expected = if resumed { count } else { 0 };
        if client_resumed != expected || server_resumed != expected {
            return Err(format!(
                "resumed handshakes: client {client_resumed}, server {server_resumed}, expected {expected}"
            )
            .into());
        }
        Ok(rate)
    })
}

pub(super) fn kind(resumed: bool) -> &'static str {
    if resumed {
        "resumed handshake"
    } else {
        "full handshake"
    }
}

/// Connects (and closes) until a server thread blocked in an accept without
/// timeout has finished; bounded by `timeout`.
pub(super) fn wake_accept<T>(
    address: SocketAddr,
    server: &thread::ScopedJoinHandle<'_, T>,
    timeout: Duration,
) {
    let deadline = Instant::now() + timeout;
    for _ in 0..10_000 {
        if server.is_finished() || Instant::now() >= deadline {
            return;
        }
        let _ = StdTcpStream::connect_timeout(&address, Duration::from_secs(1));
        thread::sleep(Duration::from_millis(20));
    }
}
