use super::*;

/// A reply to `query` with these answer records (raw bytes) and header flags.
fn reply(query: &Query, flags: [u8; 2], answers: &[&[u8]]) -> Vec<u8> {
    let mut packet = query.as_bytes().to_vec();
    packet[2] = 0x80 | flags[0];
    packet[3] = flags[1];
    packet[6..8].copy_from_slice(&(answers.len() as u16).to_be_bytes());
    for answer in answers {
        packet.extend_from_slice(answer);
    }
    packet
}

/// A record owned by the question's name (pointer to offset 12).
fn rr(rtype: u16, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0xC0, 12];
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0x0e, 0x10]);
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    out
}

fn accepted(query: &Query, packet: &[u8]) -> DnsResponse {
    match query.check_reply(packet, Via::Udp) {
        Ok(ReplyCheck::Accepted(response)) => response,
        other => panic!("{other:?}"),
    }
}

fn every_type(query: &Query) -> Vec<u8> {
    let a = rr(1, &[127, 0, 0, 9]);
    let aaaa = rr(28, &Ipv6Addr::LOCALHOST.octets());
    // "www" + pointer to the question's name.
    let cname = rr(5, b"\x03www\xc0\x0c");
    let mx = rr(15, b"\x00\x0a\x03mx1\xc0\x0c");
    let txt = rr(16, b"\x05hello\x00\x05world");
    let other = rr(99, b"\x01\x02");
    reply(query, [0, 0], &[&a, &aaaa, &cname, &mx, &txt, &other])
}

#[test]
fn parses_every_record_type() {
    let query = Query::with_id(7, "Mix.Test", RecordType::A).unwrap();
    let response = accepted(&query, &every_type(&query));
    let data: Vec<_> = response.answers.iter().map(|r| r.data.clone()).collect();
    assert_eq!(
        data,
        [
            RData::A(Ipv4Addr::new(127, 0, 0, 9)),
            RData::Aaaa(Ipv6Addr::LOCALHOST),
            RData::Cname("www.Mix.Test".into()),
            RData::Mx {
                preference: 10,
                exchange: "mx1.Mix.Test".into()
            },
            RData::Txt(vec![b"hello".to_vec(), vec![], b"world".to_vec()]),
            RData::Unknown {
                rtype: 99,
                data: vec![1, 2]
            },
        ]
    );
    assert_eq!(response.answers[0].name, "Mix.Test");
    assert_eq!(response.answers[0].ttl, 3600);
    assert_eq!(response.txt(), ["helloworld"]);
    assert_eq!(response.mx(), [(10, "mx1.Mix.Test".to_string())]);
    assert_eq!(
        response.answers[4].to_string(),
        "Mix.Test.\t3600\tIN\tTXT\t\"hello\" \"\" \"world\""
    );
    assert_eq!(
        response.answers[5].to_string(),
        "Mix.Test.\t3600\tIN\tTYPE99\t\\# 2 0102"
    );
    assert!(!response.over_tcp);
}

