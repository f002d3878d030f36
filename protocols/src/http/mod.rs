//! HTTP/1.1 (RFC 9112), built sans-IO: the core parses and encodes bytes and
//! never touches a socket, so the synchronous and asynchronous drivers share
//! it and behave the same.
//!
//! - [`parse_response_head`], [`parse_request_head`], [`encode_request_head`],
//!   [`encode_response_head`]: message heads (`httparse` after a strict pre-scan).
//! - [`response_body_length`], [`request_body_length`], [`keep_alive`]: framing
//!   and connection rules, strict where laxness enables request smuggling.
//! - [`BodyDecoder`], [`encode_chunk`], [`encode_last_chunk`]: bodies by
//!   length, chunked (with trailers) or until close.
//! - [`Limits`]: a bound on everything a peer can make us buffer.
//! - [`ParseError`]: one variant per rejection; [`Error`]: the layer's error.

mod armed_timer;
mod body;
pub mod client;
mod error;
mod framing;
mod head;
mod head_arena;
mod limits;
pub mod server;
mod span;

pub use body::{encode_chunk, encode_last_chunk, BodyDecoder, Decoded};
pub use error::{Error, ParseError, Phase, Result};
pub use framing::{keep_alive, request_body_length, response_body_length, BodyLength};
pub use head::{
    encode_request_head, encode_response_head, parse_request_head, parse_response_head,
    RequestHead, ResponseHead,
};
pub use limits::Limits;

/// The `http` crate's types this layer speaks, re-exported so that a
/// program uses the same version without naming it in its own manifest.
pub use ::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};
