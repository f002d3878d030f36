//! The server benchmark: netstack's servers against hyper, driven by wrk.

use super::*;

pub(super) fn wrk_available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Checks one `/1k` answer from a server with netstack's client, before
/// wrk (which does not look at bodies) drives it.
pub(super) fn check_server(who: &str, url: &str, timeout: Duration) -> BenchResult<()> {
    let response = netstack_client(timeout).get(url).send()?;
    check_status(who, response.status().as_u16())?;
    check_small(who, &response.bytes()?)
}

/// The `/1k` answer of both async servers (a 404 for any other path).
pub(super) fn small_or_404(path: &str) -> (http::StatusCode, &'static [u8]) {
    if path == "/1k" {
        (http::StatusCode::OK, &SMALL[..])
    } else {
        (http::StatusCode::NOT_FOUND, &[])
    }
}

/// netstack's `AsyncHttpServer`, its serve future spawned on the runtime
/// (`Some`) or run by `sockets::block_on` on a thread of its own (`None`,
/// the thread's handle returned).
pub(super) fn start_async_netstack(
    runtime: Option<&Runtime>,
    timeout: Duration,
) -> BenchResult<(
    SocketAddr,
    ShutdownHandle,
    Option<std::thread::JoinHandle<()>>,
)> {
    let config = ServerConfig::default()
        .idle_timeout(timeout)
        .write_timeout(timeout);
    let server = AsyncHttpServer::bind((Ipv4Addr::LOCALHOST, 0), config)?;
    let endpoint = server.local_endpoint();
    let address = endpoint
        .as_ip()
        .ok_or_else(|| format!("server has a non-IP endpoint {endpoint}"))?;
    check_loopback(address)?;
    let shutdown = server.shutdown_handle();
    let handler = |request: AsyncRequest| async move {
        let (status, body) = small_or_404(request.uri().path());
        let mut response = AsyncResponse::new(AsyncResponseBody::full(Cow::Borrowed(body)));
        *response.status_mut() = status;
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/octet-stream"),
        );
        response
    };
    let thread = match runtime {
        // On tokio: one task per connection, as hyper does.
        Some(runtime) => {
            let spawner = runtime.handle().clone();
            runtime.spawn(server.serve_spawned(handler, move |task| {
                spawner.spawn(task);
            }));
            None
        }
        // On its own thread: every connection driven inside one future.
        None => {
            let serve = server.serve(handler);
            Some(
                std::thread::Builder::new()
                    .name("netstack-async-server".into())
                    .spawn(move || sockets::block_on(serve))?,
            )
        }
    };
    Ok((address, shutdown, thread))
}

/// A hyper 1.x HTTP/1.1 server: an accept loop spawned on the runtime,
/// one task per connection (`http1::Builder`, keep-alive on, TCP_NODELAY).
pub(super) fn start_hyper(
    runtime: &Runtime,
) -> BenchResult<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = runtime.block_on(tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))?;
    let address = listener.local_addr()?;
    check_loopback(address)?;
    Ok((address, runtime.spawn(hyper_accept_loop(listener))))
}

/// The same hyper server on a thread of its own: a current-thread runtime,
/// the peer of netstack's server under `sockets::block_on`. It stops when
/// the returned sender is dropped or sent to.
pub(super) fn start_hyper_own_thread() -> BenchResult<(
    SocketAddr,
    futures::channel::oneshot::Sender<()>,
    std::thread::JoinHandle<()>,
)> {
    let runtime = async_cases::runtime(0)?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))?;
    let address = listener.local_addr()?;
    check_loopback(address)?;
    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("hyper-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = hyper_accept_loop(listener) => {}
                    _ = stopped => {}
                }
            });
        })?;
    Ok((address, stop, thread))
}

/// Accepts connections for ever, one hyper task per connection.
pub(super) async fn hyper_accept_loop(listener: tokio::net::TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                |request: hyper::Request<hyper::body::Incoming>| async move {
                    let (status, body) = small_or_404(request.uri().path());
                    let mut response = hyper::Response::new(http_body_util::Full::new(
                        hyper::body::Bytes::from_static(body),
                    ));
                    *response.status_mut() = status;
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/octet-stream"),
                    );
                    Ok::<_, std::convert::Infallible>(response)
                },
            );
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// One wrk run against `url`; returns its Requests/sec. Fails on any
/// non-2xx answer or socket error wrk reports, and if wrk is not done
/// within `limit`.
pub(super) fn wrk_sample(url: &str, args: &Args, limit: Duration) -> BenchResult<f64> {
    let mut child = Command::new("wrk")
        .arg(format!("-t{}", args.wrk_threads))
        .arg(format!("-c{}", args.connections))
        .arg(format!("-d{}s", args.duration_secs))
        .arg("--timeout")
        .arg(format!("{}s", args.common.timeout_secs))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("wrk not finished within {limit:?}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "wrk exited with {}: {} {}",
            output.status,
            text.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    parse_wrk(&text)
}

/// Requests/sec from wrk's report, which must show no errors.
pub(super) fn parse_wrk(text: &str) -> BenchResult<f64> {
    for bad in ["Non-2xx or 3xx responses", "Socket errors"] {
        if let Some(line) = text.lines().find(|l| l.trim_start().starts_with(bad)) {
            return Err(format!("wrk: {}", line.trim()).into());
        }
    }
    let rate = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("Requests/sec:"))
        .ok_or_else(|| format!("wrk: no Requests/sec in {text:?}"))?;
    Ok(rate.trim().parse::<f64>()?)
}
