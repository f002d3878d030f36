//! `-v`: a layer-by-layer trace on stderr, from the HTTP client's trace
//! hook (`*` for what the stack did, `>` for what was sent, `<` for what
//! arrived), like curl's.

use std::io::{LineWriter, StderrLock, Write};
use std::time::Duration;

use netstack::protocols::fetch::FetchResponse;
use netstack::protocols::http::client::TraceEvent;

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// stderr, written a whole line at a time: stderr is unbuffered, and
/// `writeln!` on it writes each formatted piece on its own, so a line could
/// come out split around output on stdout when both go to one pipe.
pub fn lines() -> LineWriter<StderrLock<'static>> {
    LineWriter::new(std::io::stderr().lock())
}

/// Writes one trace event to stderr.
pub fn trace(event: &TraceEvent<'_>) {
    let mut err = lines();
    let _ = match event {
        TraceEvent::Resolved {
            host,
            addresses,
            took,
        } => {
            let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
            writeln!(
                err,
                "* sockets: resolved {host} to [{}] in {}",
                list.join(", "),
                ms(*took)
            )
        }
        TraceEvent::Connected {
            host,
            port,
            attempts,
            took,
        } => {
            for attempt in attempts.iter() {
                let _ = writeln!(
                    err,
                    "* transport: trying {} (after {}): {} in {}",
                    attempt.address,
                    ms(attempt.started_after),
                    attempt.outcome,
                    ms(attempt.duration)
                );
            }
            writeln!(
                err,
                "* transport: connected to {host}:{port} in {}",
                ms(*took)
            )
        }
        TraceEvent::Reused { url } => {
            writeln!(err, "* transport: re-using a pooled connection for {url}")
        }
        TraceEvent::TlsEstablished { info, took } => {
            let _ = writeln!(
                err,
                "* tls: {} {} in {}{}",
                info.version.map_or("?".to_string(), |v| v.to_string()),
                info.cipher_suite.unwrap_or("?"),
                ms(*took),
                if info.resumed { " (resumed)" } else { "" }
            );
            let _ = writeln!(
                err,
                "* tls: ALPN {}",
                info.alpn
                    .as_deref()
                    .map_or("none".to_string(), |p| String::from_utf8_lossy(p)
                        .into_owned())
            );
            match info.peer_certificate() {
                Some(cert) => {
                    let _ = writeln!(err, "* tls: server certificate subject: {}", cert.subject);
                    let _ = writeln!(err, "* tls:   issuer: {}", cert.issuer);
                    let _ = writeln!(
                        err,
                        "* tls:   valid {} to {}",
                        cert.not_before, cert.not_after
                    );
                    let mut names: Vec<String> = cert.dns_names.clone();
                    names.extend(cert.ip_addresses.iter().map(ToString::to_string));
                    writeln!(err, "* tls:   names: {}", names.join(", "))
                }
                None => writeln!(err, "* tls: no server certificate"),
            }
        }
        TraceEvent::RequestHead(head) => {
            for line in String::from_utf8_lossy(head).split("\r\n") {
                if !line.is_empty() {
                    let _ = writeln!(err, "> {line}");
                }
            }
            writeln!(err, ">")
        }
        TraceEvent::ResponseHead { raw, .. } => {
            for line in String::from_utf8_lossy(raw).split("\r\n") {
                if !line.is_empty() {
                    let _ = writeln!(err, "< {line}");
                }
            }
            writeln!(err, "<")
        }
        TraceEvent::Redirect { status, to } => {
            writeln!(
                err,
                "* http: following the {} redirect to {to}",
                status.as_u16()
            )
        }
        TraceEvent::RepeatWithoutExpect { url } => writeln!(
            err,
            "* http: the server refused Expect: 100-continue (417); asking {url} again without it"
        ),
        // An event added to the client after this trace was written.
        _ => Ok(()),
    };
}

/// The closing lines: what arrived and how long each phase took.
pub fn summary(response: &FetchResponse, received: u64) {
    let mut err = lines();
    let _ = writeln!(err, "* fetch: {received} bytes from {}", response.url());
    if let Some(http) = response.http() {
        let t = http.timings();
        let show = |d: Option<Duration>| d.map_or("-".to_string(), ms);
        let _ = writeln!(
            err,
            "* timings: resolve {}, connect {}, tls {}, first byte {}, total {}{}",
            show(t.resolve),
            show(t.connect),
            show(t.tls),
            show(t.first_byte),
            show(t.total),
            if t.reused { " (pooled connection)" } else { "" }
        );
    }
}
