use super::*;
use crate::websocket::frame::MAX_HEADER_LEN;
use crate::websocket::Deflate;

fn pair() -> (Protocol, Protocol) {
    (
        Protocol::new(Role::Client, Config::default()),
        Protocol::new(Role::Server, Config::default()),
    )
}

/// Moves everything `from` has to send into `to`.
fn carry(from: &mut Protocol, to: &mut Protocol) {
    let n = from.output().len();
    to.receive(from.output());
    from.consume_output(n);
}

/// A raw frame as a client would send it (masked with a fixed key).
fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [9, 8, 7, 6];
    let mut out = Vec::new();
    encode_header(
        &mut out,
        &FrameHeader {
            fin: first & 0x80 != 0,
            rsv1: first & 0x40 != 0,
            opcode: match first & 0x0F {
                0 => OpCode::Continuation,
                1 => OpCode::Text,
                2 => OpCode::Binary,
                8 => OpCode::Close,
                9 => OpCode::Ping,
                _ => OpCode::Pong,
            },
            mask: Some(key),
            len: payload.len() as u64,
        },
    );
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key, 0);
    out
}

/// The close code of the single close frame a server wrote.
fn close_code_written(server: &Protocol) -> u16 {
    let out = server.output();
    assert_eq!(out[0], 0x88, "a final close frame: {out:?}");
    u16::from_be_bytes([out[2], out[3]])
}

#[test]
fn messages_cross_both_ways_byte_by_byte() {
    let (mut client, mut server) = pair();
    client.send(Message::Text("héllo".into())).unwrap();
    client
        .send(Message::Binary(Bytes::from_static(&[0, 1, 2])))
        .unwrap();
    // Masked on the wire: the text is not visible.
    assert!(!client
        .output()
        .windows(5)
        .any(|w| w == "héllo".as_bytes()[..5].as_ref()));
    let wire = client.output().to_vec();
    client.consume_output(wire.len());
    client.consume_output(wire.len());
    let mut got = Vec::new();
    for byte in wire {
        server.receive(&[byte]);
        while let Some(message) = server.poll_message().unwrap() {
            got.push(message);
        }
    }
    assert_eq!(
        got,
        [
            Message::Text("héllo".into()),
            Message::Binary(Bytes::from_static(&[0, 1, 2]))
        ]
    );
    server.send(Message::Text(String::from("back"))).unwrap();
    carry(&mut server, &mut client);
    assert_eq!(
        client.poll_message().unwrap(),
        Some(Message::Text("back".into()))
    );
    assert_eq!(client.poll_message().unwrap(), None);
}

#[test]
fn fragments_join_with_a_ping_between_and_the_ping_is_answered() {
    let (_, mut server) = pair();
    let text = "fragmenté";
    let bytes = text.as_bytes();
    // Split inside the two-byte "é" of the first part.
    server.receive(&client_frame(0x01, &bytes[..8]));
    server.receive(&client_frame(0x89, b"are you there"));
    server.receive(&client_frame(0x80, &bytes[8..]));
    assert_eq!(
        server.poll_message().unwrap(),
        Some(Message::Ping(Bytes::from_static(b"are you there")))
    );
    assert_eq!(
        server.poll_message().unwrap(),
        Some(Message::Text(text.into()))
    );
    // The pong: unmasked, the ping's payload.
    let out = server.output();
    assert_eq!(&out[..2], &[0x8A, 13]);
    assert_eq!(&out[2..], b"are you there");
}

#[test]
fn invalid_utf8_fails_at_the_fragment_that_carries_it() {
    let (_, mut server) = pair();
    server.receive(&client_frame(0x01, b"ok so far "));
    server.receive(&client_frame(0x00, &[0xC3])); // unfinished: fine for now
    assert_eq!(server.poll_message().unwrap(), None);
    server.receive(&client_frame(0x00, &[0x28])); // not a continuation byte
    assert_eq!(server.poll_message(), Err(Violation::InvalidUtf8));
    assert_eq!(close_code_written(&server), 1007);
    assert!(server.is_closed());
    // Nothing more comes out of a failed connection.
    server.receive(&client_frame(0x81, b"late"));
    assert_eq!(server.poll_message().unwrap(), None);
}

