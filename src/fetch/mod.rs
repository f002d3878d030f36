//! `netstack fetch URL...`: curl's everyday flags, on the protocol layer's
//! URL fetcher (`protocols::fetch`), with curl's exit codes.

mod exit;
mod progress;
mod verbose;
mod write_out;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use netstack::protocols::fetch::{self, FetchResponse, Fetcher, FetcherBuilder};
use netstack::protocols::http::client::Proxy;
use netstack::transport::tls::TlsClientConfig;

use write_out::Transfer;

/// Fetch URLs (http, https, ftp, file, data) like curl.
#[derive(Args, Debug)]
#[command(after_help = exit::EXIT_CODES_HELP)]
pub struct FetchArgs {
    /// The URLs to fetch, in order.
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,
    /// Write the body to FILE instead of stdout (once per URL, in order; `-` is stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Vec<PathBuf>,
    /// Write the body to a local file named like the remote one.
    #[arg(short = 'O', long = "remote-name")]
    remote_name: bool,
    /// Fetch the headers only (HTTP HEAD; metadata for other schemes).
    #[arg(short = 'I', long = "head")]
    head: bool,
    /// Include the response headers in the output.
    #[arg(short = 'i', long = "include")]
    include: bool,
    /// The request method (HTTP).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// An extra header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// POST this data, form-encoded; `@FILE` reads it from FILE without newlines (repeatable, joined by `&`).
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    data: Vec<String>,
    /// POST this data as is; `@FILE` reads it from FILE byte for byte.
    #[arg(long = "data-binary", value_name = "DATA")]
    data_binary: Vec<String>,
    /// Upload FILE (HTTP PUT, FTP STOR, a file: copy); a URL ending in `/` gets the file's name.
    #[arg(short = 'T', long = "upload-file", value_name = "FILE")]
    upload: Option<PathBuf>,
    /// Follow redirects.
    #[arg(short = 'L', long = "location")]
    location: bool,
    /// At most N redirects with -L (-1: no limit).
    #[arg(
        long = "max-redirs",
        value_name = "N",
        default_value_t = 50,
        allow_negative_numbers = true
    )]
    max_redirs: i64,
    /// Ask for a compressed body (gzip, deflate) and decode it.
    #[arg(long)]
    compressed: bool,
    /// Accept any server certificate (insecure).
    #[arg(short = 'k', long = "insecure")]
    insecure: bool,
    /// Trust only the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Present this client certificate (PEM; with --key).
    #[arg(short = 'E', long, value_name = "FILE")]
    cert: Option<PathBuf>,
    /// The private key of --cert (PEM).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// The longest time to connect, in seconds.
    #[arg(long = "connect-timeout", value_name = "SECONDS")]
    connect_timeout: Option<f64>,
    /// The longest time for each whole transfer, in seconds.
    #[arg(short = 'm', long = "max-time", value_name = "SECONDS")]
    max_time: Option<f64>,
    /// Fail with exit code 22 on an HTTP error status, writing no body.
    #[arg(short = 'f', long = "fail")]
    fail: bool,
    /// No progress bar and no error messages.
    #[arg(short = 's', long = "silent")]
    silent: bool,
    /// With -s, still show error messages.
    #[arg(short = 'S', long = "show-error")]
    show_error: bool,
    /// Trace each layer on stderr: resolution, connection attempts, TLS, heads, timings.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
    /// After each transfer print FORMAT, with %{http_code}, %{size_download},
    /// %{time_total}, %{url_effective}, %{content_type}, %{num_redirects}, …
    #[arg(short = 'w', long = "write-out", value_name = "FORMAT")]
    write_out: Option<String>,
    /// Use this HTTP proxy (`http://host:port`).
    #[arg(short = 'x', long = "proxy", value_name = "PROXY")]
    proxy: Option<String>,
    /// USER:PASSWORD for HTTP basic auth or the FTP login.
    #[arg(short = 'u', long = "user", value_name = "USER:PASSWORD")]
    user: Option<String>,
    /// Resume at this byte offset; `-` resumes where the output file ends.
    #[arg(
        short = 'C',
        long = "continue-at",
        value_name = "OFFSET",
        allow_hyphen_values = true
    )]
    continue_at: Option<String>,
}

/// A failure with its exit code and message.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// Runs `netstack fetch`.
pub fn run(args: FetchArgs) -> ExitCode {
    let fetcher = match build_fetcher(&args) {
        Ok(f) => f,
        Err(failure) => return report(&args, &failure),
    };
    let mut code = 0;
    for (index, url) in args.urls.iter().enumerate() {
        let started = Instant::now();
        let mut transfer = Transfer::default();
        let result = transfer_one(&fetcher, &args, url, index, &mut transfer);
        transfer.time_total = started.elapsed();
        if let Err(failure) = &result {
            transfer.exitcode = failure.code;
            report(&args, failure);
            code = failure.code;
        }
        if let Some(format) = &args.write_out {
            let mut out = io::stdout().lock();
            let _ = out.write_all(write_out::render(format, &transfer).as_bytes());
            let _ = out.flush();
        }
    }
    ExitCode::from(code)
}

