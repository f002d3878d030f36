//! Edge cases found in review: concurrent first async use, mode mixing,
//! end states, timeouts at the edges, backlog-full Unix connects.

use std::io::IoSliceMut;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use futures::io::AsyncReadExt;
use futures::poll;
use sockets::{
    block_on, select, with_timeout, AddressFamily, EndPoint, ProtocolType, SelectMode, Socket,
    SocketError, SocketType,
};

fn tcp() -> Socket {
    Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap()
}

fn udp() -> Socket {
    let s = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )
    .unwrap();
    s.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    s
}

fn pair() -> (Socket, Socket) {
    let l = tcp();
    l.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.listen(8).unwrap();
    let c = tcp();
    c.connect(l.local_endpoint().unwrap()).unwrap();
    (c, l.accept().unwrap())
}

/// A listener on 127.0.0.2 whose accept queue is full: further SYNs are dropped.
fn blackhole() -> (Socket, Vec<Socket>, EndPoint) {
    let l = tcp();
    l.bind((Ipv4Addr::new(127, 0, 0, 2), 0)).unwrap();
    l.listen(0).unwrap();
    let target = l.local_endpoint().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..32 {
        let s = tcp();
        match s.connect_timeout(target.clone(), Duration::from_millis(150)) {
            Ok(()) => fillers.push(s),
            Err(e) if e.kind() == SocketError::TimedOut => return (l, fillers, target),
            Err(e) => panic!("filling the backlog: {e}"),
        }
    }
    panic!("the backlog never filled: this kernel does not drop SYNs on a full accept queue");
}

#[test]
fn two_threads_making_the_first_async_call_at_once_both_succeed() {
    for _ in 0..100 {
        let socket = Arc::new(udp());
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let socket = Arc::clone(&socket);
                thread::spawn(move || {
                    let mut buf = [0u8; 8];
                    block_on(with_timeout(
                        Duration::from_millis(20),
                        socket.receive_from_async(&mut buf),
                    ))
                    .unwrap_err()
                })
            })
            .collect();
        for t in threads {
            let err = t.join().unwrap();
            assert_eq!(err.kind(), SocketError::TimedOut, "{err}");
        }
    }
}

#[test]
fn a_read_through_the_io_traits_is_not_failed_by_an_abandoned_earlier_read() {
    let (client, server) = pair();
    server
        .set_receive_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    block_on(async {
        {
            let mut buf = [0u8; 8];
            let mut reader = &server;
            let mut read = reader.read(&mut buf);
            assert!(poll!(&mut read).is_pending());
        }
        sockets::sleep(Duration::from_millis(200)).await;
        let (read, ()) = futures::join!(
            async {
                let mut buf = [0u8; 8];
                let mut reader = &server;
                reader.read(&mut buf).await.map(|n| buf[..n].to_vec())
            },
            async {
                sockets::sleep(Duration::from_millis(50)).await;
                client.send(b"late").unwrap();
            }
        );
        assert_eq!(read.unwrap(), b"late");
    });
}

#[test]
fn a_vectored_receive_after_async_use_still_blocks_until_data() {
    let (client, server) = pair();
    client.send(b"a").unwrap();
    block_on(server.receive_async(&mut [0u8; 1])).unwrap();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        client.send(b"vectored").unwrap();
        client
    });
    let (mut a, mut b) = ([0u8; 4], [0u8; 4]);
    let n = server
        .receive_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
        .unwrap();
    assert_eq!(n, 8);
    assert_eq!([a, b].concat(), b"vectored");
    sender.join().unwrap();
}

#[test]
fn after_a_reset_waiting_and_sending_end_with_the_real_error_not_a_hang() {
    let (client, server) = pair();
    // Register with the reactor (nothing to read yet: the wait times out).
    let _ = block_on(with_timeout(
        Duration::from_millis(10),
        server.receive_async(&mut []),
    ));
    client.close_timeout(Duration::ZERO).unwrap(); // abortive close: RST
    thread::sleep(Duration::from_millis(50));
    let writable = block_on(with_timeout(
        Duration::from_secs(5),
        server.wait_async(SelectMode::Write),
    ));
    assert!(matches!(writable, Ok(false) | Ok(true)), "{writable:?}");
    server
        .set_send_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let started = Instant::now();
    let mut result = Ok(0);
    for _ in 0..4 {
        result = server.send(&[0u8; 65536]);
        if result.is_err() {
            break;
        }
    }
    let err = result.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            SocketError::ConnectionReset | SocketError::Shutdown
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "waited for the timeout instead"
    );
}

#[test]
fn a_unix_connect_to_a_full_backlog_fails_at_once_in_async_mode() {
    let name = EndPoint::unix_abstract(format!("edge-backlog-{}", std::process::id()));
    let listener = Socket::new(
        AddressFamily::Unix,
        SocketType::Stream,
        ProtocolType::Unspecified,
    )
    .unwrap();
    listener.bind(name.clone()).unwrap();
    listener.listen(0).unwrap();
    let mut clients = Vec::new();
    let err = block_on(with_timeout(Duration::from_secs(5), async {
        for _ in 0..64 {
            let c = Socket::new(
                AddressFamily::Unix,
                SocketType::Stream,
                ProtocolType::Unspecified,
            )?;
            c.connect_async(name.clone()).await?;
            clients.push(c);
        }
        Ok(())
    }))
    .unwrap_err();
    assert_eq!(err.kind(), SocketError::WouldBlock, "{err}");
    assert!(err.to_string().contains("backlog is full"), "{err}");
}

