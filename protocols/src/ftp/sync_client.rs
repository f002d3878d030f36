//! [`FtpClient`]: the blocking driver of the shared FTP conversations, and
//! [`FtpDownload`], a `RETR` read as a `std::io::Read`.

use std::io::{self, Read};
use std::net::IpAddr;
use std::time::SystemTime;

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

/// A blocking FTP client on one control connection (RFC 959), with
/// passive data connections (`EPSV`, RFC 2428, falling back to `PASV`),
/// `SIZE` and `MDTM` (RFC 3659) and resumable downloads (`REST`).
///
/// Every wait is bounded by the [`FtpOptions`] timeouts. A negative reply
/// is an error value ([`Error::FileUnavailable`], [`Error::LoginDenied`],
/// …) and the session goes on; a timeout, a malformed reply or a closed
/// connection leaves it [`Error::Broken`].
///
/// ```
/// use std::io::{BufRead, BufReader, Write};
/// use netstack::protocols::ftp::{FtpClient, Error, FtpOptions};
///
/// // A stand-in server for the example: a login, then SIZE answers.
/// let listener = netstack::transport::TcpListener::bind(([127, 0, 0, 1], 0))?;
/// listener.start(1)?;
/// let port = listener.local_endpoint()?.as_ip().unwrap().port();
/// let server = std::thread::spawn(move || {
///     let conn = listener.accept().unwrap();
///     let reply = |text: &str| (&conn).write_all(format!("{text}\r\n").as_bytes()).unwrap();
///     reply("220-Welcome\r\n220 ready");
///     for line in BufReader::new(&conn).lines() {
///         match line.unwrap().as_str() {
///             "USER anonymous" => reply("331 Send your e-mail address as password"),
///             "PASS anonymous@" => reply("230 Logged in"),
///             "SIZE readme.txt" => reply("213 1234"),
///             "QUIT" => return reply("221 Bye"),
///             _ => reply("550 No such file"),
///         }
///     }
/// });
///
/// let mut ftp = FtpClient::connect("127.0.0.1", port, &FtpOptions::new())?;
/// assert_eq!(ftp.greeting().lines, ["Welcome", "ready"]);
/// ftp.login_anonymous()?;
/// assert_eq!(ftp.size("readme.txt")?, 1234);
/// match ftp.size("missing.txt") {
///     Err(Error::FileUnavailable { code: 550, .. }) => {}
///     other => panic!("{other:?}"),
/// }
/// ftp.quit()?;
/// server.join().unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FtpClient {
    control: NetworkStream,
    session: Session,
    peer: IpAddr,
    greeting: Reply,
}

impl FtpClient {
    /// Connects to `host:port` (resolving `host`) and reads the server's greeting.
    pub fn connect(host: &str, port: u16, options: &FtpOptions) -> Result<FtpClient> {
        let control = TcpClient::connect_with(host, port, &options.control_connect())
            .map_err(|e| Error::transport(e, "the control connection"))?
            .into_stream();
        FtpClient::with_stream(control, options)
    }

    /// Connects to the server of `url`, logs in as its user (anonymously
    /// when it has none) and sets the transfer type: binary, or ASCII for `;type=a`.
    pub fn connect_url(url: &FtpUrl, options: &FtpOptions) -> Result<FtpClient> {
        let mut client = FtpClient::connect(&url.host, url.port, options)?;
        let (user, password) = url.credentials();
        client.login(user, password)?;
        client.simple("TYPE", Some(url.transfer_type()))?;
        Ok(client)
    }

