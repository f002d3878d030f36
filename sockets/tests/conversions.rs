//! Conversions between `Socket` and `OwnedFd`, raw descriptors, std's socket
//! types and `socket2::Socket`: what comes in is read from the descriptor,
//! and what goes out has left every reactor, in the mode `blocking()` reports.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::thread;
use std::time::Duration;

use sockets::{
    block_on, with_timeout, AddressFamily, EndPoint, ProtocolType, Socket, SocketError, SocketType,
};

/// Bounds every wait of these tests.
const WAIT: Duration = Duration::from_secs(10);

fn std_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    for stream in [&client, &server] {
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
    }
    (client, server)
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let path =
        std::env::temp_dir().join(format!("netstack-conv-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// True when an epoll instance of this process (netstack's reactor,
/// tokio's or async-io's) watches descriptor `fd` (Linux's fdinfo lists
/// each watched descriptor as a `tfd:` line).
fn watched_by_a_reactor(fd: RawFd) -> bool {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            std::fs::read_link(entry.path())
                .is_ok_and(|target| target.to_string_lossy().contains("eventpoll"))
        })
        .filter_map(|entry| {
            std::fs::read_to_string(format!(
                "/proc/self/fdinfo/{}",
                entry.file_name().to_string_lossy()
            ))
            .ok()
        })
        .any(|info| {
            info.lines().any(|line| {
                line.strip_prefix("tfd:")
                    .and_then(|rest| rest.split_whitespace().next())
                    .is_some_and(|watched| watched == fd.to_string())
            })
        })
}

fn descriptor_non_blocking(fd: impl AsFd) -> bool {
    socket2::SockRef::from(&fd).nonblocking().unwrap()
}

/// Sends `message` from `peer` to `socket` asynchronously and back.
async fn echo_through(socket: &Socket, peer: &mut TcpStream, message: &[u8]) {
    with_timeout(WAIT, socket.send_async(message))
        .await
        .unwrap();
    let mut got = vec![0u8; message.len()];
    peer.read_exact(&mut got).unwrap();
    assert_eq!(got, message);
    peer.write_all(b"back").unwrap();
    let mut buf = [0u8; 4];
    let mut filled = 0;
    while filled < buf.len() {
        let n = with_timeout(WAIT, socket.receive_async(&mut buf[filled..]))
            .await
            .unwrap();
        assert!(n > 0, "end of stream before the reply");
        filled += n;
    }
    assert_eq!(&buf, b"back");
}

#[test]
fn std_tcp_sockets_come_in_with_family_type_protocol_and_mode_read_from_the_descriptor() {
    let listener = Socket::from(TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).unwrap());
    assert_eq!(listener.address_family(), AddressFamily::InterNetworkV6);
    assert_eq!(listener.socket_type(), SocketType::Stream);
    assert_eq!(listener.protocol_type(), ProtocolType::Tcp);
    assert!(listener.blocking());
    listener.set_receive_timeout(Some(WAIT)).unwrap();
    let address = listener.local_endpoint().unwrap().as_ip().unwrap();
    let client = Socket::from(TcpStream::connect(address).unwrap());
    assert_eq!(client.address_family(), AddressFamily::InterNetworkV6);
    assert!(client.connected());
    let accepted = listener.accept().unwrap();
    assert_eq!(
        accepted.remote_endpoint().unwrap(),
        client.local_endpoint().unwrap()
    );
}

