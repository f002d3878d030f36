//! Interoperability with a real peer: OpenSSL's `s_server` as the server for
//! netstack's TLS client, and `s_client` as the client of netstack's TLS
//! server, over TLS 1.2 and 1.3, in both modes. `openssl` must be on the
//! PATH (or named by `NETSTACK_OPENSSL`): without it these tests fail.

mod tls_support;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::thread;

use testkit::peer::{Peer, PeerCommand, Readiness};
use testkit::{Mode, MODES};

use transport::tls::{ClientAuth, TlsClientConfig, TlsServerConfig, TlsStream, TlsVersion};
use transport::{NetworkStream, TcpClient, TcpListener};

use testkit::cert::pki;
use tls_support::{block_on_bounded, write_file, WAIT};

/// The openssl binary; fails the test with a clear message when it is missing.
fn openssl() -> String {
    let program = std::env::var("NETSTACK_OPENSSL").unwrap_or_else(|_| "openssl".to_string());
    match Command::new(&program).arg("version").output() {
        Ok(out) if out.status.success() => program,
        Ok(out) => panic!(
            "`{program} version` failed ({}): the TLS interop tests need OpenSSL's command-line tool",
            out.status
        ),
        Err(e) => panic!(
            "cannot run `{program}` ({e}): the TLS interop tests need OpenSSL's command-line tool \
             (install the `openssl` package, or set NETSTACK_OPENSSL to its path)"
        ),
    }
}

fn version_flag(version: TlsVersion) -> &'static str {
    match version {
        TlsVersion::Tls12 => "-tls1_2",
        _ => "-tls1_3",
    }
}

/// An openssl peer named `name` in messages, its output collected, its
/// stdin a pipe (kept open until it is dropped), every wait bounded by [`WAIT`].
fn openssl_peer(name: &str) -> PeerCommand {
    PeerCommand::new(openssl())
        .name(name)
        .install("apt-get install -y openssl")
        .piped_stdin()
        .ready_within(WAIT)
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
    listener.stop();
    port
}

/// Connects to `port`, retrying until the server listens (bounded).
fn connect_when_ready(port: u16, server: &mut Peer) -> NetworkStream {
    let listening = format!("listening on {port}");
    server
        .wait_ready(&listening, || {
            match TcpClient::connect_endpoint(([127, 0, 0, 1], port)) {
                Ok(client) => Readiness::Ready(client.into_stream()),
                Err(e) => Readiness::NotYet(e.to_string()),
            }
        })
        .inspect(|stream| {
            stream.set_read_timeout(Some(WAIT)).unwrap();
            stream.set_write_timeout(Some(WAIT)).unwrap();
        })
        .unwrap_or_else(|e| panic!("openssl s_server: {e}"))
}

struct Files {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

/// The PKI as PEM files, written once per test binary (the tests run in
/// parallel and must not rewrite a file another openssl is reading).
fn files() -> &'static Files {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let p = pki();
        Files {
            ca: write_file("interop-ca.pem", &p.ca.cert),
            cert: write_file("interop-localhost.pem", &p.localhost.cert),
            key: write_file("interop-localhost.key", &p.localhost.key),
            client_cert: write_file("interop-client.pem", &p.client.cert),
            client_key: write_file("interop-client.key", &p.client.key),
        }
    })
}

/// Starts `openssl s_server -rev` (it sends each line back reversed).
fn s_server(version: TlsVersion, files: &Files, require_client_cert: bool) -> (Peer, u16) {
    let port = free_port();
    let mut cmd = openssl_peer("openssl s_server")
        .arg("s_server")
        .arg("-accept")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&files.cert)
        .arg("-key")
        .arg(&files.key)
        .arg(version_flag(version))
        .arg("-alpn")
        .arg("http/1.1")
        .arg("-rev");
    if require_client_cert {
        cmd = cmd.arg("-Verify").arg("1").arg("-CAfile").arg(&files.ca);
    }
    (cmd.spawn(), port)
}

