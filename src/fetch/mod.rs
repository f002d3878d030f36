//! `netstack fetch URL...`: curl's everyday flags, on the protocol layer's
//! URL fetcher (`protocols::fetch`), with curl's exit codes.

mod config_file;
mod cookies;
mod data;
mod dump_header;
pub(crate) mod exit;
mod expect;
mod fetcher;
mod form;
mod glob;
mod headers;
mod netrc;
mod network;
mod output_flags;
mod parallel;
mod progress;
mod rate_limit;
mod request_flags;
mod retry;
mod sequence;
mod stdin;
pub(crate) mod verbose;
mod write_out;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use clap::Args;
use netstack::protocols::fetch::{self, FetchResponse, Fetcher};

use data::RequestData;
use dump_header::{HeadLog, HeadSink};
use glob::Pattern;
use sequence::Sequenced;
use write_out::Transfer;

/// Fetch URLs (http, https, ftp, file, data) like curl.
#[derive(Args, Debug)]
// As in curl, an option given again replaces what it said before (a
// config file and the command line may both set one).
#[command(after_help = exit::EXIT_CODES_HELP, args_override_self = true)]
pub struct FetchArgs {
    /// The URLs to fetch, in order (a URL without a scheme is http://, or
    /// ftp:// for a host starting with `ftp.`); `{a,b}` and `[1-10]`,
    /// `[a-z]`, `[01-99:2]` globs fetch every URL they make (`#1` in `-o`
    /// is the first glob's text).
    #[arg(value_name = "URL", value_parser = Sequenced::parse)]
    urls: Vec<Sequenced>,
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
    /// The request method (HTTP), used for every request, after a redirect too.
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// An extra header, `Name: value` (repeatable); `Name:` sends none of
    /// that name (not even the default), `Name;` sends it empty, `@FILE`
    /// reads one header a line from FILE (`@-`: stdin).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// POST this data, form-encoded; `@FILE` reads it from FILE without newlines, `@-` from stdin (repeatable, joined by `&`).
    #[arg(short = 'd', long = "data", value_name = "DATA", value_parser = Sequenced::parse)]
    data: Vec<Sequenced>,
    /// POST this data as is; `@FILE` reads it from FILE byte for byte, `@-` from stdin.
    #[arg(long = "data-binary", value_name = "DATA", value_parser = Sequenced::parse)]
    data_binary: Vec<Sequenced>,
    /// Upload FILE (`-`: stdin) (HTTP PUT, FTP STOR, a file: copy); a URL ending in `/` gets the file's name.
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
    /// Accept only a server whose public key has one of these hashes:
    /// `sha256//BASE64[;sha256//BASE64…]` (SHA-256 of the DER
    /// SubjectPublicKeyInfo); checked after the certificate, or alone with -k.
    #[arg(long = "pinnedpubkey", value_name = "HASHES")]
    pinned_public_key: Option<String>,
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
    /// After each transfer print FORMAT (`@FILE`, `@-`: read it) with curl's
    /// variables: %{http_code}, %{time_namelookup}, %{time_connect},
    /// %{time_appconnect}, %{time_starttransfer}, %{time_total},
    /// %{remote_ip}, %{remote_port}, %{size_download}, %{size_header},
    /// %{speed_download}, %{num_redirects}, %{content_type},
    /// %{url_effective}, %{exitcode}, %{errormsg}, %{json}, %header{NAME}, …
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
    /// Read options from FILE (`-`: stdin), one a line, as curl's config
    /// files hold them (`url = "…"`, `silent`, `-o out`), in place of this flag.
    #[arg(short = 'K', long = "config", value_name = "FILE")]
    // Always empty here: `config_file::expand` puts each file's options in
    // place of its -K before the command line is parsed.
    config: Vec<PathBuf>,
    #[command(flatten)]
    request: request_flags::RequestFlags,
    #[command(flatten)]
    network: network::NetworkFlags,
    #[command(flatten)]
    output_flags: output_flags::OutputFlags,
    #[command(flatten)]
    retry: retry::RetryFlags,
    #[command(flatten)]
    cookies: cookies::CookieFlags,
    #[command(flatten)]
    form: form::FormFlags,
    #[command(flatten)]
    netrc: netrc::NetrcFlags,
    #[command(flatten)]
    parallel: parallel::ParallelFlags,
    #[command(flatten)]
    expect: expect::ExpectFlags,
}

