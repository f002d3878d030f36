//! The URL fetcher, every case in both modes: `data:` and `file:` URLs,
//! HTTP against crafted servers on loopback (methods, uploads, credentials,
//! resumed downloads, error statuses, each failure's kind), and a scheme
//! handler registered by the test.

mod support;

use std::io::Cursor;
use std::time::Duration;
use testkit::{both_modes, Mode, TempDir};

use http::{HeaderMap, Method};
use protocols::fetch::{
    self, AsyncFetchResponse, BoxFuture, FetchParts, FetchRequest, FetchResponse, Fetcher,
    SchemeHandler,
};
use support::{ok, response, Server};

testkit::executor_block_on!(sockets::block_on);

/// A response, read whole.
#[derive(Debug)]
struct Got {
    status: Option<u16>,
    headers: HeaderMap,
    url: String,
    resumed_from: Option<u64>,
    body: Vec<u8>,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn fetcher() -> Fetcher {
    Fetcher::builder()
        .connect_timeout(Some(Duration::from_secs(5)))
        .read_timeout(Some(Duration::from_secs(5)))
        .timeout(Some(Duration::from_secs(20)))
        .build()
}

fn run(mode: Mode, request: FetchRequest) -> Result<Got, fetch::Error> {
    match mode {
        Mode::Sync => {
            let response = request.send()?;
            let (status, headers, url, resumed_from) = (
                response.status().map(|s| s.as_u16()),
                response.headers().clone(),
                response.url().to_string(),
                response.resumed_from(),
            );
            Ok(Got {
                status,
                headers,
                url,
                resumed_from,
                body: response.bytes()?,
            })
        }
        Mode::Async => block_on(async {
            let response = request.send_async().await?;
            let (status, headers, url, resumed_from) = (
                response.status().map(|s| s.as_u16()),
                response.headers().clone(),
                response.url().to_string(),
                response.resumed_from(),
            );
            Ok(Got {
                status,
                headers,
                url,
                resumed_from,
                body: response.bytes().await?,
            })
        }),
    }
}

fn get(mode: Mode, fetcher: &Fetcher, url: &str) -> Result<Got, fetch::Error> {
    run(mode, fetcher.get(url))
}

// ---------------------------------------------------------------------------
// data: and file:

fn data_urls_decode(mode: Mode) {
    let f = fetcher();
    let got = get(
        mode,
        &f,
        "data:text/plain;charset=utf-8,caf%C3%A9%20au%20lait",
    )
    .unwrap();
    assert_eq!(got.text(), "café au lait");
    assert_eq!(got.headers["content-type"], "text/plain;charset=utf-8");
    assert_eq!(got.headers["content-length"], "13");
    assert_eq!(got.status, None);
    let got = get(mode, &f, "data:image/gif;base64,R0lGODlhAQABAAAAACw=").unwrap();
    assert_eq!(&got.body[..6], b"GIF89a");
    assert_eq!(got.headers["content-type"], "image/gif");
    let err = get(mode, &f, "data:;base64,@@@").unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::InvalidUrl, "{err}");
    let err = run(mode, f.request("data:,x").body("up")).unwrap_err();
    assert!(err.to_string().contains("cannot be uploaded"), "{err}");
}

