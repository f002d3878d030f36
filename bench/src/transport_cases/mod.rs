//! Layer 2: netstack's transport layer (`NetworkStream`, `TlsStream`,
//! `TcpClient`'s Happy Eyeballs) against std, tokio and plain rustls, over
//! loopback.
//!
//! - **bulk**: 1 GiB over one TCP connection, `NetworkStream` (made by
//!   `TcpListener` and `TcpClient`) against `std::net::TcpStream`. A sender
//!   thread `write_all`s 64 KiB buffers (std `Write`) and shuts down its
//!   side; a receiver thread `read`s 64 KiB at a time until end of stream.
//!   MiB/s, from the first write until the receiver sees end of stream.
//! - **async-bulk**: the same transfer as two tasks on one multi-thread
//!   tokio runtime (2 workers by default, shared by both contenders):
//!   `NetworkStream::write_all_async`/`read_async` against
//!   `tokio::net::TcpStream`'s `write_all`/`read`.
//! - **tls-bulk**: the same transfer through TLS 1.3 with
//!   `TLS13_AES_128_GCM_SHA256` forced on both sides: `TlsStream` over
//!   `NetworkStream` (client sends, server receives) against rustls's own
//!   `StreamOwned` over `std::net::TcpStream`. Both use the same rustls
//!   (0.23, *ring*), configurations built by the same function (netstack's
//!   through `TlsClientConfig::from_rustls`/`TlsServerConfig::from_rustls`,
//!   since its builder does not restrict cipher suites) and a certificate
//!   made with rcgen at start. The handshake is outside the timed part; the
//!   sender ends with `close_notify` and the receiver must read a clean end
//!   of stream (`Ok(0)`), so a truncated transfer is an error.
//! - **handshakes**: TLS 1.3 handshakes per second, full (the client's
//!   session resumption off) and resumed (one shared client configuration
//!   whose session cache holds the server's tickets). Each handshake is a
//!   new TCP connection (netstack: `TcpClient::connect_endpoint` and
//!   `TcpListener::accept`; the peer: std's connect and accept), the TLS
//!   handshake on both sides, and a 1-byte echo (so the client has
//!   processed the server's tickets). A server thread accepts; every
//!   handshake's kind (full or resumed) is checked on both sides.
//! - **happy-eyeballs**: the time `TcpClient::connect_with` takes when the
//!   first address of two is blackholed: a listener on 127.0.0.2 whose
//!   accept queue is full (Linux drops further SYNs), on the same port as a
//!   good listener on 127.0.0.1, and a `StaticResolver` answering
//!   `[127.0.0.2, 127.0.0.1]`. The "peer" is the configured stagger itself,
//!   so the ratio is time/stagger (1.0 would be no overhead at all). Sync,
//!   and async on the tokio runtime; each connect is checked to have won on
//!   127.0.0.1 with the first attempt abandoned and its socket closed.
//! - **openssl** (context, not a target): `openssl s_server` and
//!   `openssl s_client` (TLS 1.3, `TLS_AES_128_GCM_SHA256`) carrying 1 GiB
//!   written to `s_client`'s stdin and counted from `s_server`'s stdout,
//!   interleaved with netstack's TLS bulk sample. The command-line tools
//!   read stdin in small pieces and copy through two pipes, so this is what
//!   the tools do, not what libssl can do.
//!
//! Every socket has a read and a write timeout (the async samples are
//! bounded as a whole instead, as in the `async` subcommand), every loop is
//! bounded, and every byte count is checked.
//!
//! A hidden `--solo netstack|peer` flag runs one contender only, for
//! profiling it alone (`perf stat`, `perf record`, `strace -c`).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown as StdShutdown, SocketAddr, TcpStream as StdTcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use rustls::client::Resumption;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, ConnectionCommon, HandshakeKind, RootCertStore, ServerConfig,
    ServerConnection, SideData, StreamOwned,
};
use sockets::{AddressFamily, ProtocolType, Shutdown, Socket, SocketError, SocketType};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;
use transport::tls::{TlsClientConfig, TlsServerConfig, TlsStream, TlsVersion};
use transport::{AttemptOutcome, ConnectOptions, NetworkStream, StaticResolver, TcpClient};

