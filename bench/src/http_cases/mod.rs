//! Layer 3: netstack's HTTP/1.1 client against ureq, reqwest, curl and a
//! raw `NetworkStream`, all against one local server over loopback.
//!
//! The server of the plain-http client cases is nginx (Debian's
//! `nginx-light`; one worker, `sendfile`, started here with a config of its
//! own) when it is installed, else — or with `--netstack-origin` —
//! netstack's own synchronous `HttpServer` on 127.0.0.1. Either answers
//! `GET /1k` with a fixed 1 KiB body and `GET /download` with
//! `--download-mib` MiB (1 GiB by default) with its `Content-Length`: files
//! of those bytes for nginx; for netstack's server, streamed from one 64 KiB
//! piece in memory. Every contender talks to the same server. The HTTPS
//! download uses netstack's server with TLS.
//!
//! - **keepalive**: `--requests` sequential GETs of `/1k` over one
//!   keep-alive connection per sample, netstack's `Client` against `ureq`
//!   (an `Agent`). Requests per second, and the p99 latency of the
//!   sample's requests (a second row, lower is better).
//! - **async-keepalive**: the same with netstack's `AsyncClient` against
//!   `reqwest`, the request loop one task on a multi-thread tokio runtime
//!   (`--workers`, 2 by default) shared by both contenders.
//! - **download**: one GET of `/download` read to the end in 64 KiB reads,
//!   netstack's `Client` against `ureq`, against `curl -s -o /dev/null`
//!   (spawned; timed from spawn to exit, so process start-up is counted
//!   against curl), and against a raw `NetworkStream` that writes the same
//!   request, skips the response head and counts the body (no HTTP
//!   parsing beyond the head). MiB/s.
//! - **hyper-keepalive**: async-keepalive again, against hyper-util's
//!   legacy `Client` (hyper 1.x, http1).
//! - **https-download**: the download from a second `HttpServer` with TLS
//!   (rcgen certificate, rustls/ring, TLS 1.3, one suite), netstack's
//!   `Client` against reqwest with `rustls-tls`. MiB/s.
//! - **server**: `wrk` (`--wrk-threads`, `--connections`,
//!   `--duration-secs` per sample) against netstack's `AsyncHttpServer`
//!   and against a hyper 1.x server, wrk's Requests/sec, in three rows:
//!   netstack's server spawned on the tokio runtime against hyper on the
//!   same runtime; netstack's server on its own thread under
//!   `sockets::block_on` against hyper on a current-thread runtime on its
//!   own thread (one thread each, the fair pair); and the same netstack
//!   server against hyper on the shared runtime's workers. Skipped when
//!   `wrk` is missing.
//!
//! Every request has a timeout (`--timeout-secs` as each client's overall
//! deadline, curl's `--max-time`; the async samples are also bounded as a
//! whole by `--case-timeout-secs`), every loop is bounded, and every
//! response is checked: status 200, the exact body for `/1k`, and for the
//! download the exact length and the first 64 KiB byte for byte.

use std::borrow::Cow;
use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use protocols::http::client::{AsyncClient, Client};
use protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, AsyncResponseBody, HttpServer, Request, Response,
    ResponseBody, ServerConfig, ShutdownHandle,
};
use tokio::runtime::Runtime;
use transport::tls::{TlsClientConfig, TlsServerConfig};
use transport::{NetworkStream, TcpClient};

use crate::async_cases;
use crate::cli_cases;
use crate::harness::{self, BenchResult, CaseResult, Common, Report, Solo, Unit};
use crate::sockets_cases::{check_loopback, size_label};
use crate::transport_cases::{client_config, server_config, Pki};

mod downloads;
mod server;
mod server_bench;

use downloads::*;
use server::*;
use server_bench::*;

const MIB: u64 = 1024 * 1024;

/// The size of the small body, and of the piece the download is made of.
const SMALL_LEN: usize = 1024;
const PIECE_LEN: usize = 64 * 1024;

/// Byte `i` of every body: a pattern that is not all zeros, so a body
/// with shifted or missing bytes is told apart.
const fn pattern_byte(i: usize) -> u8 {
    (i % 251) as u8
}

const fn pattern<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = pattern_byte(i);
        i += 1;
    }
    out
}

