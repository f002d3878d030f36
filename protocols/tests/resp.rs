//! The RESP client against a real `redis-server` on loopback (the Debian
//! package `redis-server`, installed by `.ci/run`), in both modes: sync,
//! and async on netstack's own executor. Each test starts its own server
//! on a free port and stops it when done (a guard kills it on drop).
//! A missing `redis-server` fails the tests; it never skips them.

use std::path::Path;
use std::time::{Duration, Instant};
use testkit::peer::{Peer, PeerCommand, Readiness};
use testkit::{Mode, MODES};

use bytes::Bytes;
use protocols::resp::{Error, Reply, RespClient, Value};
use transport::TcpListener;

testkit::executor_block_on!(sockets::block_on);

const REDIS_SERVER: &str = "/usr/bin/redis-server";
const STARTUP_DEADLINE: Duration = Duration::from_secs(15);
const TIMEOUT: Duration = Duration::from_secs(20);

/// A `redis-server` peer, killed when dropped.
struct Redis {
    _peer: Peer,
    port: u16,
}

/// Debian's redis-server, or the one on PATH.
fn redis_binary() -> &'static str {
    if Path::new(REDIS_SERVER).exists() {
        REDIS_SERVER
    } else {
        "redis-server"
    }
}

/// A free loopback port (bound, then released: the server binds it next).
fn free_port() -> u16 {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener
        .local_endpoint()
        .unwrap()
        .to_string()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Starts a server and waits (bounded) until it answers PING; tries
/// another port if it exits (its port taken meanwhile).
fn start_redis() -> Redis {
    let mut last_error = String::new();
    for _attempt in 0..3 {
        let port = free_port();
        let mut peer = PeerCommand::new(redis_binary())
            .install("apt-get install -y redis-server")
            .ready_within(STARTUP_DEADLINE)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .spawn();
        let ready = peer.wait_ready("answering PING", || {
            match RespClient::connect_endpoint(([127, 0, 0, 1], port)) {
                Ok(mut client) => match client.command(&["PING"]) {
                    Ok(_) => Readiness::Ready(()),
                    Err(e) => Readiness::NotYet(e.to_string()),
                },
                Err(e) => Readiness::NotYet(e.to_string()),
            }
        });
        match ready {
            Ok(()) => return Redis { _peer: peer, port },
            Err(e) => last_error = e,
        }
    }
    panic!("redis-server did not start: {last_error}");
}

/// A client in one mode.
struct Client {
    mode: Mode,
    inner: RespClient,
}

impl Client {
    fn connect(mode: Mode, redis: &Redis) -> Client {
        let endpoint = ([127, 0, 0, 1], redis.port);
        let mut inner = match mode {
            Mode::Sync => RespClient::connect_endpoint(endpoint).unwrap(),
            Mode::Async => block_on(RespClient::connect_endpoint_async(endpoint)).unwrap(),
        };
        inner.set_timeout(Some(TIMEOUT)).unwrap();
        Client { mode, inner }
    }

    fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<Value, Error> {
        match self.mode {
            Mode::Sync => self.inner.command(args),
            Mode::Async => block_on(self.inner.command_async(args)),
        }
    }

    fn pipeline(&mut self, commands: &[Vec<Vec<u8>>]) -> Result<Vec<Reply>, Error> {
        match self.mode {
            Mode::Sync => self.inner.pipeline(commands),
            Mode::Async => block_on(self.inner.pipeline_async(commands)),
        }
    }
}

fn bulk(s: &str) -> Value {
    Value::bulk(Bytes::copy_from_slice(s.as_bytes()))
}

fn ok() -> Value {
    Value::SimpleString("OK".into())
}

fn cmd(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

#[test]
fn ping_set_get_incr_mget() {
    let redis = start_redis();
    for mode in MODES {
        let mut c = Client::connect(mode, &redis);
        let p = format!("{mode:?}:");
        assert_eq!(
            c.command(&["PING"]).unwrap(),
            Value::SimpleString("PONG".into())
        );
        assert_eq!(c.command(&["PING", "hello"]).unwrap(), bulk("hello"));
        assert_eq!(c.command(&["SET", &format!("{p}a"), "1"]).unwrap(), ok());
        assert_eq!(c.command(&["GET", &format!("{p}a")]).unwrap(), bulk("1"));
        assert_eq!(
            c.command(&["GET", &format!("{p}missing")]).unwrap(),
            Value::Null
        );
        assert_eq!(
            c.command(&["INCR", &format!("{p}a")]).unwrap(),
            Value::Integer(2)
        );
        assert_eq!(
            c.command(&["INCRBY", &format!("{p}a"), "-5"]).unwrap(),
            Value::Integer(-3)
        );
        assert_eq!(c.command(&["SET", &format!("{p}b"), ""]).unwrap(), ok());
        assert_eq!(
            c.command(&[
                "MGET",
                &format!("{p}a"),
                &format!("{p}missing"),
                &format!("{p}b")
            ])
            .unwrap(),
            Value::Array(vec![bulk("-3"), Value::Null, Value::bulk(Bytes::new())])
        );
    }
}

#[test]
fn every_reply_type_nested_and_null() {
    let redis = start_redis();
    for mode in MODES {
        let mut c = Client::connect(mode, &redis);
        let list = format!("{mode:?}:list");
        // Null array: a blocking pop that times out.
        assert_eq!(
            c.command(&["BLPOP", &list, "0.01"]).unwrap(),
            Value::NullArray
        );
        // Nested arrays: SCAN replies [cursor, [keys…]].
        c.command(&["RPUSH", &list, "x"]).unwrap();
        let scan = c
            .command(&["SCAN", "0", "MATCH", &list, "COUNT", "1000"])
            .unwrap();
        let parts = scan.as_array().unwrap();
        assert_eq!(parts.len(), 2);
        assert!(parts[0].as_bytes().is_some());
        // The cursor may need more rounds; the key list is an array either way.
        assert!(parts[1].as_array().is_some(), "{scan:?}");
        // A transaction: EXEC's array holds each command's reply, an error reply among them.
        assert_eq!(c.command(&["MULTI"]).unwrap(), ok());
        assert_eq!(
            c.command(&["LPUSH", &list, "y"]).unwrap(),
            Value::SimpleString("QUEUED".into())
        );
        assert_eq!(
            c.command(&["INCR", &list]).unwrap(),
            Value::SimpleString("QUEUED".into())
        );
        let exec = c.command(&["EXEC"]).unwrap();
        let items = exec.as_array().unwrap();
        assert_eq!(items[0], Value::Integer(2));
        let Value::Error(e) = &items[1] else {
            panic!("{exec:?}")
        };
        assert_eq!(e.kind(), "WRONGTYPE");
        assert_eq!(
            c.command(&["LRANGE", &list, "0", "-1"]).unwrap(),
            Value::Array(vec![bulk("y"), bulk("x")])
        );
    }
}

#[test]
fn pipeline_of_ten_thousand_commands() {
    let redis = start_redis();
    for mode in MODES {
        let mut c = Client::connect(mode, &redis);
        let counter = format!("{mode:?}:counter");
        let mut commands = Vec::new();
        for i in 0..5_000 {
            let key = format!("{mode:?}:key:{i}");
            commands.push(cmd(&["SET", &key, &format!("value {i}")]));
            commands.push(cmd(&["GET", &key]));
        }
        assert_eq!(commands.len(), 10_000);
        let replies = c.pipeline(&commands).unwrap();
        assert_eq!(replies.len(), 10_000);
        for (i, pair) in replies.chunks(2).enumerate() {
            assert_eq!(pair[0].as_ref().unwrap(), &ok());
            assert_eq!(pair[1].as_ref().unwrap(), &bulk(&format!("value {i}")));
        }
        let incrs: Vec<_> = (0..10_000).map(|_| cmd(&["INCR", &counter])).collect();
        let replies = c.pipeline(&incrs).unwrap();
        for (i, reply) in replies.iter().enumerate() {
            assert_eq!(reply.as_ref().unwrap(), &Value::Integer(i as i64 + 1));
        }
        assert_eq!(
            c.command(&["DBSIZE"])
                .unwrap()
                .as_integer()
                .map(|n| n >= 5_001),
            Some(true)
        );
    }
}

#[test]
fn error_reply_is_an_error_value_and_the_connection_goes_on() {
    let redis = start_redis();
    for mode in MODES {
        let mut c = Client::connect(mode, &redis);
        let key = format!("{mode:?}:text");
        c.command(&["SET", &key, "not a number"]).unwrap();
        match c.command(&["INCR", &key]) {
            Err(Error::Server(e)) => {
                assert_eq!(e.kind(), "ERR");
                assert!(e.message().contains("not an integer"), "{e}");
            }
            other => panic!("expected an error reply, got {other:?}"),
        }
        let err = c.command(&["NOSUCHCOMMAND"]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("resp: the server replied with an error: ERR"),
            "{err}"
        );
        // Still in step.
        assert_eq!(c.command(&["GET", &key]).unwrap(), bulk("not a number"));
        // In a pipeline, the error is that command's item; the others go on.
        let replies = c
            .pipeline(&[
                cmd(&["INCR", &key]),
                cmd(&["PING"]),
                cmd(&["LPUSH", &key, "x"]),
            ])
            .unwrap();
        assert!(replies[0]
            .as_ref()
            .unwrap_err()
            .message()
            .contains("not an integer"));
        assert_eq!(
            replies[1].as_ref().unwrap(),
            &Value::SimpleString("PONG".into())
        );
        assert_eq!(replies[2].as_ref().unwrap_err().kind(), "WRONGTYPE");
        // An empty command is refused before anything is sent.
        let empty: &[&[u8]] = &[];
        assert!(matches!(c.command(empty), Err(Error::Framing(_))));
        assert_eq!(
            c.command(&["PING"]).unwrap(),
            Value::SimpleString("PONG".into())
        );
    }
}

#[test]
fn binary_safe_values() {
    let redis = start_redis();
    let all: Vec<u8> = (0..=255).collect();
    for mode in MODES {
        let mut c = Client::connect(mode, &redis);
        let mut key = format!("{mode:?}:bin:").into_bytes();
        key.extend_from_slice(b"\r\n\0\xff");
        assert_eq!(c.command(&[&b"SET"[..], &key, &all]).unwrap(), ok());
        assert_eq!(
            c.command(&[&b"GET"[..], &key]).unwrap(),
            Value::bulk(all.clone())
        );
        assert_eq!(
            c.command(&[&b"STRLEN"[..], &key]).unwrap(),
            Value::Integer(256)
        );
        // A large value (1 MiB of every byte), in a pipeline.
        let big: Vec<u8> = all.iter().copied().cycle().take(1 << 20).collect();
        let replies = c
            .pipeline(&[
                vec![b"SET".to_vec(), key.clone(), big.clone()],
                vec![b"GET".to_vec(), key.clone()],
            ])
            .unwrap();
        assert_eq!(replies[1].as_ref().unwrap().as_bytes(), Some(&big[..]));
    }
}

#[test]
fn a_silent_server_times_out_and_the_client_is_then_broken() {
    // Not Redis: a listener that accepts and never answers.
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(8).unwrap();
    let endpoint = listener.local_endpoint().unwrap();
    for mode in MODES {
        let mut client = RespClient::connect_endpoint(endpoint.clone()).unwrap();
        let _accepted = listener.accept().unwrap();
        client
            .set_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let started = Instant::now();
        let err = match mode {
            Mode::Sync => client.command(&["PING"]).unwrap_err(),
            Mode::Async => block_on(client.command_async(&["PING"])).unwrap_err(),
        };
        assert!(err.is_timeout(), "{mode:?}: {err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let again = match mode {
            Mode::Sync => client.command(&["PING"]),
            Mode::Async => block_on(client.command_async(&["PING"])),
        };
        assert!(matches!(again, Err(Error::Broken)), "{mode:?}: {again:?}");
    }
}

/// A server that answers the first command with `reply`, then closes
/// (with a reset when `reset` is set).
fn hostile_server(reply: Vec<u8>, reset: bool) -> (sockets::EndPoint, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(8).unwrap();
    let endpoint = listener.local_endpoint().unwrap();
    let server = std::thread::spawn(move || {
        let stream = listener.accept().unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut command = [0u8; 256];
        let _ = stream.read_sync(&mut command);
        let _ = stream.write_all_sync(&reply);
        if reset {
            stream.socket().set_linger(Some(Duration::ZERO)).unwrap();
        }
    });
    (endpoint, server)
}

/// Malformed, oversized, too deep, cut and reset replies: each is a typed
/// error that reads as a sentence, never a panic, a hang or a value, and
/// the client is out of step afterwards.
#[test]
fn a_hostile_server_gets_typed_errors_and_a_broken_client() {
    let deep: Vec<u8> = b"*1\r\n".repeat(1000);
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("unknown type byte", b"?what\r\n".to_vec(), false),
        (
            "a bulk longer than the limit",
            b"$999999999999\r\n".to_vec(),
            false,
        ),
        ("a negative array length", b"*-7\r\n".to_vec(), false),
        ("an integer with letters", b":12abc\r\n".to_vec(), false),
        ("an array nested too deep", deep, false),
        (
            "an array cut off by a close",
            b"*3\r\n:1\r\n".to_vec(),
            false,
        ),
        ("a bulk cut off by a reset", b"$100\r\nabc".to_vec(), true),
        ("a line without its CR", b"+OK\nmore\n".to_vec(), false),
    ];
    for mode in MODES {
        for (name, reply, reset) in &cases {
            let (endpoint, server) = hostile_server(reply.clone(), *reset);
            let mut client = RespClient::connect_endpoint(endpoint).unwrap();
            client.set_timeout(Some(Duration::from_secs(5))).unwrap();
            let result = match mode {
                Mode::Sync => client.command(&["PING"]),
                Mode::Async => block_on(client.command_async(&["PING"])),
            };
            let err = match result {
                Err(err) => err,
                Ok(value) => panic!("{mode:?}, {name}: a value {value:?}"),
            };
            let message = err.to_string();
            assert!(
                message.starts_with("resp: ") && !message.contains("{ "),
                "{mode:?}, {name}: {message:?}"
            );
            // Told at once, not found out by the timeout.
            assert!(!err.is_timeout(), "{mode:?}, {name}: {message}");
            let again = match mode {
                Mode::Sync => client.command(&["PING"]),
                Mode::Async => block_on(client.command_async(&["PING"])),
            };
            assert!(
                matches!(
                    again,
                    Err(Error::Broken) | Err(Error::ConnectionClosed { .. })
                ),
                "{mode:?}, {name}: {again:?}"
            );
            server.join().unwrap();
        }
    }
}
