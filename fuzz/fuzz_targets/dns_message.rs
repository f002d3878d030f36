//! A DNS message from a server: the whole decoder, and the check of a
//! reply against the query it answers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocols::dns::{DnsResponse, Header, Query, RecordType, Via};

fuzz_target!(|packet: &[u8]| {
    let _ = Header::parse(packet);
    if let Ok(response) = DnsResponse::parse(packet) {
        let _ = (
            response.ips(),
            response.mx(),
            response.txt(),
            response.cnames(),
        );
    }
    let id = match packet {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    };
    for record_type in [RecordType::A, RecordType::Mx] {
        let query = Query::with_id(id, "example.com", record_type).expect("a valid query");
        let _ = query.check_reply(packet, Via::Udp);
        let _ = query.check_reply(packet, Via::Tcp);
    }
});
