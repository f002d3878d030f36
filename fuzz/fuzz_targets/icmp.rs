//! An ICMP or ICMPv6 packet as a raw socket delivers it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocols::icmp::{parse, Family};

fuzz_target!(|data: &[u8]| {
    let Some((&which, packet)) = data.split_first() else {
        return;
    };
    let family = if which & 1 == 0 {
        Family::V4
    } else {
        Family::V6
    };
    if let Ok(received) = parse(family, packet) {
        let _ = format!("{received:?}");
    }
});
