//! The asynchronous mode: the synchronous behaviour cases through the async
//! API, plus cancellation, close, timeouts, mixing modes and load — each case
//! run under tokio (multi-thread and current-thread, and a runtime without
//! its I/O driver), futures' `block_on`, smol and netstack's own `block_on`,
//! to show the futures are runtime-agnostic. Run with the `tokio` feature
//! the tokio cases use tokio's driver; without it, netstack's reactor.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures::future::join_all;
use futures::{join, poll};
use sockets::{
    sleep, with_timeout, AddressFamily, DnsEndPoint, EndPoint, ProtocolType, SelectMode, Shutdown,
    Socket, SocketError, SocketFlags, SocketType,
};

/// Fails a case that runs longer than this instead of hanging the suite.
const CASE_LIMIT: Duration = Duration::from_secs(60);

async fn bounded<F: Future<Output = ()>>(case: F) {
    let mut case = pin!(case);
    let mut limit = pin!(sleep(CASE_LIMIT));
    std::future::poll_fn(|cx| {
        if case.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        if limit.as_mut().poll(cx).is_ready() {
            panic!("the case did not finish within {CASE_LIMIT:?}");
        }
        Poll::Pending
    })
    .await
}

/// Runs each case under every executor.
macro_rules! on_every_executor {
    ($(async fn $name:ident() $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn case() $body

            // With the `tokio` feature, sockets wait on tokio's I/O driver
            // in these two; elsewhere on netstack's own reactor.
            #[test]
            fn tokio_multi_thread() {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(bounded(case()));
            }

            #[test]
            fn tokio_current_thread() {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(bounded(case()));
            }

            /// A runtime without its I/O driver cannot take sockets: they
            /// stay on netstack's reactor.
            #[test]
            fn tokio_without_io_driver() {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .build()
                    .unwrap()
                    .block_on(bounded(case()));
            }

            #[test]
            fn sockets_block_on() {
                sockets::block_on(bounded(case()));
            }

            #[test]
            fn futures_block_on() {
                futures::executor::block_on(bounded(case()));
            }

            #[test]
            fn smol_block_on() {
                smol::block_on(bounded(case()));
            }
        }
    )*};
}

#[derive(Clone, Copy, Debug)]
enum Family {
    V4,
    V6,
    Unix,
}

const ALL: [Family; 3] = [Family::V4, Family::V6, Family::Unix];

