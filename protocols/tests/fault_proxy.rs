//! The HTTP client through a proxy that breaks the server's bytes on the
//! way: it resets the connection, cuts it short, stalls it past the
//! client's read timeout, or (over TLS) flips a byte, each at a seeded
//! random point of the response (its head, its framing or its body). The
//! client must never report a wrong body as a success: every request ends
//! with the whole body, byte for byte, or with a typed error.
//!
//! A flipped byte is only tried over TLS. In plain HTTP nothing protects
//! the bytes (TCP's checksum does that, and the proxy sits above it): a
//! changed byte of a body is a different body, which no client can tell.
//! Over TLS every record is authenticated, so the change must be an error.
//! Bodies are framed by length or chunked; a body delimited by the close
//! of the connection cannot tell a cut from its end, in any client.

mod support;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use testkit::{both_modes, Mode};

use protocols::http::client::Client;
use protocols::http::server::{HttpServer, Response, ResponseBody, ServerConfig};
use support::harness::TestClient;
use transport::tls::{TlsClientConfig, TlsServerConfig};
use transport::StaticResolver;

/// The body every request asks for: 48 KiB that no shift or cut preserves.
fn expected_body() -> Vec<u8> {
    (0..48 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

/// A small seeded generator (xorshift64*), so that a failure names the
/// seed that reproduces it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// A reset (RST) at this offset of the server's bytes.
    Reset(usize),
    /// A clean close (FIN) at this offset.
    Cut(usize),
    /// Nothing more after this offset for longer than the client waits.
    Stall(usize),
    /// This byte is XORed with a non-zero mask.
    Flip(usize, u8),
}

/// A proxy on 127.0.0.1 that applies one fault to the next connection's
/// server-to-client bytes. Its accept loop ends with the test.
struct FaultProxy {
    addr: SocketAddr,
    next: Arc<Mutex<Option<Fault>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let next = Arc::new(Mutex::new(None));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (next2, stop2) = (Arc::clone(&next), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stop2.load(std::sync::atomic::Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let fault = next2.lock().unwrap().take();
                        std::thread::spawn(move || relay(client, upstream, fault));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultProxy {
            addr,
            next,
            stop,
            thread: Some(thread),
        }
    }

    fn arm(&self, fault: Fault) {
        *self.next.lock().unwrap() = Some(fault);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How long a stall lasts; the client gives up after `READ_TIMEOUT`.
const STALL: Duration = Duration::from_millis(1500);
const READ_TIMEOUT: Duration = Duration::from_millis(300);

fn relay(client: TcpStream, upstream: SocketAddr, fault: Option<Fault>) {
    let Ok(server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)) else {
        return;
    };
    for stream in [&client, &server] {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = stream.set_nodelay(true);
    }
    let (mut client_in, mut server_out) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    // The request goes through untouched.
    let upward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut server_out);
        let _ = server_out.shutdown(Shutdown::Write);
    });
    downward(server, client, fault);
    let _ = upward.join();
}

/// Copies the response to the client, applying `fault` at its offset.
fn downward(mut server: TcpStream, mut client: TcpStream, fault: Option<Fault>) {
    let mut sent = 0usize;
    let mut buf = [0u8; 8192];
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let piece = &mut buf[..n];
        let end = sent + n;
        match fault {
            Some(Fault::Flip(at, mask)) if (sent..end).contains(&at) => piece[at - sent] ^= mask,
            Some(Fault::Reset(at) | Fault::Cut(at) | Fault::Stall(at)) if at < end => {
                let _ = client.write_all(&piece[..at - sent]);
                match fault {
                    Some(Fault::Reset(_)) => {
                        // SO_LINGER 0: close sends RST instead of FIN.
                        let _ = socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO));
                    }
                    Some(Fault::Stall(_)) => std::thread::sleep(STALL),
                    _ => {}
                }
                let _ = server.shutdown(Shutdown::Both);
                let _ = client.shutdown(Shutdown::Write);
                return;
            }
            _ => {}
        }
        if client.write_all(piece).is_err() {
            break;
        }
        sent = end;
    }
    let _ = client.shutdown(Shutdown::Write);
}

