//! Timeouts on sockets that wait on tokio's driver are netstack's timers,
//! kept by netstack's reactor thread. Arming one must not wake that thread
//! when it will wake before the timer is due anyway: otherwise every
//! operation with a timeout (every request of an `AsyncClient`) would cost
//! a cross-thread wake-up. Counted, not timed: the reactor thread's context
//! switches over 1,000 round trips, each waiting in a receive with a 60 s
//! timeout, against a plain blocking echo thread.
//!
//! This file holds a single test, so that no other test's sockets keep the
//! reactor thread busy. It needs the `tokio` feature; with `async-io`,
//! sockets outside tokio use async-io's reactor, so it is empty then.
#![cfg(all(feature = "tokio", not(feature = "async-io")))]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

mod support;

use support::{background_status, background_switches, tcp};

const ROUND_TRIPS: usize = 1_000;

#[test]
fn arming_a_later_timeout_does_not_wake_the_reactor_thread() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let echo = std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        peer.set_nodelay(true).unwrap();
        let mut buf = [0u8; 8];
        for _ in 0..=ROUND_TRIPS {
            peer.read_exact(&mut buf).unwrap();
            peer.write_all(&buf).unwrap();
        }
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = tcp();
    client
        .set_option(sockets::SocketOption::NoDelay(true))
        .unwrap();
    client
        .set_receive_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    runtime.block_on(async {
        client.connect_async(address).await.unwrap();
        let round_trip = |i: u64| {
            let client = &client;
            async move {
                client.send_async(&i.to_le_bytes()).await.unwrap();
                let mut buf = [0u8; 8];
                let mut got = 0;
                while got < 8 {
                    got += client.receive_async(&mut buf[got..]).await.unwrap();
                }
                assert_eq!(u64::from_le_bytes(buf), i);
            }
        };
        // The first timeout starts the reactor thread; let it settle.
        round_trip(0).await;
        let status = background_status();
        let before = background_switches(&status);
        for i in 1..=ROUND_TRIPS as u64 {
            round_trip(i).await;
        }
        let switches = background_switches(&status) - before;
        assert!(
            switches < (ROUND_TRIPS / 10) as u64,
            "the reactor thread switched {switches} times during {ROUND_TRIPS} round trips \
             that each armed a 60 s timeout: arming a timer woke it"
        );
    });
    echo.join().unwrap();
}
