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

/// Joins a thread that must end within `limit`.
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

/// Runs `call` on `socket` in another thread, closes the socket once the
/// call had time to block, and returns the error the call ended with.
fn error_when_closed_while_blocked<T: Send + 'static>(
    socket: Socket,
    call: impl FnOnce(&Socket) -> sockets::Result<T> + Send + 'static,
) -> (Arc<Socket>, sockets::Error) {
    let socket = Arc::new(socket);
    let blocked = {
        let socket = Arc::clone(&socket);
        thread::spawn(move || call(&socket).map(|_| ()))
    };
    thread::sleep(Duration::from_millis(50));
    socket.close();
    let err = join_within(blocked, Duration::from_secs(5)).unwrap_err();
    assert!(err.is_aborted_by_close(), "{err}");
    (socket, err)
}

mod cancelling;
mod closing;
mod connect_accept;
mod transfer;
mod waiting;