fn file_urls_read_list_resume_and_write(mode: Mode) {
    let dir = TempDir::new("fetch-file");
    let content: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.path().join("data.bin"), &content).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let f = fetcher();
    let url = |name: &str| {
        url::Url::from_file_path(dir.path().join(name))
            .unwrap()
            .to_string()
    };

    let got = get(mode, &f, &url("data.bin")).unwrap();
    assert_eq!(got.body, content);
    assert_eq!(got.headers["content-length"], "100000");
    assert!(got.headers.contains_key("last-modified"));
    assert_eq!(got.resumed_from, None);

    let got = run(mode, f.get(url("data.bin")).resume_from(99_000)).unwrap();
    assert_eq!(got.body, &content[99_000..]);
    assert_eq!(got.resumed_from, Some(99_000));

    let head = run(mode, f.get(url("data.bin")).method(Method::HEAD)).unwrap();
    assert!(head.body.is_empty());
    assert_eq!(head.headers["content-length"], "100000");

    let listing = get(mode, &f, &url("")).unwrap();
    assert_eq!(listing.text(), "data.bin\nsub/\n");

    let err = get(mode, &f, &url("missing.txt")).unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("missing.txt"), "{err}");

    run(mode, f.request(url("written.txt")).body("new text")).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("written.txt")).unwrap(),
        "new text"
    );
    run(
        mode,
        f.request(url("copy.bin"))
            .upload_file(dir.path().join("data.bin")),
    )
    .unwrap();
    assert_eq!(std::fs::read(dir.path().join("copy.bin")).unwrap(), content);

    let err = get(mode, &f, "file://remote.example/etc/hosts").unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::InvalidUrl, "{err}");
}

// ---------------------------------------------------------------------------
// HTTP.

fn http_requests_carry_method_headers_body_and_credentials(mode: Mode) {
    let server = Server::respond(|request, _| {
        let body = format!(
            "{} {} auth={} x={} body={}",
            request.method,
            request.target,
            request.header("authorization").unwrap_or("-"),
            request.header("x-test").unwrap_or("-"),
            String::from_utf8_lossy(&request.body)
        );
        (ok(&body), true)
    });
    let f = fetcher();
    let got = get(mode, &f, &server.url("/plain")).unwrap();
    assert_eq!(got.status, Some(200));
    assert_eq!(got.text(), "GET /plain auth=- x=- body=");
    assert_eq!(got.url, server.url("/plain"));

    let got = run(
        mode,
        f.request(server.url("/form"))
            .header("X-Test", "yes")
            .credentials("alice", Some("secret"))
            .body("a=1"),
    )
    .unwrap();
    // alice:secret in base64.
    assert_eq!(
        got.text(),
        "POST /form auth=Basic YWxpY2U6c2VjcmV0 x=yes body=a=1"
    );

    let dir = TempDir::new("fetch-upload");
    std::fs::write(dir.path().join("up.txt"), "file contents").unwrap();
    let got = run(
        mode,
        f.request(server.url("/put"))
            .upload_file(dir.path().join("up.txt")),
    )
    .unwrap();
    assert_eq!(got.text(), "PUT /put auth=- x=- body=file contents");

    // A reader is streamed once, chunked.
    let reader = std::io::Cursor::new(b"from a reader".to_vec());
    let got = run(mode, f.request(server.url("/stream")).upload_reader(reader)).unwrap();
    assert_eq!(got.text(), "PUT /stream auth=- x=- body=from a reader");

    let got = run(mode, f.request(server.url("/del")).method(Method::DELETE)).unwrap();
    assert!(got.text().starts_with("DELETE /del"));

    // Credentials in the URL.
    let with_user = server.url("/u").replace("http://", "http://bob:pa%20ss@");
    let got = get(mode, &f, &with_user).unwrap();
    assert!(
        got.text().contains("auth=Basic Ym9iOnBhIHNz"),
        "{}",
        got.text()
    );

    // A bad header is refused before anything is sent.
    let err = run(mode, f.get(server.url("/")).header("Bad Name", "v")).unwrap_err();
    assert!(err.to_string().contains("header name"), "{err}");
}