use crate::async_cases;
use crate::harness::{self, BenchResult, Check, Common, Report, Solo, Unit};
use crate::sockets_cases::{check_loopback, size_label, std_pair};

mod async_bulk;
mod happy_eyeballs;
mod openssl;
mod tls;

use async_bulk::*;
use happy_eyeballs::*;
use openssl::*;
use tls::*;
pub(crate) use tls::{client_config, server_config, Pki};

const MIB: u64 = 1024 * 1024;

type BoxErr = harness::BoxError;

/// The name the certificate is for, and the client asks for.
const SERVER_NAME: &str = "localhost";

/// The only cipher suite either side offers, by its IANA name.
const SUITE_NAME: &str = "TLS13_AES_128_GCM_SHA256";

/// Upper bound on the I/O turns of one rustls handshake (a TLS 1.3
/// handshake takes a handful).
const MAX_HANDSHAKE_TURNS: usize = 64;

/// Which of the transport cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Every case (openssl only if `openssl` is on the PATH).
    All,
    /// TCP bulk, NetworkStream vs std::net::TcpStream.
    Bulk,
    /// TCP bulk, async: NetworkStream vs tokio::net::TcpStream.
    AsyncBulk,
    /// TLS 1.3 bulk: `TlsStream<NetworkStream>` vs rustls `StreamOwned<_, std TcpStream>`.
    TlsBulk,
    /// TLS 1.3 handshakes per second, full and resumed.
    Handshakes,
    /// Happy Eyeballs: connect time with the first address blackholed, vs the stagger.
    HappyEyeballs,
    /// Context: openssl s_server/s_client carrying the TLS bulk transfer.
    Openssl,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::All => "all",
            Case::Bulk => "bulk",
            Case::AsyncBulk => "async-bulk",
            Case::TlsBulk => "tls-bulk",
            Case::Handshakes => "handshakes",
            Case::HappyEyeballs => "happy-eyeballs",
            Case::Openssl => "openssl",
        }
    }
}

/// Options of `bench transport`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,

    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,

    /// Bulk cases: MiB sent per run.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub bulk_mib: u64,

    /// Bulk cases: size of each write and read buffer, in KiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=16_384))]
    pub buffer_kib: u64,

    /// Async cases: worker threads of the tokio runtime (multi-thread) that runs both contenders.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: u64,

    /// Async cases: upper bound, in seconds, on one sample (connection setup included).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub case_timeout_secs: u64,

    /// Handshakes: handshakes per sample (each on a new TCP connection).
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub handshakes: u64,

    /// Happy Eyeballs: the staggers to measure, in milliseconds (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [250u64, 100], value_parser = clap::value_parser!(u64).range(10..=2_000))]
    pub staggers_ms: Vec<u64>,

    /// Happy Eyeballs: connects measured per stagger and mode (after one warm-up).
    #[arg(long, default_value_t = 21, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub connects: u32,

    /// For profiling (`perf`, `strace -c`): run only this contender's
    /// samples and print them, without a comparison.
    #[arg(long, value_enum, hide = true)]
    pub solo: Option<Solo>,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            common: Common {
                rounds: 5,
                timeout_secs: 30,
            },
            case: Case::All,
            bulk_mib: 1024,
            buffer_kib: 64,
            workers: 2,
            case_timeout_secs: 120,
            handshakes: 1_000,
            staggers_ms: vec![250, 100],
            connects: 21,
            solo: None,
        }
    }
}

