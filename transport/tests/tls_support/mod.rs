//! Shared by the TLS tests: PEM files of the test PKI (testkit::cert::pki),
//! and loopback plumbing with bounded waits.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use transport::{NetworkStream, TcpClient, TcpListener};

/// Every wait in the tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(20);

/// Writes `contents` to a file in cargo's scratch directory for tests.
pub fn write_file(name: &str, contents: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// A listening loopback TCP listener.
pub fn listener() -> TcpListener {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(16).unwrap();
    listener
}

/// A connected pair of loopback TCP streams (client, server), each with
/// read and write timeouts so that no test can hang.
pub fn tcp_pair() -> (NetworkStream, NetworkStream) {
    let listener = listener();
    let client = TcpClient::connect_endpoint(listener.local_endpoint().unwrap())
        .unwrap()
        .into_stream();
    let server = listener.accept().unwrap();
    for s in [&client, &server] {
        s.set_read_timeout(Some(WAIT)).unwrap();
        s.set_write_timeout(Some(WAIT)).unwrap();
    }
    (client, server)
}

/// Runs `future` on netstack's reactor, failing the test if it takes longer than [`WAIT`].
pub fn block_on_bounded<F: Future>(future: F) -> F::Output {
    sockets::block_on(async {
        let mut future = pin!(future);
        let mut timer = pin!(sockets::sleep(WAIT));
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = future.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            if timer.as_mut().poll(cx).is_ready() {
                panic!("async test step did not finish within {WAIT:?}");
            }
            Poll::Pending
        })
        .await
    })
}