fn resumed_downloads_use_a_range(mode: Mode) {
    let server = Server::respond(|request, _| {
        let full = b"0123456789";
        match request.header("range") {
            Some(range) if request.path() == "/ranged" => {
                let from: usize = range
                    .trim_start_matches("bytes=")
                    .trim_end_matches('-')
                    .parse()
                    .unwrap();
                let content_range = format!("bytes {from}-9/10");
                (
                    response(206, &[("Content-Range", &content_range)], &full[from..]),
                    true,
                )
            }
            _ => (response(200, &[], full), true),
        }
    });
    let f = fetcher();
    let got = run(mode, f.get(server.url("/ranged")).resume_from(4)).unwrap();
    assert_eq!(got.status, Some(206));
    assert_eq!(got.resumed_from, Some(4));
    assert_eq!(got.body, b"456789");
    // A server that ignores the range sends everything: not resumed.
    let got = run(mode, f.get(server.url("/whole")).resume_from(4)).unwrap();
    assert_eq!(got.resumed_from, None);
    assert_eq!(got.body, b"0123456789");
    assert_eq!(server.recorded()[1].header("range"), Some("bytes=4-"));
}

fn http_errors_are_sorted_by_kind(mode: Mode) {
    let server = Server::respond(|request, _| match request.path() {
        "/missing" => (response(404, &[], b"no such page"), true),
        "/loop" => (response(302, &[("Location", "/loop")], b""), true),
        "/short" => (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this".to_vec(),
            false,
        ),
        "/junk" => (b"SMTP ready\r\n\r\n".to_vec(), false),
        _ => (ok("fine"), true),
    });
    let f = fetcher();
    // An error status is a response; error_for_status and the conveniences fail on it.
    let got = get(mode, &f, &server.url("/missing")).unwrap();
    assert_eq!(got.status, Some(404));
    assert_eq!(got.text(), "no such page");
    let err = match mode {
        Mode::Sync => f.download_string(server.url("/missing")).unwrap_err(),
        Mode::Async => block_on(f.download_string_async(&server.url("/missing"))).unwrap_err(),
    };
    assert_eq!(err.kind(), fetch::ErrorKind::HttpStatus);
    assert!(err.to_string().contains("404"), "{err}");

    let kind = |url: &str| get(mode, &f, url).unwrap_err().kind();
    assert_eq!(
        kind(&server.url("/loop")),
        fetch::ErrorKind::TooManyRedirects
    );
    assert_eq!(kind(&server.url("/short")), fetch::ErrorKind::PartialBody);
    // No status line at all: an HTTP/0.9 reply, refused as curl does.
    assert_eq!(kind(&server.url("/junk")), fetch::ErrorKind::Http09Reply);
    // A name that does not resolve: tests/dns.rs, against a local dnsmasq.
    assert_eq!(
        kind("gopher://127.0.0.1/"),
        fetch::ErrorKind::UnsupportedScheme
    );
    assert_eq!(kind("http://[::1/"), fetch::ErrorKind::InvalidUrl);
    assert_eq!(kind("not a url"), fetch::ErrorKind::InvalidUrl);
    // A WebSocket is not a download: the error points to the WebSocket API.
    let ws = fetch::fetch("ws://127.0.0.1/chat").unwrap_err();
    assert_eq!(ws.kind(), fetch::ErrorKind::Other);
    assert!(ws.to_string().contains("websocket::WebSocket"), "{ws}");
    // Nothing listens on this port: it stays bound (not listening) so no other test takes it.
    let closed = sockets::Socket::new(
        sockets::AddressFamily::InterNetwork,
        sockets::SocketType::Stream,
        sockets::ProtocolType::Tcp,
    )
    .unwrap();
    closed.bind(([127, 0, 0, 1], 0)).unwrap();
    let port = closed.local_endpoint().unwrap().as_ip().unwrap().port();
    assert_eq!(
        kind(&format!("http://127.0.0.1:{port}/")),
        fetch::ErrorKind::Connect
    );
    // A silent server: a timeout, not a hang.
    let silent = Server::start(|conn, _| {
        std::thread::sleep(Duration::from_secs(3));
        drop(conn);
    });
    let quick = Fetcher::builder()
        .read_timeout(Some(Duration::from_millis(300)))
        .build();
    let err = get(mode, &quick, &silent.url("/")).unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::Timeout, "{err}");
}

