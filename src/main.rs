//! The `netstack` command.
#![forbid(unsafe_code)]

mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// netstack: a layered networking stack, from the command line.
#[derive(Parser)]
#[command(name = "netstack", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an offline end-to-end demo on loopback, layer by layer.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => match demo::run(&mut std::io::stdout()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("netstack demo: {err}");
                ExitCode::FAILURE
            }
        },
    }
}
