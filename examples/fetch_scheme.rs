//! A protocol of your own behind the URL fetcher: `kv://HOST:PORT/KEY`.
//!
//! The protocol is a line protocol on the framing toolkit (`GET key` →
//! `VALUE text` or `MISSING`), served here by a small key-value server on
//! loopback. `KvScheme` implements `SchemeHandler` for it — a blocking
//! `fetch` and a real async `fetch_async` on netstack's reactor — and is
//! registered for the `kv` scheme, after which `kv:` URLs work wherever a
//! `Fetcher` does, next to `http:` and `file:`:
//!
//! ```text
//! cargo run --example fetch_scheme
//! ```

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use netstack::protocols::fetch::{
    self, AsyncFetchResponse, BoxFuture, FetchParts, FetchResponse, Fetcher, Result, SchemeHandler,
};
use netstack::protocols::framing::{Framed, LinesCodec};
use netstack::transport::{ConnectOptions, NetworkStream, TcpClient, TcpListener};

/// How long the handler waits on the server, per connect and per reply.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Starts the key-value server on 127.0.0.1 and returns its port.
pub fn start_kv_server(entries: &[(&str, &str)]) -> std::io::Result<u16> {
    let table: Arc<HashMap<String, String>> = Arc::new(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).map_err(std::io::Error::other)?;
    listener.start(16).map_err(std::io::Error::other)?;
    let port = listener
        .local_endpoint()
        .map_err(std::io::Error::other)?
        .as_ip()
        .map_or(0, |a| a.port());
    std::thread::spawn(move || {
        while let Ok(conn) = listener.accept() {
            let table = Arc::clone(&table);
            std::thread::spawn(move || serve(conn, &table));
        }
    });
    Ok(port)
}

fn serve(conn: NetworkStream, table: &HashMap<String, String>) {
    let _ = conn.set_read_timeout(Some(TIMEOUT));
    let mut lines = Framed::new(&conn, LinesCodec::new().max_length(1024));
    while let Ok(Some(line)) = lines.read_frame() {
        let answer = match line.strip_prefix("GET ") {
            Some(key) => match table.get(key) {
                Some(value) => format!("VALUE {value}"),
                None => "MISSING".to_string(),
            },
            None => "ERROR unknown command".to_string(),
        };
        if lines.write_frame(answer.as_str()).is_err() {
            return;
        }
    }
}

/// The `kv` scheme: one request line per fetch.
pub struct KvScheme;

/// The server address and the key of a `kv://HOST:PORT/KEY` URL.
fn target(parts: &FetchParts) -> Result<(String, u16, String)> {
    let url = &parts.url;
    let invalid =
        |why: &str| fetch::Error::handler("kv", fetch::ErrorKind::InvalidUrl, why.to_string());
    if parts.body.is_some() {
        return Err(fetch::Error::handler(
            "kv",
            fetch::ErrorKind::Other,
            "URLs of this scheme are read-only (no uploads)",
        ));
    }
    let host = url
        .host_str()
        .ok_or_else(|| invalid("URL without a host"))?;
    let port = url.port().ok_or_else(|| invalid("URL without a port"))?;
    let key = url.path().trim_start_matches('/');
    if key.is_empty() || key.contains(['\r', '\n']) {
        return Err(invalid("the key must be one line, not empty"));
    }
    Ok((host.to_string(), port, key.to_string()))
}

/// The answer line as a response (or the error it means).
fn answer(parts: FetchParts, key: &str, line: Option<String>) -> Result<(FetchParts, Vec<u8>)> {
    match line.as_deref() {
        Some(value) if value.starts_with("VALUE ") => {
            Ok((parts, value.as_bytes()["VALUE ".len()..].to_vec()))
        }
        Some("MISSING") => Err(fetch::Error::handler(
            "kv",
            fetch::ErrorKind::NotFound,
            format!("no key {key:?}"),
        )),
        Some(other) => Err(fetch::Error::handler(
            "kv",
            fetch::ErrorKind::BadReply,
            format!("unexpected answer {other:?}"),
        )),
        None => Err(fetch::Error::handler(
            "kv",
            fetch::ErrorKind::Receive,
            "the server closed the connection without answering",
        )),
    }
}

