//! A length-prefixed request/response protocol over TLS: an async server
//! (every connection a future, requests of one connection run concurrently)
//! and a client in both modes that pipelines requests and matches the
//! answers by id.
//!
//! ```text
//! cargo run --example rpc_tls                       # demo: server + clients in-process on loopback
//! cargo run --example rpc_tls -- server 7001        # a server on 127.0.0.1:7001; writes its certificate to a file
//! cargo run --example rpc_tls -- client 127.0.0.1 7001 upper hello   # one call, trusting that certificate
//! cargo run --example rpc_tls -- client 127.0.0.1 7001 add 2 40      # add and sleep take numbers
//! ```
//!
//! The protocol. Every message is one frame of the framing toolkit's
//! [`LengthDelimitedCodec`]: a 4-byte big-endian length, then the payload.
//!
//! - request payload: `id: u32` · `method length: u8` · method (UTF-8) · argument bytes
//! - response payload: `id: u32` · `status: u8` (0 ok, 1 error) · result bytes
//!   (for an error, a UTF-8 message)
//!
//! Methods: `echo` (the argument back), `add` (two big-endian u64 → their
//! sum), `upper` (UTF-8 text, upper-cased), `sleep` (a big-endian u64 of
//! milliseconds, at most 5000: shows that requests run concurrently). An
//! unknown method is an error response (to that id; the connection goes
//! on). A frame over [`MAX_FRAME`] is the codec's `FrameTooLong`: the
//! client refuses to send one; the server, on receiving one (or a payload
//! it cannot parse), answers with id 0 (never a client's id) and the error
//! text, finishes the requests already running, and closes the connection.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use netstack::protocols::framing::{self, Decoder, Encoder, Framed, LengthDelimitedCodec};
use netstack::sockets::{block_on, sleep, with_timeout, EndPoint};
use netstack::transport::tls::{TlsClientConfig, TlsError, TlsServerConfig, TlsStream};
use netstack::transport::{NetworkStream, TcpClient, TcpListener};

/// The largest frame payload either side accepts or sends.
pub const MAX_FRAME: usize = 64 * 1024;
/// Every wait of the clients (handshake, reads, writes, a whole async call).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The longest `sleep` the server grants.
const MAX_SLEEP_MS: u64 = 5000;

/// A call: which method, with what argument, under which id.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: u32,
    pub method: String,
    pub args: Bytes,
}

/// The answer to the request with the same id: the result bytes or an error message.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub id: u32,
    pub result: Result<Bytes, String>,
}

/// A message's payload, inside one length-prefixed frame.
pub trait Message: Sized {
    fn write(&self, dst: &mut BytesMut);
    fn parse(payload: Bytes) -> Result<Self, String>;
}

impl Message for Request {
    fn write(&self, dst: &mut BytesMut) {
        dst.put_u32(self.id);
        dst.put_u8(self.method.len() as u8); // at most 255: checked by Client::feed
        dst.put_slice(self.method.as_bytes());
        dst.put_slice(&self.args);
    }

    fn parse(mut payload: Bytes) -> Result<Request, String> {
        if payload.len() < 5 || payload.len() < 5 + payload[4] as usize {
            return Err(format!("a request of {} bytes is too short", payload.len()));
        }
        let id = payload.get_u32();
        let name_len = payload.get_u8().into();
        let name = payload.split_to(name_len);
        let method = String::from_utf8(name.to_vec()).map_err(|_| "method is not UTF-8")?;
        Ok(Request {
            id,
            method,
            args: payload,
        })
    }
}

impl Message for Response {
    fn write(&self, dst: &mut BytesMut) {
        dst.put_u32(self.id);
        let (status, body) = match &self.result {
            Ok(bytes) => (0, &bytes[..]),
            Err(message) => (1, message.as_bytes()),
        };
        dst.put_u8(status);
        dst.put_slice(body);
    }