impl Args {
    /// The command line that runs one case with these options (defaults left out).
    fn command(&self, case: Case) -> String {
        let d = Args::default();
        let mut cmd = format!(
            "cargo run -p bench --release -- transport --case {}",
            case.name()
        );
        let mut flag = |changed: bool, name: &str, value: String| {
            if changed {
                cmd += &format!(" --{name} {value}");
            }
        };
        if case != Case::HappyEyeballs {
            flag(
                self.common.rounds != d.common.rounds,
                "rounds",
                self.common.rounds.to_string(),
            );
        }
        flag(
            self.common.timeout_secs != d.common.timeout_secs,
            "timeout-secs",
            self.common.timeout_secs.to_string(),
        );
        match case {
            Case::Bulk | Case::AsyncBulk | Case::TlsBulk | Case::Openssl => {
                flag(
                    self.bulk_mib != d.bulk_mib,
                    "bulk-mib",
                    self.bulk_mib.to_string(),
                );
                flag(
                    self.buffer_kib != d.buffer_kib,
                    "buffer-kib",
                    self.buffer_kib.to_string(),
                );
            }
            Case::Handshakes => flag(
                self.handshakes != d.handshakes,
                "handshakes",
                self.handshakes.to_string(),
            ),
            Case::HappyEyeballs => {
                flag(
                    self.staggers_ms != d.staggers_ms,
                    "staggers-ms",
                    self.staggers_ms
                        .iter()
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                );
                flag(
                    self.connects != d.connects,
                    "connects",
                    self.connects.to_string(),
                );
            }
            Case::All => {}
        }
        if matches!(case, Case::AsyncBulk | Case::HappyEyeballs) {
            flag(
                self.workers != d.workers,
                "workers",
                self.workers.to_string(),
            );
            flag(
                self.case_timeout_secs != d.case_timeout_secs,
                "case-timeout-secs",
                self.case_timeout_secs.to_string(),
            );
        }
        cmd
    }

    fn wants(&self, case: Case) -> bool {
        self.case == Case::All || self.case == case
    }

    fn case_timeout(&self) -> Duration {
        Duration::from_secs(self.case_timeout_secs)
    }
}

/// Runs the selected cases and checks.
pub fn run(args: &Args) -> BenchResult<Report> {
    let mut report = Report::default();
    let timeout = args.common.timeout();
    let rounds = args.common.rounds;
    let total = args.bulk_mib * MIB;
    let buffer = usize::try_from(args.buffer_kib * 1024)?;
    let size = size_label(args.bulk_mib);
    let kib = args.buffer_kib;

    if args.wants(Case::Bulk) {
        report.cases.extend(harness::measure(
            args.solo,
            format!("TCP bulk {size}, {kib} KiB buffers: NetworkStream (sync)"),
            Unit::rate("MiB/s", 1),
            "std",
            rounds,
            args.command(Case::Bulk),
            || {
                let (client, server) = std_pair(true, timeout)?;
                bulk(client, server, total, buffer)
            },
            || {
                let (client, server) = netstack_tcp_pair(timeout)?;
                bulk(client, server, total, buffer)
            },
        )?);
    }

    let needs_runtime = args.wants(Case::AsyncBulk) || args.wants(Case::HappyEyeballs);
    let runtime = if needs_runtime {
        eprintln!(
            "tokio runtime: multi-thread, {} worker threads, shared by both contenders",
            args.workers
        );
        Some(async_cases::runtime(args.workers)?)
    } else {
        None
    };
    let limit = args.case_timeout();

    if let (true, Some(rt)) = (args.wants(Case::AsyncBulk), &runtime) {
        report.cases.extend(harness::measure(
            args.solo,
            format!(
                "async TCP bulk {size}, {kib} KiB buffers, {} workers: NetworkStream read_async/write_all_async",
                args.workers
            ),
            Unit::rate("MiB/s", 1),
            "tokio",
            rounds,
            args.command(Case::AsyncBulk),
            || async_cases::sample(rt, limit, || async_bulk::<TokioTcp>(total, buffer)),
            || async_cases::sample(rt, limit, || async_bulk::<NetstackTcp>(total, buffer)),
        )?);
    }

    let wants_tls = args.wants(Case::TlsBulk)
        || args.wants(Case::Handshakes)
        || (args.wants(Case::Openssl) && (args.case == Case::Openssl || openssl_available()));
    let pki = if wants_tls {
        Some(Pki::generate()?)
    } else {
        None
    };

    if let (true, Some(pki)) = (args.wants(Case::TlsBulk), &pki) {
        let netstack = NetstackTls::new(pki, true)?;
        let peer = RustlsStd::new(pki, true)?;
        report
            .checks
            .push(suite_check(&netstack, &peer, args, timeout)?);
        report.cases.extend(harness::measure(
            args.solo,
            format!(
                "TLS 1.3 bulk {size}, AES-128-GCM, {kib} KiB buffers: TlsStream<NetworkStream>"
            ),
            Unit::rate("MiB/s", 1),
            "rustls",
            rounds,
            args.command(Case::TlsBulk),
            || {
                let (client, server) = peer.pair(timeout)?;
                bulk(client, server, total, buffer)
            },
            || {
                let (client, server) = netstack.pair(timeout)?;
                bulk(client, server, total, buffer)
            },
        )?);
    }

    if let (true, Some(pki)) = (args.wants(Case::Handshakes), &pki) {
        let count = args.handshakes;
        for resumed in [false, true] {
            let netstack = NetstackTls::new(pki, resumed)?;
            let peer = RustlsStd::new(pki, resumed)?;
            let kind = if resumed { "resumed" } else { "full" };
            report.cases.extend(harness::measure(
            args.solo,
                format!(
                    "TLS 1.3 {kind} handshakes ({count} per sample: TCP connect, handshake, 1-byte echo): TlsStream"
                ),
                Unit::rate("handshakes/s", 0),
                "rustls",
                rounds,
                args.command(Case::Handshakes),
                || handshakes(&peer, count, resumed, timeout),
                || handshakes(&netstack, count, resumed, timeout),
            )?);
        }
    }

    if let (true, Some(rt)) = (args.wants(Case::HappyEyeballs), &runtime) {
        for &stagger_ms in &args.staggers_ms {
            let stagger = Duration::from_millis(stagger_ms);
            let setup = HappyEyeballs::new(stagger, timeout)?;
            for mode in ["sync", "async"] {
                report.cases.extend(harness::measure(
            args.solo,
                    format!(
                        "Happy Eyeballs connect, 1st of 2 addresses blackholed, stagger {stagger_ms} ms, {mode}"
                    ),
                    Unit::cost("ms", 1),
                    "stagger",
                    args.connects,
                    args.command(Case::HappyEyeballs),
                    || Ok(stagger_ms as f64),
                    || match mode {
                        "sync" => setup.connect_sync(),
                        _ => setup.connect_async(rt, limit),
                    },
                )?);
            }
        }
    }

    if args.wants(Case::Openssl) {
        match (&pki, openssl_available()) {
            (Some(pki), true) => {
                let netstack = NetstackTls::new(pki, true)?;
                let files = PemFiles::write(pki)?;
                report.cases.extend(harness::measure(
            args.solo,
                    format!(
                        "context: TLS 1.3 bulk {size}, AES-128-GCM: TlsStream<NetworkStream> vs openssl s_server/s_client over pipes"
                    ),
                    Unit::rate("MiB/s", 1),
                    "openssl CLI",
                    rounds,
                    args.command(Case::Openssl),
                    || openssl_bulk(&files, total, buffer, timeout),
                    || {
                        let (client, server) = netstack.pair(timeout)?;
                        bulk(client, server, total, buffer)
                    },
                )?);
            }
            _ if args.case == Case::Openssl => {
                return Err("the openssl case needs `openssl` on the PATH".into())
            }
            _ => eprintln!("openssl not found on the PATH: the openssl context case is skipped"),
        }
    }
    Ok(report)
}

