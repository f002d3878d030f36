//! `protocols::icmp::Pinger` on an unprivileged ICMP datagram socket, run
//! as `nobody`: in both modes, over IPv4 and IPv6, two pingers at once.
//!
//! This binary plays both parts (it has no test harness). Run by
//! `cargo test`, it starts itself with `--as-nobody` through
//! `testkit::network_namespace` (a network namespace of its own whose
//! `net.ipv4.ping_group_range` admits nobody's group, uid and gid
//! `nobody`), and checks that the copy passed every case. The copy runs
//! the cases and exits non-zero at the first failure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use netstack::protocols::icmp::{IcmpSocketKind, Pinger, Reply};
use netstack::sockets::SocketError;
use testkit::network_namespace;

const AS_NOBODY: &str = "--as-nobody";
const WAIT: Duration = Duration::from_secs(5);
const TARGETS: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];
const CASES: [(&str, fn()); 3] = [
    (
        "new_falls_back_to_a_datagram_socket_without_root",
        new_falls_back_to_a_datagram_socket_without_root,
    ),
    (
        "a_datagram_pinger_gets_its_replies_in_both_modes",
        a_datagram_pinger_gets_its_replies_in_both_modes,
    ),
    (
        "two_datagram_pingers_at_once_get_their_own_replies",
        two_datagram_pingers_at_once_get_their_own_replies,
    ),
];

fn main() {
    if std::env::args().any(|arg| arg == AS_NOBODY) {
        for (name, case) in CASES {
            case();
            println!("{name} ... ok");
        }
        return;
    }
    let me = std::env::current_exe().expect("the path of this test binary");
    let output =
        network_namespace::run_as_nobody_with_ping_sockets(&[me.to_str().unwrap(), AS_NOBODY]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the pinger cases failed as nobody ({}):\n{stdout}{stderr}",
        output.status
    );
    for (name, _) in CASES {
        assert!(stdout.contains(&format!("{name} ... ok")), "{stdout}");
        println!("test {name} ... ok");
    }
}

fn ping_async(pinger: &Pinger, sequence: u16) -> Reply {
    netstack::sockets::block_on(pinger.ping_async(sequence, WAIT)).unwrap()
}

fn datagram_pinger(target: IpAddr) -> Pinger {
    Pinger::with_socket_kind(target, IcmpSocketKind::Datagram).unwrap()
}

fn new_falls_back_to_a_datagram_socket_without_root() {
    for target in TARGETS {
        let err = Pinger::with_socket_kind(target, IcmpSocketKind::Raw).unwrap_err();
        assert_eq!(err.kind(), SocketError::AccessDenied, "{err}");
        let pinger = Pinger::new(target).unwrap();
        assert_eq!(pinger.socket_kind(), IcmpSocketKind::Datagram);
        // The kernel gives a datagram socket's requests its local port as identifier.
        let port = pinger
            .socket()
            .local_endpoint()
            .unwrap()
            .as_ip()
            .unwrap()
            .port();
        assert_eq!(pinger.identifier(), port);
        assert_ne!(port, 0);
    }
}

fn a_datagram_pinger_gets_its_replies_in_both_modes() {
    for target in TARGETS {
        let pinger = datagram_pinger(target);
        let reply = pinger.ping(1, WAIT).unwrap();
        assert_eq!((reply.from, reply.sequence, reply.bytes), (target, 1, 64));
        // No IP header on a datagram socket: the kernel reports the TTL.
        assert_eq!(reply.ttl, Some(64));
        let reply = ping_async(&pinger, 2);
        assert_eq!((reply.from, reply.sequence, reply.bytes), (target, 2, 64));
    }
}

fn two_datagram_pingers_at_once_get_their_own_replies() {
    for target in TARGETS {
        let mut first = datagram_pinger(target);
        let second = datagram_pinger(target);
        assert_ne!(first.identifier(), second.identifier());
        first.set_payload_size(8);
        std::thread::scope(|scope| {
            let a = scope.spawn(|| {
                (1..=5)
                    .map(|seq| ping_async(&first, seq))
                    .collect::<Vec<_>>()
            });
            let b = scope.spawn(|| {
                (1..=5)
                    .map(|seq| second.ping(seq, WAIT).unwrap())
                    .collect::<Vec<_>>()
            });
            for (seq, reply) in (1..).zip(a.join().unwrap()) {
                assert_eq!((reply.sequence, reply.bytes), (seq, 16));
            }
            for (seq, reply) in (1..).zip(b.join().unwrap()) {
                assert_eq!((reply.sequence, reply.bytes), (seq, 64));
            }
        });
    }
}
