//! --retry and its companions: which failures are tried again, what the
//! user sees meanwhile, and that a retried answer leaves nothing behind;
//! and --limit-rate, which paces the same transfers.

use std::sync::atomic::AtomicUsize;

use super::*;

fn answer(stream: &mut TcpStream, status: &str, extra: &str, body: &str) {
    let _ = read_head(stream);
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
        body.len()
    );
}

fn warnings(out: &Output) -> usize {
    stderr(out).matches("warning: ").count()
}

#[test]
fn a_transient_status_is_tried_again_and_only_the_last_body_is_written() {
    static TRIES: AtomicUsize = AtomicUsize::new(0);
    let server = Crafted::start(|mut stream| {
        if TRIES.fetch_add(1, Ordering::SeqCst) < 2 {
            answer(&mut stream, "503 Busy", "Retry-After: 0\r\n", "busy");
        } else {
            answer(&mut stream, "200 OK", "", "finally");
        }
    });
    let out = fetch_expect(0, &["--retry", "3", &server.url("/")]);
    assert_eq!(stdout(&out), "finally");
    assert_eq!(TRIES.load(Ordering::SeqCst), 3);
    assert_eq!(warnings(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "the server answered 503, a transient error; retrying in 0 s (3 retries left)."
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn when_the_retries_are_spent_the_last_answer_stands() {
    static TRIES: AtomicUsize = AtomicUsize::new(0);
    let server = Crafted::start(|mut stream| {
        TRIES.fetch_add(1, Ordering::SeqCst);
        answer(&mut stream, "502 Bad Gateway", "", "upstream down");
    });
    let out = fetch_expect(
        0,
        &["--retry", "1", "--retry-delay", "0.01", &server.url("/")],
    );
    assert_eq!(stdout(&out), "upstream down");
    assert_eq!(warnings(&out), 1, "{}", stderr(&out));
    let failed = fetch_expect(
        22,
        &[
            "-f",
            "--retry",
            "1",
            "--retry-delay",
            "0.01",
            &server.url("/"),
        ],
    );
    assert_eq!(stdout(&failed), "");
    assert_eq!(TRIES.load(Ordering::SeqCst), 4);
    // -s keeps the warnings off stderr.
    let quiet = fetch_expect(
        0,
        &[
            "-s",
            "--retry",
            "1",
            "--retry-delay",
            "0.01",
            &server.url("/"),
        ],
    );
    assert_eq!(warnings(&quiet), 0, "{}", stderr(&quiet));
}

#[test]
fn a_status_that_is_not_transient_is_not_retried() {
    static TRIES: AtomicUsize = AtomicUsize::new(0);
    let server = Crafted::start(|mut stream| {
        TRIES.fetch_add(1, Ordering::SeqCst);
        answer(&mut stream, "404 Not Found", "", "no");
    });
    let out = fetch_expect(
        0,
        &["--retry", "3", "--retry-delay", "0.01", &server.url("/")],
    );
    assert_eq!(stdout(&out), "no");
    assert_eq!(TRIES.load(Ordering::SeqCst), 1);
    assert_eq!(warnings(&out), 0);
}

#[test]
fn timeouts_are_retried_and_refused_connections_only_when_asked() {
    static TRIES: AtomicUsize = AtomicUsize::new(0);
    let silent = Crafted::start(|mut stream| {
        TRIES.fetch_add(1, Ordering::SeqCst);
        let _ = read_head(&mut stream);
        std::thread::sleep(Duration::from_secs(3));
    });
    let out = fetch_expect(
        28,
        &[
            "-m",
            "0.3",
            "--retry",
            "2",
            "--retry-delay",
            "0.01",
            &silent.url("/"),
        ],
    );
    assert_eq!(warnings(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("warning: (28) "), "{}", stderr(&out));
    assert_eq!(TRIES.load(Ordering::SeqCst), 3);

    // A port nothing listens on: bind one, note it, close it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = format!("http://127.0.0.1:{port}/");
    let once = fetch_expect(7, &["--retry", "2", "--retry-delay", "0.01", &refused]);
    assert_eq!(warnings(&once), 0, "{}", stderr(&once));
    let again = fetch_expect(
        7,
        &[
            "--retry",
            "2",
            "--retry-delay",
            "0.01",
            "--retry-connrefused",
            &refused,
        ],
    );
    assert_eq!(warnings(&again), 2, "{}", stderr(&again));
    // --retry-max-time stops before a wait that would pass it.
    let capped = fetch_expect(
        7,
        &[
            "--retry",
            "5",
            "--retry-delay",
            "2",
            "--retry-max-time",
            "1",
            "--retry-all-errors",
            &refused,
        ],
    );
    assert_eq!(warnings(&capped), 0, "{}", stderr(&capped));
}

#[test]
fn bad_retry_times_are_refused() {
    let out = fetch_expect(
        2,
        &["--retry", "1", "--retry-delay", "-1", "http://127.0.0.1:9/"],
    );
    assert!(
        stderr(&out).contains("--retry-delay needs a number of seconds"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn limit_rate_keeps_the_download_under_the_rate() {
    let server = Crafted::start(|mut stream| {
        let body = "x".repeat(1024 * 1024);
        answer(&mut stream, "200 OK", "", &body);
    });
    let out = fetch_expect(
        0,
        &[
            "--limit-rate",
            "1m",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download} %{speed_download}",
            &server.url("/"),
        ],
    );
    let report = stdout(&out);
    let (size, speed) = report.split_once(' ').unwrap();
    assert_eq!(size, "1048576");
    // Paced after each read piece, so the last piece comes at once and a
    // loaded machine may hand over large pieces: the pacing guarantees at
    // least (1 MiB - last piece) / rate, so with pieces under 512 KiB at
    // most twice the rate on average. Unpaced, loopback is hundreds of
    // times faster.
    let speed: f64 = speed.parse().unwrap();
    assert!(
        speed <= 2.0 * 1024.0 * 1024.0,
        "{report}: faster than the limit"
    );
    let bad = fetch_expect(2, &["--limit-rate", "fast", &server.url("/")]);
    assert!(stderr(&bad).contains("is not a rate"), "{}", stderr(&bad));
}
