//! `netstack ws`: an interactive WebSocket client. Lines from stdin go out
//! as text messages; messages that arrive are printed, text as it is and
//! binary as its bytes, each followed by a line break. At the end of stdin
//! the client closes (1000) and waits for the server's close frame. `-v`
//! shows the handshake as `netstack fetch -v` shows a request, and each
//! frame; failures exit with curl's numbers for the same causes.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::pin::pin;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use futures::channel::mpsc;
use futures::future::{select, Either};
use futures::StreamExt;
use netstack::protocols::fetch;
use netstack::protocols::http::client::{ClientBuilder, TraceEvent};
use netstack::protocols::http::{HeaderName, HeaderValue};
use netstack::protocols::websocket::{
    AsyncWebSocket, CloseCode, CloseFrame, Error, Message, WebSocketBuilder,
};
use netstack::transport::tls::TlsClientConfig;

use crate::fetch::{exit, verbose};

/// `eprintln!`, a whole line per write (see [`verbose::lines`]).
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(verbose::lines(), $($arg)*);
    }};
}

/// How long the client waits for the server's close frame after its own.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// Arguments of `netstack ws`.
#[derive(Args, Debug)]
pub struct WsArgs {
    /// The ws:// or wss:// URL.
    url: String,
    /// Show the handshake and every frame on stderr.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
    /// Offer a subprotocol (repeatable, in order of preference).
    #[arg(long = "protocol", value_name = "NAME")]
    protocols: Vec<String>,
    /// Add a field to the opening request (`Name: value`; repeatable).
    #[arg(short = 'H', long = "header", value_name = "LINE")]
    headers: Vec<String>,
    /// Seconds allowed for the connection and the TLS handshake.
    #[arg(long = "connect-timeout", value_name = "SECONDS")]
    connect_timeout: Option<f64>,
    /// Accept any server certificate (insecure).
    #[arg(short = 'k', long = "insecure")]
    insecure: bool,
    /// Trust the certificates in this PEM file instead of the system's.
    #[arg(long = "cacert", value_name = "FILE")]
    cacert: Option<PathBuf>,
}

/// A failure: curl's exit code and a sentence.
struct Failure(u8, String);

/// Runs the session; exit 0 after a close handshake.
pub fn run(args: WsArgs) -> ExitCode {
    let outcome = builder(&args)
        .and_then(|builder| netstack::sockets::block_on(session(builder, args.verbose)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, message)) => {
            note!("netstack ws: {message}");
            ExitCode::from(code)
        }
    }
}

fn builder(args: &WsArgs) -> Result<WebSocketBuilder, Failure> {
    let mut http = ClientBuilder::new();
    if let Some(seconds) = args.connect_timeout {
        if !(seconds > 0.0 && seconds < 1e9) {
            return Err(Failure(
                2,
                format!("--connect-timeout {seconds} is not a positive number of seconds"),
            ));
        }
        http = http.connect_timeout(Some(Duration::from_secs_f64(seconds)));
    }
    if args.insecure || args.cacert.is_some() {
        let mut tls = TlsClientConfig::builder().alpn_protocols(["http/1.1"]);
        if args.insecure {
            tls = tls.dangerous_accept_any_certificate();
        }
        if let Some(cacert) = &args.cacert {
            let pem = std::fs::read(cacert)
                .map_err(|e| Failure(77, format!("--cacert {}: {e}", cacert.display())))?;
            tls = tls.system_roots(false).add_root_certificates_pem(pem);
        }
        http = http.tls_config(tls.build().map_err(|e| Failure(58, e.to_string()))?);
    }
    if args.verbose {
        http = http.trace(|event: &TraceEvent<'_>| verbose::trace(event));
    }
    let mut builder = AsyncWebSocket::builder(args.url.as_str()).http_client(http);
    for protocol in &args.protocols {
        builder = builder.protocol(protocol.clone());
    }
    for line in &args.headers {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| Failure(2, format!("-H {line:?} is not `Name: value`")))?;
        let name = HeaderName::try_from(name.trim())
            .map_err(|_| Failure(2, format!("-H {line:?}: {name:?} is not a field name")))?;
        let value = HeaderValue::try_from(value.trim())
            .map_err(|_| Failure(2, format!("-H {line:?}: the value is not valid in a field")))?;
        builder = builder.header(name, value);
    }
    Ok(builder)
}

