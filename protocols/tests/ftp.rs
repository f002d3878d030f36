//! The FTP client against a real FTP server no one here wrote — pyftpdlib
//! (`python3 -m pip install pyftpdlib`; `.ci/run` installs it), started by
//! `tests/support/ftp_server.py` on loopback — and against crafted servers
//! (threads writing exact bytes) for malformed replies, silence and
//! transfers cut short. Every case runs in both modes: the blocking
//! `FtpClient` and the `AsyncFtpClient` on netstack's own executor.
//! A missing pyftpdlib fails the tests; it never skips them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use testkit::{Mode, TempDir, MODES};

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod support;

use support::pyftpd::Pyftpd;

use protocols::ftp::{self, AsyncFtpClient, FtpClient, FtpOptions, FtpUrl};

testkit::executor_block_on!(sockets::block_on);

const SMALL: &[u8] = b"hello, ftp\r\nsecond line\n";
const BIG_LEN: usize = 3 * 1024 * 1024 + 17;

/// Bytes of every value, in an order no run of equal blocks hides a shift.
fn big_file() -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    (0..BIG_LEN)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// pyftpdlib serving an anonymous (read-only) tree and alice's (writable)
/// home; killed on drop.
struct FtpServer {
    _server: Pyftpd,
    host: &'static str,
    port: u16,
    anon: TempDir,
    home: TempDir,
}

impl FtpServer {
    fn start(host: &'static str, epsv: bool) -> FtpServer {
        let anon = TempDir::new("ftp-anon");
        let home = TempDir::new("ftp-home");
        std::fs::write(anon.path().join("small.txt"), SMALL).unwrap();
        std::fs::write(anon.path().join("big.bin"), big_file()).unwrap();
        std::fs::create_dir(anon.path().join("sub")).unwrap();
        std::fs::write(anon.path().join("sub/a.txt"), b"a").unwrap();
        std::fs::write(anon.path().join("sub/b.txt"), b"bb").unwrap();
        let server = Pyftpd::start(host, anon.path(), home.path(), epsv);
        FtpServer {
            port: server.port,
            _server: server,
            host,
            anon,
            home,
        }
    }
}

fn options() -> FtpOptions {
    FtpOptions::new()
        .connect_timeout(Some(Duration::from_secs(10)))
        .timeout(Some(Duration::from_secs(10)))
}

/// A client in one mode: each call runs the blocking method, or the async
/// one on `sockets::block_on`.
enum Client {
    Sync(FtpClient),
    Async(AsyncFtpClient),
}

macro_rules! call {
    ($client:expr, $method:ident($($arg:expr),*)) => {
        match $client {
            Client::Sync(c) => c.$method($($arg),*),
            Client::Async(c) => block_on(c.$method($($arg),*)),
        }
    };
}

impl Client {
    fn connect(
        mode: Mode,
        host: &str,
        port: u16,
        options: &FtpOptions,
    ) -> Result<Client, ftp::Error> {
        Ok(match mode {
            Mode::Sync => Client::Sync(FtpClient::connect(host, port, options)?),
            Mode::Async => Client::Async(block_on(AsyncFtpClient::connect(host, port, options))?),
        })
    }

    fn from_url(mode: Mode, url: &str) -> Result<Client, ftp::Error> {
        let url = FtpUrl::parse(&url::Url::parse(url).unwrap())?;
        Ok(match mode {
            Mode::Sync => Client::Sync(FtpClient::connect_url(&url, &options())?),
            Mode::Async => Client::Async(block_on(AsyncFtpClient::connect_url(&url, &options()))?),
        })
    }

    fn to(mode: Mode, server: &FtpServer) -> Client {
        Client::connect(mode, server.host, server.port, &options()).unwrap()
    }

    fn anonymous(mode: Mode, server: &FtpServer) -> Client {
        let mut client = Client::to(mode, server);
        client.login_anonymous().unwrap();
        client.binary().unwrap();
        client
    }

    fn alice(mode: Mode, server: &FtpServer) -> Client {
        let mut client = Client::to(mode, server);
        client.login("alice", "secret").unwrap();
        client.binary().unwrap();
        client
    }

