//! The transport layer's TCP, Unix and UDP types on real sockets over
//! loopback, in both modes.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use sockets::{AddressFamily, EndPoint, ProtocolType, Shutdown, Socket, SocketError, SocketType};
use transport::{
    AttemptOutcome, ConnectOptions, Error, NetworkStream, StaticResolver, TcpClient, TcpListener,
    UdpClient, UnixClient, UnixListener,
};

fn listener_on(ip: IpAddr, port: u16) -> TcpListener {
    let l = TcpListener::bind((ip, port)).unwrap();
    l.start(64).unwrap();
    l
}

fn port_of(endpoint: &EndPoint) -> u16 {
    endpoint.as_ip().unwrap().port()
}

/// A listener whose backlog is full and that never accepts: Linux drops
/// further SYNs, so a connect to it neither succeeds nor fails for a while.
struct Blackhole {
    port: u16,
    _listener: Socket,
    _fillers: Vec<Socket>,
}

fn blackhole(ip: IpAddr, port: u16) -> Blackhole {
    let family = if ip.is_ipv4() {
        AddressFamily::InterNetwork
    } else {
        AddressFamily::InterNetworkV6
    };
    let listener = Socket::new(family, SocketType::Stream, ProtocolType::Tcp).unwrap();
    listener.set_reuse_address(true).unwrap();
    listener.bind((ip, port)).unwrap();
    let port = port_of(&listener.local_endpoint().unwrap());
    listener.listen(0).unwrap();
    let mut fillers = Vec::new();
    for _ in 0..32 {
        let s = Socket::new(family, SocketType::Stream, ProtocolType::Tcp).unwrap();
        match s.connect_timeout((ip, port), Duration::from_millis(150)) {
            Ok(()) => fillers.push(s),
            Err(e) if e.kind() == SocketError::TimedOut => {
                return Blackhole {
                    port,
                    _listener: listener,
                    _fillers: fillers,
                };
            }
            Err(e) => panic!("filling the backlog of {ip}:{port}: {e}"),
        }
    }
    panic!("the backlog of {ip}:{port} never filled: this kernel does not drop SYNs on a full accept queue");
}

/// A port bound on 127.0.0.1 and ::1 but listening on neither, so every
/// connection to it is refused; the sockets returned hold it so that no
/// other test can start a server on it meanwhile.
fn refusing_port() -> (u16, [Socket; 2]) {
    for _ in 0..100 {
        let v4 = Socket::new(
            AddressFamily::InterNetwork,
            SocketType::Stream,
            ProtocolType::Tcp,
        )
        .unwrap();
        v4.bind((IpAddr::from([127, 0, 0, 1]), 0)).unwrap();
        let port = port_of(&v4.local_endpoint().unwrap());
        let v6 = Socket::new(
            AddressFamily::InterNetworkV6,
            SocketType::Stream,
            ProtocolType::Tcp,
        )
        .unwrap();
        if v6.bind((IpAddr::from(Ipv6Addr::LOCALHOST), port)).is_ok() {
            return (port, [v4, v6]);
        }
    }
    panic!("no port was free on both 127.0.0.1 and ::1 in 100 tries");
}

/// Sockets in SYN_SENT towards 127.0.0.2:port, from /proc/net/tcp.
fn syn_sent_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let remote = format!("0200007F:{port:04X}");
    table
        .lines()
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[2] == remote && cols[3] == "02"
        })
        .count()
}

fn fnv1a(data: &[u8], mut h: u64) -> u64 {
    for b in data {
        h = (h ^ *b as u64).wrapping_mul(0x100000001b3);
    }
    h
}

const FNV_START: u64 = 0xcbf29ce484222325;

#[test]
fn connect_by_name_reaches_a_localhost_listener_in_both_modes() {
    let listener = TcpListener::bind_dual_mode(0).unwrap();
    listener.start(8).unwrap();
    let port = port_of(&listener.local_endpoint().unwrap());
    let client = TcpClient::connect("localhost", port).unwrap();
    assert!(client.connected());
    assert!(
        client.stream().no_delay().unwrap(),
        "no_delay is on by default"
    );
    let server = listener.accept().unwrap();
    assert_eq!(
        server.remote_endpoint().unwrap().as_ip().unwrap().port(),
        port_of(&client.stream().local_endpoint().unwrap())
    );
    let async_client = sockets::block_on(TcpClient::connect_async("localhost", port)).unwrap();
    assert!(async_client.connected());
    assert_eq!(async_client.attempts().len(), 1);
    assert_eq!(
        async_client.attempts()[0].outcome,
        AttemptOutcome::Connected
    );
}

