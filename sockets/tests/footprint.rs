//! What an idle connection costs in its task: the socket and its pending
//! receive live in the task's future (an `async fn` that takes a socket by
//! value often holds it twice), once per connection. These bounds keep them
//! from growing unnoticed; `BENCHMARKS.md` (C10K) measures the whole.

use std::mem::{size_of, size_of_val};

use sockets::{AddressFamily, ProtocolType, Socket, SocketType};

#[test]
fn a_socket_stays_within_72_bytes() {
    let size = size_of::<Socket>();
    assert!(size <= 72, "a Socket takes {size} bytes");
}

#[test]
fn a_pending_receive_or_send_stays_within_64_bytes() {
    let socket = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .expect("a TCP socket");
    let mut buf = [0u8; 64];
    let receive = size_of_val(&socket.receive_async(&mut buf));
    assert!(receive <= 64, "a receive future takes {receive} bytes");
    let send = size_of_val(&socket.send_async(b"ping"));
    assert!(send <= 64, "a send future takes {send} bytes");
}
