//! Replies from an FTP server, as they arrive in pieces: the reply parser,
//! and each reading of a reply's text (PASV, EPSV, SIZE, MDTM, PWD, the
//! size a 150 reply announces). The replies must not depend on how the
//! bytes were cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netstack_fuzz::split;
use protocols::ftp::reply::{
    announced_size, parse_directory, parse_epsv, parse_mdtm, parse_pasv, parse_size,
};
use protocols::ftp::{Reply, ReplyParser};

fn replies(pieces: &[&[u8]]) -> (Vec<Reply>, Option<String>) {
    let mut parser = ReplyParser::with_limits(512, 64);
    let mut replies = Vec::new();
    for piece in pieces {
        parser.feed(piece);
        loop {
            match parser.next_reply() {
                Ok(Some(reply)) => replies.push(reply),
                Ok(None) => break,
                Err(err) => return (replies, Some(err.to_string())),
            }
        }
    }
    (replies, None)
}

fuzz_target!(|data: &[u8]| {
    let (pieces, whole) = split(data);
    let (cut, cut_error) = replies(&pieces);
    let (at_once, whole_error) = replies(&[whole]);
    assert_eq!(cut, at_once, "replies depend on how the bytes were cut");
    assert_eq!(cut_error.is_some(), whole_error.is_some());
    for reply in &cut {
        let _ = (reply.text(), reply.message());
        let _ = (parse_pasv(reply), parse_epsv(reply), parse_size(reply));
        let _ = (
            parse_mdtm(reply),
            parse_directory(reply),
            announced_size(reply),
        );
    }
});
