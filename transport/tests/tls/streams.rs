//! What a TLS stream runs over and under: borrowed and std streams, the futures
//! and tokio I/O traits, cancelled reads.

use super::*;

#[test]
fn a_borrowed_network_stream_works_in_both_modes() {
    let server_config = server_config();
    let client_config = client_config();
    let (client, server) = run(
        |stream| {
            let mut tls = TlsStream::connect(&client_config, "localhost", &stream).unwrap();
            tls.write_all(b"sync").unwrap();
            tls.shutdown().unwrap();
            // The stream is still ours, borrowed by the session.
            std::ptr::eq(*tls.get_ref(), &stream)
        },
        move |stream| {
            block_on_bounded(async {
                let mut tls = TlsStream::accept_async(&server_config, &stream)
                    .await
                    .unwrap();
                let mut all = Vec::new();
                let mut buf = [0u8; 64];
                loop {
                    match tls.read_async(&mut buf).await.unwrap() {
                        0 => break all,
                        n => all.extend_from_slice(&buf[..n]),
                    }
                }
            })
        },
    );
    assert!(client);
    assert_eq!(server, b"sync");
}

#[test]
fn a_std_stream_works_through_unmanaged() {
    // Tests may use std's sockets; the library never does.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let server_config = server_config();
    let server = thread::spawn(move || {
        let (stream, _) = std_listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut tls = TlsStream::accept(&server_config, Unmanaged(stream)).unwrap();
        let mut buf = [0u8; 3];
        tls.read_exact(&mut buf).unwrap();
        tls.write_all(&buf).unwrap();
        tls.shutdown().unwrap();
    });
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut tls = TlsStream::connect(&client_config(), "localhost", Unmanaged(stream)).unwrap();
    tls.write_all(b"std").unwrap();
    let mut buf = [0u8; 3];
    tls.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"std");
    server.join().unwrap();
}

#[test]
fn unmanaged_handshake_timeout_relies_on_the_streams_own_timeout() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let config = client_config().with_handshake_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = TlsStream::connect(&config, "localhost", Unmanaged(stream)).unwrap_err();
    assert!(matches!(err, TlsError::HandshakeTimeout { .. }), "{err:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[test]
fn futures_io_traits_under_smol_and_futures_executor() {
    use futures::io::{AsyncReadExt, AsyncWriteExt};
    let server_config = server_config();
    let client_config = client_config();
    let (client, server) = run(
        |stream| {
            smol::block_on(async {
                let mut tls = TlsStream::connect_async(&client_config, "localhost", stream)
                    .await
                    .unwrap();
                AsyncWriteExt::write_all(&mut tls, b"through futures-io")
                    .await
                    .unwrap();
                AsyncWriteExt::flush(&mut tls).await.unwrap();
                AsyncWriteExt::close(&mut tls).await.unwrap(); // close_notify + write shutdown
                let mut reply = Vec::new();
                AsyncReadExt::read_to_end(&mut tls, &mut reply)
                    .await
                    .unwrap();
                reply
            })
        },
        move |stream| {
            futures::executor::block_on(async {
                let mut tls = TlsStream::accept_async(&server_config, stream)
                    .await
                    .unwrap();
                let mut got = Vec::new();
                AsyncReadExt::read_to_end(&mut tls, &mut got).await.unwrap();
                AsyncWriteExt::write_all(&mut tls, &got).await.unwrap();
                AsyncWriteExt::close(&mut tls).await.unwrap();
                got
            })
        },
    );
    assert_eq!(server, b"through futures-io");
    assert_eq!(client, b"through futures-io");
}

/// tokio's traits exist with the `tokio` feature (`cargo test --features tokio`).
#[cfg(feature = "tokio")]
#[test]
fn tokio_traits_drive_a_tls_stream() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server_config = server_config();
    let client_config = client_config();
    let (client, server) = run(
        |stream| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut tls = TlsStream::connect_async(&client_config, "localhost", stream)
                    .await
                    .unwrap();
                AsyncWriteExt::write_all(&mut tls, b"through tokio")
                    .await
                    .unwrap();
                AsyncWriteExt::shutdown(&mut tls).await.unwrap();
                let mut reply = Vec::new();
                AsyncReadExt::read_to_end(&mut tls, &mut reply)
                    .await
                    .unwrap();
                reply
            })
        },
        move |stream| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut tls = TlsStream::accept_async(&server_config, stream)
                    .await
                    .unwrap();
                let mut got = Vec::new();
                AsyncReadExt::read_to_end(&mut tls, &mut got).await.unwrap();
                AsyncWriteExt::write_all(&mut tls, &got).await.unwrap();
                AsyncWriteExt::shutdown(&mut tls).await.unwrap();
                got
            })
        },
    );
    assert_eq!(server, b"through tokio");
    assert_eq!(client, b"through tokio");
}

#[test]
fn dropping_a_pending_async_read_loses_no_data() {
    use futures::FutureExt;
    let server_config = server_config();
    let client_config = client_config();
    let (client, ()) = run(
        |stream| {
            block_on_bounded(async {
                let mut tls = TlsStream::connect_async(&client_config, "localhost", stream)
                    .await
                    .unwrap();
                let mut buf = [0u8; 5];
                // Nothing has been sent yet: the read is pending, and is dropped.
                assert!(tls.read_async(&mut buf).now_or_never().is_none());
                tls.write_all_async(b"go").await.unwrap();
                let mut got = Vec::new();
                while got.len() < 5 {
                    let n = tls.read_async(&mut buf).await.unwrap();
                    got.extend_from_slice(&buf[..n]);
                }
                got
            })
        },
        move |stream| {
            let mut tls = TlsStream::accept(&server_config, stream).unwrap();
            let mut go = [0u8; 2];
            tls.read_exact(&mut go).unwrap();
            tls.write_all(b"after").unwrap();
        },
    );
    assert_eq!(client, b"after");
}
