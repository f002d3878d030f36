//! [`AsyncFtpClient`]: the asynchronous driver of the shared FTP
//! conversations, and [`AsyncFtpDownload`], a `RETR` read as a
//! `futures_io::AsyncRead`. Same behaviour as the blocking client; every
//! wait is bounded by the socket timeouts netstack's reactor honours.

use std::future::{poll_fn, Future};
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use futures_io::AsyncRead;
use sockets::Shutdown;
use transport::{NetworkStream, TcpClient};

use super::conversations::{
    append_within, Greeting, Listing, Login, Simple, Started, Store, TransferEnd, TransferOpen,
    ANONYMOUS_PASSWORD,
};
use super::data_connection::{close, opened, peer_ip, prepare, present, READ_CHUNK};
use super::error::{failed_before, Error, Result};
use super::operation::{Operation, Outcome, Start, Step};
use super::options::FtpOptions;
use super::reply::{self, Reply};
use super::session::{Command, Conversation, Session};
use super::url::FtpUrl;

/// An FTP client whose operations are futures: the [`FtpClient`](super::FtpClient)'s
/// API and behaviour, without blocking a thread. Runs under any executor
/// (netstack's reactor drives the sockets). Dropping an operation's future
/// midway leaves the client [`Error::Broken`].
///
/// ```no_run
/// use netstack::protocols::ftp::{AsyncFtpClient, FtpOptions};
///
/// netstack::sockets::block_on(async {
///     let mut ftp = AsyncFtpClient::connect("ftp.example.com", 21, &FtpOptions::new()).await?;
///     ftp.login("alice", "secret").await?;
///     ftp.binary().await?;
///     let sent = ftp.stor("upload.bin", &mut &b"hello"[..]).await?;
///     assert_eq!(sent, 5);
///     let back = ftp.retr("upload.bin").await?.to_vec().await?;
///     assert_eq!(back, b"hello");
///     ftp.quit().await
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AsyncFtpClient {
    control: NetworkStream,
    session: Session,
    peer: IpAddr,
    greeting: Reply,
}

impl AsyncFtpClient {
    /// Connects to `host:port` (resolving `host`) and reads the server's greeting.
    pub async fn connect(host: &str, port: u16, options: &FtpOptions) -> Result<AsyncFtpClient> {
        let control = TcpClient::connect_with_async(host, port, &options.control_connect())
            .await
            .map_err(|e| Error::transport(e, "the control connection"))?
            .into_stream();
        AsyncFtpClient::with_stream(control, options).await
    }

    /// Connects to the server of `url`, logs in as its user (anonymously
    /// when it has none) and sets the transfer type: binary, or ASCII for `;type=a`.
    pub async fn connect_url(url: &FtpUrl, options: &FtpOptions) -> Result<AsyncFtpClient> {
        let mut client = AsyncFtpClient::connect(&url.host, url.port, options).await?;
        let (user, password) = url.credentials();
        client.login(user, password).await?;
        client.simple("TYPE", Some(url.transfer_type())).await?;
        Ok(client)
    }

    /// A client over a connected control stream; reads the greeting.
    pub async fn with_stream(
        control: NetworkStream,
        options: &FtpOptions,
    ) -> Result<AsyncFtpClient> {
        control.set_read_timeout(options.read_timeout)?;
        control.set_write_timeout(options.write_timeout)?;
        let peer = peer_ip(&control)?;
        let mut client = AsyncFtpClient {
            control,
            session: Session::new(options),
            peer,
            greeting: Reply::new(0, ""),
        };
        client.greeting = client.converse(Greeting).await?;
        Ok(client)
    }

    /// The server's greeting (the 220 reply).
    pub fn greeting(&self) -> &Reply {
        &self.greeting
    }

    /// The control connection's stream.
    pub fn get_ref(&self) -> &NetworkStream {
        &self.control
    }

    /// Logs in as `user` with `password` (`USER`, then `PASS` if asked).
    pub async fn login(&mut self, user: &str, password: &str) -> Result<()> {
        self.converse(Login::new(user, password)?).await
    }

    /// Logs in as `anonymous` (RFC 1635).
    pub async fn login_anonymous(&mut self) -> Result<()> {
        self.login("anonymous", ANONYMOUS_PASSWORD).await
    }

