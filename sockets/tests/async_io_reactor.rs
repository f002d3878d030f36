//! With the `async-io` feature, sockets that do not wait inside a tokio
//! runtime use async-io's reactor, which smol's `block_on` (and netstack's,
//! which is then async-io's) drives on the waiting thread: no netstack
//! thread starts. (Timers are netstack's in every registration, so this
//! case sets no timeout.)
//!
//! This file holds a single test so that no other test in the same process
//! can start netstack's reactor first. Without the feature it is empty.
#![cfg(feature = "async-io")]

mod support;

use sockets::{Socket, SocketType};
use support::reactor_threads;

/// 200 round trips of `payload` from `a` to `b` and back.
async fn ping_pong(a: &Socket, b: &Socket, payload: &[u8]) {
    let ping = async {
        let mut buf = [0u8; 32];
        for _ in 0..200 {
            a.send_async(payload).await.unwrap();
            let mut got = 0;
            while got < payload.len() {
                got += a.receive_async(&mut buf[got..payload.len()]).await.unwrap();
            }
            assert_eq!(&buf[..got], payload);
        }
    };
    let pong = async {
        let mut buf = [0u8; 32];
        for _ in 0..200 {
            let mut got = 0;
            while got < payload.len() {
                got += b.receive_async(&mut buf[got..payload.len()]).await.unwrap();
            }
            b.send_async(&buf[..got]).await.unwrap();
        }
    };
    futures::join!(ping, pong);
}

#[test]
fn under_smol_and_block_on_sockets_use_async_ios_reactor_and_start_no_netstack_thread() {
    let (a, b) = Socket::pair(SocketType::Stream).unwrap();
    smol::block_on(ping_pong(&a, &b, b"under smol"));
    sockets::block_on(ping_pong(&a, &b, b"under sockets::block_on"));
    futures::executor::block_on(ping_pong(&a, &b, b"under futures' block_on"));
    assert!(
        !sockets::reactor_started(),
        "netstack's reactor started although async-io's serves the sockets"
    );
    assert_eq!(reactor_threads(), 0);
}
