//! A Redis client speaking RESP2 on netstack: single commands, error
//! replies as values, binary-safe values and a pipeline of many commands in
//! one write — synchronously, then the same asynchronously.
//!
//! ```text
//! cargo run --example resp                     # starts its own redis-server on a free loopback port
//! cargo run --example resp -- 127.0.0.1 6379   # uses a running server
//! ```
//!
//! The reusable parts live in `netstack::protocols::resp`: the sans-IO
//! `RespCodec` (every RESP2 reply type, bounded sizes) and `RespClient`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netstack::protocols::resp::{Error, RespClient, Value};
use netstack::sockets::block_on;
use netstack::transport::TcpListener;

/// A `redis-server` this program started, stopped when dropped.
struct OwnServer(Child);

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `redis-server` on a free loopback port and waits (bounded) for it.
fn start_own_server() -> Result<(OwnServer, u16), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
    let port: u16 = listener
        .local_endpoint()?
        .to_string()
        .rsplit(':')
        .next()
        .unwrap_or("0")
        .parse()?;
    drop(listener);
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start redis-server ({e}); install it or pass HOST PORT"))?;
    let server = OwnServer(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut client) = RespClient::connect_endpoint(([127, 0, 0, 1], port)) {
            if client.command(&["PING"]).is_ok() {
                return Ok((server, port));
            }
        }
        if Instant::now() > deadline {
            return Err("redis-server did not answer within 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn show(value: &Value) -> String {
    match value {
        Value::Bulk(b) if b.len() > 40 => format!("<{} bytes>", b.len()),
        Value::Bulk(b) => format!("{:?}", String::from_utf8_lossy(b)),
        other => format!("{other:?}"),
    }
}

fn sync_demo(host: &str, port: u16) -> Result<(), Error> {
    let mut redis = RespClient::connect(host, port)?;
    println!(
        "PING                -> {}",
        show(&redis.command(&["PING"])?)
    );
    println!(
        "SET demo:greeting   -> {}",
        show(&redis.command(&["SET", "demo:greeting", "hello"])?)
    );
    println!(
        "GET demo:greeting   -> {}",
        show(&redis.command(&["GET", "demo:greeting"])?)
    );
    println!(
        "INCR demo:n         -> {}",
        show(&redis.command(&["INCR", "demo:n"])?)
    );
    println!(
        "MGET (one missing)  -> {:?}",
        redis.command(&["MGET", "demo:greeting", "demo:nothing"])?
    );

    // An error reply is a value; the connection goes on.
    match redis.command(&["INCR", "demo:greeting"]) {
        Err(Error::Server(e)) => {
            println!("INCR on text        -> error reply {:?} ({})", e.kind(), e)
        }
        other => println!("INCR on text        -> unexpected {other:?}"),
    }

    // Binary-safe: every byte value round-trips.
    let all: Vec<u8> = (0..=255).collect();
    redis.command(&[&b"SET"[..], b"demo:bytes", &all])?;
    let back = redis.command(&["GET", "demo:bytes"])?;
    println!(
        "bytes 0..=255       -> round trip intact: {}",
        back.as_bytes() == Some(&all[..])
    );

    // A pipeline: 10,000 commands in one write, then the 10,000 replies.
    let commands: Vec<Vec<String>> = (0..10_000)
        .map(|i| vec!["SET".into(), format!("demo:key:{i}"), i.to_string()])
        .collect();
    let started = Instant::now();
    let replies = redis.pipeline(&commands)?;
    let ok = replies.iter().filter(|r| r.is_ok()).count();
    println!("pipeline of 10,000  -> {ok} OK in {:?}", started.elapsed());
    Ok(())
}

async fn async_demo(host: &str, port: u16) -> Result<(), Error> {
    let mut redis = RespClient::connect_async(host, port).await?;
    let replies = redis
        .pipeline_async([
            vec!["INCR", "demo:n"],
            vec!["GET", "demo:key:9999"],
            vec!["LPUSH", "demo:greeting", "x"],
        ])
        .await?;
    for reply in &replies {
        match reply {
            Ok(value) => println!("async               -> {}", show(value)),
            Err(e) => println!("async               -> error reply {e}"),
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (_own, host, port) = match args.as_slice() {
        [host, port] => (None, host.clone(), port.parse()?),
        [] => {
            let (server, port) = start_own_server()?;
            println!("started redis-server on 127.0.0.1:{port}");
            (Some(server), "127.0.0.1".to_string(), port)
        }
        _ => return Err("usage: resp [HOST PORT]".into()),
    };
    sync_demo(&host, port)?;
    block_on(async_demo(&host, port))?;
    Ok(())
}
