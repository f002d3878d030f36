//! Fuzzes the request head parser and the request framing rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocols::http::{parse_request_head, request_body_length, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().max_head_size(4096).max_headers(32).max_line(1024);
    if let Ok(Some((head, len))) = parse_request_head(data, &limits) {
        assert!(len <= data.len());
        let _ = request_body_length(&head.headers);
    }
});