#[test]
fn each_violation_closes_with_its_code() {
    let cases: Vec<(Vec<u8>, Violation, u16)> = vec![
        (vec![0x81, 0x02, b'h', b'i'], Violation::UnmaskedFrame, 1002),
        (
            client_frame(0x80, b"x"),
            Violation::UnexpectedContinuation,
            1002,
        ),
        (
            client_frame(0x88, &[0x03]),
            Violation::ClosePayloadTooShort,
            1002,
        ),
        (
            client_frame(0x88, &1005u16.to_be_bytes()),
            Violation::InvalidCloseCode(1005),
            1002,
        ),
        (
            client_frame(0x88, &[0x03, 0xE8, 0xFF]),
            Violation::InvalidUtf8,
            1007,
        ),
        (client_frame(0x81, &[0xFF]), Violation::InvalidUtf8, 1007),
        (
            vec![0x8B, 0x80, 0, 0, 0, 0],
            Violation::ReservedOpcode(0xB),
            1002,
        ),
    ];
    for (bytes, violation, code) in cases {
        let (_, mut server) = pair();
        server.receive(&bytes);
        assert_eq!(server.poll_message(), Err(violation.clone()), "{bytes:?}");
        assert_eq!(close_code_written(&server), code, "{violation:?}");
    }
    let mut server = Protocol::new(Role::Server, Config::default());
    server.receive(&client_frame(0x01, b"a"));
    server.receive(&client_frame(0x81, b"b"));
    assert_eq!(server.poll_message(), Err(Violation::UnfinishedMessage));
    // A client refuses a masked frame from the server.
    let mut client = Protocol::new(Role::Client, Config::default());
    client.receive(&client_frame(0x81, b"masked"));
    assert_eq!(client.poll_message(), Err(Violation::MaskedFrame));
}

#[test]
fn size_limits_close_with_1009_before_the_payload_arrives() {
    let config = Config::default().max_frame_size(10).max_message_size(15);
    let mut server = Protocol::new(Role::Server, config.clone());
    // Only the header of an 11-byte frame: refused at once.
    server.receive(&client_frame(0x82, &[0; 11])[..MAX_HEADER_LEN - 8]);
    assert_eq!(
        server.poll_message(),
        Err(Violation::FrameTooLarge { len: 11, limit: 10 })
    );
    assert_eq!(close_code_written(&server), 1009);
    let mut server = Protocol::new(Role::Server, config);
    server.receive(&client_frame(0x02, &[0; 10]));
    server.receive(&client_frame(0x80, &[0; 6]));
    assert_eq!(
        server.poll_message(),
        Err(Violation::MessageTooLarge { limit: 15 })
    );
}

#[test]
fn the_close_handshake_from_either_side() {
    let (mut client, mut server) = pair();
    client
        .close(Some(CloseFrame {
            code: CloseCode::NORMAL,
            reason: "bye".into(),
        }))
        .unwrap();
    assert!(matches!(
        client.send(Message::Text("x".into())),
        Err(Error::SendAfterClose)
    ));
    carry(&mut client, &mut server);
    assert_eq!(
        server.poll_message().unwrap(),
        Some(Message::Close(Some(CloseFrame {
            code: CloseCode::NORMAL,
            reason: "bye".into()
        })))
    );
    assert!(server.is_closed());
    carry(&mut server, &mut client);
    assert!(!client.is_closed());
    assert!(matches!(
        client.poll_message().unwrap(),
        Some(Message::Close(Some(_)))
    ));
    assert!(client.is_closed());
    assert!(client.output().is_empty(), "no second close frame");
    assert!(client.end_of_input().is_ok());
    // A connection that ends before the handshake lost it.
    let (mut client, _) = pair();
    assert!(matches!(client.end_of_input(), Err(Error::ConnectionLost)));
}

#[test]
fn a_bad_close_from_the_caller_is_refused() {
    let (mut client, _) = pair();
    let bad = |code, reason: &str| {
        Some(CloseFrame {
            code: CloseCode(code),
            reason: reason.into(),
        })
    };
    assert!(matches!(
        client.close(bad(1005, "")),
        Err(Error::InvalidClose(_))
    ));
    assert!(matches!(
        client.close(bad(1000, &"x".repeat(124))),
        Err(Error::InvalidClose(_))
    ));
    assert!(client.output().is_empty());
    assert!(client.close(bad(4000, "app")).is_ok());
}

#[test]
fn a_bad_header_is_answered_before_its_payload_arrives() {
    // Found by fuzzing: after a fragment, an unmasked ping whose payload
    // had not arrived waited for it when the input came whole, and was
    // refused at once when it came in pieces.
    let (_, mut server) = pair();
    let mut input = client_frame(0x01, b"frag");
    input.extend_from_slice(&[0x89, 0x24, 1, 2, 3]);
    server.receive(&input);
    assert_eq!(server.poll_message(), Err(Violation::UnmaskedFrame));
    assert_eq!(close_code_written(&server), 1002);
}

#[test]
fn reads_go_straight_into_the_core_with_room_for_the_whole_frame() {
    let (mut client, mut server) = pair();
    let big = vec![7u8; 100_000];
    client
        .send(Message::Binary(Bytes::from(big.clone())))
        .unwrap();
    let wire = client.output().to_vec();
    client.consume_output(wire.len());

    // The first read has the usual room; once the head is in, the room
    // is the rest of the frame and room for the next frame's head.
    let room = server.read_buffer();
    assert!(room.len() >= 16 * 1024);
    // A masked 100,000-byte frame has a 14-byte head.
    room[..14].copy_from_slice(&wire[..14]);
    server.filled(14);
    assert_eq!(server.poll_message().unwrap(), None);
    let room = server.read_buffer();
    assert_eq!(room.len(), wire.len() - 14 + 16 * 1024);
    room[..wire.len() - 14].copy_from_slice(&wire[14..]);
    server.filled(wire.len() - 14);
    let message = server.poll_message().unwrap();
    assert!(
        message == Some(Message::Binary(big.into())),
        "the 100,000 bytes whole"
    );

    // Room given but never filled (a read that was cancelled) adds nothing.
    client.send(Message::Text("after".into())).unwrap();
    let _ = server.read_buffer();
    carry(&mut client, &mut server);
    assert_eq!(
        server.poll_message().unwrap(),
        Some(Message::Text("after".into()))
    );
}