    fn parse(mut payload: Bytes) -> Result<Response, String> {
        if payload.len() < 5 {
            return Err(format!(
                "a response of {} bytes is too short",
                payload.len()
            ));
        }
        let id = payload.get_u32();
        let result = match payload.get_u8() {
            0 => Ok(payload),
            1 => Err(String::from_utf8_lossy(&payload).into_owned()),
            other => return Err(format!("unknown status {other}")),
        };
        Ok(Response { id, result })
    }
}

/// Decodes messages of type `In` and encodes any [`Message`], on top of
/// [`LengthDelimitedCodec`] (which enforces the frame limit both ways).
pub struct RpcCodec<In> {
    frames: LengthDelimitedCodec,
    scratch: BytesMut,
    _in: PhantomData<In>,
}

impl<In> RpcCodec<In> {
    pub fn new(max_frame: usize) -> RpcCodec<In> {
        let frames = LengthDelimitedCodec::new().max_frame_length(max_frame);
        let (scratch, _in) = (BytesMut::new(), PhantomData);
        RpcCodec {
            frames,
            scratch,
            _in,
        }
    }
}

impl<In: Message> Decoder for RpcCodec<In> {
    type Item = In;
    fn decode(&mut self, src: &mut BytesMut) -> framing::Result<Option<In>> {
        let Some(payload) = self.frames.decode(src)? else {
            return Ok(None);
        };
        In::parse(payload)
            .map(Some)
            .map_err(framing::Error::InvalidFrame)
    }
}

impl<In, M: Message> Encoder<&M> for RpcCodec<In> {
    fn encode(&mut self, message: &M, dst: &mut BytesMut) -> framing::Result<()> {
        self.scratch.clear();
        message.write(&mut self.scratch);
        self.frames.encode(&self.scratch[..], dst)
    }
}

/// What can go wrong for a client.
#[derive(Debug)]
pub enum RpcError {
    /// The TLS handshake failed (an untrusted certificate, an alert, …).
    Tls(TlsError),
    /// Framing or the layers below failed: a frame over the limit, a
    /// timeout, a connection cut without `close_notify`.
    Framing(framing::Error),
    /// The server ended the connection with requests still unanswered.
    ServerGone { unanswered: usize },
    /// The server refused this connection's input (an answer with id 0:
    /// a frame over its limit, or a request it could not parse).
    Rejected(String),
    /// The server answered with a payload or an id that makes no sense.
    Protocol(String),
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Tls(e) => write!(f, "rpc: handshake failed: {e}"),
            RpcError::Framing(e) => write!(f, "rpc: {e}"),
            RpcError::ServerGone { unanswered } => write!(
                f,
                "rpc: the server closed the connection with {unanswered} request(s) unanswered"
            ),
            RpcError::Rejected(e) => write!(f, "rpc: the server rejected a request: {e}"),
            RpcError::Protocol(e) => write!(f, "rpc: protocol violation: {e}"),
        }
    }
}

impl std::error::Error for RpcError {}

impl From<framing::Error> for RpcError {
    fn from(e: framing::Error) -> RpcError {
        match e {
            framing::Error::InvalidFrame(what) => RpcError::Protocol(what),
            other => RpcError::Framing(other),
        }
    }
}

impl From<netstack::transport::Error> for RpcError {
    fn from(e: netstack::transport::Error) -> RpcError {
        RpcError::Framing(e.into())
    }
}

