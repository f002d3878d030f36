//! With the `tokio` feature, sockets that wait inside a tokio runtime with
//! its I/O driver use that driver: no netstack thread starts. (Timers are
//! netstack's in every registration, so this case sets no timeout.)
//!
//! This file holds a single test so that no other test in the same process
//! can start netstack's reactor first. Without the feature it is empty: the
//! other test files cover netstack's reactor.
#![cfg(feature = "tokio")]

mod support;

use support::{reactor_threads, tcp};

#[test]
fn inside_a_tokio_runtime_with_io_sockets_use_its_driver_and_start_no_netstack_thread() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = tcp();
    listener.bind(([127, 0, 0, 1], 0)).unwrap();
    listener.listen(64).unwrap();
    let address = listener.local_endpoint().unwrap();
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..32u8 {
            let client = tcp();
            let (connected, accepted) = futures::join!(
                client.connect_async(address.clone()),
                listener.accept_async()
            );
            connected.unwrap();
            let server = accepted.unwrap();
            tasks.push(tokio::spawn(async move {
                let mut buf = [0u8; 64];
                for round in 0..100u8 {
                    let message = [i, round, 0, 0];
                    client.send_async(&message).await.unwrap();
                    let mut got = 0;
                    while got < 4 {
                        got += server.receive_async(&mut buf[got..4]).await.unwrap();
                    }
                    server.send_async(&buf[..4]).await.unwrap();
                    let mut got = 0;
                    while got < 4 {
                        got += client.receive_async(&mut buf[got..4]).await.unwrap();
                    }
                    assert_eq!(buf[..4], message);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert!(
        !sockets::reactor_started(),
        "netstack's reactor started inside a tokio runtime with an I/O driver"
    );
    assert_eq!(reactor_threads(), 0);
}
