//! The `json` feature: request bodies serialised with serde_json and
//! response bodies deserialised, in the HTTP client (both modes) and the
//! fetcher, against a crafted loopback server that echoes what it got.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use protocols::fetch::{ErrorKind, Fetcher};
use protocols::http::client::{AsyncClient, Client};

use protocols::http::Error;
use serde::{Deserialize, Serialize};
use support::{response, Server};
use testkit::{both_modes, Mode, TempDir};

testkit::executor_block_on!(sockets::block_on);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u32,
    item: String,
    notes: Vec<String>,
}

fn order() -> Order {
    Order {
        id: 7,
        item: "caf\u{e9} \"au lait\"".into(),
        notes: vec!["hot".into(), "\u{1f375}".into()],
    }
}

/// Answers every request with its own body, and its `Content-Type` in
/// `X-Content-Type`.
fn echo() -> Server {
    Server::respond(|request, _| {
        let content_type = request.header("content-type").unwrap_or("none").to_string();
        let head = [
            ("Content-Type", "application/json"),
            ("X-Content-Type", content_type.as_str()),
        ];
        (response(200, &head, &request.body), true)
    })
}

/// Answers every request with `body`.
fn answers(body: &'static str) -> Server {
    Server::respond(move |_, _| (response(200, &[], body.as_bytes()), true))
}

const LIMIT: Duration = Duration::from_secs(10);

fn client() -> Client {
    Client::builder().timeout(Some(LIMIT)).build()
}

fn async_client() -> AsyncClient {
    Client::builder().timeout(Some(LIMIT)).build_async()
}

both_modes!(
    a_value_goes_out_as_json_and_comes_back_as_the_same_value,
    a_content_type_set_before_is_kept,
    a_body_that_is_not_the_json_expected_is_a_json_error,
);

fn a_value_goes_out_as_json_and_comes_back_as_the_same_value(mode: Mode) {
    let server = echo();
    let url = server.url("/orders");
    let (content_type, back): (String, Order) = match mode {
        Mode::Sync => {
            let response = client().post(&url).json(&order()).send().unwrap();
            let content_type = response.headers()["x-content-type"].to_str().unwrap();
            (content_type.to_string(), response.json().unwrap())
        }
        Mode::Async => block_on(async {
            let response = async_client()
                .post(&url)
                .json(&order())
                .send()
                .await
                .unwrap();
            let content_type = response.headers()["x-content-type"].to_str().unwrap();
            (content_type.to_string(), response.json().await.unwrap())
        }),
    };
    assert_eq!(content_type, "application/json");
    assert_eq!(back, order());
}

fn a_content_type_set_before_is_kept(mode: Mode) {
    let server = echo();
    let url = server.url("/");
    let value = serde_json::json!({"data": {"type": "orders", "id": "7"}});
    let content_type = match mode {
        Mode::Sync => client()
            .post(&url)
            .header("Content-Type", "application/vnd.api+json")
            .json(&value)
            .send()
            .unwrap()
            .headers()["x-content-type"]
            .clone(),
        Mode::Async => block_on(async {
            async_client()
                .post(&url)
                .header("Content-Type", "application/vnd.api+json")
                .json(&value)
                .send()
                .await
                .unwrap()
                .headers()["x-content-type"]
                .clone()
        }),
    };
    assert_eq!(content_type, "application/vnd.api+json");
}

fn a_body_that_is_not_the_json_expected_is_a_json_error(mode: Mode) {
    // Valid JSON of the wrong shape, then bytes that are not JSON at all.
    for (body, expected) in [
        (r#"{"id": "seven"}"#, "invalid type: string \"seven\""),
        ("<html>oops</html>", "expected value at line 1 column 1"),
    ] {
        let server = answers(body);
        let url = server.url("/");
        let result: Result<Order, Error> = match mode {
            Mode::Sync => client().get(&url).send().unwrap().json(),
            Mode::Async => block_on(async {
                let response = async_client().get(&url).send().await.unwrap();
                response.json().await
            }),
        };
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Json(_)), "{err:?}");
        let message = err.to_string();
        assert!(
            message.starts_with("http: the response body is not the JSON expected: ")
                && message.contains(expected),
            "{message}"
        );
    }
}

#[test]
fn a_value_that_cannot_be_json_fails_the_request_before_it_is_sent() {
    let server = echo();
    // JSON object keys are strings; a map keyed by pairs has none.
    let value: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let err = client()
        .post(server.url("/"))
        .json(&value)
        .send()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("the body cannot be written as JSON: key must be a string"),
        "{err}"
    );
    assert_eq!(server.accepts(), 0, "nothing was sent");
}

#[test]
fn the_fetcher_posts_json_and_reads_it_back_from_any_scheme() {
    let server = echo();
    let fetcher = Fetcher::builder().timeout(Some(LIMIT)).build();
    let response = fetcher
        .request(server.url("/"))
        .json(&order())
        .send()
        .unwrap();
    assert_eq!(response.headers()["x-content-type"], "application/json");
    assert_eq!(response.json::<Order>().unwrap(), order());

    let data: serde_json::Value = fetcher
        .request("data:application/json,%7B%22id%22%3A7%7D")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(data, serde_json::json!({"id": 7}));

    let async_back: Order = block_on(async {
        fetcher
            .request(server.url("/"))
            .json(&order())
            .send_async()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(async_back, order());
}

#[test]
fn the_fetcher_names_the_url_whose_body_is_not_json() {
    let dir = TempDir::new("json-file");
    let path = dir.path().join("config.json");
    std::fs::write(&path, "{\"id\": 7,\n \"item\": }").unwrap();
    let url = url::Url::from_file_path(&path).unwrap().to_string();
    let err = Fetcher::new()
        .request(&url)
        .send()
        .unwrap()
        .json::<serde_json::Value>()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Json);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "fetch: the body of {url} is not the JSON expected: "
        )) && message.contains("line 2 column 10"),
        "{message}"
    );
}