    /// Binary (image) transfers: `TYPE I`.
    pub async fn binary(&mut self) -> Result<()> {
        self.simple("TYPE", Some("I")).await.map(drop)
    }

    /// Changes the working directory (`CWD`).
    pub async fn cwd(&mut self, path: &str) -> Result<()> {
        self.simple("CWD", Some(path)).await.map(drop)
    }

    /// The working directory (`PWD`).
    pub async fn pwd(&mut self) -> Result<String> {
        let reply = self.simple("PWD", None).await?;
        Ok(reply::parse_directory(&reply)?)
    }

    /// A file's size in bytes (`SIZE`, RFC 3659).
    pub async fn size(&mut self, path: &str) -> Result<u64> {
        let reply = self.simple("SIZE", Some(path)).await?;
        Ok(reply::parse_size(&reply)?)
    }

    /// A file's last modification time (`MDTM`, RFC 3659).
    pub async fn modified(&mut self, path: &str) -> Result<SystemTime> {
        let reply = self.simple("MDTM", Some(path)).await?;
        Ok(reply::parse_mdtm(&reply)?)
    }

    /// Deletes a file (`DELE`).
    pub async fn delete(&mut self, path: &str) -> Result<()> {
        self.simple("DELE", Some(path)).await.map(drop)
    }

    /// Creates a directory (`MKD`).
    pub async fn mkdir(&mut self, path: &str) -> Result<()> {
        self.simple("MKD", Some(path)).await.map(drop)
    }

    /// Removes a directory (`RMD`).
    pub async fn rmdir(&mut self, path: &str) -> Result<()> {
        self.simple("RMD", Some(path)).await.map(drop)
    }

    /// Sends any command and returns its final 2yz reply (see [`FtpClient::command`](super::FtpClient::command)).
    pub async fn command(&mut self, verb: &str, arg: Option<&str>) -> Result<Reply> {
        self.simple(verb, arg).await
    }

    /// Ends the session (`QUIT`) and closes the control connection.
    pub async fn quit(mut self) -> Result<()> {
        let result = self.simple("QUIT", None).await.map(drop);
        let _ = self.control.shutdown(Shutdown::Both);
        result
    }

