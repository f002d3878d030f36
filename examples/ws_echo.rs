//! A WebSocket echo server on netstack's async HTTP server (netstack's own
//! reactor, one thread), and a client that talks to it, in one program.
//! The server takes a client's offer of compression (permessage-deflate).
//!
//! ```text
//! cargo run --example ws_echo                 # the server and a short conversation
//! cargo run --example ws_echo -- serve 9001   # the server alone, until interrupted
//! ```
//!
//! Against the server alone: `netstack ws ws://127.0.0.1:9001/echo`.

use std::borrow::Cow;
use std::error::Error;

use netstack::protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, AsyncResponseBody, ServerConfig,
};
use netstack::protocols::websocket::{
    self, Accept, AsyncWebSocket, CloseCode, CloseFrame, Config, Deflate, Message, WebSocket,
};

/// Sends back every text and binary message until the client closes.
async fn echo(mut socket: AsyncWebSocket) {
    while let Ok(message) = socket.read_message().await {
        if let Message::Text(_) | Message::Binary(_) = message {
            if socket.send(message).await.is_err() {
                break;
            }
        }
    }
}

/// `/echo` becomes a WebSocket; anything else gets a line of text.
async fn handle(request: AsyncRequest) -> AsyncResponse {
    if request.uri().path() != "/echo" || !websocket::is_upgrade(&request) {
        let body = Cow::Borrowed(&b"A WebSocket echo server: connect to /echo.\n"[..]);
        return AsyncResponse::new(AsyncResponseBody::full(body));
    }
    Accept::new(&request)
        .config(Config::default().deflate(Deflate::default()))
        .serve_async(echo)
}

/// Opens a compressed WebSocket to `port`, sends three messages and
/// prints their echoes.
fn converse(port: u16) -> Result<(), Box<dyn Error>> {
    let mut socket = WebSocket::builder(format!("ws://127.0.0.1:{port}/echo"))
        .config(Config::default().deflate(Deflate::default()))
        .connect()?;
    println!(
        "connected; compression agreed: {}",
        socket.deflate().is_some()
    );
    for text in ["hello", "hello again", "and goodbye"] {
        socket.send(Message::Text(text.into()))?;
        if let Message::Text(echoed) = socket.read_message()? {
            println!("echoed: {echoed}");
        }
    }
    socket.close(Some(CloseFrame {
        code: CloseCode::NORMAL,
        reason: "done".into(),
    }))?;
    while !matches!(socket.read_message()?, Message::Close(_)) {}
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let serve_only = args.first().map(String::as_str) == Some("serve");
    let port: u16 = match args.get(1) {
        Some(port) => port
            .parse()
            .map_err(|_| format!("{port:?} is not a port"))?,
        None => 0,
    };
    let server = AsyncHttpServer::bind(([127, 0, 0, 1], port), ServerConfig::default())?;
    let port = server
        .local_endpoint()
        .as_ip()
        .ok_or("the server has no IP address")?
        .port();
    if serve_only {
        println!("serving ws://127.0.0.1:{port}/echo");
        netstack::sockets::block_on(server.serve(handle));
        return Ok(());
    }
    let shutdown = server.shutdown_handle();
    let serving = std::thread::spawn(move || netstack::sockets::block_on(server.serve(handle)));
    let talked = converse(port);
    shutdown.shutdown();
    serving.join().map_err(|_| "the server thread panicked")?;
    talked
}