fn transport_error(err: impl std::error::Error + Send + Sync + 'static) -> fetch::Error {
    fetch::Error::handler("kv", fetch::ErrorKind::Connect, err)
}

fn framing_error(err: impl std::error::Error + Send + Sync + 'static) -> fetch::Error {
    fetch::Error::handler("kv", fetch::ErrorKind::Receive, err)
}

impl SchemeHandler for KvScheme {
    fn fetch(&self, parts: FetchParts) -> Result<FetchResponse> {
        let (host, port, key) = target(&parts)?;
        let options = ConnectOptions::new().timeout(Some(TIMEOUT));
        let stream = TcpClient::connect_with(&host, port, &options)
            .map_err(transport_error)?
            .into_stream();
        stream
            .set_read_timeout(Some(TIMEOUT))
            .map_err(transport_error)?;
        let mut lines = Framed::new(&stream, LinesCodec::new().max_length(64 * 1024));
        lines
            .write_frame(format!("GET {key}").as_str())
            .map_err(framing_error)?;
        let line = lines.read_frame().map_err(framing_error)?;
        let (parts, value) = answer(parts, &key, line)?;
        Ok(FetchResponse::new(parts.url, Cursor::new(value)))
    }

    fn fetch_async(&self, parts: FetchParts) -> BoxFuture<'_, Result<AsyncFetchResponse>> {
        Box::pin(async move {
            let (host, port, key) = target(&parts)?;
            let options = ConnectOptions::new().timeout(Some(TIMEOUT));
            let stream = TcpClient::connect_with_async(&host, port, &options)
                .await
                .map_err(transport_error)?
                .into_stream();
            let mut lines = Framed::new(stream, LinesCodec::new().max_length(64 * 1024));
            lines
                .write_frame_async(format!("GET {key}").as_str())
                .await
                .map_err(framing_error)?;
            // Every wait is bounded: the answer races a timer on the reactor.
            let read = lines.read_frame_async();
            let timer = netstack::sockets::sleep(TIMEOUT);
            futures::pin_mut!(read, timer);
            let line = match futures::future::select(read, timer).await {
                futures::future::Either::Left((line, _)) => line.map_err(framing_error)?,
                futures::future::Either::Right(_) => {
                    return Err(fetch::Error::handler(
                        "kv",
                        fetch::ErrorKind::Timeout,
                        format!("no answer within {TIMEOUT:?}"),
                    ))
                }
            };
            let (parts, value) = answer(parts, &key, line)?;
            Ok(AsyncFetchResponse::new(
                parts.url,
                futures::io::Cursor::new(value),
            ))
        })
    }
}

/// A fetcher that knows `kv:` besides the built-in schemes.
pub fn fetcher() -> Fetcher {
    Fetcher::builder()
        .timeout(Some(Duration::from_secs(10)))
        .register("kv", KvScheme)
        .build()
}

#[allow(dead_code)]
fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let port = start_kv_server(&[
        ("greeting", "hello from a protocol of my own"),
        ("answer", "42"),
    ])?;
    let fetcher = fetcher();
    let greeting = fetcher.download_string(format!("kv://127.0.0.1:{port}/greeting"))?;
    println!("sync   kv://127.0.0.1:{port}/greeting -> {greeting:?}");
    let answer = netstack::sockets::block_on(
        fetcher.download_string_async(&format!("kv://127.0.0.1:{port}/answer")),
    )?;
    println!("async  kv://127.0.0.1:{port}/answer -> {answer:?}");
    match fetcher.download_string(format!("kv://127.0.0.1:{port}/nothing")) {
        Err(err) => println!(
            "error  kv://127.0.0.1:{port}/nothing -> {err} ({:?})",
            err.kind()
        ),
        Ok(text) => return Err(format!("a missing key answered {text:?}").into()),
    }
    let data = fetcher.download_string("data:,built-in%20schemes%20still%20work")?;
    println!("data:  -> {data:?}");
    Ok(())
}