/// What woke the session: a line of input (or its end), or a message.
enum Event {
    Line(Option<String>),
    Message(Result<Message, Error>),
}

async fn session(builder: WebSocketBuilder, verbose: bool) -> Result<(), Failure> {
    let mut socket = builder.connect_async().await.map_err(failure)?;
    if verbose {
        match socket.protocol() {
            Some(protocol) => note!("* websocket: open, subprotocol {protocol}"),
            None => note!("* websocket: open"),
        }
    }
    let mut lines = stdin_lines();
    let mut closing = false;
    loop {
        let event = {
            let read = pin!(socket.read_message());
            if closing {
                let waited =
                    netstack::sockets::with_timeout(CLOSE_WAIT, async { Ok(read.await) }).await;
                match waited {
                    Ok(message) => Event::Message(message),
                    Err(_) => {
                        return Err(Failure(
                            28,
                            format!(
                                "the server did not answer the close frame within {CLOSE_WAIT:?}"
                            ),
                        ))
                    }
                }
            } else {
                match select(read, lines.next()).await {
                    Either::Left((message, _)) => Event::Message(message),
                    Either::Right((line, _)) => Event::Line(line),
                }
            }
        };
        match event {
            Event::Line(Some(line)) => {
                if verbose {
                    note!("> text ({} bytes)", line.len());
                }
                socket.send(Message::Text(line)).await.map_err(failure)?;
            }
            Event::Line(None) => {
                if verbose {
                    note!("> close 1000");
                }
                let normal = CloseFrame {
                    code: CloseCode::NORMAL,
                    reason: String::new(),
                };
                socket.close(Some(normal)).await.map_err(failure)?;
                closing = true;
            }
            Event::Message(Ok(message)) => {
                if show(&message, verbose) {
                    return Ok(());
                }
            }
            Event::Message(Err(Error::Closed)) => return Ok(()),
            Event::Message(Err(err)) => return Err(failure(err)),
        }
    }
}

/// Prints a message; true for the server's close frame.
fn show(message: &Message, verbose: bool) -> bool {
    let mut out = std::io::stdout().lock();
    match message {
        Message::Text(text) => {
            if verbose {
                note!("< text ({} bytes)", text.len());
            }
            let _ = writeln!(out, "{text}");
        }
        Message::Binary(data) => {
            if verbose {
                note!("< binary ({} bytes)", data.len());
            }
            let _ = out.write_all(data);
            let _ = writeln!(out);
        }
        Message::Ping(data) if verbose => note!("< ping ({} bytes), answered", data.len()),
        Message::Pong(data) if verbose => note!("< pong ({} bytes)", data.len()),
        Message::Ping(_) | Message::Pong(_) => {}
        Message::Close(frame) => {
            if verbose {
                match frame {
                    Some(frame) if frame.reason.is_empty() => note!("< close {}", frame.code),
                    Some(frame) => note!("< close {} ({})", frame.code, frame.reason),
                    None => note!("< close (no code)"),
                }
            }
            let _ = out.flush();
            return true;
        }
    }
    let _ = out.flush();
    false
}

/// stdin's lines, read on a thread of their own (stdin has no async form).
fn stdin_lines() -> mpsc::UnboundedReceiver<String> {
    let (sender, receiver) = mpsc::unbounded();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if sender.unbounded_send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// curl's exit code for a WebSocket failure, and its sentence.
fn failure(err: Error) -> Failure {
    if let Error::Http(http) = err {
        // Resolving, connecting, TLS: the fetcher's numbers for them.
        let err = fetch::Error::from(http);
        return Failure(exit::code_for(&err, false), err.to_string());
    }
    let code = match &err {
        Error::InvalidUrl(_) => 3,
        // The server answered, but not with a WebSocket.
        Error::Handshake(_) => 22,
        // The server's frames are not valid for the protocol.
        Error::Protocol(_) => 8,
        Error::Transport(transport) if transport.is_timeout() => 28,
        Error::ConnectionLost | Error::Transport(_) => 56,
        _ => 2,
    };
    Failure(code, err.to_string())
}
