//! A multi-client chat over TCP with the framing toolkit's lines codec: an
//! async server (one future per client, on netstack's own reactor, no
//! runtime) with nicknames and broadcast, and a client.
//!
//! ```text
//! cargo run --example line_chat                      # demo: server + scripted clients, prints the transcript
//! cargo run --example line_chat -- server 7000       # a server on 127.0.0.1:7000 (until Ctrl-C)
//! cargo run --example line_chat -- client 7000 ada   # a client: stdin lines out, chat lines in
//! ```
//!
//! The protocol, one UTF-8 line each way: the server asks for a nickname,
//! then relays every line a client sends to all the others as `<nick> text`;
//! `/quit` leaves. Server notices start with `* `. A line over 512 bytes is
//! answered with the framing error, and the session goes on.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::mpsc;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use netstack::protocols::framing::{Error, Framed, LinesCodec};
use netstack::sockets::{block_on, with_timeout, EndPoint};
use netstack::transport::{NetworkStream, TcpClient, TcpListener};

/// The longest line a client may send.
const MAX_LINE: usize = 512;

/// Everyone online: nickname → that session's outgoing queue.
type Peers = Rc<RefCell<BTreeMap<String, mpsc::UnboundedSender<String>>>>;

fn broadcast(peers: &Peers, from: &str, line: &str) {
    for (nick, queue) in peers.borrow().iter() {
        if nick != from {
            let _ = queue.unbounded_send(line.to_string());
        }
    }
}

/// One client's session: ask for a nickname, then relay lines both ways.
async fn session(stream: NetworkStream, peers: Peers) -> Result<(), Error> {
    // Reading and writing share the stream through `&NetworkStream`.
    let mut reader = Framed::new(&stream, LinesCodec::new().max_length(MAX_LINE));
    let mut writer = Framed::new(&stream, LinesCodec::new());
    writer
        .write_frame_async("* welcome! your nickname?")
        .await?;
    let nick = loop {
        let Some(name) = reader.read_frame_async().await? else {
            return Ok(()); // gone before choosing a name
        };
        let name = name.trim().to_string();
        if name.is_empty() || name.contains(' ') || name.starts_with('*') {
            writer
                .write_frame_async("* a nickname is one word; try again")
                .await?;
        } else if peers.borrow().contains_key(&name) {
            writer
                .write_frame_async(format!("* {name} is taken; try again"))
                .await?;
        } else {
            break name;
        }
    };
    let (queue, mut outgoing) = mpsc::unbounded::<String>();
    let others: Vec<String> = peers.borrow().keys().cloned().collect();
    peers.borrow_mut().insert(nick.clone(), queue.clone());
    let online = if others.is_empty() {
        "nobody else".to_string()
    } else {
        others.join(", ")
    };
    writer
        .write_frame_async(format!("* hello {nick}; online: {online}"))
        .await?;
    broadcast(&peers, &nick, &format!("* {nick} joined"));

    let incoming = async {
        let result = loop {
            match reader.read_frame_async().await {
                Ok(Some(line)) if line == "/quit" => break Ok(()),
                Ok(Some(line)) => broadcast(&peers, &nick, &format!("<{nick}> {line}")),
                Ok(None) => break Ok(()),
                // Bad input (an over-long line, invalid UTF-8): tell the
                // sender; the codec has skipped the line, so go on.
                Err(e) if e.is_bad_input() => {
                    let _ = queue.unbounded_send(format!("* error: {e}"));
                }
                Err(e) => break Err(e),
            }
        };
        peers.borrow_mut().remove(&nick);
        broadcast(&peers, &nick, &format!("* {nick} left"));
        drop(queue); // with the map's copy gone, `outgoing` ends once drained
        result
    };
    let outgoing = async {
        while let Some(line) = outgoing.next().await {
            writer.write_frame_async(line).await?;
        }
        writer.write_frame_async("* bye").await?;
        writer.close_async().await // the client sees the end of the stream
    };
    let (read, written) = futures::join!(incoming, outgoing);
    read.and(written)
}

/// Accepts clients and runs their sessions concurrently; with `limit`,
/// returns after that many sessions have ended.
async fn serve(listener: &TcpListener, limit: Option<usize>) -> Result<(), Error> {
    let peers: Peers = Rc::default();
    let mut sessions = FuturesUnordered::new();
    let (mut accepted, mut ended) = (0, 0);
    loop {
        if limit.is_some_and(|limit| ended >= limit) {
            return Ok(());
        }
        let accepting = limit.is_none_or(|limit| accepted < limit);
        futures::select_biased! {
            done = sessions.select_next_some() => {
                if let Err(e) = done {
                    eprintln!("session failed: {e}");
                }
                ended += 1;
            }
            stream = listener.accept_async().fuse() => {
                if accepting {
                    let stream = stream?;
                    sessions.push(session(stream, Rc::clone(&peers)));
                    accepted += 1;
                }
            }
        }
    }
}

