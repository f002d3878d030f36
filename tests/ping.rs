//! The raw-socket ping example gets echo replies from loopback.

#[path = "../examples/ping.rs"]
mod ping;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use netstack::sockets::SocketError;

fn pinger(target: IpAddr) -> ping::Pinger {
    match ping::Pinger::new(target) {
        Ok(p) => p,
        Err(err) if err.kind() == SocketError::AccessDenied => panic!(
            "this test opens a raw ICMP socket and needs CAP_NET_RAW (run as root, as CI does): {err}"
        ),
        Err(err) => panic!("cannot open a raw socket: {err}"),
    }
}

#[test]
fn ping_127_0_0_1_gets_replies() {
    let pinger = pinger(IpAddr::V4(Ipv4Addr::LOCALHOST));
    for sequence in 0..3 {
        let reply = pinger.ping(sequence, Duration::from_secs(5)).unwrap();
        assert_eq!(reply.from, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(reply.sequence, sequence);
        assert!(reply.bytes > 0);
    }
}

#[test]
fn ping_ipv6_loopback_gets_replies() {
    let pinger = pinger(IpAddr::V6(Ipv6Addr::LOCALHOST));
    let reply = pinger.ping(7, Duration::from_secs(5)).unwrap();
    assert_eq!(reply.sequence, 7);
}

#[test]
fn the_internet_checksum_matches_rfc_1071() {
    // RFC 1071 section 3 example bytes: 0x0001 f203 f4f5 f6f7 -> sum 0xddf2, checksum 0x220d.
    assert_eq!(
        ping::internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
        0x220d
    );
}
