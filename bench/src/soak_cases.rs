//! `bench soak`: the HTTP client and server held to their promises over a
//! long run, rather than timed. Each case ends in pass/fail checks, with the
//! figures that decide them.
//!
//! - **soak-sync**, **soak-async**: 1,000,000 keep-alive requests through
//!   `Client` → `HttpServer`, and through `AsyncClient` → `AsyncHttpServer`
//!   (the server on its own thread under `sockets::block_on`, as `netstack
//!   serve` runs it). Every response carries the number of its request and is
//!   checked, so nothing can be lost or crossed. Every 100,000 requests the
//!   case prints the process's open descriptors and RSS; from the
//!   100,000th on, descriptors must not move and RSS must not grow by more
//!   than `--rss-slack-kib`.
//! - **cancel**: 10,000 `AsyncClient` requests to a server that accepts
//!   nothing (the listen queue holds the first few thousand; the rest are
//!   still connecting), all in flight at once on a 2-worker tokio runtime,
//!   then all cancelled. Twice: descriptors must be back to the count before
//!   the first round, and the second round must not grow RSS by more than
//!   the slack (a leak grows it every round; an allocator keeps what it once
//!   took).
//! - **fairness**: 100 keep-alive clients (one thread each) hammer the
//!   event-driven server for `--fairness-requests` each; every client must
//!   get every response, and the slowest client's median latency must be
//!   within 2× of the fastest's.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use protocols::http::client::Client;
use protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, HttpServer, Request, Response, ServerConfig,
};

use crate::harness::{check_open_files, median, rss_kib, BenchResult, Check, Report};

/// Which cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Every case.
    All,
    /// 1,000,000 requests, sync client and server.
    SoakSync,
    /// 1,000,000 requests, async client and server.
    SoakAsync,
    /// 10,000 in-flight async requests cancelled, twice.
    Cancel,
    /// 100 keep-alive clients at once: all served, and alike.
    Fairness,
}

/// Flags of `bench soak`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,
    /// Requests per soak case.
    #[arg(long, default_value_t = 1_000_000)]
    pub requests: u64,
    /// Requests between two samples of descriptors and RSS.
    #[arg(long, default_value_t = 100_000)]
    pub sample_every: u64,
    /// How much RSS may grow, in KiB, where it must stay flat.
    #[arg(long, default_value_t = 2048)]
    pub rss_slack_kib: i64,
    /// Requests in flight when the cancel case cancels them.
    #[arg(long, default_value_t = 10_000)]
    pub cancel_requests: usize,
    /// Requests per client in the fairness case.
    #[arg(long, default_value_t = 500)]
    pub fairness_requests: usize,
}

impl Args {
    fn wants(&self, case: Case) -> bool {
        self.case == Case::All || self.case == case
    }
}

/// Runs the chosen cases; each adds its checks.
pub fn run(args: &Args) -> BenchResult<Report> {
    let mut checks = Vec::new();
    if args.wants(Case::SoakSync) {
        checks.extend(soak(args, false)?);
    }
    if args.wants(Case::SoakAsync) {
        checks.extend(soak(args, true)?);
    }
    if args.wants(Case::Cancel) {
        checks.extend(cancel(args)?);
    }
    if args.wants(Case::Fairness) {
        checks.push(fairness(args)?);
    }
    Ok(Report {
        cases: Vec::new(),
        checks,
    })
}

/// The open descriptors of this process.
fn open_descriptors() -> BenchResult<usize> {
    Ok(fs::read_dir("/proc/self/fd")?.count())
}

fn numbered_reply(uri: &http::Uri) -> String {
    format!("reply to {}", uri.query().unwrap_or(""))
}

fn sync_handler(request: Request) -> Response {
    Response::new(numbered_reply(request.uri()).into())
}

async fn async_handler(request: AsyncRequest) -> AsyncResponse {
    AsyncResponse::new(numbered_reply(request.uri()).into())
}

/// A server on its own thread, `netstack serve`'s way: the event-driven
/// server under `sockets::block_on`. Returns its address and a stop.
fn event_driven_server() -> BenchResult<(SocketAddr, impl FnOnce())> {
    let server = AsyncHttpServer::bind((Ipv4Addr::LOCALHOST, 0), ServerConfig::default())?;
    let addr = server.local_endpoint().as_ip().ok_or("no IP endpoint")?;
    let shutdown = server.shutdown_handle();
    let thread = thread::spawn(move || sockets::block_on(server.serve(async_handler)));
    Ok((addr, move || {
        shutdown.shutdown();
        let _ = thread.join();
    }))
}

