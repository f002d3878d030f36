//! ICMP echo ("ping") on a raw socket from netstack's base layer.
//!
//! ```text
//! cargo run --example ping -- 127.0.0.1 [count]
//! cargo run --example ping -- ::1 3
//! ```
//!
//! Raw sockets need `CAP_NET_RAW` (root has it); without it the error says so.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use netstack::sockets::{AddressFamily, Dns, ProtocolType, Socket, SocketError, SocketType};

/// One echo reply.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    /// Who answered.
    pub from: IpAddr,
    /// The echo sequence number.
    pub sequence: u16,
    /// Bytes of ICMP payload in the reply.
    pub bytes: usize,
    /// Round-trip time.
    pub rtt: Duration,
}

/// A raw ICMP (or ICMPv6) socket aimed at one host.
pub struct Pinger {
    socket: Socket,
    target: IpAddr,
    identifier: u16,
}

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
const PAYLOAD: &[u8] = b"netstack ping payload 0123456789";

impl Pinger {
    /// Opens a raw socket for the target's family.
    pub fn new(target: IpAddr) -> netstack::sockets::Result<Pinger> {
        let (family, protocol) = match target {
            IpAddr::V4(_) => (AddressFamily::InterNetwork, ProtocolType::Icmp),
            IpAddr::V6(_) => (AddressFamily::InterNetworkV6, ProtocolType::IcmpV6),
        };
        let socket = Socket::new(family, SocketType::Raw, protocol)?;
        Ok(Pinger {
            socket,
            target,
            identifier: (std::process::id() & 0xffff) as u16,
        })
    }

    /// Sends one echo request and waits up to `timeout` for its reply.
    pub fn ping(&self, sequence: u16, timeout: Duration) -> netstack::sockets::Result<Reply> {
        let request = self.echo_request(sequence);
        let started = Instant::now();
        self.socket
            .send_to(&request, SocketAddr::new(self.target, 0))?;
        let deadline = started + timeout;
        let mut buf = [0u8; 2048];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(netstack::sockets::Error::new(
                    SocketError::TimedOut,
                    format!("ping {} seq {sequence}", self.target),
                ));
            }
            self.socket.set_receive_timeout(Some(left))?;
            let (n, from) = self.socket.receive_from(&mut buf)?;
            if let Some(bytes) = self.match_reply(&buf[..n], sequence) {
                let from = from.as_ip().map(|a| a.ip()).unwrap_or(self.target);
                return Ok(Reply {
                    from,
                    sequence,
                    bytes,
                    rtt: started.elapsed(),
                });
            }
            // Someone else's ICMP traffic (or our own request on loopback): keep waiting.
        }
    }

    fn echo_request(&self, sequence: u16) -> Vec<u8> {
        let kind = match self.target {
            IpAddr::V4(_) => ECHO_REQUEST_V4,
            IpAddr::V6(_) => ECHO_REQUEST_V6,
        };
        let mut packet = vec![kind, 0, 0, 0];
        packet.extend_from_slice(&self.identifier.to_be_bytes());
        packet.extend_from_slice(&sequence.to_be_bytes());
        packet.extend_from_slice(PAYLOAD);
        if self.target.is_ipv4() {
            // ICMPv6 checksums cover a pseudo-header; the kernel fills them in.
            let sum = internet_checksum(&packet);
            packet[2..4].copy_from_slice(&sum.to_be_bytes());
        }
        packet
    }

    /// The payload length if `packet` is the reply to our request `sequence`.
    fn match_reply(&self, packet: &[u8], sequence: u16) -> Option<usize> {
        let (icmp, reply_type) = match self.target {
            IpAddr::V4(_) => {
                // Raw IPv4 sockets deliver the IP header too.
                let header_len = (*packet.first()? as usize & 0x0f) * 4;
                (packet.get(header_len..)?, ECHO_REPLY_V4)
            }
            IpAddr::V6(_) => (packet, ECHO_REPLY_V6),
        };
        if icmp.len() < 8 || icmp[0] != reply_type {
            return None;
        }
        let identifier = u16::from_be_bytes([icmp[4], icmp[5]]);
        let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
        (identifier == self.identifier && seq == sequence).then_some(icmp.len() - 8)
    }
}

/// The RFC 1071 Internet checksum.
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = data
        .chunks(2)
        .map(|pair| u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]) as u32)
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

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
    println!("PING {host} ({target}): {} data bytes", PAYLOAD.len());
    let mut received = 0;
    for sequence in 0..count {
        match pinger.ping(sequence, Duration::from_secs(2)) {
            Ok(reply) => {
                received += 1;
                println!(
                    "{} bytes from {}: icmp_seq={} time={:.3} ms",
                    reply.bytes + 8,
                    reply.from,
                    reply.sequence,
                    reply.rtt.as_secs_f64() * 1000.0
                );
            }
            Err(err) => println!("{err}"),
        }
        if sequence + 1 < count {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    println!("{count} packets transmitted, {received} received");
    if received == 0 && count > 0 {
        std::process::exit(1);
    }
}
