//! `-Z/--parallel`: transfers at the same time, side by side with curl.

use std::sync::{Condvar, Mutex};

use super::flags_like_curl::echo_server;
use super::*;

/// Runs curl and netstack fetch with `args`; both must exit with the same
/// code and print the same lines, in any order (transfers end in any order).
fn like_curl_in_any_order(args: &[&str]) -> Output {
    let mut ours = vec!["fetch"];
    ours.extend_from_slice(args);
    let netstack = netstack(&ours);
    let curl = run_in("curl", &std::env::temp_dir(), args);
    assert_eq!(code(&netstack), code(&curl), "{}", stderr(&netstack));
    let sorted = |output: &Output| {
        let mut lines: Vec<String> = stdout(output).lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&netstack), sorted(&curl));
    netstack
}

#[test]
fn every_url_is_fetched_and_the_failure_is_the_exit_code() {
    let server = echo_server();
    let out = like_curl_in_any_order(&[
        "-Z",
        "-s",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        "-w",
        "%{url} %{http_code}\n",
        &url(&server, "/[1-6]"),
        "http://127.0.0.1:9/refused",
        &url(&server, "/{x,y}"),
    ]);
    assert_eq!(stdout(&out).lines().count(), 9, "{}", stdout(&out));
    assert_eq!(code(&out), 7);
}

/// A server that holds every answer until `together` requests are in at
/// once (or 20 s passed), then tells each whether they were.
fn meeting_point(together: usize) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let arrived = Arc::new((Mutex::new(0usize), Condvar::new()));
        let mut answers = Vec::new();
        for stream in listener.incoming().take(together) {
            let mut stream = stream.unwrap();
            let arrived = Arc::clone(&arrived);
            answers.push(std::thread::spawn(move || {
                read_request(&mut stream);
                let (count, all_in) = &*arrived;
                let mut count = count.lock().unwrap();
                *count += 1;
                all_in.notify_all();
                let (count, _) = all_in
                    .wait_timeout_while(count, Duration::from_secs(20), |n| *n < together)
                    .unwrap();
                let met = *count >= together;
                drop(count);
                answer(&mut stream, if met { "together\n" } else { "alone\n" });
            }));
        }
        for answer in answers {
            answer.join().unwrap();
        }
    });
    (port, handle)
}

#[test]
fn the_transfers_run_at_the_same_time() {
    let (port, server) = meeting_point(3);
    let urls = format!("http://127.0.0.1:{port}/[1-3]");
    let out = fetch_expect(0, &["-Z", "--parallel-max", "3", "-s", &urls]);
    assert_eq!(stdout(&out), "together\n".repeat(3));
    server.join().unwrap();
}

#[test]
fn a_malformed_glob_fetches_nothing() {
    let server = echo_server();
    let out = like_curl_in_any_order(&["-Z", "-s", &url(&server, "/first"), &url(&server, "/{a")]);
    assert_eq!(code(&out), 3);
    assert_eq!(stdout(&out), "");
}