/// The origin: netstack's own server, the body by length or chunked.
fn origin(tls: Option<TlsServerConfig>) -> HttpServer {
    let mut config = ServerConfig::default().shutdown_grace(Duration::from_secs(2));
    if let Some(tls) = tls {
        config = config.tls(tls);
    }
    HttpServer::bind((Ipv4Addr::LOCALHOST, 0), config, |request| {
        let body = expected_body();
        match request.uri().path() {
            "/chunked" => Response::new(ResponseBody::from_reader(std::io::Cursor::new(body))),
            _ => Response::new(body.into()),
        }
    })
    .unwrap()
}

/// Runs `rounds` requests, each through one seeded fault, alternating the
/// two framings; returns how many requests got the whole body and how many
/// failed.
fn run_faults(mode: Mode, tls: bool, rounds: u64, seed: u64) -> (usize, usize) {
    let cert = testkit::cert::self_signed(&["localhost"]);
    let server_tls = tls.then(|| {
        TlsServerConfig::builder()
            .certificate_pem(&cert.cert, cert.key.clone())
            .build()
            .unwrap()
    });
    let server = origin(server_tls);
    let proxy = FaultProxy::start(server.local_endpoint().as_ip().unwrap());
    let mut builder = Client::builder()
        .read_timeout(Some(READ_TIMEOUT))
        .write_timeout(Some(Duration::from_secs(5)))
        .connect_timeout(Some(Duration::from_secs(5)))
        .timeout(Some(Duration::from_secs(10)))
        // Each request on a connection of its own: the fault belongs to it.
        .pool_max_idle_per_host(0)
        .resolver(StaticResolver::new(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]));
    if tls {
        builder = builder.tls_config(
            TlsClientConfig::builder()
                .add_root_certificates_pem(&cert.cert)
                .build()
                .unwrap(),
        );
    }
    let client = TestClient::new(mode, builder);
    let scheme = if tls { "https" } else { "http" };
    let expected = expected_body();
    let mut rng = Rng(seed);
    let (mut whole, mut failed) = (0, 0);
    for round in 0..rounds {
        let path = if round % 2 == 0 {
            "/length"
        } else {
            "/chunked"
        };
        // The response is the body plus a head and framing under 2 KiB.
        let at = rng.below(expected.len() as u64 + 2048) as usize;
        let kinds = if tls { 4 } else { 3 };
        let fault = match rng.below(kinds) {
            0 => Fault::Reset(at),
            1 => Fault::Cut(at),
            2 if rng.below(8) == 0 => Fault::Stall(at),
            2 => Fault::Cut(at),
            _ => Fault::Flip(at, 1 + rng.below(255) as u8),
        };
        proxy.arm(fault);
        let url = format!("{scheme}://localhost:{}{path}", proxy.addr.port());
        let context = format!("seed {seed}, round {round}, {path}, {fault:?}");
        match client.get(&url) {
            Ok(got) => match got.body {
                Ok(body) => {
                    assert_eq!(got.status, 200, "{context}");
                    assert!(
                        body == expected,
                        "{context}: a wrong body of {} bytes was reported as a success",
                        body.len()
                    );
                    whole += 1;
                }
                Err(error) => {
                    assert_sentence(&error.to_string(), &context);
                    failed += 1;
                }
            },
            Err(error) => {
                assert_sentence(&error.to_string(), &context);
                failed += 1;
            }
        }
    }
    server.shutdown();
    (whole, failed)
}

/// An error for a user: a sentence that names the layer, not a debug dump.
fn assert_sentence(message: &str, context: &str) {
    assert!(
        message.contains(": ") && !message.contains("{ ") && !message.is_empty(),
        "{context}: the error reads {message:?}"
    );
}

fn faults_over_plain_http_are_errors_or_the_whole_body(mode: Mode) {
    let (whole, failed) = run_faults(mode, false, 120, 0x5eed_0001);
    // Faults past the end of the response leave it whole; the rest fail.
    assert!(whole > 0 && failed > 0, "whole {whole}, failed {failed}");
}

fn faults_over_tls_are_errors_or_the_whole_body(mode: Mode) {
    let (whole, failed) = run_faults(mode, true, 120, 0x5eed_0002);
    assert!(whole > 0 && failed > 0, "whole {whole}, failed {failed}");
}

both_modes!(
    faults_over_plain_http_are_errors_or_the_whole_body,
    faults_over_tls_are_errors_or_the_whole_body,
);
