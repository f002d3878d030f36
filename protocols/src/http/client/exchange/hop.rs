//! One attempt at one URL of a redirect chain, on one connection: what
//! the exchange keeps of it between steps.

use url::Url;

use crate::http::client::body::BodyKind;
use crate::http::client::conn::ResponseReader;
use crate::http::client::pool::PoolKey;
use crate::http::client::request_head::Framing;
use crate::http::client::{Config, Route, Timings};
use crate::http::{Error, ResponseHead, Result};

/// One attempt at one URL of the redirect chain, on one connection.
pub(super) struct Hop {
    pub(super) route: Route,
    pub(super) key: PoolKey,
    pub(super) retried: bool,
    pub(super) reused: bool,
    pub(super) timings: Timings,
    pub(super) reader: ResponseReader,
    /// Informational (1xx) responses passed over so far.
    pub(super) informational: u32,
    /// A head to write, or a framed piece of the body.
    pub(super) out: Vec<u8>,
    pub(super) framing: Framing,
    pub(super) expect_continue: bool,
    /// The body still to send after the head.
    pub(super) body: Option<BodyKind>,
    /// Where a streamed body's pieces are read into, and how much was sent.
    pub(super) buf: Vec<u8>,
    pub(super) sent: u64,
    /// Body bytes in the write under way, and in the writes done.
    pub(super) body_writing: u64,
    pub(super) body_written: u64,
    /// At how many sent bytes of a streamed body to look for an early answer.
    pub(super) next_peek: u64,
    /// A 2xx that came before the body was all sent: the response once it is.
    pub(super) early: Option<Box<ResponseHead>>,
    /// Why sending the body failed, while a response that may have come
    /// before is read.
    pub(super) send_error: Option<Box<Error>>,
}

impl Hop {
    pub(super) fn new(config: &Config, url: &Url, retried: bool) -> Result<Hop> {
        let route = config.route(url);
        let key = config.pool_key(url, &route)?;
        Ok(Hop {
            route,
            key,
            retried,
            reused: false,
            timings: Timings::default(),
            reader: ResponseReader::new(config.limits),
            informational: 0,
            out: Vec::new(),
            framing: Framing::None,
            expect_continue: false,
            body: None,
            buf: Vec::new(),
            sent: 0,
            body_writing: 0,
            body_written: 0,
            next_peek: 0,
            early: None,
            send_error: None,
        })
    }
}
