//! Replies from a Redis server, as they arrive in pieces. The values must
//! not depend on how the bytes were cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netstack_fuzz::{decode_all, split};
use protocols::resp::RespCodec;

fn codec() -> RespCodec {
    RespCodec::new()
        .max_bulk_length(1024)
        .max_array_length(64)
        .max_frame_length(8192)
        .max_line_length(256)
        .max_depth(8)
}

fuzz_target!(|data: &[u8]| {
    let (pieces, whole) = split(data);
    let cut = decode_all(codec(), &pieces);
    let at_once = decode_all(codec(), &[whole]);
    assert_eq!(cut, at_once, "the values depend on how the bytes were cut");
});