#[test]
fn happy_eyeballs_skips_a_blackholed_first_address_within_about_the_stagger_and_closes_the_loser() {
    let good = listener_on(IpAddr::from([127, 0, 0, 1]), 0);
    let port = port_of(&good.local_endpoint().unwrap());
    let _hole = blackhole(IpAddr::from([127, 0, 0, 2]), port);
    let stagger = Duration::from_millis(200);
    let options = ConnectOptions::new()
        .resolver(StaticResolver::new(vec![
            IpAddr::from([127, 0, 0, 2]),
            IpAddr::from([127, 0, 0, 1]),
        ]))
        .stagger(stagger)
        .timeout(Some(Duration::from_secs(10)));
    for mode in ["sync", "async"] {
        let started = Instant::now();
        let client = match mode {
            "sync" => TcpClient::connect_with("blackholed.test", port, &options).unwrap(),
            _ => sockets::block_on(TcpClient::connect_with_async(
                "blackholed.test",
                port,
                &options,
            ))
            .unwrap(),
        };
        let elapsed = started.elapsed();
        assert_eq!(
            client
                .stream()
                .remote_endpoint()
                .unwrap()
                .as_ip()
                .unwrap()
                .ip(),
            IpAddr::from([127, 0, 0, 1]),
            "{mode}"
        );
        // Not before the stagger: the first attempt got its full head start.
        assert!(
            elapsed >= stagger - Duration::from_millis(5),
            "{mode}: connected after {elapsed:?}"
        );
        // Far sooner than the 10 s connect timeout the blackholed attempt
        // would need (generous: these machines are shared and noisy).
        assert!(
            elapsed < Duration::from_secs(5),
            "{mode}: connected after {elapsed:?}"
        );
        let attempts = client.attempts();
        assert_eq!(attempts.len(), 2, "{mode}: {attempts:?}");
        assert_eq!(attempts[0].address.ip(), IpAddr::from([127, 0, 0, 2]));
        assert_eq!(attempts[0].outcome, AttemptOutcome::Abandoned, "{mode}");
        assert_eq!(attempts[1].outcome, AttemptOutcome::Connected, "{mode}");
        assert!(attempts[1].started_after >= stagger - Duration::from_millis(5));
        assert_eq!(
            syn_sent_to(port),
            0,
            "{mode}: the losing attempt's socket is still open"
        );
        drop(good.accept().unwrap());
    }
}

#[test]
fn the_connect_timeout_fires_on_an_address_that_never_answers() {
    let hole = blackhole(IpAddr::from([127, 0, 0, 2]), 0);
    let port = hole.port;
    let options = ConnectOptions::new()
        .resolver(StaticResolver::new(vec![IpAddr::from([127, 0, 0, 2])]))
        .timeout(Some(Duration::from_millis(300)));
    for mode in ["sync", "async"] {
        let started = Instant::now();
        let err = match mode {
            "sync" => TcpClient::connect_with("silent.test", port, &options).unwrap_err(),
            _ => sockets::block_on(TcpClient::connect_with_async("silent.test", port, &options))
                .unwrap_err(),
        };
        let elapsed = started.elapsed();
        assert!(matches!(err, Error::ConnectTimeout { .. }), "{mode}: {err}");
        assert!(err.is_timeout());
        assert!(
            elapsed >= Duration::from_millis(290) && elapsed < Duration::from_secs(3),
            "{mode}: {elapsed:?}"
        );
        assert!(err.to_string().contains("127.0.0.2"), "{err}");
        assert_eq!(
            syn_sent_to(port),
            0,
            "{mode}: the timed-out attempt was not closed"
        );
    }
}

