//! Test servers for the HTTP client tests: crafted servers on loopback
//! that read requests and send exact bytes, a CONNECT proxy, an HTTPS
//! server, and Python's `http.server`. Every wait is bounded; every server
//! stops when its handle is dropped.
#![allow(dead_code)]

pub mod harness;
pub mod pyftpd;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use testkit::peer::{self, Peer, PeerCommand};

/// How long a test server waits for a client before giving up.
pub const SERVER_WAIT: Duration = Duration::from_secs(10);

/// A request as a crafted server read it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub chunked: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        &self.target
    }
}

/// Reads a request head (None at end of stream or on error).
pub fn read_head(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let mut request = Request {
        method: parts.next()?.to_string(),
        target: parts.next()?.to_string(),
        ..Request::default()
    };
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        request
            .headers
            .push((name.trim().to_string(), value.trim().to_string()));
    }
    request.chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    Some(request)
}

/// Reads the body a request head announced.
pub fn read_body(reader: &mut impl BufRead, request: &mut Request) -> Option<()> {
    if request.chunked {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).ok()?;
            let size = usize::from_str_radix(line.trim(), 16).ok()?;
            if size == 0 {
                let mut end = String::new();
                reader.read_line(&mut end).ok()?;
                break;
            }
            let mut chunk = vec![0u8; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            request.body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = request.header("content-length") {
        let mut body = vec![0u8; length.parse().ok()?];
        reader.read_exact(&mut body).ok()?;
        request.body = body;
    }
    Some(())
}

/// One accepted connection of a crafted server.
pub struct Conn {
    reader: BufReader<TcpStream>,
    pub stream: TcpStream,
}

impl Conn {
    fn new(stream: TcpStream) -> Conn {
        stream.set_read_timeout(Some(SERVER_WAIT)).unwrap();
        stream.set_write_timeout(Some(SERVER_WAIT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    /// Reads a request head only (None at end of stream or on error).
    pub fn read_head(&mut self) -> Option<Request> {
        read_head(&mut self.reader)
    }

    /// Reads the body the head announced.
    pub fn read_body(&mut self, request: &mut Request) -> Option<()> {
        read_body(&mut self.reader, request)
    }

    /// Reads a whole request (head and body).
    pub fn read_request(&mut self) -> Option<Request> {
        let mut request = self.read_head()?;
        self.read_body(&mut request)?;
        Some(request)
    }

    pub fn write(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok() && self.stream.flush().is_ok()
    }

    /// Closes the connection (both directions).
    pub fn close(self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// What a crafted server's handlers see: its address, and the requests recorded.
pub struct Ctx {
    pub addr: SocketAddr,
    requests: Mutex<Vec<Request>>,
    accepts: AtomicUsize,
    /// What made a handler panic: an assertion in a server thread fails
    /// the test when the server is dropped.
    failures: Mutex<Vec<String>>,
}

impl Ctx {
    pub fn record(&self, request: &Request) {
        self.requests.lock().unwrap().push(request.clone());
    }

    pub fn recorded(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// A crafted server: each connection is handed to `handler` on its own thread.
pub struct Server {
    pub addr: SocketAddr,
    ctx: Arc<Ctx>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(handler: impl Fn(Conn, &Ctx) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let ctx = Arc::new(Ctx {
            addr,
            requests: Mutex::new(Vec::new()),
            accepts: AtomicUsize::new(0),
            failures: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let (ctx2, stop2) = (ctx.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        ctx2.accepts.fetch_add(1, Ordering::SeqCst);
                        let handler = handler.clone();
                        let ctx = ctx2.clone();
                        std::thread::spawn(move || {
                            let served =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    handler(Conn::new(stream), &ctx)
                                }));
                            if let Err(panic) = served {
                                let message = panic
                                    .downcast_ref::<String>()
                                    .cloned()
                                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                                    .unwrap_or_else(|| "a panic".to_string());
                                ctx.failures.lock().unwrap().push(message);
                            }
                        });
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(_) => break,
                }
            }
        });
        Server {
            addr,
            ctx,
            stop,
            thread: Some(thread),
        }
    }

    /// A server that answers every request on a connection by `respond`
    /// (returning the bytes to send, and whether to keep the connection).
    pub fn respond(
        respond: impl Fn(&Request, &Ctx) -> (Vec<u8>, bool) + Send + Sync + 'static,
    ) -> Server {
        Server::start(move |mut conn, ctx| {
            while let Some(request) = conn.read_request() {
                ctx.record(&request);
                let (bytes, keep) = respond(&request, ctx);
                if !conn.write(&bytes) || !keep {
                    conn.close();
                    return;
                }
            }
        })
    }

    pub fn url(&self, path: &str) -> String {
        self.ctx.url(path)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn accepts(&self) -> usize {
        self.ctx.accepts.load(Ordering::SeqCst)
    }

    pub fn recorded(&self) -> Vec<Request> {
        self.ctx.recorded()
    }

    /// How many handler threads have panicked so far.
    pub fn handler_failures(&self) -> usize {
        self.ctx.failures.lock().unwrap().len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let failures = self.ctx.failures.lock().unwrap().clone();
        if !failures.is_empty() && !std::thread::panicking() {
            panic!(
                "the crafted server's handler failed: {}",
                failures.join("; ")
            );
        }
    }
}

/// `HTTP/1.1 200 OK` with a Content-Length body.
pub fn ok(body: &str) -> Vec<u8> {
    response(200, &[], body.as_bytes())
}

/// A response with a Content-Length body and extra header lines.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} X\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Python's `http.server` serving `dir`, killed on drop.
pub struct PythonServer {
    _peer: Peer,
    pub port: u16,
}

impl PythonServer {
    /// Starts `python3 -m http.server` on a port Python chooses itself and
    /// reads that port from its banner. (Choosing a free port here and
    /// handing it over races with every other test binding port 0: another
    /// test's server can take the port first, and the client then talks to
    /// the wrong server.)
    pub fn start(dir: &std::path::Path) -> PythonServer {
        let mut peer = PeerCommand::new(peer::python3())
            .name("python3 -m http.server")
            .install("apt-get install -y python3")
            .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"])
            .arg("--directory")
            .arg(dir)
            .spawn();
        // "Serving HTTP on 127.0.0.1 port 41541 (http://127.0.0.1:41541/) ..."
        let port = peer.wait_for("the port in its banner", |line| {
            line.strip_prefix("Serving HTTP on ")?
                .split_whitespace()
                .skip_while(|word| *word != "port")
                .nth(1)?
                .parse()
                .ok()
        });
        PythonServer { _peer: peer, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }
}

/// Copies bytes both ways between two streams until either side closes.
pub fn pipe(a: TcpStream, b: TcpStream) {
    let (a2, b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let one = std::thread::spawn(move || copy_until_closed(a, b2));
    copy_until_closed(b, a2);
    let _ = one.join();
}

fn copy_until_closed(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Write);
}
