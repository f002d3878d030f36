//! The DNS client against a real `dnsmasq` on loopback (the Debian package
//! `dnsmasq-base`, installed by `.ci/run`), and against crafted servers for
//! what a well-behaved server never does (stray and spoofed replies,
//! silence, malformed replies, a TCP connection closed inside a frame).
//! Every case runs in both modes: sync, and async on netstack's executor.
//!
//! Each test starts its own dnsmasq (killed on drop). dnsmasq cannot bind
//! port 0 for DNS, so the test picks a random high port, retries with
//! another if dnsmasq exits (port taken), and then checks a per-instance
//! nonce TXT record, which proves the answers come from this test's own
//! server. The machine's configured resolver is never queried. A missing
//! dnsmasq fails the tests; it never skips them.

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use testkit::peer::{Peer, PeerCommand, Readiness};
use testkit::{Mode, MODES};

use protocols::dns::{self, DnsClient, DnsResponse, RData, RecordType};
use protocols::framing;

testkit::executor_block_on!(sockets::block_on);

const DNSMASQ: &str = "/usr/sbin/dnsmasq";
const STARTUP_DEADLINE: Duration = Duration::from_secs(15);
/// Generous: a loaded CI machine must not turn a slow reply into a failure.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How many TXT records `big.test` has, and how long each string is: 20 ×
/// 60 bytes cannot fit a 512-byte datagram.
const BIG_RECORDS: usize = 20;
const BIG_LENGTH: usize = 60;

fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// A `dnsmasq` peer, killed when dropped.
struct Dnsmasq {
    _peer: Peer,
    port: u16,
}

impl Dnsmasq {
    fn client(&self) -> DnsClient {
        DnsClient::new(([127, 0, 0, 1], self.port)).with_timeout(TIMEOUT)
    }
}

/// Debian's dnsmasq (in /usr/sbin, which may not be on PATH), or the one on PATH.
fn dnsmasq_binary() -> &'static str {
    if Path::new(DNSMASQ).is_file() {
        DNSMASQ
    } else {
        "dnsmasq"
    }
}

/// The `i`-th string of `big.test`'s TXT records.
fn big_string(i: usize) -> String {
    let head = format!("record-{i:02}-");
    format!("{head}{}", "x".repeat(BIG_LENGTH - head.len()))
}

