//! A response head from a server, then its framing for each request
//! method the client sends. A complete head must parse the same whatever
//! follows it.
#![no_main]

use http::Method;
use libfuzzer_sys::fuzz_target;
use protocols::http::{keep_alive, parse_response_head, response_body_length, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default().max_head_size(4096).max_headers(32);
    match parse_response_head(data, &limits) {
        Ok(Some((head, end))) => {
            assert!(end <= data.len());
            for method in [Method::GET, Method::HEAD, Method::CONNECT] {
                let _ = response_body_length(&method, head.status, &head.headers);
            }
            let _ = keep_alive(head.version, &head.headers);
            let again = parse_response_head(&data[..end], &limits);
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
