//! The synchronous Socket's behaviour, on real sockets over loopback.
//!
//! Each test names the behaviour it pins down; most run for IPv4, IPv6 and
//! Unix domain sockets where the behaviour applies.

use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use sockets::{
    select, AddressFamily, Dns, DnsEndPoint, EndPoint, ProtocolType, SelectMode, Shutdown, Socket,
    SocketError, SocketFlags, SocketOption, SocketOptionName, SocketType,
};

/// A bound endpoint for each family under test; Unix uses a fresh path.
#[derive(Clone, Copy, Debug)]
enum Family {
    V4,
    V6,
    Unix,
}

const ALL: [Family; 3] = [Family::V4, Family::V6, Family::Unix];
const IP: [Family; 2] = [Family::V4, Family::V6];

impl Family {
    fn address_family(self) -> AddressFamily {
        match self {
            Family::V4 => AddressFamily::InterNetwork,
            Family::V6 => AddressFamily::InterNetworkV6,
            Family::Unix => AddressFamily::Unix,
        }
    }

    fn socket(self, socket_type: SocketType) -> Socket {
        Socket::new(
            self.address_family(),
            socket_type,
            ProtocolType::Unspecified,
        )
        .unwrap()
    }

    fn any_endpoint(self) -> EndPoint {
        match self {
            Family::V4 => (Ipv4Addr::LOCALHOST, 0).into(),
            Family::V6 => (Ipv6Addr::LOCALHOST, 0).into(),
            Family::Unix => EndPoint::unix_path(temp_path()),
        }
    }
}

fn temp_path() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("netstack-test-{}-{n}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn listener(family: Family) -> Socket {
    let listener = family.socket(SocketType::Stream);
    listener.bind(family.any_endpoint()).unwrap();
    listener.listen(64).unwrap();
    listener
}

/// A connected (client, server-side) pair.
fn connected_pair(family: Family) -> (Socket, Socket) {
    let listener = listener(family);
    let client = family.socket(SocketType::Stream);
    client.connect(listener.local_endpoint().unwrap()).unwrap();
    let server = listener.accept().unwrap();
    (client, server)
}

fn bound_dgram(family: Family) -> Socket {
    let socket = family.socket(SocketType::Dgram);
    socket.bind(family.any_endpoint()).unwrap();
    socket
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x100000001b3)
    })
}

/// A refused-port endpoint: bind a socket, note its port, close it.
fn closed_port(family: Family) -> EndPoint {
    let s = family.socket(SocketType::Stream);
    s.bind(family.any_endpoint()).unwrap();
    let ep = s.local_endpoint().unwrap();
    drop(s);
    ep
}

#[test]
fn accept_gives_a_connected_socket_whose_endpoints_mirror_the_clients() {
    for family in ALL {
        let listener = listener(family);
        let client = family.socket(SocketType::Stream);
        if matches!(family, Family::Unix) {
            client.bind(EndPoint::unix_path(temp_path())).unwrap();
        }
        client.connect(listener.local_endpoint().unwrap()).unwrap();
        let server = listener.accept().unwrap();
        assert!(server.connected() && client.connected(), "{family:?}");
        assert_eq!(
            server.remote_endpoint().unwrap(),
            client.local_endpoint().unwrap(),
            "{family:?}"
        );
        assert_eq!(
            server.local_endpoint().unwrap(),
            client.remote_endpoint().unwrap(),
            "{family:?}"
        );
        assert_eq!(server.address_family(), family.address_family());
    }
}

#[test]
fn several_pending_clients_are_all_accepted() {
    for family in ALL {
        let listener = listener(family);
        let clients: Vec<Socket> = (0..5)
            .map(|_| {
                let c = family.socket(SocketType::Stream);
                c.connect(listener.local_endpoint().unwrap()).unwrap();
                c
            })
            .collect();
        for (i, client) in clients.iter().enumerate() {
            client.send(&[i as u8]).unwrap();
        }
        let mut seen = Vec::new();
        for _ in 0..clients.len() {
            let server = listener.accept().unwrap();
            let mut b = [0u8; 1];
            assert_eq!(server.receive(&mut b).unwrap(), 1);
            seen.push(b[0]);
        }
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3, 4], "{family:?}");
    }
}