impl Family {
    fn socket(self, socket_type: SocketType) -> Socket {
        let family = match self {
            Family::V4 => AddressFamily::InterNetwork,
            Family::V6 => AddressFamily::InterNetworkV6,
            Family::Unix => AddressFamily::Unix,
        };
        Socket::new(family, socket_type, ProtocolType::Unspecified).unwrap()
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
    let path = std::env::temp_dir().join(format!("netstack-async-{}-{n}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

fn listener(family: Family) -> Socket {
    let l = family.socket(SocketType::Stream);
    l.bind(family.any_endpoint()).unwrap();
    l.listen(1024).unwrap();
    l
}

async fn connected_pair(family: Family) -> (Socket, Socket) {
    let l = listener(family);
    let client = family.socket(SocketType::Stream);
    let (connected, accepted) = join!(
        client.connect_async(l.local_endpoint().unwrap()),
        l.accept_async()
    );
    connected.unwrap();
    (client, accepted.unwrap())
}

fn bound_dgram(family: Family) -> Socket {
    let s = family.socket(SocketType::Dgram);
    s.bind(family.any_endpoint()).unwrap();
    s
}

async fn receive_exact(socket: &Socket, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut got = 0;
    while got < len {
        let n = socket.receive_async(&mut out[got..]).await.unwrap();
        assert!(n > 0, "end of stream after {got} of {len} bytes");
        got += n;
    }
    out
}

async fn send_all(socket: &Socket, mut data: &[u8]) {
    while !data.is_empty() {
        let n = socket.send_async(data).await.unwrap();
        data = &data[n..];
    }
}

on_every_executor! {
    async fn accept_gives_a_connected_socket_whose_endpoints_mirror_the_clients() {
        for family in ALL {
            let (client, server) = connected_pair(family).await;
            assert_eq!(server.local_endpoint().unwrap(), client.remote_endpoint().unwrap(), "{family:?}");
            if !matches!(family, Family::Unix) {
                assert_eq!(server.remote_endpoint().unwrap(), client.local_endpoint().unwrap());
            }
            send_all(&client, b"hello").await;
            assert_eq!(receive_exact(&server, 5).await, b"hello");
        }
    }

    async fn connect_to_a_closed_port_is_connection_refused() {
        for family in [Family::V4, Family::V6] {
            let s = family.socket(SocketType::Stream);
            s.bind(family.any_endpoint()).unwrap();
            let target = s.local_endpoint().unwrap();
            drop(s);
            let client = family.socket(SocketType::Stream);
            let err = client.connect_async(target.clone()).await.unwrap_err();
            assert_eq!(err.kind(), SocketError::ConnectionRefused, "{family:?}: {err}");
            assert!(err.to_string().contains(&target.to_string()), "{err}");
        }
        let unix = Family::Unix.socket(SocketType::Stream);
        let err = unix.connect_async(EndPoint::unix_path(temp_path())).await.unwrap_err();
        assert_eq!(err.kind(), SocketError::AddressNotAvailable, "{err}");
    }

    async fn connect_by_host_name_and_an_unknown_host_is_host_not_found() {
        let l = listener(Family::V4);
        let port = l.local_endpoint().unwrap().as_ip().unwrap().port();
        let client = Family::V4.socket(SocketType::Stream);
        client.connect_async(DnsEndPoint::new("localhost", port)).await.unwrap();
        assert!(client.connected());
        let other = Family::V4.socket(SocketType::Stream);
        let err = other.connect_host_async("no-such-host.invalid", port).await.unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::HostNotFound,
            "the system resolver must answer NXDOMAIN for a .invalid name (is a DNS server reachable?); it answered: {err}"
        );
        let addresses = sockets::Dns::get_host_addresses_async("localhost").await.unwrap();
        assert!(addresses.iter().all(|a| a.is_loopback()));
    }

    async fn receive_returns_zero_after_the_peers_shutdown_send() {
        for family in ALL {
            let (client, server) = connected_pair(family).await;
            send_all(&client, b"last").await;
            client.shutdown(Shutdown::Send).unwrap();
            assert_eq!(receive_exact(&server, 4).await, b"last");
            assert_eq!(server.receive_async(&mut [0u8; 8]).await.unwrap(), 0, "{family:?}");
        }
    }

    async fn zero_byte_receive_waits_for_data_and_consumes_nothing() {
        for family in ALL {
            let (client, server) = connected_pair(family).await;
            let started = Instant::now();
            let (waited, ()) = join!(server.receive_async(&mut []), async {
                sleep(Duration::from_millis(40)).await;
                send_all(&client, b"data").await;
            });
            assert_eq!(waited.unwrap(), 0);
            assert!(started.elapsed() >= Duration::from_millis(30), "{family:?}");
            assert_eq!(receive_exact(&server, 4).await, b"data");
        }
    }

    async fn a_500_byte_datagram_into_a_100_byte_buffer_reports_truncated() {
        for family in ALL {
            let receiver = bound_dgram(family);
            let sender = bound_dgram(family);
            let to = receiver.local_endpoint().unwrap();
            sender.send_to_async(&[9u8; 500], to.clone()).await.unwrap();
            sender.send_to_async(&[9u8; 500], to).await.unwrap();
            let mut buf = [0u8; 100];
            let (n, flags) = receiver.receive_with_flags_async(&mut buf, SocketFlags::empty()).await.unwrap();
            assert_eq!(n, 100);
            assert!(flags.contains(SocketFlags::TRUNCATED), "{family:?}");
            let err = receiver.receive_from_async(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), SocketError::MessageSize, "{family:?}");
        }
    }

    async fn peek_then_receive_returns_the_same_datagram() {
        for family in ALL {
            let receiver = bound_dgram(family);
            let sender = bound_dgram(family);
            sender.send_to_async(b"first", receiver.local_endpoint().unwrap()).await.unwrap();
            let mut buf = [0u8; 32];
            let (n, _) = receiver.receive_with_flags_async(&mut buf, SocketFlags::PEEK).await.unwrap();
            assert_eq!(&buf[..n], b"first");
            let (n, from) = receiver.receive_from_async(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"first");
            assert_eq!(from, sender.local_endpoint().unwrap(), "{family:?}");
        }
    }

    async fn dual_mode_accepts_an_ipv4_client_and_reports_a_mapped_address() {
        let l = Socket::new_dual_mode(SocketType::Stream, ProtocolType::Tcp).unwrap();
        l.bind((Ipv6Addr::UNSPECIFIED, 0)).unwrap();
        l.listen(8).unwrap();
        let port = l.local_endpoint().unwrap().as_ip().unwrap().port();
        let client = Family::V4.socket(SocketType::Stream);
        let (c, a) = join!(client.connect_async((Ipv4Addr::LOCALHOST, port)), l.accept_async());
        c.unwrap();
        let remote = a.unwrap().remote_endpoint().unwrap().as_ip().unwrap();
        assert_eq!(remote.ip(), IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped()));
    }

    async fn receive_message_from_reports_the_destination_address() {
        let receiver = Family::V4.socket(SocketType::Dgram);
        receiver.bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let port = receiver.local_endpoint().unwrap().as_ip().unwrap().port();
        let sender = bound_dgram(Family::V4);
        sender.set_ttl(42).unwrap();
        let mut buf = [0u8; 16];
        let (message, sent) = join!(
            receiver.receive_message_from_async(&mut buf, SocketFlags::empty()),
            async {
                sleep(Duration::from_millis(20)).await;
                sender.send_to_async(b"where", (Ipv4Addr::new(127, 0, 0, 9), port)).await
            }
        );
        sent.unwrap();
        let message = message.unwrap();
        assert_eq!(message.packet_info.unwrap().address, IpAddr::from([127, 0, 0, 9]));
        assert_eq!(message.hop_limit, Some(42));
        assert_eq!(&buf[..message.bytes], b"where");
    }

    async fn send_file_async_sends_the_files_bytes_exactly() {
        let path = std::env::temp_dir().join(format!("netstack-async-file-{}-{:?}", std::process::id(), std::thread::current().id()));
        let content: Vec<u8> = (0..2_000_000u32).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let (client, server) = connected_pair(Family::V4).await;
        let (sent, received) = join!(
            async {
                let n = client.send_file_async(&path, Some(b"<<"), Some(b">>")).await.unwrap();
                client.shutdown(Shutdown::Send).unwrap();
                n
            },
            receive_exact(&server, content.len() + 4)
        );
        assert_eq!(sent, content.len() as u64 + 4);
        assert_eq!(&received[..2], b"<<");
        assert!(received[2..received.len() - 2] == content[..]);
        std::fs::remove_file(&path).unwrap();
    }

    async fn cancelling_one_of_three_pending_udp_receives_leaves_the_datagrams_to_the_others() {
        let receiver = bound_dgram(Family::V4);
        let sender = bound_dgram(Family::V4);
        let (mut a_buf, mut b_buf, mut c_buf) = ([0u8; 16], [0u8; 16], [0u8; 16]);
        let mut a = Box::pin(receiver.receive_from_async(&mut a_buf));
        let mut b = Box::pin(receiver.receive_from_async(&mut b_buf));
        let mut c = Box::pin(receiver.receive_from_async(&mut c_buf));
        assert!(poll!(a.as_mut()).is_pending());
        assert!(poll!(b.as_mut()).is_pending());
        assert!(poll!(c.as_mut()).is_pending());
        drop(b);
        sender.send_to_async(b"one", receiver.local_endpoint().unwrap()).await.unwrap();
        sender.send_to_async(b"two", receiver.local_endpoint().unwrap()).await.unwrap();
        let (ra, rc) = join!(a, c);
        let mut got = vec![ra.unwrap().0, rc.unwrap().0];
        got.sort();
        assert_eq!(got, vec![3, 3]);
        let mut payloads = vec![a_buf[..3].to_vec(), c_buf[..3].to_vec()];
        payloads.sort();
        assert_eq!(payloads, vec![b"one".to_vec(), b"two".to_vec()]);
        let _ = b_buf;
    }

    async fn a_dropped_pending_receive_loses_no_bytes() {
        let (client, server) = connected_pair(Family::V4).await;
        {
            let mut buf = [0u8; 64];
            let mut pending = Box::pin(server.receive_async(&mut buf));
            assert!(poll!(pending.as_mut()).is_pending());
        }
        let data: Vec<u8> = (0..100u8).collect();
        send_all(&client, &data).await;
        assert_eq!(receive_exact(&server, 100).await, data);
    }

    async fn a_pending_accept_completes_with_operation_aborted_when_the_listener_is_closed() {
        for family in ALL {
            let l = listener(family);
            let (accepted, ()) = join!(l.accept_async(), async {
                sleep(Duration::from_millis(30)).await;
                l.close();
            });
            let err = accepted.unwrap_err();
            assert_eq!(err.kind(), SocketError::OperationAborted, "{family:?}: {err}");
        }
    }

    async fn closing_a_socket_aborts_a_pending_receive_and_resets_the_peer() {
        for family in [Family::V4, Family::V6] {
            let (client, server) = connected_pair(family).await;
            let mut buf = [0u8; 8];
            let (received, ()) = join!(server.receive_async(&mut buf), async {
                sleep(Duration::from_millis(30)).await;
                server.close();
            });
            let err = received.unwrap_err();
            assert_eq!(err.kind(), SocketError::OperationAborted, "{family:?}: {err}");
            assert!(err.is_aborted_by_close(), "{family:?}: {err}");
            // A receive was pending: the peer sees the connection reset.
            let err = client.receive_async(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), SocketError::ConnectionReset, "{family:?}: {err}");
        }
    }

