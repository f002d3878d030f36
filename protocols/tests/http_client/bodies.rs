//! Response bodies: content decoding, size limits, bodiless responses and 1xx.

use super::*;

both_modes!(
    gzip_bodies_are_decoded_on_request_and_bombs_stopped,
    informational_responses_are_skipped,
    bodiless_responses_keep_the_connection,
    bodies_over_the_size_limit_are_refused,
    a_multipart_form_streams_its_file_with_its_length,
);

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn gzip_bodies_are_decoded_on_request_and_bombs_stopped(mode: Mode) {
    let text = "a gzip body, ".repeat(1000);
    let compressed = gzip(text.as_bytes());
    let bomb = gzip(&vec![0u8; 16 << 20]);
    let server = Server::respond(move |request, _| {
        let ae = request
            .header("accept-encoding")
            .unwrap_or("none")
            .to_string();
        match request.path() {
            "/bomb" => (response(200, &[("Content-Encoding", "gzip")], &bomb), true),
            "/corrupt" => (
                response(
                    200,
                    &[("Content-Encoding", "gzip")],
                    b"\x1f\x8bnot gzip at all",
                ),
                true,
            ),
            _ => (
                response(
                    200,
                    &[("Content-Encoding", "gzip"), ("X-AE", &ae)],
                    &compressed,
                ),
                true,
            ),
        }
    });
    let plain = TestClient::bounded(mode);
    let got = plain.get(&server.url("/text")).unwrap();
    assert_eq!(got.headers["x-ae"], "none");
    assert_eq!(got.headers["content-encoding"], "gzip");
    assert_eq!(got.body.unwrap(), gzip(text.as_bytes()));
    let client = TestClient::new(
        mode,
        bounded().decompress(true).max_decompressed_size(1 << 20),
    );
    let got = client.get(&server.url("/text")).unwrap();
    assert_eq!(got.headers["x-ae"], "gzip, deflate");
    assert!(got.headers.get("content-encoding").is_none());
    assert_eq!(got.text(), text);
    let got = client.get(&server.url("/bomb")).unwrap();
    assert!(
        matches!(got.body, Err(Error::BodyTooLarge { limit }) if limit == 1 << 20),
        "{:?}",
        got.body.as_ref().err()
    );
    let got = client.get(&server.url("/corrupt")).unwrap();
    assert!(matches!(
        got.body,
        Err(Error::ContentDecoding {
            encoding: "gzip",
            ..
        })
    ));
}

fn informational_responses_are_skipped(mode: Mode) {
    let server = sends(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal",
    );
    let got = TestClient::bounded(mode).get(&server.url("/")).unwrap();
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.text(), "final");
}

fn bodiless_responses_keep_the_connection(mode: Mode) {
    let server = Server::respond(
        |request, _| match (request.method.as_str(), request.path()) {
            ("HEAD", _) => (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec(),
                true,
            ),
            (_, "/304") => (
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: \"x\"\r\n\r\n".to_vec(),
                true,
            ),
            (_, "/204") => (b"HTTP/1.1 204 No Content\r\n\r\n".to_vec(), true),
            _ => (ok("after"), true),
        },
    );
    let client = TestClient::bounded(mode);
    let got = client
        .send(Req::new(Method::HEAD, server.url("/")))
        .unwrap();
    assert_eq!(got.headers["content-length"], "1000");
    assert!(got.body.unwrap().is_empty());
    let got = client.get(&server.url("/304")).unwrap();
    assert_eq!(got.status, StatusCode::NOT_MODIFIED);
    assert!(got.body.unwrap().is_empty());
    let got = client.get(&server.url("/204")).unwrap();
    assert_eq!(got.status, StatusCode::NO_CONTENT);
    assert_eq!(client.get(&server.url("/")).unwrap().text(), "after");
    assert_eq!(server.accepts(), 1);
}

fn bodies_over_the_size_limit_are_refused(mode: Mode) {
    let server = Server::respond(|request, _| match request.path() {
        "/announced" => (response(200, &[], &vec![b'a'; 5000]), true),
        _ => {
            let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for _ in 0..10 {
                out.extend_from_slice(b"3e8\r\n");
                out.extend_from_slice(&[b'c'; 1000]);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            (out, true)
        }
    });
    let client = match mode {
        Mode::Sync => {
            let client = bounded().max_body_size(4096).build();
            let err = client
                .get(server.url("/announced"))
                .send()
                .unwrap()
                .bytes()
                .unwrap_err();
            assert!(matches!(err, Error::BodyTooLarge { limit: 4096 }));
            let err = client
                .get(server.url("/chunked"))
                .send()
                .unwrap()
                .text()
                .unwrap_err();
            assert!(matches!(err, Error::BodyTooLarge { limit: 4096 }));
            return;
        }
        Mode::Async => bounded().max_body_size(4096).build_async(),
    };
    block_on(async {
        let err = client
            .get(server.url("/announced"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 4096 }));
        let err = client
            .get(server.url("/chunked"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 4096 }));
    });
}

fn a_multipart_form_streams_its_file_with_its_length(mode: Mode) {
    let server = Server::respond(|request, _| {
        let content_type = request.header("content-type").unwrap_or("none");
        let length = request.header("content-length").unwrap_or("none");
        let echo = format!(
            "{content_type}\n{length}\n{}",
            String::from_utf8_lossy(&request.body)
        );
        (ok(&echo), true)
    });
    let dir = TempDir::new("multipart-upload");
    let path = dir.path().join("data.txt");
    let data = "0123456789".repeat(20_000);
    std::fs::write(&path, &data).unwrap();
    let client = TestClient::bounded(mode);
    let got = client
        .send(Req::new(Method::POST, server.url("/")).body(ReqBody::FormWithFile(path)))
        .unwrap();
    let text = got.text();
    let mut lines = text.splitn(3, '\n');
    let content_type = lines.next().unwrap();
    let length = lines.next().unwrap();
    let body = lines.next().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    let expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"data.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{data}\r\n--{boundary}--\r\n"
    );
    assert_eq!(
        length,
        expected.len().to_string(),
        "sent with Content-Length"
    );
    assert!(
        body == expected,
        "the body differs ({} bytes against {})",
        body.len(),
        expected.len()
    );
}
