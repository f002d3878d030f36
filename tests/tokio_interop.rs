//! A netstack Socket used through tokio's AsyncRead/AsyncWrite (the `tokio`
//! feature of the sockets crate) and futures' traits, and the async echo
//! example end to end.

use std::net::Ipv4Addr;

use netstack::sockets::{AddressFamily, ProtocolType, Socket, SocketType};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn pair() -> (Socket, Socket) {
    let listener = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap();
    listener.bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.listen(1).unwrap();
    let client = Socket::new(
        AddressFamily::InterNetwork,
        SocketType::Stream,
        ProtocolType::Tcp,
    )
    .unwrap();
    client.connect(listener.local_endpoint().unwrap()).unwrap();
    (client, listener.accept().unwrap())
}

#[test]
fn tokio_io_traits_carry_lines_and_bulk_data() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let (mut client, server) = pair();
        let writer = tokio::spawn(async move {
            client
                .write_all(b"first line\nsecond line\n")
                .await
                .unwrap();
            client.write_all(&vec![7u8; 1 << 20]).await.unwrap();
            AsyncWriteExt::shutdown(&mut client).await.unwrap();
        });
        let mut reader = BufReader::new(server);
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "first line\n");
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "second line\n");
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest.len(), 1 << 20);
        assert!(rest.iter().all(|b| *b == 7));
        writer.await.unwrap();
    });
}

#[test]
fn the_async_echo_example_echoes_every_client() {
    let stdout = testkit::run_example("echo_async", &["5"]);
    for id in 0..5 {
        assert!(
            stdout.contains(&format!("client {id}: \"hello from client {id}\"")),
            "{stdout}"
        );
    }
}
