//! How a socket's life ends, as .NET defines it: what a blocked call gets
//! when the socket closes, what the peer sees, `disconnect`, and the file
//! of a Unix socket bound to a path.

use super::*;

/// Fills `socket`'s send path (its buffer and the peer's receive buffer)
/// so that the next blocking send waits.
fn fill_send_buffer(socket: &Socket) {
    socket.set_send_buffer_size(4096).unwrap();
    socket.set_blocking(false).unwrap();
    let chunk = [7u8; 16 * 1024];
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match socket.send(&chunk) {
            Ok(_) => assert!(Instant::now() < deadline, "the send buffer never filled"),
            Err(e) if e.kind() == SocketError::WouldBlock => break,
            Err(e) => panic!("filling the send buffer: {e}"),
        }
    }
    socket.set_blocking(true).unwrap();
}

/// Reads from `peer` until the connection ends; the error it ends with, if any.
fn end_seen_by(peer: &Socket) -> Option<SocketError> {
    peer.set_receive_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match peer.receive(&mut buf) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) => return Some(e.kind()),
        }
    }
}

#[test]
fn a_send_blocked_when_the_socket_closes_ends_with_connection_aborted() {
    for family in IP {
        let (client, server) = connected_pair(family);
        fill_send_buffer(&client);
        let (_, err) = error_when_closed_while_blocked(client, |c| c.send(&[1u8; 256 * 1024]));
        assert_eq!(
            err.kind(),
            SocketError::ConnectionAborted,
            "{family:?}: {err}"
        );
        // A send was pending: the peer sees the connection reset.
        assert_eq!(
            end_seen_by(&server),
            Some(SocketError::ConnectionReset),
            "{family:?}"
        );
    }
}

#[test]
fn closing_with_a_receive_pending_resets_the_peer() {
    for family in IP {
        let (client, server) = connected_pair(family);
        let (_, err) = error_when_closed_while_blocked(client, |c| c.receive(&mut [0u8; 16]));
        assert_eq!(
            err.kind(),
            SocketError::ConnectionAborted,
            "{family:?}: {err}"
        );
        assert_eq!(
            end_seen_by(&server),
            Some(SocketError::ConnectionReset),
            "{family:?}"
        );
    }
}

/// Blocking emulated with poll(2), as after an asynchronous call: the same
/// ending for the blocked call and for the peer.
#[test]
fn closing_with_a_receive_pending_after_async_use_resets_the_peer() {
    let (client, server) = connected_pair(Family::V4);
    server.send(b"x").unwrap();
    let mut one = [0u8; 1];
    assert_eq!(
        sockets::block_on(client.receive_async(&mut one)).unwrap(),
        1
    );
    let (_, err) = error_when_closed_while_blocked(client, |c| c.receive(&mut [0u8; 16]));
    assert_eq!(err.kind(), SocketError::ConnectionAborted, "{err}");
    assert_eq!(end_seen_by(&server), Some(SocketError::ConnectionReset));
}

#[test]
fn closing_with_nothing_pending_is_graceful() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        client.send(b"last words").unwrap();
        client.close();
        let mut buf = [0u8; 32];
        server
            .set_receive_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let n = server.receive(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"last words", "{family:?}");
        assert_eq!(
            end_seen_by(&server),
            None,
            "{family:?}: end of stream, not a reset"
        );
    }
}

#[test]
fn an_error_from_the_peer_is_not_an_abort_by_close() {
    let (client, server) = connected_pair(Family::V4);
    server.close_timeout(Duration::ZERO).unwrap(); // reset
    let err = loop {
        match client.receive(&mut [0u8; 8]) {
            Ok(0) => panic!("a reset reads as an error, not end of stream"),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), SocketError::ConnectionReset, "{err}");
    assert!(!err.is_aborted_by_close(), "{err}");
}

#[test]
fn disconnect_needs_a_connection_and_an_open_socket() {
    for family in IP {
        let never = family.socket(SocketType::Stream);
        for reuse in [true, false] {
            let err = never.disconnect(reuse).unwrap_err();
            assert_eq!(err.kind(), SocketError::NotConnected, "{family:?}: {err}");
        }
        let closed = family.socket(SocketType::Stream);
        closed.close();
        let err = closed.disconnect(true).unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::OperationAborted,
            "{family:?}: {err}"
        );

        // Connected: disconnect for reuse, then connect again.
        let target = listener(family);
        let (client, _server) = connected_pair(family);
        client.disconnect(true).unwrap();
        assert!(!client.connected(), "{family:?}");
        client.connect(target.local_endpoint().unwrap()).unwrap();
        assert!(client.connected(), "{family:?}");
        client.disconnect(false).unwrap();
        assert!(client.is_closed(), "{family:?}");
    }
}

#[test]
fn disconnect_async_ends_the_connection_as_disconnect_does() {
    let (client, server) = connected_pair(Family::V4);
    sockets::block_on(client.disconnect_async(true)).unwrap();
    assert!(!client.connected());
    assert_eq!(end_seen_by(&server), None);
    let err = sockets::block_on(client.disconnect_async(false)).unwrap_err();
    assert_eq!(err.kind(), SocketError::NotConnected, "{err}");
}

#[test]
fn a_unix_socket_removes_its_file_when_it_closes() {
    let path = temp_path();
    let first = Family::Unix.socket(SocketType::Stream);
    first.bind(EndPoint::unix_path(&path)).unwrap();
    assert!(path.exists());
    first.close();
    assert!(!path.exists(), "close removes the file");
    // So the path can be bound again; dropping removes it too.
    let second = Family::Unix.socket(SocketType::Dgram);
    second.bind(EndPoint::unix_path(&path)).unwrap();
    drop(second);
    assert!(!path.exists(), "drop removes the file");
}

#[test]
fn a_unix_socket_removes_only_the_file_it_created() {
    let path = temp_path();
    let first = Family::Unix.socket(SocketType::Stream);
    first.bind(EndPoint::unix_path(&path)).unwrap();
    // Someone removes the file and another socket binds the path.
    std::fs::remove_file(&path).unwrap();
    let second = Family::Unix.socket(SocketType::Stream);
    second.bind(EndPoint::unix_path(&path)).unwrap();
    first.close();
    assert!(path.exists(), "the second socket's file stays");
    drop(second);
    assert!(!path.exists());
}