    async fn a_close_after_receives_that_waited_and_ended_is_graceful() {
        let (client, server) = connected_pair(Family::V4).await;
        let mut buf = [0u8; 8];
        // One receive waits and completes, one waits and is dropped.
        let (received, ()) = join!(server.receive_async(&mut buf), async {
            sleep(Duration::from_millis(30)).await;
            send_all(&client, b"ping").await;
        });
        assert_eq!(received.unwrap(), 4);
        {
            let mut pending = Box::pin(server.receive_async(&mut buf));
            assert!(poll!(pending.as_mut()).is_pending());
        }
        // Nothing is pending any more: the peer reads end of stream, not a reset.
        server.close();
        assert_eq!(client.receive_async(&mut buf).await.unwrap(), 0);
    }

    async fn closing_aborts_a_pending_receive_that_has_a_timeout() {
        // With a receive timeout the pending receive still ends as aborted, not timed out.
        let (_client, server) = connected_pair(Family::V4).await;
        server.set_receive_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut buf = [0u8; 8];
        let (received, ()) = join!(server.receive_async(&mut buf), async {
            sleep(Duration::from_millis(30)).await;
            server.close();
        });
        let err = received.unwrap_err();
        assert_eq!(err.kind(), SocketError::OperationAborted, "{err}");
        assert!(err.is_aborted_by_close(), "{err}");
    }

