//! The HTTP/1.1 client (both modes) against netstack's own server:
//! bodies both ways, keep-alive, `Expect: 100-continue`, HEAD, redirects,
//! a large streamed download.

mod support;

use std::time::Duration;
use testkit::{both_modes, Mode};

use http::{Method, StatusCode};
use protocols::http::server::{
    ConnectionInfo, HttpServer, Request, Response, ResponseBody, ServerConfig,
};
use support::harness::{bounded, Req, ReqBody, TestClient};

const BIG: usize = 3 << 20;

fn big_body() -> Vec<u8> {
    (0..BIG).map(|i| (i % 253) as u8).collect()
}

fn handler(mut request: Request) -> Response {
    let path = request.uri().path().to_string();
    match path.as_str() {
        "/conn" => {
            let info = request.extensions().get::<ConnectionInfo>().cloned();
            let port = info.and_then(|i| i.remote).map_or(0, |a| a.port());
            Response::new(ResponseBody::full(port.to_string().into_bytes()))
        }
        "/big" => Response::new(ResponseBody::from_reader(std::io::Cursor::new(big_body()))),
        "/moved" => http::Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header("location", "/echo")
            .body(ResponseBody::empty())
            .unwrap(),
        _ => {
            let body = request.body_mut().read_all(16 << 20).unwrap_or_default();
            let text = format!(
                "{} {} {} {}",
                request.method(),
                path,
                body.len(),
                String::from_utf8_lossy(&body[..body.len().min(32)])
            );
            Response::new(ResponseBody::full(text.into_bytes()))
        }
    }
}

fn server() -> HttpServer {
    HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().idle_timeout(Duration::from_secs(30)),
        handler,
    )
    .unwrap()
}

fn url(server: &HttpServer, path: &str) -> String {
    format!("http://{}{}", server.local_endpoint(), path)
}

fn bodies_both_ways(mode: Mode) {
    let server = server();
    let client = TestClient::bounded(mode);
    assert_eq!(
        client.get(&url(&server, "/echo")).unwrap().text(),
        "GET /echo 0 "
    );
    let got = client
        .send(Req::post(url(&server, "/echo"), b"posted bytes"))
        .unwrap();
    assert_eq!(got.text(), "POST /echo 12 posted bytes");
    let streamed = b"0123456789".repeat(50_000);
    let got = client
        .send(Req::new(Method::PUT, url(&server, "/echo")).body(ReqBody::Stream(streamed)))
        .unwrap();
    assert_eq!(
        got.text(),
        "PUT /echo 500000 01234567890123456789012345678901"
    );
    let got = client.get(&url(&server, "/big")).unwrap();
    assert_eq!(got.headers["transfer-encoding"], "chunked");
    assert_eq!(got.body.unwrap(), big_body());
    let got = client
        .send(Req::new(Method::HEAD, url(&server, "/echo")))
        .unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.unwrap().is_empty());
    let got = client
        .send(Req::post(url(&server, "/moved"), b"dropped"))
        .unwrap();
    assert_eq!(got.text(), "GET /echo 0 ");
    let mut req = Req::post(url(&server, "/echo"), b"after continue");
    req.expect = true;
    assert_eq!(
        client.send(req).unwrap().text(),
        "POST /echo 14 after continue"
    );
    assert!(server.shutdown().graceful);
}

fn keep_alive_uses_one_connection(mode: Mode) {
    let server = server();
    let client = TestClient::new(mode, bounded());
    let first = client.get(&url(&server, "/conn")).unwrap().text();
    for _ in 0..200 {
        assert_eq!(client.get(&url(&server, "/conn")).unwrap().text(), first);
    }
    assert!(server.shutdown().graceful);
}

both_modes!(bodies_both_ways, keep_alive_uses_one_connection);
