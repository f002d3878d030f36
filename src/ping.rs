//! `netstack ping`: ICMP / ICMPv6 echo on a raw socket, or an unprivileged
//! datagram socket when raw ones are not permitted, printed like the
//! system's `ping`, on `protocols::icmp`.

use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use netstack::protocols::icmp::{Pinger, Statistics, MAX_PAYLOAD_SIZE};
use netstack::sockets::{Dns, SocketError};

/// Arguments of `netstack ping`.
#[derive(Args, Debug)]
pub struct PingArgs {
    /// Host name or address (IPv4 or IPv6) to ping.
    host: String,
    /// Stop after sending this many requests (it does not run until interrupted).
    #[arg(short = 'c', long = "count", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    count: u16,
    /// Seconds from one request to the next (requests go one at a time).
    #[arg(short = 'i', long = "interval", default_value = "1", value_parser = seconds)]
    interval: Duration,
    /// Seconds to wait for each reply.
    #[arg(short = 'W', long = "timeout", default_value = "2", value_parser = positive_seconds)]
    timeout: Duration,
    /// Bytes of data in each request.
    #[arg(short = 's', long = "size", default_value_t = 56, value_parser = clap::value_parser!(u16).range(..=MAX_PAYLOAD_SIZE as i64))]
    size: u16,
    /// Say which kind of ICMP socket is used (raw, or unprivileged datagram), on stderr.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
}

fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(0.0..=3600.0).contains(&value) {
        return Err(format!("{value} is not between 0 and 3600 seconds"));
    }
    Ok(Duration::from_secs_f64(value))
}

fn positive_seconds(text: &str) -> Result<Duration, String> {
    let duration = seconds(text)?;
    if duration < Duration::from_millis(1) {
        return Err("the wait must be at least 0.001 seconds".to_string());
    }
    Ok(duration)
}

/// Runs the command: exit 0 when any reply came, 1 when none did, 2 on
/// an error (unknown host, no permission for any ICMP socket).
pub fn run(args: PingArgs) -> ExitCode {
    let target = match Dns::get_host_addresses(&args.host) {
        Ok(addresses) => match addresses.first() {
            Some(address) => *address,
            None => return fail(&format!("{}: no addresses", args.host)),
        },
        Err(err) if err.kind() == SocketError::HostNotFound => {
            return fail(&format!(
                "cannot resolve {}: unknown host ({err})",
                args.host
            ))
        }
        Err(err) => return fail(&format!("cannot resolve {}: {err}", args.host)),
    };
    let mut pinger = match Pinger::new(target) {
        Ok(pinger) => pinger,
        Err(err) => return fail(&err.to_string()),
    };
    if args.verbose {
        eprintln!("netstack ping: using {}", pinger.socket_kind());
    }
    pinger.set_payload_size(usize::from(args.size));
    match ping_loop(&args, target, &pinger, &mut std::io::stdout()) {
        Ok(stats) if stats.received() > 0 => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(err) => fail(&err.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("netstack ping: {message}");
    ExitCode::from(2)
}

fn ping_loop(
    args: &PingArgs,
    target: IpAddr,
    pinger: &Pinger,
    out: &mut dyn Write,
) -> std::io::Result<Statistics> {
    writeln!(
        out,
        "PING {} ({target}) {} data bytes",
        args.host,
        pinger.payload_size()
    )?;
    let mut stats = Statistics::default();
    for sequence in 1..=args.count {
        let sent = Instant::now();
        stats.sent();
        match pinger.ping(sequence, args.timeout) {
            Ok(reply) => {
                stats.replied(reply.rtt);
                writeln!(out, "{reply}")?;
            }
            Err(err) => writeln!(out, "{err}")?,
        }
        if sequence < args.count {
            std::thread::sleep(args.interval.saturating_sub(sent.elapsed()));
        }
    }
    writeln!(out)?;
    writeln!(out, "--- {} ping statistics ---", args.host)?;
    writeln!(out, "{stats}")?;
    Ok(stats)
}