    /// A client over a connected control stream; reads the greeting.
    pub fn with_stream(control: NetworkStream, options: &FtpOptions) -> Result<FtpClient> {
        control.set_read_timeout(options.read_timeout)?;
        control.set_write_timeout(options.write_timeout)?;
        let peer = peer_ip(&control)?;
        let mut client = FtpClient {
            control,
            session: Session::new(options),
            peer,
            greeting: Reply::new(0, ""),
        };
        client.greeting = client.converse(Greeting)?;
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
    pub fn login(&mut self, user: &str, password: &str) -> Result<()> {
        self.converse(Login::new(user, password)?)
    }

    /// Logs in as `anonymous` (RFC 1635).
    pub fn login_anonymous(&mut self) -> Result<()> {
        self.login("anonymous", ANONYMOUS_PASSWORD)
    }

    /// Binary (image) transfers: `TYPE I`.
    pub fn binary(&mut self) -> Result<()> {
        self.simple("TYPE", Some("I")).map(drop)
    }

    /// Changes the working directory (`CWD`).
    pub fn cwd(&mut self, path: &str) -> Result<()> {
        self.simple("CWD", Some(path)).map(drop)
    }

    /// The working directory (`PWD`).
    pub fn pwd(&mut self) -> Result<String> {
        let reply = self.simple("PWD", None)?;
        Ok(reply::parse_directory(&reply)?)
    }

    /// A file's size in bytes (`SIZE`, RFC 3659; in binary mode, the bytes a `RETR` sends).
    pub fn size(&mut self, path: &str) -> Result<u64> {
        let reply = self.simple("SIZE", Some(path))?;
        Ok(reply::parse_size(&reply)?)
    }

    /// A file's last modification time (`MDTM`, RFC 3659).
    pub fn modified(&mut self, path: &str) -> Result<SystemTime> {
        let reply = self.simple("MDTM", Some(path))?;
        Ok(reply::parse_mdtm(&reply)?)
    }

    /// Deletes a file (`DELE`).
    pub fn delete(&mut self, path: &str) -> Result<()> {
        self.simple("DELE", Some(path)).map(drop)
    }

    /// Creates a directory (`MKD`).
    pub fn mkdir(&mut self, path: &str) -> Result<()> {
        self.simple("MKD", Some(path)).map(drop)
    }

    /// Removes a directory (`RMD`).
    pub fn rmdir(&mut self, path: &str) -> Result<()> {
        self.simple("RMD", Some(path)).map(drop)
    }

    /// Sends any command and returns its final 2yz reply (`SITE`, `NOOP`, `FEAT`, …);
    /// the verb must be letters and digits, the argument free of CR, LF and NUL.
    pub fn command(&mut self, verb: &str, arg: Option<&str>) -> Result<Reply> {
        self.simple(verb, arg)
    }

    /// Ends the session (`QUIT`) and closes the control connection.
    pub fn quit(mut self) -> Result<()> {
        let result = self.simple("QUIT", None).map(drop);
        let _ = self.control.shutdown(Shutdown::Both);
        result
    }

    /// Starts downloading a file (`RETR`); read it from the returned [`FtpDownload`].
    pub fn retr(&mut self, path: &str) -> Result<FtpDownload<'_>> {
        self.retr_from(path, 0)
    }

