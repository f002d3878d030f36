//! `Expect: 100-continue` on uploads, side by side with curl: a body of
//! unknown length or over 1 MiB waits for `100 Continue`, `-H "Expect:"`
//! turns that off, and a redirect answered before `100 Continue` takes
//! standard input along to the next URL.

use super::flags_like_curl::{echo_server, like_curl_with, ours};
use super::*;

#[test]
fn streamed_and_large_uploads_wait_for_100_continue_as_in_curl() {
    let server = echo_server();
    let target = url(&server, "/up");
    let out = like_curl_with(&["-s", "-T", "-", &target], b"streamed", &[]);
    assert!(
        stdout(&out).ends_with("\nexpect: 100-continue\nbody=streamed"),
        "{}",
        stdout(&out)
    );
    let out = like_curl_with(
        &["-s", "-H", "Expect:", "-T", "-", &target],
        b"streamed",
        &[],
    );
    assert!(!stdout(&out).contains("expect:"), "{}", stdout(&out));

    let dir = TempDir::new("expect");
    let big: String = (0..1_500_000u32)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    std::fs::write(dir.join("big.txt"), &big).unwrap();
    let from_file = format!("@{}", arg_in(&dir, "big.txt"));
    let out = like_curl_with(
        &[
            "-s",
            "--expect100-timeout",
            "0.5",
            "--data-binary",
            &from_file,
            &target,
        ],
        b"",
        &[],
    );
    let text = stdout(&out);
    assert!(
        text.contains("\nexpect: 100-continue\n"),
        "{}",
        &text[..200]
    );
    assert!(text.ends_with(&format!("body={big}")));
    // A form: its boundary is random, so only netstack's run is read.
    let form_file = format!("f=@{}", arg_in(&dir, "big.txt"));
    let out = ours(&["-s", "-F", &form_file, &target], b"", &[]);
    assert!(stdout(&out).contains("\nexpect: 100-continue\n"));
    let out = ours(&["-s", "-F", "f=small", &target], b"", &[]);
    assert!(!stdout(&out).contains("expect:"), "{}", stdout(&out));
    let out = like_curl_with(
        &[
            "-s",
            "-w",
            " %{size_upload}",
            "--data-binary",
            "small",
            &target,
        ],
        b"",
        &[],
    );
    assert!(!stdout(&out).contains("expect:"), "{}", stdout(&out));
    assert!(stdout(&out).ends_with("body=small 5"), "{}", stdout(&out));
    // A form's size, as curl counts it (its boundary is as long as curl's).
    let out = like_curl_with(
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{size_upload}",
            "-F",
            &form_file,
            &target,
        ],
        b"",
        &[],
    );
    assert!(
        stdout(&out).parse::<u64>().unwrap() > 1_500_000,
        "{}",
        stdout(&out)
    );
}

/// The server redirects before it asks for the body, so standard input
/// was not read and goes to the next URL (a 302 keeps a `PUT`).
#[test]
fn a_redirect_before_100_continue_takes_standard_input_along() {
    let server = echo_server();
    let target = url(&server, "/redirect-to-stored");
    let out = like_curl_with(&["-s", "-L", "-T", "-", &target], b"abc", &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("PUT /stored\n"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).ends_with("body=abc"), "{}", stdout(&out));
}
