//! `bench`: netstack measured side by side with its peers, in one run.
//!
//! Each subcommand benchmarks one layer against a peer over loopback
//! (127.0.0.1 only) and prints every sample, then a markdown table of
//! medians and the ratio netstack/peer (higher is better for netstack):
//!
//! ```text
//! cargo run -p bench --release -- sockets            # layer 1: Socket vs std::net
//! cargo run -p bench --release -- sockets --rounds 9 --bulk-mib 256 --pingpong 20000
//! cargo run -p bench --release -- async              # layer 1, async mode: Socket vs tokio::net
//! cargo run -p bench --release -- async --case c10k --c10k-connections 5000
//! cargo run -p bench --release -- transport          # layer 2: NetworkStream, TlsStream, Happy Eyeballs
//! cargo run -p bench --release -- transport --case tls-bulk --rounds 11
//! cargo run -p bench --release -- http               # layer 3: HTTP client vs ureq, reqwest, curl
//! cargo run -p bench --release -- http --case keepalive --requests 2000 --rounds 3
//! cargo build --release && cargo run -p bench --release -- cli   # `netstack fetch` vs curl (hyperfine, nginx)
//! cargo run -p bench --release -- framing            # layer 3: Framed + LinesCodec vs tokio-util
//! cargo run -p bench --release -- resp               # layer 3: RespClient pipelines vs the redis crate
//! cargo run -p bench --release -- soak               # 1,000,000 requests, cancellations, 100 clients at once
//! ```
//!
//! How a case is measured (see [`harness`]): one warm-up run of each
//! contender, then interleaved rounds (peer, netstack, peer, netstack, …),
//! and the median of each. One module per layer (or mode) holds its cases
//! (`sockets_cases`, `async_cases`, `transport_cases`, `http_cases`), and this
//! file only parses the command line and dispatches. A few hidden
//! subcommands are the child processes that some cases re-execute this
//! binary as (a fresh process per sample, e.g. to measure memory).
#![forbid(unsafe_code)]

mod async_cases;
mod cli_cases;
mod framing_cases;
mod harness;
mod http_cases;
mod one_thread_cases;
mod resp_cases;
mod soak_cases;
mod sockets_cases;
mod transport_cases;
mod websocket_cases;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::harness::{BenchResult, Report};

/// Side-by-side benchmarks of netstack against its peers, over loopback.
#[derive(Parser, Debug)]
#[command(name = "bench", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Layer 1: netstack's Socket against std::net (TCP bulk transfer, TCP ping-pong).
    Sockets(sockets_cases::Args),
    /// Layer 1, async mode: netstack's Socket against tokio::net on one tokio
    /// runtime (ping-pong over many connections, bulk transfer, C10K memory,
    /// no reactor thread without async use).
    Async(async_cases::Args),
    /// Layer 2: NetworkStream against std and tokio (TCP bulk), TlsStream
    /// against plain rustls (TLS 1.3 bulk, handshakes per second), and
    /// Happy Eyeballs' connect time against its stagger.
    Transport(transport_cases::Args),
    /// Layer 3: the HTTP client against ureq and reqwest (sequential
    /// keep-alive GETs), and against ureq, curl and a raw NetworkStream
    /// (1 GiB download), all against netstack's own server.
    Http(http_cases::Args),
    /// The `netstack` command as a whole process: `netstack fetch` against
    /// curl, timed by hyperfine, both against one nginx (1 GiB and a tiny file).
    Cli(cli_cases::Args),
    /// Layer 3, framing toolkit: Framed + LinesCodec (async and sync) against
    /// tokio-util's Framed + LinesCodec, 1,000,000 lines over loopback.
    Framing(framing_cases::Args),
    /// Layer 3, RESP: RespClient's pipelines (sync and async) against the
    /// redis crate's, 100,000 SETs to a redis-server the bench starts.
    Resp(resp_cases::Args),
    /// The HTTP client and server over long runs (pass/fail checks, not a
    /// comparison): 1,000,000 keep-alive requests per mode with descriptors
    /// and RSS flat, 10,000 in-flight async requests cancelled without a
    /// trace, 100 keep-alive clients served alike.
    Soak(soak_cases::Args),
    /// Layer 3, WebSocket: netstack's client and server against
    /// tokio-tungstenite (1 KiB echoes, 64 KiB bulk) and tungstenite
    /// (blocking echoes), each talking to itself over loopback.
    Websocket(websocket_cases::Args),
    /// Child process of `async --case c10k`: holds the server side of N idle connections.
    #[command(name = "async-c10k-child", hide = true)]
    AsyncC10kChild(async_cases::C10kChildArgs),
    /// Child process of `async --case c10k`: holds the client side of N idle connections.
    #[command(name = "async-c10k-clients", hide = true)]
    AsyncC10kClients(async_cases::C10kClientsArgs),
    /// Child process of `async --case reactor`: counts reactor threads.
    #[command(name = "async-reactor-child", hide = true)]
    AsyncReactorChild(async_cases::ReactorChildArgs),
}

