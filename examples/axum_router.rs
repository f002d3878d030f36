//! An axum `Router` served by netstack's async HTTP server (the `tower`
//! feature: `AsyncHttpServer::serve_service`), and netstack's client asking
//! it three things. Runs on loopback and ends by itself.
//!
//! `cargo run --example axum_router`

use std::error::Error;
use std::time::Duration;

use axum::extract::Path;
use axum::routing::{get, post};
use axum::Router;
use netstack::protocols::http::client::Client;
use netstack::protocols::http::server::{AsyncHttpServer, ServerConfig};

async fn hello() -> &'static str {
    "hello from axum, on netstack's server\n"
}

async fn user(Path(id): Path<u32>) -> String {
    format!("user {id}\n")
}

async fn shout(body: String) -> String {
    body.to_uppercase()
}

fn main() -> Result<(), Box<dyn Error>> {
    let router = Router::new()
        .route("/", get(hello))
        .route("/users/{id}", get(user))
        .route("/shout", post(shout));
    let server = AsyncHttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default())?;
    let base = format!("http://{}", server.local_endpoint());
    let shutdown = server.shutdown_handle();
    let serving = std::thread::spawn(move || {
        netstack::sockets::block_on(server.serve_service(router));
    });
    println!("axum router on {base}");

    let client = Client::builder()
        .timeout(Some(Duration::from_secs(10)))
        .build();
    for (method, path, body) in [
        ("GET", "/", ""),
        ("GET", "/users/42", ""),
        ("POST", "/shout", "netstack speaks tower\n"),
        ("GET", "/missing", ""),
    ] {
        let request = match method {
            "POST" => client.post(format!("{base}{path}")).body(body.to_string()),
            _ => client.get(format!("{base}{path}")),
        };
        let response = request.send()?;
        let status = response.status();
        let text = response.text()?;
        println!("{method} {path} -> {status} {:?}", text.trim_end());
    }

    shutdown.shutdown();
    serving.join().map_err(|_| "the server thread panicked")?;
    Ok(())
}
