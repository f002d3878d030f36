//! The WebSocket core, as a server and as a client (the first byte's low
//! bit), with permessage-deflate on (its second bit; the third forgets the
//! window after each message), with small size limits: frame headers,
//! masking, compressed messages inflated, fragments joined,
//! UTF-8 checked per fragment, control frames, the close handshake. What
//! it delivers, the error it ends with, and the bytes it writes back must
//! not depend on how the input was cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netstack_fuzz::split;
use protocols::websocket::{frame, Config, Deflate, Protocol, Role, Violation};

/// Everything one run produces.
#[derive(Debug, PartialEq)]
struct Run {
    messages: Vec<String>,
    error: Option<Violation>,
    output: Vec<u8>,
    closed: bool,
}

fn run(role: Role, deflate: Option<Deflate>, pieces: &[&[u8]]) -> Run {
    let config = Config::default()
        .max_frame_size(300)
        .max_message_size(1000)
        .deflate(deflate);
    let mut core = Protocol::new(role, config);
    let mut run = Run {
        messages: Vec::new(),
        error: None,
        output: Vec::new(),
        closed: false,
    };
    'feed: for piece in pieces {
        core.receive(piece);
        loop {
            match core.poll_message() {
                Ok(Some(message)) => run.messages.push(format!("{message:?}")),
                Ok(None) => break,
                Err(violation) => {
                    run.error = Some(violation);
                    break 'feed;
                }
            }
        }
    }
    let output = core.output();
    // A server's own frames are unmasked: they decode as they were written.
    if role == Role::Server {
        let mut at = 0;
        while at < output.len() {
            let (header, len) = frame::decode_header(&output[at..], false)
                .expect("the core writes valid frames")
                .expect("the core writes whole frames");
            assert!(header.mask.is_none());
            at += len + header.len as usize;
        }
        assert_eq!(at, output.len());
    } else {
        // A client's frames are masked with fresh keys: compare the lengths.
        run.output = vec![0; output.len()];
    }
    if run.output.is_empty() {
        run.output = output.to_vec();
    }
    run.closed = core.is_closed();
    run
}

fuzz_target!(|data: &[u8]| {
    let Some((&config, data)) = data.split_first() else {
        return;
    };
    let role = if config & 1 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let deflate = (config & 2 != 0).then(|| {
        Deflate::default()
            .no_context_takeover(config & 4 != 0)
            .peer_no_context_takeover(config & 4 != 0)
    });
    let (pieces, whole) = split(data);
    assert_eq!(run(role, deflate, &pieces), run(role, deflate, &[whole]));
});
