//! The `netstack` command.
#![forbid(unsafe_code)]

mod demo;
mod fetch;
mod ping;
mod serve;
mod ws;

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
    /// Fetch URLs (http, https, ftp, file, data) with curl's flags and exit codes.
    Fetch(Box<fetch::FetchArgs>),
    /// Serve a directory over HTTP (or HTTPS with --tls): listings, ranges, conditional GET.
    Serve(serve::ServeArgs),
    /// Send ICMP / ICMPv6 echo requests: on a raw socket as root or with CAP_NET_RAW, else on an unprivileged ICMP datagram socket.
    Ping(ping::PingArgs),
    /// Talk to a WebSocket server: stdin's lines are sent as text messages, messages received are printed.
    Ws(ws::WsArgs),
}

fn main() -> ExitCode {
    let args = match fetch::with_config_files(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(code) => return code,
    };
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Fetch(args) => fetch::run(*args),
        Command::Demo => match demo::run(&mut std::io::stdout()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("netstack demo: {err}");
                ExitCode::FAILURE
            }
        },
        Command::Serve(args) => serve::run(args),
        Command::Ping(args) => ping::run(args),
        Command::Ws(args) => ws::run(args),
    }
}