    async fn connect_async_on_a_connected_socket_fails_with_is_connected() {
        for family in ALL {
            let other = listener(family);
            let (client, _server) = connected_pair(family).await;
            let err = client.connect_async(other.local_endpoint().unwrap()).await.unwrap_err();
            assert_eq!(err.kind(), SocketError::IsConnected, "{family:?}: {err}");
        }
    }

    async fn disconnect_async_needs_a_connection_and_ends_it() {
        let never = Family::V4.socket(SocketType::Stream);
        let err = never.disconnect_async(true).await.unwrap_err();
        assert_eq!(err.kind(), SocketError::NotConnected, "{err}");
        let (client, server) = connected_pair(Family::V4).await;
        client.disconnect_async(true).await.unwrap();
        assert!(!client.connected());
        assert_eq!(server.receive_async(&mut [0u8; 8]).await.unwrap(), 0);
        client.close();
        let err = client.disconnect_async(true).await.unwrap_err();
        assert_eq!(err.kind(), SocketError::OperationAborted, "{err}");
    }

    async fn vectored_async_calls_take_any_number_of_buffers_on_a_stream() {
        // One asynchronous call is one system call: past 1,024 buffers it
        // sends (and fills) the first 1,024, and the count says so.
        let (client, server) = connected_pair(Family::V4).await;
        let data = vec![9u8; 3000];
        let slices: Vec<std::io::IoSlice<'_>> = data.chunks(1).map(std::io::IoSlice::new).collect();
        let mut sent = 0;
        while sent < slices.len() {
            let n = client.send_vectored_async(&slices[sent..]).await.unwrap();
            assert!(n > 0 && n <= 1024, "{n}");
            sent += n;
        }
        let mut received = vec![0u8; 3000];
        let mut got = 0;
        while got < received.len() {
            let mut bufs: Vec<std::io::IoSliceMut<'_>> =
                received[got..].chunks_mut(1).map(std::io::IoSliceMut::new).collect();
            let n = server.receive_vectored_async(&mut bufs).await.unwrap();
            assert!(n > 0 && n <= 1024, "{n}");
            got += n;
        }
        assert_eq!(received, data);
    }

