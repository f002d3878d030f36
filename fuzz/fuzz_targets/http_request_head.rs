//! A request head from a client, then its framing (what the server reads
//! before it hands a request to a handler). A complete head must parse the
//! same whatever follows it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocols::http::{parse_request_head, request_body_length, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().max_head_size(4096).max_headers(32);
    match parse_request_head(data, &limits) {
        Ok(Some((head, end))) => {
            assert!(end <= data.len());
            let _ = request_body_length(&head.headers);
            let again = parse_request_head(&data[..end], &limits);
            assert_eq!(
                again,
                Ok(Some((head, end))),
                "the head depends on what follows it"
            );
        }
        Ok(None) => {}
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
