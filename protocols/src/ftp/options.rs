//! [`FtpOptions`]: timeouts, limits and connect settings of an FTP session.

use std::net::IpAddr;
use std::time::Duration;

use transport::{ConnectOptions, Resolver, StaticResolver};

use super::reply::{ReplyParser, DEFAULT_MAX_LINES, DEFAULT_MAX_LINE_LENGTH};

/// How an [`FtpClient`](super::FtpClient) or [`AsyncFtpClient`](super::AsyncFtpClient)
/// connects and how long it waits. Every wait is bounded by default.
///
/// ```
/// use std::time::Duration;
/// use netstack::protocols::ftp::FtpOptions;
/// let options = FtpOptions::new()
///     .connect_timeout(Some(Duration::from_secs(5)))
///     .timeout(Some(Duration::from_secs(10)))
///     .max_listing_size(1 << 20);
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct FtpOptions {
    pub(crate) connect: ConnectOptions,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) max_line_length: usize,
    pub(crate) max_reply_lines: usize,
    pub(crate) max_listing_size: usize,
    pub(crate) max_to_vec_size: u64,
    pub(crate) epsv: bool,
}

impl Default for FtpOptions {
    fn default() -> FtpOptions {
        FtpOptions {
            connect: ConnectOptions::new(),
            connect_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(30)),
            write_timeout: Some(Duration::from_secs(30)),
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            max_reply_lines: DEFAULT_MAX_LINES,
            max_listing_size: 16 * 1024 * 1024,
            max_to_vec_size: 64 * 1024 * 1024,
            epsv: true,
        }
    }
}

impl FtpOptions {
    /// The defaults: 30 s to connect, 30 s per read or write (control and
    /// data connections), reply lines up to 8 KiB and 1000 lines per
    /// reply, listings up to 16 MiB, files read whole into memory up to
    /// 64 MiB, `EPSV` tried first.
    pub fn new() -> FtpOptions {
        FtpOptions::default()
    }

    /// The bound on connecting (control and data connections); `None`: the OS's own.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> FtpOptions {
        self.connect_timeout = timeout;
        self
    }

    /// The bound on each read (a reply, a block of data); `None`: wait forever.
    pub fn read_timeout(mut self, timeout: Option<Duration>) -> FtpOptions {
        self.read_timeout = timeout;
        self
    }

    /// The bound on each write; `None`: wait forever.
    pub fn write_timeout(mut self, timeout: Option<Duration>) -> FtpOptions {
        self.write_timeout = timeout;
        self
    }

    /// Sets the read and the write timeout.
    pub fn timeout(self, timeout: Option<Duration>) -> FtpOptions {
        self.read_timeout(timeout).write_timeout(timeout)
    }

    /// How host names are resolved (default: the system resolver).
    pub fn resolver(mut self, resolver: impl Resolver + 'static) -> FtpOptions {
        self.connect = self.connect.resolver(resolver);
        self
    }

    /// The transport's connect settings for the control connection
    /// (resolver, Happy Eyeballs stagger, local endpoint); the connect
    /// timeout set here wins over theirs.
    pub fn connect_options(mut self, options: ConnectOptions) -> FtpOptions {
        self.connect = options;
        self
    }

    /// The longest reply line accepted, in bytes.
    pub fn max_line_length(mut self, bytes: usize) -> FtpOptions {
        self.max_line_length = bytes;
        self
    }

    /// The most lines in one reply.
    pub fn max_reply_lines(mut self, lines: usize) -> FtpOptions {
        self.max_reply_lines = lines;
        self
    }

    /// The largest `LIST`/`NLST` listing read, in bytes.
    pub fn max_listing_size(mut self, bytes: usize) -> FtpOptions {
        self.max_listing_size = bytes;
        self
    }

    /// The largest file a download's `to_vec` reads into memory, in bytes
    /// (default 64 MiB); a larger one fails with [`Error::TooLarge`](super::Error::TooLarge)
    /// as soon as its size is announced or its bytes pass the limit. Read
    /// the download as a stream to take a file of any size.
    pub fn max_to_vec_size(mut self, bytes: u64) -> FtpOptions {
        self.max_to_vec_size = bytes;
        self
    }

    /// Whether to try `EPSV` (RFC 2428) before `PASV` (default: yes). With
    /// `false`, only `PASV` is used (IPv4 servers only).
    pub fn epsv(mut self, enabled: bool) -> FtpOptions {
        self.epsv = enabled;
        self
    }

    pub(crate) fn control_connect(&self) -> ConnectOptions {
        self.connect.clone().timeout(self.connect_timeout)
    }

    /// Connect settings for a data connection to `ip` (the control peer).
    pub(crate) fn data_connect(&self, ip: IpAddr) -> ConnectOptions {
        ConnectOptions::new()
            .resolver(StaticResolver::new(vec![ip]))
            .timeout(self.connect_timeout)
    }

    pub(crate) fn parser(&self) -> ReplyParser {
        ReplyParser::with_limits(self.max_line_length, self.max_reply_lines)
    }
}