    async fn the_receive_timeout_fires_and_leaves_the_socket_usable() {
        for family in ALL {
            let (client, server) = connected_pair(family).await;
            server.set_receive_timeout(Some(Duration::from_millis(50))).unwrap();
            let started = Instant::now();
            let err = server.receive_async(&mut [0u8; 8]).await.unwrap_err();
            assert_eq!(err.kind(), SocketError::TimedOut, "{family:?}: {err}");
            assert!(started.elapsed() >= Duration::from_millis(40));
            send_all(&client, b"later").await;
            assert_eq!(receive_exact(&server, 5).await, b"later");
        }
        let l = listener(Family::V4);
        let err = with_timeout(Duration::from_millis(30), l.accept_async()).await.unwrap_err();
        assert_eq!(err.kind(), SocketError::TimedOut);
        let client = Family::V4.socket(SocketType::Stream);
        let (c, a) = join!(client.connect_async(l.local_endpoint().unwrap()), l.accept_async());
        c.unwrap();
        a.unwrap();
    }

    async fn a_sync_send_and_an_async_receive_mix_on_one_socket() {
        let (client, server) = connected_pair(Family::V4).await;
        // `server` is now registered with the reactor (non-blocking underneath).
        send_all(&client, b"async in").await;
        assert_eq!(receive_exact(&server, 8).await, b"async in");
        server.send(b"sync out").unwrap();
        let mut buf = [0u8; 8];
        client.set_receive_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(receive_exact(&client, 8).await, b"sync out");
        // A blocking receive on the registered socket still blocks (emulated)
        // and honours its timeout instead of failing with WouldBlock.
        server.set_receive_timeout(Some(Duration::from_millis(30))).unwrap();
        assert_eq!(server.receive(&mut buf).unwrap_err().kind(), SocketError::TimedOut);
        server.set_blocking(false).unwrap();
        assert_eq!(server.receive(&mut buf).unwrap_err().kind(), SocketError::WouldBlock);
    }

    async fn futures_io_traits_read_and_write_a_stream() {
        use futures::io::{AsyncReadExt, AsyncWriteExt};
        let (client, server) = connected_pair(Family::Unix).await;
        let payload = vec![42u8; 300_000];
        let (written, read) = join!(
            async {
                let mut writer = &client;
                writer.write_all(&payload).await.unwrap();
                AsyncWriteExt::close(&mut writer).await.unwrap();
            },
            async {
                let mut reader = &server;
                let mut all = Vec::new();
                reader.read_to_end(&mut all).await.unwrap();
                all
            }
        );
        let () = written;
        assert_eq!(read, payload);
    }
}

/// Polls a receive once, after which the socket is known not to be ready
/// unless a late report of earlier data moved its reactor on: then again.
async fn until_known_not_ready(socket: &Socket) -> bool {
    for _ in 0..1000 {
        let mut buf = [0u8; 64];
        if poll!(pin!(socket.receive_async(&mut buf))).is_ready() {
            return false;
        }
        if socket.known_not_ready(SelectMode::Read) {
            return true;
        }
        sleep(Duration::from_millis(1)).await;
    }
    false
}

