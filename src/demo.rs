//! `netstack demo`: exercises every layer, on loopback only, and reports each layer's work.

use std::io::Write;
use std::net::Ipv4Addr;
use std::thread;
use std::time::{Duration, Instant};

use netstack::sockets::{
    block_on, select, with_timeout, AddressFamily, EndPoint, ProtocolType, Shutdown, Socket,
    SocketFlags, SocketType,
};

type DemoResult = Result<(), Box<dyn std::error::Error>>;

/// Runs the demo, writing a line per step to `out` and a per-layer report
/// at the end. Any failed step fails the demo (a non-zero exit).
pub fn run(out: &mut dyn Write) -> DemoResult {
    let started = Instant::now();
    writeln!(out, "netstack demo (loopback only)")?;
    let mut layers = Vec::new();

    writeln!(out, "layer 1 — sockets")?;
    let layer = Instant::now();
    tcp_echo(out)?;
    udp_packet_info(out)?;
    unix_stream(out)?;
    select_many(out)?;
    async_echo(out)?;
    let pinged = ping_loopback(out)?;
    layers.push(("layer 1 — sockets", 6, layer.elapsed()));

    writeln!(out, "layer 2 — transport")?;
    let layer = Instant::now();
    transport_lines(out)?;
    transport_udp(out)?;
    layers.push(("layer 2 — transport", 2, layer.elapsed()));

    writeln!(out, "layer 3 — protocols")?;
    let layer = Instant::now();
    http_round_trip(out)?;
    fetch_every_scheme(out)?;
    framed_lines(out)?;
    layers.push(("layer 3 — protocols", 3, layer.elapsed()));

    writeln!(out, "report")?;
    for (name, steps, took) in &layers {
        writeln!(out, "  {name:<22} {steps} steps ok in {}", millis(*took))?;
    }
    if !pinged {
        writeln!(
            out,
            "  (the ping was skipped: no ICMP socket is permitted here)"
        )?;
    }
    writeln!(out, "  all layers ok in {}", millis(started.elapsed()))?;
    Ok(())
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// ICMP echo to 127.0.0.1 on a raw socket, or else an unprivileged ICMP
/// datagram socket, when this process may open one.
fn ping_loopback(out: &mut dyn Write) -> Result<bool, Box<dyn std::error::Error>> {
    use netstack::protocols::icmp::Pinger;
    use netstack::sockets::SocketError;

    match Pinger::new(Ipv4Addr::LOCALHOST.into()) {
        Ok(pinger) => {
            let reply = pinger.ping(1, Duration::from_secs(2))?;
            writeln!(out, "  icmp  {reply}")?;
            Ok(true)
        }
        Err(err) if err.kind() == SocketError::AccessDenied => {
            writeln!(
                out,
                "  icmp  skipped: no ICMP socket is permitted here ({err})"
            )?;
            Ok(false)
        }
        Err(err) => Err(err.into()),
    }
}

fn tcp_echo(out: &mut dyn Write) -> DemoResult {
    let listener = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )?;
    listener.bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.listen(8)?;
    let port = listener
        .local_endpoint()?
        .as_ip()
        .map(|a| a.port())
        .unwrap_or(0);
    let server = thread::spawn(move || -> netstack::sockets::Result<usize> {
        let conn = listener.accept()?;
        conn.set_receive_timeout(Some(Duration::from_secs(5)))?;
        let mut buf = [0u8; 4096];
        let mut echoed = 0;
        loop {
            let n = conn.receive(&mut buf)?;
            if n == 0 {
                return Ok(echoed);
            }
            conn.send(&buf[..n])?;
            echoed += n;
        }
    });
    // A dual-mode IPv6 client reaches the IPv4 listener through "localhost".
    let client = Socket::new_dual_mode(SocketType::Stream, ProtocolType::Tcp)?;
    client.set_receive_timeout(Some(Duration::from_secs(5)))?;
    let started = Instant::now();
    client.connect_host("localhost", port)?;
    let (local, remote) = (client.local_endpoint()?, client.remote_endpoint()?);
    let message = b"hello through the netstack Socket";
    client.send(message)?;
    let mut reply = vec![0u8; message.len()];
    let mut got = 0;
    while got < reply.len() {
        let n = client.receive(&mut reply[got..])?;
        if n == 0 {
            return Err("the echo server closed early".into());
        }
        got += n;
    }
    client.shutdown(Shutdown::Send)?;
    let echoed = server.join().map_err(|_| "echo thread panicked")??;
    writeln!(
        out,
        "  tcp   {} -> {}: echoed {echoed} bytes in {:.2?} ({})",
        local,
        remote,
        started.elapsed(),
        if reply == message {
            "intact"
        } else {
            "CORRUPTED"
        }
    )?;
    if reply != message {
        return Err("echo mismatch".into());
    }
    Ok(())
}