#[test]
fn connect_to_a_closed_port_is_connection_refused() {
    for family in IP {
        let target = closed_port(family);
        let client = family.socket(SocketType::Stream);
        let err = client.connect(target.clone()).unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::ConnectionRefused,
            "{family:?}: {err}"
        );
        assert_eq!(err.native_code(), Some(111), "ECONNREFUSED is kept");
        assert!(err.operation().contains(&target.to_string()), "{err}");
    }
}

#[test]
fn connect_to_a_missing_unix_path_says_so() {
    let client = Family::Unix.socket(SocketType::Stream);
    let path = temp_path();
    let err = client.connect(EndPoint::unix_path(&path)).unwrap_err();
    assert_eq!(err.kind(), SocketError::AddressNotAvailable);
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("No such file or directory"), "{text}");
}

#[test]
fn connect_on_a_connected_socket_is_is_connected() {
    for family in ALL {
        let listener = listener(family);
        let client = family.socket(SocketType::Stream);
        client.connect(listener.local_endpoint().unwrap()).unwrap();
        let err = client
            .connect(listener.local_endpoint().unwrap())
            .unwrap_err();
        assert_eq!(err.kind(), SocketError::IsConnected, "{family:?}: {err}");
    }
}

#[test]
fn non_blocking_connect_is_in_progress_then_select_reports_it_writable() {
    for family in IP {
        let listener = listener(family);
        let client = family.socket(SocketType::Stream);
        client.set_blocking(false).unwrap();
        // Loopback may also complete the connect at once (Ok).
        if let Err(e) = client.connect(listener.local_endpoint().unwrap()) {
            assert!(
                matches!(e.kind(), SocketError::InProgress | SocketError::WouldBlock),
                "{e}"
            );
        }
        let mut write = vec![&client];
        let n = select(
            &mut vec![],
            &mut write,
            &mut vec![],
            Some(Duration::from_secs(5)),
        )
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(write.len(), 1);
        assert!(client.pending_error().unwrap().is_none());
        assert!(client.connected());
    }
}

#[test]
fn non_blocking_connect_to_a_closed_port_lands_in_the_error_list() {
    for family in IP {
        let target = closed_port(family);
        let client = family.socket(SocketType::Stream);
        client.set_blocking(false).unwrap();
        if let Err(e) = client.connect(target) {
            if e.kind() == SocketError::ConnectionRefused {
                continue; // refused synchronously: also correct
            }
            assert_eq!(e.kind(), SocketError::InProgress, "{e}");
        }
        let (mut w, mut e) = (vec![&client], vec![&client]);
        select(&mut vec![], &mut w, &mut e, Some(Duration::from_secs(5))).unwrap();
        assert!(w.is_empty(), "a failed connect is not writable");
        assert_eq!(e.len(), 1);
        let pending = client
            .pending_error()
            .unwrap()
            .expect("an error is pending");
        assert_eq!(pending.kind(), SocketError::ConnectionRefused);
    }
}

#[test]
fn receive_timeout_fires_with_timed_out_and_the_socket_still_works() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        server
            .set_receive_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut buf = [0u8; 8];
        let started = Instant::now();
        let err = server.receive(&mut buf).unwrap_err();
        assert_eq!(err.kind(), SocketError::TimedOut, "{family:?}: {err}");
        assert!(started.elapsed() >= Duration::from_millis(40));
        client.send(b"after").unwrap();
        let n = server.receive(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"after");
    }
}

#[test]
fn non_blocking_receive_with_no_data_is_would_block() {
    let (_client, server) = connected_pair(Family::V4);
    server.set_blocking(false).unwrap();
    let err = server.receive(&mut [0u8; 4]).unwrap_err();
    assert_eq!(err.kind(), SocketError::WouldBlock);
}

#[test]
fn receive_returns_zero_after_the_peers_shutdown_send() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        client.send(b"last").unwrap();
        client.shutdown(Shutdown::Send).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(server.receive(&mut buf).unwrap(), 4);
        assert_eq!(server.receive(&mut buf).unwrap(), 0, "{family:?}");
        assert_eq!(server.receive(&mut buf).unwrap(), 0, "{family:?}");
        // The other direction still works.
        server.send(b"reply").unwrap();
        assert_eq!(client.receive(&mut buf).unwrap(), 5);
    }
}