/// Starts dnsmasq on a port of its own and waits (bounded) until it serves
/// this instance's nonce; tries another port if it exits (port taken) or
/// another server answers there.
fn start_dnsmasq() -> Dnsmasq {
    let nonce = format!("nonce-{:016x}", random_u64());
    let mut last_error = String::new();
    for _attempt in 0..10 {
        let port = 20_000 + (random_u64() % 40_000) as u16;
        let mut command = PeerCommand::new(dnsmasq_binary())
            .install("apt-get install -y dnsmasq-base")
            .ready_within(STARTUP_DEADLINE)
            .args([
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                "--conf-file=/dev/null",
                "--pid-file=",
                "--user=root",
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--log-facility=-",
                // Names under .test are answered here or not at all (NXDOMAIN).
                "--local=/test/",
                "--address=/a.test/127.0.0.9",
                "--host-record=web.test,127.0.0.1",
                "--host-record=both.test,127.0.0.10,::10",
                "--cname=alias.test,both.test",
                "--mx-host=mail.test,mx1.test,10",
                "--txt-record=txt.test,hello world",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--txt-record=nonce.test,{nonce}"));
        for i in 0..BIG_RECORDS {
            command = command.arg(format!("--txt-record=big.test,{}", big_string(i)));
        }
        let mut peer = command.spawn();
        let probe = DnsClient::new(([127, 0, 0, 1], port))
            .with_timeout(Duration::from_millis(300))
            .with_attempts(1);
        let ready = peer.wait_ready("serving its nonce", || {
            match probe.lookup_txt("nonce.test") {
                Ok(values) if values == [nonce.clone()] => Readiness::Ready(()),
                // Another server answers on this port: not ours.
                Ok(values) => Readiness::Failed(format!(
                    "port {port} answers with {values:?}, not our nonce"
                )),
                Err(e) => Readiness::NotYet(e.to_string()),
            }
        });
        match ready {
            Ok(()) => return Dnsmasq { _peer: peer, port },
            Err(e) => last_error = e,
        }
    }
    panic!("dnsmasq did not start and serve its nonce: {last_error}");
}

fn query(
    mode: Mode,
    client: &DnsClient,
    name: &str,
    rtype: RecordType,
) -> Result<DnsResponse, dns::Error> {
    match mode {
        Mode::Sync => client.query(name, rtype),
        Mode::Async => block_on(client.query_async(name, rtype)),
    }
}

fn lookup_ip(mode: Mode, client: &DnsClient, name: &str) -> Result<Vec<IpAddr>, dns::Error> {
    match mode {
        Mode::Sync => client.lookup_ip(name),
        Mode::Async => block_on(client.lookup_ip_async(name)),
    }
}

fn lookup_mx(mode: Mode, client: &DnsClient, name: &str) -> Result<Vec<(u16, String)>, dns::Error> {
    match mode {
        Mode::Sync => client.lookup_mx(name),
        Mode::Async => block_on(client.lookup_mx_async(name)),
    }
}

fn lookup_txt(mode: Mode, client: &DnsClient, name: &str) -> Result<Vec<String>, dns::Error> {
    match mode {
        Mode::Sync => client.lookup_txt(name),
        Mode::Async => block_on(client.lookup_txt_async(name)),
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn a_and_aaaa_records() {
    let server = start_dnsmasq();
    let client = server.client();
    for mode in MODES {
        let a = query(mode, &client, "a.test", RecordType::A).unwrap();
        assert_eq!(a.ips(), [ip("127.0.0.9")], "{mode:?}");
        assert_eq!(a.answers[0].name, "a.test");
        assert_eq!(a.question.record_type, RecordType::A);
        assert!(!a.over_tcp);
        let aaaa = query(mode, &client, "both.test", RecordType::Aaaa).unwrap();
        assert_eq!(aaaa.ips(), [ip("::10")], "{mode:?}");
        assert_eq!(
            lookup_ip(mode, &client, "both.test").unwrap(),
            [ip("127.0.0.10"), ip("::10")],
            "{mode:?}"
        );
    }
}

#[test]
fn cname_chain_has_the_alias_and_the_address() {
    let server = start_dnsmasq();
    let client = server.client();
    for mode in MODES {
        let response = query(mode, &client, "alias.test", RecordType::A).unwrap();
        assert_eq!(response.answers.len(), 2, "{mode:?}: {response:?}");
        assert_eq!(response.answers[0].name, "alias.test");
        assert_eq!(
            response.answers[0].data,
            RData::Cname("both.test".into()),
            "{mode:?}"
        );
        assert_eq!(response.answers[1].name, "both.test");
        assert_eq!(
            response.cnames(),
            [("alias.test".into(), "both.test".into())]
        );
        assert_eq!(response.ips(), [ip("127.0.0.10")], "{mode:?}");
    }
}

#[test]
fn mx_and_txt_records() {
    let server = start_dnsmasq();
    let client = server.client();
    for mode in MODES {
        assert_eq!(
            lookup_mx(mode, &client, "mail.test").unwrap(),
            [(10, "mx1.test".to_string())],
            "{mode:?}"
        );
        assert_eq!(
            lookup_txt(mode, &client, "txt.test").unwrap(),
            ["hello world"],
            "{mode:?}"
        );
        // The question is matched without case (the server may echo either).
        assert_eq!(
            lookup_txt(mode, &client, "TxT.TeSt").unwrap(),
            ["hello world"],
            "{mode:?}"
        );
    }
}

#[test]
fn missing_name_is_nxdomain() {
    let server = start_dnsmasq();
    let client = server.client();
    for mode in MODES {
        match query(mode, &client, "missing.test", RecordType::A) {
            Err(dns::Error::NameError { name }) => assert_eq!(name, "missing.test"),
            other => panic!("{mode:?}: {other:?}"),
        }
        match lookup_ip(mode, &client, "missing.test") {
            Err(e @ dns::Error::NameError { .. }) => {
                assert!(e.to_string().contains("NXDOMAIN"), "{e}")
            }
            other => panic!("{mode:?}: {other:?}"),
        }
    }
}

#[test]
fn truncated_reply_falls_back_to_tcp_with_every_record() {
    let server = start_dnsmasq();
    let client = server.client();
    let expected: HashSet<String> = (0..BIG_RECORDS).map(big_string).collect();
    for mode in MODES {
        let response = query(mode, &client, "big.test", RecordType::Txt).unwrap();
        assert!(
            response.over_tcp,
            "{mode:?}: the reply did not come over TCP"
        );
        let got: HashSet<String> = response.txt().into_iter().collect();
        assert_eq!(got, expected, "{mode:?}");
        assert_eq!(response.answers.len(), BIG_RECORDS);
    }
}

#[test]
fn invalid_names_are_refused_before_sending() {
    // No server is needed: nothing is sent. The port is one nothing listens on
    // by convention (discard), and loopback only.
    let client = DnsClient::new(([127, 0, 0, 1], 9));
    let long_label = "x".repeat(64);
    for mode in MODES {
        for name in ["a..test", &long_label, ""] {
            match query(mode, &client, name, RecordType::A) {
                Err(dns::Error::InvalidName { .. }) => {}
                other => panic!("{mode:?} {name:?}: {other:?}"),
            }
        }
    }
}

// ---- crafted servers -------------------------------------------------------

/// A UDP server on loopback: hands each datagram to `respond` and sends
/// back what it returns, until stopped; records every datagram received.
struct UdpPeer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<Vec<u8>>>>,
}

impl UdpPeer {
    fn start(respond: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static) -> UdpPeer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        UdpPeer::on(socket, respond)
    }

    fn on(socket: UdpSocket, respond: impl Fn(&[u8]) -> Vec<Vec<u8>> + Send + 'static) -> UdpPeer {
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut received = Vec::new();
            let mut buf = [0u8; 2048];
            // Bounded even if the test never stops it.
            let deadline = Instant::now() + Duration::from_secs(120);
            while !stop2.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                received.push(buf[..n].to_vec());
                for reply in respond(&buf[..n]) {
                    let _ = socket.send_to(&reply, from);
                }
            }
            received
        });
        UdpPeer {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the server; returns the datagrams it received.
    fn stop(mut self) -> Vec<Vec<u8>> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for UdpPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A reply to `query`: QR set, the given flags, and one A record.
fn reply_with_a(query: &[u8], address: [u8; 4]) -> Vec<u8> {
    let mut reply = query.to_vec();
    reply[2] |= 0x80;
    reply[7] = 1;
    reply.extend_from_slice(b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04");
    reply.extend_from_slice(&address);
    reply
}

fn crafted_client(addr: SocketAddr) -> DnsClient {
    DnsClient::new(addr).with_timeout(TIMEOUT)
}

#[test]
fn replies_with_wrong_id_or_question_are_ignored() {
    for mode in MODES {
        let peer = UdpPeer::start(|query| {
            let mut wrong_id = reply_with_a(query, [10, 0, 0, 1]);
            wrong_id[1] ^= 0xFF;
            let mut wrong_question = reply_with_a(query, [10, 0, 0, 2]);
            wrong_question[13] = b'x'; // "spoof.test" → "xpoof.test"
            let right = reply_with_a(query, [127, 0, 0, 3]);
            vec![wrong_id, wrong_question, right]
        });
        let client = crafted_client(peer.addr);
        let response = query(mode, &client, "spoof.test", RecordType::A).unwrap();
        assert_eq!(response.ips(), [ip("127.0.0.3")], "{mode:?}");
        assert_eq!(peer.stop().len(), 1, "{mode:?}: one query, no retry");
    }
}

#[test]
fn silent_server_times_out_after_every_attempt() {
    for mode in MODES {
        let peer = UdpPeer::start(|_| Vec::new());
        let client = DnsClient::new(peer.addr)
            .with_timeout(Duration::from_millis(300))
            .with_attempts(3);
        match query(mode, &client, "silent.test", RecordType::A) {
            Err(e @ dns::Error::Timeout { attempts: 3, .. }) => assert!(e.is_timeout()),
            other => panic!("{mode:?}: {other:?}"),
        }
        let received = peer.stop();
        assert_eq!(received.len(), 3, "{mode:?}: the server saw every attempt");
        // The retries repeat the same query (same ID), so a late reply still counts.
        assert!(received.iter().all(|q| q == &received[0]), "{mode:?}");
    }
}

#[test]
fn a_reply_to_the_first_attempt_is_accepted_during_a_retry() {
    for mode in MODES {
        // Keeps the first datagram unanswered; when the retry arrives, answers
        // the first one (a late reply). Retries repeat the ID, so it counts.
        let first = Arc::new(std::sync::Mutex::new(None::<Vec<u8>>));
        let peer = UdpPeer::start(move |query| {
            let mut first = first.lock().unwrap();
            match first.as_ref() {
                None => {
                    *first = Some(query.to_vec());
                    Vec::new()
                }
                Some(original) => vec![reply_with_a(original, [127, 0, 0, 4])],
            }
        });
        let client = DnsClient::new(peer.addr)
            .with_timeout(Duration::from_millis(300))
            .with_attempts(3);
        let response = query(mode, &client, "late.test", RecordType::A).unwrap();
        assert_eq!(response.ips(), [ip("127.0.0.4")], "{mode:?}");
        assert_eq!(peer.stop().len(), 2, "{mode:?}");
    }
}

#[test]
fn malformed_reply_is_an_error() {
    for mode in MODES {
        let peer = UdpPeer::start(|query| {
            let mut reply = reply_with_a(query, [1, 2, 3, 4]);
            // The record data claims 200 bytes; 4 follow.
            let at = reply.len() - 5;
            reply[at] = 200;
            vec![reply]
        });
        let client = crafted_client(peer.addr);
        match query(mode, &client, "bad.test", RecordType::A) {
            Err(dns::Error::Malformed(what)) => assert!(what.contains("past the end"), "{what}"),
            other => panic!("{mode:?}: {other:?}"),
        }
    }
}

/// A UDP peer that always answers "truncated", and a TCP listener on the
/// same loopback port (held by this test, so no one else can take it).
fn truncating_udp_and_tcp_listener() -> (UdpPeer, TcpListener) {
    for _ in 0..50 {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let Ok(tcp) = TcpListener::bind(udp.local_addr().unwrap()) else {
            continue;
        };
        let peer = UdpPeer::on(udp, |query| {
            let mut reply = query.to_vec();
            reply[2] |= 0x80 | 0x02; // QR, TC
            vec![reply]
        });
        return (peer, tcp);
    }
    panic!("no loopback port was free for both UDP and TCP in 50 tries");
}

/// Accepts one connection, reads the framed query, then runs `then`.
fn tcp_peer(
    listener: TcpListener,
    then: impl FnOnce(std::net::TcpStream, Vec<u8>) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut length = [0u8; 2];
        conn.read_exact(&mut length).unwrap();
        let mut query = vec![0u8; usize::from(u16::from_be_bytes(length))];
        conn.read_exact(&mut query).unwrap();
        then(conn, query);
    })
}

#[test]
fn tcp_fallback_reads_a_reply_split_across_writes() {
    for mode in MODES {
        let (udp, tcp) = truncating_udp_and_tcp_listener();
        let server = tcp_peer(tcp, |mut conn, query| {
            let reply = reply_with_a(&query, [127, 0, 0, 5]);
            let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&reply);
            // One byte at a time: the codec must reassemble the frame.
            for b in framed {
                conn.write_all(&[b]).unwrap();
                conn.flush().unwrap();
            }
            let mut rest = Vec::new();
            let _ = conn.read_to_end(&mut rest);
        });
        let client = crafted_client(udp.addr);
        let response = query(mode, &client, "split.test", RecordType::A).unwrap();
        assert!(response.over_tcp, "{mode:?}");
        assert_eq!(response.ips(), [ip("127.0.0.5")], "{mode:?}");
        server.join().unwrap();
    }
}