// ----- sync streams: TCP and TLS behind one interface -----

/// A connected byte stream as the sync bulk workload uses it: std
/// `Read`/`Write` plus "finish sending" (TCP: shut down the write side;
/// TLS: `close_notify`, then that).
pub(crate) trait SyncStream: Read + Write + Send + 'static {
    /// Ends the sending side: the peer's reads then end cleanly.
    fn finish_sending(&mut self) -> BenchResult<()>;
}

impl SyncStream for StdTcpStream {
    fn finish_sending(&mut self) -> BenchResult<()> {
        self.shutdown(StdShutdown::Write)
            .map_err(|e| format!("std shutdown: {e}").into())
    }
}

impl SyncStream for NetworkStream {
    fn finish_sending(&mut self) -> BenchResult<()> {
        Ok(NetworkStream::shutdown(self, Shutdown::Send)?)
    }
}

impl SyncStream for TlsStream<NetworkStream> {
    fn finish_sending(&mut self) -> BenchResult<()> {
        Ok(self.shutdown()?)
    }
}

impl<C, D> SyncStream for StreamOwned<C, StdTcpStream>
where
    C: std::ops::DerefMut<Target = ConnectionCommon<D>> + Send + 'static,
    D: SideData + Send + 'static,
{
    fn finish_sending(&mut self) -> BenchResult<()> {
        self.conn.send_close_notify();
        self.flush()
            .map_err(|e| format!("rustls close_notify: {e}"))?;
        self.sock
            .shutdown(StdShutdown::Write)
            .map_err(|e| format!("std shutdown: {e}").into())
    }
}

