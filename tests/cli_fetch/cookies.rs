//! -b and -c side by side with curl: cookies set on a redirect and sent
//! after it, a cookie file written and read back, cookies given as text.

use super::*;

/// `/set` sets three cookies (HttpOnly, persistent, Secure with a path)
/// and redirects to `/show`; every other path answers with the `Cookie`
/// header it received, or `none`.
fn cookie_server(mut stream: TcpStream) {
    let head = read_request(&mut stream);
    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
    if path == "/set" {
        let _ = stream.write_all(
            b"HTTP/1.1 302 Found\r\nLocation: /show\r\n\
              Set-Cookie: sid=abc; Path=/; HttpOnly\r\n\
              Set-Cookie: theme=dark; Expires=Wed, 01 Jan 2031 00:00:00 GMT\r\n\
              Set-Cookie: token=t1; Path=/show; Secure\r\n\
              Content-Length: 0\r\nConnection: close\r\n\r\n",
        );
        return;
    }
    let cookie = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("cookie"))
        .map_or("none".to_string(), |(_, v)| v.trim().to_string());
    answer(&mut stream, &format!("{cookie}\n"));
}

/// The cookie lines of a Netscape cookie file, sorted (curl and netstack
/// write their own comment lines first).
fn cookie_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty() && (!l.starts_with('#') || l.starts_with("#HttpOnly_")))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn cookies_set_on_a_redirect_are_sent_after_it_and_saved_as_curl_does() {
    let server = Crafted::start(cookie_server);
    let dir = TempDir::new("cookie-jar");
    let ours = dir.path().join("ours.txt");
    let theirs = dir.path().join("theirs.txt");
    let set = server.url("/set");
    let mut netstack_args = vec!["fetch", "-s", "-L", "-c", ours.to_str().unwrap(), &set];
    let out = netstack(&netstack_args);
    let curl = run_in(
        "curl",
        dir.path(),
        &["-s", "-L", "-c", theirs.to_str().unwrap(), &set],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "token=t1; theme=dark; sid=abc\n");
    assert_eq!(stdout(&out), stdout(&curl));
    let written = cookie_lines(&ours);
    assert_eq!(written, cookie_lines(&theirs));
    assert_eq!(written.len(), 3, "{written:?}");
    assert!(
        std::fs::read_to_string(&ours)
            .unwrap()
            .starts_with("# Netscape HTTP Cookie File\n"),
        "the file names its format"
    );
    // Each reads the file the other wrote.
    let show = server.url("/show");
    let out = like_curl(&["-s", "-b", theirs.to_str().unwrap(), &show]);
    assert_eq!(stdout(&out), "token=t1; theme=dark; sid=abc\n");
    let out = like_curl(&["-s", "-b", ours.to_str().unwrap(), &server.url("/")]);
    assert_eq!(stdout(&out), "theme=dark; sid=abc\n");
    // -c - writes the jar to stdout after the body.
    netstack_args[4] = "-";
    let out = netstack(&netstack_args);
    assert!(
        stdout(&out).starts_with("token=t1; theme=dark; sid=abc\n# Netscape HTTP Cookie File\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn without_the_cookie_engine_a_redirect_carries_no_cookies_as_in_curl() {
    let server = Crafted::start(cookie_server);
    let out = like_curl(&["-s", "-L", &server.url("/set")]);
    assert_eq!(stdout(&out), "none\n");
    // A cookie file that does not exist turns the engine on.
    let out = like_curl(&["-s", "-L", "-b", "no-such-cookie-file", &server.url("/set")]);
    assert_eq!(stdout(&out), "token=t1; theme=dark; sid=abc\n");
}

#[test]
fn cookies_given_as_text_go_with_every_request_after_the_jars() {
    let server = Crafted::start(cookie_server);
    let out = like_curl(&["-s", "-b", "a=1; b=2", &server.url("/show")]);
    assert_eq!(stdout(&out), "a=1; b=2\n");
    let out = like_curl(&["-s", "-L", "-b", "a=1", "-b", "none", &server.url("/set")]);
    assert_eq!(stdout(&out), "token=t1; theme=dark; sid=abc; a=1\n");
}

#[test]
fn a_cookie_file_that_is_not_one_is_an_error_naming_its_line() {
    let dir = TempDir::new("cookie-bad");
    let file = dir.path().join("cookies.json");
    std::fs::write(&file, "{\"sid\": \"abc\"}\n").unwrap();
    let out = fetch_expect(26, &["-b", file.to_str().unwrap(), "http://127.0.0.1:9/"]);
    assert!(
        stderr(&out).contains("line 1 of the cookie file is not a Netscape cookie line"),
        "{}",
        stderr(&out)
    );
}