/// What the transfers of one run share: the fetcher, the heads it
/// received, where -D writes them, and the data read once for all URLs.
struct Session {
    fetcher: Fetcher,
    heads: HeadLog,
    /// -D's file (shared by the threads of -Z).
    head_sink: Option<Mutex<HeadSink>>,
    data: Option<RequestData>,
    /// `-T -`'s standard input, streamed.
    stdin_upload: stdin::StreamedStdin,
    retry: retry::Policy,
    cookies: cookies::Cookies,
    form: Option<netstack::protocols::http::client::Multipart>,
    netrc: netrc::Netrc,
}

/// A failure with its exit code and message, and what --retry needs to know of it.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
    /// The server answered with a status worth retrying (408, 429, 5xx).
    transient_status: Option<u16>,
    /// The wait the server asked for (`Retry-After`).
    retry_after: Option<Duration>,
    /// Body bytes already went where a retry cannot take them back
    /// (stdout, or a file being resumed).
    output_started: bool,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
            transient_status: None,
            retry_after: None,
            output_started: false,
        }
    }
}

/// The command line with the options of every `-K FILE` of `netstack
/// fetch` in place of the flag, or the exit code of a file that cannot be
/// read (26, as curl).
pub fn with_config_files(
    args: Vec<std::ffi::OsString>,
) -> Result<Vec<std::ffi::OsString>, ExitCode> {
    config_file::expand(args).map_err(|config_file::Unreadable(message)| {
        eprintln!("netstack fetch: (26) {message}");
        ExitCode::from(26)
    })
}

/// Runs `netstack fetch`.
pub fn run(args: FetchArgs) -> ExitCode {
    let urls = request_flags::urls(&args);
    let (session, format) = match start(&args, &urls) {
        Ok(started) => started,
        Err(failure) => return report(&args, &failure),
    };
    if args.parallel.parallel {
        let code = run_parallel(&session, &args, &urls, format.as_deref());
        session.cookies.save(args.silent);
        return ExitCode::from(code);
    }
    let mut code = 0;
    for (urlnum, url) in urls.iter().enumerate() {
        let pattern = match args.request.globoff {
            true => Pattern::literal(url),
            false => match Pattern::parse(url) {
                Ok(pattern) => pattern,
                Err(bad) => {
                    // As in curl, a malformed glob ends the run.
                    code = 3;
                    report(&args, &Failure::new(code, bad.report(url)));
                    break;
                }
            },
        };
        for expanded in pattern.expand() {
            let target = Target {
                url: expanded.url,
                urlnum,
                globbed: expanded.globbed,
            };
            if let Err(failed) = fetch_target(&session, &args, &target, format.as_deref()) {
                code = failed;
            }
        }
    }
    session.cookies.save(args.silent);
    ExitCode::from(code)
}

/// `-Z`: every URL's globs are checked first (a malformed one fetches
/// nothing, as in curl), then the URLs are fetched at the same time.
fn run_parallel(session: &Session, args: &FetchArgs, urls: &[String], format: Option<&str>) -> u8 {
    let mut patterns = Vec::new();
    for url in urls {
        match args.request.globoff {
            true => patterns.push(Pattern::literal(url)),
            false => match Pattern::parse(url) {
                Ok(pattern) => patterns.push(pattern),
                Err(bad) => {
                    report(args, &Failure::new(3, bad.report(url)));
                    return 3;
                }
            },
        }
    }
    let targets = patterns.iter().enumerate().flat_map(|(urlnum, pattern)| {
        pattern.expand().map(move |expanded| Target {
            url: expanded.url,
            urlnum,
            globbed: expanded.globbed,
        })
    });
    parallel::run(targets, args.parallel.at_once(), |target| {
        fetch_target(session, args, &target, format)
    })
}