#[test]
fn zero_byte_receive_waits_for_data_and_consumes_nothing() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            client.send(b"data").unwrap();
            client
        });
        let started = Instant::now();
        assert_eq!(server.receive(&mut []).unwrap(), 0);
        assert!(
            started.elapsed() >= Duration::from_millis(30),
            "{family:?}: returned before data"
        );
        let mut buf = [0u8; 8];
        assert_eq!(server.receive(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"data");
        sender.join().unwrap();
    }
}

#[test]
fn zero_byte_receive_honours_the_receive_timeout() {
    let (_client, server) = connected_pair(Family::V4);
    server
        .set_receive_timeout(Some(Duration::from_millis(30)))
        .unwrap();
    let err = server.receive(&mut []).unwrap_err();
    assert_eq!(err.kind(), SocketError::TimedOut);
}

#[test]
fn a_mebibyte_sent_with_vectored_buffers_arrives_intact() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        let data: Vec<u8> = (0..1 << 20)
            .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let expected = fnv1a(&data);
        let to_send = data.clone();
        let sender = thread::spawn(move || {
            let mut offset = 0;
            while offset < to_send.len() {
                let end = (offset + 40_000).min(to_send.len());
                let mid = (offset + end) / 2;
                let slices = [
                    IoSlice::new(&[]),
                    IoSlice::new(&to_send[offset..mid]),
                    IoSlice::new(&[]),
                    IoSlice::new(&to_send[mid..end]),
                ];
                offset += client.send_vectored(&slices).unwrap();
            }
            client.shutdown(Shutdown::Send).unwrap();
        });
        let mut received = Vec::with_capacity(data.len());
        let (mut a, mut b) = (vec![0u8; 3000], vec![0u8; 7001]);
        loop {
            let mut empty = [0u8; 0];
            let mut slices = [
                IoSliceMut::new(&mut a),
                IoSliceMut::new(&mut empty),
                IoSliceMut::new(&mut b),
            ];
            let n = server.receive_vectored(&mut slices).unwrap();
            if n == 0 {
                break;
            }
            let first = n.min(a.len());
            received.extend_from_slice(&a[..first]);
            received.extend_from_slice(&b[..n - first]);
        }
        sender.join().unwrap();
        assert_eq!(received.len(), data.len(), "{family:?}");
        assert_eq!(fnv1a(&received), expected, "{family:?}");
    }
}

#[test]
fn a_500_byte_datagram_into_a_100_byte_buffer_reports_truncated() {
    for family in ALL {
        let receiver = bound_dgram(family);
        let sender = bound_dgram(family);
        let payload = [7u8; 500];
        sender
            .send_to(&payload, receiver.local_endpoint().unwrap())
            .unwrap();
        sender
            .send_to(&payload, receiver.local_endpoint().unwrap())
            .unwrap();
        let mut buf = [0u8; 100];
        let (n, flags) = receiver
            .receive_with_flags(&mut buf, SocketFlags::empty())
            .unwrap();
        assert_eq!(n, 100, "{family:?}");
        assert!(flags.contains(SocketFlags::TRUNCATED), "{family:?}");
        let err = receiver.receive(&mut buf).unwrap_err();
        assert_eq!(err.kind(), SocketError::MessageSize, "{family:?}");
        assert!(err.to_string().contains("100-byte buffer"), "{err}");
    }
}

#[test]
fn receive_from_reports_truncation_too() {
    let receiver = bound_dgram(Family::V4);
    let sender = bound_dgram(Family::V4);
    sender
        .send_to(&[1u8; 300], receiver.local_endpoint().unwrap())
        .unwrap();
    let err = receiver.receive_from(&mut [0u8; 10]).unwrap_err();
    assert_eq!(err.kind(), SocketError::MessageSize);
}

#[test]
fn peek_then_receive_returns_the_same_datagram() {
    for family in ALL {
        let receiver = bound_dgram(family);
        let sender = bound_dgram(family);
        sender
            .send_to(b"first", receiver.local_endpoint().unwrap())
            .unwrap();
        sender
            .send_to(b"second", receiver.local_endpoint().unwrap())
            .unwrap();
        let mut peeked = [0u8; 32];
        let (n, _) = receiver
            .receive_with_flags(&mut peeked, SocketFlags::PEEK)
            .unwrap();
        assert_eq!(&peeked[..n], b"first", "{family:?}");
        let mut buf = [0u8; 32];
        let (m, from) = receiver.receive_from(&mut buf).unwrap();
        assert_eq!(&buf[..m], b"first");
        assert_eq!(from, sender.local_endpoint().unwrap());
        let (m, _) = receiver.receive_from(&mut buf).unwrap();
        assert_eq!(&buf[..m], b"second");
    }
}