#[test]
fn udp_and_unix_sockets_come_in_with_their_family_and_type() {
    let udp = Socket::from(UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap());
    assert_eq!(
        (udp.address_family(), udp.socket_type(), udp.protocol_type()),
        (
            AddressFamily::InterNetwork,
            SocketType::Dgram,
            ProtocolType::Udp
        )
    );
    let udp6 = Socket::from(UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).unwrap());
    assert_eq!(udp6.address_family(), AddressFamily::InterNetworkV6);
    assert_eq!(udp6.socket_type(), SocketType::Dgram);

    let (a, b) = UnixDatagram::pair().unwrap();
    let a = Socket::from(a);
    assert_eq!(
        (a.address_family(), a.socket_type()),
        (AddressFamily::Unix, SocketType::Dgram)
    );
    assert_eq!(a.protocol_type(), ProtocolType::Unspecified);
    a.send(b"datagram").unwrap();
    let mut buf = [0u8; 16];
    b.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(b.recv(&mut buf).unwrap(), 8);

    let (stream, _peer) = UnixStream::pair().unwrap();
    let stream = Socket::from(stream);
    assert_eq!(
        (stream.address_family(), stream.socket_type()),
        (AddressFamily::Unix, SocketType::Stream)
    );

    let path = temp_path("listener");
    let listener = Socket::from(UnixListener::bind(&path).unwrap());
    assert_eq!(
        (listener.address_family(), listener.socket_type()),
        (AddressFamily::Unix, SocketType::Stream)
    );
    std::fs::remove_file(&path).unwrap();

    let seqpacket =
        socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::SEQPACKET, None).unwrap();
    assert_eq!(Socket::from(seqpacket).socket_type(), SocketType::SeqPacket);
}

#[test]
fn a_non_blocking_std_socket_comes_in_non_blocking() {
    let (client, _server) = std_pair();
    client.set_nonblocking(true).unwrap();
    let socket = Socket::from(client);
    assert!(!socket.blocking());
    let mut buf = [0u8; 8];
    assert_eq!(
        socket.receive(&mut buf).unwrap_err().kind(),
        SocketError::WouldBlock
    );

    let (client, _server) = std_pair();
    assert!(Socket::from(client).blocking());
}

#[test]
fn timeouts_come_in_with_the_descriptor() {
    let (client, _server) = std_pair();
    client
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    client
        .set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let socket = Socket::from(client);
    assert_eq!(
        socket.receive_timeout().unwrap(),
        Some(Duration::from_millis(100))
    );
    assert_eq!(
        socket.send_timeout().unwrap(),
        Some(Duration::from_millis(200))
    );
    let mut buf = [0u8; 8];
    assert_eq!(
        socket.receive(&mut buf).unwrap_err().kind(),
        SocketError::TimedOut
    );
}

#[test]
fn a_socket_round_trips_through_raw_fd_owned_fd_and_socket2() {
    let (client, mut server) = std_pair();
    let socket = Socket::from(client);
    let fd = socket.as_raw_fd();
    assert_eq!(socket.as_fd().as_raw_fd(), fd);

    let raw = socket.into_raw_fd();
    assert_eq!(raw, fd, "the descriptor is given up, not duplicated");
    // SAFETY: `raw` was just given up by the socket and nothing else owns it.
    let socket = unsafe { Socket::from_raw_fd(raw) };
    let socket = Socket::from(OwnedFd::from(socket));
    let socket = Socket::from(socket2::Socket::from(socket));
    assert_eq!(socket.as_raw_fd(), fd);
    assert_eq!(socket.protocol_type(), ProtocolType::Tcp);

    socket.send(b"still open").unwrap();
    let mut buf = [0u8; 10];
    server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"still open");
}