fn https_with_a_trusted_self_signed_certificate(mode: Mode) {
    use protocols::http::server::{HttpServer, Request, Response, ServerConfig};
    use transport::tls::{TlsClientConfig, TlsServerConfig};
    let cert = testkit::cert::self_signed(&["localhost"]);
    let pem = cert.cert.clone();
    let tls = TlsServerConfig::builder()
        .certificate_pem(&pem, cert.key)
        .alpn_protocols(["http/1.1"])
        .build()
        .unwrap();
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().tls(tls),
        |request: Request| Response::new(format!("secure {}", request.uri().path()).into()),
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    let trusting = Fetcher::builder()
        .tls_config(
            TlsClientConfig::builder()
                .system_roots(false)
                .add_root_certificates_pem(&pem)
                .build()
                .unwrap(),
        )
        .timeout(Some(Duration::from_secs(20)))
        .build();
    let url = format!("https://localhost:{port}/page");
    let got = get(mode, &trusting, &url).unwrap();
    assert_eq!(got.status, Some(200));
    assert_eq!(got.text(), "secure /page");
    // The default fetcher trusts the system's roots only: a certificate error.
    let err = get(mode, &fetcher(), &url).unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::Certificate, "{err}");
    server.shutdown();
}

fn web_client_conveniences(mode: Mode) {
    let server = Server::respond(|request, _| {
        (
            ok(&format!(
                "{} {}",
                request.method,
                String::from_utf8_lossy(&request.body)
            )),
            true,
        )
    });
    let dir = TempDir::new("fetch-webclient");
    std::fs::write(dir.path().join("in.txt"), "from a file").unwrap();
    let f = fetcher();
    let url = server.url("/");
    let saved = dir.path().join("saved.txt");
    let (text, bytes, saved_len, uploaded, uploaded_file) = match mode {
        Mode::Sync => (
            f.download_string(&url).unwrap(),
            f.download_bytes(&url).unwrap(),
            f.download_file(&url, &saved).unwrap(),
            f.upload_bytes(&url, b"raw".to_vec()).unwrap(),
            f.upload_file(&url, dir.path().join("in.txt")).unwrap(),
        ),
        Mode::Async => block_on(async {
            (
                f.download_string_async(&url).await.unwrap(),
                f.download_bytes_async(&url).await.unwrap(),
                f.download_file_async(&url, &saved).await.unwrap(),
                f.upload_bytes_async(&url, b"raw".to_vec()).await.unwrap(),
                f.upload_file_async(&url, dir.path().join("in.txt"))
                    .await
                    .unwrap(),
            )
        }),
    };
    assert_eq!(text, "GET ");
    assert_eq!(bytes, b"GET ");
    assert_eq!(saved_len, 4);
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "GET ");
    assert_eq!(uploaded, b"POST raw");
    assert_eq!(uploaded_file, b"PUT from a file");
    // One pooled connection served every request.
    assert_eq!(server.accepts(), 1);
}

// ---------------------------------------------------------------------------
// FTP, against pyftpdlib.

