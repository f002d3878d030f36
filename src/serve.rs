//! `netstack serve`: a static file server on netstack's event-driven HTTP
//! server (`protocols::http::server::AsyncHttpServer` on netstack's own
//! reactor, one thread), over HTTP or HTTPS. A connection costs memory,
//! not a thread: slow or idle clients hold no worker, and each is closed
//! by its deadline (the head timeout counts from accept).
//!
//! Files are streamed (never read whole into memory) with their
//! `Content-Type`, `Last-Modified` and `ETag`; directories get an HTML
//! listing (or their `index.html`); one `Range` gets `206` (or `416`);
//! `If-None-Match` / `If-Modified-Since` get `304`; HEAD gets the headers
//! alone. Paths that climb out of the directory — `..`, encoded or not,
//! encoded slashes, symbolic links to the outside — are refused. Each
//! request is logged on stderr when its response is done.

mod listing;
mod mime;
mod path;
mod range;

use std::fs::{File, Metadata};
use std::future::{ready, Future};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use futures::io::AsyncRead;
use netstack::protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, AsyncResponseBody, ConnectionInfo, ServerConfig,
};
use netstack::transport::tls::{PublicKeyPin, TlsServerConfig};

use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use path::Refused;
use range::RangeRequest;

/// Arguments of `netstack serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The directory to serve.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// The address to listen on (IPv4 or IPv6).
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// The port to listen on (0: any free port; the first line printed names it).
    #[arg(long, short = 'p', default_value_t = 8000)]
    port: u16,
    /// Serve HTTPS; without --cert/--key, with a new self-signed certificate
    /// for localhost, 127.0.0.1 and ::1. Its SHA-256 fingerprint is printed,
    /// and the flags that make `netstack fetch` or curl trust it by its key
    /// (`--pinnedpubkey sha256//… -k`, or `--cacert FILE` for --cert).
    #[arg(long)]
    tls: bool,
    /// PEM certificate chain for HTTPS (implies --tls).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key for HTTPS (implies --tls).
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
}

/// Runs the server until the process is killed; exit 2 when it cannot start.
pub fn run(args: ServeArgs) -> ExitCode {
    match start(&args) {
        Ok(serving) => {
            // This thread drives the reactor and every connection.
            netstack::sockets::block_on(serving);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("netstack serve: {message}");
            ExitCode::from(2)
        }
    }
}

/// Binds and announces the server; returns the future that serves.
fn start(args: &ServeArgs) -> Result<impl Future<Output = ()>, String> {
    let root = args
        .dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", args.dir.display()))?;
    if !root.is_dir() {
        return Err(format!("{} is not a directory", root.display()));
    }
    let mut config = ServerConfig::default();
    let mut notes = Vec::new();
    if args.tls || args.cert.is_some() {
        let (cert_pem, key_pem, note) = certificate(args)?;
        let tls = TlsServerConfig::builder()
            .certificate_pem(&cert_pem, &key_pem)
            .alpn_protocols(["http/1.1"])
            .build()
            .map_err(|e| format!("TLS configuration: {e}"))?;
        config = config.tls(tls);
        notes.push(note);
        let der = first_certificate(&cert_pem)?;
        notes.push(format!("SHA-256 fingerprint: {}", fingerprint(&der)));
        // What a client passes to trust this server by its key: the
        // certificate is self-signed (-k) unless it was given (--cacert).
        let pin = PublicKeyPin::of_certificate_der(&der).map_err(|e| e.to_string())?;
        let trust = match &args.cert {
            Some(path) => format!("--cacert {}", path.display()),
            None => "-k".to_string(),
        };
        notes.push(format!("client flags: --pinnedpubkey {pin} {trust}"));
    }
    let scheme = if config.get_tls().is_some() {
        "https"
    } else {
        "http"
    };
    let server =
        AsyncHttpServer::bind(SocketAddr::new(args.bind, args.port), config).map_err(|e| {
            format!(
                "cannot listen on {}: {e}",
                SocketAddr::new(args.bind, args.port)
            )
        })?;
    let bound = server
        .local_endpoint()
        .as_ip()
        .ok_or("the server has no IP endpoint")?;
    println!("serving {} on {scheme}://{bound}/", root.display());
    for note in notes {
        println!("{note}");
    }
    let site = Arc::new(Site { root });
    // Disk reads complete at once: a response is ready when it is made.
    Ok(server.serve(move |request| ready(site.handle(request))))
}

/// The certificate and key (PEM) and a line saying where they came from.
fn certificate(args: &ServeArgs) -> Result<(String, String, String), String> {
    if let (Some(cert), Some(key)) = (&args.cert, &args.key) {
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
        };
        return Ok((
            read(cert)?,
            read(key)?,
            format!("TLS certificate: {}", cert.display()),
        ));
    }
    let names = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    let generated = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot make a self-signed certificate: {e}"))?;
    Ok((
        generated.cert.pem(),
        generated.signing_key.serialize_pem(),
        "TLS certificate: self-signed for localhost, 127.0.0.1, ::1".to_string(),
    ))
}