fn udp_packet_info(out: &mut dyn Write) -> DemoResult {
    let receiver = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )?;
    receiver.bind((Ipv4Addr::UNSPECIFIED, 0))?;
    receiver.set_receive_timeout(Some(Duration::from_secs(5)))?;
    let port = receiver
        .local_endpoint()?
        .as_ip()
        .map(|a| a.port())
        .unwrap_or(0);
    // Turn packet information on before the datagram arrives.
    receiver.set_blocking(false)?;
    let _ = receiver.receive_message_from(&mut [0u8; 1], SocketFlags::empty());
    receiver.set_blocking(true)?;
    let sender = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )?;
    sender.send_to(b"datagram", (Ipv4Addr::new(127, 0, 0, 42), port))?;
    let mut buf = [0u8; 64];
    let message = receiver.receive_message_from(&mut buf, SocketFlags::empty())?;
    let info = message
        .packet_info
        .map(|p| format!("sent to {} on interface {}", p.address, p.interface))
        .unwrap_or_else(|| "no packet info".into());
    writeln!(
        out,
        "  udp   {} bytes from {}, {info}",
        message.bytes, message.remote
    )?;
    Ok(())
}

fn unix_stream(out: &mut dyn Write) -> DemoResult {
    let name = format!("netstack-demo-{}", std::process::id());
    let listener = Socket::new(
        AddressFamily::Unix,
        SocketType::Stream,
        ProtocolType::Unspecified,
    )?;
    listener.bind(EndPoint::unix_abstract(&name))?;
    listener.listen(1)?;
    let client = Socket::new(
        AddressFamily::Unix,
        SocketType::Stream,
        ProtocolType::Unspecified,
    )?;
    client.connect(EndPoint::unix_abstract(&name))?;
    let server = listener.accept()?;
    server.set_receive_timeout(Some(Duration::from_secs(5)))?;
    client.send(b"over a Unix socket")?;
    let mut buf = [0u8; 64];
    let n = server.receive(&mut buf)?;
    writeln!(
        out,
        "  unix  {:?} via {}",
        String::from_utf8_lossy(&buf[..n]),
        listener.local_endpoint()?
    )?;
    Ok(())
}

fn select_many(out: &mut dyn Write) -> DemoResult {
    let sockets = (0..8)
        .map(|_| {
            let s = Socket::new(
                AddressFamily::InterNetwork,
                SocketType::Dgram,
                ProtocolType::Udp,
            )?;
            s.bind((Ipv4Addr::LOCALHOST, 0))?;
            Ok(s)
        })
        .collect::<netstack::sockets::Result<Vec<_>>>()?;
    let sender = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Dgram,
        ProtocolType::Udp,
    )?;
    for index in [1, 5] {
        sender.send_to(b"!", sockets[index].local_endpoint()?)?;
    }
    let mut read: Vec<&Socket> = sockets.iter().collect();
    let mut ready = 0;
    // Datagrams on loopback arrive at once; allow a few rounds anyway.
    for _ in 0..10 {
        read = sockets.iter().collect();
        ready = select(
            &mut read,
            &mut vec![],
            &mut vec![],
            Some(Duration::from_millis(200)),
        )?;
        if ready == 2 {
            break;
        }
    }
    let which: Vec<usize> = read
        .iter()
        .filter_map(|r| sockets.iter().position(|s| std::ptr::eq(s, *r)))
        .collect();
    writeln!(
        out,
        "  select over {} sockets: {ready} ready {which:?}",
        sockets.len()
    )?;
    Ok(())
}