fn ftp_urls_download_list_resume_and_upload(mode: Mode) {
    let anon = TempDir::new("fetch-ftp-anon");
    let home = TempDir::new("fetch-ftp-home");
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(anon.path().join("data.bin"), &content).unwrap();
    std::fs::create_dir(anon.path().join("sub")).unwrap();
    std::fs::write(anon.path().join("sub/a.txt"), "a").unwrap();
    std::fs::write(anon.path().join("sub/b.txt"), "bb").unwrap();
    std::fs::write(home.path().join("local.txt"), "from a local file").unwrap();
    let server = support::pyftpd::Pyftpd::start("127.0.0.1", anon.path(), home.path(), true);
    let base = format!("ftp://127.0.0.1:{}", server.port);
    let f = fetcher();

    let got = get(mode, &f, &format!("{base}/data.bin")).unwrap();
    assert_eq!(got.body, content);
    assert_eq!(got.headers["content-length"], "300000");
    assert!(got.headers.contains_key("last-modified"));
    assert_eq!(got.status, None);

    let got = run(mode, f.get(format!("{base}/data.bin")).resume_from(299_990)).unwrap();
    assert_eq!(got.body, &content[299_990..]);
    assert_eq!(got.resumed_from, Some(299_990));
    assert_eq!(got.headers["content-length"], "10");

    // HEAD: SIZE and MDTM only, no RETR.
    let head = run(mode, f.get(format!("{base}/data.bin")).method(Method::HEAD)).unwrap();
    assert!(head.body.is_empty());
    assert_eq!(head.headers["content-length"], "300000");
    assert!(head.headers.contains_key("last-modified"));

    let listing = get(mode, &f, &format!("{base}/sub/")).unwrap().text();
    assert!(
        listing.contains("a.txt") && listing.contains("b.txt"),
        "{listing}"
    );
    assert!(
        listing.lines().all(|l| l.len() > "b.txt".len()),
        "LIST has details: {listing}"
    );
    let names = get(mode, &f, &format!("{base}/sub;type=d")).unwrap().text();
    let mut names: Vec<&str> = names
        .lines()
        .map(|n| n.trim_start_matches("sub/"))
        .collect();
    names.sort();
    assert_eq!(names, ["a.txt", "b.txt"]);

    // Uploads as alice: credentials in the URL, or given with the request.
    let with_user = format!("ftp://alice:secret@127.0.0.1:{}/up.txt", server.port);
    run(mode, f.request(&with_user).body("uploaded bytes")).unwrap();
    assert_eq!(
        std::fs::read_to_string(home.path().join("up.txt")).unwrap(),
        "uploaded bytes"
    );
    run(
        mode,
        f.request(format!("{base}/copy.txt"))
            .credentials("alice", Some("secret"))
            .upload_file(home.path().join("local.txt")),
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(home.path().join("copy.txt")).unwrap(),
        "from a local file"
    );
    run(
        mode,
        f.request(format!("{base}/streamed.txt"))
            .credentials("alice", Some("secret"))
            .upload_reader(std::io::Cursor::new(b"from a reader".to_vec())),
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(home.path().join("streamed.txt")).unwrap(),
        "from a reader"
    );

    let kind = |request: FetchRequest| run(mode, request).unwrap_err().kind();
    assert_eq!(
        kind(f.get(format!("{base}/missing.bin"))),
        fetch::ErrorKind::NotFound
    );
    assert_eq!(
        kind(f.get(format!("ftp://alice:wrong@127.0.0.1:{}/x", server.port))),
        fetch::ErrorKind::LoginDenied
    );
    // The anonymous user may not write.
    assert_eq!(
        kind(f.request(format!("{base}/nope.txt")).body("x")),
        fetch::ErrorKind::UploadFailed
    );
    assert_eq!(
        kind(f.get(format!("{base}/bad%0D%0ADELE%20data.bin"))),
        fetch::ErrorKind::InvalidUrl
    );
    assert!(anon.path().join("data.bin").exists());
}

// ---------------------------------------------------------------------------
// A scheme of the test's own.

/// `kv:KEY` URLs answer from a fixed table; a missing key is NotFound.
struct KeyValue;

impl SchemeHandler for KeyValue {
    fn fetch(&self, request: FetchParts) -> protocols::fetch::Result<FetchResponse> {
        let value = match request.url.path() {
            "greeting" => "hello from kv",
            "answer" => "42",
            key => {
                return Err(fetch::Error::handler(
                    "kv",
                    fetch::ErrorKind::NotFound,
                    format!("no key {key:?}"),
                ))
            }
        };
        Ok(
            FetchResponse::new(request.url, Cursor::new(value.as_bytes().to_vec()))
                .with_status(http::StatusCode::OK),
        )
    }
}