/// The server's methods. Errors are answers, not failures of the connection.
async fn handle(request: Request) -> Response {
    let args = &request.args;
    let result = match request.method.as_str() {
        "echo" => Ok(args.clone()),
        "add" if args.len() == 16 => {
            let (a, b) = (args.slice(..8).get_u64(), args.slice(8..).get_u64());
            a.checked_add(b)
                .map(|sum| Bytes::copy_from_slice(&sum.to_be_bytes()))
                .ok_or_else(|| format!("add: {a} + {b} overflows u64"))
        }
        "add" => Err(format!(
            "add: expected two u64 (16 bytes), got {} bytes",
            args.len()
        )),
        "upper" => match std::str::from_utf8(args) {
            Ok(text) => Ok(Bytes::from(text.to_uppercase())),
            Err(e) => Err(format!("upper: the argument is not UTF-8: {e}")),
        },
        "sleep" if args.len() == 8 && args.slice(..).get_u64() <= MAX_SLEEP_MS => {
            sleep(Duration::from_millis(args.slice(..).get_u64())).await;
            Ok(Bytes::new())
        }
        "sleep" => Err(format!(
            "sleep: expected a u64 of at most {MAX_SLEEP_MS} ms"
        )),
        other => Err(format!("unknown method '{other}'")),
    };
    Response {
        id: request.id,
        result,
    }
}

type ServerConn = Framed<TlsStream<NetworkStream>, RpcCodec<Request>>;

/// Writes an answer; one over the frame limit (`upper` can grow its text)
/// becomes an error answer to the same id.
async fn answer(conn: &mut ServerConn, response: Response) -> Result<(), framing::Error> {
    match conn.write_frame_async(&response).await {
        Err(framing::Error::FrameTooLong { length, limit }) => {
            let result = Err(format!(
                "the answer ({length} bytes) is over the limit of {limit}"
            ));
            conn.write_frame_async(&Response {
                id: response.id,
                result,
            })
            .await
        }
        other => other,
    }
}

/// One connection: the TLS handshake, then requests read and answered
/// concurrently (an answer goes out as soon as its method finishes).
async fn connection(config: TlsServerConfig, stream: NetworkStream) -> Result<(), RpcError> {
    let tls = TlsStream::accept_async(&config, stream)
        .await
        .map_err(RpcError::Tls)?;
    let mut conn: ServerConn = Framed::new(tls, RpcCodec::new(MAX_FRAME));
    let mut running = FuturesUnordered::new();
    let mut rejected = false;
    loop {
        futures::select_biased! {
            response = running.select_next_some() => answer(&mut conn, response).await?,
            request = conn.read_frame_async().fuse() => match request {
                Ok(Some(request)) => running.push(handle(request)),
                Ok(None) => break,
                // Bad input (a frame over the limit, a payload that does not
                // parse): answer with id 0, then finish and hang up.
                Err(e) if e.is_bad_input() => {
                    conn.feed_frame(&Response { id: 0, result: Err(e.to_string()) })?;
                    rejected = true;
                    break;
                }
                Err(e) => return Err(e.into()),
            },
        }
    }
    while let Some(response) = running.next().await {
        answer(&mut conn, response).await?;
    }
    conn.close_async().await?; // flush, then close_notify: the client sees a clean end
    if rejected {
        // Read and drop what the client still sends (bounded), so that
        // closing with unread bytes does not reset the connection before
        // the client has read the answer.
        let drain = async {
            loop {
                match conn.read_frame_async().await {
                    Ok(Some(_)) => {}
                    Err(framing::Error::FrameTooLong { .. } | framing::Error::InvalidFrame(_)) => {}
                    Ok(None) | Err(_) => return Ok(()),
                }
            }
        };
        let _ = with_timeout(TIMEOUT, drain).await;
    }
    Ok(())
}

/// Accepts clients and serves them concurrently, forever or (with `limit`)
/// until that many connections have ended.
pub async fn serve(listener: &TcpListener, config: &TlsServerConfig, limit: Option<usize>) {
    let mut connections = FuturesUnordered::new();
    let (mut accepted, mut ended) = (0, 0);
    while limit.is_none_or(|limit| ended < limit) {
        let accepting = limit.is_none_or(|limit| accepted < limit);
        futures::select_biased! {
            done = connections.select_next_some() => {
                if let Err(e) = done {
                    eprintln!("server: connection ended: {e}");
                }
                ended += 1;
            }
            stream = listener.accept_async().fuse() => match stream {
                Ok(stream) if accepting => {
                    connections.push(connection(config.clone(), stream));
                    accepted += 1;
                }
                Ok(_) => {}
                Err(e) => eprintln!("server: accept failed: {e}"),
            },
        }
    }
}