/// Sends `hello\n` through `tls` and reads until the reversed line comes back.
fn talk_to_rev_server(mode: Mode, tls: &mut TlsStream<NetworkStream>) -> String {
    let mut reply = Vec::new();
    let mut buf = [0u8; 256];
    match mode {
        Mode::Sync => {
            tls.write_all(b"hello\n").unwrap();
            tls.flush().unwrap();
            while !reply.ends_with(b"\n") {
                let n = tls.read(&mut buf).unwrap();
                assert_ne!(n, 0, "s_server closed early");
                reply.extend_from_slice(&buf[..n]);
            }
            tls.shutdown().unwrap();
        }
        Mode::Async => block_on_bounded(async {
            tls.write_all_async(b"hello\n").await.unwrap();
            while !reply.ends_with(b"\n") {
                let n = tls.read_async(&mut buf).await.unwrap();
                assert_ne!(n, 0, "s_server closed early");
                reply.extend_from_slice(&buf[..n]);
            }
            tls.shutdown_async().await.unwrap();
        }),
    }
    String::from_utf8(reply).unwrap()
}

#[test]
fn netstack_client_talks_to_openssl_s_server() {
    let files = files();
    let config = TlsClientConfig::builder()
        .add_root_certificates_pem_file(&files.ca)
        .alpn_protocols(["h2", "http/1.1"])
        .build()
        .unwrap();
    for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
        for mode in MODES {
            let (mut server, port) = s_server(version, files, false);
            let stream = connect_when_ready(port, &mut server);
            let mut tls = match mode {
                Mode::Sync => TlsStream::connect(&config, "localhost", stream),
                Mode::Async => {
                    block_on_bounded(TlsStream::connect_async(&config, "localhost", stream))
                }
            }
            .unwrap_or_else(|e| {
                panic!(
                    "{version} {mode:?}: {e}; s_server said:\n{}",
                    server.output()
                )
            });
            assert_eq!(tls.protocol_version(), Some(version));
            assert_eq!(tls.alpn_protocol(), Some(&b"http/1.1"[..]));
            assert!(tls.cipher_suite().is_some());
            let reply = talk_to_rev_server(mode, &mut tls);
            assert_eq!(reply.trim_end(), "olleh", "{version} {mode:?}");
            // Each awaited on its own: s_server's stdout and stderr are read
            // by two threads, so one line may show before an earlier one.
            server.wait_for_output(&format!("Protocol version: {version}"));
            server.wait_for_output("CONNECTION ESTABLISHED");
        }
    }
}

#[test]
fn netstack_client_presents_its_certificate_to_openssl() {
    let files = files();
    let config = TlsClientConfig::builder()
        .add_root_certificates_pem_file(&files.ca)
        .client_certificate_pem_files(&files.client_cert, &files.client_key)
        .build()
        .unwrap();
    for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
        let (mut server, port) = s_server(version, files, true);
        let stream = connect_when_ready(port, &mut server);
        let mut tls = TlsStream::connect(&config, "localhost", stream)
            .unwrap_or_else(|e| panic!("{version}: {e}; s_server said:\n{}", server.output()));
        let reply = talk_to_rev_server(Mode::Sync, &mut tls);
        assert_eq!(reply.trim_end(), "olleh", "{version}");
        server.wait_for_output("netstack client");
        server.wait_for_output("verify return:1");
    }
}

// The bundled roots are the `webpki-roots` feature (CI runs these tests with every feature).
#[cfg(feature = "webpki-roots")]
#[test]
fn netstack_client_rejects_openssl_with_an_untrusted_certificate() {
    // s_server presents the test CA's leaf, but this client trusts only the bundled roots.
    let files = files();
    let config = TlsClientConfig::builder()
        .bundled_roots(true)
        .build()
        .unwrap();
    let (mut server, port) = s_server(TlsVersion::Tls13, files, false);
    let stream = connect_when_ready(port, &mut server);
    let err = TlsStream::connect(&config, "localhost", stream).unwrap_err();
    assert!(
        matches!(err, transport::tls::TlsError::UnknownIssuer { .. }),
        "{err:?}"
    );
}

/// What the netstack server saw of an `s_client` session.
struct Seen {
    version: Option<TlsVersion>,
    sni: Option<String>,
    alpn: Option<String>,
    client_subject: Option<String>,
}