#[test]
fn sockets_convert_out_to_each_std_type_and_work_there() {
    let listener = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap();
    listener.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.listen(4).unwrap();
    let listener = TcpListener::from(listener);
    let client = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap();
    client.connect(listener.local_addr().unwrap()).unwrap();
    let mut client = TcpStream::from(client);
    let (mut server, _) = listener.accept().unwrap();
    server.set_read_timeout(Some(WAIT)).unwrap();
    client.write_all(b"tcp").unwrap();
    let mut buf = [0u8; 3];
    server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"tcp");

    let udp = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )
    .unwrap();
    udp.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let udp = UdpSocket::from(udp);
    udp.set_read_timeout(Some(WAIT)).unwrap();
    udp.send_to(b"udp", udp.local_addr().unwrap()).unwrap();
    assert_eq!(udp.recv(&mut buf).unwrap(), 3);

    let (a, b) = Socket::pair(SocketType::Dgram).unwrap();
    let (a, b) = (UnixDatagram::from(a), UnixDatagram::from(b));
    b.set_read_timeout(Some(WAIT)).unwrap();
    a.send(b"dgr").unwrap();
    assert_eq!(b.recv(&mut buf).unwrap(), 3);

    let path = temp_path("out");
    let unix_listener = Socket::new(
        AddressFamily::Unix,
        SocketType::Stream,
        ProtocolType::Unspecified,
    )
    .unwrap();
    unix_listener
        .bind(sockets::EndPoint::unix_path(&path))
        .unwrap();
    unix_listener.listen(4).unwrap();
    let unix_listener = UnixListener::from(unix_listener);
    let unix_client = Socket::new(
        AddressFamily::Unix,
        SocketType::Stream,
        ProtocolType::Unspecified,
    )
    .unwrap();
    unix_client
        .connect(sockets::EndPoint::unix_path(&path))
        .unwrap();
    let mut unix_client = UnixStream::from(unix_client);
    let (mut unix_server, _) = unix_listener.accept().unwrap();
    unix_server.set_read_timeout(Some(WAIT)).unwrap();
    unix_client.write_all(b"uds").unwrap();
    unix_server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"uds");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_std_stream_converted_in_sends_and_receives_asynchronously_under_block_on() {
    let (client, mut server) = std_pair();
    let socket = Socket::from(client);
    block_on(echo_through(&socket, &mut server, b"under block_on"));
    assert!(socket.blocking(), "async use leaves the user's mode alone");
}

#[test]
fn a_std_stream_converted_in_sends_and_receives_asynchronously_under_tokio() {
    for multi_thread in [false, true] {
        let runtime = match multi_thread {
            true => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build(),
            false => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build(),
        }
        .unwrap();
        let (client, mut server) = std_pair();
        let socket = Socket::from(client);
        runtime.block_on(echo_through(&socket, &mut server, b"under tokio"));
    }
}

/// The peer writes only after a pause, so a read that returns the bytes has blocked.
fn write_after_a_pause(mut peer: TcpStream) -> thread::JoinHandle<TcpStream> {
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        peer.write_all(b"late").unwrap();
        peer
    })
}

#[test]
fn a_socket_used_asynchronously_converts_out_to_a_std_stream_that_blocks() {
    let (client, mut server) = std_pair();
    let socket = Socket::from(client);
    block_on(echo_through(&socket, &mut server, b"async first"));
    assert!(
        descriptor_non_blocking(&socket),
        "async use made the descriptor non-blocking"
    );

    let mut stream = TcpStream::from(socket);
    assert!(
        !descriptor_non_blocking(&stream),
        "blocking mode is restored on the way out"
    );
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let writer = write_after_a_pause(server);
    let mut buf = [0u8; 4];
    stream
        .read_exact(&mut buf)
        .expect("a blocking read, not WouldBlock");
    assert_eq!(&buf, b"late");
    writer.join().unwrap();
}

#[test]
fn a_non_blocking_socket_used_asynchronously_converts_out_non_blocking() {
    let (client, mut server) = std_pair();
    let socket = Socket::from(client);
    socket.set_blocking(false).unwrap();
    block_on(echo_through(&socket, &mut server, b"async"));
    let mut stream = TcpStream::from(socket);
    assert!(descriptor_non_blocking(&stream));
    let mut buf = [0u8; 4];
    assert_eq!(
        stream.read(&mut buf).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock
    );
}

#[test]
fn converting_out_takes_the_socket_out_of_its_reactor() {
    let (client, mut server) = std_pair();
    let socket = Socket::from(client);
    let fd = socket.as_raw_fd();
    block_on(echo_through(&socket, &mut server, b"registered"));
    assert!(watched_by_a_reactor(fd), "the probe sees the registration");
    let stream = TcpStream::from(socket);
    assert!(
        !watched_by_a_reactor(fd),
        "still watched after the conversion"
    );
    drop(stream);
}