/// A connected netstack TCP pair (client, server) on 127.0.0.1, made by
/// `TcpListener` and `TcpClient`, with timeouts and `TCP_NODELAY` set.
fn netstack_tcp_pair(timeout: Duration) -> BenchResult<(NetworkStream, NetworkStream)> {
    let (listener, address) = netstack_listener(timeout)?;
    let client = TcpClient::connect_endpoint(address)?.into_stream();
    let server = listener.accept()?;
    for stream in [&client, &server] {
        configure_sync(stream, timeout)?;
    }
    Ok((client, server))
}

/// A listening netstack `TcpListener` on 127.0.0.1 whose accept is bounded by `timeout`.
fn netstack_listener(timeout: Duration) -> BenchResult<(transport::TcpListener, SocketAddr)> {
    let listener = transport::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.start(128)?;
    listener.server().set_receive_timeout(Some(timeout))?;
    let endpoint = listener.local_endpoint()?;
    let address = endpoint
        .as_ip()
        .ok_or_else(|| format!("netstack listener has a non-IP endpoint {endpoint}"))?;
    check_loopback(address)?;
    Ok((listener, address))
}

fn configure_sync(stream: &NetworkStream, timeout: Duration) -> BenchResult<()> {
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.set_no_delay(true)?;
    Ok(())
}

fn configure_std(stream: &StdTcpStream, timeout: Duration) -> BenchResult<()> {
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.set_nodelay(true)?;
    Ok(())
}

