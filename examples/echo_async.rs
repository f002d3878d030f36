//! An async echo server and its clients in one program, on netstack's own
//! reactor, with no runtime at all (`sockets::block_on`); the same futures
//! run unchanged under tokio or smol.
//!
//! ```text
//! cargo run --example echo_async -- [clients]
//! ```

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use futures::stream::{FuturesUnordered, StreamExt};
use netstack::sockets::{
    block_on, with_timeout, AddressFamily, ProtocolType, Result, Shutdown, Socket, SocketType,
};

/// Echoes everything one connection sends until it shuts down its side.
async fn echo(connection: Socket) -> Result<usize> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = connection.receive_async(&mut buf).await?;
        if n == 0 {
            connection.shutdown(Shutdown::Send)?;
            return Ok(total);
        }
        let mut sent = 0;
        while sent < n {
            sent += connection.send_async(&buf[sent..n]).await?;
        }
        total += n;
    }
}

/// Accepts `clients` connections and echoes them all concurrently.
async fn serve(listener: &Socket, clients: usize) -> Result<usize> {
    let mut connections = FuturesUnordered::new();
    let mut accepted = 0;
    let mut echoed = 0;
    while accepted < clients || !connections.is_empty() {
        if accepted < clients {
            futures::select_biased! {
                done = connections.select_next_some() => echoed += done?,
                connection = futures::FutureExt::fuse(listener.accept_async()) => {
                    connections.push(echo(connection?));
                    accepted += 1;
                }
            }
        } else if let Some(done) = connections.next().await {
            echoed += done?;
        }
    }
    Ok(echoed)
}

/// Connects, sends a message, and reads the echo back to end of stream.
async fn client(port: u16, id: usize) -> Result<Vec<u8>> {
    let socket = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )?;
    socket.set_receive_timeout(Some(Duration::from_secs(10)))?;
    socket.connect_async((Ipv4Addr::LOCALHOST, port)).await?;
    let message = format!("hello from client {id}").into_bytes();
    socket.send_async(&message).await?;
    socket.shutdown(Shutdown::Send)?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        let n = socket.receive_async(&mut buf).await?;
        if n == 0 {
            return Ok(reply);
        }
        reply.extend_from_slice(&buf[..n]);
    }
}

fn main() -> Result<()> {
    let clients: usize = std::env::args()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(8);
    let listener = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )?;
    listener.bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.listen(1024)?;
    let port = listener
        .local_endpoint()?
        .as_ip()
        .map(|a| a.port())
        .unwrap_or(0);
    println!("echo server on 127.0.0.1:{port}, {clients} clients");
    let started = Instant::now();
    let (served, replies) = block_on(with_timeout(Duration::from_secs(30), async {
        let all_clients = futures::future::join_all((0..clients).map(|id| client(port, id)));
        let (served, replies) = futures::join!(serve(&listener, clients), all_clients);
        Ok((served?, replies))
    }))?;
    for (id, reply) in replies.into_iter().enumerate() {
        let reply = reply?;
        println!("client {id}: {:?}", String::from_utf8_lossy(&reply));
    }
    println!("echoed {served} bytes in {:.2?}", started.elapsed());
    Ok(())
}