#[test]
fn peek_on_a_stream_leaves_the_bytes_in_place() {
    let (client, server) = connected_pair(Family::V4);
    client.send(b"abc").unwrap();
    let mut buf = [0u8; 8];
    let (n, _) = server
        .receive_with_flags(&mut buf, SocketFlags::PEEK)
        .unwrap();
    assert_eq!(&buf[..n], b"abc");
    assert_eq!(server.available().unwrap(), 3);
    assert_eq!(server.receive(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");
}

#[test]
fn receive_message_from_reports_the_destination_address() {
    for (family, wildcard, dest) in [
        (
            Family::V4,
            IpAddr::from(Ipv4Addr::UNSPECIFIED),
            IpAddr::from(Ipv4Addr::new(127, 0, 0, 3)),
        ),
        (
            Family::V6,
            IpAddr::from(Ipv6Addr::UNSPECIFIED),
            IpAddr::from(Ipv6Addr::LOCALHOST),
        ),
    ] {
        let receiver = family.socket(SocketType::Dgram);
        receiver.bind((wildcard, 0)).unwrap();
        let port = receiver.local_endpoint().unwrap().as_ip().unwrap().port();
        let sender = bound_dgram(family);
        // Switch packet info on before the datagram arrives.
        receiver.set_blocking(false).unwrap();
        let _ = receiver.receive_message_from(&mut [0u8; 4], SocketFlags::empty());
        receiver.set_blocking(true).unwrap();
        sender.send_to(b"where", (dest, port)).unwrap();
        let mut buf = [0u8; 16];
        let message = receiver
            .receive_message_from(&mut buf, SocketFlags::empty())
            .unwrap();
        assert_eq!(&buf[..message.bytes], b"where");
        assert_eq!(message.remote, sender.local_endpoint().unwrap());
        let info = message.packet_info.expect("packet info");
        assert_eq!(info.address, dest, "{family:?}");
        assert!(info.interface > 0);
    }
}

#[test]
fn select_on_idle_sockets_times_out_with_empty_lists() {
    let a = bound_dgram(Family::V4);
    let b = bound_dgram(Family::V6);
    let (mut read, mut error) = (vec![&a, &b], vec![&a, &b]);
    let started = Instant::now();
    let n = select(
        &mut read,
        &mut vec![],
        &mut error,
        Some(Duration::from_millis(30)),
    )
    .unwrap();
    assert_eq!(n, 0);
    assert!(read.is_empty() && error.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(25));
}

#[test]
fn select_keeps_only_the_socket_that_has_data() {
    let sockets: Vec<Socket> = (0..4).map(|_| bound_dgram(Family::V4)).collect();
    let sender = bound_dgram(Family::V4);
    sender
        .send_to(b"x", sockets[2].local_endpoint().unwrap())
        .unwrap();
    let mut read: Vec<&Socket> = sockets.iter().collect();
    let n = select(
        &mut read,
        &mut vec![],
        &mut vec![],
        Some(Duration::from_secs(5)),
    )
    .unwrap();
    assert_eq!(n, 1);
    assert_eq!(read.len(), 1);
    assert!(std::ptr::eq(read[0], &sockets[2]));
}

#[test]
fn select_with_nothing_to_wait_on_and_no_timeout_is_refused() {
    let err = select(&mut vec![], &mut vec![], &mut vec![], None).unwrap_err();
    assert_eq!(err.kind(), SocketError::InvalidArgument);
}

#[test]
fn poll_read_is_true_at_end_of_stream() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        assert!(!server
            .poll(Some(Duration::from_millis(10)), SelectMode::Read)
            .unwrap());
        client.shutdown(Shutdown::Send).unwrap();
        assert!(
            server
                .poll(Some(Duration::from_secs(5)), SelectMode::Read)
                .unwrap(),
            "{family:?}"
        );
        assert_eq!(server.receive(&mut [0u8; 4]).unwrap(), 0);
        assert!(server
            .poll(Some(Duration::ZERO), SelectMode::Write)
            .unwrap());
    }
}

