//! A tiny `dig` on netstack's DNS client: one query to the server you name,
//! the answers printed in zone-file form.
//!
//! ```text
//! cargo run --example dns -- @127.0.0.1 -p 5353 both.test AAAA
//! cargo run --example dns -- @127.0.0.1 -p 5353 --async mail.test MX
//! ```
//!
//! The server is always explicit (`@ADDRESS`, and `-p PORT`, default 53):
//! this program never reads `/etc/resolv.conf`. Types: A (default), AAAA,
//! CNAME, MX, TXT, or TYPEn. A truncated UDP reply is asked again over TCP
//! (the output says which transport answered). `--async` runs the same
//! query on the async API; `--timeout SECS` and `--tries N` set the retry
//! policy.
//!
//! The reusable parts live in `netstack::protocols::dns`: the sans-IO
//! `Query`/`DnsResponse` and the `DnsClient` driver, whose TCP fallback is
//! the framing toolkit's `LengthDelimitedCodec` with a 2-byte length.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use netstack::protocols::dns::{DnsClient, DnsResponse, Record, RecordType};

const USAGE: &str = "usage: dns @SERVER [-p PORT] [--async] [--timeout SECS] [--tries N] NAME [A|AAAA|CNAME|MX|TXT|TYPEn]";

struct Args {
    server: SocketAddr,
    name: String,
    record_type: RecordType,
    asynchronous: bool,
    timeout: Duration,
    tries: u32,
}

fn parse_args() -> Result<Args, String> {
    let mut server: Option<IpAddr> = None;
    let mut port = 53u16;
    let mut positional = Vec::new();
    let mut asynchronous = false;
    let mut timeout = DnsClient::DEFAULT_TIMEOUT;
    let mut tries = DnsClient::DEFAULT_ATTEMPTS;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| args.next().ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "-p" | "--port" => {
                let v = value("a port")?;
                port = v.parse().map_err(|_| format!("bad port {v:?}"))?;
            }
            "--async" => asynchronous = true,
            "--timeout" => {
                let v = value("seconds")?;
                let secs: f64 = v.parse().map_err(|_| format!("bad timeout {v:?}"))?;
                timeout =
                    Duration::try_from_secs_f64(secs).map_err(|_| format!("bad timeout {v:?}"))?;
            }
            "--tries" => {
                let v = value("a count")?;
                tries = v.parse().map_err(|_| format!("bad count {v:?}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ => match arg.strip_prefix('@') {
                Some(address) => {
                    let address = address.trim_start_matches('[').trim_end_matches(']');
                    server =
                        Some(address.parse().map_err(|_| {
                            format!("@{address}: give the server as an IP address")
                        })?);
                }
                None => positional.push(arg),
            },
        }
    }
    let server = server.ok_or_else(|| {
        format!("no server given (this program never reads /etc/resolv.conf)\n{USAGE}")
    })?;
    let (name, record_type) = match positional.as_slice() {
        [name] => (name.clone(), RecordType::A),
        [name, rtype] => (name.clone(), rtype.parse()?),
        _ => return Err(USAGE.to_string()),
    };
    Ok(Args {
        server: SocketAddr::new(server, port),
        name,
        record_type,
        asynchronous,
        timeout,
        tries,
    })
}

fn print_section(title: &str, records: &[Record]) {
    if records.is_empty() {
        return;
    }
    println!("\n;; {title} SECTION:");
    for record in records {
        println!("{record}");
    }
}

fn print_response(response: &DnsResponse, server: SocketAddr) {
    let h = &response.header;
    let mut flags = vec!["qr"];
    for (set, name) in [
        (h.authoritative, "aa"),
        (h.truncated, "tc"),
        (h.recursion_desired, "rd"),
        (h.recursion_available, "ra"),
    ] {
        if set {
            flags.push(name);
        }
    }
    println!(
        ";; status: NOERROR, id: {}, flags: {}; ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}",
        h.id,
        flags.join(" "),
        response.answers.len(),
        response.authorities.len(),
        response.additionals.len()
    );
    let q = &response.question;
    println!(
        "\n;; QUESTION SECTION:\n;{}.\t\tIN\t{}",
        q.name, q.record_type
    );
    print_section("ANSWER", &response.answers);
    print_section("AUTHORITY", &response.authorities);
    print_section("ADDITIONAL", &response.additionals);
    let via = if response.over_tcp {
        "TCP (the UDP reply was truncated)"
    } else {
        "UDP"
    };
    println!("\n;; SERVER: {server} over {via}");
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let client = DnsClient::new(args.server)
        .with_timeout(args.timeout)
        .with_attempts(args.tries);
    let result = if args.asynchronous {
        netstack::sockets::block_on(client.query_async(&args.name, args.record_type))
    } else {
        client.query(&args.name, args.record_type)
    };
    match result {
        Ok(response) => {
            print_response(&response, args.server);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
