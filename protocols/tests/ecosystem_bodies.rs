//! The asynchronous bodies read and written in the ecosystem's shapes:
//! tokio's `AsyncRead`, a `Stream` of `Bytes`, `http_body::Body`, and a
//! request body made from a `Stream` (the `tokio` and `http-body` features).

use std::borrow::Cow;
use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use futures::StreamExt;
use protocols::bytes::Bytes;
use protocols::fetch::Fetcher;
use protocols::http::client::{AsyncClient, Body, Client};
use protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, AsyncResponseBody, ServerConfig, ShutdownHandle,
};
use tokio::io::AsyncReadExt;

/// An async server whose handler echoes the request body, read as a
/// `Stream` of chunks; answers `/big` with 100 KiB.
fn echo_server() -> (String, ShutdownHandle, std::thread::JoinHandle<()>) {
    let server = AsyncHttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default()).unwrap();
    let base = format!("http://{}", server.local_endpoint());
    let handle = server.shutdown_handle();
    let thread = std::thread::spawn(move || {
        sockets::block_on(server.serve(|request: AsyncRequest| async move {
            if request.uri().path() == "/big" {
                return AsyncResponse::new(AsyncResponseBody::full(Cow::Owned(big())));
            }
            let mut chunks = request.into_body().bytes_stream();
            let mut body = Vec::new();
            while let Some(chunk) = chunks.next().await {
                body.extend_from_slice(&chunk.unwrap());
            }
            AsyncResponse::new(AsyncResponseBody::full(Cow::Owned(body)))
        }))
    });
    (base, handle, thread)
}

fn big() -> Vec<u8> {
    (0..100 * 1024u32).map(|i| (i % 251) as u8).collect()
}

fn client() -> AsyncClient {
    Client::builder()
        .timeout(Some(Duration::from_secs(10)))
        .build_async()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_response_reads_with_tokios_async_read() {
    let (base, handle, server) = echo_server();
    runtime().block_on(async {
        let mut response = client().get(format!("{base}/big")).send().await.unwrap();
        let mut body = Vec::new();
        response.read_to_end(&mut body).await.unwrap();
        assert!(body == big(), "{} bytes", body.len());
    });
    handle.shutdown();
    server.join().unwrap();
}

#[test]
fn a_stream_goes_out_as_a_body_and_comes_back_as_a_stream() {
    let (base, handle, server) = echo_server();
    runtime().block_on(async {
        let pieces: Vec<Result<Bytes, std::io::Error>> = ["one ", "two ", "three"]
            .into_iter()
            .map(|p| Ok(Bytes::from_static(p.as_bytes())))
            .collect();
        let response = client()
            .post(format!("{base}/echo"))
            .body(Body::from_stream(futures::stream::iter(pieces)))
            .send()
            .await
            .unwrap();
        let chunks: Vec<Bytes> = response
            .bytes_stream()
            .map(|chunk| chunk.unwrap())
            .collect()
            .await;
        assert_eq!(chunks.concat(), b"one two three");
        // A stream that fails fails the request.
        let failing = futures::stream::iter([
            Ok(Bytes::from_static(b"start")),
            Err(std::io::Error::other("the source broke")),
        ]);
        let err = client()
            .post(format!("{base}/echo"))
            .body(Body::from_stream(failing))
            .send()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("the source broke"), "{err}");
    });
    handle.shutdown();
    server.join().unwrap();
}

#[test]
fn responses_are_http_bodies() {
    let (base, handle, server) = echo_server();
    runtime().block_on(async {
        let mut response = client().get(format!("{base}/big")).send().await.unwrap();
        let mut body = Vec::new();
        while let Some(frame) =
            poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut response), cx)).await
        {
            body.extend_from_slice(frame.unwrap().data_ref().unwrap());
        }
        assert!(body == big());
        // The fetcher's responses too.
        let mut fetched = Fetcher::new()
            .request("data:,fetched")
            .send_async()
            .await
            .unwrap();
        let frame = poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut fetched), cx))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(frame.into_data().unwrap(), "fetched");
    });
    handle.shutdown();
    server.join().unwrap();
}