#[test]
fn poll_read_on_a_listener_means_a_connection_is_pending() {
    let listener = listener(Family::V4);
    assert!(!listener
        .poll(Some(Duration::ZERO), SelectMode::Read)
        .unwrap());
    let client = Family::V4.socket(SocketType::Stream);
    client.connect(listener.local_endpoint().unwrap()).unwrap();
    assert!(listener
        .poll(Some(Duration::from_secs(5)), SelectMode::Read)
        .unwrap());
}

#[test]
fn dual_mode_accepts_an_ipv4_client_and_reports_a_mapped_address() {
    let listener = Socket::new_dual_mode(SocketType::Stream, ProtocolType::Tcp).unwrap();
    assert!(listener.dual_mode().unwrap());
    listener.bind((Ipv6Addr::UNSPECIFIED, 0)).unwrap();
    listener.listen(8).unwrap();
    let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
    let client = Family::V4.socket(SocketType::Stream);
    client.connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    let server = listener.accept().unwrap();
    let remote = server.remote_endpoint().unwrap().as_ip().unwrap();
    let client_local = client.local_endpoint().unwrap().as_ip().unwrap();
    assert_eq!(
        remote.ip(),
        IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped())
    );
    assert_eq!(remote.port(), client_local.port());
    // A dual-mode client reaches an IPv4 listener given an IPv4 endpoint.
    let v4_listener = listener_v4();
    let dual_client = Socket::new_dual_mode(SocketType::Stream, ProtocolType::Tcp).unwrap();
    dual_client
        .connect(v4_listener.local_endpoint().unwrap())
        .unwrap();
    assert!(dual_client.connected());
}

fn listener_v4() -> Socket {
    listener(Family::V4)
}

#[test]
fn an_ipv6_only_socket_refuses_ipv4() {
    let s = Family::V6.socket(SocketType::Stream);
    s.set_dual_mode(false).unwrap();
    let target = listener_v4().local_endpoint().unwrap();
    let err = s.connect(target).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            SocketError::NetworkUnreachable
                | SocketError::AddressFamilyNotSupported
                | SocketError::InvalidArgument
        ),
        "{err}"
    );
}

#[test]
fn bind_on_a_port_a_listener_holds_is_address_in_use_unless_both_share_it() {
    for family in IP {
        let holder = listener(family);
        let taken = holder.local_endpoint().unwrap();
        let other = family.socket(SocketType::Stream);
        let err = other.bind(taken.clone()).unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::AddressAlreadyInUse,
            "{family:?}: {err}"
        );
        assert!(err.to_string().contains(&taken.to_string()), "{err}");
        // SO_REUSEADDR alone does not let Linux share a listening port...
        let reuse_addr = family.socket(SocketType::Stream);
        reuse_addr.set_reuse_address(true).unwrap();
        assert_eq!(
            reuse_addr.bind(taken.clone()).unwrap_err().kind(),
            SocketError::AddressAlreadyInUse
        );
        // ...SO_REUSEPORT on both sockets does.
        let first = family.socket(SocketType::Stream);
        first.set_exclusive_address_use(false).unwrap();
        first.bind(family.any_endpoint()).unwrap();
        first.listen(4).unwrap();
        let second = family.socket(SocketType::Stream);
        second.set_reuse_port(true).unwrap();
        second.bind(first.local_endpoint().unwrap()).unwrap();
        assert!(!second.exclusive_address_use().unwrap());
    }
}

#[test]
fn a_unix_socket_path_and_an_abstract_name_are_usable() {
    for endpoint in [
        EndPoint::unix_path(temp_path()),
        EndPoint::unix_abstract(format!("netstack-{}", std::process::id())),
    ] {
        let listener = Family::Unix.socket(SocketType::Stream);
        listener.bind(endpoint.clone()).unwrap();
        listener.listen(4).unwrap();
        assert_eq!(listener.local_endpoint().unwrap(), endpoint);
        let client = Family::Unix.socket(SocketType::Stream);
        client.connect(endpoint.clone()).unwrap();
        let server = listener.accept().unwrap();
        client.send(b"unix").unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(server.receive(&mut buf).unwrap(), 4);
        assert_eq!(client.remote_endpoint().unwrap(), endpoint);
    }
}

#[test]
fn close_from_another_thread_unblocks_accept() {
    for family in ALL {
        let listener = Arc::new(listener(family));
        let blocked = {
            let listener = Arc::clone(&listener);
            thread::spawn(move || listener.accept().map(|_| ()))
        };
        thread::sleep(Duration::from_millis(50));
        listener.close();
        let err = join_within(blocked, Duration::from_secs(5)).unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::OperationAborted,
            "{family:?}: {err}"
        );
        assert_eq!(
            listener.accept().unwrap_err().kind(),
            SocketError::OperationAborted
        );
    }
}