#[test]
fn a_socket_converted_out_of_a_tokio_runtime_works_after_the_runtime_is_dropped() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (client, mut server) = std_pair();
    let socket = Socket::from(client);
    let fd = socket.as_raw_fd();
    runtime.block_on(echo_through(&socket, &mut server, b"on tokio"));
    assert!(watched_by_a_reactor(fd));
    let mut stream = TcpStream::from(socket);
    assert!(
        !watched_by_a_reactor(fd),
        "still watched after the conversion"
    );
    drop(runtime);

    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream.write_all(b"after").unwrap();
    let mut buf = [0u8; 5];
    server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"after");
    let writer = write_after_a_pause(server);
    let mut buf = [0u8; 4];
    stream
        .read_exact(&mut buf)
        .expect("a blocking read, not WouldBlock");
    assert_eq!(&buf, b"late");
    writer.join().unwrap();
}

#[test]
#[should_panic(expected = "a closed Socket has no descriptor")]
fn converting_a_closed_socket_out_panics() {
    let socket = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )
    .unwrap();
    socket.close();
    let _ = OwnedFd::from(socket);
}

#[test]
fn a_closed_sockets_descriptor_number_stays_taken_until_it_is_dropped() {
    let socket = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )
    .unwrap();
    socket.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let address = socket.local_endpoint().unwrap();
    let borrowed = socket.as_fd();
    socket.close();
    let others: Vec<UdpSocket> = (0..4)
        .map(|_| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap())
        .collect();
    assert!(others
        .iter()
        .all(|other| other.as_raw_fd() != borrowed.as_raw_fd()));
    let placeholder = socket2::SockRef::from(&borrowed);
    assert!(
        placeholder
            .local_addr()
            .is_ok_and(|a| a.as_socket().is_none()),
        "an inert placeholder"
    );
    // The port was freed by the close.
    UdpSocket::bind(address.as_ip().unwrap()).unwrap();
}

#[test]
fn a_family_netstack_has_no_name_for_comes_in_as_other() {
    let netlink = socket2::Socket::new(
        socket2::Domain::from(libc::AF_NETLINK),
        socket2::Type::RAW,
        Some(socket2::Protocol::from(libc::NETLINK_ROUTE)),
    )
    .unwrap();
    let netlink = Socket::from(netlink);
    assert_eq!(
        netlink.address_family(),
        AddressFamily::Other(libc::AF_NETLINK as u16)
    );
    assert_eq!(netlink.socket_type(), SocketType::Raw);
}

#[test]
fn a_descriptor_that_is_not_a_socket_comes_in_as_other_and_every_call_says_so() {
    let file = std::fs::File::open("/dev/null").unwrap();
    let not_a_socket = Socket::from(OwnedFd::from(file));
    assert_eq!(not_a_socket.address_family(), AddressFamily::Other(0));
    assert_eq!(not_a_socket.socket_type(), SocketType::Other(0));
    let error = not_a_socket.local_endpoint().unwrap_err();
    assert_eq!(error.kind(), SocketError::NotSocket, "{error}");
}

#[test]
fn a_unix_socket_converted_out_keeps_its_file_for_the_new_owner() {
    let path = temp_path("kept");
    let socket = Socket::new(
        AddressFamily::Unix,
        SocketType::Stream,
        ProtocolType::Unspecified,
    )
    .unwrap();
    socket.bind(EndPoint::unix_path(&path)).unwrap();
    socket.listen(4).unwrap();
    let listener = UnixListener::from(socket);
    assert!(path.exists(), "the file went with the descriptor");
    let _client = UnixStream::connect(&path).unwrap();
    let (_accepted, _) = listener.accept().unwrap();
    drop(listener);
    assert!(path.exists(), "std's listener does not remove it either");
    std::fs::remove_file(&path).unwrap();
}
