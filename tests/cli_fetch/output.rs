//! Where the body and the head go: -o, -O, -i, -I, -w, -C.

use super::*;

#[test]
fn bodies_go_to_stdout_or_files() {
    let server = http_server();
    let out = fetch_expect(0, &[&url(&server, "/hello")]);
    assert_eq!(stdout(&out), "hello world");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    let dir = TempDir::new("output");
    let out = fetch_expect(0, &["-o", &arg_in(&dir, "big.bin"), &url(&server, "/big")]);
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read(dir.path().join("big.bin")).unwrap(),
        big_body()
    );
    // Not a terminal: no progress bar on stderr.
    assert!(out.stderr.is_empty(), "{}", stderr(&out));

    // Two URLs, two -o files, in order.
    fetch_expect(
        0,
        &[
            "-o",
            &arg_in(&dir, "one"),
            "-o",
            &arg_in(&dir, "two"),
            &url(&server, "/hello"),
            &url(&server, "/echo"),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("one")).unwrap(),
        "hello world"
    );
    assert!(std::fs::read_to_string(dir.path().join("two"))
        .unwrap()
        .starts_with("GET /echo"));

    // -O names the file after the URL, in the working directory.
    let out = netstack_in(
        dir.path(),
        &["fetch", "-O", &url(&server, "/files/report.bin")],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read(dir.path().join("report.bin")).unwrap(),
        big_body()
    );
    let out = netstack_in(dir.path(), &["fetch", "-O", &url(&server, "/")]);
    assert_eq!(code(&out), 23, "{}", stderr(&out));
}

#[test]
fn heads_are_shown_with_i_and_fetched_alone_with_capital_i() {
    let server = http_server();
    let out = fetch_expect(0, &["-i", &url(&server, "/hello")]);
    let shown = stdout(&out);
    assert!(shown.starts_with("HTTP/1.1 200 OK\r\n"), "{shown}");
    assert!(shown.contains("content-type: text/plain\r\n"), "{shown}");
    assert!(shown.ends_with("\r\n\r\nhello world"), "{shown}");

    let out = fetch_expect(0, &["-I", &url(&server, "/big")]);
    let shown = stdout(&out);
    assert!(shown.starts_with("HTTP/1.1 200 OK\r\n"), "{shown}");
    assert!(shown.contains("content-length: 2000000\r\n"), "{shown}");
    assert!(shown.ends_with("\r\n\r\n"), "a HEAD has no body: {shown}");
}

#[test]
fn write_out_reports_the_transfer() {
    let server = http_server();
    let out = fetch_expect(
        0,
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{url_effective} %{num_redirects} %{time_total}\\n",
            "-L",
            &url(&server, "/redirect"),
        ],
    );
    let shown = stdout(&out);
    let fields: Vec<&str> = shown.trim_end().split(' ').collect();
    assert_eq!(fields[0], "200");
    assert_eq!(fields[1], "11");
    assert_eq!(fields[2], url(&server, "/hello"));
    assert_eq!(fields[3], "1");
    assert!(fields[4].parse::<f64>().unwrap() > 0.0, "{shown}");
    assert!(shown.ends_with('\n'));
    // A failed transfer still reports, with 000.
    let out = fetch_expect(7, &["-s", "-w", "%{http_code}", "http://127.0.0.1:1/"]);
    assert_eq!(stdout(&out), "000");
}

#[test]
fn continue_at_resumes_a_partial_download() {
    let server = http_server();
    let dir = TempDir::new("resume");
    let file = arg_in(&dir, "big.bin");
    std::fs::write(&file, &big_body()[..700_000]).unwrap();
    fetch_expect(0, &["-C", "-", "-o", &file, &url(&server, "/big")]);
    assert_eq!(std::fs::read(&file).unwrap(), big_body());
    // A server that ignores ranges: exit 33 as in curl, the file untouched.
    std::fs::write(&file, b"stale partial").unwrap();
    let out = fetch_expect(33, &["-C", "-", "-o", &file, &url(&server, "/hello")]);
    assert!(
        stderr(&out).contains("does not support byte ranges"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "stale partial");
    // -C - needs a file to measure.
    fetch_expect(2, &["-C", "-", &url(&server, "/big")]);
}