#[test]
fn close_from_another_thread_unblocks_receive() {
    for family in ALL {
        let (_client, server) = connected_pair(family);
        let server = Arc::new(server);
        let blocked = {
            let server = Arc::clone(&server);
            thread::spawn(move || server.receive(&mut [0u8; 16]))
        };
        thread::sleep(Duration::from_millis(50));
        server.close();
        let err = join_within(blocked, Duration::from_secs(5)).unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::OperationAborted,
            "{family:?}: {err}"
        );
    }
    // And a datagram socket blocked in receive_from.
    let udp = Arc::new(bound_dgram(Family::V4));
    let blocked = {
        let udp = Arc::clone(&udp);
        thread::spawn(move || udp.receive_from(&mut [0u8; 16]).map(|_| 0))
    };
    thread::sleep(Duration::from_millis(50));
    udp.close();
    let err = join_within(blocked, Duration::from_secs(5)).unwrap_err();
    assert_eq!(err.kind(), SocketError::OperationAborted, "{err}");
}

fn join_within<T: Send + 'static>(handle: thread::JoinHandle<T>, limit: Duration) -> T {
    let deadline = Instant::now() + limit;
    while !handle.is_finished() {
        assert!(
            Instant::now() < deadline,
            "the blocked call did not return after close"
        );
        thread::sleep(Duration::from_millis(5));
    }
    handle.join().unwrap()
}

#[test]
fn a_closed_socket_releases_its_port_and_refuses_calls() {
    let l = listener(Family::V4);
    let ep = l.local_endpoint().unwrap();
    l.close();
    l.close();
    assert!(l.is_closed());
    assert_eq!(
        l.local_endpoint().unwrap_err().kind(),
        SocketError::OperationAborted
    );
    let again = Family::V4.socket(SocketType::Stream);
    again.bind(ep).unwrap();
}

#[test]
fn send_file_sends_the_files_bytes_exactly() {
    let path = std::env::temp_dir().join(format!("netstack-sendfile-{}", std::process::id()));
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    for family in ALL {
        let (client, server) = connected_pair(family);
        let p = path.clone();
        let sender = thread::spawn(move || {
            let sent = client.send_file(&p, Some(b"HEAD"), Some(b"TAIL")).unwrap();
            client.shutdown(Shutdown::Send).unwrap();
            sent
        });
        let mut received = Vec::new();
        let mut buf = vec![0u8; 65536];
        loop {
            let n = server.receive(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buf[..n]);
        }
        let sent = sender.join().unwrap();
        assert_eq!(sent, content.len() as u64 + 8);
        assert_eq!(&received[..4], b"HEAD");
        assert_eq!(&received[received.len() - 4..], b"TAIL");
        assert_eq!(
            fnv1a(&received[4..received.len() - 4]),
            fnv1a(&content),
            "{family:?}"
        );
    }
    let (client, _server) = connected_pair(Family::V4);
    let missing = client
        .send_file("/nonexistent/netstack", None, None)
        .unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent/netstack"),
        "{missing}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn connect_by_host_name_reaches_a_localhost_listener() {
    let l = listener(Family::V4);
    let port = l.local_endpoint().unwrap().as_ip().unwrap().port();
    let client = Socket::new_dual_mode(SocketType::Stream, ProtocolType::Tcp).unwrap();
    client.connect_host("localhost", port).unwrap();
    assert!(client.connected());
    let v4 = Family::V4.socket(SocketType::Stream);
    v4.connect(DnsEndPoint::new("localhost", port)).unwrap();
}

#[test]
fn connect_to_an_address_list_tries_each_in_order() {
    let good = listener(Family::V4);
    let port = good.local_endpoint().unwrap().as_ip().unwrap().port();
    // 127.0.0.2 has no listener on this port: refused, then 127.0.0.1 succeeds.
    let client = Family::V4.socket(SocketType::Stream);
    client
        .connect_addresses(
            &[IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 1])],
            port,
        )
        .unwrap();
    assert_eq!(
        client.remote_endpoint().unwrap(),
        good.local_endpoint().unwrap()
    );
    let none = Family::V4.socket(SocketType::Stream);
    let err = none
        .connect_addresses(&[IpAddr::from(Ipv6Addr::LOCALHOST)], port)
        .unwrap_err();
    assert_eq!(err.kind(), SocketError::AddressFamilyNotSupported);
}