fn soak(args: &Args, asynchronous: bool) -> BenchResult<Vec<Check>> {
    let mode = if asynchronous { "async" } else { "sync" };
    let name = format!("soak, {mode}: {} keep-alive requests", args.requests);
    println!("{name}");
    println!("| requests | open descriptors | RSS (KiB) | requests/s since the last sample |");
    println!("|---:|---:|---:|---:|");
    let (addr, stop): (SocketAddr, Box<dyn FnOnce()>) = if asynchronous {
        let (addr, stop) = event_driven_server()?;
        (addr, Box::new(stop))
    } else {
        let server = HttpServer::bind(
            (Ipv4Addr::LOCALHOST, 0),
            ServerConfig::default(),
            sync_handler,
        )?;
        let addr = server.local_endpoint().as_ip().ok_or("no IP endpoint")?;
        (
            addr,
            Box::new(move || {
                let _ = server.shutdown();
            }),
        )
    };
    let builder = Client::builder()
        .read_timeout(Some(Duration::from_secs(10)))
        .write_timeout(Some(Duration::from_secs(10)));
    let mut samples: Vec<(u64, usize, i64)> = Vec::new();
    let mut lost = None;
    let mut last = Instant::now();
    let mut check = |done: u64, samples: &mut Vec<(u64, usize, i64)>| -> BenchResult<()> {
        if done % args.sample_every == 0 {
            let (fds, rss) = (open_descriptors()?, rss_kib()?);
            let rate = args.sample_every as f64 / last.elapsed().as_secs_f64();
            last = Instant::now();
            println!("| {done} | {fds} | {rss} | {rate:.0} |");
            samples.push((done, fds, rss));
        }
        Ok(())
    };
    if asynchronous {
        let client = builder.build_async();
        sockets::block_on(async {
            for n in 1..=args.requests {
                let url = format!("http://{addr}/?{n}");
                let text = client.get(&url).send().await?.text().await?;
                if text != format!("reply to {n}") {
                    lost = Some(format!("request {n} got {text:?}"));
                    break;
                }
                check(n, &mut samples)?;
            }
            BenchResult::Ok(())
        })?;
    } else {
        let client = builder.build();
        for n in 1..=args.requests {
            let text = client.get(format!("http://{addr}/?{n}")).send()?.text()?;
            if text != format!("reply to {n}") {
                lost = Some(format!("request {n} got {text:?}"));
                break;
            }
            check(n, &mut samples)?;
        }
    }
    stop();
    let command = format!(
        "cargo run -p bench --release -- soak --case soak-{mode} --requests {}",
        args.requests
    );
    let mut checks = vec![Check {
        name: format!("{name}: every response is its request's"),
        outcome: lost
            .clone()
            .unwrap_or_else(|| "all answered, in order".into()),
        passed: lost.is_none(),
        command: command.clone(),
    }];
    // Flat from the first sample (the 100,000th request) on.
    if let (Some(first), Some(last)) = (samples.first(), samples.last()) {
        let fds_flat = samples.iter().all(|s| s.1 == first.1);
        let growth = last.2 - first.2;
        checks.push(Check {
            name: format!("{name}: descriptors and RSS flat from request {}", first.0),
            outcome: format!(
                "descriptors {} → {}; RSS {} → {} KiB ({growth:+} KiB, slack {} KiB)",
                first.1, last.1, first.2, last.2, args.rss_slack_kib
            ),
            passed: fds_flat && growth <= args.rss_slack_kib,
            command,
        });
    }
    Ok(checks)
}