/// Bulk transfer of `total` bytes from `sender` to `receiver` (a thread),
/// `write_all` of `buffer`-sized pieces; returns MiB/s.
fn bulk<S: SyncStream, R: SyncStream>(
    mut sender: S,
    mut receiver: R,
    total: u64,
    buffer: usize,
) -> BenchResult<f64> {
    let barrier = Arc::new(Barrier::new(2));
    let receiver_barrier = Arc::clone(&barrier);
    // The receiver owns its stream: if it fails, dropping the stream ends the sender.
    let receiver_thread = thread::spawn(move || -> BenchResult<(u64, Instant)> {
        let mut buf = vec![0u8; buffer];
        receiver_barrier.wait();
        let mut received: u64 = 0;
        // Every read but the last (end of stream) returns at least one byte.
        for _ in 0..=total {
            let n = receiver
                .read(&mut buf)
                .map_err(|e| format!("read after {received} bytes: {e}"))?;
            if n == 0 {
                return Ok((received, Instant::now()));
            }
            received += n as u64;
            if received > total {
                return Err(
                    format!("received {received} bytes, more than the {total} sent").into(),
                );
            }
        }
        Err(format!("no end of stream after {received} bytes").into())
    });

    let buf = vec![0xA5u8; buffer];
    barrier.wait();
    let start = Instant::now();
    let mut sent: u64 = 0;
    let mut send_error: Option<BoxErr> = None;
    for _ in 0..total.div_ceil(buffer as u64) {
        let len = (total - sent).min(buffer as u64) as usize;
        if let Err(e) = sender.write_all(&buf[..len]) {
            send_error = Some(format!("write after {sent} bytes: {e}").into());
            break;
        }
        sent += len as u64;
    }
    // End the stream whatever happened, so the receiver finishes.
    let finish = sender.finish_sending();
    let received = receiver_thread
        .join()
        .map_err(|_| "bulk receiver thread panicked")?;
    if let Some(e) = send_error {
        return Err(format!("sender: {e}").into());
    }
    finish.map_err(|e| format!("sender finishing: {e}"))?;
    let (received, end) = received.map_err(|e| format!("receiver: {e}"))?;
    // The sender is dropped (and its socket closed) only now, after the receiver is done.
    drop(sender);
    if sent != total || received != total {
        return Err(format!(
            "short transfer: sent {sent}, received {received}, expected {total} bytes"
        )
        .into());
    }
    let seconds = end.duration_since(start).as_secs_f64();
    Ok(total as f64 / MIB as f64 / seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(10);

    #[test]
    fn tcp_bulk_moves_every_byte_with_both_contenders() {
        let total = 3 * MIB + 17;
        let (a, b) = std_pair(true, TIMEOUT).unwrap();
        assert!(bulk(a, b, total, 64 * 1024).unwrap() > 0.0);
        let (a, b) = netstack_tcp_pair(TIMEOUT).unwrap();
        assert!(bulk(a, b, total, 64 * 1024).unwrap() > 0.0);
    }

    #[test]
    fn async_bulk_moves_every_byte_with_both_contenders() {
        let rt = async_cases::runtime(2).unwrap();
        let limit = Duration::from_secs(30);
        let total = 3 * MIB + 17;
        let tokio = async_cases::sample(&rt, limit, || async_bulk::<TokioTcp>(total, 65536));
        assert!(tokio.unwrap() > 0.0);
        let ours = async_cases::sample(&rt, limit, || async_bulk::<NetstackTcp>(total, 65536));
        assert!(ours.unwrap() > 0.0);
    }

    #[test]
    fn tls_bulk_moves_every_byte_with_the_one_suite() {
        let pki = Pki::generate().unwrap();
        let total = 3 * MIB + 17;
        let netstack = NetstackTls::new(&pki, true).unwrap();
        let (a, b) = netstack.pair(TIMEOUT).unwrap();
        assert_eq!(NetstackTls::negotiated(&a), format!("TLSv1.3 {SUITE_NAME}"));
        assert!(bulk(a, b, total, 64 * 1024).unwrap() > 0.0);
        let peer = RustlsStd::new(&pki, true).unwrap();
        let (a, b) = peer.pair(TIMEOUT).unwrap();
        assert_eq!(RustlsStd::negotiated(&a), format!("TLSv1.3 {SUITE_NAME}"));
        assert!(bulk(a, b, total, 64 * 1024).unwrap() > 0.0);
    }

    #[test]
    fn a_tls_stream_cut_without_close_notify_is_an_error_not_a_sample() {
        let pki = Pki::generate().unwrap();
        let netstack = NetstackTls::new(&pki, true).unwrap();
        let (client, mut server) = netstack.pair(TIMEOUT).unwrap();
        // The TCP stream ends, but no close_notify was sent.
        client.get_ref().shutdown(Shutdown::Send).unwrap();
        let mut buf = [0u8; 16];
        assert!(std::io::Read::read(&mut server, &mut buf).is_err());
    }

    #[test]
    fn handshakes_are_full_or_resumed_as_asked_with_both_contenders() {
        let pki = Pki::generate().unwrap();
        for resumed in [false, true] {
            let netstack = NetstackTls::new(&pki, resumed).unwrap();
            assert!(handshakes(&netstack, 5, resumed, TIMEOUT).unwrap() > 0.0);
            let peer = RustlsStd::new(&pki, resumed).unwrap();
            assert!(handshakes(&peer, 5, resumed, TIMEOUT).unwrap() > 0.0);
        }
        // A client without resumption cannot pass for a resumed run.
        let full_only = RustlsStd::new(&pki, false).unwrap();
        assert!(handshakes(&full_only, 2, true, TIMEOUT).is_err());
    }

    #[test]
    fn happy_eyeballs_skips_the_blackhole_in_both_modes() {
        let rt = async_cases::runtime(2).unwrap();
        let he = HappyEyeballs::new(Duration::from_millis(50), TIMEOUT).unwrap();
        assert!(he.connect_sync().unwrap() >= 49.0);
        assert!(he.connect_async(&rt, TIMEOUT).unwrap() >= 49.0);
    }

    #[test]
    fn command_lists_only_changed_options() {
        let mut args = Args::default();
        assert_eq!(
            args.command(Case::TlsBulk),
            "cargo run -p bench --release -- transport --case tls-bulk"
        );
        args.handshakes = 200;
        args.staggers_ms = vec![100];
        args.bulk_mib = 64;
        assert_eq!(
            args.command(Case::Handshakes),
            "cargo run -p bench --release -- transport --case handshakes --handshakes 200"
        );
        assert_eq!(
            args.command(Case::HappyEyeballs),
            "cargo run -p bench --release -- transport --case happy-eyeballs --staggers-ms 100"
        );
    }
}
