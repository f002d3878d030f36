#[test]
fn a_multibyte_character_after_the_size_is_not_a_panic() {
    use super::{announced_size, Reply};
    // U+FFFD (three bytes, from a Latin-1 byte) straddles the fifth byte.
    assert_eq!(
        announced_size(&Reply::new(150, "Opening (1 byt\u{fffd}s)")),
        None
    );
    assert_eq!(
        announced_size(&Reply::new(150, "Opening (1 abcd\u{e9})")),
        None
    );
    assert_eq!(
        announced_size(&Reply::new(150, "Opening (12 BYTES)")),
        Some(12)
    );
}

use super::*;

fn parse_all(bytes: &[u8]) -> Result<Vec<Reply>, ReplyError> {
    let mut parser = ReplyParser::new();
    parser.feed(bytes);
    let mut replies = Vec::new();
    while let Some(reply) = parser.next_reply()? {
        replies.push(reply);
    }
    Ok(replies)
}

#[test]
fn single_line_replies() {
    let replies = parse_all(b"220 Service ready\r\n200\r\n331 \r\n").unwrap();
    assert_eq!(replies[0], Reply::new(220, "Service ready"));
    assert_eq!(replies[1], Reply::new(200, ""));
    assert_eq!(replies[2], Reply::new(331, ""));
    assert_eq!(replies[0].to_string(), "220 Service ready");
}

#[test]
fn multi_line_with_inner_lines_that_look_like_codes() {
    let bytes = b"230-Welcome\r\n\
        123 starts with other digits\r\n\
        230x not an end\r\n\
        230-repeated prefix\r\n\
        \r\n\
        230 Logged in\r\n";
    let replies = parse_all(bytes).unwrap();
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0].lines,
        [
            "Welcome",
            "123 starts with other digits",
            "230x not an end",
            "repeated prefix",
            "",
            "Logged in"
        ]
    );
    assert_eq!(replies[0].text(), "Welcome");
    // A line with another code and a space does not close it.
    let replies = parse_all(b"211-Features:\r\n 211 x\r\n200 inner\r\n211 End\r\n").unwrap();
    assert_eq!(replies[0].code, 211);
    assert_eq!(replies[0].lines.len(), 4);
}

#[test]
fn a_closing_line_of_just_the_code_ends_the_reply() {
    let replies = parse_all(b"220-a\r\n220\r\n").unwrap();
    assert_eq!(replies[0].lines, ["a", ""]);
}

#[test]
fn byte_by_byte_and_bare_lf() {
    let bytes = b"220-first\nsecond\r\n220 last\n226 Done\r\n";
    let mut parser = ReplyParser::new();
    let mut replies = Vec::new();
    for b in bytes {
        parser.feed(&[*b]);
        while let Some(r) = parser.next_reply().unwrap() {
            replies.push(r);
        }
    }
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0].lines, ["first", "second", "last"]);
    assert_eq!(replies[1], Reply::new(226, "Done"));
    assert!(parser.is_idle());
}

#[test]
fn partial_reply_waits() {
    let mut parser = ReplyParser::new();
    parser.feed(b"150-Opening\r\n150 ");
    assert_eq!(parser.next_reply().unwrap(), None);
    assert!(!parser.is_idle());
    parser.feed(b"now\r\n");
    assert_eq!(
        parser.next_reply().unwrap().unwrap().lines,
        ["Opening", "now"]
    );
}

