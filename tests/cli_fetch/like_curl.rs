//! Side by side with curl: the same command line against the same loopback
//! peer, compared byte for byte (stdout) and by exit code.

use super::*;

/// Runs `netstack fetch ARGS` and `curl ARGS`; both must print the same
/// bytes and exit with the same code. Returns netstack's output.
fn like_curl(args: &[&str]) -> Output {
    let mut ours = vec!["fetch"];
    ours.extend_from_slice(args);
    let netstack = netstack(&ours);
    let curl = run_in("curl", &std::env::temp_dir(), args);
    assert_eq!(
        code(&netstack),
        code(&curl),
        "exit codes of {args:?}\nnetstack stderr: {}\ncurl stderr: {}",
        stderr(&netstack),
        stderr(&curl)
    );
    assert_eq!(
        stdout(&netstack),
        stdout(&curl),
        "stdout of {args:?}\nnetstack stderr: {}",
        stderr(&netstack)
    );
    netstack
}

/// A head with names in mixed case and a reason phrase of its own.
fn mixed_case_head(mut stream: TcpStream) {
    let head = read_head(&mut stream);
    let body: &[u8] = if head.starts_with("HEAD ") {
        b""
    } else {
        b"ok"
    };
    let _ = stream.write_all(
        b"HTTP/1.1 200 Fine Indeed\r\nX-Mixed-Case: yes\r\nLocation: /elsewhere\r\n\
          content-TYPE: text/plain\r\nContent-Length: 2\r\n\r\n",
    );
    let _ = stream.write_all(body);
}

#[test]
fn heads_print_as_the_server_sent_them() {
    let server = Crafted::start(mixed_case_head);
    let url = server.url("/");
    like_curl(&["-s", "-i", &url]);
    let out = like_curl(&["-s", "-I", &url]);
    // What a script greps for.
    assert!(
        stdout(&out).contains("\r\nLocation: /elsewhere\r\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn verbose_shows_the_response_head_as_received() {
    let server = Crafted::start(mixed_case_head);
    let out = fetch_expect(0, &["-s", "-v", "-o", "/dev/null", &server.url("/")]);
    let trace = stderr(&out);
    assert!(trace.contains("< HTTP/1.1 200 Fine Indeed\n"), "{trace}");
    assert!(trace.contains("< X-Mixed-Case: yes\n"), "{trace}");
}