/// The `/1k` body.
static SMALL: [u8; SMALL_LEN] = pattern::<SMALL_LEN>();
/// The download is this piece repeated (byte `i` is `PIECE[i % PIECE_LEN]`).
static PIECE: [u8; PIECE_LEN] = pattern::<PIECE_LEN>();

/// Which of the http cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Every case (the curl download only if `curl` is on the PATH).
    All,
    /// Sequential keep-alive GET of 1 KiB: Client vs ureq.
    Keepalive,
    /// Sequential keep-alive GET of 1 KiB: AsyncClient vs reqwest, on tokio.
    AsyncKeepalive,
    /// 1 GiB download: Client vs ureq, vs curl, vs a raw NetworkStream read.
    Download,
    /// Server: keep-alive GET of 1 KiB driven by wrk, AsyncHttpServer vs hyper (skipped without wrk).
    Server,
    /// HTTPS 1 GiB download from the TLS HttpServer: Client vs reqwest (rustls).
    HttpsDownload,
    /// Sequential keep-alive GET of 1 KiB: AsyncClient vs hyper-util's legacy Client.
    HyperKeepalive,
}

impl Case {
    fn name(self) -> &'static str {
        match self {
            Case::All => "all",
            Case::Keepalive => "keepalive",
            Case::AsyncKeepalive => "async-keepalive",
            Case::Download => "download",
            Case::Server => "server",
            Case::HttpsDownload => "https-download",
            Case::HyperKeepalive => "hyper-keepalive",
        }
    }
}

/// Options of `bench http`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,

    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,

    /// Keep-alive cases: sequential requests per sample.
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    pub requests: u64,

    /// Download: MiB per download.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub download_mib: u64,

    /// Downloads: the buffer each contender's reads fill, in KiB (ureq and
    /// reqwest read through buffers of their own and copy into it).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=16_384))]
    pub read_kib: u64,

    /// Async cases: worker threads of the tokio runtime (multi-thread) that runs both contenders.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub workers: u64,

    /// Async cases: upper bound, in seconds, on one sample.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub case_timeout_secs: u64,

    /// Server: wrk's open connections (`-c`).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub connections: u64,

    /// Server: wrk's threads (`-t`).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub wrk_threads: u64,

    /// Server: seconds per wrk sample (`-d`).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub duration_secs: u64,

    /// Client cases: use netstack's own server even when nginx is installed.
    #[arg(long)]
    pub netstack_origin: bool,

    /// Keep-alive and server cases, for profiling (`perf`, `strace -c -f`,
    /// `valgrind`): run only this contender's samples and print them,
    /// without a comparison (the server case: the shared runtime's row only).
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
            requests: 5_000,
            download_mib: 1024,
            read_kib: 64,
            workers: 2,
            case_timeout_secs: 120,
            connections: 50,
            wrk_threads: 2,
            duration_secs: 5,
            netstack_origin: false,
            solo: None,
        }
    }
}