#[test]
fn tcp_fallback_to_a_server_closing_mid_frame_is_a_framing_error() {
    for mode in MODES {
        let (udp, tcp) = truncating_udp_and_tcp_listener();
        let server = tcp_peer(tcp, |mut conn, query| {
            // Announce 100 bytes, send the first 20 of the reply, close.
            let reply = reply_with_a(&query, [127, 0, 0, 6]);
            conn.write_all(&100u16.to_be_bytes()).unwrap();
            conn.write_all(&reply[..20]).unwrap();
        });
        let client = crafted_client(udp.addr);
        match query(mode, &client, "cut.test", RecordType::A) {
            Err(dns::Error::Framing(framing::Error::StreamEndedInFrame { buffered })) => {
                assert!(buffered >= 20, "{buffered}")
            }
            other => panic!("{mode:?}: {other:?}"),
        }
        server.join().unwrap();
    }
}

#[test]
fn tcp_fallback_to_a_silent_server_times_out() {
    for mode in MODES {
        let (udp, tcp) = truncating_udp_and_tcp_listener();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let server = tcp_peer(tcp, move |_conn, _query| {
            // Hold the connection open without answering until the client gave up.
            let _ = done_rx.recv_timeout(Duration::from_secs(60));
        });
        let client = DnsClient::new(udp.addr).with_timeout(Duration::from_millis(300));
        match query(mode, &client, "hold.test", RecordType::A) {
            Err(e @ dns::Error::Timeout { .. }) => assert!(e.is_timeout()),
            other => panic!("{mode:?}: {other:?}"),
        }
        done_tx.send(()).unwrap();
        server.join().unwrap();
    }
}

