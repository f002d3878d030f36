//! The framing codecs on their own (sans-IO): bytes fed one at a time and
//! split at every boundary, limits, end of stream, and encode errors.

use bytes::{Bytes, BytesMut};
use protocols::framing::{
    BytesCodec, Decoder, Encoder, Endianness, Error, LengthDelimitedCodec, LengthField, LineEnding,
    LinesCodec,
};

/// Feeds `input` in the given chunks, decoding after each; then decodes at EOF.
fn decode_chunks<C: Decoder>(
    codec: &mut C,
    chunks: &[&[u8]],
) -> (Vec<C::Item>, Result<(), Error>, BytesMut) {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(e) => return (frames, Err(e), buf),
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => return (frames, Ok(()), buf),
            Err(e) => return (frames, Err(e), buf),
        }
    }
}

fn lines_input() -> (Vec<u8>, Vec<String>) {
    let expected: Vec<String> = ["hello", "", "crlf line", "ünïcödé ✓", "last"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let input = b"hello\n\ncrlf line\r\n\xc3\xbcn\xc3\xafc\xc3\xb6d\xc3\xa9 \xe2\x9c\x93\nlast\r\n"
        .to_vec();
    (input, expected)
}

#[test]
fn lines_decode_byte_by_byte() {
    let (input, expected) = lines_input();
    let chunks: Vec<&[u8]> = input.chunks(1).collect();
    let (frames, end, rest) = decode_chunks(&mut LinesCodec::new(), &chunks);
    end.unwrap();
    assert_eq!(frames, expected);
    assert!(rest.is_empty());
}

#[test]
fn lines_decode_split_at_every_boundary() {
    let (input, expected) = lines_input();
    for i in 0..=input.len() {
        for j in i..=input.len() {
            let chunks = [&input[..i], &input[i..j], &input[j..]];
            let (frames, end, _) = decode_chunks(&mut LinesCodec::new(), &chunks);
            end.unwrap_or_else(|e| panic!("split {i}/{j}: {e}"));
            assert_eq!(frames, expected, "split at {i}/{j}");
        }
    }
}

#[test]
fn a_line_over_the_limit_is_an_error_and_the_next_line_still_decodes() {
    // Arriving at once (terminator present).
    let mut codec = LinesCodec::new().max_length(8);
    let mut buf = BytesMut::from(&b"123456789\nok\n"[..]);
    match codec.decode(&mut buf) {
        Err(Error::LineTooLong {
            length: 9,
            limit: 8,
        }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("ok"));

    // Arriving byte by byte: reported as soon as the limit is passed, the
    // rest of the line skipped without buffering it.
    let mut codec = LinesCodec::new().max_length(8);
    let mut buf = BytesMut::new();
    let mut errors = 0;
    let mut lines = Vec::new();
    let mut peak = 0;
    let mut input = vec![b'x'; 1000];
    input.extend_from_slice(b"\nexactly8\r\nnext\n");
    for b in input {
        buf.extend_from_slice(&[b]);
        peak = peak.max(buf.len());
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(line)) => lines.push(line),
                Ok(None) => break,
                Err(Error::LineTooLong { limit: 8, length }) => {
                    assert_eq!(length, 10);
                    errors += 1;
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert_eq!(errors, 1);
    assert_eq!(lines, ["exactly8", "next"]);
    assert!(peak <= 10, "buffered {peak} bytes for an 8-byte limit");
}

#[test]
fn a_crlf_line_of_exactly_the_limit_is_accepted() {
    let mut codec = LinesCodec::new().max_length(4);
    let (frames, end, _) = decode_chunks(&mut codec, &[b"abcd", b"\r", b"\n"]);
    end.unwrap();
    assert_eq!(frames, ["abcd"]);
}

#[test]
fn a_stream_ending_inside_a_line_is_an_error_with_the_bytes_kept() {
    let (frames, end, rest) = decode_chunks(&mut LinesCodec::new(), &[b"one\ntw"]);
    assert_eq!(frames, ["one"]);
    match end {
        Err(Error::StreamEndedInFrame { buffered: 2 }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(&rest[..], b"tw");
    // Opting in returns the unterminated last line instead.
    let mut codec = LinesCodec::new().accept_unterminated_last_line(true);
    let (frames, end, _) = decode_chunks(&mut codec, &[b"one\ntw"]);
    end.unwrap();
    assert_eq!(frames, ["one", "tw"]);
}

#[test]
fn invalid_utf8_is_an_error_and_decoding_goes_on() {
    let mut codec = LinesCodec::new();
    let mut buf = BytesMut::from(&b"ok\n\xff\xfe\nafter\n"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("ok"));
    assert!(matches!(codec.decode(&mut buf), Err(Error::InvalidUtf8(_))));
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("after"));
}

#[test]
fn lines_encode_with_either_terminator_and_reject_bad_lines() {
    let mut buf = BytesMut::new();
    LinesCodec::new().encode("a", &mut buf).unwrap();
    LinesCodec::new()
        .line_ending(LineEnding::CrLf)
        .encode("b".to_string(), &mut buf)
        .unwrap();
    assert_eq!(&buf[..], b"a\nb\r\n");
    let mut codec = LinesCodec::new().max_length(3);
    assert!(matches!(
        codec.encode("two\nlines", &mut buf),
        Err(Error::InvalidFrame(_)) | Err(Error::LineTooLong { .. })
    ));
    assert!(matches!(
        codec.encode("a\rb", &mut buf),
        Err(Error::InvalidFrame(_))
    ));
    assert!(matches!(
        codec.encode("four", &mut buf),
        Err(Error::LineTooLong {
            length: 4,
            limit: 3
        })
    ));
    assert_eq!(&buf[..], b"a\nb\r\n", "a failed encode appends nothing");
}

fn all_length_codecs() -> Vec<LengthDelimitedCodec> {
    let mut codecs = Vec::new();
    for field in [
        LengthField::U8,
        LengthField::U16,
        LengthField::U32,
        LengthField::U64,
    ] {
        for endianness in [Endianness::Big, Endianness::Little] {
            for adjustment in [0, -(field.size() as i64), 3] {
                codecs.push(
                    LengthDelimitedCodec::new()
                        .length_field(field)
                        .endianness(endianness)
                        .length_adjustment(adjustment),
                );
            }
        }
    }
    codecs
}

fn payloads(max: usize) -> Vec<Bytes> {
    [0usize, 1, 7, 200, 250, 1000, 70_000]
        .into_iter()
        .filter(|n| *n <= max)
        .map(|n| Bytes::from((0..n).map(|i| (i * 7 + n) as u8).collect::<Vec<u8>>()))
        .collect()
}

#[test]
fn length_delimited_variants_round_trip_byte_by_byte() {
    for mut codec in all_length_codecs() {
        let field = format!("{codec:?}");
        // U8 with +3 adjustment cannot describe < 3 bytes; with 0, not > 255.
        let fits = |n: usize| {
            let mut probe = codec.clone();
            probe
                .encode(&vec![0u8; n][..], &mut BytesMut::new())
                .is_ok()
        };
        let frames: Vec<Bytes> = payloads(usize::MAX)
            .into_iter()
            .filter(|p| fits(p.len()))
            .collect();
        assert!(frames.len() >= 3, "{field}");
        let mut wire = BytesMut::new();
        for frame in &frames {
            codec.encode(frame.clone(), &mut wire).unwrap();
        }
        let chunks: Vec<&[u8]> = wire.chunks(1).collect();
        let (decoded, end, rest) = decode_chunks(&mut codec, &chunks);
        end.unwrap_or_else(|e| panic!("{field}: {e}"));
        assert_eq!(decoded, frames, "{field}");
        assert!(rest.is_empty());
    }
}

#[test]
fn length_delimited_split_at_every_boundary() {
    let mut codec = LengthDelimitedCodec::new().length_field(LengthField::U16);
    let frames = [&b"alpha"[..], b"", b"gamma ray"];
    let mut wire = BytesMut::new();
    for f in frames {
        codec.encode(f, &mut wire).unwrap();
    }
    for i in 0..=wire.len() {
        for j in i..=wire.len() {
            let chunks = [&wire[..i], &wire[i..j], &wire[j..]];
            let (decoded, end, _) = decode_chunks(&mut codec.clone(), &chunks);
            end.unwrap();
            assert_eq!(decoded, frames, "split at {i}/{j}");
        }
    }
}

#[test]
fn length_delimited_header_bytes_are_exact() {
    let mut buf = BytesMut::new();
    let payload = &b"xyz"[..];
    LengthDelimitedCodec::new()
        .encode(payload, &mut buf)
        .unwrap();
    assert_eq!(&buf[..], b"\0\0\0\x03xyz");
    buf.clear();
    LengthDelimitedCodec::new()
        .endianness(Endianness::Little)
        .length_field(LengthField::U64)
        .length_adjustment(-8)
        .encode(payload, &mut buf)
        .unwrap();
    assert_eq!(&buf[..], b"\x0b\0\0\0\0\0\0\0xyz");
    buf.clear();
    LengthDelimitedCodec::new()
        .length_field(LengthField::U8)
        .encode(payload, &mut buf)
        .unwrap();
    assert_eq!(&buf[..], b"\x03xyz");
}

#[test]
fn a_frame_over_the_limit_is_an_error_and_the_next_frame_still_decodes() {
    let mut codec = LengthDelimitedCodec::new().max_frame_length(10);
    let mut wire = BytesMut::new();
    LengthDelimitedCodec::new()
        .encode(&[1u8; 100][..], &mut wire)
        .unwrap();
    codec.encode(&b"small"[..], &mut wire).unwrap();
    let mut buf = BytesMut::new();
    let mut results = Vec::new();
    let mut peak = 0;
    for b in wire.iter() {
        buf.extend_from_slice(&[*b]);
        peak = peak.max(buf.len());
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(frame)) => results.push(Ok(frame)),
                Ok(None) => break,
                Err(e) => results.push(Err(e)),
            }
        }
    }
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(matches!(
        results[0],
        Err(Error::FrameTooLong {
            length: 100,
            limit: 10
        })
    ));
    assert_eq!(results[1].as_ref().unwrap(), &b"small"[..]);
    assert!(peak <= 14, "buffered {peak} bytes");
    // Encoding over the limit is refused too.
    assert!(matches!(
        codec.encode(&[0u8; 11][..], &mut BytesMut::new()),
        Err(Error::FrameTooLong { length: 11, .. })
    ));
}

#[test]
fn invalid_length_fields_are_errors() {
    // The length counts a 4-byte header, but says 2.
    let mut codec = LengthDelimitedCodec::new().length_adjustment(-4);
    let mut buf = BytesMut::from(&b"\0\0\0\x02"[..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(Error::InvalidLength(_))
    ));
    // A 300-byte payload does not fit a 1-byte field.
    let mut codec = LengthDelimitedCodec::new().length_field(LengthField::U8);
    let mut out = BytesMut::new();
    assert!(matches!(
        codec.encode(&[0u8; 300][..], &mut out),
        Err(Error::InvalidLength(_))
    ));
    assert!(out.is_empty());
    // A huge 8-byte length is "too long", not an allocation.
    let mut codec = LengthDelimitedCodec::new().length_field(LengthField::U64);
    let mut buf = BytesMut::from(&[0xff; 8][..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(Error::FrameTooLong {
            length: u64::MAX,
            ..
        })
    ));
}

#[test]
fn a_stream_ending_inside_a_length_frame_is_an_error() {
    let mut codec = LengthDelimitedCodec::new();
    // Inside the body: header (4) + 3 of 10 bytes.
    let (frames, end, rest) = decode_chunks(&mut codec, &[b"\0\0\0\x01a\0\0\0\x0aabc"]);
    assert_eq!(frames, [Bytes::from_static(b"a")]);
    assert!(matches!(
        end,
        Err(Error::StreamEndedInFrame { buffered: 7 })
    ));
    assert_eq!(&rest[..], b"\0\0\0\x0aabc");
    // Inside the header.
    let (_, end, _) = decode_chunks(&mut LengthDelimitedCodec::new(), &[b"\0\0"]);
    assert!(matches!(
        end,
        Err(Error::StreamEndedInFrame { buffered: 2 })
    ));
}

#[test]
fn bytes_codec_passes_chunks_through() {
    let (frames, end, _) = decode_chunks(&mut BytesCodec::new(), &[b"ab", b"", b"cde"]);
    end.unwrap();
    assert_eq!(
        frames,
        [Bytes::from_static(b"ab"), Bytes::from_static(b"cde")]
    );
    let mut out = BytesMut::new();
    BytesCodec::new().encode(&b"raw"[..], &mut out).unwrap();
    BytesCodec::new().encode(vec![1u8, 2], &mut out).unwrap();
    assert_eq!(&out[..], b"raw\x01\x02");
}

#[test]
fn error_messages_name_the_layer() {
    let errors = [
        Error::LineTooLong {
            length: 10,
            limit: 8,
        },
        Error::FrameTooLong {
            length: 10,
            limit: 8,
        },
        Error::StreamEndedInFrame { buffered: 3 },
        Error::InvalidLength("x".into()),
        Error::InvalidFrame("x".into()),
    ];
    for e in errors {
        assert!(e.to_string().starts_with("framing: "), "{e}");
        assert!(e.is_bad_input());
    }
    let timeout = Error::from(std::io::Error::from(sockets::Error::new(
        sockets::SocketError::TimedOut,
        "receive",
    )));
    assert!(matches!(timeout, Error::Transport(_)), "{timeout:?}");
    assert!(timeout.is_timeout());
    assert!(
        timeout.to_string().starts_with("framing: transport: "),
        "{timeout}"
    );
}
