//! The framing toolkit's codecs (lines, length-delimited), configured by
//! the input's second byte, fed in pieces. The frames must not depend on
//! how the bytes were cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netstack_fuzz::{decode_all, split};
use protocols::framing::{Endianness, LengthDelimitedCodec, LengthField, LineEnding, LinesCodec};

fuzz_target!(|data: &[u8]| {
    let Some((&config, data)) = data.split_first() else {
        return;
    };
    let (pieces, whole) = split(data);
    if config & 1 == 0 {
        let lines = || {
            LinesCodec::new()
                .max_length(usize::from(config >> 2) + 1)
                .line_ending(if config & 2 == 0 {
                    LineEnding::Lf
                } else {
                    LineEnding::CrLf
                })
                .accept_unterminated_last_line(config & 0x80 != 0)
        };
        assert_eq!(decode_all(lines(), &pieces), decode_all(lines(), &[whole]));
    } else {
        let field = [
            LengthField::U8,
            LengthField::U16,
            LengthField::U32,
            LengthField::U64,
        ][usize::from(config >> 1) & 3];
        let delimited = || {
            LengthDelimitedCodec::new()
                .length_field(field)
                .endianness(if config & 8 == 0 {
                    Endianness::Big
                } else {
                    Endianness::Little
                })
                .length_adjustment(i64::from(config as i8 >> 4))
                .max_frame_length(4096)
        };
        assert_eq!(
            decode_all(delimited(), &pieces),
            decode_all(delimited(), &[whole])
        );
    }
});