    fn login(&mut self, user: &str, password: &str) -> Result<(), ftp::Error> {
        call!(self, login(user, password))
    }
    fn login_anonymous(&mut self) -> Result<(), ftp::Error> {
        call!(self, login_anonymous())
    }
    fn binary(&mut self) -> Result<(), ftp::Error> {
        call!(self, binary())
    }
    fn cwd(&mut self, path: &str) -> Result<(), ftp::Error> {
        call!(self, cwd(path))
    }
    fn pwd(&mut self) -> Result<String, ftp::Error> {
        call!(self, pwd())
    }
    fn size(&mut self, path: &str) -> Result<u64, ftp::Error> {
        call!(self, size(path))
    }
    fn modified(&mut self, path: &str) -> Result<SystemTime, ftp::Error> {
        call!(self, modified(path))
    }
    fn delete(&mut self, path: &str) -> Result<(), ftp::Error> {
        call!(self, delete(path))
    }
    fn mkdir(&mut self, path: &str) -> Result<(), ftp::Error> {
        call!(self, mkdir(path))
    }
    fn rmdir(&mut self, path: &str) -> Result<(), ftp::Error> {
        call!(self, rmdir(path))
    }
    fn list(&mut self, path: Option<&str>) -> Result<Vec<String>, ftp::Error> {
        call!(self, list(path))
    }
    fn nlst(&mut self, path: Option<&str>) -> Result<Vec<String>, ftp::Error> {
        call!(self, nlst(path))
    }
    fn stor(&mut self, path: &str, bytes: &[u8]) -> Result<u64, ftp::Error> {
        call!(self, stor(path, &mut &bytes[..]))
    }

    /// A whole download through the `Read` / `AsyncRead` trait.
    fn get_from(&mut self, path: &str, offset: u64) -> Result<Vec<u8>, ftp::Error> {
        let mut out = Vec::new();
        match self {
            Client::Sync(c) => {
                let mut download = c.retr_from(path, offset)?;
                download.read_to_end(&mut out).map_err(unwrap_io)?;
            }
            Client::Async(c) => block_on(async {
                use futures::io::AsyncReadExt;
                let mut download = c.retr_from(path, offset).await?;
                download.read_to_end(&mut out).await.map_err(unwrap_io)?;
                Ok::<(), ftp::Error>(())
            })?,
        }
        Ok(out)
    }

    fn get(&mut self, path: &str) -> Result<Vec<u8>, ftp::Error> {
        self.get_from(path, 0)
    }

    /// A whole download through the client's own `to_vec`.
    fn get_vec(&mut self, path: &str) -> Result<Vec<u8>, ftp::Error> {
        match self {
            Client::Sync(c) => c.retr(path)?.to_vec(),
            Client::Async(c) => block_on(async { c.retr(path).await?.to_vec().await }),
        }
    }

    fn quit(self) -> Result<(), ftp::Error> {
        match self {
            Client::Sync(c) => c.quit(),
            Client::Async(c) => block_on(c.quit()),
        }
    }
}

/// The `ftp::Error` a download's `io::Error` carries.
fn unwrap_io(error: std::io::Error) -> ftp::Error {
    match error.into_inner().map(|e| e.downcast::<ftp::Error>()) {
        Some(Ok(e)) => *e,
        other => panic!("an io::Error without an ftp::Error inside: {other:?}"),
    }
}

#[test]
fn anonymous_download_of_a_small_and_a_large_file() {
    let server = FtpServer::start("127.0.0.1", true);
    let big = big_file();
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        assert_eq!(c.pwd().unwrap(), "/", "{mode:?}");
        assert_eq!(c.get("small.txt").unwrap(), SMALL, "{mode:?}");
        let got = c.get("big.bin").unwrap();
        assert_eq!(got.len(), big.len(), "{mode:?}");
        assert!(got == big, "{mode:?}: the large file differs");
        assert!(c.get_vec("big.bin").unwrap() == big, "{mode:?}");
        // The session goes on after transfers.
        assert_eq!(c.get_vec("sub/b.txt").unwrap(), b"bb");
        c.quit().unwrap();
    }
}

#[test]
fn to_vec_refuses_a_file_over_its_limit_and_the_session_goes_on() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let options = options().max_to_vec_size(1000);
        let mut c = Client::connect(mode, server.host, server.port, &options).unwrap();
        c.login_anonymous().unwrap();
        c.binary().unwrap();
        let err = c.get_vec("big.bin").unwrap_err();
        assert!(
            matches!(err, ftp::Error::TooLarge { limit: 1000 }),
            "{mode:?}: {err:?}"
        );
        assert_eq!(
            err.to_string(),
            "ftp: the file is larger than the 1000-byte limit for reading it into memory"
        );
        // A file within the limit, on the same session.
        assert_eq!(c.get_vec("small.txt").unwrap(), SMALL, "{mode:?}");
        c.quit().unwrap();
    }
}