#[test]
fn dns_resolves_localhost_and_an_unknown_name_is_host_not_found() {
    let addresses = Dns::get_host_addresses("localhost").unwrap();
    assert!(addresses.iter().all(|a| a.is_loopback()), "{addresses:?}");
    let err = Dns::get_host_addresses("no-such-host.invalid").unwrap_err();
    assert_eq!(
        err.kind(),
        SocketError::HostNotFound,
        "the system resolver must answer NXDOMAIN for a .invalid name (is a DNS server reachable?); it answered: {err}"
    );
    assert!(err.to_string().contains("no-such-host.invalid"));
    assert_eq!(
        Dns::get_host_addresses("[::1]").unwrap(),
        vec![IpAddr::from(Ipv6Addr::LOCALHOST)]
    );
    assert!(!Dns::get_host_name().unwrap().is_empty());
    let client = Family::V4.socket(SocketType::Stream);
    assert_eq!(
        client
            .connect_host("no-such-host.invalid", 80)
            .unwrap_err()
            .kind(),
        SocketError::HostNotFound
    );
}

#[test]
fn a_dns_endpoint_is_refused_by_bind_and_send_to() {
    let s = bound_dgram(Family::V4);
    let dns = DnsEndPoint::new("localhost", 9);
    for err in [
        Family::V4
            .socket(SocketType::Dgram)
            .bind(dns.clone())
            .unwrap_err(),
        s.send_to(b"x", dns).unwrap_err(),
    ] {
        assert_eq!(err.kind(), SocketError::InvalidArgument);
        assert!(err.to_string().contains("DnsEndPoint"), "{err}");
    }
}

#[test]
fn misuse_gives_errors_not_panics() {
    let l = listener(Family::V4);
    assert_eq!(
        l.receive(&mut [0u8; 4]).unwrap_err().kind(),
        SocketError::NotConnected
    );
    let bound = bound_dgram(Family::V4);
    assert_eq!(
        bound.bind((Ipv4Addr::LOCALHOST, 0)).unwrap_err().kind(),
        SocketError::InvalidArgument
    );
    let unix = Family::Unix.socket(SocketType::Stream);
    let err = unix.set_ttl(5).unwrap_err();
    assert_eq!(err.kind(), SocketError::AddressFamilyNotSupported);
    assert!(err.to_string().contains("IP sockets"), "{err}");
    assert_eq!(
        Family::V4
            .socket(SocketType::Stream)
            .set_dual_mode(true)
            .unwrap_err()
            .kind(),
        SocketError::AddressFamilyNotSupported
    );
    let unconnected = Family::V4.socket(SocketType::Stream);
    // Linux reports EPIPE for a send on a never-connected TCP socket.
    assert_eq!(
        unconnected.send(b"x").unwrap_err().kind(),
        SocketError::Shutdown
    );
    assert_eq!(
        unconnected.remote_endpoint().unwrap_err().kind(),
        SocketError::NotConnected
    );
    assert!(!unconnected.is_bound() && !unconnected.connected());
    assert_eq!(
        l.set_option(SocketOption::AcceptConnection(false))
            .unwrap_err()
            .kind(),
        SocketError::InvalidArgument
    );
    let v4 = Family::V4.socket(SocketType::Stream);
    assert_eq!(
        v4.bind((Ipv6Addr::LOCALHOST, 0)).unwrap_err().kind(),
        SocketError::AddressFamilyNotSupported
    );
}