#[test]
fn replies_to_another_query_are_ignored() {
    let query = Query::with_id(0x4242, "a.test", RecordType::A).unwrap();
    let good = reply(&query, [0, 0], &[&rr(1, &[1, 2, 3, 4])]);
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut p = good.clone();
    p[1] ^= 1;
    cases.push(("other id", p));
    let mut p = good.clone();
    p[2] &= 0x7F;
    cases.push(("a query, not a response", p));
    let mut p = good.clone();
    p[2] |= 0x08;
    cases.push(("another opcode", p));
    let mut p = good.clone();
    p[13] = b'b';
    cases.push(("other name", p));
    let mut p = good.clone();
    p[12 + 8 + 1] = 28;
    cases.push(("other type", p));
    let mut p = good.clone();
    p[12 + 8 + 3] = 3;
    cases.push(("other class", p));
    let mut p = good.clone();
    p[5] = 0;
    cases.push(("no question", p));
    cases.push(("too short", good[..11].to_vec()));
    cases.push(("question cut", good[..20].to_vec()));
    for (what, packet) in cases {
        match query.check_reply(&packet, Via::Udp) {
            Ok(ReplyCheck::Ignored(_)) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    // The name is compared without case.
    let mut p = good.clone();
    p[13] = b'A';
    p[15..19].copy_from_slice(b"TeSt");
    assert_eq!(accepted(&query, &p).ips(), [IpAddr::from([1, 2, 3, 4])]);
}

#[test]
fn truncation_and_error_codes() {
    let query = Query::with_id(1, "a.test", RecordType::Txt).unwrap();
    let truncated = reply(&query, [0x02, 0], &[]);
    assert_eq!(
        query.check_reply(&truncated, Via::Udp).unwrap(),
        ReplyCheck::Truncated
    );
    match query.check_reply(&truncated, Via::Tcp).unwrap() {
        ReplyCheck::Accepted(r) => assert!(r.over_tcp && r.header.truncated),
        other => panic!("{other:?}"),
    }
    let code = |rcode: u8| query.check_reply(&reply(&query, [0, rcode], &[]), Via::Udp);
    assert!(matches!(code(2), Err(Error::ServerFailure { .. })));
    assert!(matches!(code(3), Err(Error::NameError { name }) if name == "a.test"));
    assert!(matches!(code(5), Err(Error::Refused { .. })));
    assert!(matches!(code(4), Err(Error::Rcode { rcode: 4, .. })));
    assert!(matches!(code(0), Ok(ReplyCheck::Accepted(r)) if r.answers.is_empty()));
}

#[test]
fn bad_records_are_malformed() {
    let query = Query::with_id(9, "a.test", RecordType::A).unwrap();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("A of 3 bytes", rr(1, &[1, 2, 3])),
        ("AAAA of 4 bytes", rr(28, &[1, 2, 3, 4])),
        ("CNAME name past its data", rr(5, b"\x03www")),
        ("CNAME name shorter than its data", rr(5, b"\xc0\x0c\x00")),
        ("CNAME pointer loop", rr(5, b"\x01a\xc0\x2c")),
        ("MX too short", rr(15, b"\x00\x0a")),
        ("TXT string past the end", rr(16, b"\x09short")),
    ];
    for (what, record) in bad {
        match query.check_reply(&reply(&query, [0, 0], &[&record]), Via::Udp) {
            Err(Error::Malformed(_)) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    // Data length past the end of the packet; a count with no record.
    let mut record = rr(1, &[1, 2, 3, 4]);
    record[11] = 200;
    let packet = reply(&query, [0, 0], &[&record]);
    assert!(matches!(
        query.check_reply(&packet, Via::Udp),
        Err(Error::Malformed(m)) if m.contains("past the end")
    ));
    let mut packet = reply(&query, [0, 0], &[]);
    packet[7] = 2;
    assert!(matches!(
        query.check_reply(&packet, Via::Udp),
        Err(Error::Malformed(_))
    ));
}

#[test]
fn every_prefix_and_many_mutations_never_panic() {
    let query = Query::with_id(7, "mix.test", RecordType::A).unwrap();
    let good = every_type(&query);
    for end in 0..good.len() {
        // Cut inside the header or question: ignored; inside the records: malformed.
        match query.check_reply(&good[..end], Via::Udp) {
            Ok(ReplyCheck::Ignored(_)) => assert!(end < 12 + 14, "{end}"),
            Err(Error::Malformed(_)) => assert!(end >= 12 + 14, "{end}"),
            other => panic!("{end}: {other:?}"),
        }
    }
    // A fixed-seed xorshift flips bytes of the good reply.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let mut packet = good.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % packet.len() as u64) as usize;
            packet[at] = next() as u8;
        }
        let _ = query.check_reply(&packet, Via::Udp);
        let _ = DnsResponse::parse(&packet);
    }
}

#[test]
fn record_types_by_name_and_number() {
    for (text, rtype, code) in [
        ("a", RecordType::A, 1),
        ("AAAA", RecordType::Aaaa, 28),
        ("cname", RecordType::Cname, 5),
        ("MX", RecordType::Mx, 15),
        ("txt", RecordType::Txt, 16),
        ("TYPE99", RecordType::Other(99), 99),
    ] {
        assert_eq!(text.parse::<RecordType>().unwrap(), rtype);
        assert_eq!(rtype.code(), code);
        assert_eq!(RecordType::from_code(code), rtype);
    }
    assert!("SRVX".parse::<RecordType>().is_err());
    assert_eq!(RecordType::Aaaa.to_string(), "AAAA");
}

#[test]
fn query_ids_vary() {
    let ids: std::collections::HashSet<u16> = (0..64)
        .map(|_| Query::new("a.test", RecordType::A).unwrap().id())
        .collect();
    // 64 draws from 65536 values: a handful of collisions at most.
    assert!(ids.len() > 56, "{}", ids.len());
}