/// The answers to one batch, by id: the client's core, shared by both modes.
struct Pending {
    ids: HashMap<u32, usize>,
    results: Vec<Option<Result<Bytes, String>>>,
    arrivals: Vec<usize>,
}

impl Pending {
    fn accept(&mut self, response: Response) -> Result<(), RpcError> {
        match (self.ids.remove(&response.id), response.result) {
            (Some(slot), result) => {
                self.results[slot] = Some(result);
                self.arrivals.push(slot);
                Ok(())
            }
            (None, Err(message)) if response.id == 0 => Err(RpcError::Rejected(message)),
            (None, _) => Err(RpcError::Protocol(format!(
                "an answer to unknown id {}",
                response.id
            ))),
        }
    }

    fn on_end(&self) -> RpcError {
        RpcError::ServerGone {
            unanswered: self.ids.len(),
        }
    }
}

/// A client over TLS; one type for both modes (`call…` and `call…_async`).
pub struct Client {
    conn: Framed<TlsStream<NetworkStream>, RpcCodec<Response>>,
    next_id: u32,
    arrivals: Vec<usize>,
}

type Results = Vec<Result<Bytes, String>>;

impl Client {
    fn new(tls: TlsStream<NetworkStream>) -> Client {
        let conn = Framed::new(tls, RpcCodec::new(MAX_FRAME));
        Client {
            conn,
            next_id: 1,
            arrivals: Vec::new(),
        }
    }

    /// Connects, with every read and write bounded by [`TIMEOUT`].
    pub fn connect(
        endpoint: EndPoint,
        config: &TlsClientConfig,
        name: &str,
    ) -> Result<Client, RpcError> {
        let stream = TcpClient::connect_endpoint(endpoint)?.into_stream();
        stream.set_read_timeout(Some(TIMEOUT))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        Ok(Client::new(
            TlsStream::connect(config, name, stream).map_err(RpcError::Tls)?,
        ))
    }

    pub async fn connect_async(
        endpoint: EndPoint,
        config: &TlsClientConfig,
        name: &str,
    ) -> Result<Client, RpcError> {
        bounded(async {
            let stream = TcpClient::connect_endpoint_async(endpoint)
                .await?
                .into_stream();
            let tls = TlsStream::connect_async(config, name, stream)
                .await
                .map_err(RpcError::Tls)?;
            Ok(Client::new(tls))
        })
        .await
    }

    /// Ends the session cleanly: `close_notify`, then the end of the stream.
    pub fn close(mut self) -> Result<(), RpcError> {
        self.conn.get_mut().shutdown().map_err(RpcError::Tls)
    }

    pub async fn close_async(mut self) -> Result<(), RpcError> {
        bounded(async {
            self.conn
                .get_mut()
                .shutdown_async()
                .await
                .map_err(RpcError::Tls)
        })
        .await
    }

    /// In which order the answers of the last batch arrived (indices into it).
    pub fn arrival_order(&self) -> &[usize] {
        &self.arrivals
    }

    /// Encodes a batch into the write buffer; nothing is sent yet.
    fn feed(&mut self, calls: &[(&str, &[u8])]) -> Result<Pending, RpcError> {
        let mut pending = Pending {
            ids: HashMap::new(),
            results: vec![None; calls.len()],
            arrivals: Vec::new(),
        };
        // Check the whole batch first, so a bad call sends none of it.
        for (method, args) in calls {
            if method.len() > usize::from(u8::MAX) {
                return Err(RpcError::Protocol(format!(
                    "method name over 255 bytes: {method}"
                )));
            }
            if 5 + method.len() + args.len() > MAX_FRAME {
                let length = (5 + method.len() + args.len()) as u64;
                return Err(RpcError::Framing(framing::Error::FrameTooLong {
                    length,
                    limit: MAX_FRAME,
                }));
            }
        }
        for (slot, (method, args)) in calls.iter().enumerate() {
            let id = self.next_id;
            self.next_id = self.next_id.checked_add(1).unwrap_or(1); // id 0 is the server's
            let request = Request {
                id,
                method: method.to_string(),
                args: Bytes::copy_from_slice(args),
            };
            self.conn.feed_frame(&request)?;
            pending.ids.insert(id, slot);
        }
        Ok(pending)
    }