/// True for `-T -`.
fn uploads_stdin(args: &FetchArgs) -> bool {
    args.upload.as_deref() == Some(Path::new("-"))
}

/// One URL of the command line, globs filled in.
struct Target {
    url: String,
    /// Its command line URL's number (from 0): `-o`'s place, `%{urlnum}`.
    urlnum: usize,
    /// The text of each glob, for `#N` in `-o`.
    globbed: Vec<String>,
}

/// Fetches `target`, tried again as --retry allows, and prints its `-w`;
/// the exit code of a failure.
fn fetch_target(
    session: &Session,
    args: &FetchArgs,
    target: &Target,
    format: Option<&str>,
) -> Result<(), u8> {
    let first_try = Instant::now();
    let mut tries = 0;
    let (result, mut transfer, started) = loop {
        tries += 1;
        let started = Instant::now();
        let mut transfer = Transfer {
            url: target.url.clone(),
            urlnum: target.urlnum,
            ..Transfer::default()
        };
        let may_retry = session.retry.has_tries_left(tries);
        let result = transfer_one(session, args, target, &mut transfer, may_retry);
        let retryable = !(uploads_stdin(args) && session.stdin_upload.spent());
        let wait = result
            .as_ref()
            .err()
            .filter(|_| retryable)
            .and_then(|failure| {
                let wait = session
                    .retry
                    .wait_before_retry(failure, tries, first_try.elapsed())?;
                if !args.silent {
                    let left = session.retry.retries_left(tries);
                    eprintln!("{}", retry::warning(failure, wait, left));
                }
                Some(wait)
            });
        match wait {
            Some(wait) => std::thread::sleep(wait),
            None => break (result, transfer, started),
        }
    };
    if let Err(failure) = &result {
        transfer.exitcode = failure.code;
        transfer.errormsg = Some(failure.message.clone());
        report(args, failure);
    }
    if result.is_err() || transfer.time_total.is_zero() {
        transfer.time_total = started.elapsed();
    }
    if let Some(format) = format {
        let warn =
            &mut |name: &str| eprintln!("netstack fetch: unknown --write-out variable: '{name}'");
        let mut out = io::stdout().lock();
        let _ = out.write_all(write_out::render(format, &transfer, warn).as_bytes());
        let _ = out.flush();
    }
    result.map_err(|failure| failure.code)
}

/// Checks the flags and reads what is read once (data, stdin, the -w
/// format): the session, and the -w format.
fn start(args: &FetchArgs, urls: &[String]) -> Result<(Session, Option<String>), Failure> {
    if urls.is_empty() {
        return Err(Failure::new(2, "no URL specified"));
    }
    output_flags::check(&args.output_flags, args.fail)?;
    let format = args
        .write_out
        .as_deref()
        .map(write_out::format_of)
        .transpose()?;
    let heads = HeadLog::default();
    if args.form.given() && (data::given(args) || args.upload.is_some()) {
        return Err(Failure::new(
            2,
            "-F cannot be combined with -d, --data-*, --json or -T: a request has one body",
        ));
    }
    let cookies = cookies::Cookies::load(&args.cookies)?;
    let fetcher = fetcher::build(args, &heads, &cookies)?;
    let session = Session {
        fetcher,
        heads,
        head_sink: args
            .output_flags
            .dump_header
            .as_deref()
            .map(HeadSink::open)
            .transpose()?
            .map(Mutex::new),
        data: data::collect(args)?,
        stdin_upload: stdin::StreamedStdin::default(),
        retry: retry::Policy::new(&args.retry)?,
        cookies,
        form: form::collect(&args.form, args.silent)?,
        netrc: netrc::Netrc::load(&args.netrc),
    };
    Ok((session, format))
}

