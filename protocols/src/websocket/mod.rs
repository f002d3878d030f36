//! WebSocket (RFC 6455) on the HTTP/1.1 layer: [`WebSocket`] (blocking)
//! and [`AsyncWebSocket`], both loops around one sans-IO core,
//! [`Protocol`], which a program can also drive over a transport of its own.
//!
//! A client opens one with [`WebSocket::connect`] or
//! [`AsyncWebSocket::connect`]: the opening handshake goes through the HTTP
//! client, so proxies, TLS (`wss://`), Happy Eyeballs and the connect
//! timeouts are the client's ([`WebSocketBuilder::http_client`]). A handler
//! of netstack's HTTP server accepts one with [`Accept`]: its `101`
//! response carries the code that runs on the connection once the
//! response is written ([`Accept::serve`] on the blocking server,
//! [`Accept::serve_async`] on the async one). After the handshake the core frames and
//! masks what is sent, reassembles fragmented messages, checks text as
//! UTF-8 fragment by fragment, answers pings and the close handshake, and
//! answers a protocol violation with a close frame carrying its code
//! (1002, 1007 or 1009) before the connection ends.
//!
//! ```no_run
//! use netstack::protocols::websocket::{CloseCode, CloseFrame, Message, WebSocket};
//!
//! let mut socket = WebSocket::builder("wss://example.com/chat").protocol("chat").connect()?;
//! socket.send(Message::Text("hello".into()))?;
//! while let Ok(message) = socket.read_message() {
//!     match message {
//!         Message::Text(text) => println!("{text}"),
//!         Message::Close(_) => break,
//!         _ => {}
//!     }
//! }
//! socket.close(Some(CloseFrame { code: CloseCode::NORMAL, reason: "done".into() })).ok();
//! # Ok::<(), netstack::protocols::websocket::Error>(())
//! ```

mod accept;
mod blocking;
mod builder;
mod deflate;
mod error;
mod events;
mod extension;
pub mod frame;
mod handshake;
mod io;
mod nonblocking;
mod protocol;
mod random;

pub use accept::{is_upgrade, Accept};
pub use blocking::WebSocket;
pub use builder::WebSocketBuilder;
pub use deflate::Deflate;
pub use error::{CloseCode, Error, Result, Violation};
pub use nonblocking::AsyncWebSocket;
pub use protocol::{CloseFrame, Config, Message, Protocol, ReadStep, Role};