    fn finish(&mut self, pending: Pending) -> Results {
        self.arrivals = pending.arrivals;
        pending.results.into_iter().flatten().collect()
    }

    /// Sends every call in one write, then reads the answers (in whatever
    /// order the server finishes them) and returns them in call order.
    /// Nothing is read until the whole batch is written, so keep a batch
    /// within what the socket buffers hold (a few hundred KiB); a larger one
    /// can stall both sides until the write times out.
    pub fn call_many(&mut self, calls: &[(&str, &[u8])]) -> Result<Results, RpcError> {
        let mut pending = self.feed(calls)?;
        self.conn.flush()?;
        while !pending.ids.is_empty() {
            match self.conn.read_frame()? {
                Some(response) => pending.accept(response)?,
                None => return Err(pending.on_end()),
            }
        }
        Ok(self.finish(pending))
    }

    pub fn call(&mut self, method: &str, args: &[u8]) -> Result<Result<Bytes, String>, RpcError> {
        Ok(self.call_many(&[(method, args)])?.remove(0))
    }

    /// [`call_many`](Client::call_many) without blocking a thread (the
    /// whole exchange bounded by [`TIMEOUT`]).
    pub async fn call_many_async(&mut self, calls: &[(&str, &[u8])]) -> Result<Results, RpcError> {
        let mut pending = self.feed(calls)?;
        let conn = &mut self.conn;
        bounded(async {
            conn.flush_async().await?;
            while !pending.ids.is_empty() {
                match conn.read_frame_async().await? {
                    Some(response) => pending.accept(response)?,
                    None => return Err(pending.on_end()),
                }
            }
            Ok(())
        })
        .await?;
        Ok(self.finish(pending))
    }

    pub async fn call_async(
        &mut self,
        method: &str,
        args: &[u8],
    ) -> Result<Result<Bytes, String>, RpcError> {
        Ok(self.call_many_async(&[(method, args)]).await?.remove(0))
    }
}

/// Bounds an async step by [`TIMEOUT`].
async fn bounded<T>(
    step: impl std::future::Future<Output = Result<T, RpcError>>,
) -> Result<T, RpcError> {
    with_timeout(TIMEOUT, step.map(Ok))
        .await
        .map_err(netstack::transport::Error::from)?
}

/// A self-signed certificate for `localhost` (PEM certificate, PEM key).
pub fn self_signed() -> Result<(String, String), rcgen::Error> {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    Ok((cert.cert.pem(), cert.signing_key.serialize_pem()))
}

/// A server on a fresh loopback port, in a thread of its own.
pub fn spawn_server(
    cert_pem: &str,
    key_pem: &str,
    limit: Option<usize>,
) -> Result<(EndPoint, std::thread::JoinHandle<()>), Box<dyn std::error::Error>> {
    let config = TlsServerConfig::builder()
        .certificate_pem(cert_pem, key_pem)
        .build()?;
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    listener.start(128)?;
    let endpoint = listener.local_endpoint()?;
    Ok((
        endpoint,
        std::thread::spawn(move || block_on(serve(&listener, &config, limit))),
    ))
}

/// A client configuration that trusts exactly this certificate.
pub fn trusting(cert_pem: &str) -> Result<TlsClientConfig, TlsError> {
    TlsClientConfig::builder()
        .add_root_certificates_pem(cert_pem)
        .build()
}

