//! The HTTP client ends every TLS connection it lets go with `close_notify`
//! (as curl does): a response that closes the connection, a pooled
//! connection evicted, the client dropped; in both modes. A server that
//! reads after its response sees a clean end of the TLS stream, never a
//! bare TCP close (`TlsError::Truncated`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use protocols::http::client::{ClientBuilder, Response};
use transport::tls::{TlsClientConfig, TlsError, TlsServerConfig, TlsStream};
use transport::StaticResolver;

testkit::executor_block_on!(sockets::block_on);

/// How the server saw the client's end of a connection.
#[derive(Debug, PartialEq, Eq)]
enum End {
    CloseNotify,
    Truncated,
    Other(String),
}

/// A one-connection HTTPS server: answers one request (keep-alive or
/// not), then reads until the client ends the connection and reports how.
fn serve_one(keep_alive: bool) -> (u16, String, mpsc::Receiver<End>) {
    let pem = testkit::cert::self_signed(&["localhost"]);
    let cert_pem = pem.cert.clone();
    let config = TlsServerConfig::builder()
        .certificate_pem(&pem.cert, &pem.key)
        .alpn_protocols(["http/1.1"])
        .build()
        .unwrap();
    let listener = transport::TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(4).unwrap();
    let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
    let (ends, ended) = mpsc::channel();
    thread::spawn(move || {
        let stream = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let tls = TlsStream::accept(&config, stream).unwrap();
        let mut reader = BufReader::new(tls);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            line.clear();
        }
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let answer =
            format!("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: {connection}\r\n\r\nok");
        reader.get_mut().write_all(answer.as_bytes()).unwrap();
        reader.get_mut().flush().unwrap();
        let mut rest = Vec::new();
        let end = match reader.read_to_end(&mut rest) {
            Ok(_) => End::CloseNotify,
            Err(e) => match TlsError::from_io(&e) {
                Some(TlsError::Truncated { .. }) => End::Truncated,
                _ => End::Other(e.to_string()),
            },
        };
        let _ = ends.send(end);
    });
    (port, cert_pem, ended)
}

fn builder(cert_pem: &str) -> ClientBuilder {
    ClientBuilder::new()
        .tls_config(
            TlsClientConfig::builder()
                .add_root_certificates_pem(cert_pem)
                .build()
                .unwrap(),
        )
        .resolver(StaticResolver::new(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]))
        .timeout(Some(Duration::from_secs(10)))
}

fn end_seen(ended: &mpsc::Receiver<End>) -> End {
    ended
        .recv_timeout(Duration::from_secs(15))
        .expect("the server saw the connection end")
}

fn text(response: Response) -> String {
    response.text().unwrap()
}

#[test]
fn a_connection_the_server_closes_ends_with_close_notify_sync() {
    let (port, cert, ended) = serve_one(false);
    let client = builder(&cert).build();
    let body = text(
        client
            .get(format!("https://localhost:{port}/"))
            .send()
            .unwrap(),
    );
    assert_eq!(body, "ok");
    assert_eq!(end_seen(&ended), End::CloseNotify);
}

#[test]
fn a_pooled_connection_evicted_ends_with_close_notify_sync() {
    let (port, cert, ended) = serve_one(true);
    let client = builder(&cert).build();
    let body = text(
        client
            .get(format!("https://localhost:{port}/"))
            .send()
            .unwrap(),
    );
    assert_eq!(body, "ok");
    assert_eq!(client.idle_connections(), 1);
    client.clear_pool();
    assert_eq!(end_seen(&ended), End::CloseNotify);
}

#[test]
fn a_dropped_client_ends_its_pooled_connection_with_close_notify_async() {
    let (port, cert, ended) = serve_one(true);
    let client = builder(&cert).build_async();
    let body = block_on(async {
        let response = client
            .get(format!("https://localhost:{port}/"))
            .send()
            .await
            .unwrap();
        response.text().await.unwrap()
    });
    assert_eq!(body, "ok");
    assert_eq!(client.idle_connections(), 1);
    drop(client);
    assert_eq!(end_seen(&ended), End::CloseNotify);
}