/// `Socket::known_not_ready` under one executor. `always_driven`: its
/// reactor turns even while no task waits, so the cache can be trusted and
/// it answers; otherwise it never claims to know.
async fn known_not_ready_case(always_driven: bool) {
    let fresh = Family::V4.socket(SocketType::Stream);
    assert!(
        !fresh.known_not_ready(SelectMode::Read),
        "never used asynchronously"
    );
    let (client, server) = connected_pair(Family::V4).await;
    send_all(&client, b"ping").await;
    assert_eq!(receive_exact(&server, 4).await, b"ping");
    if !always_driven {
        assert!(
            !until_known_not_ready(&server).await,
            "this reactor cannot know"
        );
        return;
    }
    assert!(
        until_known_not_ready(&server).await,
        "no data left, nothing reported"
    );
    assert!(!server.known_not_ready(SelectMode::Error));
    // The peer's bytes are a report: it is no longer known (bounded wait
    // for the reactor to turn).
    send_all(&client, b"more").await;
    let mut waited = 0;
    while server.known_not_ready(SelectMode::Read) {
        waited += 1;
        assert!(waited < 10_000, "the peer's data was never reported");
        sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(receive_exact(&server, 4).await, b"more");
    // And so is the peer's close.
    assert!(until_known_not_ready(&server).await);
    client.shutdown(Shutdown::Send).unwrap();
    let mut waited = 0;
    while server.known_not_ready(SelectMode::Read) {
        waited += 1;
        assert!(waited < 10_000, "the peer's close was never reported");
        sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(server.receive_async(&mut [0u8; 8]).await.unwrap(), 0);
    server.close();
    assert!(
        !server.known_not_ready(SelectMode::Read),
        "a closed socket knows nothing"
    );
}

#[test]
fn known_not_ready_on_tokio_multi_thread() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(bounded(known_not_ready_case(true)));
}

/// With the `tokio` feature the socket is on the runtime's driver, which
/// turns only inside `block_on`.
#[test]
fn known_not_ready_on_tokio_current_thread() {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bounded(known_not_ready_case(!cfg!(feature = "tokio"))));
}

#[test]
fn known_not_ready_on_sockets_block_on() {
    sockets::block_on(bounded(known_not_ready_case(true)));
}

#[test]
fn known_not_ready_on_futures_block_on() {
    futures::executor::block_on(bounded(known_not_ready_case(true)));
}

#[test]
fn known_not_ready_on_smol() {
    smol::block_on(bounded(known_not_ready_case(true)));
}

on_every_executor! {
    async fn a_thousand_concurrent_connections_each_echo_64_kib() {
        const CONNECTIONS: usize = 1000;
        const BYTES: usize = 64 * 1024;
        let l = listener(Family::V4);
        let endpoint = l.local_endpoint().unwrap();
        let mut pairs = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let client = Family::V4.socket(SocketType::Stream);
            let (c, a) = join!(client.connect_async(endpoint.clone()), l.accept_async());
            c.unwrap();
            pairs.push((client, a.unwrap()));
        }
        let tasks = pairs.iter().enumerate().map(|(i, (client, server))| async move {
            let data: Vec<u8> = (0..BYTES).map(|j| (i * 31 + j) as u8).collect();
            let echo = async {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    let n = server.receive_async(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    send_all(server, &buf[..n]).await;
                }
                server.shutdown(Shutdown::Send).unwrap();
            };
            let talk = async {
                let (_, echoed) = join!(
                    async {
                        send_all(client, &data).await;
                        client.shutdown(Shutdown::Send).unwrap();
                    },
                    receive_exact(client, BYTES)
                );
                assert!(echoed == data, "connection {i} echoed different bytes");
                assert_eq!(client.receive_async(&mut [0u8; 1]).await.unwrap(), 0);
            };
            join!(echo, talk);
        });
        join_all(tasks).await;
    }
}

/// A timer due before the one the reactor waits for wakes the reactor: it
/// does not wait out the longer one first. Under futures' executor, so that
/// the reactor's background thread is the one waiting (bounded: the check
/// runs on a thread of its own and is given 30 s, a quarter of the long timer).
#[test]
fn a_shorter_timer_armed_after_a_longer_one_fires_first() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        futures::executor::block_on(async {
            let mut long = pin!(sleep(Duration::from_secs(120)));
            assert!(poll!(long.as_mut()).is_pending());
            // Let the reactor thread start (if it has not) and wait for the long timer.
            std::thread::sleep(Duration::from_millis(100));
            sleep(Duration::from_millis(20)).await;
        });
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(30))
        .expect("a 20 ms sleep armed after a 120 s one waited for the long one");
}