fn cancel(args: &Args) -> BenchResult<Vec<Check>> {
    let n = args.cancel_requests;
    check_open_files(n as u64 + 64)?;
    // A listener that never accepts: its queue fills, later connects wait.
    let listener = transport::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.start(4096)?;
    let port = listener
        .local_endpoint()?
        .as_ip()
        .ok_or("no IP endpoint")?
        .port();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = Client::builder()
        .connect_timeout(Some(Duration::from_secs(60)))
        .read_timeout(Some(Duration::from_secs(60)))
        .resolver(transport::StaticResolver::new(vec![IpAddr::V4(
            Ipv4Addr::LOCALHOST,
        )]))
        .build_async();
    let round = |label: &str| -> BenchResult<(usize, usize, i64)> {
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let client = client.clone();
                let url = format!("http://localhost:{port}/{i}");
                runtime.spawn(async move { client.get(&url).send().await.map(|_| ()) })
            })
            .collect();
        // Let every request get as far as it can: connected and written, or connecting.
        thread::sleep(Duration::from_secs(2));
        let in_flight_fds = open_descriptors()?;
        let finished = tasks.iter().filter(|t| t.is_finished()).count();
        for task in &tasks {
            task.abort();
        }
        runtime.block_on(async {
            for task in tasks {
                let _ = task.await;
            }
        });
        // Closing is synchronous on drop; give the runtime a moment anyway.
        thread::sleep(Duration::from_millis(200));
        let (fds, rss) = (open_descriptors()?, rss_kib()?);
        println!(
            "cancel, {label}: {n} requests in flight ({in_flight_fds} descriptors open, \
             {finished} already ended), cancelled: {fds} descriptors, RSS {rss} KiB"
        );
        Ok((in_flight_fds, fds, rss))
    };
    let (fds_before, rss_before) = (open_descriptors()?, rss_kib()?);
    println!("cancel, before: {fds_before} descriptors, RSS {rss_before} KiB");
    let (in_flight, fds_one, rss_one) = round("round 1")?;
    let (_, fds_two, rss_two) = round("round 2")?;
    drop(listener);
    let command =
        format!("cargo run -p bench --release -- soak --case cancel --cancel-requests {n}");
    Ok(vec![
        Check {
            name: format!("cancel {n} in-flight async requests: no descriptor left behind"),
            outcome: format!(
                "{fds_before} before, {in_flight} in flight, {fds_one} after round 1, {fds_two} after round 2"
            ),
            passed: in_flight >= fds_before + n / 2 && fds_one == fds_before && fds_two == fds_before,
            command: command.clone(),
        },
        Check {
            name: format!("cancel {n} in-flight async requests: no memory left behind"),
            outcome: format!(
                "RSS {rss_before} KiB before, {rss_one} after round 1, {rss_two} after round 2 ({:+} KiB, slack {} KiB)",
                rss_two - rss_one,
                args.rss_slack_kib
            ),
            passed: rss_two - rss_one <= args.rss_slack_kib,
            command,
        },
    ])
}

fn fairness(args: &Args) -> BenchResult<Check> {
    const CLIENTS: usize = 100;
    let requests = args.fairness_requests;
    let (addr, stop) = event_driven_server()?;
    let started = Instant::now();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            thread::spawn(move || -> Result<Vec<Duration>, String> {
                let client = Client::builder()
                    .read_timeout(Some(Duration::from_secs(10)))
                    .build();
                let mut latencies = Vec::with_capacity(requests);
                for r in 0..requests {
                    let sent = Instant::now();
                    let text = client
                        .get(format!("http://{addr}/?{c}-{r}"))
                        .send()
                        .and_then(|response| response.text())
                        .map_err(|e| format!("client {c}, request {r}: {e}"))?;
                    if text != format!("reply to {c}-{r}") {
                        return Err(format!("client {c}, request {r} got {text:?}"));
                    }
                    latencies.push(sent.elapsed());
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut medians = Vec::new();
    let mut failures = Vec::new();
    for thread in threads {
        match thread.join() {
            Ok(Ok(latencies)) => {
                let ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
                medians.push(median(&ms));
            }
            Ok(Err(failure)) => failures.push(failure),
            Err(_) => failures.push("a client thread panicked".into()),
        }
    }
    let elapsed = started.elapsed();
    stop();
    medians.sort_by(f64::total_cmp);
    let (fastest, slowest) = (
        medians.first().copied().unwrap_or(f64::NAN),
        medians.last().copied().unwrap_or(f64::NAN),
    );
    let ratio = slowest / fastest;
    let total = CLIENTS * requests;
    println!(
        "fairness: {CLIENTS} clients × {requests} requests in {:.1} s ({:.0} requests/s); \
         per-client median latency {fastest:.2}–{slowest:.2} ms (median of medians {:.2} ms)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        median(&medians)
    );
    Ok(Check {
        name: format!(
            "fairness: {CLIENTS} keep-alive clients at once, every one served, slowest median ≤ 2× fastest"
        ),
        outcome: match failures.first() {
            Some(first) => format!("{} clients failed; the first: {first}", failures.len()),
            None => format!(
                "all {total} served; per-client medians {fastest:.2}–{slowest:.2} ms, ratio {ratio:.2}"
            ),
        },
        passed: failures.is_empty() && ratio <= 2.0,
        command: format!(
            "cargo run -p bench --release -- soak --case fairness --fairness-requests {requests}"
        ),
    })
}
