//! Layer 1, asynchronous mode: netstack's [`Socket`] (its `*_async` calls,
//! driven by netstack's own reactor thread) against `tokio::net`, both run by
//! the same tokio runtime, over IPv4 loopback.
//!
//! - **pingpong**: N connections (100 by default), each with a client task
//!   that sends a small message and awaits its echo R times (2,000 by
//!   default), and an echo task on the server side; all 2N tasks run on one
//!   multi-thread tokio runtime with W worker threads (2 by default) — the
//!   same runtime configuration for both contenders. `TCP_NODELAY` on both
//!   ends. Rate: N × R round trips over the time from spawning the first
//!   client task until the last one has finished.
//! - **bulk**: one connection; a sender task writes 1 GiB in 64 KiB sends and
//!   shuts down its side; a receiver task reads with a 64 KiB buffer until end
//!   of stream. MiB/s, timed from the first send until the receiver sees end
//!   of stream.
//! - **c10k**: memory per idle connection. For each sample a fresh child
//!   process (this binary, `async-c10k-child netstack|tokio`) accepts N
//!   connections (10,000 by default) and parks one task per connection in a
//!   pending receive. The client ends live in a second fresh child
//!   (`async-c10k-clients`, plain blocking `std::net`, the same for both
//!   contenders), so the measured process holds exactly one socket, one task
//!   and one pending receive future per connection — the server's side — and
//!   10,000 connections fit under this machine's limit of 20,000 open files.
//!   Sample: (VmRSS after − VmRSS before) / N, in bytes, where "before" is
//!   taken after the runtime, the listener and one warm-up connection exist
//!   (so the reactor or I/O driver is already running) and "after" once all
//!   N receives are pending. Kernel socket memory is not in RSS. Fresh
//!   processes because freed memory is not always returned to the OS. Then
//!   every client sends one byte and checks its echo, so each parked receive
//!   is shown to have been live.
//! - **reactor**: a check, not a measurement. A fresh child process does
//!   synchronous socket traffic and counts its threads named
//!   [`sockets::REACTOR_THREAD_NAME`] (expected 0), then makes one
//!   asynchronous call and counts again (expected 1).
//!
//! Both contenders run the same generic task code (see [`AsyncConn`] and
//! [`Contender`]); only the socket calls differ. Connection setup is outside
//! the timed part. Each sample, setup included, is bounded by
//! `--case-timeout-secs` (`tokio::time::timeout`; its tasks are aborted when
//! it fires), child processes are killed when they overrun the same
//! deadline, every loop is bounded, and every byte count and every echo is
//! checked. By default the sockets have no per-operation timeout, neither
//! tokio's (which have none) nor netstack's, so both do the same work;
//! `--socket-timeouts` sets netstack's receive and send timeouts to
//! `--timeout-secs` and wraps each tokio operation in `tokio::time::timeout`
//! of the same length, to show what per-operation deadlines cost. (The
//! tokio contender takes its bound as a type parameter, see [`Bound`], so
//! that by default it carries no timer state at all: an unused `Option` and
//! timeout branch would add 128 B to tokio's memory per connection.)

use std::fs;
use std::future::Future;
use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpStream as StdTcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sockets::{AddressFamily, ProtocolType, Shutdown, Socket, SocketType};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

use crate::harness::{self, check_open_files, rss_kib, BenchResult, Check, Common, Report, Unit};
use crate::sockets_cases::{check_loopback, size_label};

mod c10k;
mod contenders;
mod reactor;
mod workloads;

use c10k::*;
pub use c10k::{c10k_child, c10k_clients, C10kChildArgs, C10kClientsArgs};
use contenders::*;
pub(crate) use contenders::{pairs, AsyncConn, ConnOptions, Contender, Netstack};
use reactor::*;
pub use reactor::{reactor_child, ReactorChildArgs};
use workloads::*;
pub(crate) use workloads::{check_round_trips, echo, ping};

const MIB: u64 = 1024 * 1024;

/// Which of the async cases to run.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// Every case and the reactor check.
    All,
    /// Small-message ping-pong over many concurrent connections.
    Pingpong,
    /// The same ping-pong on one thread each: netstack under
    /// `sockets::block_on` vs async-io's `Async<TcpStream>` under
    /// `async_io::block_on` (netstack's own reactor against its fair peer).
    PingpongOneThread,
    /// Bulk transfer over one connection.
    Bulk,
    /// Memory per idle connection, 10,000 connections.
    C10k,
    /// No reactor thread until the first async call, then exactly one.
    Reactor,
}

