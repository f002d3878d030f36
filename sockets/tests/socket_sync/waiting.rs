//! Waiting and closing: select and poll, closing from another thread, closed
//! sockets, misuse, options.

use super::*;

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
fn close_from_another_thread_unblocks_accept() {
    for family in ALL {
        let (listener, err) = error_when_closed_while_blocked(listener(family), |l| l.accept());
        // .NET: a blocked Accept ends with Interrupted.
        assert_eq!(err.kind(), SocketError::Interrupted, "{family:?}: {err}");
        // A call after the close: OperationAborted.
        let after = listener.accept().unwrap_err();
        assert_eq!(after.kind(), SocketError::OperationAborted);
        assert!(after.is_aborted_by_close());
    }
}

#[test]
fn close_from_another_thread_unblocks_receive() {
    for family in ALL {
        let (_client, server) = connected_pair(family);
        let (_, err) = error_when_closed_while_blocked(server, |s| s.receive(&mut [0u8; 16]));
        // .NET: a blocked Receive ends with ConnectionAborted.
        assert_eq!(
            err.kind(),
            SocketError::ConnectionAborted,
            "{family:?}: {err}"
        );
    }
    // And a datagram socket blocked in receive_from.
    let (_, err) = error_when_closed_while_blocked(bound_dgram(Family::V4), |u| {
        u.receive_from(&mut [0u8; 16])
    });
    assert_eq!(err.kind(), SocketError::ConnectionAborted, "{err}");
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
