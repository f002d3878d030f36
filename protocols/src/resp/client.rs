//! `RespClient`: a small Redis client, sync and async, with pipelining.

use std::future::{poll_fn, Future};
use std::io::Write;
use std::pin::Pin;
use std::time::Duration;

use bytes::BytesMut;
use futures_io::AsyncWrite;
use sockets::EndPoint;
use transport::{NetworkStream, TcpClient};

use super::codec::RespCodec;
use super::value::{ServerError, Value};
use crate::framing::{self, Encoder, Framed};

/// One reply of a pipeline: the value, or the server's error reply.
pub type Reply = std::result::Result<Value, ServerError>;

/// What can go wrong talking to a Redis server. Each message starts with `resp:`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error reply (`-ERR …`). The connection
    /// stays usable.
    #[error("resp: the server replied with an error: {0}")]
    Server(ServerError),
    /// A reply that could not be decoded (too large, malformed), or the
    /// stream failed under it; the message names the layer below.
    #[error("resp: {0}")]
    Framing(#[from] framing::Error),
    /// Connecting failed, or an async call passed the client's timeout.
    #[error("resp: {0}")]
    Transport(#[from] transport::Error),
    /// The server closed the connection before sending every reply.
    #[error("resp: the server closed the connection with {missing} replies outstanding")]
    ConnectionClosed {
        /// How many replies had not arrived.
        missing: usize,
    },
    /// An earlier failure (a timeout, a malformed reply, a cancelled
    /// future) left replies unread, so later replies could be taken for the
    /// wrong commands: connect again.
    #[error("resp: the connection is out of step after an earlier failure; reconnect")]
    Broken,
}

impl Error {
    /// True when a wait passed its timeout.
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Framing(e) => e.is_timeout(),
            Error::Transport(e) => e.is_timeout(),
            _ => false,
        }
    }
}

/// For code that works in `io::Error`s: the kind says what happened, the
/// error stays the source; a failure of the layer below becomes its own
/// `io::Error`.
impl From<Error> for std::io::Error {
    fn from(error: Error) -> std::io::Error {
        use std::io::ErrorKind;
        let kind = match error {
            Error::Framing(e) => return e.into(),
            Error::Transport(e) => return e.into(),
            Error::ConnectionClosed { .. } => ErrorKind::UnexpectedEof,
            Error::Server(_) | Error::Broken => ErrorKind::Other,
        };
        std::io::Error::new(kind, error)
    }
}

/// The RESP client's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// A connection to a Redis server (or anything speaking RESP2): commands
/// one at a time ([`command`](RespClient::command)) or many in one write
/// ([`pipeline`](RespClient::pipeline)), synchronously or asynchronously
/// (`…_async`; the same connection may mix both).
///
/// Arguments are bytes (`&str`, `&[u8]`, `Vec<u8>`, `Bytes`…), so values
/// are binary-safe. An error reply is [`Error::Server`] from `command` and
/// an `Err` item from `pipeline`; the connection goes on. Every wait is
/// bounded by the client's timeout ([`RespClient::DEFAULT_TIMEOUT`]).
///
/// ```
/// use bytes::Bytes;
/// use netstack::protocols::framing::Framed;
/// use netstack::protocols::resp::{Error, RespClient, RespCodec, Value};
/// use netstack::transport::TcpListener;
///
/// // A stand-in server for the example: answers PING, and errors otherwise.
/// let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
/// listener.start(8)?;
/// let endpoint = listener.local_endpoint()?;
/// let server = std::thread::spawn(move || {
///     let mut conn = Framed::new(listener.accept().unwrap(), RespCodec::new());
///     while let Some(Value::Array(args)) = conn.read_frame().unwrap() {
///         let reply = match args[0].as_bytes() {
///             Some(b"PING") => Value::SimpleString("PONG".into()),
///             _ => Value::Error(netstack::protocols::resp::ServerError::new("ERR unknown command")),
///         };
///         conn.write_frame(reply).unwrap();
///     }
/// });
///
/// let mut client = RespClient::connect_endpoint(endpoint)?;
/// assert_eq!(client.command(&["PING"])?, Value::SimpleString("PONG".into()));
/// match client.command(&["DANCE"]) {
///     Err(Error::Server(e)) => assert_eq!(e.kind(), "ERR"),
///     other => panic!("{other:?}"),
/// }
/// // Three commands in one write, three replies.
/// let replies = client.pipeline([["PING"], ["DANCE"], ["PING"]])?;
/// assert_eq!(replies.len(), 3);
/// assert!(replies[1].is_err());
/// // The same, asynchronously.
/// let pong = netstack::sockets::block_on(client.command_async(&["PING"]))?;
/// assert_eq!(pong.as_bytes(), Some(&b"PONG"[..]));
/// drop(client);
/// server.join().unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RespClient {
    conn: Framed<NetworkStream, RespCodec>,
    /// The encoded commands of one call, reused.
    out: BytesMut,
    timeout: Option<Duration>,
    /// Replies are owed that were never read: the connection is out of step.
    broken: bool,
}

impl RespClient {
    /// The default bound on every wait (30 s).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Connects to `host:port` (resolving `host`).
    pub fn connect(host: &str, port: u16) -> Result<RespClient> {
        RespClient::new(TcpClient::connect(host, port)?.into_stream())
    }

    /// Connects to `host:port` without blocking a thread.
    pub async fn connect_async(host: &str, port: u16) -> Result<RespClient> {
        let client = bounded(
            Some(Self::DEFAULT_TIMEOUT),
            TcpClient::connect_async(host, port),
        )
        .await??;
        RespClient::new(client.into_stream())
    }