    /// Starts downloading a file (`RETR`).
    pub async fn retr(&mut self, path: &str) -> Result<AsyncFtpDownload<'_>> {
        self.retr_from(path, 0).await
    }

    /// Starts downloading a file from byte `offset` (`REST`, then `RETR`).
    pub async fn retr_from(&mut self, path: &str, offset: u64) -> Result<AsyncFtpDownload<'_>> {
        let (data, started) = self.open_retr(path, offset).await?;
        Ok(AsyncFtpDownload::new(Holder::Borrowed(self), data, started))
    }

    /// [`retr_from`](AsyncFtpClient::retr_from) for a download that owns
    /// the client; get it back with [`AsyncFtpDownload::into_client`].
    pub async fn into_retr(mut self, path: &str, offset: u64) -> Result<AsyncFtpDownload<'static>> {
        let (data, started) = self.open_retr(path, offset).await?;
        Ok(AsyncFtpDownload::new(
            Holder::Owned(Box::new(self)),
            data,
            started,
        ))
    }

    async fn open_retr(&mut self, path: &str, offset: u64) -> Result<(NetworkStream, Started)> {
        let open = TransferOpen::new(
            Command::new("RETR", Some(path))?,
            Some(offset),
            self.session.use_epsv(),
        );
        let (started, data) = self.run(open, Start::Fresh, NO_SOURCE).await?;
        Ok((opened(data)?, started))
    }

    /// Uploads `source` to `path` (`STOR`); returns the bytes sent once the
    /// server confirmed the transfer.
    pub async fn stor<R>(&mut self, path: &str, source: &mut R) -> Result<u64>
    where
        R: AsyncRead + Unpin + ?Sized,
    {
        let store = Store::new(Command::new("STOR", Some(path))?, self.session.use_epsv());
        let (sent, _) = self.run(store, Start::Fresh, Some(source)).await?;
        Ok(sent)
    }

    /// A directory listing in the server's format (`LIST`), one line per entry.
    pub async fn list(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        self.listing("LIST", path).await
    }

    /// The names in a directory (`NLST`).
    pub async fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        self.listing("NLST", path).await
    }

    async fn listing(&mut self, verb: &str, path: Option<&str>) -> Result<Vec<String>> {
        let limit = self.session.options.max_listing_size;
        let listing = Listing::new(Command::new(verb, path)?, self.session.use_epsv(), limit);
        self.converse(listing).await
    }

    async fn finish_transfer(&mut self, started: Started, transferred: u64) -> Result<Reply> {
        let end = TransferEnd::new(started, transferred);
        let (reply, _) = self.run(end, Start::TransferEnd, NO_SOURCE).await?;
        Ok(reply)
    }

    async fn simple(&mut self, verb: &str, arg: Option<&str>) -> Result<Reply> {
        self.converse(Simple::new(Command::new(verb, arg)?)).await
    }

    async fn converse<C: Conversation>(&mut self, conversation: C) -> Result<C::Output> {
        let (output, _) = self.run(conversation, Start::Fresh, NO_SOURCE).await?;
        Ok(output)
    }

    /// The driver loop: carries out the operation's steps as futures;
    /// returns its output and the data connection it opened, if any.
    async fn run<C: Conversation, R: AsyncRead + Unpin + ?Sized>(
        &mut self,
        conversation: C,
        start: Start,
        mut source: Option<&mut R>,
    ) -> Result<(C::Output, Option<NetworkStream>)> {
        let mut data = None;
        let mut operation = Operation::new(&mut self.session, conversation, start)?;
        loop {
            let outcome = match operation.step() {
                Step::Send(line) => Outcome::Sent(self.control.write_all_async(line).await),
                Step::Receive(buf) => Outcome::Received(self.control.read_async(buf).await),
                Step::Connect { port, options } => {
                    let peer = self.peer;
                    let connected = TcpClient::connect_with_async(
                        &peer.to_string(),
                        port,
                        &options.data_connect(peer),
                    )
                    .await;
                    Outcome::Connected(
                        prepare(connected, options).map(|opened| data = Some(opened)),
                    )
                }
                Step::ReadData(buf) => Outcome::DataRead(present(&data)?.read_async(buf).await),
                Step::ReadSource(buf) => Outcome::SourceRead(match &mut source {
                    Some(source) => poll_fn(|cx| Pin::new(&mut **source).poll_read(cx, buf)).await,
                    None => Ok(0),
                }),
                Step::WriteData(bytes) => {
                    Outcome::DataWritten(present(&data)?.write_all_async(bytes).await)
                }
                Step::CloseData => {
                    close(&mut data);
                    Outcome::DataClosed
                }
                Step::Done(output) => return Ok((output, data)),
            };
            operation.answer(outcome)?;
        }
    }
}

/// The upload source of the operations that upload nothing.
const NO_SOURCE: Option<&mut &[u8]> = None;

/// The client of a download: borrowed ([`AsyncFtpClient::retr`]) or owned
/// ([`AsyncFtpClient::into_retr`]).
enum Holder<'a> {
    Borrowed(&'a mut AsyncFtpClient),
    Owned(Box<AsyncFtpClient>),
}

impl Holder<'_> {
    fn get(&mut self) -> &mut AsyncFtpClient {
        match self {
            Holder::Borrowed(client) => client,
            Holder::Owned(client) => client,
        }
    }
}

/// Reading the final reply; the client comes back with it.
type Finishing<'a> = Pin<Box<dyn Future<Output = (Result<Reply>, Holder<'a>)> + Send + 'a>>;

enum State<'a> {
    Reading(Started),
    /// The data connection ended: reading the final reply.
    Finishing(Finishing<'a>),
    Done,
    /// The final reply reported this failure; later reads repeat it.
    Failed(String),
}

/// A file being downloaded (`RETR`), read with `futures_io::AsyncRead` or
/// [`read_async`](AsyncFtpDownload::read_async). Same rules as
/// [`FtpDownload`](super::FtpDownload): the read that sees the data
/// connection's end reads the final reply and fails if the transfer failed;
/// each read waits at most the read timeout.
pub struct AsyncFtpDownload<'a> {
    /// `None` while the final reply is being read.
    client: Option<Holder<'a>>,
    state: State<'a>,
    data: Option<NetworkStream>,
    expected: Option<u64>,
    received: u64,
    read_timeout: Option<Duration>,
    timer: Option<sockets::Sleep>,
    max_to_vec_size: u64,
}

impl std::fmt::Debug for AsyncFtpDownload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncFtpDownload")
            .field("expected", &self.expected)
            .field("received", &self.received)
            .field("done", &matches!(self.state, State::Done))
            .finish_non_exhaustive()
    }
}