fn run(command: &Command) -> BenchResult<Report> {
    match command {
        Command::Sockets(args) => sockets_cases::run(args).map(Report::from_cases),
        Command::Async(args) => {
            if let (Some(who), async_cases::Case::PingpongOneThread) = (args.solo, args.case) {
                return one_thread_cases::solo(args, who);
            }
            let mut report = async_cases::run(args)?;
            if args.wants(async_cases::Case::PingpongOneThread) && args.solo.is_none() {
                report
                    .cases
                    .push(one_thread_cases::ping_pong_one_thread(args)?);
            }
            Ok(report)
        }
        Command::Transport(args) => transport_cases::run(args),
        Command::Http(args) => http_cases::run(args),
        Command::Cli(args) => cli_cases::run(args),
        Command::Framing(args) => framing_cases::run(args),
        Command::Resp(args) => resp_cases::run(args),
        Command::Soak(args) => soak_cases::run(args),
        Command::Websocket(args) => websocket_cases::run(args),
        Command::AsyncC10kChild(_)
        | Command::AsyncC10kClients(_)
        | Command::AsyncReactorChild(_) => Err("child subcommands report on their own".into()),
    }
}

/// The hidden child subcommands: they speak a line protocol on stdout to
/// the parent bench process, which checks and reports.
fn run_child(command: &Command) -> Option<BenchResult<()>> {
    match command {
        Command::AsyncC10kChild(args) => Some(async_cases::c10k_child(args)),
        Command::AsyncC10kClients(args) => Some(async_cases::c10k_clients(args)),
        Command::AsyncReactorChild(args) => Some(async_cases::reactor_child(args)),
        Command::Sockets(_)
        | Command::Async(_)
        | Command::Transport(_)
        | Command::Http(_)
        | Command::Cli(_)
        | Command::Framing(_)
        | Command::Resp(_)
        | Command::Soak(_)
        | Command::Websocket(_) => None,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(result) = run_child(&cli.command) {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("bench child: {err}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&cli.command) {
        Ok(report) => {
            if !report.cases.is_empty() {
                println!("## Samples\n");
                println!("{}", harness::samples_report(&report.cases));
                println!("## Medians\n");
                print!("{}", harness::markdown_table(&report.cases));
            }
            if !report.checks.is_empty() {
                println!("\n## Checks\n");
                print!("{}", harness::checks_table(&report.checks));
            }
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                eprintln!("bench: a check failed");
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sockets_flags_parse() {
        let cli = Cli::try_parse_from([
            "bench",
            "sockets",
            "--rounds",
            "3",
            "--bulk-mib",
            "8",
            "--pingpong",
            "1000",
            "--case",
            "pingpong",
        ])
        .unwrap();
        let Command::Sockets(args) = cli.command else {
            panic!("not the sockets subcommand");
        };
        assert_eq!(args.common.rounds, 3);
        assert_eq!(args.bulk_mib, 8);
        assert_eq!(args.pingpong, 1000);
        assert_eq!(args.case, sockets_cases::Case::Pingpong);
        assert!(Cli::try_parse_from(["bench", "sockets", "--rounds", "0"]).is_err());
    }

    #[test]
    fn async_flags_parse() {
        let cli = Cli::try_parse_from([
            "bench",
            "async",
            "--case",
            "c10k",
            "--c10k-connections",
            "500",
            "--workers",
            "4",
            "--round-trips",
            "10",
        ])
        .unwrap();
        let Command::Async(args) = cli.command else {
            panic!("not the async subcommand");
        };
        assert_eq!(args.case, async_cases::Case::C10k);
        assert_eq!(args.c10k_connections, 500);
        assert_eq!(args.workers, 4);
        assert_eq!(args.round_trips, 10);
        // 0 workers: a current-thread runtime; more than 64 is refused.
        assert!(Cli::try_parse_from(["bench", "async", "--workers", "0"]).is_ok());
        assert!(Cli::try_parse_from(["bench", "async", "--workers", "65"]).is_err());
        let child =
            Cli::try_parse_from(["bench", "async-c10k-child", "tokio", "--connections", "3"]);
        assert!(child.is_ok());
    }

    #[test]
    fn framing_and_resp_flags_parse() {
        let cli =
            Cli::try_parse_from(["bench", "framing", "--case", "lines-sync", "--lines", "500"])
                .unwrap();
        let Command::Framing(args) = cli.command else {
            panic!("not the framing subcommand");
        };
        assert_eq!(args.case, framing_cases::Case::LinesSync);
        assert_eq!(args.lines, 500);
        let cli =
            Cli::try_parse_from(["bench", "resp", "--case", "pipeline-async", "--sets", "10"])
                .unwrap();
        let Command::Resp(args) = cli.command else {
            panic!("not the resp subcommand");
        };
        assert_eq!(args.case, resp_cases::Case::PipelineAsync);
        assert_eq!(args.sets, 10);
        assert!(Cli::try_parse_from(["bench", "resp", "--sets", "0"]).is_err());
    }

    #[test]
    fn transport_flags_parse() {
        let cli = Cli::try_parse_from([
            "bench",
            "transport",
            "--case",
            "happy-eyeballs",
            "--staggers-ms",
            "250,100,50",
            "--connects",
            "7",
            "--handshakes",
            "300",
        ])
        .unwrap();
        let Command::Transport(args) = cli.command else {
            panic!("not the transport subcommand");
        };
        assert_eq!(args.case, transport_cases::Case::HappyEyeballs);
        assert_eq!(args.staggers_ms, [250, 100, 50]);
        assert_eq!(args.connects, 7);
        assert_eq!(args.handshakes, 300);
        let defaults = Cli::try_parse_from(["bench", "transport"]).unwrap();
        let Command::Transport(args) = defaults.command else {
            panic!("not the transport subcommand");
        };
        assert_eq!(args.staggers_ms, [250, 100]);
        assert!(Cli::try_parse_from(["bench", "transport", "--staggers-ms", "5"]).is_err());
    }
}
