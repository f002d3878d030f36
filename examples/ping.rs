//! ICMP echo ("ping") on a raw socket, or an unprivileged ICMP datagram
//! socket, from netstack's base layer, through `protocols::icmp` (the same
//! code as `netstack ping`).
//!
//! ```text
//! cargo run --example ping -- 127.0.0.1 [count]
//! cargo run --example ping -- ::1 3
//! ```
//!
//! Raw sockets need `CAP_NET_RAW` (root has it); without it the pinger
//! uses a datagram socket if `net.ipv4.ping_group_range` admits one of the
//! process's groups, and otherwise the error says what each kind needs.

use std::time::Duration;

use netstack::protocols::icmp::Statistics;
pub use netstack::protocols::icmp::{internet_checksum, Pinger};
use netstack::sockets::Dns;

#[allow(dead_code)] // also compiled into the ping test, which has its own main
fn main() {
    let mut args = std::env::args().skip(1);
    let host = args.next().unwrap_or_else(|| "127.0.0.1".to_string());
    let count: u16 = match args.next().map(|c| c.parse()) {
        None => 4,
        Some(Ok(c)) => c,
        Some(Err(_)) => {
            eprintln!("ping: the count must be a number from 0 to 65535");
            std::process::exit(2);
        }
    };
    let target = match Dns::get_host_addresses(&host) {
        Ok(addresses) => addresses[0],
        Err(err) => {
            eprintln!("ping: {err}");
            std::process::exit(2);
        }
    };
    let pinger = match Pinger::new(target) {
        Ok(p) => p,
        Err(err) => {
            eprintln!("ping: {err}");
            std::process::exit(2);
        }
    };
    println!(
        "PING {host} ({target}): {} data bytes",
        pinger.payload_size()
    );
    let mut stats = Statistics::default();
    for sequence in 0..count {
        stats.sent();
        match pinger.ping(sequence, Duration::from_secs(2)) {
            Ok(reply) => {
                stats.replied(reply.rtt);
                println!("{reply}");
            }
            Err(err) => println!("{err}"),
        }
        if sequence + 1 < count {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    println!("{stats}");
    if stats.received() == 0 && count > 0 {
        std::process::exit(1);
    }
}