fn show(result: &Result<Bytes, String>) -> String {
    match result {
        Ok(b) if b.len() == 8 => format!("ok {}", b.slice(..).get_u64()),
        Ok(b) => format!("ok {:?}", String::from_utf8_lossy(b)),
        Err(e) => format!("error: {e}"),
    }
}

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    let (cert, key) = self_signed()?;
    let (endpoint, server) = spawn_server(&cert, &key, Some(2))?;
    println!("rpc server on {endpoint} (TLS, self-signed certificate for localhost)");
    let config = trusting(&cert)?;

    let mut client = Client::connect(endpoint.clone(), &config, "localhost")?;
    let sum = [7u64.to_be_bytes(), 35u64.to_be_bytes()].concat();
    for (method, args) in [
        ("echo", &b"hello"[..]),
        ("add", &sum),
        ("upper", b"shout"),
        ("nope", b""),
    ] {
        println!(
            "sync   {method}({}) -> {}",
            args.len(),
            show(&client.call(method, args)?)
        );
    }
    match client.call("echo", &vec![0u8; MAX_FRAME + 1]) {
        Err(e) => println!("sync   echo({} bytes) -> {e}", MAX_FRAME + 1),
        Ok(r) => return Err(format!("an oversized request was answered: {}", show(&r)).into()),
    }
    client.close()?;

    block_on(async {
        let mut client = Client::connect_async(endpoint, &config, "localhost").await?;
        let ms = 300u64.to_be_bytes();
        let calls = [
            ("sleep", &ms[..]),
            ("sleep", &ms),
            ("sleep", &ms),
            ("echo", b"fast"),
        ];
        let start = Instant::now();
        let results = client.call_many_async(&calls).await?;
        println!(
            "async  3 × sleep(300 ms) + echo, pipelined: {:?} in {} ms; answers arrived in the order {:?}",
            results.iter().map(show).collect::<Vec<_>>(),
            start.elapsed().as_millis(),
            client.arrival_order()
        );
        println!(
            "async  upper(\"quiet\") -> {}",
            show(&client.call_async("upper", b"quiet").await?)
        );
        client.close_async().await
    })?;
    server.join().map_err(|_| "the server thread panicked")?;
    println!("demo finished");
    Ok(())
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rpc_tls: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let cert_path = std::env::temp_dir().join("netstack-rpc_tls-cert.pem");
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => demo()?,
        ["server", port] => {
            let (cert, key) = self_signed()?;
            std::fs::write(&cert_path, &cert)?;
            let config = TlsServerConfig::builder()
                .certificate_pem(&cert, &key)
                .build()?;
            let listener = TcpListener::bind(([127, 0, 0, 1], port.parse::<u16>()?))?;
            listener.start(128)?;
            println!(
                "rpc server on {}; certificate in {}",
                listener.local_endpoint()?,
                cert_path.display()
            );
            block_on(serve(&listener, &config, None));
        }
        ["client", host, port, method, ref rest @ ..] => {
            let cert = std::fs::read_to_string(&cert_path).map_err(|e| {
                format!(
                    "reading the server's certificate {}: {e}",
                    cert_path.display()
                )
            })?;
            let address: std::net::IpAddr = host.parse()?;
            let mut client = Client::connect(
                (address, port.parse()?).into(),
                &trusting(&cert)?,
                "localhost",
            )?;
            // `add` and `sleep` take numbers; the other methods, text.
            let args: Vec<u8> = match method {
                "add" | "sleep" => rest
                    .iter()
                    .map(|n| n.parse::<u64>().map(u64::to_be_bytes))
                    .collect::<Result<Vec<_>, _>>()?
                    .concat(),
                _ => rest.join(" ").into_bytes(),
            };
            println!("{}", show(&client.call(method, &args)?));
            client.close()?;
        }
        _ => return Err("usage: rpc_tls [server PORT | client HOST PORT METHOD [ARG...]]".into()),
    }
    Ok(())
}