    /// Connects to an endpoint (e.g. `([127, 0, 0, 1], 6379)`).
    pub fn connect_endpoint(endpoint: impl Into<EndPoint>) -> Result<RespClient> {
        RespClient::new(TcpClient::connect_endpoint(endpoint)?.into_stream())
    }

    /// Connects to an endpoint without blocking a thread.
    pub async fn connect_endpoint_async(endpoint: impl Into<EndPoint>) -> Result<RespClient> {
        let connect = TcpClient::connect_endpoint_async(endpoint);
        let client = bounded(Some(Self::DEFAULT_TIMEOUT), connect).await??;
        RespClient::new(client.into_stream())
    }

    /// A client over a connected stream, with the default codec limits.
    pub fn new(stream: NetworkStream) -> Result<RespClient> {
        RespClient::with_codec(stream, RespCodec::new())
    }

    /// A client over a connected stream, with a codec of your own limits.
    pub fn with_codec(stream: NetworkStream, codec: RespCodec) -> Result<RespClient> {
        let mut client = RespClient {
            conn: Framed::new(stream, codec),
            out: BytesMut::new(),
            timeout: None,
            broken: false,
        };
        client.set_timeout(Some(Self::DEFAULT_TIMEOUT))?;
        Ok(client)
    }

    /// Sets the bound on each wait (sync: the stream's read and write
    /// timeouts; async: each call as a whole). `None`: wait forever.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.conn.get_ref().set_read_timeout(timeout)?;
        self.conn.get_ref().set_write_timeout(timeout)?;
        self.timeout = timeout;
        Ok(())
    }

    /// The stream under the client.
    pub fn get_ref(&self) -> &NetworkStream {
        self.conn.get_ref()
    }

    /// Sends one command and reads its reply. An error reply is [`Error::Server`].
    pub fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Value> {
        let mut replies = self.pipeline([args])?;
        take_one(&mut replies)
    }

    /// Sends every command in one write, then reads one reply per command,
    /// in order. A command's error reply is an `Err` item; the others go on.
    pub fn pipeline<I, C, A>(&mut self, commands: I) -> Result<Vec<Reply>>
    where
        I: IntoIterator<Item = C>,
        C: AsRef<[A]>,
        A: AsRef<[u8]>,
    {
        let count = self.encode(commands)?;
        self.broken = true; // until every reply is read
        let stream = self.conn.get_mut();
        stream
            .write_all(&self.out)
            .map_err(framing::Error::from_io)?;
        self.out.clear();
        let mut replies = Vec::with_capacity(count);
        while replies.len() < count {
            match self.conn.read_frame()? {
                Some(value) => replies.push(value.into_result()),
                None => {
                    return Err(Error::ConnectionClosed {
                        missing: count - replies.len(),
                    })
                }
            }
        }
        self.broken = false;
        Ok(replies)
    }

    /// [`command`](RespClient::command) without blocking a thread.
    pub async fn command_async<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Value> {
        let mut replies = self.pipeline_async([args]).await?;
        take_one(&mut replies)
    }

    /// [`pipeline`](RespClient::pipeline) without blocking a thread. If the
    /// future is dropped midway, the client is [`Error::Broken`] afterwards.
    pub async fn pipeline_async<I, C, A>(&mut self, commands: I) -> Result<Vec<Reply>>
    where
        I: IntoIterator<Item = C>,
        C: AsRef<[A]>,
        A: AsRef<[u8]>,
    {
        let count = self.encode(commands)?;
        self.broken = true; // until every reply is read
        let timeout = self.timeout;
        let result = bounded(timeout, async {
            let mut written = 0;
            while written < self.out.len() {
                let stream = self.conn.get_mut();
                let n = poll_fn(|cx| Pin::new(&mut *stream).poll_write(cx, &self.out[written..]))
                    .await
                    .map_err(framing::Error::from_io)?;
                if n == 0 {
                    return Err(Error::ConnectionClosed { missing: count });
                }
                written += n;
            }
            self.out.clear();
            let mut replies = Vec::with_capacity(count);
            while replies.len() < count {
                match self.conn.read_frame_async().await? {
                    Some(value) => replies.push(value.into_result()),
                    None => {
                        return Err(Error::ConnectionClosed {
                            missing: count - replies.len(),
                        })
                    }
                }
            }
            Ok(replies)
        })
        .await??;
        self.broken = false;
        Ok(result)
    }

    /// Encodes the commands into `out` (nothing is sent if one is refused);
    /// returns how many.
    fn encode<I, C, A>(&mut self, commands: I) -> Result<usize>
    where
        I: IntoIterator<Item = C>,
        C: AsRef<[A]>,
        A: AsRef<[u8]>,
    {
        if self.broken {
            return Err(Error::Broken);
        }
        self.out.clear();
        let mut count = 0;
        for command in commands {
            if let Err(e) = self
                .conn
                .codec_mut()
                .encode(command.as_ref(), &mut self.out)
            {
                self.out.clear();
                return Err(e.into());
            }
            count += 1;
        }
        Ok(count)
    }
}

/// The one reply of a one-command pipeline, an error reply as [`Error::Server`].
fn take_one(replies: &mut Vec<Reply>) -> Result<Value> {
    match replies.pop() {
        Some(Ok(value)) => Ok(value),
        Some(Err(e)) => Err(Error::Server(e)),
        None => Err(Error::ConnectionClosed { missing: 1 }),
    }
}

/// Runs `future` within `timeout` (a timeout is a transport error, `TimedOut`).
async fn bounded<T>(timeout: Option<Duration>, future: impl Future<Output = T>) -> Result<T> {
    match timeout {
        None => Ok(future.await),
        Some(limit) => sockets::with_timeout(limit, async { Ok(future.await) })
            .await
            .map_err(|e| Error::Transport(e.into())),
    }
}