/// The first certificate in `pem`, DER-encoded.
fn first_certificate(pem: &str) -> Result<Vec<u8>, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::CertificateDer;
    let der = CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or("no certificate in the PEM")?
        .map_err(|e| format!("certificate PEM: {e}"))?;
    Ok(der.to_vec())
}

/// The SHA-256 fingerprint of a DER certificate, as
/// `openssl x509 -fingerprint -sha256` prints it.
fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

struct Site {
    /// The served directory, canonical (symbolic links resolved).
    root: PathBuf,
}

/// The facts of a request that its log line needs.
struct LogEntry {
    started: Instant,
    client: String,
    method: Method,
    target: String,
    status: StatusCode,
}

impl LogEntry {
    fn write(&self, bytes: u64) {
        eprintln!(
            "{} \"{} {}\" {} {} bytes {:.3} ms",
            self.client,
            self.method,
            self.target,
            self.status.as_u16(),
            bytes,
            self.started.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// A file body that counts what the server sent and logs the request when
/// the server is done with it (after the last byte, or when the response
/// broke off).
struct LoggedFile {
    file: io::Take<File>,
    sent: u64,
    log: LogEntry,
}

/// Disk reads do not wait on the network: each poll reads at once.
impl AsyncRead for LoggedFile {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = this.file.read(buf)?;
        this.sent += n as u64;
        Poll::Ready(Ok(n))
    }
}

impl Drop for LoggedFile {
    fn drop(&mut self) {
        self.log.write(self.sent);
    }
}

impl Site {
    fn handle(&self, request: AsyncRequest) -> AsyncResponse {
        let client = request
            .extensions()
            .get::<ConnectionInfo>()
            .and_then(|info| info.remote)
            .map_or_else(|| "-".to_string(), |a| a.to_string());
        let log = LogEntry {
            started: Instant::now(),
            client,
            method: request.method().clone(),
            target: request
                .uri()
                .path_and_query()
                .map_or_else(|| request.uri().to_string(), |p| p.to_string()),
            status: StatusCode::OK,
        };
        let head = request.method() == Method::HEAD;
        self.route(&request).into_response(log, head)
    }

    fn route(&self, request: &AsyncRequest) -> Reply {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            let mut reply = error_reply(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
            reply
                .headers
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            return reply;
        }
        let url_path = request.uri().path();
        let found = path::sanitize(url_path)
            .and_then(|relative| path::resolve(&self.root, &relative).map(|real| (relative, real)));
        let (relative, real) = match found {
            Ok(found) => found,
            Err(refused) => return refusal(refused),
        };
        let metadata = match std::fs::metadata(&real) {
            Ok(m) => m,
            Err(e) => return io_refusal(&e),
        };
        if metadata.is_dir() {
            if !url_path.ends_with('/') {
                let mut reply = error_reply(StatusCode::MOVED_PERMANENTLY, "a directory");
                if let Ok(location) = HeaderValue::from_str(&format!("{url_path}/")) {
                    reply.headers.insert(header::LOCATION, location);
                }
                return reply;
            }
            // The index goes through `resolve` too: it may be a link to outside.
            match path::resolve(&self.root, &relative.join("index.html")) {
                Ok(index) if index.is_file() => {
                    return serve_file(&index, request.headers(), request.method())
                }
                Err(Refused::Forbidden) => return refusal(Refused::Forbidden),
                _ => {}
            }
            let shown = format!("/{}", relative.to_string_lossy());
            let shown = if shown.ends_with('/') {
                shown
            } else {
                shown + "/"
            };
            return match listing::render(&real, &shown) {
                Ok(html) => Reply::bytes(
                    StatusCode::OK,
                    "text/html; charset=utf-8",
                    html.into_bytes(),
                ),
                Err(e) => io_refusal(&e),
            };
        }
        if !metadata.is_file() {
            // FIFOs, devices, sockets: opening one could block or worse.
            return refusal(Refused::Forbidden);
        }
        serve_file(&real, request.headers(), request.method())
    }
}

enum Body {
    Bytes(Vec<u8>),
    File { file: File, start: u64, length: u64 },
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
}

impl Reply {
    /// The response; the request is logged when its body is done.
    fn into_response(self, mut log: LogEntry, head: bool) -> AsyncResponse {
        log.status = self.status;
        let body = match self.body {
            Body::File {
                mut file,
                start,
                length,
            } => {
                if let Err(e) = file.seek(SeekFrom::Start(start)) {
                    let reply = error_reply(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
                    return reply.into_response(log, head);
                }
                let body = LoggedFile {
                    file: file.take(length),
                    sent: 0,
                    log,
                };
                AsyncResponseBody::from_reader_with_length(body, length)
            }
            Body::Bytes(bytes) => {
                // HEAD and 304: the server sends no body bytes.
                let sent = if head || self.status == StatusCode::NOT_MODIFIED {
                    0
                } else {
                    bytes.len() as u64
                };
                log.write(sent);
                AsyncResponseBody::full(bytes)
            }
        };
        let mut response = AsyncResponse::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }

    fn bytes(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Reply {
            status,
            headers,
            body: Body::Bytes(body),
        }
    }
}

fn error_reply(status: StatusCode, detail: &str) -> Reply {
    let text = format!(
        "{} {}: {detail}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    Reply::bytes(status, "text/plain; charset=utf-8", text.into_bytes())
}

fn refusal(refused: Refused) -> Reply {
    match refused {
        Refused::Malformed => error_reply(StatusCode::BAD_REQUEST, "malformed path"),
        Refused::Forbidden => error_reply(StatusCode::FORBIDDEN, "outside the served directory"),
        Refused::NotFound => error_reply(StatusCode::NOT_FOUND, "no such file"),
    }
}

fn io_refusal(e: &io::Error) -> Reply {
    match e.kind() {
        io::ErrorKind::PermissionDenied => error_reply(StatusCode::FORBIDDEN, "permission denied"),
        io::ErrorKind::NotFound => refusal(Refused::NotFound),
        _ => error_reply(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// The validators of a file: its `Last-Modified` date and a strong `ETag`
/// made of its length and modification time.
struct Validators {
    modified: Option<SystemTime>,
    last_modified: Option<String>,
    etag: String,
}

fn validators(metadata: &Metadata) -> Validators {
    let modified = metadata.modified().ok();
    let since_epoch = modified
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .unwrap_or(Duration::ZERO);
    Validators {
        modified,
        last_modified: modified.map(httpdate::fmt_http_date),
        etag: format!(
            "\"{:x}-{:x}.{:x}\"",
            metadata.len(),
            since_epoch.as_secs(),
            since_epoch.subsec_nanos()
        ),
    }
}

impl Validators {
    /// True when the client's copy is current (`If-None-Match` first, then
    /// `If-Modified-Since`, as RFC 9110 §13.2.2 orders them).
    fn not_modified(&self, headers: &HeaderMap) -> bool {
        if let Some(tags) = headers.get(header::IF_NONE_MATCH) {
            let Ok(tags) = tags.to_str() else {
                return false;
            };
            // Weak comparison: W/ prefixes do not matter here.
            return tags
                .split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag);
        }
        let since = headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        match (since, self.modified) {
            // HTTP dates have whole seconds: compare at that resolution.
            (Some(since), Some(modified)) => whole_seconds(modified) <= whole_seconds(since),
            _ => false,
        }
    }

    /// True when `If-Range` (if any) names the current file.
    fn if_range_holds(&self, headers: &HeaderMap) -> bool {
        match headers.get(header::IF_RANGE).map(|v| v.to_str()) {
            None => true,
            Some(Ok(value)) => {
                let value = value.trim();
                value == self.etag || Some(value) == self.last_modified.as_deref()
            }
            Some(Err(_)) => false,
        }
    }
}

fn whole_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn serve_file(real: &std::path::Path, request_headers: &HeaderMap, method: &Method) -> Reply {
    let file = match File::open(real) {
        Ok(file) => file,
        Err(e) => return io_refusal(&e),
    };
    let metadata = match file.metadata() {
        Ok(m) => m,
        Err(e) => return io_refusal(&e),
    };
    let length = metadata.len();
    let validators = validators(&metadata);
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    if let Ok(content_type) = HeaderValue::from_str(&mime::content_type(&name)) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(date) = validators.last_modified.as_deref() {
        if let Ok(value) = HeaderValue::from_str(date) {
            headers.insert(header::LAST_MODIFIED, value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(&validators.etag) {
        headers.insert(header::ETAG, value);
    }
    if validators.not_modified(request_headers) {
        headers.remove(header::CONTENT_TYPE);
        return Reply {
            status: StatusCode::NOT_MODIFIED,
            headers,
            body: Body::Bytes(Vec::new()),
        };
    }
    // Ranges are defined for GET only (RFC 9110 §14.2).
    let range = match request_headers.get(header::RANGE).map(|v| v.to_str()) {
        Some(Ok(value)) if method == Method::GET && validators.if_range_holds(request_headers) => {
            range::parse(value, length)
        }
        _ => RangeRequest::Full,
    };
    match range {
        RangeRequest::Full => Reply {
            status: StatusCode::OK,
            headers,
            body: Body::File {
                file,
                start: 0,
                length,
            },
        },
        RangeRequest::Partial { start, end } => {
            if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{length}")) {
                headers.insert(header::CONTENT_RANGE, value);
            }
            Reply {
                status: StatusCode::PARTIAL_CONTENT,
                headers,
                body: Body::File {
                    file,
                    start,
                    length: end - start + 1,
                },
            }
        }
        RangeRequest::Unsatisfiable => {
            let mut reply = error_reply(StatusCode::RANGE_NOT_SATISFIABLE, "no such bytes");
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{length}")) {
                reply.headers.insert(header::CONTENT_RANGE, value);
            }
            reply
        }
    }
}