/// Many connections echoing at once on netstack's reactor, with no runtime.
fn async_echo(out: &mut dyn Write) -> DemoResult {
    const CONNECTIONS: usize = 50;
    let listener = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )?;
    listener.bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.listen(CONNECTIONS as i32)?;
    let endpoint = listener.local_endpoint()?;
    let started = Instant::now();
    let mut pairs = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let client = Socket::new(
            AddressFamily::InterNetwork,
            SocketType::Stream,
            ProtocolType::Tcp,
        )?;
        client.connect(endpoint.clone())?;
        pairs.push((client, listener.accept()?));
    }
    let echoed = block_on(with_timeout(Duration::from_secs(10), async {
        let mut total = 0;
        let rounds = pairs
            .iter()
            .enumerate()
            .map(|(i, (client, server))| async move {
                let message = format!("message {i}");
                client.send_async(message.as_bytes()).await?;
                let mut buf = [0u8; 64];
                let n = server.receive_async(&mut buf).await?;
                server.send_async(&buf[..n]).await?;
                let mut reply = vec![0u8; message.len()];
                let mut got = 0;
                while got < reply.len() {
                    got += client.receive_async(&mut reply[got..]).await?;
                }
                Ok::<bool, netstack::sockets::Error>(reply == message.as_bytes())
            });
        for ok in futures::future::join_all(rounds).await {
            total += usize::from(ok?);
        }
        Ok(total)
    }))?;
    writeln!(
        out,
        "  async {echoed}/{CONNECTIONS} connections echoed concurrently on the reactor in {:.2?}",
        started.elapsed()
    )?;
    if echoed != CONNECTIONS {
        return Err("an async echo came back different".into());
    }
    Ok(())
}

/// TcpClient (Happy Eyeballs over "localhost"), TcpListener and NetworkStream under std's buffered I/O.
fn transport_lines(out: &mut dyn Write) -> DemoResult {
    use netstack::transport::{TcpClient, TcpListener};
    use std::io::{BufRead, BufReader, BufWriter, Write as _};

    let listener = TcpListener::bind_dual_mode(0)?;
    listener.start(8)?;
    let port = listener
        .local_endpoint()?
        .as_ip()
        .map(|a| a.port())
        .unwrap_or(0);
    let server = thread::spawn(move || -> netstack::transport::Result<usize> {
        let stream = listener.accept()?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut count = 0;
        for line in BufReader::new(&stream).lines() {
            let line = line.map_err(|e| netstack::transport::Error::InvalidInput(e.to_string()))?;
            count += 1;
            stream.write_all_sync(format!("{}\n", line.to_uppercase()).as_bytes())?;
        }
        Ok(count)
    });
    let client = TcpClient::connect("localhost", port)?;
    let stream = client.stream();
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut writer = BufWriter::new(stream);
    for word in ["layered", "networking"] {
        writeln!(writer, "{word}")?;
    }
    writer.flush()?;
    drop(writer);
    stream.shutdown(Shutdown::Send)?;
    let replies: Vec<String> = BufReader::new(stream).lines().collect::<Result<_, _>>()?;
    let lines = server.join().map_err(|_| "line server panicked")??;
    let attempts: Vec<String> = client
        .attempts()
        .iter()
        .map(|a| format!("{} {} after {:.1?}", a.address, a.outcome, a.started_after))
        .collect();
    writeln!(
        out,
        "  tcp   TcpClient::connect(\"localhost\"): {}",
        attempts.join(", ")
    )?;
    writeln!(
        out,
        "  tcp   {lines} lines through BufReader/BufWriter, replies {replies:?}"
    )?;
    Ok(())
}

fn transport_udp(out: &mut dyn Write) -> DemoResult {
    use netstack::transport::UdpClient;

    let a = UdpClient::bind(([127, 0, 0, 1], 0))?;
    let b = UdpClient::bind(([127, 0, 0, 1], 0))?;
    b.client()
        .set_receive_timeout(Some(Duration::from_secs(5)))?;
    let port = b.local_endpoint()?.as_ip().map(|e| e.port()).unwrap_or(0);
    a.send_to_host(b"udp by name", "localhost", port)?;
    let mut buf = [0u8; 64];
    let (n, from) = b.receive(&mut buf)?;
    writeln!(
        out,
        "  udp   UdpClient: {:?} from {from}",
        String::from_utf8_lossy(&buf[..n])
    )?;
    Ok(())
}

/// netstack's HTTP server and both of its clients, keep-alive on one connection.
fn http_round_trip(out: &mut dyn Write) -> DemoResult {
    use netstack::protocols::http::client::{AsyncClient, Client};
    use netstack::protocols::http::server::{HttpServer, Response, ServerConfig};

    let server = HttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default(), |request| {
        Response::new(format!("hello from {}", request.uri().path()).into())
    })?;
    let base = format!("http://{}", server.local_endpoint());
    let client = Client::new();
    let mut reused = 0;
    for path in ["/one", "/two", "/three"] {
        let response = client.get(format!("{base}{path}")).send()?;
        if response.timings().reused {
            reused += 1;
        }
        let status = response.status();
        let text = response.text()?;
        writeln!(out, "  http  GET {path} -> {status} {text:?}")?;
    }
    writeln!(
        out,
        "  http  {reused} of 3 requests reused the pooled connection"
    )?;
    // The async client's own deadline bounds the whole request.
    let async_client = AsyncClient::builder()
        .timeout(Some(Duration::from_secs(10)))
        .build_async();
    let text = block_on(async {
        let response = async_client.get(format!("{base}/async")).send().await?;
        response.text().await
    })?;
    writeln!(out, "  http  async GET /async -> {text:?}")?;
    server.shutdown();
    Ok(())
}

