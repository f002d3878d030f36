//! RESP, the Redis protocol (RESP2): a worked protocol on the framing toolkit.
//!
//! - [`RespCodec`]: the sans-IO codec — [`Value`]s of every RESP2 type in,
//!   commands (arrays of bulk strings) and values out; every size a peer
//!   controls is bounded.
//! - [`RespClient`]: a client over a [`transport::NetworkStream`], sync and
//!   async, with pipelining (many commands in one write, then every reply).
//! - [`Error`]: a client failure; an error reply from the server is
//!   [`Error::Server`] (a [`ServerError`] value), never a panic.
//!
//! See `examples/resp.rs` for a program against a real `redis-server`.

mod client;
mod codec;
mod value;

pub use client::{Error, Reply, RespClient, Result};
pub use codec::{
    RespCodec, DEFAULT_MAX_ARRAY_LENGTH, DEFAULT_MAX_BULK_LENGTH, DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_FRAME_LENGTH, DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_VALUES,
};
pub use value::{ServerError, Value};
