//! TLS between netstack clients and servers on loopback, each case in the
//! synchronous and the asynchronous mode: handshake, ALPN, SNI, client
//! certificates, the distinct certificate errors, truncation, clean
//! shutdown, handshake timeouts, resumption, configuration errors, and the
//! async trait implementations (futures-io, tokio). Every wait is bounded.

#[path = "../tls_support/mod.rs"]
mod tls_support;

use std::io::{self, Read, Write};
use std::thread;
use std::time::{Duration, Instant};
use testkit::{Mode, MODES};

use sockets::Shutdown;
use transport::tls::rustls::AlertDescription;
use transport::tls::{
    CertificateInfo, ClientAuth, TlsClientConfig, TlsError, TlsServerConfig, TlsStream, TlsVersion,
    Unmanaged,
};
use transport::NetworkStream;

use testkit::cert::{pki, Pem};
use tls_support::{block_on_bounded, tcp_pair, write_file, WAIT};

type Tls = TlsStream<NetworkStream>;

/// The `TlsError` inside an `io::Error` from the I/O traits (or the io::Error itself).
fn io_to_tls(err: io::Error) -> TlsError {
    if TlsError::from_io(&err).is_some() {
        *err.into_inner()
            .unwrap()
            .downcast::<TlsError>()
            .expect("checked above")
    } else {
        TlsError::Io(err)
    }
}

fn connect(
    mode: Mode,
    config: &TlsClientConfig,
    name: &str,
    stream: NetworkStream,
) -> Result<Tls, TlsError> {
    match mode {
        Mode::Sync => TlsStream::connect(config, name, stream),
        Mode::Async => block_on_bounded(TlsStream::connect_async(config, name, stream)),
    }
}

fn accept(mode: Mode, config: &TlsServerConfig, stream: NetworkStream) -> Result<Tls, TlsError> {
    match mode {
        Mode::Sync => TlsStream::accept(config, stream),
        Mode::Async => block_on_bounded(TlsStream::accept_async(config, stream)),
    }
}

fn write_all(mode: Mode, tls: &mut Tls, data: &[u8]) -> Result<(), TlsError> {
    match mode {
        Mode::Sync => tls
            .write_all(data)
            .and_then(|()| tls.flush())
            .map_err(io_to_tls),
        Mode::Async => block_on_bounded(tls.write_all_async(data)),
    }
}

fn read_some(mode: Mode, tls: &mut Tls, buf: &mut [u8]) -> Result<usize, TlsError> {
    match mode {
        Mode::Sync => tls.read(buf).map_err(io_to_tls),
        Mode::Async => block_on_bounded(tls.read_async(buf)),
    }
}

fn read_exact(mode: Mode, tls: &mut Tls, len: usize) -> Result<Vec<u8>, TlsError> {
    let mut out = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let n = read_some(mode, tls, &mut out[filled..])?;
        assert_ne!(n, 0, "the stream ended after {filled} of {len} bytes");
        filled += n;
    }
    Ok(out)
}

fn read_to_end(mode: Mode, tls: &mut Tls) -> Result<Vec<u8>, TlsError> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match read_some(mode, tls, &mut buf)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

fn shutdown(mode: Mode, tls: &mut Tls) -> Result<(), TlsError> {
    match mode {
        Mode::Sync => tls.shutdown(),
        Mode::Async => block_on_bounded(tls.shutdown_async()),
    }
}

fn server_config() -> TlsServerConfig {
    let p = pki();
    TlsServerConfig::builder()
        .certificate_pem(&p.localhost.cert, &p.localhost.key)
        .build()
        .unwrap()
}

fn client_config() -> TlsClientConfig {
    TlsClientConfig::builder()
        .add_root_certificates_pem(&pki().ca.cert)
        .build()
        .unwrap()
}

/// Runs `server` on the accepted side in a thread and `client` here; returns both results.
fn run<C, S, CR, SR>(client: C, server: S) -> (CR, SR)
where
    C: FnOnce(NetworkStream) -> CR,
    S: FnOnce(NetworkStream) -> SR + Send + 'static,
    SR: Send + 'static,
{
    let (client_stream, server_stream) = tcp_pair();
    let server = thread::spawn(move || server(server_stream));
    let client_result = client(client_stream);
    let server_result = server.join().expect("server thread panicked");
    (client_result, server_result)
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

mod breakage;
mod configuration;
mod handshake;
mod pinning;
mod streams;
mod verification;
