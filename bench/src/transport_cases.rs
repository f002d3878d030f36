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
use crate::harness::{self, BenchResult, Check, Common, Report, Unit};
use crate::sockets_cases::{check_loopback, size_label, std_pair};

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

/// The one contender a `--solo` run measures.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solo {
    /// netstack only.
    Netstack,
    /// The peer (std, tokio, rustls, the stagger, openssl) only.
    Peer,
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
        report.cases.extend(measure(
            args,
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
        report.cases.extend(measure(
            args,
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
        report.cases.extend(measure(
            args,
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
            report.cases.extend(measure(
            args,
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
                report.cases.extend(measure(
            args,
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
                report.cases.extend(measure(
            args,
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

/// One case: [`harness::run_interleaved`], or with `--solo`, one
/// contender's warm-up and samples, printed only (no result to compare).
#[allow(clippy::too_many_arguments)]
fn measure(
    args: &Args,
    case: String,
    unit: Unit,
    peer_name: &'static str,
    rounds: u32,
    command: String,
    peer: impl FnMut() -> BenchResult<f64>,
    netstack: impl FnMut() -> BenchResult<f64>,
) -> BenchResult<Option<harness::CaseResult>> {
    let (who, mut work): (&str, Box<dyn FnMut() -> BenchResult<f64> + '_>) = match args.solo {
        None => {
            return harness::run_interleaved(case, unit, peer_name, rounds, command, peer, netstack)
                .map(Some)
        }
        Some(Solo::Netstack) => ("netstack", Box::new(netstack)),
        Some(Solo::Peer) => (peer_name, Box::new(peer)),
    };
    eprintln!("{case}: {who} alone (--solo), 1 warm-up + {rounds} rounds");
    for round in 0..=rounds {
        let value = work().map_err(|e| format!("{case}: {who}: {e}"))?;
        eprintln!("  {case}: {who:<8} {round:>3} {}", unit.format(value));
    }
    Ok(None)
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

// ----- async TCP bulk -----

/// A connected async stream: the three calls the async bulk workload makes.
trait AsyncStream: Send + 'static {
    /// Writes all of `buf`.
    fn write_all_buf(
        &mut self,
        buf: &[u8],
    ) -> impl std::future::Future<Output = BenchResult<()>> + Send;
    /// One read; 0 means end of stream.
    fn read_some(
        &mut self,
        buf: &mut [u8],
    ) -> impl std::future::Future<Output = BenchResult<usize>> + Send;
    /// Shuts down the sending side.
    fn finish_sending(&mut self) -> impl std::future::Future<Output = BenchResult<()>> + Send;
}

impl AsyncStream for NetworkStream {
    #[inline]
    async fn write_all_buf(&mut self, buf: &[u8]) -> BenchResult<()> {
        Ok(self.write_all_async(buf).await?)
    }

    #[inline]
    async fn read_some(&mut self, buf: &mut [u8]) -> BenchResult<usize> {
        Ok(self.read_async(buf).await?)
    }

    async fn finish_sending(&mut self) -> BenchResult<()> {
        Ok(NetworkStream::shutdown(self, Shutdown::Send)?)
    }
}

impl AsyncStream for tokio::net::TcpStream {
    #[inline]
    async fn write_all_buf(&mut self, buf: &[u8]) -> BenchResult<()> {
        self.write_all(buf)
            .await
            .map_err(|e| format!("tokio write_all: {e}").into())
    }

    #[inline]
    async fn read_some(&mut self, buf: &mut [u8]) -> BenchResult<usize> {
        self.read(buf)
            .await
            .map_err(|e| format!("tokio read: {e}").into())
    }

    async fn finish_sending(&mut self) -> BenchResult<()> {
        self.shutdown()
            .await
            .map_err(|e| format!("tokio shutdown: {e}").into())
    }
}

/// How an async contender makes a connected pair (setup, not timed).
trait AsyncContender {
    type Stream: AsyncStream;
    /// A connected pair (client, server) on 127.0.0.1, `TCP_NODELAY` on both.
    fn pair() -> impl std::future::Future<Output = BenchResult<(Self::Stream, Self::Stream)>> + Send;
}

/// netstack: `TcpListener::accept_async` and `TcpClient::connect_endpoint_async`.
struct NetstackTcp;

impl AsyncContender for NetstackTcp {
    type Stream = NetworkStream;

    async fn pair() -> BenchResult<(NetworkStream, NetworkStream)> {
        let listener = transport::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.start(8)?;
        let endpoint = listener.local_endpoint()?;
        let address = endpoint
            .as_ip()
            .ok_or_else(|| format!("netstack listener has a non-IP endpoint {endpoint}"))?;
        check_loopback(address)?;
        let (client, server) = tokio::join!(
            TcpClient::connect_endpoint_async(address),
            listener.accept_async()
        );
        let (client, server) = (client?.into_stream(), server?);
        client.set_no_delay(true)?;
        server.set_no_delay(true)?;
        Ok((client, server))
    }
}

/// tokio: `tokio::net::TcpListener` and `TcpStream::connect`.
struct TokioTcp;

impl AsyncContender for TokioTcp {
    type Stream = tokio::net::TcpStream;

    async fn pair() -> BenchResult<(tokio::net::TcpStream, tokio::net::TcpStream)> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        check_loopback(address)?;
        let (client, server) =
            tokio::join!(tokio::net::TcpStream::connect(address), listener.accept());
        let (client, (server, _)) = (client?, server?);
        client.set_nodelay(true)?;
        server.set_nodelay(true)?;
        Ok((client, server))
    }
}

/// Async bulk transfer of `total` bytes between two tasks; returns MiB/s.
async fn async_bulk<C: AsyncContender>(total: u64, buffer: usize) -> BenchResult<f64> {
    let (mut sender, mut receiver) = C::pair().await?;
    let mut tasks = JoinSet::new();
    // Dropping the JoinSet (an error, or the sample's timeout) aborts both tasks.
    tasks.spawn(async move {
        let mut buf = vec![0u8; buffer];
        let mut received: u64 = 0;
        for _ in 0..=total {
            let n = receiver
                .read_some(&mut buf)
                .await
                .map_err(|e| format!("receiver after {received} bytes: {e}"))?;
            if n == 0 {
                return Ok::<_, BoxErr>((false, received, Instant::now()));
            }
            received += n as u64;
            if received > total {
                return Err(format!("received {received} bytes, more than {total}").into());
            }
        }
        Err(format!("receiver: no end of stream after {received} bytes").into())
    });
    tasks.spawn(async move {
        let buf = vec![0xA5u8; buffer];
        let start = Instant::now();
        let mut sent: u64 = 0;
        for _ in 0..total.div_ceil(buffer as u64) {
            let len = (total - sent).min(buffer as u64) as usize;
            sender
                .write_all_buf(&buf[..len])
                .await
                .map_err(|e| format!("sender after {sent} bytes: {e}"))?;
            sent += len as u64;
        }
        sender.finish_sending().await?;
        Ok((true, sent, start))
    });
    let (mut sent, mut received) = (None, None);
    while let Some(joined) = tasks.join_next().await {
        match joined.map_err(|e| format!("bulk task: {e}"))?? {
            (true, n, at) => sent = Some((n, at)),
            (false, n, at) => received = Some((n, at)),
        }
    }
    let ((sent, start), (received, end)) = sent.zip(received).ok_or("a bulk task is missing")?;
    if sent != total || received != total {
        return Err(format!(
            "short transfer: sent {sent}, received {received}, expected {total} bytes"
        )
        .into());
    }
    Ok(total as f64 / MIB as f64 / end.duration_since(start).as_secs_f64())
}

// ----- TLS: certificates and configurations -----

/// A self-signed certificate for `localhost` and 127.0.0.1 (ECDSA P-256, by rcgen).
pub(crate) struct Pki {
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
    cert_pem: String,
    key_pem: String,
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

    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

/// rustls on *ring* with one cipher suite: TLS13_AES_128_GCM_SHA256.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
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
trait TlsContender: Sync {
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
struct NetstackTls {
    client: TlsClientConfig,
    server: TlsServerConfig,
}

impl NetstackTls {
    fn new(pki: &Pki, resumption: bool) -> BenchResult<NetstackTls> {
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
struct RustlsStd {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
}

impl RustlsStd {
    fn new(pki: &Pki, resumption: bool) -> BenchResult<RustlsStd> {
        Ok(RustlsStd {
            client: client_config(pki, resumption)?,
            server: server_config(pki)?,
        })
    }

    fn client_handshake(
        &self,
        sock: StdTcpStream,
    ) -> BenchResult<StreamOwned<ClientConnection, StdTcpStream>> {
        let name = ServerName::try_from(SERVER_NAME)?.to_owned();
        let conn = ClientConnection::new(Arc::clone(&self.client), name)?;
        let mut tls = StreamOwned::new(conn, sock);
        rustls_handshake(&mut tls.conn, &mut tls.sock)?;
        Ok(tls)
    }

    fn server_handshake(
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
fn rustls_handshake<D: SideData>(
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

fn rustls_negotiated<D: SideData>(conn: &ConnectionCommon<D>) -> String {
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
fn echo_one(tls: &mut (impl Read + Write)) -> BenchResult<()> {
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
fn suite_check(
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
fn handshakes<C: TlsContender>(
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

fn kind(resumed: bool) -> &'static str {
    if resumed {
        "resumed handshake"
    } else {
        "full handshake"
    }
}

/// Connects (and closes) until a server thread blocked in an accept without
/// timeout has finished; bounded by `timeout`.
fn wake_accept<T>(
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

// ----- Happy Eyeballs -----

/// A listener whose accept queue is full and that never accepts: Linux
/// drops further SYNs, so a connect to it neither succeeds nor fails for a
/// while (as in transport/tests/tcp_udp.rs).
struct Blackhole {
    _listener: Socket,
    _fillers: Vec<Socket>,
}

const BLACKHOLE_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

fn blackhole(port: u16) -> BenchResult<Blackhole> {
    let tcp = || {
        Socket::new(
            AddressFamily::InterNetwork,
            SocketType::Stream,
            ProtocolType::Tcp,
        )
    };
    let listener = tcp()?;
    listener.set_reuse_address(true)?;
    listener.bind((BLACKHOLE_IP, port))?;
    listener.listen(0)?;
    let mut fillers = Vec::new();
    for _ in 0..32 {
        let filler = tcp()?;
        match filler.connect_timeout((BLACKHOLE_IP, port), Duration::from_millis(150)) {
            Ok(()) => fillers.push(filler),
            Err(e) if e.kind() == SocketError::TimedOut => {
                return Ok(Blackhole {
                    _listener: listener,
                    _fillers: fillers,
                })
            }
            Err(e) => {
                return Err(format!("filling the backlog of {BLACKHOLE_IP}:{port}: {e}").into())
            }
        }
    }
    Err(format!(
        "the backlog of {BLACKHOLE_IP}:{port} never filled: this kernel does not drop SYNs on a full accept queue"
    )
    .into())
}

/// Sockets in SYN_SENT towards 127.0.0.2:port, from /proc/net/tcp.
fn syn_sent_to_blackhole(port: u16) -> BenchResult<usize> {
    let table = std::fs::read_to_string("/proc/net/tcp")?;
    let remote = format!("0200007F:{port:04X}");
    Ok(table
        .lines()
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[2] == remote && cols[3] == "02"
        })
        .count())
}

/// The Happy Eyeballs setup: a good listener on 127.0.0.1, a blackhole on
/// 127.0.0.2 at the same port, and options that try 127.0.0.2 first.
struct HappyEyeballs {
    good: transport::TcpListener,
    _hole: Blackhole,
    port: u16,
    stagger: Duration,
    options: ConnectOptions,
}

impl HappyEyeballs {
    fn new(stagger: Duration, timeout: Duration) -> BenchResult<HappyEyeballs> {
        let (good, address) = netstack_listener(timeout)?;
        let port = address.port();
        let hole = blackhole(port)?;
        let options = ConnectOptions::new()
            .resolver(StaticResolver::new(vec![
                IpAddr::V4(BLACKHOLE_IP),
                IpAddr::V4(Ipv4Addr::LOCALHOST),
            ]))
            .stagger(stagger)
            .timeout(Some(timeout));
        Ok(HappyEyeballs {
            good,
            _hole: hole,
            port,
            stagger,
            options,
        })
    }

    /// One synchronous connect; returns its time in milliseconds.
    fn connect_sync(&self) -> BenchResult<f64> {
        let start = Instant::now();
        let client = TcpClient::connect_with("blackholed.test", self.port, &self.options)?;
        let elapsed = start.elapsed();
        self.verify(&client, elapsed)?;
        Ok(elapsed.as_secs_f64() * 1000.0)
    }

    /// One asynchronous connect on the runtime; returns its time in milliseconds.
    fn connect_async(&self, runtime: &Runtime, limit: Duration) -> BenchResult<f64> {
        let (client, elapsed) = runtime.block_on(async {
            let start = Instant::now();
            let connect =
                TcpClient::connect_with_async("blackholed.test", self.port, &self.options);
            match tokio::time::timeout(limit, connect).await {
                Ok(client) => Ok::<_, BoxErr>((client?, start.elapsed())),
                Err(_) => Err(format!("not connected within {limit:?}").into()),
            }
        })?;
        self.verify(&client, elapsed)?;
        Ok(elapsed.as_secs_f64() * 1000.0)
    }

    /// The connect won on 127.0.0.1, after the stagger, with the blackholed
    /// attempt abandoned and its socket closed; the server side is accepted
    /// (and closed) so the good listener's queue stays empty.
    fn verify(&self, client: &TcpClient, elapsed: Duration) -> BenchResult<()> {
        let remote = client.stream().remote_endpoint()?;
        let attempts = client.attempts();
        let ok = remote.as_ip().map(|a| a.ip()) == Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
            && attempts.len() == 2
            && attempts[0].address.ip() == IpAddr::V4(BLACKHOLE_IP)
            && attempts[0].outcome == AttemptOutcome::Abandoned
            && attempts[1].outcome == AttemptOutcome::Connected;
        if !ok {
            return Err(format!("unexpected race to {remote}: {attempts:?}").into());
        }
        if elapsed + Duration::from_millis(1) < self.stagger {
            return Err(format!(
                "connected after {elapsed:?}, before the {:?} stagger",
                self.stagger
            )
            .into());
        }
        drop(self.good.accept()?);
        let lingering = syn_sent_to_blackhole(self.port)?;
        if lingering != 0 {
            return Err(
                format!("{lingering} abandoned attempt(s) to {BLACKHOLE_IP} still open").into(),
            );
        }
        Ok(())
    }
}

// ----- context: the openssl command-line tools -----

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The certificate and key as PEM files, for `openssl s_server`; removed on drop.
struct PemFiles {
    dir: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

impl PemFiles {
    fn write(pki: &Pki) -> BenchResult<PemFiles> {
        let dir = std::env::temp_dir().join(format!("netstack-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, &pki.cert_pem)?;
        std::fs::write(&key, &pki.key_pem)?;
        Ok(PemFiles { dir, cert, key })
    }
}

impl Drop for PemFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A child process killed (by its id) and reaped when dropped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free port on 127.0.0.1 (bound and released; s_server binds it next).
fn free_port() -> BenchResult<u16> {
    let probe = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(probe.local_addr()?.port())
}

fn path_arg(path: &Path) -> BenchResult<&str> {
    path.to_str()
        .ok_or_else(|| format!("{} is not UTF-8", path.display()).into())
}

/// `total` bytes written to `openssl s_client`'s stdin, carried over TLS 1.3
/// (TLS_AES_128_GCM_SHA256) to `openssl s_server`, and counted from its
/// stdout; returns MiB/s from the first byte written to the last counted.
fn openssl_bulk(
    files: &PemFiles,
    total: u64,
    buffer: usize,
    timeout: Duration,
) -> BenchResult<f64> {
    let port = free_port()?;
    let tls13 = ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"];
    let mut server = Reaped(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-naccept", "1", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .args([
                "-cert",
                path_arg(&files.cert)?,
                "-key",
                path_arg(&files.key)?,
            ])
            .args(tls13)
            // s_server also sends what it reads on stdin, and ends the
            // connection at its end: keep it open and silent until the end.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?,
    );
    let _server_in = server.0.stdin.take().ok_or("no s_server stdin")?;
    // Wait (bounded) until s_server listens (quiet mode prints nothing to say so).
    wait_for_port(port, Instant::now() + timeout)?;
    // Drain s_server's stderr so it never blocks on a full pipe.
    let mut server_err = server.0.stderr.take().ok_or("no s_server stderr")?;
    let err_thread = thread::spawn(move || {
        let mut text = String::new();
        let _ = server_err.read_to_string(&mut text);
        text
    });
    let mut server_out = server.0.stdout.take().ok_or("no s_server stdout")?;
    // Timed from the first byte out of s_server (so neither process start-up
    // nor the handshake counts) to the last; the first read's bytes are not counted.
    let counter = thread::spawn(move || -> BenchResult<Counted> {
        let mut buf = vec![0u8; 1 << 16];
        let mut received: u64 = 0;
        let mut first: Option<(u64, Instant)> = None;
        for _ in 0..=total {
            let n = server_out.read(&mut buf)?;
            let now = Instant::now();
            received += n as u64;
            if first.is_none() && n > 0 {
                first = Some((received, now));
            }
            if n == 0 || received >= total {
                return Ok(Counted {
                    received,
                    first,
                    end: now,
                });
            }
        }
        Err(format!("no end after {received} bytes").into())
    });
    let mut client = Reaped(
        Command::new("openssl")
            .args(["s_client", "-quiet", "-no_ign_eof", "-connect"])
            .arg(format!("127.0.0.1:{port}"))
            .args(tls13)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let mut client_in = client.0.stdin.take().ok_or("no s_client stdin")?;
    let buf = vec![0xA5u8; buffer];
    let mut sent: u64 = 0;
    let mut write_error = None;
    for _ in 0..total.div_ceil(buffer as u64) {
        let len = (total - sent).min(buffer as u64) as usize;
        if let Err(e) = client_in.write_all(&buf[..len]) {
            write_error = Some(e);
            break;
        }
        sent += len as u64;
    }
    drop(client_in);
    // Bound the wait for the counter: if the transfer stalls, killing the children ends it.
    let watchdog_deadline = Instant::now() + timeout;
    for _ in 0..(timeout.as_millis() / 10 + 1) {
        if counter.is_finished() || Instant::now() >= watchdog_deadline {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    if !counter.is_finished() {
        drop(client);
        drop(server);
        let _ = counter.join();
        return Err(format!("openssl transfer not finished within {timeout:?}").into());
    }
    let counted = counter.join().map_err(|_| "counter thread panicked")?;
    drop(client);
    drop(server);
    let stderr = err_thread.join().unwrap_or_default();
    if let Some(e) = write_error {
        return Err(format!(
            "writing to s_client after {sent} bytes: {e}; s_server said: {stderr}"
        )
        .into());
    }
    let counted = counted?;
    let (first_bytes, first_at) = counted.first.ok_or("s_server wrote nothing")?;
    if counted.received != total {
        return Err(format!(
            "openssl carried {} of {total} bytes; s_server said: {stderr}",
            counted.received
        )
        .into());
    }
    let seconds = counted.end.duration_since(first_at).as_secs_f64();
    Ok((total - first_bytes) as f64 / MIB as f64 / seconds)
}

/// What the s_server output counter saw.
struct Counted {
    received: u64,
    /// Bytes counted by the first read, and when.
    first: Option<(u64, Instant)>,
    end: Instant,
}

fn wait_for_port(port: u16, deadline: Instant) -> BenchResult<()> {
    for _ in 0..10_000 {
        // A bare probe connection: s_server with -naccept 1 would take it as its one
        // client, so look for the listening socket in /proc instead.
        let table = std::fs::read_to_string("/proc/net/tcp")?;
        let local = format!("0100007F:{port:04X}");
        if table.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[1] == local && cols[3] == "0A"
        }) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    Err(format!("openssl s_server never listened on 127.0.0.1:{port}").into())
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
