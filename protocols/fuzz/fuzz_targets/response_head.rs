//! Fuzzes the response head parser and the framing rules that follow it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocols::http::{parse_response_head, response_body_length, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().max_head_size(4096).max_headers(32);
    // Every prefix must give the same verdict as the whole, or "need more".
    if let Ok(Some((head, len))) = parse_response_head(data, &limits) {
        assert!(len <= data.len());
        let _ = response_body_length(&http::Method::GET, head.status, &head.headers);
        let _ = response_body_length(&http::Method::HEAD, head.status, &head.headers);
        let _ = protocols::http::keep_alive(head.version, &head.headers);
    }
});
