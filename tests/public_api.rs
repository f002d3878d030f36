//! What a program that depends on `netstack` can rely on, checked by the
//! compiler and at run time: the ecosystem's crates re-exported in the
//! versions the layers speak, and every layer's error converting into
//! `io::Error` with the kind a caller acts on and the error kept inside.

use std::io;

use netstack::protocols::{dns, fetch, framing, ftp, http, resp};

fn into_io_error<E: Into<io::Error> + std::error::Error + Send + Sync + 'static>() {}

#[test]
fn every_layers_error_converts_into_an_io_error() {
    into_io_error::<netstack::sockets::Error>();
    into_io_error::<netstack::transport::Error>();
    into_io_error::<netstack::transport::tls::TlsError>();
    into_io_error::<http::Error>();
    into_io_error::<fetch::Error>();
    into_io_error::<ftp::Error>();
    into_io_error::<dns::Error>();
    into_io_error::<resp::Error>();
    into_io_error::<framing::Error>();
}

#[test]
fn the_io_error_keeps_the_kind_and_the_error() {
    let err = fetch::Fetcher::new()
        .download_string("gopher://127.0.0.1/")
        .unwrap_err();
    let message = err.to_string();
    let io = io::Error::from(err);
    assert_eq!(io.kind(), io::ErrorKind::Unsupported);
    assert_eq!(io.to_string(), message);
    assert!(io.get_ref().unwrap().is::<fetch::Error>());

    let err = http::client::Client::new()
        .get("http://[::1")
        .send()
        .unwrap_err();
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn the_reexported_crates_are_the_ones_the_layers_speak() {
    // Each of these would fail to compile if the re-export were another
    // version of the crate than the layer's.
    let method: netstack::http::Method = http::Method::POST;
    let url: netstack::url::Url = netstack::protocols::url::Url::parse("data:,x").unwrap();
    let body: netstack::bytes::Bytes = netstack::protocols::bytes::Bytes::from_static(b"x");
    let fetcher = fetch::Fetcher::new();
    // Built, not sent: a data: URL takes no upload.
    let _request = fetcher.request(url.as_str()).method(method).body(body);
    let response = fetcher.request(url.as_str()).send().unwrap();
    let final_url: &netstack::url::Url = response.url();
    assert_eq!(final_url.scheme(), "data");
    let mut headers = netstack::http::HeaderMap::new();
    headers.insert(http::header::ACCEPT, http::HeaderValue::from_static("*/*"));
    assert_eq!(headers.len(), 1);
}

#[test]
fn a_client_response_becomes_an_http_response() {
    use netstack::protocols::http::server::{HttpServer, Request, Response, ServerConfig};
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default(),
        |_: Request| {
            let mut response = Response::new("as http".into());
            response
                .headers_mut()
                .insert("x-probe", http::HeaderValue::from_static("1"));
            response
        },
    )
    .unwrap();
    let url = format!("http://{}/", server.local_endpoint());
    let response: netstack::http::Response<http::client::Response> = http::client::Client::new()
        .get(&url)
        .send()
        .unwrap()
        .into_http();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-probe"], "1");
    assert_eq!(response.into_body().text().unwrap(), "as http");
    server.shutdown();
}

#[test]
fn url_parameters_take_text_or_a_parsed_url() {
    let fetcher = fetch::Fetcher::new();
    let parsed = netstack::url::Url::parse("data:,parsed").unwrap();
    let owned = String::from("data:,owned");
    assert_eq!(fetcher.download_string(&parsed).unwrap(), "parsed");
    assert_eq!(fetcher.download_string(parsed).unwrap(), "parsed");
    assert_eq!(fetcher.download_string(&owned).unwrap(), "owned");
    assert_eq!(fetcher.download_string(owned).unwrap(), "owned");
    let err = http::client::Client::new()
        .get(netstack::url::Url::parse("ftp://127.0.0.1/").unwrap())
        .send()
        .unwrap_err();
    assert!(matches!(err, http::Error::InvalidRequest(_)), "{err}");
}

/// No inherent method of a stream shadows a method of the ecosystem's I/O
/// extension traits: with tokio's in scope, `read` and `write_all` are
/// tokio's, awaited (a blocking inherent call here would not compile).
#[test]
fn tokios_extension_methods_reach_the_streams() {
    use netstack::transport::{TcpClient, TcpListener};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
        listener.start(1).unwrap();
        let endpoint = listener.local_endpoint().unwrap();
        let (client, server) = futures::join!(
            TcpClient::connect_endpoint_async(endpoint),
            listener.accept_async()
        );
        let (mut client, mut server) = (client.unwrap().into_stream(), server.unwrap());
        client.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
    });
}
