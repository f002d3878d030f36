//! Fuzzes the chunked body decoder, fed in pieces whose sizes the input chooses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocols::http::{BodyDecoder, BodyLength, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&piece, input)) = data.split_first() else {
        return;
    };
    let piece = (piece as usize % 17) + 1;
    let mut decoder = BodyDecoder::new(BodyLength::Chunked, Limits::default().max_chunk_line(256).max_trailers(1024));
    let mut buffered: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut body = 0u64;
    // Bounded: every round feeds a piece or ends.
    for _ in 0..=input.len() + 1 {
        if fed < input.len() {
            let end = (fed + piece).min(input.len());
            buffered.extend_from_slice(&input[fed..end]);
            fed = end;
        }
        match decoder.decode(&buffered) {
            Ok(step) => {
                assert!(step.consumed <= buffered.len());
                body += step.data.len() as u64;
                let (consumed, done) = (step.consumed, step.done);
                buffered.drain(..consumed);
                if done {
                    break;
                }
                if fed == input.len() && consumed == 0 {
                    let _ = decoder.finish_at_eof();
                    break;
                }
            }
            Err(_) => break,
        }
    }
    assert!(body <= input.len() as u64);
    assert_eq!(decoder.received(), body);
});