fn report(args: &FetchArgs, failure: &Failure) -> ExitCode {
    if !args.silent || args.show_error {
        eprintln!("netstack fetch: ({}) {}", failure.code, failure.message);
    }
    ExitCode::from(failure.code)
}

fn seconds(value: f64, flag: &str) -> Result<Duration, Failure> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| Failure::new(2, format!("{flag} needs a positive number of seconds")))
}

fn build_fetcher(args: &FetchArgs) -> Result<Fetcher, Failure> {
    let mut builder: FetcherBuilder = Fetcher::builder()
        .follow_redirects(args.location)
        .max_redirects(if args.max_redirs < 0 {
            usize::MAX
        } else {
            args.max_redirs as usize
        })
        .decompress(args.compressed)
        .user_agent(concat!("netstack/", env!("CARGO_PKG_VERSION")));
    if let Some(s) = args.connect_timeout {
        builder = builder.connect_timeout(Some(seconds(s, "--connect-timeout")?));
    }
    if let Some(s) = args.max_time {
        let limit = seconds(s, "-m")?;
        builder = builder.timeout(Some(limit)).read_timeout(Some(limit));
    }
    if args.insecure || args.cacert.is_some() || args.cert.is_some() {
        builder = builder.tls_config(tls_config(args)?);
    }
    if let Some(proxy) = &args.proxy {
        let proxy = if proxy.contains("://") {
            proxy.clone()
        } else {
            format!("http://{proxy}")
        };
        builder = builder
            .proxy(Proxy::all(&proxy).map_err(|e| Failure::new(5, format!("proxy {proxy}: {e}")))?);
    }
    if args.verbose {
        builder = builder.trace(verbose::trace);
    }
    Ok(builder.build())
}

fn tls_config(args: &FetchArgs) -> Result<TlsClientConfig, Failure> {
    let mut tls = TlsClientConfig::builder().alpn_protocols(["http/1.1"]);
    if args.insecure {
        tls = tls.dangerous_accept_any_certificate();
    }
    if let Some(cacert) = &args.cacert {
        let pem = std::fs::read(cacert)
            .map_err(|e| Failure::new(77, format!("--cacert {}: {e}", cacert.display())))?;
        tls = tls.system_roots(false).add_root_certificates_pem(pem);
    }
    match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => tls = tls.client_certificate_pem_files(cert, key),
        (Some(cert), None) => tls = tls.client_certificate_pem_files(cert, cert),
        (None, Some(_)) => return Err(Failure::new(2, "--key needs --cert")),
        (None, None) => {}
    }
    tls.build().map_err(|e| Failure::new(58, e.to_string()))
}

/// Where the body of the URL at `index` goes.
enum Output {
    Stdout,
    File(PathBuf),
}

fn output_for(args: &FetchArgs, url: &str, index: usize) -> Result<Output, Failure> {
    if let Some(path) = args.output.get(index) {
        if path == Path::new("-") {
            return Ok(Output::Stdout);
        }
        return Ok(Output::File(path.clone()));
    }
    if args.remote_name {
        let name = url::Url::parse(url)
            .ok()
            .and_then(|u| {
                u.path_segments()
                    .and_then(|mut s| s.next_back().map(str::to_string))
            })
            .filter(|n| !n.is_empty())
            .map(|n| {
                percent_encoding::percent_decode_str(&n)
                    .decode_utf8_lossy()
                    .into_owned()
            });
        return match name {
            Some(name) if !name.contains('/') && name != ".." => Ok(Output::File(name.into())),
            _ => Err(Failure::new(
                23,
                format!("-O: {url} has no file name to save to"),
            )),
        };
    }
    Ok(Output::Stdout)
}

/// The body to POST from -d / --data-binary.
fn post_data(args: &FetchArgs) -> Result<Option<Vec<u8>>, Failure> {
    if args.data.is_empty() && args.data_binary.is_empty() {
        return Ok(None);
    }
    let read = |spec: &str, strip_newlines: bool| -> Result<Vec<u8>, Failure> {
        match spec.strip_prefix('@') {
            Some(path) => {
                let mut bytes = std::fs::read(path)
                    .map_err(|e| Failure::new(26, format!("reading {path}: {e}")))?;
                if strip_newlines {
                    bytes.retain(|b| *b != b'\n' && *b != b'\r');
                }
                Ok(bytes)
            }
            None => Ok(spec.as_bytes().to_vec()),
        }
    };
    let mut parts = Vec::new();
    for spec in &args.data {
        parts.push(read(spec, true)?);
    }
    for spec in &args.data_binary {
        parts.push(read(spec, false)?);
    }
    Ok(Some(parts.join(&b'&')))
}

