use super::*;
use std::io::Write;

use http::header::HeaderValue;

use crate::http::client::decoding::decode_text;

fn read_all(pipeline: &mut BodyPipeline, input: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut fed = 0;
    let mut out = [0u8; 7];
    loop {
        match pipeline.poll_read(&mut out)? {
            BodyStep::Data(n) => body.extend_from_slice(&out[..n]),
            BodyStep::Done => return Ok(body),
            BodyStep::NeedRead => {
                let space = pipeline.reader.read_space();
                let n = space.len().min(input.len() - fed).min(5);
                space[..n].copy_from_slice(&input[fed..fed + n]);
                fed += n;
                pipeline.reader.filled(n);
            }
        }
    }
}

#[test]
fn a_response_parses_through_the_reader_in_small_pieces() {
    let input = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    let mut reader = ResponseReader::new(Limits::default());
    let mut fed = 0;
    let head = loop {
        match reader.poll_head().unwrap() {
            Some(head) if head.status.is_informational() => continue,
            Some(head) => break head,
            None => {
                let space = reader.read_space();
                space[0] = input[fed];
                fed += 1;
                reader.filled(1);
            }
        }
    };
    assert_eq!(head.status, StatusCode::OK);
    let (decoder, keep) = body_decoder(&Method::GET, &head, Limits::default()).unwrap();
    assert!(keep);
    let mut pipeline = BodyPipeline::new(reader, decoder, None, u64::MAX);
    assert_eq!(
        read_all(&mut pipeline, &input[fed..]).unwrap(),
        b"hello world"
    );
    assert!(pipeline.clean_end());
}

#[test]
fn gzip_and_deflate_decode_and_a_bomb_hits_the_limit() {
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;
    let text = b"hello hello hello hello".repeat(100);
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&text).unwrap();
    let gz = gz.finish().unwrap();
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    zlib.write_all(&text).unwrap();
    let zlib = zlib.finish().unwrap();
    let mut raw = DeflateEncoder::new(Vec::new(), Compression::default());
    raw.write_all(&text).unwrap();
    let raw = raw.finish().unwrap();
    for (encoding, data) in [("gzip", &gz), ("deflate", &zlib), ("deflate", &raw)] {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        let content = ContentDecoder::for_headers(&headers).unwrap();
        let decoder = BodyDecoder::new(
            crate::http::BodyLength::Known(data.len() as u64),
            Limits::default(),
        );
        let reader = ResponseReader::new(Limits::default());
        let mut pipeline = BodyPipeline::new(reader, decoder, Some(content), u64::MAX);
        assert_eq!(read_all(&mut pipeline, data).unwrap(), text, "{encoding}");
    }
    let zeros = vec![0u8; 4 << 20];
    let mut bomb = GzEncoder::new(Vec::new(), Compression::best());
    bomb.write_all(&zeros).unwrap();
    let bomb = bomb.finish().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    let decoder = BodyDecoder::new(
        crate::http::BodyLength::Known(bomb.len() as u64),
        Limits::default(),
    );
    let mut pipeline = BodyPipeline::new(
        ResponseReader::new(Limits::default()),
        decoder,
        ContentDecoder::for_headers(&headers),
        1 << 20,
    );
    assert!(matches!(
        read_all(&mut pipeline, &bomb),
        Err(Error::BodyTooLarge { limit }) if limit == 1 << 20
    ));
}

#[test]
fn bodies_decode_in_place_in_the_callers_buffer() {
    let mut input = b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n".to_vec();
    input.extend_from_slice(&[b'N'; 70_000]);
    let decoder = BodyDecoder::new(crate::http::BodyLength::Chunked, Limits::default());
    let mut pipeline = BodyPipeline::new(ResponseReader::new(Limits::default()), decoder, None, 0);
    let mut out = vec![0u8; 100_000];
    assert!(pipeline.can_read_direct(out.len()));
    out[..input.len()].copy_from_slice(&input);
    let n = pipeline.decode_in_place(&mut out, input.len()).unwrap();
    assert_eq!(&out[..n], b"Wikipedia");
    assert!(pipeline.transfer_done());
    assert!(!pipeline.clean_end(), "the bytes after the body are kept");
    let decoder = BodyDecoder::new(crate::http::BodyLength::Known(6), Limits::default());
    let mut pipeline = BodyPipeline::new(ResponseReader::new(Limits::default()), decoder, None, 0);
    let mut out = vec![0u8; 10_000];
    out[..4].copy_from_slice(b"abcd");
    assert_eq!(pipeline.decode_in_place(&mut out, 4).unwrap(), 4);
    assert!(!pipeline.transfer_done());
    out[..2].copy_from_slice(b"ef");
    assert_eq!(pipeline.decode_in_place(&mut out, 2).unwrap(), 2);
    assert!(pipeline.clean_end());
}

#[test]
fn text_follows_the_charset() {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=ISO-8859-1"),
    );
    assert_eq!(decode_text(b"caf\xe9", &headers), "café");
    assert_eq!(decode_text(b"caf\xc3\xa9", &HeaderMap::new()), "café");
    assert_eq!(decode_text(b"bad\xff", &HeaderMap::new()), "bad\u{fffd}");
}

#[test]
fn the_deadline_outranks_a_longer_read_timeout() {
    let t = Timeouts {
        read: Some(Duration::from_secs(30)),
        write: None,
        deadline: Some((
            Instant::now() + Duration::from_millis(50),
            Duration::from_millis(50),
        )),
    };
    let limit = t.limit(t.read).unwrap().unwrap();
    assert!(limit.by_deadline);
    assert!(matches!(
        t.expired(Phase::Read, Some(limit)),
        Error::Timeout {
            phase: Phase::Deadline,
            ..
        }
    ));
    let t = Timeouts {
        deadline: None,
        ..t
    };
    assert!(matches!(
        t.expired(Phase::Read, t.limit(t.read).unwrap()),
        Error::Timeout {
            phase: Phase::Read,
            ..
        }
    ));
}

/// A reader that has received `input` and parsed the response head in it.
fn reader_after_head(input: &[u8]) -> ResponseReader {
    let mut reader = ResponseReader::new(Limits::default());
    let space = reader.read_space();
    space[..input.len()].copy_from_slice(input);
    reader.filled(input.len());
    assert!(reader.poll_head().unwrap().is_some());
    reader
}

#[test]
fn a_used_up_buffer_is_kept_for_the_next_exchange_and_one_with_bytes_left_is_not() {
    let mut reader = reader_after_head(b"HTTP/1.1 204 No Content\r\n\r\n");
    let kept = reader.take_buffers();
    assert!(
        !kept.read.is_empty(),
        "everything was used: the buffer is kept"
    );

    let mut next = ResponseReader::new(Limits::default());
    let address = kept.read.as_ptr();
    next.reuse(kept);
    assert_eq!(
        next.read_space().as_ptr(),
        address,
        "the next reads go into it"
    );

    // Bytes that followed the response: the buffer goes with them.
    let mut reader = reader_after_head(b"HTTP/1.1 204 No Content\r\n\r\nextra");
    assert!(reader.take_buffers().read.is_empty());
}
