//! -F and --form-string side by side with curl: the same multipart body,
//! byte for byte but for the random boundary.

use super::*;

/// Answers with the request's `Content-Type` and body, the boundary
/// replaced by `BOUNDARY` (curl's and netstack's are random).
fn form_echo(mut stream: TcpStream) {
    let head = read_head(&mut stream);
    let field = |wanted: &str| {
        head.split("\r\n")
            .filter_map(|l| l.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v.trim().to_string())
    };
    let content_type = field("content-type").unwrap_or_default();
    let length: usize = field("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = stream.read_exact(&mut body);
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap_or("none")
        .to_string();
    let text = format!("{content_type}\n{}", String::from_utf8_lossy(&body))
        .replace(&boundary, "BOUNDARY");
    answer(&mut stream, &text);
}

#[test]
fn form_fields_and_files_are_sent_as_curl_sends_them() {
    let server = Crafted::start(form_echo);
    let dir = TempDir::new("form");
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "line one\nline two\n").unwrap();
    let blob = dir.path().join("blob");
    std::fs::write(&blob, [0u8, 1, 2, 255]).unwrap();
    let url = server.url("/");
    let at = |p: &Path| format!("@{}", p.display());
    let out = like_curl(&[
        "-s",
        "-F",
        "name=Ada",
        "-F",
        &format!("notes={};type=text/x-notes", at(&notes)),
        "-F",
        &format!("blob={};filename=renamed.bin", at(&blob)),
        "-F",
        &format!("inline=<{}", notes.display()),
        "-F",
        r#"quoted="a;b\"c";type=text/q"#,
        "--form-string",
        "raw=@not-a-file;type=none",
        &url,
    ]);
    let text = stdout(&out);
    assert!(
        text.starts_with("multipart/form-data; boundary=BOUNDARY\n--BOUNDARY\r\n"),
        "{text}"
    );
    assert!(text.ends_with("--BOUNDARY--\r\n"), "{text}");
    assert!(text.contains("filename=\"notes.txt\"\r\nContent-Type: text/x-notes\r\n\r\nline one\n"));
    // The method and the exit codes of what is refused.
    like_curl(&["-s", "-o", "/dev/null", "-F", "no-equals-sign", &url]);
    like_curl(&["-s", "-o", "/dev/null", "-F", "f=@/no/such/file", &url]);
    like_curl(&["-s", "-o", "/dev/null", "-F", "a=1", "-d", "b=2", &url]);
}