#[test]
fn size_and_modification_time() {
    let server = FtpServer::start("127.0.0.1", true);
    let on_disk = std::fs::metadata(server.anon.path().join("small.txt"))
        .unwrap()
        .modified()
        .unwrap();
    let on_disk_secs = on_disk.duration_since(UNIX_EPOCH).unwrap().as_secs();
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        assert_eq!(c.size("big.bin").unwrap(), BIG_LEN as u64, "{mode:?}");
        assert_eq!(c.size("/small.txt").unwrap(), SMALL.len() as u64);
        let modified = c.modified("small.txt").unwrap();
        // MDTM has whole seconds, in UTC.
        assert_eq!(
            modified.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            on_disk_secs,
            "{mode:?}"
        );
    }
}

#[test]
fn user_login_upload_and_download_back() {
    let server = FtpServer::start("127.0.0.1", true);
    let big = big_file();
    for mode in MODES {
        let mut c = Client::alice(mode, &server);
        let name = format!("upload-{mode:?}.bin");
        assert_eq!(c.stor(&name, &big).unwrap(), big.len() as u64, "{mode:?}");
        assert!(
            std::fs::read(server.home.path().join(&name)).unwrap() == big,
            "{mode:?}"
        );
        assert_eq!(c.size(&name).unwrap(), big.len() as u64);
        assert!(c.get(&name).unwrap() == big, "{mode:?}");
        // An empty file, and one overwritten by a smaller one.
        assert_eq!(c.stor("empty", b"").unwrap(), 0);
        assert_eq!(c.get("empty").unwrap(), b"");
        c.stor(&name, b"short").unwrap();
        assert_eq!(c.get(&name).unwrap(), b"short");
        c.quit().unwrap();
    }
}

#[test]
fn list_and_nlst_of_a_directory() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        let mut names = c.nlst(Some("sub")).unwrap();
        names.sort();
        assert_eq!(names, ["a.txt", "b.txt"], "{mode:?}");
        let list = c.list(Some("sub")).unwrap();
        assert_eq!(list.len(), 2, "{mode:?}: {list:?}");
        for (line, name) in list.iter().zip(["a.txt", "b.txt"]) {
            assert!(line.starts_with('-') && line.ends_with(name), "{line:?}");
        }
        let root = c.list(None).unwrap();
        assert!(
            root.iter()
                .any(|l| l.starts_with('d') && l.ends_with(" sub")),
            "{root:?}"
        );
        let mut root = c.nlst(None).unwrap();
        root.sort();
        assert_eq!(root, ["big.bin", "small.txt", "sub"]);
        // A listing limit applies.
        let mut tight = Client::connect(
            mode,
            server.host,
            server.port,
            &options().max_listing_size(10),
        )
        .unwrap();
        tight.login_anonymous().unwrap();
        let err = tight.list(None).unwrap_err();
        assert!(err.to_string().contains("10-byte limit"), "{err}");
    }
}

#[test]
fn cwd_mkdir_delete_rmdir() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let mut c = Client::alice(mode, &server);
        let dir = format!("dir-{mode:?}");
        c.mkdir(&dir).unwrap();
        assert!(server.home.path().join(&dir).is_dir());
        c.cwd(&dir).unwrap();
        assert_eq!(c.pwd().unwrap(), format!("/{dir}"));
        c.stor("f.txt", b"x").unwrap();
        assert!(server.home.path().join(&dir).join("f.txt").is_file());
        assert_eq!(c.nlst(None).unwrap(), ["f.txt"]);
        c.delete("f.txt").unwrap();
        assert!(c.nlst(None).unwrap().is_empty());
        assert!(!server.home.path().join(&dir).join("f.txt").exists());
        c.cwd("..").unwrap();
        assert_eq!(c.pwd().unwrap(), "/");
        c.rmdir(&dir).unwrap();
        assert!(!server.home.path().join(&dir).exists());
        match c.cwd("no-such-dir") {
            Err(ftp::Error::FileUnavailable { code: 550, .. }) => {}
            other => panic!("{mode:?}: {other:?}"),
        }
        match c.mkdir(&format!("no/such/{dir}")) {
            Err(ftp::Error::FileUnavailable { code: 550, .. }) => {}
            other => panic!("{mode:?}: {other:?}"),
        }
    }
}

