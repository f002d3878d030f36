//! The HTTP/1.1 client against servers that are not netstack's: Python's
//! `http.server`, and crafted servers that send exact bytes. Every case runs
//! in both modes (`Client` and `AsyncClient`), on loopback, with every wait
//! bounded.

#[path = "../support/mod.rs"]
mod support;

use std::io::Write as _;
use std::time::{Duration, Instant};
use testkit::{both_modes, Mode, TempDir};

use http::{Method, StatusCode};
use protocols::http::client::{AsyncClient, Body, Client};
use protocols::http::{Error, ParseError, Phase};
use support::harness::{bounded, AsyncBytes, Req, ReqBody, TestClient};
use support::{ok, response, Conn, Ctx, PythonServer, Server};

testkit::executor_block_on!(sockets::block_on);

/// A server that answers every request with `bytes`, then closes.
fn sends(bytes: &'static [u8]) -> Server {
    Server::start(move |mut conn: Conn, _: &Ctx| {
        if conn.read_request().is_some() {
            conn.write(bytes);
        }
        std::thread::sleep(Duration::from_millis(50));
        conn.close();
    })
}

/// The async client's futures and responses can move between threads
/// (`tokio::spawn`), and the blocking client is shared between threads.
#[test]
fn futures_and_clients_are_send_and_sync() {
    fn send<T: Send>(_: &T) {}
    fn send_sync<T: Send + Sync>(_: &T) {}
    let client = AsyncClient::new();
    let future = client
        .post("http://127.0.0.1:9/")
        .body(Body::from_async_reader(AsyncBytes(vec![1], 0)))
        .send();
    send(&future);
    drop(future);
    send_sync(&client);
    send_sync(&Client::new());
    fn response_is_send(r: protocols::http::client::AsyncResponse) -> impl Send {
        r
    }
    let _ = response_is_send;
    fn sync_response_is_send(r: protocols::http::client::Response) -> impl Send {
        r
    }
    let _ = sync_response_is_send;
}

/// The async client's futures run under another executor too: here tasks
/// spawned on a multi-threaded tokio runtime (which also proves them `Send`).
#[test]
fn the_async_client_runs_under_tokio() {
    let server = Server::respond(|request, _| (ok(request.path()), true));
    let client = AsyncClient::builder()
        .timeout(Some(Duration::from_secs(20)))
        .build_async();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let client = client.clone();
            let url = server.url(&format!("/task/{i}"));
            runtime.spawn(async move { client.get(&url).send().await?.text().await })
        })
        .collect();
    let texts: Vec<String> = runtime.block_on(async {
        let mut texts = Vec::new();
        for task in tasks {
            texts.push(task.await.unwrap().unwrap());
        }
        texts
    });
    for (i, text) in texts.iter().enumerate() {
        assert_eq!(text, &format!("/task/{i}"));
    }
}

mod bodies;
mod early_answers;
mod hostile;
mod pool;
mod redirects;
mod requests;
