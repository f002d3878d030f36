//! The reactor costs nothing to programs that never use the async mode: no
//! reactor thread exists until the first asynchronous call.
//!
//! This file holds a single test so that no other test in the same process
//! can start the reactor first.
//! With the `async-io` feature sockets never use netstack's reactor (the
//! test in `async_io_reactor.rs` covers that), so this file is empty then.
#![cfg(not(feature = "async-io"))]

use std::net::Ipv4Addr;

mod support;

use sockets::{AddressFamily, ProtocolType, Socket, SocketType};
use support::reactor_threads;

#[test]
fn no_reactor_thread_until_the_first_async_call_then_exactly_one() {
    let listener = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap();
    listener.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.listen(4).unwrap();
    let client = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap();
    client.connect(listener.local_endpoint().unwrap()).unwrap();
    let server = listener.accept().unwrap();
    client.send(b"sync only").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(server.receive(&mut buf).unwrap(), 9);
    assert!(!sockets::reactor_started());
    assert_eq!(
        reactor_threads(),
        0,
        "sync-only use started a reactor thread"
    );

    client.send(b"now async").unwrap();
    let n = sockets::block_on(server.receive_async(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"now async");
    assert!(sockets::reactor_started());
    // A new thread names itself when it starts running: allow it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while reactor_threads() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(reactor_threads(), 1);

    // More async sockets share the one reactor.
    let (a, b) = Socket::pair(SocketType::Stream).unwrap();
    sockets::block_on(a.send_async(b"x")).unwrap();
    sockets::block_on(b.receive_async(&mut buf)).unwrap();
    assert_eq!(reactor_threads(), 1);
}