#[test]
fn a_missing_file_is_file_unavailable_and_the_session_goes_on() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        let err = c.get("missing.txt").unwrap_err();
        assert!(
            matches!(err, ftp::Error::FileUnavailable { code: 550, .. }),
            "{mode:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("ftp: file unavailable (550"),
            "{err}"
        );
        assert!(matches!(
            c.size("missing.txt"),
            Err(ftp::Error::FileUnavailable { code: 550, .. })
        ));
        assert!(matches!(
            c.list(Some("missing-dir")),
            Err(ftp::Error::FileUnavailable { .. })
        ));
        // Anonymous is read-only: an upload is refused.
        let err = c.stor("nope.txt", b"x").unwrap_err();
        assert_eq!(err.reply_code(), Some(550), "{mode:?}: {err:?}");
        assert!(!server.anon.path().join("nope.txt").exists());
        // Still in step.
        assert_eq!(c.get("small.txt").unwrap(), SMALL);
        // A path that would inject a command is refused before anything is sent.
        let err = c.get("small.txt\r\nDELE small.txt").unwrap_err();
        assert!(matches!(err, ftp::Error::InvalidInput(_)), "{err:?}");
        assert_eq!(c.get("small.txt").unwrap(), SMALL);
    }
}

#[test]
fn a_wrong_password_is_login_denied() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let mut c = Client::to(mode, &server);
        let err = c.login("alice", "wrong").unwrap_err();
        assert!(
            matches!(err, ftp::Error::LoginDenied { code: 530, .. }),
            "{mode:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("ftp: login denied (530"),
            "{err}"
        );
        // Commands before a login are refused as such.
        assert!(matches!(
            c.pwd(),
            Err(ftp::Error::LoginDenied { code: 530, .. })
        ));
        // The right password then works on the same connection.
        c.login("alice", "secret").unwrap();
        assert_eq!(c.pwd().unwrap(), "/");
        let mut unknown = Client::to(mode, &server);
        assert!(matches!(
            unknown.login("mallory", "secret"),
            Err(ftp::Error::LoginDenied { .. })
        ));
    }
}

#[test]
fn resume_with_retr_from_returns_the_tail() {
    let server = FtpServer::start("127.0.0.1", true);
    let big = big_file();
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        assert!(
            c.get_from("big.bin", 1_000_001).unwrap() == big[1_000_001..],
            "{mode:?}"
        );
        assert_eq!(c.get_from("small.txt", 7).unwrap(), &SMALL[7..]);
        assert_eq!(c.get_from("small.txt", SMALL.len() as u64).unwrap(), b"");
    }
}

#[test]
fn a_download_dropped_early_leaves_the_session_usable() {
    let server = FtpServer::start("127.0.0.1", true);
    let big = big_file();
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        match &mut c {
            Client::Sync(ftp) => {
                let mut download = ftp.retr("big.bin").unwrap();
                let mut buf = [0u8; 1000];
                download.read_exact(&mut buf).unwrap();
                assert_eq!(&buf[..], &big[..1000]);
            }
            Client::Async(ftp) => block_on(async {
                let mut download = ftp.retr("big.bin").await.unwrap();
                let mut buf = [0u8; 1000];
                let n = download.read(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], &big[..n]);
            }),
        }
        assert_eq!(c.get("small.txt").unwrap(), SMALL, "{mode:?}");
        assert_eq!(c.size("small.txt").unwrap(), SMALL.len() as u64);
    }
}

/// A download that owns its client, as a URL fetcher returns one.
fn owned_download(server: &FtpServer, mode: Mode, path: &str) -> Box<dyn FnOnce() -> Vec<u8>> {
    let path = path.to_string();
    match mode {
        Mode::Sync => {
            let mut ftp = FtpClient::connect(server.host, server.port, &options()).unwrap();
            ftp.login_anonymous().unwrap();
            ftp.binary().unwrap();
            let download = ftp.into_retr(&path, 0).unwrap();
            Box::new(move || {
                let mut download = download;
                let mut out = Vec::new();
                download.read_to_end(&mut out).unwrap();
                let mut ftp = download.into_client().expect("owned");
                assert_eq!(ftp.size(&path).unwrap(), out.len() as u64);
                ftp.quit().unwrap();
                out
            })
        }
        Mode::Async => {
            let download = block_on(async {
                let mut ftp = AsyncFtpClient::connect(server.host, server.port, &options()).await?;
                ftp.login_anonymous().await?;
                ftp.binary().await?;
                ftp.into_retr(&path, 0).await
            })
            .unwrap();
            Box::new(move || {
                block_on(async move {
                    use futures::io::AsyncReadExt;
                    let mut download = download;
                    let mut out = Vec::new();
                    download.read_to_end(&mut out).await.unwrap();
                    let mut ftp = download.into_client().expect("owned");
                    assert_eq!(ftp.size(&path).await.unwrap(), out.len() as u64);
                    ftp.quit().await.unwrap();
                    out
                })
            })
        }
    }
}