/// `slow:` answers asynchronously, after a timer on netstack's reactor.
struct SlowAsync;

impl SchemeHandler for SlowAsync {
    fn fetch(&self, request: FetchParts) -> protocols::fetch::Result<FetchResponse> {
        std::thread::sleep(Duration::from_millis(20));
        Ok(FetchResponse::new(
            request.url,
            Cursor::new(b"sync".to_vec()),
        ))
    }

    fn fetch_async(
        &self,
        request: FetchParts,
    ) -> BoxFuture<'_, protocols::fetch::Result<AsyncFetchResponse>> {
        Box::pin(async move {
            sockets::sleep(Duration::from_millis(20)).await;
            Ok(AsyncFetchResponse::new(
                request.url,
                futures::io::Cursor::new(b"async".to_vec()),
            ))
        })
    }
}

fn custom_schemes_plug_in(mode: Mode) {
    let f = Fetcher::builder()
        .register("kv", KeyValue)
        .register("SLOW", SlowAsync)
        .build();
    let got = get(mode, &f, "kv:greeting").unwrap();
    assert_eq!(got.text(), "hello from kv");
    assert_eq!(got.status, Some(200));
    let err = get(mode, &f, "kv:nothing").unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::NotFound);
    assert!(err.to_string().contains("kv: no key \"nothing\""), "{err}");
    let got = get(mode, &f, "slow:x").unwrap();
    assert_eq!(
        got.text(),
        match mode {
            Mode::Sync => "sync",
            Mode::Async => "async",
        }
    );
    // Unregistered on another fetcher.
    let err = get(mode, &fetcher(), "kv:greeting").unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::UnsupportedScheme);
}

/// A server may not send the client to a local file (or any scheme but
/// http and https): the redirect itself is the answer, as curl does.
fn redirects_to_file_urls_are_not_followed(mode: Mode) {
    let dir = TempDir::new("fetch-redirect");
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, b"local secret").unwrap();
    let target = url::Url::from_file_path(&secret).unwrap().to_string();
    let server = Server::respond(move |_request, _ctx| {
        (
            response(302, &[("Location", target.as_str())], b"moved"),
            true,
        )
    });
    for url in [server.url("/go"), server.url("/again")] {
        let got = get(mode, &fetcher(), &url).unwrap();
        assert_eq!(got.status, Some(302), "{mode:?}");
        assert_eq!(got.text(), "moved", "{mode:?}");
        assert!(got.url.starts_with("http://"), "{mode:?}: {}", got.url);
    }
}

both_modes!(
    data_urls_decode,
    redirects_to_file_urls_are_not_followed,
    file_urls_read_list_resume_and_write,
    http_requests_carry_method_headers_body_and_credentials,
    resumed_downloads_use_a_range,
    http_errors_are_sorted_by_kind,
    https_with_a_trusted_self_signed_certificate,
    web_client_conveniences,
    ftp_urls_download_list_resume_and_upload,
    custom_schemes_plug_in,
);

