//! A socket follows the context it waits in: it moves between netstack's
//! reactor and a tokio runtime's driver (with the `tokio` feature) without
//! losing data, and a wait never depends on a runtime that is no longer
//! driven. Without the `tokio` feature every context uses netstack's
//! reactor, and the same cases must hold.

use std::pin::pin;
use std::thread;
use std::time::Duration;

use futures::poll;

mod support;

use sockets::{with_timeout, Socket, SocketError, SocketType};
use support::tcp;

/// Bounds every wait of these cases: a lost wake-up fails, it does not hang.
const LIMIT: Duration = Duration::from_secs(20);

fn runtime_multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Sends `data` on `socket` from another thread after a pause, so that the
/// receive on the other end has to wait for it.
fn send_later<'a>(scope: &'a thread::Scope<'a, '_>, socket: &'a Socket, data: &'a [u8]) {
    scope.spawn(move || {
        thread::sleep(Duration::from_millis(50));
        assert_eq!(socket.send(data).unwrap(), data.len());
    });
}

async fn receive(socket: &Socket, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let mut got = 0;
    while got < len {
        let n = with_timeout(LIMIT, socket.receive_async(&mut buf[got..]))
            .await
            .unwrap();
        assert_ne!(n, 0, "end of stream after {got} of {len} bytes");
        got += n;
    }
    buf
}

#[test]
fn a_socket_moves_from_block_on_to_tokio_and_on_after_the_runtime_is_gone() {
    let (a, b) = Socket::pair(SocketType::Stream).unwrap();
    thread::scope(|scope| {
        send_later(scope, &a, b"one");
        assert_eq!(sockets::block_on(receive(&b, 3)), b"one");
    });
    let runtime = runtime_multi_thread();
    thread::scope(|scope| {
        send_later(scope, &a, b"two");
        assert_eq!(runtime.block_on(receive(&b, 3)), b"two");
    });
    // A pending receive inside a spawned task, on a worker thread.
    let b = std::sync::Arc::new(b);
    thread::scope(|scope| {
        send_later(scope, &a, b"three");
        let task_b = std::sync::Arc::clone(&b);
        let received = runtime.block_on(async {
            tokio::spawn(async move { receive(&task_b, 5).await })
                .await
                .unwrap()
        });
        assert_eq!(received, b"three");
    });
    drop(runtime);
    // The runtime and its driver are gone: waits go to netstack's reactor.
    thread::scope(|scope| {
        send_later(scope, &a, b"four");
        assert_eq!(futures::executor::block_on(receive(&b, 4)), b"four");
    });
    // Data that arrived while nobody waited is still there.
    a.send(b"five").unwrap();
    assert_eq!(sockets::block_on(receive(&b, 4)), b"five");
}

#[test]
fn a_socket_registered_in_an_idle_current_thread_runtime_is_woken_outside_it() {
    let (a, b) = Socket::pair(SocketType::Stream).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    a.send(b"x").unwrap();
    assert_eq!(runtime.block_on(receive(&b, 1)), b"x");
    // The runtime lives on but nothing drives it: a wait that stayed on its
    // driver would never be woken.
    thread::scope(|scope| {
        send_later(scope, &a, b"woken");
        assert_eq!(futures::executor::block_on(receive(&b, 5)), b"woken");
    });
    drop(runtime);
}

#[test]
fn a_pending_receive_moved_between_contexts_is_still_aborted_by_close() {
    let (a, b) = Socket::pair(SocketType::Stream).unwrap();
    let runtime = runtime_multi_thread();
    a.send(b"x").unwrap();
    assert_eq!(runtime.block_on(receive(&b, 1)), b"x");
    drop(runtime);
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(50));
            b.close();
        });
        let mut buf = [0u8; 8];
        let err = sockets::block_on(with_timeout(LIMIT, b.receive_async(&mut buf))).unwrap_err();
        assert_eq!(err.kind(), SocketError::OperationAborted, "{err}");
    });
}

#[test]
fn a_listener_and_a_client_connect_inside_tokio_and_talk_outside_it() {
    let listener = tcp();
    listener.bind(([127, 0, 0, 1], 0)).unwrap();
    listener.listen(4).unwrap();
    let client = tcp();
    let runtime = runtime_multi_thread();
    let server = runtime.block_on(async {
        let (connected, accepted) = futures::join!(
            client.connect_async(listener.local_endpoint().unwrap()),
            listener.accept_async()
        );
        connected.unwrap();
        accepted.unwrap()
    });
    // A socket registered while it connected must not keep the hang-up an
    // unconnected socket reports: a receive must wait, then get the data.
    thread::scope(|scope| {
        send_later(scope, &client, b"after connect");
        assert_eq!(runtime.block_on(receive(&server, 13)), b"after connect");
        send_later(scope, &server, b"reply");
        assert_eq!(runtime.block_on(receive(&client, 5)), b"reply");
    });
    drop(runtime);
    client.send(b"bye").unwrap();
    assert_eq!(sockets::block_on(receive(&server, 3)), b"bye");
}

/// A socket that moves into a tokio runtime while a receive waits on
/// netstack's reactor in another thread: tokio reports only to the wakers
/// given to it, so the receive must be told to try again there, or it
/// never hears of the data.
#[test]
fn a_receive_waiting_elsewhere_hears_its_data_after_a_send_moves_the_socket_into_tokio() {
    let (a, b) = Socket::pair(SocketType::Stream).unwrap();
    thread::scope(|scope| {
        // Any later poll would find the data (the receive's own timer wakes
        // it at `LIMIT`), so a lost wake-up shows as a wait past half of it.
        let (done, received) = std::sync::mpsc::channel();
        let b = &b;
        scope.spawn(move || done.send(sockets::block_on(receive(b, 3))).unwrap());
        thread::sleep(Duration::from_millis(50));
        // Fill the send buffer, so that an asynchronous send waits.
        b.set_blocking(false).unwrap();
        let chunk = [0u8; 65536];
        while b.send(&chunk).is_ok() {}
        b.set_blocking(true).unwrap();
        runtime_multi_thread().block_on(async {
            let mut send = pin!(b.send_async(&chunk));
            assert!(poll!(send.as_mut()).is_pending(), "the send buffer is full");
        });
        assert_eq!(a.send(b"one").unwrap(), 3);
        let got = received
            .recv_timeout(LIMIT / 2)
            .expect("the waiting receive was not told of the move");
        assert_eq!(got, b"one");
    });
}