    /// Starts downloading a file from byte `offset` (`REST`, then `RETR`): resumes a download.
    pub fn retr_from(&mut self, path: &str, offset: u64) -> Result<FtpDownload<'_>> {
        let (data, started) = self.open_retr(path, offset)?;
        Ok(FtpDownload::new(Holder::Borrowed(self), data, started))
    }

    /// [`retr_from`](FtpClient::retr_from) for a download that owns the
    /// client (to return it from a function, or keep it in a struct); get
    /// the client back with [`FtpDownload::into_client`].
    pub fn into_retr(mut self, path: &str, offset: u64) -> Result<FtpDownload<'static>> {
        let (data, started) = self.open_retr(path, offset)?;
        Ok(FtpDownload::new(
            Holder::Owned(Box::new(self)),
            data,
            started,
        ))
    }

    fn open_retr(&mut self, path: &str, offset: u64) -> Result<(NetworkStream, Started)> {
        let open = TransferOpen::new(
            Command::new("RETR", Some(path))?,
            Some(offset),
            self.session.use_epsv(),
        );
        let (started, data) = self.run(open, Start::Fresh, None)?;
        Ok((opened(data)?, started))
    }

    /// Uploads `source` to `path` (`STOR`); returns the bytes sent once the
    /// server confirmed the transfer.
    pub fn stor(&mut self, path: &str, source: &mut dyn Read) -> Result<u64> {
        let store = Store::new(Command::new("STOR", Some(path))?, self.session.use_epsv());
        self.run(store, Start::Fresh, Some(source))
            .map(|(sent, _)| sent)
    }

    /// A directory listing in the server's format (`LIST`), one line per entry.
    pub fn list(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        self.listing("LIST", path)
    }

    /// The names in a directory (`NLST`).
    pub fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>> {
        self.listing("NLST", path)
    }

    fn listing(&mut self, verb: &str, path: Option<&str>) -> Result<Vec<String>> {
        let limit = self.session.options.max_listing_size;
        let listing = Listing::new(Command::new(verb, path)?, self.session.use_epsv(), limit);
        self.converse(listing)
    }

    /// Reads a transfer's final reply.
    fn finish_transfer(&mut self, started: Started, transferred: u64) -> Result<Reply> {
        let end = TransferEnd::new(started, transferred);
        self.run(end, Start::TransferEnd, None)
            .map(|(reply, _)| reply)
    }

    fn simple(&mut self, verb: &str, arg: Option<&str>) -> Result<Reply> {
        self.converse(Simple::new(Command::new(verb, arg)?))
    }

    fn converse<C: Conversation>(&mut self, conversation: C) -> Result<C::Output> {
        self.run(conversation, Start::Fresh, None)
            .map(|(output, _)| output)
    }

    /// The driver loop: carries out the operation's steps, blocking; returns
    /// its output and the data connection it opened, if any.
    fn run<C: Conversation>(
        &mut self,
        conversation: C,
        start: Start,
        mut source: Option<&mut dyn Read>,
    ) -> Result<(C::Output, Option<NetworkStream>)> {
        let mut data = None;
        let mut operation = Operation::new(&mut self.session, conversation, start)?;
        loop {
            let outcome = match operation.step() {
                Step::Send(line) => Outcome::Sent(self.control.write_all_sync(line)),
                Step::Receive(buf) => Outcome::Received(self.control.read_sync(buf)),
                Step::Connect { port, options } => {
                    let peer = self.peer;
                    let connected = TcpClient::connect_with(
                        &peer.to_string(),
                        port,
                        &options.data_connect(peer),
                    );
                    Outcome::Connected(
                        prepare(connected, options).map(|opened| data = Some(opened)),
                    )
                }
                Step::ReadData(buf) => Outcome::DataRead(present(&data)?.read_sync(buf)),
                Step::ReadSource(buf) => Outcome::SourceRead(match &mut source {
                    Some(source) => source.read(buf),
                    None => Ok(0),
                }),
                Step::WriteData(bytes) => {
                    Outcome::DataWritten(present(&data)?.write_all_sync(bytes))
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

/// A file being downloaded (`RETR`), read with [`std::io::Read`].
///
/// When the data connection ends, the read that sees the end also reads
/// the server's final reply: a failure reply (426 transfer aborted, 451 …),
/// or fewer bytes than the server announced, is an error from that read,
/// so a cut-short transfer never looks complete. Errors are `io::Error`s
/// wrapping an [`Error`] (get it back with `into_inner` and `downcast`).
///
/// Dropping a download early closes the data connection; the server's
/// final reply is then read (and ignored) before the client's next command.
#[derive(Debug)]
pub struct FtpDownload<'a> {
    client: Holder<'a>,
    data: Option<NetworkStream>,
    /// `None` once the final reply was read.
    started: Option<Started>,
    expected: Option<u64>,
    received: u64,
    /// The final reply's failure, repeated by later reads.
    failure: Option<String>,
    max_to_vec_size: u64,
}

/// The client of a download: borrowed ([`FtpClient::retr`]) or owned ([`FtpClient::into_retr`]).
#[derive(Debug)]
enum Holder<'a> {
    Borrowed(&'a mut FtpClient),
    Owned(Box<FtpClient>),
}

impl<'a> FtpDownload<'a> {
    fn new(client: Holder<'a>, data: NetworkStream, started: Started) -> FtpDownload<'a> {
        let max_to_vec_size = match &client {
            Holder::Borrowed(c) => c.session.options.max_to_vec_size,
            Holder::Owned(c) => c.session.options.max_to_vec_size,
        };
        FtpDownload {
            client,
            data: Some(data),
            expected: started.expected,
            started: Some(started),
            received: 0,
            failure: None,
            max_to_vec_size,
        }
    }

    /// The client, if this download owns it ([`FtpClient::into_retr`]). An
    /// unfinished download's final reply is read before the client's next command.
    pub fn into_client(self) -> Option<FtpClient> {
        match self.client {
            Holder::Owned(client) => Some(*client),
            Holder::Borrowed(_) => None,
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

    /// Reads the rest of the file into a vector (and the final reply), up
    /// to [`FtpOptions::max_to_vec_size`] (then [`Error::TooLarge`]).
    pub fn to_vec(mut self) -> Result<Vec<u8>> {
        let limit = self.max_to_vec_size;
        let mut out =
            Vec::with_capacity(self.expected.unwrap_or(0).min(limit).min(1 << 24) as usize);
        append_within(&mut out, &[], self.expected, limit)?;
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            let n = self.read_data(&mut buf)?;
            if n == 0 {
                return Ok(out);
            }
            append_within(&mut out, &buf[..n], None, limit)?;
        }
    }

    fn read_data(&mut self, buf: &mut [u8]) -> Result<usize> {
        if let Some(failure) = &self.failure {
            return Err(failed_before(failure));
        }
        let Some(data) = &self.data else {
            return Ok(0);
        };
        let n = data
            .read_sync(buf)
            .map_err(|e| Error::transport(e, "download data"))?;
        if n > 0 {
            self.received += n as u64;
            return Ok(n);
        }
        self.data = None;
        if let Some(started) = self.started.take() {
            let client = match &mut self.client {
                Holder::Borrowed(client) => &mut **client,
                Holder::Owned(client) => client,
            };
            if let Err(e) = client.finish_transfer(started, self.received) {
                self.failure = Some(e.to_string());
                return Err(e);
            }
        }
        Ok(0)
    }
}

impl Read for FtpDownload<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.read_data(buf).map_err(io::Error::from)
    }
}
