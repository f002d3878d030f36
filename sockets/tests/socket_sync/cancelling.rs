//! Cancelling a thread's blocking calls with a `CancelToken`: the call
//! ends, the socket and its data stay as they were.

use super::*;

use sockets::CancelToken;

/// Runs `call` inside `token` on another thread, cancels the token once
/// the call had time to block, and returns what the call ended with.
fn cancelled_while_blocked<T: Send + 'static>(
    socket: Arc<Socket>,
    call: impl FnOnce(&Socket) -> sockets::Result<T> + Send + 'static,
) -> sockets::Result<T> {
    let token = CancelToken::new().unwrap();
    let blocked = {
        let token = token.clone();
        thread::spawn(move || {
            let _inside = token.enter();
            call(&socket)
        })
    };
    thread::sleep(Duration::from_millis(50));
    assert!(!blocked.is_finished(), "the call did not block");
    token.cancel();
    join_within(blocked, Duration::from_secs(5))
}

#[test]
fn a_cancelled_receive_ends_and_the_connection_still_carries_data_both_ways() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        let server = Arc::new(server);
        let err = cancelled_while_blocked(Arc::clone(&server), |s| s.receive(&mut [0u8; 16]))
            .unwrap_err();
        assert_eq!(err.kind(), SocketError::Cancelled, "{family:?}: {err}");
        assert!(!err.is_aborted_by_close(), "{err}");
        assert!(server.blocking(), "the user's mode is kept");
        // Outside the token the same socket waits as before.
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            client.send(b"after").unwrap();
            client
        });
        let mut buf = [0u8; 16];
        let n = server.receive(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"after", "{family:?}");
        let client = sender.join().unwrap();
        server.send(b"back").unwrap();
        let n = client.receive(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"back", "{family:?}");
    }
}

#[test]
fn a_cancelled_send_loses_no_byte_it_reported_sent() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (client, server) = connected_pair(Family::V4);
    let client = Arc::new(client);
    let sent = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&sent);
    let chunk = vec![7u8; 64 * 1024];
    let err = cancelled_while_blocked(Arc::clone(&client), move |s| -> sockets::Result<()> {
        loop {
            counted.fetch_add(s.send(&chunk)?, Ordering::SeqCst);
        }
    })
    .unwrap_err();
    assert_eq!(err.kind(), SocketError::Cancelled, "{err}");
    client.shutdown(Shutdown::Send).unwrap();
    let mut received = 0usize;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = server.receive(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|&b| b == 7));
        received += n;
    }
    assert!(received > 0);
    assert_eq!(received, sent.load(Ordering::SeqCst));
}

#[test]
fn a_cancelled_accept_ends_and_the_listener_still_accepts() {
    let listener = Arc::new(listener(Family::V4));
    let err = cancelled_while_blocked(Arc::clone(&listener), |s| s.accept()).unwrap_err();
    assert_eq!(err.kind(), SocketError::Cancelled, "{err}");
    let client = Family::V4.socket(SocketType::Stream);
    client.connect(listener.local_endpoint().unwrap()).unwrap();
    listener.accept().unwrap();
}

#[test]
fn inside_a_cancelled_token_a_call_that_need_not_wait_completes_and_one_that_must_ends_at_once() {
    let (client, server) = connected_pair(Family::V6);
    client.send(b"ready").unwrap();
    thread::sleep(Duration::from_millis(20));
    // Without the cancel, the second receive would end here instead.
    server
        .set_receive_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let token = CancelToken::new().unwrap();
    token.cancel();
    let _inside = token.enter();
    let mut buf = [0u8; 16];
    let n = server.receive(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ready");
    let err = server.receive(&mut buf).unwrap_err();
    assert_eq!(err.kind(), SocketError::Cancelled, "{err}");
}

#[test]
fn leaving_a_token_restores_the_one_entered_before() {
    let (_client, server) = connected_pair(Family::V4);
    let outer = CancelToken::new().unwrap();
    let inner = CancelToken::new().unwrap();
    outer.cancel();
    let _outside = outer.enter();
    {
        let _inside = inner.enter();
        server
            .set_receive_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let err = server.receive(&mut [0u8; 4]).unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::TimedOut,
            "the inner token is not cancelled"
        );
    }
    let err = server.receive(&mut [0u8; 4]).unwrap_err();
    assert_eq!(err.kind(), SocketError::Cancelled, "{err}");
}

#[test]
fn a_cancelled_call_is_not_an_interruption_that_readers_retry() {
    let (_client, mut server) = connected_pair(Family::V4);
    server
        .set_receive_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // `read_exact` retries `Interrupted`: it must give the cancel back, not
    // spin on it (which the thread's time limit would catch).
    let reader = thread::spawn(move || {
        let token = CancelToken::new().unwrap();
        token.cancel();
        let _inside = token.enter();
        std::io::Read::read_exact(&mut server, &mut [0u8; 4]).unwrap_err()
    });
    let err = join_within(reader, Duration::from_secs(5));
    assert_eq!(err.kind(), std::io::ErrorKind::Other, "{err}");
}
