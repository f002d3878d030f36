//! The framing toolkit: turn a byte stream into a stream of frames, and
//! build an application protocol of your own on the transport layer.
//!
//! - [`Decoder`] / [`Encoder`]: sans-IO codecs over [`bytes::BytesMut`].
//! - [`Framed`]: drives a codec over any stream — a [`transport::NetworkStream`],
//!   a [`transport::tls::TlsStream`], a Unix stream — synchronously
//!   (`read_frame`, `write_frame`, `frames()`) or asynchronously
//!   (`read_frame_async`, `write_frame_async`, and the `futures`
//!   `Stream`/`Sink` traits).
//! - Codecs: [`LinesCodec`] (text lines, LF or CRLF), [`LengthDelimitedCodec`]
//!   (1/2/4/8-byte lengths, either byte order, length adjustment) and
//!   [`BytesCodec`] (raw chunks).
//! - [`Error`]: what went wrong (`framing: …`): an over-long line or frame,
//!   a stream that ended inside a frame, an invalid length field, invalid
//!   UTF-8, or the transport layer below. Every limit has a default and a
//!   setter; nothing a peer sends is dropped silently.
//!
//! # Writing a protocol of your own
//!
//! Say we want a tiny key-value protocol: the client sends `SET key value`
//! or `GET key`, one command per line, and the server answers one line. The
//! work splits in three:
//!
//! 1. **The messages** as Rust types.
//! 2. **A codec**: a [`Decoder`] that turns bytes into commands and an
//!    [`Encoder`] for replies. Reuse [`LinesCodec`] for the line splitting
//!    (it already enforces a maximum length and UTF-8) and only parse.
//! 3. **A loop** over a [`Framed`] connection.
//!
//! ```
//! use std::collections::HashMap;
//! use bytes::BytesMut;
//! use netstack::protocols::framing::{Decoder, Encoder, Error, Framed, LinesCodec};
//! use netstack::transport::{TcpClient, TcpListener};
//!
//! // 1. The messages.
//! #[derive(Debug, PartialEq)]
//! enum Command { Set(String, String), Get(String) }
//!
//! // 2. The server's codec: commands in, reply lines out.
//! struct KvCodec(LinesCodec);
//!
//! impl Decoder for KvCodec {
//!     type Item = Command;
//!     fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Command>, Error> {
//!         let Some(line) = self.0.decode(src)? else { return Ok(None) };
//!         let mut words = line.splitn(3, ' ');
//!         match (words.next(), words.next(), words.next()) {
//!             (Some("SET"), Some(k), Some(v)) => Ok(Some(Command::Set(k.into(), v.into()))),
//!             (Some("GET"), Some(k), None) => Ok(Some(Command::Get(k.into()))),
//!             _ => Err(Error::InvalidFrame(format!("unknown command {line:?}"))),
//!         }
//!     }
//! }
//!
//! impl Encoder<String> for KvCodec {
//!     fn encode(&mut self, reply: String, dst: &mut BytesMut) -> Result<(), Error> {
//!         self.0.encode(reply, dst)
//!     }
//! }
//!
//! // 3. The server: one loop per connection. A bad command is answered,
//! //    and the connection goes on (the codec consumed the bad line).
//! fn serve(listener: TcpListener) -> Result<(), Error> {
//!     let mut conn = Framed::new(listener.accept()?, KvCodec(LinesCodec::new().max_length(256)));
//!     let mut store = HashMap::new();
//!     loop {
//!         let reply = match conn.read_frame() {
//!             Ok(None) => return Ok(()), // the client hung up
//!             Ok(Some(Command::Set(k, v))) => { store.insert(k, v); "OK".to_string() }
//!             Ok(Some(Command::Get(k))) => store.get(&k).cloned().unwrap_or("(nil)".into()),
//!             Err(e) if e.is_bad_input() => format!("ERR {e}"),
//!             Err(e) => return Err(e),
//!         };
//!         conn.write_frame(reply)?;
//!     }
//! }
//!
//! let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
//! listener.start(8)?;
//! let endpoint = listener.local_endpoint()?;
//! let server = std::thread::spawn(move || serve(listener));
//!
//! // The client needs no codec of its own: plain lines will do.
//! let stream = TcpClient::connect_endpoint(endpoint)?.into_stream();
//! stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
//! let mut client = Framed::new(stream, LinesCodec::new());
//! for (command, expected) in [
//!     ("SET greeting hello world", "OK"),
//!     ("GET greeting", "hello world"),
//!     ("GET nothing", "(nil)"),
//!     ("DANCE", "ERR framing: invalid frame: unknown command \"DANCE\""),
//! ] {
//!     client.write_frame(command)?;
//!     assert_eq!(client.read_frame()?.as_deref(), Some(expected));
//! }
//! client.get_ref().shutdown(netstack::sockets::Shutdown::Send)?;
//! server.join().unwrap()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same server runs asynchronously by changing `read_frame` to
//! `read_frame_async().await` and `write_frame` to `write_frame_async(…).await`
//! (or by using the `Stream`/`Sink` traits); the codec does not change, since
//! it never does I/O. For a binary protocol, start from
//! [`LengthDelimitedCodec`] the same way and parse the [`bytes::Bytes`]
//! payload.

mod bytes_codec;
mod codec;
mod error;
mod framed;
mod length_delimited;
mod lines;

pub use bytes_codec::BytesCodec;
pub use codec::{Decoder, Encoder};
pub use error::{Error, Result};
pub use framed::{Framed, Frames};
pub use length_delimited::{Endianness, LengthDelimitedCodec, LengthField};
pub use lines::{LineEnding, LinesCodec};
