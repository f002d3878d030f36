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

#[path = "../support/mod.rs"]
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

mod crafted;
mod sessions;
mod transfers;