#[test]
fn a_download_can_own_its_client() {
    let server = FtpServer::start("127.0.0.1", true);
    for mode in MODES {
        let read = owned_download(&server, mode, "big.bin");
        assert!(read() == big_file(), "{mode:?}");
        let read = owned_download(&server, mode, "small.txt");
        assert_eq!(read(), SMALL, "{mode:?}");
    }
}

#[test]
fn ipv6_on_loopback_uses_epsv() {
    let server = FtpServer::start("::1", true);
    for mode in MODES {
        let mut c = Client::anonymous(mode, &server);
        assert_eq!(c.get("small.txt").unwrap(), SMALL, "{mode:?}");
        assert_eq!(c.nlst(Some("sub")).unwrap().len(), 2);
        assert!(c.get("big.bin").unwrap() == big_file());
    }
    // The same server without EPSV cannot serve IPv6 transfers (its 227
    // reply holds no IPv4 address): EPSV is what made the above work.
    let no_epsv = FtpServer::start("::1", false);
    for mode in MODES {
        let mut c = Client::anonymous(mode, &no_epsv);
        let err = c.get("small.txt").unwrap_err();
        assert!(
            matches!(err, ftp::Error::MalformedReply(_)),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn connect_url_logs_in_from_the_url() {
    let server = FtpServer::start("127.0.0.1", true);
    let v6 = FtpServer::start("::1", true);
    for mode in MODES {
        // Anonymous (no user in the URL), binary by default.
        let mut c =
            Client::from_url(mode, &format!("ftp://127.0.0.1:{}/small.txt", server.port)).unwrap();
        assert_eq!(c.size("small.txt").unwrap(), SMALL.len() as u64, "{mode:?}");
        assert!(
            c.stor("x", b"x").is_err(),
            "{mode:?}: anonymous is read-only"
        );
        // The user and (percent-encoded) password of the URL.
        let mut c = Client::from_url(
            mode,
            &format!("ftp://alice:s%65cret@127.0.0.1:{}/", server.port),
        )
        .unwrap();
        c.stor("url.txt", b"via url").unwrap();
        assert_eq!(c.get("url.txt").unwrap(), b"via url");
        let err = Client::from_url(
            mode,
            &format!("ftp://alice:nope@127.0.0.1:{}/", server.port),
        )
        .err()
        .expect("a wrong password");
        assert!(
            matches!(err, ftp::Error::LoginDenied { code: 530, .. }),
            "{mode:?}: {err:?}"
        );
        // An IPv6 literal.
        let mut c = Client::from_url(mode, &format!("ftp://[::1]:{}/", v6.port)).unwrap();
        assert_eq!(c.get("small.txt").unwrap(), SMALL, "{mode:?}");
    }
}

#[test]
fn a_server_without_epsv_gets_pasv() {
    let server = FtpServer::start("127.0.0.1", false);
    for mode in MODES {
        let mut c = Client::alice(mode, &server);
        c.stor("p.txt", b"passive").unwrap();
        assert_eq!(c.get("p.txt").unwrap(), b"passive", "{mode:?}");
        assert_eq!(c.nlst(None).unwrap(), ["p.txt"]);
        c.delete("p.txt").unwrap();
    }
}

// ---------------------------------------------------------------------------
// Crafted servers: exact bytes, recorded commands.

/// The server side of one crafted control connection.
struct Conn {
    control: TcpStream,
    data_listener: Option<TcpListener>,
    data: Option<TcpStream>,
}

impl Conn {
    fn reply(&mut self, text: &str) {
        let _ = self.control.write_all(format!("{text}\r\n").as_bytes());
    }

    fn raw(&mut self, bytes: &[u8]) {
        let _ = self.control.write_all(bytes);
    }

    /// Listens for a data connection; returns the port.
    fn listen(&mut self) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        self.data_listener = Some(listener);
        port
    }

    fn epsv(&mut self) {
        let port = self.listen();
        self.reply(&format!("229 Entering Extended Passive Mode (|||{port}|)"));
    }

    fn accept_data(&mut self) {
        let listener = self.data_listener.take().expect("a data listener");
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok((stream, _)) = listener.accept() {
                stream.set_nonblocking(false).unwrap();
                self.data = Some(stream);
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("the client did not open the data connection");
    }

    fn send_data(&mut self, bytes: &[u8]) {
        let _ = self.data.as_mut().expect("data").write_all(bytes);
    }

    fn close_data(&mut self) {
        if let Some(data) = self.data.take() {
            let _ = data.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// A crafted server for one connection: sends `greeting`, then hands each
/// command line to `handler` (which answers through the `Conn`, and
/// returns false to hang up). Records the commands.
struct Fake {
    addr: SocketAddr,
    commands: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    fn start(
        greeting: &'static [u8],
        mut handler: impl FnMut(&str, &mut Conn) -> bool + Send + 'static,
    ) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let recorded = commands.clone();
        std::thread::spawn(move || {
            let Ok((control, _)) = listener.accept() else {
                return;
            };
            control
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut reader = BufReader::new(control.try_clone().unwrap());
            let mut conn = Conn {
                control,
                data_listener: None,
                data: None,
            };
            conn.raw(greeting);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let line = line.trim_end().to_string();
                recorded.lock().unwrap().push(line.clone());
                if !handler(&line, &mut conn) {
                    return;
                }
            }
        });
        Fake { addr, commands }
    }

    fn commands(&self) -> Vec<String> {
        self.commands.lock().unwrap().clone()
    }

    fn connect(&self, mode: Mode, options: &FtpOptions) -> Result<Client, ftp::Error> {
        Client::connect(mode, "127.0.0.1", self.addr.port(), options)
    }
}

/// Standard answers to the login and `TYPE`; true when `line` was one of them.
fn login_ok(line: &str, conn: &mut Conn) -> bool {
    let verb = line.split(' ').next().unwrap_or("");
    match verb {
        "USER" => conn.reply("331 Password required"),
        "PASS" => conn.reply("230 Logged in"),
        "TYPE" => conn.reply("200 Type set to I"),
        "QUIT" => conn.reply("221 Bye"),
        _ => return false,
    }
    true
}

const GREETING: &[u8] = b"220 fake\r\n";

fn short_options() -> FtpOptions {
    FtpOptions::new()
        .connect_timeout(Some(Duration::from_secs(5)))
        .timeout(Some(Duration::from_millis(300)))
}

#[test]
fn crafted_multi_line_greeting_and_pasv_fallback_remembered() {
    for mode in MODES {
        let fake = Fake::start(
            b"220-Welcome to\r\n123 an inner line with digits\r\n220-more\r\n\r\n220 ready\r\n",
            |line, conn| {
                if login_ok(line, conn) {
                    return true;
                }
                match line.split(' ').next().unwrap() {
                    "EPSV" => conn.reply("502 EPSV not implemented"),
                    "PASV" => {
                        let port = conn.listen();
                        // A different address than the control peer's: ignored.
                        conn.reply(&format!(
                            "227 Entering Passive Mode (127,0,0,2,{},{})",
                            port >> 8,
                            port & 0xff
                        ));
                    }
                    "RETR" => {
                        conn.accept_data();
                        conn.reply("150 Opening BINARY mode data connection (6 bytes)");
                        conn.send_data(b"abcdef");
                        conn.close_data();
                        conn.reply("226 Transfer complete");
                    }
                    _ => conn.reply("500 unknown"),
                }
                true
            },
        );
        let mut c = fake.connect(mode, &options()).unwrap();
        let greeting = match &c {
            Client::Sync(ftp) => ftp.greeting().clone(),
            Client::Async(ftp) => ftp.greeting().clone(),
        };
        assert_eq!(greeting.code, 220, "{mode:?}");
        assert_eq!(
            greeting.lines,
            [
                "Welcome to",
                "123 an inner line with digits",
                "more",
                "",
                "ready"
            ],
            "{mode:?}"
        );
        c.login("u", "p").unwrap();
        assert_eq!(c.get("f").unwrap(), b"abcdef", "{mode:?}");
        assert_eq!(c.get("f").unwrap(), b"abcdef", "{mode:?}");
        assert_eq!(
            fake.commands(),
            ["USER u", "PASS p", "EPSV", "PASV", "RETR f", "PASV", "RETR f"],
            "{mode:?}"
        );
    }
}

#[test]
fn crafted_malformed_replies_are_errors() {
    let cases: [(&'static [u8], &str); 4] = [
        (b"hello there\r\n", "malformed reply line"),
        (b"2200 nope\r\n", "malformed reply line"),
        (b"999 out of range\r\n", "malformed reply line"),
        (
            b"421 Too many connections, try later\r\n",
            "service not available",
        ),
    ];
    for mode in MODES {
        for (greeting, expected) in cases {
            let fake = Fake::start(greeting, |_, _| true);
            let err = fake.connect(mode, &options()).err().expect("an error");
            assert!(err.to_string().contains(expected), "{mode:?}: {err}");
        }
        // A line that never ends is refused at the limit, not buffered forever.
        let fake = Fake::start(b"220 ok\r\n", |line, conn| {
            if line.starts_with("USER") {
                conn.raw(b"331 ");
                conn.raw(&vec![b'x'; 64 * 1024]);
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        let err = c.login("u", "p").unwrap_err();
        assert!(
            matches!(
                err,
                ftp::Error::MalformedReply(protocols::ftp::reply::ReplyError::LineTooLong { .. })
            ),
            "{mode:?}: {err:?}"
        );
        assert!(matches!(c.pwd(), Err(ftp::Error::Broken)), "{mode:?}");
        // A malformed EPSV port.
        let fake = Fake::start(GREETING, |line, conn| {
            if !login_ok(line, conn) {
                conn.reply("229 Entering Extended Passive Mode (|||99999|)");
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        c.login("u", "p").unwrap();
        let err = c.get("f").unwrap_err();
        assert!(
            matches!(err, ftp::Error::MalformedReply(_)),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn crafted_silent_server_times_out() {
    for mode in MODES {
        // Silent from the start: no greeting.
        let fake = Fake::start(b"", |_, _| true);
        let started = Instant::now();
        let err = fake
            .connect(mode, &short_options())
            .err()
            .expect("an error");
        assert!(
            matches!(err, ftp::Error::Timeout { phase: "a reply" }),
            "{mode:?}: {err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        // Greets, then never answers USER.
        let fake = Fake::start(GREETING, |_, _| true);
        let mut c = fake.connect(mode, &short_options()).unwrap();
        let err = c.login("u", "p").unwrap_err();
        assert!(err.is_timeout(), "{mode:?}: {err:?}");
        assert_eq!(err.to_string(), "ftp: timed out waiting for a reply");
        assert!(matches!(c.pwd(), Err(ftp::Error::Broken)), "{mode:?}");
        // Starts a download, then sends no data.
        let fake = Fake::start(GREETING, |line, conn| {
            if login_ok(line, conn) {
                return true;
            }
            match line {
                "EPSV" => conn.epsv(),
                _ => {
                    conn.accept_data();
                    conn.reply("150 Here it comes");
                }
            }
            true
        });
        let mut c = fake.connect(mode, &short_options()).unwrap();
        c.login("u", "p").unwrap();
        let err = c.get("f").unwrap_err();
        assert!(
            matches!(
                err,
                ftp::Error::Timeout {
                    phase: "download data"
                }
            ),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn crafted_transfer_cut_short_is_an_error() {
    for mode in MODES {
        // The server announced 1000 bytes, sent 400, and claims success.
        let fake = Fake::start(GREETING, |line, conn| {
            if login_ok(line, conn) {
                return true;
            }
            match line {
                "EPSV" => conn.epsv(),
                _ => {
                    conn.accept_data();
                    conn.reply("150 Opening BINARY mode data connection for f (1000 bytes)");
                    conn.send_data(&[7u8; 400]);
                    conn.close_data();
                    conn.reply("226 Transfer complete");
                }
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        c.login("u", "p").unwrap();
        // The read that meets the end fails, and so does every later read.
        let (err, again) = match &mut c {
            Client::Sync(ftp) => {
                let mut download = ftp.retr("f").unwrap();
                assert_eq!(download.expected_len(), Some(1000));
                let mut sink = Vec::new();
                let err = download.read_to_end(&mut sink).unwrap_err();
                assert_eq!(sink.len(), 400);
                let again = download.read(&mut [0u8; 10]).unwrap_err();
                (unwrap_io(err), unwrap_io(again))
            }
            Client::Async(ftp) => block_on(async {
                let mut download = ftp.retr("f").await.unwrap();
                let mut buf = [0u8; 100];
                let mut got = 0;
                let err = loop {
                    match download.read(&mut buf).await {
                        Ok(0) => panic!("a silent end"),
                        Ok(n) => got += n,
                        Err(e) => break e,
                    }
                };
                assert_eq!(got, 400);
                (err, download.read(&mut buf).await.unwrap_err())
            }),
        };
        assert!(
            matches!(&err, ftp::Error::Protocol(m) if m.contains("400 of the 1000 bytes")),
            "{mode:?}: {err:?}"
        );
        assert!(again.to_string().contains("the transfer failed"), "{again}");
        // No size announced: the data ends early and the server says so (426).
        let fake = Fake::start(GREETING, |line, conn| {
            if login_ok(line, conn) {
                return true;
            }
            match line {
                "EPSV" => conn.epsv(),
                "NOOP" => conn.reply("200 ok"),
                _ => {
                    conn.accept_data();
                    conn.reply("150 Opening data connection");
                    conn.send_data(&[7u8; 400]);
                    conn.close_data();
                    conn.reply("426 Connection closed; transfer aborted.");
                }
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        c.login("u", "p").unwrap();
        let err = c.get("f").unwrap_err();
        assert!(
            matches!(err, ftp::Error::Rejected { code: 426, .. }),
            "{mode:?}: {err:?}"
        );
        assert!(err.to_string().contains("RETR f"), "{err}");
        // In step afterwards.
        match &mut c {
            Client::Sync(ftp) => assert_eq!(ftp.command("NOOP", None).unwrap().code, 200),
            Client::Async(ftp) => {
                assert_eq!(block_on(ftp.command("NOOP", None)).unwrap().code, 200)
            }
        }
        // The control connection closes mid-transfer: never a silent end.
        let fake = Fake::start(GREETING, |line, conn| {
            if login_ok(line, conn) {
                return true;
            }
            match line {
                "EPSV" => conn.epsv(),
                _ => {
                    conn.accept_data();
                    conn.reply("150 Opening data connection");
                    conn.send_data(&[7u8; 400]);
                    conn.close_data();
                    let _ = conn.control.shutdown(std::net::Shutdown::Both);
                    return false;
                }
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        c.login("u", "p").unwrap();
        let err = c.get("f").unwrap_err();
        assert!(
            matches!(&err, ftp::Error::Protocol(m) if m.contains("closed the control connection"))
                || matches!(err, ftp::Error::Transport(_)),
            "{mode:?}: {err:?}"
        );
    }
}

#[test]
fn crafted_command_injection_is_refused_before_sending() {
    for mode in MODES {
        let fake = Fake::start(GREETING, |line, conn| {
            if !login_ok(line, conn) {
                conn.reply("250 ok");
            }
            true
        });
        let mut c = fake.connect(mode, &options()).unwrap();
        for bad in ["x\r\nDELE y", "x\nDELE y", "x\rDELE y", "x\0y"] {
            assert!(matches!(c.cwd(bad), Err(ftp::Error::InvalidInput(_))));
            assert!(matches!(c.delete(bad), Err(ftp::Error::InvalidInput(_))));
            assert!(matches!(c.get(bad), Err(ftp::Error::InvalidInput(_))));
            assert!(matches!(
                c.login(bad, "p"),
                Err(ftp::Error::InvalidInput(_))
            ));
            assert!(matches!(
                c.login("u", bad),
                Err(ftp::Error::InvalidInput(_))
            ));
        }
        c.cwd("ok").unwrap();
        assert_eq!(fake.commands(), ["CWD ok"], "{mode:?}");
    }
}

#[test]
fn clients_downloads_and_futures_are_send() {
    fn is_send<T: Send>(_: &T) {}
    fn send_type<T: Send>() {}
    send_type::<FtpClient>();
    send_type::<AsyncFtpClient>();
    send_type::<protocols::ftp::FtpDownload<'static>>();
    send_type::<protocols::ftp::AsyncFtpDownload<'static>>();
    // Never polled: only their types matter (a multi-threaded runtime can spawn them).
    let options = FtpOptions::new();
    let connect = AsyncFtpClient::connect("127.0.0.1", 1, &options);
    is_send(&connect);
    let _ = |c: &'static mut AsyncFtpClient| {
        is_send(&c.retr("f"));
        is_send(&c.stor("f", &mut &b""[..]));
        is_send(&c.list(None));
        is_send(&c.login("u", "p"));
    };
}

#[test]
fn a_cancelled_async_operation_leaves_the_client_broken_not_out_of_step() {
    // Greets, answers the login, then sits on PWD.
    let fake = Fake::start(GREETING, |line, conn| {
        login_ok(line, conn);
        true
    });
    let mut c = block_on(AsyncFtpClient::connect(
        "127.0.0.1",
        fake.addr.port(),
        &options(),
    ))
    .unwrap();
    block_on(c.login("u", "p")).unwrap();
    let cancelled = block_on(sockets::with_timeout(Duration::from_millis(200), async {
        Ok(c.pwd().await)
    }));
    assert!(cancelled.is_err(), "{cancelled:?}");
    // A late reply to PWD must not be taken for the next command's.
    assert!(matches!(block_on(c.pwd()), Err(ftp::Error::Broken)));
    assert_eq!(fake.commands(), ["USER u", "PASS p", "PWD"]);
}