impl Args {
    /// The command line that runs one case with these options (defaults left out).
    fn command(&self, case: Case) -> String {
        let d = Args::default();
        let mut cmd = format!(
            "cargo run -p bench --release -- http --case {}",
            case.name()
        );
        let mut flag = |changed: bool, name: &str, value: String| {
            if changed {
                cmd += &format!(" --{name} {value}");
            }
        };
        flag(
            self.common.rounds != d.common.rounds,
            "rounds",
            self.common.rounds.to_string(),
        );
        flag(
            self.common.timeout_secs != d.common.timeout_secs,
            "timeout-secs",
            self.common.timeout_secs.to_string(),
        );
        match case {
            Case::Keepalive | Case::AsyncKeepalive | Case::HyperKeepalive => flag(
                self.requests != d.requests,
                "requests",
                self.requests.to_string(),
            ),
            Case::Download | Case::HttpsDownload => {
                flag(
                    self.download_mib != d.download_mib,
                    "download-mib",
                    self.download_mib.to_string(),
                );
                flag(
                    self.read_kib != d.read_kib,
                    "read-kib",
                    self.read_kib.to_string(),
                );
            }
            Case::Server => {
                flag(
                    self.connections != d.connections,
                    "connections",
                    self.connections.to_string(),
                );
                flag(
                    self.wrk_threads != d.wrk_threads,
                    "wrk-threads",
                    self.wrk_threads.to_string(),
                );
                flag(
                    self.duration_secs != d.duration_secs,
                    "duration-secs",
                    self.duration_secs.to_string(),
                );
            }
            Case::All => {}
        }
        if matches!(
            case,
            Case::AsyncKeepalive | Case::HyperKeepalive | Case::Server | Case::HttpsDownload
        ) {
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
}

// ----- keep-alive cases -----

/// The p99 of a sample's latencies, in microseconds.
fn p99_micros(latencies: &mut [Duration]) -> f64 {
    latencies.sort_unstable();
    let index = ((latencies.len() as f64 * 0.99).ceil() as usize).clamp(1, latencies.len()) - 1;
    latencies[index].as_secs_f64() * 1e6
}

/// Runs `requests` sequential requests; returns (requests/s, p99 µs).
fn sequential(requests: u64, mut one: impl FnMut() -> BenchResult<()>) -> BenchResult<(f64, f64)> {
    let mut latencies = Vec::with_capacity(usize::try_from(requests)?);
    let start = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        one()?;
        latencies.push(t.elapsed());
    }
    let elapsed = start.elapsed().as_secs_f64();
    Ok((requests as f64 / elapsed, p99_micros(&mut latencies)))
}

/// Runs a keep-alive case whose samples give (requests/s, p99 µs): two
/// rows, the rate from the harness and the p99 of the same samples (none
/// with `--solo`).
fn keepalive_case(
    solo: Option<Solo>,
    case: String,
    peer_name: &'static str,
    rounds: u32,
    command: String,
    mut peer: impl FnMut() -> BenchResult<(f64, f64)>,
    mut netstack: impl FnMut() -> BenchResult<(f64, f64)>,
) -> BenchResult<Vec<CaseResult>> {
    let peer_p99 = RefCell::new(Vec::new());
    let netstack_p99 = RefCell::new(Vec::new());
    let Some(rate) = harness::measure(
        solo,
        format!("{case}, requests/s"),
        Unit::rate("req/s", 0),
        peer_name,
        rounds,
        command.clone(),
        || {
            let (rate, p99) = peer()?;
            peer_p99.borrow_mut().push(p99);
            Ok(rate)
        },
        || {
            let (rate, p99) = netstack()?;
            netstack_p99.borrow_mut().push(p99);
            Ok(rate)
        },
    )?
    else {
        return Ok(Vec::new());
    };
    let peer_p99 = peer_p99.into_inner();
    let netstack_p99 = netstack_p99.into_inner();
    let latency = CaseResult {
        case: format!("{case}, p99 latency"),
        unit: Unit::cost("µs", 1),
        peer_name,
        peer_warmup: peer_p99[0],
        netstack_warmup: netstack_p99[0],
        peer: peer_p99[1..].to_vec(),
        netstack: netstack_p99[1..].to_vec(),
        command,
    };
    Ok(vec![rate, latency])
}

fn netstack_client(timeout: Duration) -> Client {
    Client::builder()
        .timeout(Some(timeout))
        .read_timeout(Some(timeout))
        .write_timeout(Some(timeout))
        .connect_timeout(Some(timeout))
        .build()
}

fn netstack_async_client(timeout: Duration) -> AsyncClient {
    Client::builder()
        .timeout(Some(timeout))
        .read_timeout(Some(timeout))
        .write_timeout(Some(timeout))
        .connect_timeout(Some(timeout))
        .build_async()
}

fn ureq_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

fn keepalive_netstack(url: &str, requests: u64, timeout: Duration) -> BenchResult<(f64, f64)> {
    let client = netstack_client(timeout);
    let result = sequential(requests, || {
        let response = client.get(url).send()?;
        check_status("netstack", response.status().as_u16())?;
        check_small("netstack", &response.bytes()?)
    })?;
    if client.idle_connections() != 1 {
        return Err(format!(
            "netstack: {} idle connections after the sample, expected 1",
            client.idle_connections()
        )
        .into());
    }
    Ok(result)
}

fn keepalive_ureq(url: &str, requests: u64, timeout: Duration) -> BenchResult<(f64, f64)> {
    let agent = ureq_agent(timeout);
    sequential(requests, || {
        let mut response = agent.get(url).call()?;
        check_status("ureq", response.status().as_u16())?;
        check_small("ureq", &response.body_mut().read_to_vec()?)
    })
}

/// One sample of an async keep-alive loop: spawned as one task on the
/// runtime (so it runs on a worker), bounded as a whole by `limit`.
fn async_sample<F>(runtime: &Runtime, limit: Duration, work: F) -> BenchResult<(f64, f64)>
where
    F: std::future::Future<Output = BenchResult<(f64, f64)>> + Send + 'static,
{
    let task = runtime.spawn(work);
    let joined = runtime.block_on(async { tokio::time::timeout(limit, task).await });
    match joined {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(format!("task failed: {join}").into()),
        Err(_) => Err(format!("not finished within {limit:?}").into()),
    }
}

/// How a keep-alive loop names its URL each time: as text (parsed per
/// request, as reqwest's `get(&str)` does) or as a URL parsed once and
/// cloned (as the hyper client's loop clones its `Uri`).
#[derive(Debug, Clone, Copy)]
enum UrlGiven {
    Text,
    Parsed,
}

async fn keepalive_async_netstack(
    url: String,
    requests: u64,
    timeout: Duration,
    given: UrlGiven,
) -> BenchResult<(f64, f64)> {
    let client = netstack_async_client(timeout);
    let parsed = protocols::url::Url::parse(&url)?;
    let mut latencies = Vec::with_capacity(usize::try_from(requests)?);
    let start = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        let request = match given {
            UrlGiven::Text => client.get(&url),
            UrlGiven::Parsed => client.get(parsed.clone()),
        };
        let response = request.send().await?;
        check_status("netstack", response.status().as_u16())?;
        check_small("netstack", &response.bytes().await?)?;
        latencies.push(t.elapsed());
    }
    let rate = requests as f64 / start.elapsed().as_secs_f64();
    if client.idle_connections() != 1 {
        return Err(format!(
            "netstack async: {} idle connections after the sample, expected 1",
            client.idle_connections()
        )
        .into());
    }
    Ok((rate, p99_micros(&mut latencies)))
}

