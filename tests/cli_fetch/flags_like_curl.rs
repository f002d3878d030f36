//! The flags netstack fetch shares with curl, side by side with curl: the
//! same command line (and standard input, and proxy environment) against
//! the same loopback peer, compared byte for byte (stdout) and by exit code.

use super::*;

/// The proxy variables, cleared for every run here before any is set.
const PROXY_VARIABLES: &[&str] = &[
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// Runs `program ARGS` in the temporary directory with `input` on its
/// standard input and `env` set (the proxy variables cleared first),
/// killed (and the test failed) after 60 s.
fn run_with(program: &str, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in PROXY_VARIABLES {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    let mut child = command.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{program} {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = writer.join();
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// `netstack fetch ARGS` with `input` and `env`.
pub(super) fn ours(args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Output {
    let mut all = vec!["fetch"];
    all.extend_from_slice(args);
    run_with(env!("CARGO_BIN_EXE_netstack"), &all, input, env)
}

/// Runs netstack fetch and curl with the same arguments, standard input
/// and environment; both must print the same bytes and exit with the same
/// code. Returns netstack's output.
pub(super) fn like_curl_with(args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Output {
    let netstack = ours(args, input, env);
    let curl = run_with("curl", args, input, env);
    same_as_curl(args, netstack, &curl)
}

pub(super) fn like_curl(args: &[&str]) -> Output {
    like_curl_with(args, b"", &[])
}

/// What the server received: the request line, the fields that curl and
/// netstack both send only when told to, and the body.
fn echo_fields(mut request: Request) -> Response {
    // `/redirect-to-NAME` sends the client on to `/NAME`.
    if let Some(name) = request.uri().path().strip_prefix("/redirect-to-") {
        return http::Response::builder()
            .status(302)
            .header("Location", format!("/{name}"))
            .body(ResponseBody::empty())
            .unwrap();
    }
    // A tool's own User-Agent shows as `(default)`.
    let mut out = format!("{} {}\n", request.method(), request.uri());
    for name in [
        "host",
        "user-agent",
        "referer",
        "range",
        "content-type",
        "accept",
        "expect",
    ] {
        for value in request.headers().get_all(name) {
            let value = value.to_str().unwrap_or("?");
            let default = name == "user-agent"
                && (value.starts_with("curl/") || value.starts_with("netstack/"));
            let value = if default { "(default)" } else { value };
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
    out.push_str("body=");
    let mut body = out.into_bytes();
    body.extend(request.body_mut().read_all(4 << 20).unwrap());
    text(200, body)
}

pub(super) fn echo_server() -> HttpServer {
    HttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default(), echo_fields).unwrap()
}

pub(super) fn port_of(server: &HttpServer) -> u16 {
    server.local_endpoint().as_ip().unwrap().port()
}

#[test]
fn user_agent_and_referer() {
    let server = echo_server();
    let url = url(&server, "/ua");
    let out = like_curl(&["-s", "-A", "probe/1.0", "-e", "http://from.test/page", &url]);
    assert!(stdout(&out).contains("\nuser-agent: probe/1.0\nreferer: http://from.test/page\n"));
    // An empty agent sends none.
    let out = like_curl(&["-s", "-A", "", &url]);
    assert!(!stdout(&out).contains("user-agent"), "{}", stdout(&out));
    let out = like_curl(&["-s", &url]);
    assert!(
        stdout(&out).contains("user-agent: (default)\n"),
        "{}",
        stdout(&out)
    );
    // ;auto: each redirect of -L sends the URL it came from.
    let hop = url.replace("/ua", "/redirect-to-ua");
    let out = like_curl(&["-s", "-L", "-e", "http://from.test/;auto", &hop]);
    assert!(
        stdout(&out).contains(&format!("\nreferer: {hop}\n")),
        "{}",
        stdout(&out)
    );
    let out = like_curl(&["-s", "-L", "-e", ";auto", &hop]);
    assert!(
        stdout(&out).contains(&format!("\nreferer: {hop}\n")),
        "{}",
        stdout(&out)
    );
    let out = like_curl(&["-s", "-e", "http://from.test/;auto", &url]);
    assert!(stdout(&out).contains("\nreferer: http://from.test/\n"));
}

#[test]
fn urls_from_url_flags_keep_their_place_and_a_scheme_is_guessed() {
    let server = echo_server();
    let (first, second) = (url(&server, "/first"), url(&server, "/second"));
    let out = like_curl(&["-s", "--url", &first, &second, "--url", &first]);
    assert_eq!(stdout(&out).matches("/first").count(), 2);
    let text = stdout(&out);
    let (a, b) = (text.find("/first").unwrap(), text.find("/second").unwrap());
    assert!(a < b, "{text}");
    // No URL at all.
    like_curl(&["-s"]);
    // Without a scheme: http://.
    let bare = format!("127.0.0.1:{}/bare", port_of(&server));
    let out = like_curl(&["-s", &bare]);
    assert!(stdout(&out).starts_with("GET /bare\n"), "{}", stdout(&out));
}

#[test]
fn get_puts_the_data_in_the_query() {
    let server = echo_server();
    let out = like_curl(&[
        "-s",
        "-G",
        "-d",
        "a=1",
        "--data-urlencode",
        "b=x y",
        &url(&server, "/p?q=0"),
    ]);
    assert!(
        stdout(&out).starts_with("GET /p?q=0&a=1&b=x+y\n"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).ends_with("body="), "{}", stdout(&out));
    let out = like_curl(&["-s", "-G", "-d", "a=1", &url(&server, "/p")]);
    assert!(stdout(&out).starts_with("GET /p?a=1\n"), "{}", stdout(&out));
}

#[test]
fn data_pieces_join_in_command_line_order() {
    let server = echo_server();
    let dir = TempDir::new("data-order");
    let file = arg_in(&dir, "lines.txt");
    std::fs::write(&file, "l1\nl2 é\r\n").unwrap();
    let target = url(&server, "/post");
    let out = like_curl(&[
        "-s",
        "--data-binary",
        "b",
        "-d",
        "a",
        "-d",
        &format!("@{file}"),
        "--data-raw",
        "@raw",
        &target,
    ]);
    assert!(stdout(&out).starts_with("POST /post\n"), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("body=b&a&l1l2 é&@raw"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("content-type: application/x-www-form-urlencoded\n"));
}

#[test]
fn data_urlencode_has_curls_five_forms() {
    let server = echo_server();
    let dir = TempDir::new("urlencode");
    let file = arg_in(&dir, "content.txt");
    std::fs::write(&file, "l1\nl2 é*~").unwrap();
    let out = like_curl(&[
        "-s",
        "--data-urlencode",
        "c d",
        "--data-urlencode",
        "=e&f",
        "--data-urlencode",
        "n=v w/+",
        "--data-urlencode",
        &format!("@{file}"),
        "--data-urlencode",
        &format!("m@{file}"),
        &url(&server, "/enc"),
    ]);
    assert!(
        stdout(&out)
            .ends_with("body=c+d&e%26f&n=v+w%2F%2B&l1%0Al2+%C3%A9%2A~&m=l1%0Al2+%C3%A9%2A~"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn json_sets_its_headers_and_reads_files() {
    let server = echo_server();
    let dir = TempDir::new("json");
    let file = arg_in(&dir, "more.json");
    std::fs::write(&file, "[2]\n").unwrap();
    let out = like_curl(&[
        "-s",
        "--json",
        r#"{"a":1}"#,
        "--json",
        &format!("@{file}"),
        &url(&server, "/json"),
    ]);
    let text = stdout(&out);
    assert!(text.starts_with("POST /json\n"), "{text}");
    assert!(
        text.contains("content-type: application/json\naccept: application/json\n"),
        "{text}"
    );
    assert!(text.ends_with("body={\"a\":1}[2]\n"), "{text}");
    // -H wins over --json's own fields.
    let out = like_curl(&[
        "-s",
        "--json",
        "{}",
        "-H",
        "Accept: text/x",
        &url(&server, "/j"),
    ]);
    assert!(
        stdout(&out).contains("accept: text/x\n"),
        "{}",
        stdout(&out)
    );
    assert!(
        !stdout(&out).contains("accept: application/json"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn at_minus_reads_standard_input() {
    let server = echo_server();
    let target = url(&server, "/stdin");
    let input = b"one\ntwo & three\n";
    let out = like_curl_with(&["-s", "-d", "@-", &target], input, &[]);
    assert!(
        stdout(&out).ends_with("body=onetwo & three"),
        "{}",
        stdout(&out)
    );
    let out = like_curl_with(&["-s", "--data-binary", "@-", &target], input, &[]);
    assert!(
        stdout(&out).ends_with("body=one\ntwo & three\n"),
        "{}",
        stdout(&out)
    );
    let out = like_curl_with(&["-s", "--data-urlencode", "t@-", &target], input, &[]);
    assert!(
        stdout(&out).ends_with("body=t=one%0Atwo+%26+three%0A"),
        "{}",
        stdout(&out)
    );
    let out = like_curl_with(&["-s", "--json", "@-", &target], b"{\"k\":true}", &[]);
    assert!(
        stdout(&out).ends_with("body={\"k\":true}"),
        "{}",
        stdout(&out)
    );
    let out = like_curl_with(&["-s", "-T", "-", &target], input, &[]);
    assert!(stdout(&out).starts_with("PUT /stdin\n"), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("body=one\ntwo & three\n"),
        "{}",
        stdout(&out)
    );
    // -w @- reads the format.
    let out = like_curl_with(
        &["-s", "-o", "/dev/null", "-w", "@-", &target],
        b"[%{http_code}]",
        &[],
    );
    assert_eq!(stdout(&out), "[200]");
}

#[test]
fn range_asks_for_bytes() {
    let server = echo_server();
    let out = like_curl(&["-s", "-r", "0-99", &url(&server, "/r")]);
    assert!(
        stdout(&out).contains("\nrange: bytes=0-99\n"),
        "{}",
        stdout(&out)
    );
    let out = like_curl(&["-s", "-r", "-500", &url(&server, "/r")]);
    assert!(
        stdout(&out).contains("\nrange: bytes=-500\n"),
        "{}",
        stdout(&out)
    );
}

/// `/a` redirects to `/b`, which answers; heads of their own, as received.
fn redirecting(mut stream: TcpStream) {
    loop {
        let head = read_head(&mut stream);
        if head.is_empty() {
            return;
        }
        let reply: &[u8] = if head.starts_with("GET /a ") {
            b"HTTP/1.1 302 Found\r\nlocation: /b\r\nContent-Length: 0\r\nX-Hop: one\r\n\r\n"
        } else {
            b"HTTP/1.1 404 Not Here\r\ncontent-type: text/plain\r\nContent-Length: 5\r\nX-Hop: two\r\n\r\nnope\n"
        };
        if stream.write_all(reply).is_err() {
            return;
        }
    }
}

#[test]
fn dump_header_writes_every_head_as_received() {
    let server = Crafted::start(redirecting);
    let out = like_curl(&["-s", "-D", "-", &server.url("/b")]);
    assert!(
        stdout(&out).starts_with("HTTP/1.1 404 Not Here\r\n"),
        "{}",
        stdout(&out)
    );
    let out = like_curl(&["-s", "-L", "-D", "-", "-o", "/dev/null", &server.url("/a")]);
    assert!(
        stdout(&out).contains("X-Hop: one\r\n\r\nHTTP/1.1 404"),
        "{}",
        stdout(&out)
    );
    // To a file.
    let dir = TempDir::new("dump-header");
    let (mine, theirs) = (arg_in(&dir, "netstack.txt"), arg_in(&dir, "curl.txt"));
    let netstack = ours(&["-s", "-L", "-D", &mine, &server.url("/a")], b"", &[]);
    let curl = run_with(
        "curl",
        &["-s", "-L", "-D", &theirs, &server.url("/a")],
        b"",
        &[],
    );
    assert_eq!(code(&netstack), code(&curl));
    assert_eq!(stdout(&netstack), stdout(&curl));
    assert_eq!(
        std::fs::read(&mine).unwrap(),
        std::fs::read(&theirs).unwrap()
    );
}

#[test]
fn fail_with_body_writes_the_body_and_exits_22() {
    let server = http_server();
    let out = like_curl(&["-s", "--fail-with-body", &url(&server, "/missing")]);
    assert_eq!(code(&out), 22);
    assert_eq!(stdout(&out), "nope");
    like_curl(&["-s", "--fail-with-body", &url(&server, "/hello")]);
    like_curl(&["-s", "-f", "--fail-with-body", &url(&server, "/hello")]);
}

#[test]
fn create_dirs_makes_the_output_directories() {
    let server = http_server();
    let dir = TempDir::new("create-dirs");
    let target = url(&server, "/hello");
    for (name, program) in [("netstack", None), ("curl", Some("curl"))] {
        let path = arg_in(&dir, &format!("{name}/a/b/out.txt"));
        let plain = match program {
            None => ours(&["-s", "-o", &path, &target], b"", &[]),
            Some(curl) => run_with(curl, &["-s", "-o", &path, &target], b"", &[]),
        };
        assert_eq!(code(&plain), 23, "{name} without --create-dirs");
        let made = match program {
            None => ours(&["-s", "--create-dirs", "-o", &path, &target], b"", &[]),
            Some(curl) => run_with(
                curl,
                &["-s", "--create-dirs", "-o", &path, &target],
                b"",
                &[],
            ),
        };
        assert_eq!(code(&made), 0, "{name}: {}", stderr(&made));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello world");
    }
}

#[test]
fn ip_versions_choose_the_addresses_of_a_name() {
    // The server listens on IPv4 only; the name has an address of each version.
    let server = echo_server();
    let port = port_of(&server);
    let by_name = format!("http://dual.test:{port}/v");
    let both = format!("dual.test:{port}:[::1],127.0.0.1");
    let out = like_curl(&["-s", "-4", "--resolve", &both, &by_name]);
    assert!(stdout(&out).starts_with("GET /v\n"), "{}", stdout(&out));
    let out = like_curl(&["-s", "-6", "--resolve", &both, &by_name]);
    assert_eq!(code(&out), 7);
    // No address of that version: the name did not resolve.
    let v4 = format!("dual.test:{port}:127.0.0.1");
    let out = like_curl(&["-s", "-6", "--resolve", &v4, &by_name]);
    assert_eq!(code(&out), 6);
    // `localhost` names have both loopback addresses, whatever the hosts
    // file says (RFC 6761): over IPv6 the connection is refused.
    let out = like_curl(&["-s", "-6", &format!("http://localhost:{port}/v")]);
    assert_eq!(code(&out), 7);
    let out = like_curl(&["-s", &format!("http://app.localhost:{port}/v")]);
    assert!(stdout(&out).starts_with("GET /v\n"), "{}", stdout(&out));
    // An IP literal of the other version cannot be connected to.
    like_curl(&["-s", "-4", &format!("http://[::1]:{port}/v")]);
    let out = ours(
        &[
            "-s",
            "-4",
            "-o",
            "/dev/null",
            "-w",
            "%{remote_ip}",
            "--resolve",
            &both,
            &by_name,
        ],
        b"",
        &[],
    );
    assert_eq!(stdout(&out), "127.0.0.1");
}

#[test]
fn resolve_connects_elsewhere_and_keeps_the_name() {
    let server = echo_server();
    let port = port_of(&server);
    let entry = format!("origin.test:{port}:127.0.0.1");
    let out = like_curl(&[
        "-s",
        "--resolve",
        &entry,
        &format!("http://origin.test:{port}/r"),
    ]);
    assert!(
        stdout(&out).contains(&format!("\nhost: origin.test:{port}\n")),
        "{}",
        stdout(&out)
    );
    // A malformed entry.
    like_curl(&["-s", "--resolve", "origin.test:80", &url(&server, "/r")]);

    // HTTPS: the certificate is checked against the name, not the address.
    let dir = TempDir::new("resolve-tls");
    let cert = testkit::cert::self_signed(&["origin.test"]);
    let pem = arg_in(&dir, "origin.pem");
    std::fs::write(&pem, &cert.cert).unwrap();
    let tls = TlsServerConfig::builder()
        .certificate_pem(&cert.cert, &cert.key)
        .alpn_protocols(["http/1.1"])
        .build()
        .unwrap();
    let https = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().tls(tls),
        echo_fields,
    )
    .unwrap();
    let port = port_of(&https);
    let entry = format!("origin.test:{port}:127.0.0.1");
    let target = format!("https://origin.test:{port}/secure");
    let out = like_curl(&["-s", "--cacert", &pem, "--resolve", &entry, &target]);
    assert!(
        stdout(&out).starts_with("GET /secure\n"),
        "{}",
        stdout(&out)
    );
    let out = ours(
        &[
            "-s",
            "-o",
            "/dev/null",
            "--cacert",
            &pem,
            "--resolve",
            &entry,
            "-w",
            "%{time_connect} %{time_appconnect} %{time_starttransfer}",
            &target,
        ],
        b"",
        &[],
    );
    let times: Vec<f64> = stdout(&out)
        .split(' ')
        .map(|t| t.parse().unwrap())
        .collect();
    assert!(
        times[0] > 0.0 && times[0] <= times[1] && times[1] <= times[2],
        "{times:?}"
    );
}

/// A forward proxy that answers every request with the line it received.
fn proxy(mut stream: TcpStream) {
    let head = read_head(&mut stream);
    let line = head.lines().next().unwrap_or("").to_string();
    let body = format!("via proxy: {line}\n");
    let _ = stream.write_all(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
}

#[test]
fn proxies_come_from_the_environment_as_curl_reads_it() {
    let proxy = Crafted::start(proxy);
    let proxy_url = proxy.url("");
    let server = echo_server();
    let direct = url(&server, "/direct");
    let via = |env: &[(&str, &str)], args: &[&str]| {
        let mut all = vec!["-s"];
        all.extend_from_slice(args);
        all.push(&direct);
        stdout(&like_curl_with(&all, b"", env))
    };
    assert!(via(&[("http_proxy", &proxy_url)], &[]).starts_with("via proxy: GET http://127.0.0.1"));
    assert!(via(&[("ALL_PROXY", &proxy_url)], &[]).starts_with("via proxy: "));
    assert!(via(&[("all_proxy", &proxy_url)], &[]).starts_with("via proxy: "));
    // Upper-case HTTP_PROXY is not read, as in curl.
    assert!(via(&[("HTTP_PROXY", &proxy_url)], &[]).starts_with("GET /direct"));
    // https_proxy is for https URLs only.
    assert!(via(&[("https_proxy", &proxy_url)], &[]).starts_with("GET /direct"));
    // no_proxy, --noproxy and -x "" bypass it.
    let proxied = [
        ("http_proxy", proxy_url.as_str()),
        ("NO_PROXY", "127.0.0.1"),
    ];
    assert!(via(&proxied, &[]).starts_with("GET /direct"));
    let proxied = [
        ("http_proxy", proxy_url.as_str()),
        ("no_proxy", "other.test"),
    ];
    assert!(via(&proxied, &[]).starts_with("via proxy: "));
    assert!(via(&proxied, &["--noproxy", "127.0.0.1"]).starts_with("GET /direct"));
    assert!(via(&proxied, &["-x", ""]).starts_with("GET /direct"));
    assert!(via(&[], &["-x", &proxy_url]).starts_with("via proxy: "));
}

#[test]
fn write_out_variables_match_curl() {
    let server = Crafted::start(redirecting);
    let dir = TempDir::new("write-out");
    let format = arg_in(&dir, "format.txt");
    std::fs::write(
        &format,
        "%{http_code} %{response_code} %{content_type} %{size_download} %{size_header} \
         %{num_redirects} %{url_effective} %{remote_ip} %{remote_port} %{exitcode} \
         %{http_version} %{num_headers} [%header{x-hop}] [%header{absent}]\\n",
    )
    .unwrap();
    let format_arg = format!("@{format}");
    let out = like_curl(&[
        "-s",
        "-L",
        "-o",
        "/dev/null",
        "-w",
        &format_arg,
        &server.url("/a"),
    ]);
    assert!(
        stdout(&out).starts_with("404 404 text/plain 5 "),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(" 1 http://127.0.0.1:"),
        "{}",
        stdout(&out)
    );
    // An unknown variable prints nothing and is warned about.
    let out = like_curl(&[
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "<%{nope}>",
        &server.url("/b"),
    ]);
    assert_eq!(stdout(&out), "<>");
    assert!(
        stderr(&out).contains("unknown --write-out variable: 'nope'"),
        "{}",
        stderr(&out)
    );
    // A failure's code and message.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://127.0.0.1:{}/", closed.local_addr().unwrap().port());
    drop(closed);
    let out = like_curl(&["-s", "-w", "%{exitcode} %{http_code}", &gone]);
    assert_eq!(stdout(&out), "7 000");
    let out = ours(&["-s", "-w", "%{errormsg}", &gone], b"", &[]);
    assert!(!stdout(&out).is_empty());
}

#[test]
fn write_out_times_are_the_fetchers_and_plausible() {
    let server = http_server();
    let out = fetch_expect(
        0,
        &[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} \
             %{time_total} %{speed_download}",
            &format!("http://localhost:{}/big", port_of(&server)),
        ],
    );
    let values: Vec<f64> = stdout(&out)
        .split(' ')
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{}", stdout(&out))))
        .collect();
    let [lookup, connect, appconnect, start, total, speed] = values[..] else {
        panic!("{}", stdout(&out));
    };
    assert!(lookup > 0.0 && lookup <= connect, "{values:?}");
    assert_eq!(appconnect, 0.0, "no TLS");
    assert!(connect <= start && start <= total, "{values:?}");
    // Bytes per second over the whole time (printed rounded to the microsecond).
    let expected = 2_000_000.0 / total;
    assert!((speed - expected).abs() <= expected / 100.0, "{values:?}");
    let text = stdout(&out);
    let printed: Vec<&str> = text.split(' ').collect();
    for time in &printed[..5] {
        assert_eq!(
            time.split_once('.').map(|(_, f)| f.len()),
            Some(6),
            "{time}"
        );
    }
    assert!(!printed[5].contains('.'), "bytes per second are whole");
}

#[test]
fn write_out_json_agrees_with_curls() {
    let server = Crafted::start(redirecting);
    let args = [
        "-s",
        "-L",
        "-o",
        "/dev/null",
        "-w",
        "%{json}",
        &server.url("/a"),
    ];
    let netstack = ours(&args, b"", &[]);
    let curl = run_with("curl", &args, b"", &[]);
    let parse = |out: &Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
    };
    let (ours, theirs) = (parse(&netstack), parse(&curl));
    for key in [
        "content_type",
        "errormsg",
        "exitcode",
        "http_code",
        "http_version",
        "num_headers",
        "num_redirects",
        "remote_ip",
        "remote_port",
        "response_code",
        "scheme",
        "size_download",
        "size_header",
        "size_upload",
        "url",
        "url_effective",
        "urlnum",
    ] {
        assert_eq!(ours[key], theirs[key], "{key}: {ours} / {theirs}");
    }
    for key in [
        "time_connect",
        "time_namelookup",
        "time_starttransfer",
        "time_total",
    ] {
        assert!(ours[key].as_f64().is_some_and(|t| t > 0.0), "{key}: {ours}");
    }
}

#[test]
fn a_missing_url_shows_under_silent_as_in_curl() {
    let curl = run_with("curl", &["-s"], b"", &[]);
    assert_eq!(code(&curl), 2);
    assert!(
        stderr(&curl).contains("no URL specified"),
        "{}",
        stderr(&curl)
    );
    let out = ours(&["-s"], b"", &[]);
    assert_eq!(code(&out), 2);
    assert_eq!(stderr(&out), "netstack fetch: (2) no URL specified\n");
}