/// Prints a failure unless `-s` (without `-S`) hides it; a usage error
/// (code 2: a missing URL, a bad flag value) shows whatever `-s` says, as
/// curl's do.
fn report(args: &FetchArgs, failure: &Failure) -> ExitCode {
    if !args.silent || args.show_error || failure.code == 2 {
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

/// Where the body of the URL at `index` goes.
enum Output {
    Stdout,
    File(PathBuf),
}

fn output_for(args: &FetchArgs, target: &Target) -> Result<Output, Failure> {
    let url = target.url.as_str();
    if let Some(path) = args.output.get(target.urlnum) {
        if path == Path::new("-") {
            return Ok(Output::Stdout);
        }
        let name = glob::output_name(&path.to_string_lossy(), &target.globbed);
        return Ok(Output::File(name.into()));
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

fn transfer_one(
    session: &Session,
    args: &FetchArgs,
    target: &Target,
    transfer: &mut Transfer,
    may_retry: bool,
) -> Result<(), Failure> {
    let url = target.url.as_str();
    let uploading = args.upload.is_some();
    let fetch_failure =
        |e: fetch::Error| Failure::new(exit::code_for(&e, uploading), e.to_string());
    let output = output_for(args, target)?;
    let fetcher = &session.fetcher;
    let mut target = url.to_string();
    let form = session.data.as_ref().filter(|_| !args.request.get);
    if let Some(query) = session.data.as_ref().filter(|_| args.request.get) {
        target = request_flags::with_query(&target, &query.bytes);
    }
    let mut request;
    let mut upload = expect::Upload::None;
    let stdin_before = session.stdin_upload.mark();
    if uploads_stdin(args) {
        upload = expect::Upload::Unknown;
        let stdin = stdin::reader_for(&session.stdin_upload, url)?;
        request = fetcher
            .request(&target)
            .upload_reader(stdin)
            .method(http::Method::PUT);
    } else if let Some(file) = &args.upload {
        if target.ends_with('/') {
            if let Some(name) = file.file_name() {
                target.push_str(&name.to_string_lossy());
            }
        }
        request = fetcher.request(&target).upload_file(file);
        transfer.size_upload = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        upload = expect::Upload::Known(transfer.size_upload);
    } else if let Some(form) = &session.form {
        upload = expect::form_upload(form);
        request = fetcher.request(&target).multipart(form.clone());
    } else {
        request = fetcher.request(&target);
    }
    let header_lines = headers::read_all(&args.headers)?;
    let named = |name: &str| {
        header_lines
            .iter()
            .any(|h| h.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    };
    if let Some(data) = form {
        transfer.size_upload = data.bytes.len() as u64;
        upload = expect::Upload::Known(transfer.size_upload);
        request = request.body(data.bytes.clone());
    }
    request = data::add_headers(&named, args, session.data.as_ref(), request);
    request = request_flags::add_headers(&args.request, &target, request)?;
    request = session.cookies.add_header(&named, request);
    if args.request.get {
        request = request.method(http::Method::GET);
    }
    if args.head {
        request = request.method(http::Method::HEAD);
    }
    if let Some(method) = &args.method {
        let method = http::Method::from_bytes(method.as_bytes())
            .map_err(|_| Failure::new(2, format!("-X {method:?} is not a method")))?;
        request = request.method(method).keep_method_on_redirect(true);
    }
    for line in &header_lines {
        if let headers::HeaderLine::Ignored { line } = line {
            if !line.trim().is_empty() && !args.silent {
                eprintln!(
                    "netstack fetch: warning: -H '{line}' is not sent: a header is `Name: value`, `Name:` (none) or `Name;` (empty)"
                );
            }
        }
        request = line.apply(request);
    }
    request = request.expect_continue(expect::wanted(upload, &header_lines));
    if let Some(user) = &args.user {
        let (name, password) = match user.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (user.as_str(), None),
        };
        request = request.credentials(name, password);
    } else if let Some(url) = url::Url::parse(&target)
        .ok()
        .filter(|u| u.username().is_empty())
    {
        if let Some((login, password)) = url.host_str().and_then(|h| session.netrc.credentials(h)) {
            request = request.credentials(&login, password.as_deref());
        }
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
        request = request.resume_from(offset).require_resume(true);
    }

    session.heads.take();
    let sent = request.send();
    if uploads_stdin(args) {
        transfer.size_upload = session.stdin_upload.bytes_since(stdin_before);
    }
    // Standard input cannot be sent again: no retry once it was read.
    let may_retry = may_retry && !(uploads_stdin(args) && session.stdin_upload.spent());
    let mut response = sent.map_err(|e| match e {
        // -f speaks first, as in curl: an error status is exit 22.
        fetch::Error::RangeIgnored { status, .. } if args.fail && status.as_u16() >= 400 => {
            Failure::new(
                22,
                format!("the requested URL returned error: {}", status.as_u16()),
            )
        }
        e => fetch_failure(e),
    })?;
    transfer.record_head(&response);
    if let Some(sink) = &session.head_sink {
        let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
        let mut heads = session.heads.take();
        if response.http().is_none() {
            heads = head_text(&response);
        }
        sink.write(&heads)?;
    }
    if uploads_stdin(args) && session.stdin_upload.read_since(stdin_before) {
        stdin::unfollowed_redirect(args.location, &response)?;
    }
    if let Some(status) =
        retry::transient_status(response.status().map(|s| s.as_u16())).filter(|_| may_retry)
    {
        // Not written out: the next try's body takes its place.
        let mut failure = Failure::new(22, format!("the server answered {status}"));
        failure.transient_status = Some(status);
        failure.retry_after = retry::retry_after(response.headers());
        return Err(failure);
    }
    if args.fail && response.is_error_status() {
        return Err(Failure::new(
            22,
            format!(
                "the requested URL returned error: {}",
                response.status().map_or(0, |s| s.as_u16())
            ),
        ));
    }

    let append = resume.is_some() && response.resumed_from().is_some();
    let mut sink: Box<dyn Write> = match &output {
        Output::Stdout => Box::new(io::stdout().lock()),
        Output::File(path) => {
            output_flags::prepare(&args.output_flags, path)?;
            Box::new(open_output(path, append)?)
        }
    };
    let write_failure = |e: io::Error| Failure::new(23, format!("writing the output: {e}"));
    if args.include || args.head {
        sink.write_all(&head_text(&response))
            .map_err(write_failure)?;
    }
    if !args.head {
        // Bars of transfers running at once would overwrite each other.
        let show_progress =
            matches!(output, Output::File(_)) && !args.silent && !args.parallel.parallel;
        let bar = progress::Bar::start(show_progress, response.content_length());
        let pace = args
            .output_flags
            .limit_rate
            .as_deref()
            .map(rate_limit::parse)
            .transpose()?
            .map(rate_limit::Pace::new);
        let mut written = 0;
        let copied = response.copy_to_with_progress(&mut sink, &mut |n| {
            written = n;
            bar.set(n);
            if let Some(pace) = &pace {
                pace.after(n);
            }
        });
        bar.finish();
        let kept = written > 0 && (append || matches!(output, Output::Stdout));
        transfer.size_download = match copied {
            Ok(n) => n,
            Err(fetch::Error::Io { source, .. }) => return Err(write_failure(source)),
            Err(e) => {
                let mut failure = fetch_failure(e);
                failure.output_started = kept;
                return Err(failure);
            }
        };
    }
    sink.flush().map_err(write_failure)?;
    transfer.record_end(&response);
    if args.verbose {
        verbose::summary(&response, transfer.size_download);
    }
    if args.output_flags.fail_with_body && response.is_error_status() {
        return Err(Failure::new(
            22,
            format!(
                "the requested URL returned error: {}",
                response.status().map_or(0, |s| s.as_u16())
            ),
        ));
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