#[test]
fn before_a_head_arrives_the_room_fits_a_frame_like_the_last_one() {
    let (mut client, mut server) = pair();
    let mut exchange = |len: usize| {
        client
            .send(Message::Binary(Bytes::from(vec![1u8; len])))
            .unwrap();
        carry(&mut client, &mut server);
        assert!(server.poll_message().unwrap().is_some());
        server.read_buffer().len()
    };
    assert_eq!(exchange(64 * 1024), 64 * 1024 + READ_CHUNK);
    assert_eq!(exchange(10), 10 + READ_CHUNK);
    // A long frame does not make every later read zero-fill its length.
    assert_eq!(exchange(1 << 20), FRAME_ROOM_MAX + READ_CHUNK);
}

#[test]
fn a_long_frame_that_trickles_in_is_read_in_bounded_rooms() {
    let (_, mut server) = pair();
    let mut head = Vec::new();
    encode_header(
        &mut head,
        &FrameHeader {
            fin: true,
            rsv1: false,
            opcode: OpCode::Binary,
            mask: Some([1, 2, 3, 4]),
            len: 8 << 20,
        },
    );
    server.receive(&head);
    assert_eq!(server.poll_message().unwrap(), None);
    for _ in 0..3 {
        // Each byte of the announced 8 MiB costs at most this much room.
        let room = server.read_buffer();
        assert_eq!(room.len(), FRAME_ROOM_MAX + READ_CHUNK);
        room[0] = 0;
        server.filled(1);
        assert_eq!(server.poll_message().unwrap(), None);
    }
}

#[test]
fn compressed_messages_cross_and_bad_ones_get_their_close_codes() {
    let deflate = Config::default().deflate(Deflate::default());
    let mut client = Protocol::new(Role::Client, deflate.clone());
    let mut server = Protocol::new(Role::Server, deflate.clone());
    assert_eq!(server.deflate(), Some(&Deflate::default()));
    let text = "compress me, ".repeat(100);
    for _ in 0..2 {
        client.send(Message::Text(text.clone())).unwrap();
        assert_eq!(client.output()[0], 0xC1, "FIN, RSV1, text");
        assert!(client.output().len() < text.len() / 4);
        carry(&mut client, &mut server);
        assert_eq!(
            server.poll_message().unwrap(),
            Some(Message::Text(text.clone()))
        );
    }
    // Control frames are never compressed.
    server
        .send(Message::Ping(Bytes::from_static(b"p")))
        .unwrap();
    assert_eq!(server.output()[0], 0x89);

    // A compressed message in two fragments: RSV1 on the first only.
    let mut codec = super::super::deflate::Codec::new(Deflate::default());
    let wire = codec.compress("é".repeat(50).as_bytes()).unwrap();
    let (a, b) = wire.split_at(wire.len() / 2);
    let mut server = Protocol::new(Role::Server, deflate.clone());
    server.receive(&client_frame(0x41, a));
    server.receive(&client_frame(0x80, b));
    assert_eq!(
        server.poll_message().unwrap(),
        Some(Message::Text("é".repeat(50)))
    );

    let refused = |frames: &[Vec<u8>], config: &Config| {
        let mut server = Protocol::new(Role::Server, config.clone());
        for frame in frames {
            server.receive(frame);
        }
        let violation = server.poll_message().unwrap_err();
        (violation, close_code_written(&server))
    };
    let bad_utf8 = codec.compress(&[0xC3, 0x28]).unwrap();
    let cases: [(Vec<Vec<u8>>, &Config, Violation, u16); 5] = [
        (
            vec![client_frame(0xC1, &bad_utf8)],
            &deflate,
            Violation::InvalidUtf8,
            1007,
        ),
        (
            vec![client_frame(0xC2, &[0xFF; 8])],
            &deflate,
            Violation::BadCompression,
            1007,
        ),
        (
            vec![client_frame(0x01, b"a"), client_frame(0xC0, b"b")],
            &deflate,
            Violation::ReservedBits(4),
            1002,
        ),
        (
            vec![client_frame(0xC9, b"")],
            &deflate,
            Violation::ReservedBits(4),
            1002,
        ),
        (
            vec![client_frame(0xC1, &wire)],
            &Config::default(),
            Violation::ReservedBits(4),
            1002,
        ),
    ];
    for (frames, config, violation, code) in cases {
        assert_eq!(refused(&frames, config), (violation, code));
    }
}