/// A scripted client for the demo: everything it receives goes in the transcript.
struct Scripted {
    nick: String,
    framed: Framed<NetworkStream, LinesCodec>,
    transcript: Rc<RefCell<Vec<String>>>,
}

impl Scripted {
    async fn connect(
        endpoint: EndPoint,
        names: &[&str],
        transcript: &Rc<RefCell<Vec<String>>>,
    ) -> Result<Scripted, Error> {
        let stream = TcpClient::connect_endpoint_async(endpoint)
            .await?
            .into_stream();
        let mut client = Scripted {
            nick: names[names.len() - 1].to_string(),
            framed: Framed::new(stream, LinesCodec::new()),
            transcript: Rc::clone(transcript),
        };
        client.expect().await?; // the prompt
        for name in names {
            client.say(name).await?;
            client.expect().await?; // taken, or hello
        }
        Ok(client)
    }

    async fn say(&mut self, line: &str) -> Result<(), Error> {
        let shown = if line.len() > 40 {
            format!("{}… ({} bytes)", &line[..20], line.len())
        } else {
            line.to_string()
        };
        self.transcript
            .borrow_mut()
            .push(format!("{} > {shown}", self.nick));
        self.framed.write_frame_async(line).await
    }

    async fn expect(&mut self) -> Result<Option<String>, Error> {
        let line = self.framed.read_frame_async().await?;
        let shown = line.as_deref().unwrap_or("(end of stream)");
        self.transcript
            .borrow_mut()
            .push(format!("{} < {shown}", self.nick));
        Ok(line)
    }
}

/// The demo: a server and three scripted clients in one future.
async fn demo(listener: &TcpListener, transcript: &Rc<RefCell<Vec<String>>>) -> Result<(), Error> {
    let endpoint = listener.local_endpoint()?;
    let clients = async {
        let mut alice = Scripted::connect(endpoint.clone(), &["alice"], transcript).await?;
        let mut bob = Scripted::connect(endpoint.clone(), &["bob"], transcript).await?;
        alice.expect().await?; // bob joined
        let mut carol =
            Scripted::connect(endpoint.clone(), &["alice", "carol"], transcript).await?;
        alice.expect().await?; // carol joined
        bob.expect().await?;
        alice.say("hi everyone").await?;
        bob.expect().await?;
        carol.expect().await?;
        bob.say("hi alice!").await?;
        alice.expect().await?;
        carol.expect().await?;
        carol.say(&"z".repeat(600)).await?;
        carol.expect().await?; // the error
        carol.say("sorry, that was long").await?;
        alice.expect().await?;
        bob.expect().await?;
        carol.say("/quit").await?;
        carol.expect().await?; // bye
        carol.expect().await?; // end of stream
        alice.expect().await?; // carol left
        bob.expect().await?;
        for mut client in [alice, bob] {
            client.say("/quit").await?;
            while client.expect().await?.is_some() {}
        }
        Ok::<(), Error>(())
    };
    let (served, scripted) = futures::join!(serve(listener, Some(3)), clients);
    served.and(scripted)
}

fn client(port: u16, nick: &str) -> Result<(), Error> {
    let stream = TcpClient::connect("127.0.0.1", port)?.into_stream();
    let mut reader = Framed::new(&stream, LinesCodec::new());
    let mut writer = Framed::new(&stream, LinesCodec::new());
    writer.write_frame(nick)?;
    std::thread::scope(|s| {
        s.spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if writer.write_frame(line.as_str()).is_err() || line == "/quit" {
                    break;
                }
            }
        });
        for line in reader.frames() {
            println!("{}", line?);
        }
        Ok(())
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => {
            let listener = TcpListener::bind(([127, 0, 0, 1], 0))?;
            listener.start(16)?;
            println!("chat server on {}", listener.local_endpoint()?);
            let transcript = Rc::default();
            // Bounded: the whole demo gets 20 seconds.
            let result = block_on(with_timeout(Duration::from_secs(20), async {
                Ok(demo(&listener, &transcript).await)
            }));
            for line in transcript.borrow().iter() {
                println!("{line}");
            }
            result??;
            println!("demo finished");
        }
        ["server", port] => {
            let listener = TcpListener::bind(([127, 0, 0, 1], port.parse::<u16>()?))?;
            listener.start(128)?;
            println!("chat server on {}", listener.local_endpoint()?);
            block_on(serve(&listener, None))?;
        }
        ["client", port, nick] => client(port.parse()?, nick)?,
        _ => return Err("usage: line_chat [server PORT | client PORT NICK]".into()),
    }
    Ok(())
}
