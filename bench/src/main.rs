//! `bench`: netstack measured side by side with its peers, in one run.
//!
//! Each subcommand benchmarks one layer against a peer over loopback
//! (127.0.0.1 only) and prints every sample, then a markdown table of
//! medians and the ratio netstack/peer (higher is better for netstack):
//!
//! ```text
//! cargo run -p bench --release -- sockets            # layer 1: Socket vs std::net
//! cargo run -p bench --release -- sockets --rounds 9 --bulk-mib 256 --pingpong 20000
//! ```
//!
//! How a case is measured (see [`harness`]): one warm-up run of each
//! contender, then interleaved rounds (peer, netstack, peer, netstack, …),
//! and the median of each. One module per layer holds its cases
//! (`sockets_cases`; later `transport_cases`, `protocols_cases`, …), and this
//! file only parses the command line and dispatches.
#![forbid(unsafe_code)]

mod harness;
mod sockets_cases;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::harness::{BenchResult, CaseResult};

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
}

fn run(command: &Command) -> BenchResult<Vec<CaseResult>> {
    match command {
        Command::Sockets(args) => sockets_cases::run(args),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli.command) {
        Ok(results) => {
            println!("## Samples\n");
            println!("{}", harness::samples_report(&results));
            println!("## Medians\n");
            print!("{}", harness::markdown_table(&results));
            ExitCode::SUCCESS
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
        let Command::Sockets(args) = cli.command;
        assert_eq!(args.common.rounds, 3);
        assert_eq!(args.bulk_mib, 8);
        assert_eq!(args.pingpong, 1000);
        assert_eq!(args.case, sockets_cases::Case::Pingpong);
        assert!(Cli::try_parse_from(["bench", "sockets", "--rounds", "0"]).is_err());
    }
}