/// The DNS client as the resolver of the layers above: the HTTP client
/// reaches a name only dnsmasq knows, and a name it does not know is the
/// fetcher's resolve failure (curl's exit 6) and `TcpClient`'s
/// `HostNotFound`, with dnsmasq's NXDOMAIN in the message.
#[test]
fn the_dns_client_resolves_for_the_http_client_the_fetcher_and_tcp_client() {
    use protocols::fetch::{ErrorKind, Fetcher};
    use protocols::http::client::Client;
    use protocols::http::server::{HttpServer, Response, ServerConfig};
    use transport::{ConnectOptions, TcpClient};

    let dnsmasq = start_dnsmasq();
    let web = HttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default(), |_request| {
        Response::new("hello from web.test".into())
    })
    .unwrap();
    let port = web.local_endpoint().as_ip().unwrap().port();
    let builder = || {
        Client::builder()
            .resolver(dnsmasq.client())
            .timeout(Some(TIMEOUT))
    };
    let fetcher = Fetcher::builder()
        .http_clients(builder().build(), builder().build_async())
        .build();
    let options = ConnectOptions::new().resolver(dnsmasq.client());
    for mode in MODES {
        let url = format!("http://web.test:{port}/");
        let text = match mode {
            Mode::Sync => fetcher.download_string(&url),
            Mode::Async => block_on(fetcher.download_string_async(&url)),
        };
        assert_eq!(text.unwrap(), "hello from web.test", "{mode:?}");
        let url = format!("http://missing.test:{port}/");
        let err = match mode {
            Mode::Sync => fetcher.download_string(&url),
            Mode::Async => block_on(fetcher.download_string_async(&url)),
        }
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Resolve, "{mode:?}: {err}");
        assert!(err.to_string().contains("NXDOMAIN"), "{mode:?}: {err}");
        let err = match mode {
            Mode::Sync => TcpClient::connect_with("missing.test", port, &options),
            Mode::Async => block_on(TcpClient::connect_with_async(
                "missing.test",
                port,
                &options,
            )),
        }
        .unwrap_err();
        assert_eq!(
            err.socket_error(),
            Some(sockets::SocketError::HostNotFound),
            "{mode:?}: {err}"
        );
    }
    web.shutdown();
}