#[test]
fn every_address_refused_is_connect_failed_naming_each_attempt() {
    let options = ConnectOptions::new().resolver(StaticResolver::new(vec![
        IpAddr::from(Ipv6Addr::LOCALHOST),
        IpAddr::from([127, 0, 0, 1]),
    ]));
    let (port, _refusing) = refusing_port();
    let err = TcpClient::connect_with("nobody.test", port, &options).unwrap_err();
    match &err {
        Error::ConnectFailed { attempts, .. } => {
            assert_eq!(attempts.len(), 2);
            assert!(attempts[0].address.is_ipv6(), "IPv6 first");
            assert!(attempts.iter().all(|a| matches!(
                a.outcome,
                AttemptOutcome::Failed(SocketError::ConnectionRefused, _)
            )));
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("connection refused"), "{err}");
    let none = ConnectOptions::new().resolver(StaticResolver::new(vec![]));
    assert!(matches!(
        TcpClient::connect_with("empty.test", port, &none).unwrap_err(),
        Error::NoAddresses { .. }
    ));
    let unknown = TcpClient::connect("no-such-host.invalid", port).unwrap_err();
    assert_eq!(
        unknown.socket_error(),
        Some(SocketError::HostNotFound),
        "the system resolver must answer NXDOMAIN for a .invalid name (is a DNS server reachable?); it answered: {unknown}"
    );
}

#[test]
fn a_read_timeout_fires_and_the_stream_stays_usable() {
    let listener = listener_on(IpAddr::from([127, 0, 0, 1]), 0);
    let client = TcpClient::connect_endpoint(listener.local_endpoint().unwrap())
        .unwrap()
        .into_stream();
    let server = listener.accept().unwrap();
    client
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut buf = [0u8; 16];
    let err = client.read_sync(&mut buf).unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let io_err = Read::read(&mut &client, &mut buf).unwrap_err();
    assert_eq!(io_err.kind(), std::io::ErrorKind::TimedOut);
    let err = sockets::block_on(client.read_async(&mut buf)).unwrap_err();
    assert!(err.is_timeout(), "async: {err}");
    server.write_all_sync(b"still here").unwrap();
    let n = client.read_sync(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still here");
    assert!(!client.data_available().unwrap());
}

#[test]
fn network_stream_works_under_bufreader_and_bufwriter() {
    let listener = listener_on(IpAddr::from([127, 0, 0, 1]), 0);
    let client = TcpClient::connect_endpoint(listener.local_endpoint().unwrap())
        .unwrap()
        .into_stream();
    let server = listener.accept().unwrap();
    let writer = thread::spawn(move || {
        let mut w = BufWriter::new(&client);
        for i in 0..1000 {
            writeln!(w, "line {i}").unwrap();
        }
        w.flush().unwrap();
        drop(w);
        client.shutdown(Shutdown::Send).unwrap();
    });
    let lines: Vec<String> = BufReader::new(&server)
        .lines()
        .map(|l| l.unwrap())
        .collect();
    writer.join().unwrap();
    assert_eq!(lines.len(), 1000);
    assert_eq!(lines[999], "line 999");
}

fn transfer_sync(bytes: usize) {
    let listener = listener_on(IpAddr::from([127, 0, 0, 1]), 0);
    let client = TcpClient::connect_endpoint(listener.local_endpoint().unwrap())
        .unwrap()
        .into_stream();
    let server = listener.accept().unwrap();
    let sender = thread::spawn(move || {
        let mut chunk = vec![0u8; 64 * 1024];
        let mut sent = 0usize;
        let mut hash = FNV_START;
        while sent < bytes {
            let n = chunk.len().min(bytes - sent);
            for (i, b) in chunk[..n].iter_mut().enumerate() {
                *b = ((sent + i) as u32).wrapping_mul(2654435761).to_be_bytes()[0];
            }
            hash = fnv1a(&chunk[..n], hash);
            client.write_all_sync(&chunk[..n]).unwrap();
            sent += n;
        }
        client.shutdown(Shutdown::Send).unwrap();
        hash
    });
    let mut buf = vec![0u8; 64 * 1024];
    let (mut received, mut hash) = (0usize, FNV_START);
    loop {
        let n = server.read_sync(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hash = fnv1a(&buf[..n], hash);
        received += n;
    }
    assert_eq!(received, bytes);
    assert_eq!(hash, sender.join().unwrap());
}

async fn transfer_async(bytes: usize) {
    let listener = listener_on(IpAddr::from([127, 0, 0, 1]), 0);
    let endpoint = listener.local_endpoint().unwrap();
    let (client, server) = futures::join!(
        TcpClient::connect_endpoint_async(endpoint),
        listener.accept_async()
    );
    let (client, server) = (client.unwrap().into_stream(), server.unwrap());
    let send = async {
        let mut chunk = vec![0u8; 64 * 1024];
        let (mut sent, mut hash) = (0usize, FNV_START);
        while sent < bytes {
            let n = chunk.len().min(bytes - sent);
            for (i, b) in chunk[..n].iter_mut().enumerate() {
                *b = ((sent + i) as u32).wrapping_mul(2654435761).to_be_bytes()[0];
            }
            hash = fnv1a(&chunk[..n], hash);
            client.write_all_async(&chunk[..n]).await.unwrap();
            sent += n;
        }
        client.shutdown(Shutdown::Send).unwrap();
        hash
    };
    let receive = async {
        let mut buf = vec![0u8; 64 * 1024];
        let (mut received, mut hash) = (0usize, FNV_START);
        loop {
            let n = server.read_async(&mut buf).await.unwrap();
            if n == 0 {
                return (received, hash);
            }
            hash = fnv1a(&buf[..n], hash);
            received += n;
        }
    };
    let (sent_hash, (received, received_hash)) = futures::join!(send, receive);
    assert_eq!(received, bytes);
    assert_eq!(received_hash, sent_hash);
}

#[test]
fn a_256_mib_transfer_arrives_intact_in_sync_mode() {
    transfer_sync(256 << 20);
}

#[test]
fn a_256_mib_transfer_arrives_intact_in_async_mode() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
        .block_on(transfer_async(256 << 20));
}

#[test]
fn unix_streams_by_path_and_abstract_name_in_both_modes() {
    let path = std::env::temp_dir().join(format!("transport-unix-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    for endpoint in [
        EndPoint::unix_path(&path),
        EndPoint::unix_abstract(format!("transport-{}", std::process::id())),
    ] {
        let listener = UnixListener::bind(endpoint.clone()).unwrap();
        let client = UnixClient::connect(endpoint.clone()).unwrap();
        let server = listener.accept().unwrap();
        client.write_all_sync(b"sync").unwrap();
        let mut buf = [0u8; 4];
        (&server).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"sync");
        let (c, s) = sockets::block_on(async {
            futures::join!(
                UnixClient::connect_async(endpoint.clone()),
                listener.accept_async()
            )
        });
        let (c, s): (NetworkStream, NetworkStream) = (c.unwrap(), s.unwrap());
        sockets::block_on(c.write_all_async(b"async")).unwrap();
        let mut buf = [0u8; 5];
        sockets::block_on(s.read_exact_async(&mut buf)).unwrap();
        assert_eq!(&buf, b"async");
    }
    let _ = std::fs::remove_file(&path);
    let missing =
        UnixClient::connect(EndPoint::unix_path("/nonexistent/transport.sock")).unwrap_err();
    assert_eq!(
        missing.socket_error(),
        Some(SocketError::AddressNotAvailable),
        "{missing}"
    );
    assert!(matches!(
        UnixClient::connect((Ipv4Addr::LOCALHOST, 1)).unwrap_err(),
        Error::InvalidInput(_)
    ));
}

#[test]
fn tcp_listener_pending_and_stop() {
    let listener = listener_on(IpAddr::from([127, 0, 0, 1]), 0);
    assert!(!listener.pending().unwrap());
    let _client = TcpClient::connect_endpoint(listener.local_endpoint().unwrap()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !listener.pending().unwrap() {
        assert!(Instant::now() < deadline);
        thread::sleep(Duration::from_millis(5));
    }
    listener.stop();
    let err = listener.accept().unwrap_err();
    assert_eq!(err.socket_error(), Some(SocketError::OperationAborted));
    assert!(matches!(
        TcpListener::bind(EndPoint::unix_abstract("x")).unwrap_err(),
        Error::InvalidInput(_)
    ));
}

#[test]
fn udp_round_trips_for_ipv4_and_ipv6_in_both_modes() {
    for ip in [
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from(Ipv6Addr::LOCALHOST),
    ] {
        let a = UdpClient::bind((ip, 0)).unwrap();
        let b = UdpClient::bind((ip, 0)).unwrap();
        a.send_to(b"ping", b.local_endpoint().unwrap()).unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.receive(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert_eq!(from, a.local_endpoint().unwrap());
        b.connect(from).unwrap();
        sockets::block_on(b.send_async(b"pong")).unwrap();
        let (n, _) = sockets::block_on(a.receive_async(&mut buf)).unwrap();
        assert_eq!(&buf[..n], b"pong");
    }
    let a = UdpClient::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let b = UdpClient::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let port = port_of(&b.local_endpoint().unwrap());
    a.send_to_host(b"by name", "localhost", port).unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(b.receive(&mut buf).unwrap().0, 7);
    a.send_to(&[0u8; 100], b.local_endpoint().unwrap()).unwrap();
    let err = b.receive(&mut [0u8; 10]).unwrap_err();
    assert_eq!(
        err.socket_error(),
        Some(SocketError::MessageSize),
        "never silently cut"
    );
}

#[test]
fn udp_multicast_join_receive_leave_on_loopback() {
    let group = Ipv4Addr::new(239, 255, 77, 1);
    let receiver = UdpClient::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let port = port_of(&receiver.local_endpoint().unwrap());
    receiver
        .join_multicast_group_v4_on(group, Ipv4Addr::LOCALHOST)
        .unwrap();
    receiver
        .client()
        .set_receive_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let sender = UdpClient::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    sender
        .set_multicast_interface_v4(Ipv4Addr::LOCALHOST)
        .unwrap();
    sender.set_multicast_loopback(true).unwrap();
    sender.set_multicast_ttl(1).unwrap();
    sender.send_to(b"to the group", (group, port)).unwrap();
    let mut buf = [0u8; 32];
    let (n, _) = receiver.receive(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"to the group");
    receiver
        .drop_multicast_group_v4_on(group, Ipv4Addr::LOCALHOST)
        .unwrap();
    sender.send_to(b"after leaving", (group, port)).unwrap();
    receiver
        .client()
        .set_receive_timeout(Some(Duration::from_millis(150)))
        .unwrap();
    assert_eq!(
        receiver.receive(&mut buf).unwrap_err().socket_error(),
        Some(SocketError::TimedOut)
    );
}

#[test]
fn udp_ipv6_multicast_join_and_leave() {
    let receiver = UdpClient::bind((Ipv6Addr::UNSPECIFIED, 0)).unwrap();
    let group: Ipv6Addr = "ff02::1:3".parse().unwrap();
    receiver.join_multicast_group(IpAddr::V6(group)).unwrap();
    receiver.drop_multicast_group(IpAddr::V6(group)).unwrap();
    assert!(
        receiver.drop_multicast_group(IpAddr::V6(group)).is_err(),
        "leaving twice is an error"
    );
}

#[test]
fn the_udp_broadcast_option_gates_sending_to_a_broadcast_address() {
    let udp = UdpClient::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    assert!(!udp.broadcast().unwrap());
    let err = udp.send_to(b"x", (Ipv4Addr::BROADCAST, 9)).unwrap_err();
    assert_eq!(err.socket_error(), Some(SocketError::AccessDenied), "{err}");
    udp.set_broadcast(true).unwrap();
    assert!(udp.broadcast().unwrap());
}

#[test]
fn a_udp_client_with_a_default_peer_sends_there() {
    let server = UdpClient::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let client = UdpClient::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    client
        .connect_host("localhost", port_of(&server.local_endpoint().unwrap()))
        .unwrap();
    client.send(b"default").unwrap();
    let mut buf = [0u8; 16];
    let (n, _) = server.receive(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"default");
    let _ = SocketAddr::from(([127, 0, 0, 1], 0));
}