/// The two contenders, as the child processes name them.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// netstack's `Socket` in async mode.
    Netstack,
    /// `tokio::net`.
    Tokio,
    /// async-io's `Async<TcpStream>` (the one-thread ping-pong's peer).
    AsyncIo,
}

impl Who {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Who::Netstack => "netstack",
            Who::Tokio => "tokio",
            Who::AsyncIo => "async-io",
        }
    }
}

/// Options of `bench async`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    #[command(flatten)]
    pub common: Common,

    /// Which case to run.
    #[arg(long, value_enum, default_value_t = Case::All)]
    pub case: Case,

    /// Worker threads of the tokio runtime (multi-thread) that runs both
    /// contenders; 0 for a current-thread runtime.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=64))]
    pub workers: u64,

    /// Upper bound, in seconds, on one sample (connection setup included).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub case_timeout_secs: u64,

    /// Give every socket operation its own timeout (`--timeout-secs`):
    /// netstack's receive/send timeouts, `tokio::time::timeout` around each tokio call.
    #[arg(long)]
    pub socket_timeouts: bool,

    /// Ping-pong: concurrent connections.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=2_000))]
    pub pingpong_connections: u64,

    /// Ping-pong: round trips per connection.
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub round_trips: u64,

    /// Ping-pong: message size in bytes (at least 16: each carries its connection and sequence number).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(16..=65_536))]
    pub message_bytes: u64,

    /// Bulk: MiB sent per run.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub bulk_mib: u64,

    /// Bulk: size of each send and receive buffer, in KiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=16_384))]
    pub buffer_kib: u64,

    /// Ping-pong: run one sample of this contender alone and print its rate
    /// (no comparison), for profiling one side: `strace -c -f`, `perf`.
    #[arg(long, value_enum)]
    pub solo: Option<Who>,

    /// C10K: idle connections held (the measured process holds one socket per connection).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub c10k_connections: u64,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            common: Common {
                rounds: 5,
                timeout_secs: 30,
            },
            case: Case::All,
            workers: 2,
            case_timeout_secs: 120,
            socket_timeouts: false,
            pingpong_connections: 100,
            round_trips: 2_000,
            message_bytes: 64,
            bulk_mib: 1024,
            buffer_kib: 64,
            solo: None,
            c10k_connections: 10_000,
        }
    }
}