#[test]
fn malformed_first_lines() {
    for bad in [
        &b"hello\r\n"[..],
        b"22 short\r\n",
        b"620 bad class\r\n",
        b"020 bad class\r\n",
        b"2x0 letters\r\n",
        b"220:colon\r\n",
        b"\r\n",
    ] {
        assert!(
            matches!(parse_all(bad), Err(ReplyError::InvalidLine(_))),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn non_utf8_is_decoded_lossily() {
    let replies = parse_all(b"550 caf\xe9.txt: No such file\r\n").unwrap();
    assert_eq!(replies[0].code, 550);
    assert_eq!(replies[0].text(), "caf\u{fffd}.txt: No such file");
}

#[test]
fn line_length_limit() {
    let mut parser = ReplyParser::with_limits(16, 10);
    parser.feed(b"220 0123456789ab\r\n");
    assert!(parser.next_reply().unwrap().is_some());
    parser.feed(b"220 0123456789abcdef");
    assert_eq!(
        parser.next_reply(),
        Err(ReplyError::LineTooLong { limit: 16 })
    );
    // A long line that is complete is refused too.
    let mut parser = ReplyParser::with_limits(16, 10);
    parser.feed(b"220 0123456789abcdef\r\n");
    assert_eq!(
        parser.next_reply(),
        Err(ReplyError::LineTooLong { limit: 16 })
    );
}

#[test]
fn line_count_limit() {
    let mut parser = ReplyParser::with_limits(100, 3);
    parser.feed(b"220-a\r\nb\r\nc\r\n220 d\r\n");
    assert_eq!(
        parser.next_reply(),
        Err(ReplyError::TooManyLines { limit: 3 })
    );
    let mut parser = ReplyParser::with_limits(100, 3);
    parser.feed(b"220-a\r\nb\r\n220 c\r\n");
    assert_eq!(parser.next_reply().unwrap().unwrap().lines.len(), 3);
    // An endless multi-line reply fails, never grows without bound.
    let mut parser = ReplyParser::new();
    parser.feed(b"220-start\r\n");
    let mut result = Ok(None);
    for _ in 0..2 * DEFAULT_MAX_LINES {
        parser.feed(b"more\r\n");
        result = parser.next_reply();
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(ReplyError::TooManyLines { .. })));
}

#[test]
fn pasv() {
    let addr = |text: &str| parse_pasv(&Reply::new(227, text));
    assert_eq!(
        addr("Entering Passive Mode (192,168,1,2,4,1)").unwrap(),
        "192.168.1.2:1025".parse().unwrap()
    );
    assert_eq!(
        addr("=10,0,0,1,255,255").unwrap(),
        "10.0.0.1:65535".parse().unwrap()
    );
    assert_eq!(
        addr("Mode 1 2 (127,0,0,1,0,21)").unwrap(),
        "127.0.0.1:21".parse().unwrap()
    );
    for bad in [
        "Entering Passive Mode",
        "(1,2,3,4,5)",
        "(256,0,0,1,4,1)",
        "(1,2,3,4,5,1000)",
        "(1,2,3,4,0,0)",
        "(1,2,3,4,,5,6)",
        "(1;2;3;4;5;6)",
    ] {
        assert!(addr(bad).is_err(), "{bad}");
    }
    assert!(parse_pasv(&Reply::new(200, "(1,2,3,4,5,6)")).is_err());
}

#[test]
fn epsv() {
    let port = |text: &str| parse_epsv(&Reply::new(229, text));
    assert_eq!(
        port("Entering Extended Passive Mode (|||6446|)").unwrap(),
        6446
    );
    assert_eq!(port("(!!!1!)").unwrap(), 1);
    assert_eq!(port("ok (###65535#)").unwrap(), 65535);
    for bad in [
        "Entering Extended Passive Mode",
        "(|||0|)",
        "(|||65536|)",
        "(|||999999|)",
        "(||6446|)",
        "(|||6446)",
        "(|||64a6|)",
        "(|||)",
        "(1116441)",
        "(|!|6446|)",
        "(|||6446|",
    ] {
        assert!(port(bad).is_err(), "{bad}");
    }
    assert!(parse_epsv(&Reply::new(227, "(|||6446|)")).is_err());
}

#[test]
fn size() {
    assert_eq!(parse_size(&Reply::new(213, "3145728")).unwrap(), 3_145_728);
    assert_eq!(parse_size(&Reply::new(213, "0 ")).unwrap(), 0);
    for bad in ["", "-1", "12 bytes", "99999999999999999999999"] {
        assert!(parse_size(&Reply::new(213, bad)).is_err(), "{bad}");
    }
    assert!(parse_size(&Reply::new(200, "12")).is_err());
}

#[test]
fn mdtm() {
    let t = |text: &str| parse_mdtm(&Reply::new(213, text));
    assert_eq!(t("19700101000000").unwrap(), UNIX_EPOCH);
    assert_eq!(
        t("20000301000000").unwrap(),
        UNIX_EPOCH + Duration::from_secs(951_868_800)
    );
    assert_eq!(
        t("20231231235959.123").unwrap(),
        UNIX_EPOCH + Duration::from_millis(1_704_067_199_123)
    );
    assert_eq!(
        t("19691231235959").unwrap(),
        UNIX_EPOCH - Duration::from_secs(1)
    );
    for bad in [
        "",
        "2023123123595",
        "202312312359590",
        "20231301000000",
        "20230230000000",
        "20230229000000",
        "20231231240000",
        "20231231236000",
        "2023123123595x",
        "20231231235959.",
        "20231231235959.12a",
        "20231231235959.1234567890",
    ] {
        assert!(t(bad).is_err(), "{bad}");
    }
    assert!(t("20240229000000").is_ok());
    assert!(parse_mdtm(&Reply::new(550, "20240229000000")).is_err());
}

#[test]
fn directory_and_announced_size() {
    let d = |text: &str| parse_directory(&Reply::new(257, text));
    assert_eq!(d("\"/\" is the current directory").unwrap(), "/");
    assert_eq!(d("\"/a \"\"b\"\"\" created").unwrap(), "/a \"b\"");
    assert!(d("no quotes").is_err());
    assert!(d("\"unterminated").is_err());
    let a = |text: &str| announced_size(&Reply::new(150, text));
    assert_eq!(
        a("Opening BINARY mode data connection for f (1234 bytes)."),
        Some(1234)
    );
    assert_eq!(a("Opening (x) data (77 Bytes)"), Some(77));
    assert_eq!(a("File status okay. About to open data connection."), None);
    assert_eq!(a("(12 kb)"), None);
}
