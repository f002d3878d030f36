//! `sockets::block_on` drives netstack's reactor on its own thread: the
//! wake-ups of its sockets run in place, and the background thread stays
//! out of the way. Counted, not timed: the background thread's context
//! switches over 2,000 round trips between two sockets in one `block_on`.
//! Were every readiness report handled by the background thread (and handed
//! to the `block_on` thread), it would switch at least once per round trip.
//!
//! This file holds a single test, so that no other test's sockets keep the
//! background thread busy.
//! With the `async-io` feature `block_on` is async-io's and sockets wait on
//! its reactor, so this file is empty then.
#![cfg(not(feature = "async-io"))]

mod support;

use sockets::{block_on, Socket, SocketType};
use support::{background_status, background_switches};

const ROUND_TRIPS: usize = 2_000;

#[test]
fn round_trips_under_block_on_are_woken_on_its_own_thread() {
    let (a, b) = Socket::pair(SocketType::Stream).unwrap();
    // The first async call starts the reactor; let its thread settle.
    block_on(a.send_async(b"x")).unwrap();
    let mut one = [0u8; 1];
    block_on(b.receive_async(&mut one)).unwrap();
    let status = background_status();
    let before = background_switches(&status);
    block_on(async {
        let ping = async {
            let mut buf = [0u8; 8];
            for i in 0..ROUND_TRIPS {
                a.send_async(&(i as u64).to_le_bytes()).await.unwrap();
                let mut got = 0;
                while got < 8 {
                    got += a.receive_async(&mut buf[got..]).await.unwrap();
                }
                assert_eq!(u64::from_le_bytes(buf), i as u64);
            }
        };
        let echo = async {
            let mut buf = [0u8; 8];
            for _ in 0..ROUND_TRIPS {
                let mut got = 0;
                while got < 8 {
                    got += b.receive_async(&mut buf[got..]).await.unwrap();
                }
                b.send_async(&buf).await.unwrap();
            }
        };
        futures::join!(ping, echo);
    });
    let switches = background_switches(&status) - before;
    assert!(
        switches < (ROUND_TRIPS / 4) as u64,
        "the background thread switched {switches} times during {ROUND_TRIPS} round trips: \
         block_on's wake-ups went through it"
    );
}