#[test]
fn the_default_fetcher_and_one_call() {
    let mut response = protocols::fetch::fetch("data:,one%20call").unwrap();
    let mut body = String::new();
    std::io::Read::read_to_string(&mut response, &mut body).unwrap();
    assert_eq!(body, "one call");
    let text = block_on(async {
        protocols::fetch::fetch_async("data:,async%20call")
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert_eq!(text, "async call");
}

/// A `file:` fetch under a one-thread executor, of a named pipe that only a
/// second task on the same thread writes: the fetch's open and reads must
/// run off the executor's thread, or that task could never run.
#[test]
fn an_async_file_fetch_leaves_its_executor_free() {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    // Linux's O_NONBLOCK: opening a pipe for writing fails at once
    // (ENXIO) rather than blocking while it has no reader.
    const O_NONBLOCK: i32 = 0o4000;

    let dir = TempDir::new("fetch-fifo");
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo (coreutils)");
    assert!(made.success(), "mkfifo failed");
    let url = url::Url::from_file_path(&fifo).unwrap().to_string();
    // Should the fetch block the executor, this thread ends the test after
    // 10 s (it opens the pipe, so the fetch gets an answer and fails the
    // assertions below) rather than let it hang.
    let rescue_path = fifo.clone();
    let rescue = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(10));
        if let Ok(mut pipe) = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(&rescue_path)
        {
            let _ = pipe.write_all(b"the executor was blocked");
        }
    });
    let fetcher = fetcher();
    let (fetched, written) = sockets::block_on(async {
        futures::join!(fetcher.download_string_async(&url), async {
            // The fetch has been polled once (its open is under way).
            for _ in 0..100 {
                sockets::sleep(Duration::from_millis(20)).await;
                match std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(O_NONBLOCK)
                    .open(&fifo)
                {
                    Ok(mut pipe) => return pipe.write_all(b"written by a task").is_ok(),
                    // No reader yet: the pool has not opened the pipe.
                    Err(_) => continue,
                }
            }
            false
        })
    });
    assert!(written, "the writer task never found the fetch's reader");
    assert_eq!(fetched.unwrap(), "written by a task");
    drop(rescue);
}

/// A reader that waits for its data (as a pipe does) until the test
/// lets it go, then gives `data` once.
struct Gate {
    open: std::sync::mpsc::Receiver<()>,
    data: Option<&'static [u8]>,
}

impl std::io::Read for Gate {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(data) = self.data.take() else {
            return Ok(0);
        };
        // Bounded, so a broken build fails rather than hangs.
        self.open
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "never let go"))?;
        buf[..data.len()].copy_from_slice(data);
        Ok(data.len())
    }
}

/// More async uploads from waiting readers than the blocking pool has
/// threads, over HTTP and to `file:` URLs: a fetch that needs the pool (a
/// local file read) still goes through while they all wait.
#[test]
fn async_uploads_from_waiting_readers_leave_the_blocking_pool_free() {
    let server = Server::respond(|request, _| (ok(&request.body.len().to_string()), false));
    let dir = TempDir::new("fetch-waiting-readers");
    std::fs::write(dir.path().join("read.txt"), "read while they wait").unwrap();
    let read_url = url::Url::from_file_path(dir.path().join("read.txt")).unwrap();
    let fetcher = fetcher();
    let mut gates = Vec::new();
    let uploads: Vec<_> = (0..sockets::MAX_BLOCKING_THREADS + 1)
        .map(|i| {
            let (open, wait) = std::sync::mpsc::channel();
            gates.push(open);
            let target = match i % 2 {
                0 => server.url(&format!("/up/{i}")),
                _ => url::Url::from_file_path(dir.path().join(format!("up-{i}")))
                    .unwrap()
                    .to_string(),
            };
            let gate = Gate {
                open: wait,
                data: Some(b"uploaded"),
            };
            fetcher.request(&target).upload_reader(gate).send_async()
        })
        .collect();
    let (uploaded, read) = sockets::block_on(async {
        futures::join!(futures::future::join_all(uploads), async {
            // Every upload is waiting on its reader by now.
            sockets::sleep(Duration::from_millis(200)).await;
            let read = fetcher.download_string_async(read_url.as_str()).await;
            for gate in &gates {
                let _ = gate.send(());
            }
            read
        })
    });
    assert_eq!(read.unwrap(), "read while they wait");
    for (i, response) in uploaded.into_iter().enumerate() {
        let response = response.unwrap_or_else(|e| panic!("upload {i}: {e}"));
        if i % 2 == 0 {
            let body = sockets::block_on(response.text()).unwrap();
            assert_eq!(body, "8");
        }
    }
    for i in (1..=sockets::MAX_BLOCKING_THREADS).step_by(2) {
        let written = std::fs::read(dir.path().join(format!("up-{i}"))).unwrap();
        assert_eq!(written, b"uploaded");
    }
}