fn transfer_one(
    fetcher: &Fetcher,
    args: &FetchArgs,
    url: &str,
    index: usize,
    transfer: &mut Transfer,
) -> Result<(), Failure> {
    let uploading = args.upload.is_some();
    let fetch_failure =
        |e: fetch::Error| Failure::new(exit::code_for(&e, uploading), e.to_string());
    let output = output_for(args, url, index)?;
    let mut target = url.to_string();
    let mut request;
    if let Some(file) = &args.upload {
        if target.ends_with('/') {
            if let Some(name) = file.file_name() {
                target.push_str(&name.to_string_lossy());
            }
        }
        request = fetcher.request(&target).upload_file(file);
        transfer.size_upload = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    } else {
        request = fetcher.request(&target);
    }
    if let Some(data) = post_data(args)? {
        transfer.size_upload = data.len() as u64;
        if !args.headers.iter().any(|h| {
            h.split(':')
                .next()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("content-type"))
        }) {
            request = request.header("Content-Type", "application/x-www-form-urlencoded");
        }
        request = request.body(data);
    }
    if args.head {
        request = request.method(http::Method::HEAD);
    }
    if let Some(method) = &args.method {
        let method = http::Method::from_bytes(method.as_bytes())
            .map_err(|_| Failure::new(2, format!("-X {method:?} is not a method")))?;
        request = request.method(method);
    }
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(Failure::new(
                2,
                format!("-H {header:?} is not `Name: value`"),
            ));
        };
        request = request.header(name, value);
    }
    if let Some(user) = &args.user {
        let (name, password) = match user.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (user.as_str(), None),
        };
        request = request.credentials(name, password);
    }
    let resume = match args.continue_at.as_deref() {
        None => None,
        Some("-") => match &output {
            Output::File(path) => Some(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)),
            Output::Stdout => return Err(Failure::new(2, "-C - needs -o FILE or -O")),
        },
        Some(n) => Some(
            n.parse::<u64>()
                .map_err(|_| Failure::new(2, format!("-C {n:?} is not a byte offset")))?,
        ),
    };
    if let Some(offset) = resume.filter(|o| *o > 0) {
        request = request.resume_from(offset);
    }

    let mut response = request.send().map_err(fetch_failure)?;
    transfer.http_code = response.status().filter(|_| response.http().is_some());
    transfer.url_effective = response.url().to_string();
    transfer.content_type = response.content_type().map(str::to_string);
    if let Some(http) = response.http() {
        let t = http.timings();
        transfer.time_connect = t.connect.map(|c| c + t.resolve.unwrap_or_default());
        transfer.time_starttransfer = t.first_byte;
        transfer.num_redirects = t.redirects;
    }
    if args.fail && response.is_error_status() {
        return Err(Failure::new(
            22,
            format!(
                "the requested URL returned error: {}",
                response.status().unwrap_or_default()
            ),
        ));
    }

    let append = resume.is_some() && response.resumed_from().is_some();
    let mut sink: Box<dyn Write> = match &output {
        Output::Stdout => Box::new(io::stdout().lock()),
        Output::File(path) => Box::new(open_output(path, append)?),
    };
    let write_failure = |e: io::Error| Failure::new(23, format!("writing the output: {e}"));
    if args.include || args.head {
        sink.write_all(&head_text(&response))
            .map_err(write_failure)?;
    }
    if !args.head {
        let show_progress = matches!(output, Output::File(_)) && !args.silent;
        let bar = progress::Bar::start(show_progress, response.content_length());
        let copied = response.copy_to_with_progress(&mut sink, &mut |n| bar.set(n));
        bar.finish();
        transfer.size_download = match copied {
            Ok(n) => n,
            Err(fetch::Error::Io { source, .. }) => return Err(write_failure(source)),
            Err(e) => return Err(fetch_failure(e)),
        };
    }
    sink.flush().map_err(write_failure)?;
    if args.verbose {
        verbose::summary(&response, transfer.size_download);
    }
    Ok(())
}

fn open_output(path: &Path, append: bool) -> Result<File, Failure> {
    let opened = if append {
        OpenOptions::new().append(true).open(path)
    } else {
        File::create(path)
    };
    opened.map_err(|e| Failure::new(23, format!("cannot write {}: {e}", path.display())))
}

/// The response head as `-i`/`-I` print it: over HTTP the head exactly as
/// the server sent it (as curl prints it); for other schemes each field.
fn head_text(response: &FetchResponse) -> Vec<u8> {
    if let Some(http) = response.http() {
        return http.raw_head().to_vec();
    }
    let mut out = Vec::new();
    for (name, value) in response.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}