#[test]
fn options_round_trip() {
    let s = Family::V4.socket(SocketType::Stream);
    for option in [
        SocketOption::NoDelay(true),
        SocketOption::ReuseAddress(true),
        SocketOption::KeepAlive(true),
        SocketOption::Linger(Some(Duration::from_secs(3))),
        SocketOption::ReceiveTimeout(Some(Duration::from_millis(1500))),
        SocketOption::SendTimeout(None),
        SocketOption::Ttl(42),
        SocketOption::DontFragment(true),
        SocketOption::OutOfBandInline(true),
    ] {
        s.set_option(option).unwrap();
        assert_eq!(s.get_option(option.name()).unwrap(), option);
    }
    s.set_keep_alive_params(sockets::KeepAlive {
        idle: Some(Duration::from_secs(30)),
        interval: Some(Duration::from_secs(5)),
        retries: Some(4),
    })
    .unwrap();
    let ka = s.keep_alive_params().unwrap();
    assert_eq!(ka.idle, Some(Duration::from_secs(30)));
    assert_eq!(ka.retries, Some(4));
    s.set_receive_buffer_size(65536).unwrap();
    assert!(s.receive_buffer_size().unwrap() >= 65536);
    let u = Family::V6.socket(SocketType::Dgram);
    for option in [
        SocketOption::Broadcast(true),
        SocketOption::MulticastTtl(7),
        SocketOption::MulticastLoopback(false),
        SocketOption::DualMode(true),
        SocketOption::Ttl(9),
    ] {
        u.set_option(option).unwrap();
        assert_eq!(u.get_option(option.name()).unwrap(), option);
    }
    // Raw options: SO_TYPE via getsockopt.
    let mut value = [0u8; 4];
    let n = s
        .get_raw_option(1 /* SOL_SOCKET */, 3 /* SO_TYPE */, &mut value)
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(i32::from_ne_bytes(value), 1 /* SOCK_STREAM */);
    assert_eq!(
        listener(Family::V4)
            .get_option(SocketOptionName::AcceptConnection)
            .unwrap(),
        SocketOption::AcceptConnection(true)
    );
}

#[test]
fn multicast_join_send_receive_leave_on_loopback() {
    let group = Ipv4Addr::new(239, 255, 42, 99);
    let receiver = Family::V4.socket(SocketType::Dgram);
    receiver.set_reuse_address(true).unwrap();
    receiver.bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let port = receiver.local_endpoint().unwrap().as_ip().unwrap().port();
    receiver
        .join_multicast_v4(group, Ipv4Addr::LOCALHOST)
        .unwrap();
    let sender = Family::V4.socket(SocketType::Dgram);
    sender
        .set_multicast_interface_v4(Ipv4Addr::LOCALHOST)
        .unwrap();
    sender.set_multicast_loopback(true).unwrap();
    sender.send_to(b"group", (group, port)).unwrap();
    receiver
        .set_receive_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    let (n, _) = receiver.receive_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"group");
    receiver
        .leave_multicast_v4(group, Ipv4Addr::LOCALHOST)
        .unwrap();
    sender.send_to(b"again", (group, port)).unwrap();
    receiver
        .set_receive_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert_eq!(
        receiver.receive_from(&mut buf).unwrap_err().kind(),
        SocketError::TimedOut
    );
}

#[test]
fn out_of_band_data_is_received_with_the_flag() {
    let (client, server) = connected_pair(Family::V4);
    client.send(b"normal").unwrap();
    client
        .send_with_flags(b"!", SocketFlags::OUT_OF_BAND)
        .unwrap();
    let mut error = vec![&server];
    select(
        &mut vec![],
        &mut vec![],
        &mut error,
        Some(Duration::from_secs(5)),
    )
    .unwrap();
    assert_eq!(error.len(), 1, "urgent data shows in the error list");
    let mut urgent = [0u8; 1];
    let (n, _) = server
        .receive_with_flags(&mut urgent, SocketFlags::OUT_OF_BAND)
        .unwrap();
    assert_eq!((n, urgent[0]), (1, b'!'));
}

#[test]
fn disconnect_with_reuse_lets_a_datagram_socket_connect_elsewhere() {
    let a = bound_dgram(Family::V4);
    let b = bound_dgram(Family::V4);
    let s = bound_dgram(Family::V4);
    s.connect(a.local_endpoint().unwrap()).unwrap();
    assert!(s.connected());
    s.disconnect(true).unwrap();
    assert!(!s.connected());
    s.connect(b.local_endpoint().unwrap()).unwrap();
    s.send(b"to b").unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(b.receive(&mut buf).unwrap(), 4);
    s.disconnect(false).unwrap();
    assert!(s.is_closed());
}

#[test]
fn an_address_family_mismatch_in_send_to_is_an_error() {
    let s = bound_dgram(Family::V4);
    let err = s
        .send_to(b"x", SocketAddr::from((Ipv6Addr::LOCALHOST, 9)))
        .unwrap_err();
    assert_eq!(err.kind(), SocketError::AddressFamilyNotSupported, "{err}");
}