#[test]
fn a_zero_timeout_is_refused() {
    let s = tcp();
    for err in [
        s.set_receive_timeout(Some(Duration::ZERO)).unwrap_err(),
        s.set_send_timeout(Some(Duration::from_nanos(10)))
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), SocketError::InvalidArgument);
        assert!(err.to_string().contains("set_blocking(false)"), "{err}");
    }
    assert_eq!(s.receive_timeout().unwrap(), None);
}

#[test]
fn a_blocking_connect_is_bounded_by_the_send_timeout_and_the_socket_stays_reusable() {
    let (_hole, _fillers, target) = blackhole();
    let good = tcp();
    good.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    good.listen(4).unwrap();
    for mode in ["blocking", "async"] {
        let s = tcp();
        s.set_send_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let started = Instant::now();
        let err = match mode {
            "blocking" => s.connect(target.clone()).unwrap_err(),
            _ => block_on(s.connect_async(target.clone())).unwrap_err(),
        };
        assert_eq!(err.kind(), SocketError::TimedOut, "{mode}: {err}");
        assert!(started.elapsed() >= Duration::from_millis(180), "{mode}");
        assert!(started.elapsed() < Duration::from_secs(3), "{mode}");
        assert!(!s.connected());
        s.connect(good.local_endpoint().unwrap()).unwrap();
        assert!(
            s.connected(),
            "{mode}: the socket is reusable after the timeout"
        );
    }
    let s = tcp();
    assert_eq!(
        s.connect_timeout(target.clone(), Duration::from_millis(100))
            .unwrap_err()
            .kind(),
        SocketError::TimedOut
    );
    s.connect(good.local_endpoint().unwrap()).unwrap();
}

#[test]
fn huge_timeouts_wait_without_panicking() {
    let (client, server) = pair();
    client.send(b"x").unwrap();
    assert!(server.poll(Some(Duration::MAX), SelectMode::Read).unwrap());
    let mut read = vec![&server];
    assert_eq!(
        select(&mut read, &mut vec![], &mut vec![], Some(Duration::MAX)).unwrap(),
        1
    );
    server
        .set_receive_timeout(Some(Duration::from_secs(u64::MAX / 4)))
        .ok();
}

#[test]
fn a_datagram_cut_by_a_vectored_trait_read_is_an_error() {
    let receiver = udp();
    let sender = udp();
    sender
        .send_to(&[1u8; 100], receiver.local_endpoint().unwrap())
        .unwrap();
    let err = block_on(async {
        let mut reader = &receiver;
        let (mut a, mut b) = ([0u8; 10], [0u8; 10]);
        reader
            .read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
            .await
            .unwrap_err()
    });
    assert!(
        err.to_string().contains("larger than the 20-byte buffer"),
        "{err}"
    );
}

#[test]
fn send_file_timeout_bounds_each_stall_not_the_whole_file() {
    let path = std::env::temp_dir().join(format!("edge-sendfile-{}", std::process::id()));
    std::fs::write(&path, vec![5u8; 8 << 20]).unwrap();
    let (client, server) = pair();
    client.set_send_buffer_size(32 * 1024).unwrap();
    server.set_receive_buffer_size(32 * 1024).unwrap();
    client
        .set_send_timeout(Some(Duration::from_millis(250)))
        .unwrap();
    let reader = thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0usize;
        let started = Instant::now();
        server
            .set_receive_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        loop {
            let n = server.receive(&mut buf).unwrap();
            if n == 0 {
                return (total, started.elapsed());
            }
            total += n;
            thread::sleep(Duration::from_millis(3));
        }
    });
    let sent = client.send_file(&path, None, None).unwrap();
    client.shutdown(sockets::Shutdown::Send).unwrap();
    let (received, elapsed) = reader.join().unwrap();
    assert_eq!((sent, received), (8 << 20, 8 << 20));
    // The whole transfer took longer than one send timeout, yet did not time out.
    assert!(
        elapsed > Duration::from_millis(250),
        "the reader was too fast to show it: {elapsed:?}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn an_accepted_socket_inherits_the_listeners_timeouts_as_the_os_does() {
    let l = tcp();
    l.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    l.listen(4).unwrap();
    l.set_receive_timeout(Some(Duration::from_millis(80)))
        .unwrap();
    let c = tcp();
    c.connect(l.local_endpoint().unwrap()).unwrap();
    let s = l.accept().unwrap();
    assert_eq!(
        s.receive_timeout().unwrap(),
        Some(Duration::from_millis(80))
    );
    // The OS applies it too (a blocking receive times out).
    let mut raw = [0u8; 16];
    let n = s
        .get_raw_option(1 /* SOL_SOCKET */, 20 /* SO_RCVTIMEO */, &mut raw)
        .unwrap();
    assert_eq!(n, 16);
    let micros = i64::from_ne_bytes(raw[8..16].try_into().unwrap());
    let secs = i64::from_ne_bytes(raw[..8].try_into().unwrap());
    assert_eq!((secs, micros), (0, 80_000));
    let started = Instant::now();
    assert_eq!(
        s.receive(&mut [0u8; 4]).unwrap_err().kind(),
        SocketError::TimedOut
    );
    assert!(started.elapsed() >= Duration::from_millis(70));
    drop(c);
}
