//! `-K/--config FILE`: the same config files given to curl and to netstack
//! fetch, against the same loopback server, compared byte for byte.

use super::flags_like_curl::{echo_server, like_curl_with};
use super::*;

#[test]
fn a_config_file_is_read_as_curl_reads_it() {
    let server = echo_server();
    let dir = TempDir::new("config");
    let body = arg_in(&dir, "body.txt");
    std::fs::write(&body, "from a file").unwrap();
    let nested = arg_in(&dir, "nested.cfg");
    std::fs::write(&nested, "write-out = \"\\n[%{http_code}]\\n\"\n").unwrap();
    let config = arg_in(&dir, "main.cfg");
    std::fs::write(
        &config,
        format!(
            "# options for the probe\n\
             \x20  # an indented comment\n\
             \n\
             url = \"{url}\"\n\
             silent\n\
             -A \"agent \\\"q\\\"\\tx\"\n\
             header: \"Content-Type: text/x-probe\"\n\
             --data-binary @{body}\n\
             config {nested}\n",
            url = url(&server, "/configured"),
        ),
    )
    .unwrap();
    let out = like_curl_with(&["-K", &config], b"", &[]);
    assert_eq!(
        stdout(&out),
        "POST /configured\nhost: 127.0.0.1:PORT\nuser-agent: agent \"q\"\tx\n\
         content-type: text/x-probe\naccept: */*\nbody=from a file\n[200]\n"
            .replace(
                "PORT",
                &server.local_endpoint().as_ip().unwrap().port().to_string()
            ),
    );
    // The command line around -K: before it and after it, a later option
    // replaces what an earlier one said, wherever each came from.
    let out = like_curl_with(&["-A", "first", "-K", &config, "-A", "last"], b"", &[]);
    assert!(
        stdout(&out).contains("user-agent: last\n"),
        "{}",
        stdout(&out)
    );
    // From standard input.
    let stdin = format!("url {}\n-s\n", url(&server, "/stdin"));
    let out = like_curl_with(&["-K", "-"], stdin.as_bytes(), &[]);
    assert!(stdout(&out).starts_with("GET /stdin\n"), "{}", stdout(&out));
}

#[test]
fn an_unknown_option_is_a_warning_with_its_line_and_the_rest_is_read() {
    let server = echo_server();
    let dir = TempDir::new("config-unknown");
    let config = arg_in(&dir, "odd.cfg");
    std::fs::write(
        &config,
        format!(
            "no-such-option\nurl {} trailing words\n-o\n",
            url(&server, "/odd")
        ),
    )
    .unwrap();
    let out = like_curl_with(&["-K", &config], b"", &[]);
    assert!(stdout(&out).starts_with("GET /odd\n"), "{}", stdout(&out));
    let warnings = stderr(&out);
    for expected in [
        "odd.cfg:1: 'no-such-option' is unknown",
        "odd.cfg:2: 'url' has an unquoted parameter followed by more text",
        "odd.cfg:3: '-o' needs a parameter",
    ] {
        assert!(warnings.contains(expected), "{warnings}");
    }
    // -s before them keeps the warnings off stderr, as in curl.
    let out = like_curl_with(&["-s", "-K", &config], b"", &[]);
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_config_file_that_cannot_be_read_is_exit_26() {
    let dir = TempDir::new("config-missing");
    let missing = arg_in(&dir, "missing.cfg");
    let out = like_curl_with(&["-K", &missing, "http://127.0.0.1:9/"], b"", &[]);
    assert!(
        stderr(&out).contains(&format!("cannot read config from '{missing}'")),
        "{}",
        stderr(&out)
    );
    // Config files that name each other without end.
    let looped = arg_in(&dir, "loop.cfg");
    std::fs::write(&looped, format!("config {looped}\n")).unwrap();
    let out = fetch_expect(26, &["-K", &looped]);
    assert!(
        stderr(&out).contains("more than 8 deep"),
        "{}",
        stderr(&out)
    );
}