async fn keepalive_reqwest(
    url: String,
    requests: u64,
    timeout: Duration,
) -> BenchResult<(f64, f64)> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()?;
    let mut latencies = Vec::with_capacity(usize::try_from(requests)?);
    let start = Instant::now();
    for _ in 0..requests {
        let t = Instant::now();
        let response = client.get(&url).send().await?;
        check_status("reqwest", response.status().as_u16())?;
        check_small("reqwest", &response.bytes().await?)?;
        latencies.push(t.elapsed());
    }
    let rate = requests as f64 / start.elapsed().as_secs_f64();
    Ok((rate, p99_micros(&mut latencies)))
}

// ----- the run -----

/// Runs the selected cases.
pub fn run(args: &Args) -> BenchResult<Report> {
    let mut report = Report::default();
    let timeout = args.common.timeout();
    let rounds = args.common.rounds;
    let total = args.download_mib * MIB;
    let read_len = (args.read_kib * 1024) as usize;
    let origin = Origin::start(args, total, timeout)?;
    eprintln!(
        "server for the plain-http client cases: {}",
        origin.describe()
    );
    let small_url = origin.url("/1k");
    let download_url = origin.url("/download");
    let requests = args.requests;

    if args.wants(Case::Keepalive) {
        report.cases.extend(keepalive_case(
            args.solo,
            format!("keep-alive GET 1 KiB x {requests}: Client (sync)"),
            "ureq",
            rounds,
            args.command(Case::Keepalive),
            || keepalive_ureq(&small_url, requests, timeout),
            || keepalive_netstack(&small_url, requests, timeout),
        )?);
    }

    if args.wants(Case::AsyncKeepalive) {
        let runtime = Arc::new(async_cases::runtime(args.workers)?);
        let limit = Duration::from_secs(args.case_timeout_secs);
        let workers = args.workers;
        report.cases.extend(keepalive_case(
            args.solo,
            format!("keep-alive GET 1 KiB x {requests}: AsyncClient (tokio, {workers} workers)"),
            "reqwest",
            rounds,
            args.command(Case::AsyncKeepalive),
            || {
                async_sample(
                    &runtime,
                    limit,
                    keepalive_reqwest(small_url.clone(), requests, timeout),
                )
            },
            || {
                async_sample(
                    &runtime,
                    limit,
                    keepalive_async_netstack(small_url.clone(), requests, timeout, UrlGiven::Text),
                )
            },
        )?);
    }

    if args.wants(Case::Download) {
        let size = size_label(args.download_mib);
        let command = args.command(Case::Download);
        report.cases.push(harness::run_interleaved(
            format!("download {size}: Client (sync)"),
            Unit::rate("MiB/s", 1),
            "ureq",
            rounds,
            command.clone(),
            || download_ureq(&download_url, total, timeout, read_len),
            || download_netstack(&download_url, total, timeout, read_len),
        )?);
        if curl_available() {
            report.cases.push(harness::run_interleaved(
                format!("download {size}: Client (sync) vs curl -s -o /dev/null"),
                Unit::rate("MiB/s", 1),
                "curl",
                rounds,
                command.clone(),
                || download_curl(&download_url, total, timeout),
                || download_netstack(&download_url, total, timeout, read_len),
            )?);
        } else {
            eprintln!("curl is not on the PATH: the curl download is skipped");
        }
        report.cases.push(harness::run_interleaved(
            format!("download {size}: Client (sync) vs raw NetworkStream read"),
            Unit::rate("MiB/s", 1),
            "raw NetworkStream",
            rounds,
            command,
            || download_raw(origin.address(), total, timeout, read_len),
            || download_netstack(&download_url, total, timeout, read_len),
        )?);
    }

    if args.wants(Case::HyperKeepalive) {
        let runtime = Arc::new(async_cases::runtime(args.workers)?);
        let limit = Duration::from_secs(args.case_timeout_secs);
        let workers = args.workers;
        report.cases.extend(keepalive_case(
            args.solo,
            format!("keep-alive GET 1 KiB x {requests}: AsyncClient (tokio, {workers} workers) vs hyper"),
            "hyper",
            rounds,
            args.command(Case::HyperKeepalive),
            || {
                async_sample(
                    &runtime,
                    limit,
                    keepalive_hyper(small_url.clone(), requests, timeout),
                )
            },
            || {
                async_sample(
                    &runtime,
                    limit,
                    keepalive_async_netstack(small_url.clone(), requests, timeout, UrlGiven::Parsed),
                )
            },
        )?);
    }

    if args.wants(Case::HttpsDownload) {
        let pki = Pki::generate()?;
        let tls_server = Server::start(
            total,
            timeout,
            Some(TlsServerConfig::from_rustls(server_config(&pki)?)),
        )?;
        eprintln!(
            "https server: netstack HttpServer (sync, rustls TLS 1.3, TLS13_AES_128_GCM_SHA256) on {}",
            tls_server.address
        );
        let url = tls_server.https_url("/download");
        let tls = TlsClientConfig::from_rustls(client_config(&pki, false)?);
        let root = reqwest::Certificate::from_der(&pki.cert())?;
        let runtime = async_cases::runtime(args.workers)?;
        let limit = Duration::from_secs(args.case_timeout_secs);
        let size = size_label(args.download_mib);
        report.cases.push(harness::run_interleaved(
            format!("HTTPS download {size}: Client (sync)"),
            Unit::rate("MiB/s", 1),
            "reqwest",
            rounds,
            args.command(Case::HttpsDownload),
            || {
                async_cases::sample(&runtime, limit, || {
                    download_reqwest_tls(url.clone(), total, timeout, root.clone())
                })
            },
            || download_netstack_tls(&url, total, timeout, &tls, read_len),
        )?);
    }

    if args.wants(Case::Server) {
        if wrk_available() {
            let runtime = async_cases::runtime(args.workers)?;
            let (hyper_address, accept) = start_hyper(&runtime)?;
            let hyper_url = format!("http://{hyper_address}/1k");
            check_server("hyper", &hyper_url, timeout)?;
            let limit = Duration::from_secs(args.duration_secs + args.common.timeout_secs);
            let wrk = format!(
                "wrk -t{} -c{} -d{}s",
                args.wrk_threads, args.connections, args.duration_secs
            );
            // On its own thread, netstack's server is compared with hyper on
            // a current-thread runtime (one thread each) and with hyper on
            // the shared runtime's workers.
            let (hyper_own_address, stop_hyper_own, hyper_own_thread) = start_hyper_own_thread()?;
            let hyper_own_url = format!("http://{hyper_own_address}/1k");
            check_server("hyper (own thread)", &hyper_own_url, timeout)?;
            let mut outcome = Ok(());
            // Alone (--solo, for profiling), only the shared runtime's row.
            let placements: &[bool] = match args.solo {
                None => &[true, false],
                Some(_) => &[true],
            };
            for &on_tokio in placements {
                let (address, shutdown, thread) =
                    start_async_netstack(on_tokio.then_some(&runtime), timeout)?;
                let netstack_url = format!("http://{address}/1k");
                let mut result = check_server("netstack AsyncHttpServer", &netstack_url, timeout)
                    .and_then(|()| {
                        let peers = if on_tokio {
                            vec![(format!("tokio, {} workers, as hyper", args.workers), &hyper_url)]
                        } else {
                            vec![
                                (
                                    "own thread, sockets::block_on; hyper on a current-thread runtime"
                                        .to_string(),
                                    &hyper_own_url,
                                ),
                                (
                                    format!(
                                        "own thread, sockets::block_on; hyper on tokio, {} workers",
                                        args.workers
                                    ),
                                    &hyper_url,
                                ),
                            ]
                        };
                        peers
                            .into_iter()
                            .map(|(how, peer_url)| {
                                harness::measure(
                                    args.solo,
                                    format!(
                                        "server: keep-alive GET 1 KiB, {wrk}: AsyncHttpServer ({how})"
                                    ),
                                    Unit::rate("req/s", 0),
                                    "hyper",
                                    rounds,
                                    args.command(Case::Server),
                                    || wrk_sample(peer_url, args, limit),
                                    || wrk_sample(&netstack_url, args, limit),
                                )
                            })
                            .filter_map(Result::transpose)
                            .collect::<BenchResult<Vec<_>>>()
                    });
                let report_shutdown = shutdown.shutdown();
                if let Some(thread) = thread {
                    if thread.join().is_err() && result.is_ok() {
                        result = Err("the netstack server thread panicked".into());
                    }
                }
                if !report_shutdown.graceful {
                    eprintln!(
                        "note: netstack server shutdown was not graceful: {report_shutdown:?}"
                    );
                }
                match result {
                    Ok(cases) => report.cases.extend(cases),
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            accept.abort();
            drop(stop_hyper_own);
            if hyper_own_thread.join().is_err() && outcome.is_ok() {
                outcome = Err("the hyper server thread panicked".into());
            }
            outcome?;
        } else {
            eprintln!("wrk is not on the PATH: the server case is skipped");
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piece_reader_repeats_the_piece() {
        let mut reader = PieceReader {
            position: 0,
            remaining: PIECE_LEN as u64 + 10,
        };
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut reader, &mut all).unwrap();
        assert_eq!(all.len(), PIECE_LEN + 10);
        assert_eq!(&all[..PIECE_LEN], &PIECE[..]);
        assert_eq!(&all[PIECE_LEN..], &PIECE[..10]);
    }

    #[test]
    fn p99_of_a_hundred() {
        let mut latencies: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(p99_micros(&mut latencies), 99.0);
    }

    #[test]
    fn parse_wrk_reads_the_rate_and_rejects_errors() {
        let ok = "Running 5s test @ http://127.0.0.1:1/1k\n  2 threads and 50 connections\n  \
                  350000 requests in 5.00s, 400.00MB read\nRequests/sec:  70000.50\nTransfer/sec:     80.00MB\n";
        assert_eq!(parse_wrk(ok).unwrap(), 70000.5);
        let bad = format!("{ok}  Non-2xx or 3xx responses: 12\n");
        assert!(parse_wrk(&bad).is_err());
        let bad = format!("  Socket errors: connect 0, read 3, write 0, timeout 0\n{ok}");
        assert!(parse_wrk(&bad).is_err());
        assert!(parse_wrk("nothing").is_err());
    }

    #[test]
    fn command_leaves_defaults_out() {
        let args = Args {
            requests: 500,
            ..Args::default()
        };
        assert_eq!(
            args.command(Case::Keepalive),
            "cargo run -p bench --release -- http --case keepalive --requests 500"
        );
        assert_eq!(
            args.command(Case::Download),
            "cargo run -p bench --release -- http --case download"
        );
    }
}