impl Args {
    /// The command line that runs one case with these options (defaults left out).
    pub(crate) fn command(&self, case: Case) -> String {
        let d = Args::default();
        let name = match case {
            Case::All => "all",
            Case::Pingpong => "pingpong",
            Case::PingpongOneThread => "pingpong-one-thread",
            Case::Bulk => "bulk",
            Case::C10k => "c10k",
            Case::Reactor => "reactor",
        };
        let mut cmd = format!("cargo run -p bench --release -- async --case {name}");
        let mut flag = |changed: bool, name: &str, value: String| {
            if changed {
                cmd += &format!(" --{name} {value}");
            }
        };
        if case != Case::Reactor {
            flag(
                self.common.rounds != d.common.rounds,
                "rounds",
                self.common.rounds.to_string(),
            );
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
        flag(
            self.common.timeout_secs != d.common.timeout_secs,
            "timeout-secs",
            self.common.timeout_secs.to_string(),
        );
        match case {
            Case::Pingpong | Case::PingpongOneThread => {
                flag(
                    self.pingpong_connections != d.pingpong_connections,
                    "pingpong-connections",
                    self.pingpong_connections.to_string(),
                );
                flag(
                    self.round_trips != d.round_trips,
                    "round-trips",
                    self.round_trips.to_string(),
                );
                flag(
                    self.message_bytes != d.message_bytes,
                    "message-bytes",
                    self.message_bytes.to_string(),
                );
            }
            Case::Bulk => {
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
            Case::C10k => flag(
                self.c10k_connections != d.c10k_connections,
                "c10k-connections",
                self.c10k_connections.to_string(),
            ),
            Case::All | Case::Reactor => {}
        }
        if self.socket_timeouts && case != Case::Reactor {
            cmd += " --socket-timeouts";
        }
        cmd
    }

    pub(crate) fn case_timeout(&self) -> Duration {
        Duration::from_secs(self.case_timeout_secs)
    }

    pub(crate) fn options(&self, no_delay: bool) -> ConnOptions {
        ConnOptions {
            no_delay,
            timeout: self.socket_timeouts.then(|| self.common.timeout()),
        }
    }

    /// Added to case names when every socket operation has its own timeout.
    fn timeouts_label(&self) -> &'static str {
        if self.socket_timeouts {
            ", per-operation timeouts"
        } else {
            ""
        }
    }

    /// "2 workers", or "current-thread" for `--workers 0`.
    fn workers_label(&self) -> String {
        match self.workers {
            0 => "current-thread".into(),
            n => format!("{n} workers"),
        }
    }

    pub(crate) fn wants(&self, case: Case) -> bool {
        self.case == Case::All || self.case == case
    }
}

/// Runs the selected cases and checks.
pub fn run(args: &Args) -> BenchResult<Report> {
    if let Some(who) = args.solo {
        return solo(args, who);
    }
    let mut report = Report::default();
    let rounds = args.common.rounds;
    let limit = args.case_timeout();
    if args.wants(Case::Pingpong) || args.wants(Case::Bulk) {
        let runtime = runtime(args.workers)?;
        eprintln!(
            "tokio runtime: {}, shared by both contenders{}",
            args.workers_label(),
            if args.socket_timeouts {
                "; per-operation socket timeouts on"
            } else {
                ""
            }
        );
        if args.wants(Case::Pingpong) {
            let connections = usize::try_from(args.pingpong_connections)?;
            let round_trips = args.round_trips;
            let size = usize::try_from(args.message_bytes)?;
            let options = args.options(true);
            report.cases.push(harness::run_interleaved(
                format!(
                    "async ping-pong {} B, {} connections × {} round trips, TCP_NODELAY, {}{}",
                    args.message_bytes,
                    thousands(args.pingpong_connections),
                    thousands(round_trips),
                    args.workers_label(),
                    args.timeouts_label()
                ),
                Unit::rate("round trips/s", 0),
                "tokio",
                rounds,
                args.command(Case::Pingpong),
                || match options.timeout {
                    None => sample(&runtime, limit, || {
                        ping_pong::<Tokio>(connections, round_trips, size, options)
                    }),
                    Some(_) => sample(&runtime, limit, || {
                        ping_pong::<TokioTimed>(connections, round_trips, size, options)
                    }),
                },
                || {
                    sample(&runtime, limit, || {
                        ping_pong::<Netstack>(connections, round_trips, size, options)
                    })
                },
            )?);
            report
                .checks
                .push(switches_check(args.command(Case::Pingpong)));
        }
        if args.wants(Case::Bulk) {
            let total = args.bulk_mib * MIB;
            let buffer = usize::try_from(args.buffer_kib * 1024)?;
            let options = args.options(false);
            report.cases.push(harness::run_interleaved(
                format!(
                    "async bulk {}, {} KiB buffers, {}{}",
                    size_label(args.bulk_mib),
                    args.buffer_kib,
                    args.workers_label(),
                    args.timeouts_label()
                ),
                Unit::rate("MiB/s", 1),
                "tokio",
                rounds,
                args.command(Case::Bulk),
                || match options.timeout {
                    None => sample(&runtime, limit, || bulk::<Tokio>(total, buffer, options)),
                    Some(_) => sample(&runtime, limit, || {
                        bulk::<TokioTimed>(total, buffer, options)
                    }),
                },
                || sample(&runtime, limit, || bulk::<Netstack>(total, buffer, options)),
            )?);
        }
    }
    if args.wants(Case::C10k) {
        report.cases.push(harness::run_interleaved(
            format!(
                "C10K memory per idle connection, {} connections (server side){}",
                thousands(args.c10k_connections),
                args.timeouts_label()
            ),
            Unit::cost("B/conn", 0),
            "tokio",
            rounds,
            args.command(Case::C10k),
            || c10k_sample(Who::Tokio, args),
            || c10k_sample(Who::Netstack, args),
        )?);
    }
    if args.wants(Case::Reactor) {
        report.checks.push(reactor_check(args)?);
    }
    Ok(report)
}

/// One ping-pong sample of one contender, alone: an empty report (there is
/// nothing to compare); the rate and the context switches are printed.
fn solo(args: &Args, who: Who) -> BenchResult<Report> {
    let runtime = runtime(args.workers)?;
    let connections = usize::try_from(args.pingpong_connections)?;
    let (round_trips, size) = (args.round_trips, usize::try_from(args.message_bytes)?);
    let options = args.options(true);
    let limit = args.case_timeout();
    let rate = match who {
        Who::Netstack => sample(&runtime, limit, || {
            ping_pong::<Netstack>(connections, round_trips, size, options)
        })?,
        Who::Tokio => sample(&runtime, limit, || {
            ping_pong::<Tokio>(connections, round_trips, size, options)
        })?,
        Who::AsyncIo => {
            return Err(
                "async-io is the peer of the one-thread case only (--case pingpong-one-thread)"
                    .into(),
            );
        }
    };
    eprintln!("{} alone: {rate:.0} round trips/s", who.name());
    Ok(Report::default())
}

/// The runtime both contenders run on.
pub(crate) fn runtime(workers: u64) -> BenchResult<Runtime> {
    let mut builder = match workers {
        0 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(usize::try_from(n)?);
            builder
        }
    };
    Ok(builder.enable_all().build()?)
}

