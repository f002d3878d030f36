//! A message body as it arrives in pieces: chunked, by length, or until
//! close. The data, the end and any error must not depend on how the bytes
//! were cut, and the data can never be more than the bytes that came.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netstack_fuzz::split;
use protocols::http::{BodyDecoder, BodyLength, Limits};

#[derive(Debug, PartialEq)]
struct Outcome {
    data: Vec<u8>,
    done: bool,
    failed: bool,
}

fn decode(length: BodyLength, pieces: &[&[u8]]) -> Outcome {
    let limits = Limits::default().max_chunk_line(64).max_trailers(256);
    let mut decoder = BodyDecoder::new(length, limits);
    let mut buffer = Vec::new();
    let mut data = Vec::new();
    for piece in pieces {
        buffer.extend_from_slice(piece);
        loop {
            match decoder.decode(&buffer) {
                Ok(step) => {
                    assert!(step.consumed <= buffer.len());
                    data.extend_from_slice(step.data);
                    let progressed = step.consumed > 0 || !step.data.is_empty();
                    let (consumed, done) = (step.consumed, step.done);
                    buffer.drain(..consumed);
                    if done {
                        return Outcome {
                            data,
                            done: true,
                            failed: false,
                        };
                    }
                    if !progressed {
                        break;
                    }
                }
                Err(_) => {
                    return Outcome {
                        data,
                        done: false,
                        failed: true,
                    }
                }
            }
        }
    }
    let failed = decoder.finish_at_eof().is_err();
    Outcome {
        data,
        done: decoder.is_done(),
        failed,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, data)) = data.split_first() else {
        return;
    };
    let length = match kind % 4 {
        0 | 1 => BodyLength::Chunked,
        2 => BodyLength::Known(u64::from(kind)),
        _ => BodyLength::UntilClose,
    };
    let (pieces, whole) = split(data);
    let cut = decode(length, &pieces);
    let at_once = decode(length, &[whole]);
    assert!(cut.data.len() <= whole.len());
    if cut.failed || at_once.failed {
        assert_eq!(cut.failed, at_once.failed, "an error depends on the cut");
        assert!(at_once.data.starts_with(&cut.data) || cut.data.starts_with(&at_once.data));
    } else {
        assert_eq!(cut, at_once, "the body depends on how the bytes were cut");
    }
});