/// Runs `openssl s_client` against a netstack server; the server reads one
/// line, answers `echo: <line>`, and closes with close_notify. Returns
/// s_client's output, whether it exited successfully, and what the server saw.
fn s_client_session(
    version: TlsVersion,
    mode: Mode,
    server_config: TlsServerConfig,
    client_cert: bool,
) -> (String, bool, Seen) {
    let files = files();
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(4).unwrap();
    let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
    let server = thread::spawn(move || {
        let stream = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        let mut line = Vec::new();
        let mut buf = [0u8; 256];
        let tls = match mode {
            Mode::Sync => {
                let mut tls = TlsStream::accept(&server_config, stream).unwrap();
                while !line.ends_with(b"\n") {
                    let n = tls.read(&mut buf).unwrap();
                    assert_ne!(n, 0, "s_client closed early");
                    line.extend_from_slice(&buf[..n]);
                }
                tls.write_all(b"echo: ").unwrap();
                tls.write_all(&line).unwrap();
                tls.shutdown().unwrap();
                // A graceful close: wait for s_client to close too before
                // the socket goes, or its last packets would meet a reset.
                while matches!(tls.read(&mut buf), Ok(n) if n > 0) {}
                tls
            }
            Mode::Async => block_on_bounded(async {
                let mut tls = TlsStream::accept_async(&server_config, stream)
                    .await
                    .unwrap();
                while !line.ends_with(b"\n") {
                    let n = tls.read_async(&mut buf).await.unwrap();
                    assert_ne!(n, 0, "s_client closed early");
                    line.extend_from_slice(&buf[..n]);
                }
                tls.write_all_async(b"echo: ").await.unwrap();
                tls.write_all_async(&line).await.unwrap();
                tls.shutdown_async().await.unwrap();
                while matches!(tls.read_async(&mut buf).await, Ok(n) if n > 0) {}
                tls
            }),
        };
        Seen {
            version: tls.protocol_version(),
            sni: tls.server_name().map(str::to_string),
            alpn: tls
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            client_subject: tls.peer_certificate().map(|c| c.subject),
        }
    });
    let mut cmd = openssl_peer("openssl s_client")
        .arg("s_client")
        .arg("-connect")
        .arg(format!("127.0.0.1:{port}"))
        .arg("-servername")
        .arg("localhost")
        .arg("-CAfile")
        .arg(&files.ca)
        .arg("-verify_return_error")
        .arg(version_flag(version))
        .arg("-alpn")
        .arg("http/1.1")
        .arg("-quiet");
    if client_cert {
        cmd = cmd
            .arg("-cert")
            .arg(&files.client_cert)
            .arg("-key")
            .arg(&files.client_key);
    }
    let mut client = cmd.spawn();
    {
        let mut stdin = client.take_stdin();
        stdin.write_all(b"hello\n").unwrap();
        // Dropped: with -quiet, s_client ignores the end of its input and
        // runs until the server closes the session.
    }
    client.wait_for_output("echo: hello");
    let ok = client.wait_exit().success();
    // s_client's verification lines go to stderr: all of its output.
    let out = client.wait_output_end();
    let seen = server.join().expect("netstack server panicked");
    (out, ok, seen)
}

#[test]
fn openssl_s_client_talks_to_netstack_server() {
    let p = pki();
    let config = TlsServerConfig::builder()
        .certificate_pem(&p.localhost.cert, &p.localhost.key)
        .alpn_protocols(["http/1.1"])
        .build()
        .unwrap();
    for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
        for mode in MODES {
            let (out, ok, seen) = s_client_session(version, mode, config.clone(), false);
            assert!(ok, "{version} {mode:?}: s_client failed:\n{out}");
            assert!(out.contains("verify return:1"), "{out}");
            assert_eq!(seen.version, Some(version), "{mode:?}");
            assert_eq!(seen.sni.as_deref(), Some("localhost"));
            assert_eq!(seen.alpn.as_deref(), Some("http/1.1"));
            assert_eq!(seen.client_subject, None);
        }
    }
}

#[test]
fn openssl_s_client_presents_a_client_certificate_to_netstack_server() {
    let p = pki();
    let config = TlsServerConfig::builder()
        .certificate_pem(&p.localhost.cert, &p.localhost.key)
        .client_auth(ClientAuth::Required)
        .add_client_root_certificates_pem(&p.ca.cert)
        .build()
        .unwrap();
    for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
        let (out, ok, seen) = s_client_session(version, Mode::Async, config.clone(), true);
        assert!(ok, "{version}: s_client failed:\n{out}");
        let subject = seen
            .client_subject
            .expect("the server saw a client certificate");
        assert!(subject.contains("CN=netstack client"), "{subject}");
    }
}