/// Runs one sample on the runtime, bounded by `limit` (setup included).
pub(crate) fn sample<F: Future<Output = BenchResult<f64>>>(
    runtime: &Runtime,
    limit: Duration,
    work: impl FnOnce() -> F,
) -> BenchResult<f64> {
    runtime.block_on(async {
        match tokio::time::timeout(limit, work()).await {
            Ok(result) => result,
            Err(_) => Err(format!("not finished within {limit:?} (setup included)").into()),
        }
    })
}

/// `12345` → `"12,345"`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_runtime() -> Runtime {
        runtime(2).unwrap()
    }

    const OPTIONS: ConnOptions = ConnOptions {
        no_delay: true,
        timeout: Some(Duration::from_secs(10)),
    };

    #[test]
    fn ping_pong_completes_with_both_contenders() {
        let rt = small_runtime();
        let limit = Duration::from_secs(30);
        let unbounded = ConnOptions {
            timeout: None,
            ..OPTIONS
        };
        assert!(sample(&rt, limit, || ping_pong::<Tokio>(5, 50, 64, unbounded)).unwrap() > 0.0);
        assert!(sample(&rt, limit, || ping_pong::<TokioTimed>(5, 50, 64, OPTIONS)).unwrap() > 0.0);
        for options in [OPTIONS, unbounded] {
            assert!(
                sample(&rt, limit, || ping_pong::<Netstack>(5, 50, 64, options)).unwrap() > 0.0
            );
        }
        // A bound that does not match the options is refused, not ignored.
        assert!(sample(&rt, limit, || ping_pong::<Tokio>(1, 1, 64, OPTIONS)).is_err());
    }

    #[test]
    fn bulk_moves_every_byte_with_both_contenders() {
        let rt = small_runtime();
        let limit = Duration::from_secs(30);
        let total = 3 * MIB + 17;
        assert!(
            sample(&rt, limit, || bulk::<TokioTimed>(total, 64 * 1024, OPTIONS)).unwrap() > 0.0
        );
        assert!(sample(&rt, limit, || bulk::<Netstack>(total, 64 * 1024, OPTIONS)).unwrap() > 0.0);
    }

    #[test]
    fn a_peer_that_closes_early_is_an_error_not_a_sample() {
        let rt = small_runtime();
        let result = sample(&rt, Duration::from_secs(30), || async {
            let (mut client, server) = pairs::<Netstack>(1, OPTIONS).await?.pop().unwrap();
            drop(server);
            let mut reply = [0u8; 64];
            let _ = send_all(&mut client, &[0u8; 64]).await;
            receive_exact(&mut client, &mut reply).await?;
            Ok(0.0)
        });
        assert!(result.is_err());
    }

    #[test]
    fn a_sample_that_overruns_its_limit_fails() {
        let rt = small_runtime();
        let result = sample(&rt, Duration::from_millis(100), || async {
            let (_client, mut server) = pairs::<Netstack>(
                1,
                ConnOptions {
                    timeout: None,
                    ..OPTIONS
                },
            )
            .await?
            .pop()
            .unwrap();
            let mut buf = [0u8; 1];
            server.receive_some(&mut buf).await?;
            Ok(1.0)
        });
        let err = result.unwrap_err().to_string();
        assert!(err.contains("not finished within"), "{err}");
    }

    #[test]
    fn rss_and_open_files_are_readable() {
        assert!(rss_kib().unwrap() > 0);
        check_open_files(1).unwrap();
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn command_lists_only_changed_options() {
        let mut args = Args::default();
        assert_eq!(
            args.command(Case::Pingpong),
            "cargo run -p bench --release -- async --case pingpong"
        );
        args.c10k_connections = 5_000;
        args.round_trips = 10;
        args.socket_timeouts = true;
        assert_eq!(
            args.command(Case::C10k),
            "cargo run -p bench --release -- async --case c10k --c10k-connections 5000 --socket-timeouts"
        );
        assert_eq!(
            args.command(Case::Reactor),
            "cargo run -p bench --release -- async --case reactor"
        );
    }
}