impl<'a> AsyncFtpDownload<'a> {
    fn new(client: Holder<'a>, data: NetworkStream, started: Started) -> AsyncFtpDownload<'a> {
        let options = match &client {
            Holder::Borrowed(c) => &c.session.options,
            Holder::Owned(c) => &c.session.options,
        };
        let (read_timeout, max_to_vec_size) = (options.read_timeout, options.max_to_vec_size);
        AsyncFtpDownload {
            client: Some(client),
            expected: started.expected,
            state: State::Reading(started),
            data: Some(data),
            received: 0,
            read_timeout,
            timer: None,
            max_to_vec_size,
        }
    }

    /// The client, if this download owns it ([`AsyncFtpClient::into_retr`])
    /// and is not reading the final reply. An unfinished download's final
    /// reply is read before the client's next command.
    pub fn into_client(self) -> Option<AsyncFtpClient> {
        match self.client {
            Some(Holder::Owned(client)) => Some(*client),
            _ => None,
        }
    }

    /// The size the server announced in its 150 reply, if it did.
    pub fn expected_len(&self) -> Option<u64> {
        self.expected
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Reads some of the file into `buf` (0 at the end, after a good final
    /// reply). The mode is in the name, as on `NetworkStream`, so that the
    /// `read` of the `AsyncRead` extension traits is not shadowed.
    pub async fn read_async(&mut self, buf: &mut [u8]) -> Result<usize> {
        poll_fn(|cx| self.poll_next(cx, buf)).await
    }

    /// Reads the rest of the file into a vector (and the final reply), up
    /// to [`FtpOptions::max_to_vec_size`] (then [`Error::TooLarge`]).
    pub async fn to_vec(mut self) -> Result<Vec<u8>> {
        let limit = self.max_to_vec_size;
        let mut out =
            Vec::with_capacity(self.expected.unwrap_or(0).min(limit).min(1 << 24) as usize);
        append_within(&mut out, &[], self.expected, limit)?;
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let n = self.read_async(&mut buf).await?;
            if n == 0 {
                return Ok(out);
            }
            append_within(&mut out, &buf[..n], None, limit)?;
        }
    }

    fn poll_next(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize>> {
        loop {
            match &mut self.state {
                State::Done => return Poll::Ready(Ok(0)),
                State::Failed(failure) => return Poll::Ready(Err(failed_before(failure))),
                State::Finishing(finishing) => {
                    let (result, client) = std::task::ready!(finishing.as_mut().poll(cx));
                    self.client = Some(client);
                    self.state = match &result {
                        Ok(_) => State::Done,
                        Err(e) => State::Failed(e.to_string()),
                    };
                    return Poll::Ready(result.map(|_| 0));
                }
                State::Reading(_) => {}
            }
            let data = self.data.as_mut().expect("open while reading");
            match Pin::new(data).poll_read(cx, buf) {
                Poll::Ready(Ok(0)) => {
                    self.timer = None;
                    self.data = None;
                    let State::Reading(started) = std::mem::replace(&mut self.state, State::Done)
                    else {
                        unreachable!("matched above")
                    };
                    let mut client = self.client.take().expect("held while reading");
                    let received = self.received;
                    self.state = State::Finishing(Box::pin(async move {
                        let result = client.get().finish_transfer(started, received).await;
                        (result, client)
                    }));
                }
                Poll::Ready(Ok(n)) => {
                    self.timer = None;
                    self.received += n as u64;
                    return Poll::Ready(Ok(n));
                }
                Poll::Ready(Err(e)) => {
                    self.timer = None;
                    let error = sockets::Error::from_io(&e, "receive");
                    return Poll::Ready(Err(Error::transport(error.into(), "download data")));
                }
                Poll::Pending => {
                    let Some(limit) = self.read_timeout else {
                        return Poll::Pending;
                    };
                    let timer = self.timer.get_or_insert_with(|| sockets::sleep(limit));
                    return match Pin::new(timer).poll(cx) {
                        Poll::Ready(()) => {
                            self.timer = None;
                            Poll::Ready(Err(Error::Timeout {
                                phase: "download data",
                            }))
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

impl AsyncRead for AsyncFtpDownload<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.get_mut().poll_next(cx, buf).map_err(io::Error::from)
    }
}