/// HTTP and HTTPS servers in this process (the HTTPS one with a
/// self-signed certificate the fetcher is told to trust), fetched through
/// the URL fetcher in both modes, with `data:` and `file:` URLs beside them.
fn fetch_every_scheme(out: &mut dyn Write) -> DemoResult {
    use netstack::protocols::fetch::{FetchResponse, Fetcher};
    use netstack::protocols::http::server::{HttpServer, Request, Response, ServerConfig};
    use netstack::transport::tls::{TlsClientConfig, TlsServerConfig};

    let certificate = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert_pem = certificate.cert.pem();
    let tls = TlsServerConfig::builder()
        .certificate_pem(&cert_pem, certificate.signing_key.serialize_pem())
        .alpn_protocols(["http/1.1"])
        .build()?;
    let handler =
        |request: Request| Response::new(format!("fetched {}", request.uri().path()).into());
    let http = HttpServer::bind(([127, 0, 0, 1], 0), ServerConfig::default(), handler)?;
    let https = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default().tls(tls),
        handler,
    )?;
    let fetcher = Fetcher::builder()
        .tls_config(
            TlsClientConfig::builder()
                .system_roots(false)
                .add_root_certificates_pem(&cert_pem)
                .build()?,
        )
        .timeout(Some(Duration::from_secs(10)))
        .build();
    let file = std::env::temp_dir().join(format!("netstack-demo-{}.txt", std::process::id()));
    std::fs::write(&file, "a local file")?;
    let urls = [
        format!("http://{}/plain", http.local_endpoint()),
        format!(
            "https://localhost:{}/secure",
            https.local_endpoint().as_ip().map_or(0, |a| a.port())
        ),
        "data:text/plain;base64,ZnJvbSBhIGRhdGE6IFVSTA==".to_string(),
        url::Url::from_file_path(&file)
            .map_err(|()| "the temporary file has no file: URL")?
            .to_string(),
    ];
    let describe = |response: &FetchResponse| {
        let mut line = response.url().scheme().to_string();
        if let Some(status) = response.status() {
            line.push_str(&format!(" {status}"));
        }
        if let Some(http) = response.http() {
            let t = http.timings();
            if let Some(connect) = t.connect {
                line.push_str(&format!(", connect {}", millis(connect)));
            }
            if let Some(tls) = http.tls_info() {
                line.push_str(&format!(
                    ", {} {}",
                    tls.version.map_or("TLS".to_string(), |v| v.to_string()),
                    tls.cipher_suite.unwrap_or("")
                ));
            }
        }
        line
    };
    let result = (|| -> DemoResult {
        for url in &urls {
            let took = Instant::now();
            let response = fetcher.get(url).send()?.error_for_status()?;
            let line = describe(&response);
            let text = response.text()?;
            writeln!(
                out,
                "  fetch sync  {line}: {text:?} in {}",
                millis(took.elapsed())
            )?;
        }
        for url in &urls[..2] {
            let took = Instant::now();
            let text = block_on(fetcher.download_string_async(url))?;
            writeln!(
                out,
                "  fetch async {url}: {text:?} in {}",
                millis(took.elapsed())
            )?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&file);
    http.shutdown();
    https.shutdown();
    result
}

/// The lines codec over a TCP connection: whole lines in, whole lines out.
fn framed_lines(out: &mut dyn Write) -> DemoResult {
    use netstack::protocols::framing::{Framed, LinesCodec};
    use netstack::transport::{TcpClient, TcpListener};

    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    listener.start(4)?;
    let client = TcpClient::connect_endpoint(listener.local_endpoint()?)?.into_stream();
    let server = listener.accept()?;
    server.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut writer = Framed::new(&client, LinesCodec::new());
    for line in ["framing", "toolkit"] {
        writer.write_frame(line)?;
    }
    client.shutdown(Shutdown::Send)?;
    let mut reader = Framed::new(&server, LinesCodec::new());
    let mut lines = Vec::new();
    while let Some(line) = reader.read_frame()? {
        lines.push(line);
    }
    writeln!(
        out,
        "  lines a protocol of your own, Framed<_, LinesCodec> over the transport: {lines:?}"
    )?;
    Ok(())
}
