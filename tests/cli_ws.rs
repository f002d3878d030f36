//! `netstack ws` as a process, against netstack's own WebSocket server on
//! loopback: lines typed go out as text and come back printed, the end of
//! stdin closes the connection with exit 0, `-v` shows the handshake and
//! the frames, and failures exit with curl's numbers.

use std::io::Write;
use std::time::Duration;

use netstack::protocols::http::server::{HttpServer, Request, Response, ServerConfig};
use netstack::protocols::websocket::{self, Accept, Message, WebSocket};
use testkit::peer::PeerCommand;

fn echo(mut socket: WebSocket) {
    while let Ok(message) = socket.read_message() {
        if let Message::Text(_) | Message::Binary(_) = message {
            if socket.send(message).is_err() {
                break;
            }
        }
    }
}

fn server() -> (HttpServer, u16) {
    let server = HttpServer::bind(
        ([127, 0, 0, 1], 0),
        ServerConfig::default(),
        |request: Request| match request.uri().path() {
            "/echo" if websocket::is_upgrade(&request) => Accept::new(&request)
                .protocols(&["chat"])
                .read_timeout(Some(Duration::from_secs(30)))
                .serve(echo),
            _ => {
                let mut response = Response::new("nothing here".into());
                *response.status_mut() = http::StatusCode::NOT_FOUND;
                response
            }
        },
    )
    .unwrap();
    let port = server.local_endpoint().as_ip().unwrap().port();
    (server, port)
}

fn netstack(args: &[String]) -> PeerCommand {
    PeerCommand::new(env!("CARGO_BIN_EXE_netstack"))
        .name("netstack ws")
        .ready_within(Duration::from_secs(30))
        .arg("ws")
        .args(args)
}

#[test]
fn lines_go_out_and_come_back_until_stdin_ends() {
    let (server, port) = server();
    let url = format!("ws://127.0.0.1:{port}/echo");
    let mut client = netstack(&["-v".into(), "--protocol".into(), "chat".into(), url])
        .piped_stdin()
        .spawn();
    let mut stdin = client.take_stdin();
    writeln!(stdin, "hello, wörld").unwrap();
    client.wait_for_output("\nhello, wörld\n");
    writeln!(stdin, "second line").unwrap();
    client.wait_for_output("\nsecond line\n");
    drop(stdin);
    let status = client.wait_exit();
    let output = client.wait_output_end();
    assert_eq!(status.code(), Some(0), "{output}");
    for shown in [
        "> GET /echo HTTP/1.1",
        "< HTTP/1.1 101 Switching Protocols",
        "* websocket: open, subprotocol chat",
        "> text (13 bytes)",
        "< text (13 bytes)",
        "> close 1000",
        "< close 1000",
    ] {
        assert!(output.contains(shown), "{shown:?} in {output}");
    }
    server.shutdown();
}

#[test]
fn failures_exit_with_curls_numbers_and_a_sentence() {
    let (server, port) = server();
    let cases = [
        (
            format!("ws://127.0.0.1:{port}/nowhere"),
            22,
            "404 Not Found",
        ),
        ("http://127.0.0.1/".to_string(), 3, "ws:// or wss://"),
        ("ws://127.0.0.1:1/".to_string(), 7, "could not connect"),
    ];
    for (url, code, sentence) in cases {
        let mut client = netstack(std::slice::from_ref(&url)).piped_stdin().spawn();
        let status = client.wait_exit();
        let output = client.wait_output_end();
        assert_eq!(status.code(), Some(code), "{url}: {output}");
        assert!(output.contains(sentence), "{url}: {output}");
        assert!(output.starts_with("netstack ws: "), "{output}");
    }
    server.shutdown();
}
