//! What the transport types refuse to do with a socket in the wrong state,
//! and the errors they say it with: `NetworkStream::new` with a
//! non-blocking, unconnected or non-stream socket, and `TcpListener`'s
//! `accept`, `accept_async` and `pending` before `start` and after `stop`.

use std::io::Read;
use std::net::Ipv4Addr;
use std::time::Duration;

use sockets::{
    with_timeout, AddressFamily, EndPoint, ProtocolType, Socket, SocketError, SocketType,
};
use testkit::{both_modes, Mode};
use transport::{Error, NetworkStream, TcpListener};

testkit::executor_block_on!(sockets::block_on);

/// Bounds every wait of these tests, so a regression fails instead of hanging.
const WAIT: Duration = Duration::from_secs(5);

fn tcp_socket() -> Socket {
    Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap()
}

/// A started listener on 127.0.0.1 and a client socket connected to it,
/// in `mode` (an async connect leaves the socket in async mode).
fn connected_socket(mode: Mode) -> (TcpListener, Socket) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.start(8).unwrap();
    let client = tcp_socket();
    client.set_receive_timeout(Some(WAIT)).unwrap();
    let endpoint = listener.local_endpoint().unwrap();
    match mode {
        Mode::Sync => client.connect(endpoint).unwrap(),
        Mode::Async => block_on(with_timeout(WAIT, client.connect_async(endpoint))).unwrap(),
    }
    (listener, client)
}

/// A listener bound on 127.0.0.1 whose `start` was not called.
fn unstarted_listener() -> TcpListener {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.server().set_receive_timeout(Some(WAIT)).unwrap();
    listener
}

/// Accepts in `mode`, bounded by [`WAIT`].
fn accept(listener: &TcpListener, mode: Mode) -> transport::Result<NetworkStream> {
    match mode {
        Mode::Sync => listener.accept(),
        Mode::Async => block_on(with_timeout(WAIT, async {
            Ok(listener.accept_async().await)
        }))
        .expect("accept_async neither failed nor succeeded within the wait"),
    }
}

fn assert_names_start(err: &Error, method: &str) {
    assert!(
        matches!(err, Error::NotListening { operation } if *operation == method),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(method) && message.contains("call start() before calling this method"),
        "{message}"
    );
}

#[test]
fn network_stream_new_refuses_a_non_blocking_socket() {
    let (_listener, client) = connected_socket(Mode::Sync);
    client.set_blocking(false).unwrap();
    let err = NetworkStream::new(client).unwrap_err();
    assert!(matches!(err, Error::NonBlockingSocket), "{err:?}");
    assert!(
        err.to_string()
            .contains("the operation is not allowed on a non-blocking socket"),
        "{err}"
    );
}

fn network_stream_new_accepts_a_connected_blocking_socket(mode: Mode) {
    // In async mode the descriptor is O_NONBLOCK, but the socket is still
    // in blocking mode for its synchronous calls: `blocking()` decides.
    let (listener, client) = connected_socket(mode);
    assert!(client.blocking());
    let stream = NetworkStream::new(client).unwrap();
    let mut server = listener.accept().unwrap();
    server.set_read_timeout(Some(WAIT)).unwrap();
    stream.write_all_sync(b"ping").unwrap();
    let mut buf = [0u8; 4];
    server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
}

fn network_stream_new_refuses_an_unconnected_socket(mode: Mode) {
    let socket = tcp_socket();
    socket.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    if mode == Mode::Async {
        // A failed async connect leaves an unconnected socket in async mode.
        let refused = EndPoint::from((Ipv4Addr::LOCALHOST, 1));
        assert!(block_on(with_timeout(WAIT, socket.connect_async(refused))).is_err());
    }
    let err = NetworkStream::new(socket).unwrap_err();
    assert!(matches!(err, Error::NotConnected), "{err:?}");
    assert!(
        err.to_string()
            .contains("a NetworkStream needs a connected socket"),
        "{err}"
    );
}

#[test]
fn network_stream_new_refuses_an_unconnected_non_blocking_socket() {
    let socket = tcp_socket();
    socket.set_blocking(false).unwrap();
    let err = NetworkStream::new(socket).unwrap_err();
    assert!(matches!(err, Error::NotConnected), "{err:?}");
}

#[test]
fn network_stream_new_refuses_a_datagram_socket() {
    let udp = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )
    .unwrap();
    udp.connect((Ipv4Addr::LOCALHOST, 9)).unwrap();
    let err = NetworkStream::new(udp).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotStreamSocket {
                socket_type: SocketType::Dgram
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "transport: a NetworkStream needs a stream socket, and this is a datagram socket"
    );
}

fn tcp_listener_accept_before_start_names_start(mode: Mode) {
    let listener = unstarted_listener();
    let method = match mode {
        Mode::Sync => "accept",
        Mode::Async => "accept_async",
    };
    assert_names_start(&accept(&listener, mode).unwrap_err(), method);
    // Once started, the same listener accepts.
    listener.start(8).unwrap();
    let client = tcp_socket();
    client.connect(listener.local_endpoint().unwrap()).unwrap();
    accept(&listener, mode).unwrap();
}

fn tcp_listener_accept_before_start_names_start_in_non_blocking_mode(mode: Mode) {
    let listener = unstarted_listener();
    listener.server().set_blocking(false).unwrap();
    let method = match mode {
        Mode::Sync => "accept",
        Mode::Async => "accept_async",
    };
    assert_names_start(&accept(&listener, mode).unwrap_err(), method);
}

#[test]
fn tcp_listener_pending_before_start_names_start() {
    let listener = unstarted_listener();
    assert_names_start(&listener.pending().unwrap_err(), "pending");
    listener.server().set_blocking(false).unwrap();
    assert_names_start(&listener.pending().unwrap_err(), "pending");
    listener.start(8).unwrap();
    assert!(!listener.pending().unwrap());
}

#[test]
fn tcp_listener_pending_after_stop_says_it_was_stopped() {
    let listener = unstarted_listener();
    listener.start(8).unwrap();
    listener.stop();
    let err = listener.pending().unwrap_err();
    assert_eq!(err.socket_error(), Some(SocketError::OperationAborted));
    assert!(
        err.to_string().contains("the listener was stopped"),
        "{err}"
    );
}

fn tcp_listener_accept_after_stop_says_it_was_stopped(mode: Mode) {
    let listener = unstarted_listener();
    listener.start(8).unwrap();
    listener.stop();
    let err = accept(&listener, mode).unwrap_err();
    assert_eq!(err.socket_error(), Some(SocketError::OperationAborted));
    assert!(
        err.to_string().contains("the listener was stopped"),
        "{err}"
    );
}

both_modes!(
    network_stream_new_accepts_a_connected_blocking_socket,
    network_stream_new_refuses_an_unconnected_socket,
    tcp_listener_accept_before_start_names_start,
    tcp_listener_accept_before_start_names_start_in_non_blocking_mode,
    tcp_listener_accept_after_stop_says_it_was_stopped,
);
