//! `Framed` over real NetworkStreams on loopback. Every case runs with three
//! drivers: sync, async under futures' executor, and async under tokio.

use std::io::Write;
use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use protocols::framing::{
    BytesCodec, Decoder, Encoder, Endianness, Error, Framed, LengthDelimitedCodec, LengthField,
    LineEnding, LinesCodec,
};
use sockets::Shutdown;
use transport::{NetworkStream, TcpClient, TcpListener};

testkit::executor_block_on!(sockets::block_on);

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
enum Driver {
    Sync,
    Futures,
    Tokio,
}

const DRIVERS: [Driver; 3] = [Driver::Sync, Driver::Futures, Driver::Tokio];

fn tokio_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap()
    })
}

/// Runs a future under the driver's executor, bounded by `limit` (the
/// futures-io traits under `Framed`'s async calls are not bounded by the
/// socket's timeouts; `sockets::with_timeout` bounds any future).
fn run_within<T>(
    driver: Driver,
    limit: Duration,
    future: impl std::future::Future<Output = T>,
) -> Result<T, sockets::Error> {
    let bounded = sockets::with_timeout(limit, async { Ok(future.await) });
    match driver {
        Driver::Sync | Driver::Futures => futures::executor::block_on(bounded),
        Driver::Tokio => tokio_runtime().block_on(bounded),
    }
}

fn read_within<C: Decoder>(
    driver: Driver,
    framed: &mut Framed<NetworkStream, C>,
    limit: Duration,
) -> protocols::framing::Result<Option<C::Item>> {
    match driver {
        Driver::Sync => {
            framed.get_ref().set_read_timeout(Some(limit)).unwrap();
            let result = framed.read_frame();
            framed.get_ref().set_read_timeout(Some(TIMEOUT)).unwrap();
            result
        }
        _ => run_within(driver, limit, framed.read_frame_async())
            .map_err(|e| Error::from(transport::Error::from(e)))?,
    }
}

fn read<C: Decoder>(
    driver: Driver,
    framed: &mut Framed<NetworkStream, C>,
) -> protocols::framing::Result<Option<C::Item>> {
    read_within(driver, framed, TIMEOUT)
}

fn write<C: Encoder<I>, I>(
    driver: Driver,
    framed: &mut Framed<NetworkStream, C>,
    item: I,
) -> protocols::framing::Result<()> {
    match driver {
        Driver::Sync => framed.write_frame(item),
        _ => run_within(driver, TIMEOUT, framed.write_frame_async(item))
            .map_err(|e| Error::from(transport::Error::from(e)))?,
    }
}

/// A connected pair on loopback, both with bounded reads and writes.
fn pair() -> (NetworkStream, NetworkStream) {
    let listener = TcpListener::bind(([127, 0, 0, 1], 0)).unwrap();
    listener.start(4).unwrap();
    listener
        .server()
        .set_receive_timeout(Some(TIMEOUT))
        .unwrap();
    let client = TcpClient::connect_endpoint(listener.local_endpoint().unwrap())
        .unwrap()
        .into_stream();
    let server = listener.accept().unwrap();
    for s in [&client, &server] {
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        s.set_write_timeout(Some(TIMEOUT)).unwrap();
        s.set_no_delay(true).unwrap();
    }
    (client, server)
}

/// Writes raw chunks from a thread, pausing between them so that they
/// arrive as separate reads, then shuts the sending side.
fn send_chunks(stream: NetworkStream, chunks: Vec<Vec<u8>>) -> thread::JoinHandle<NetworkStream> {
    thread::spawn(move || {
        for (i, chunk) in chunks.iter().enumerate() {
            if i > 0 {
                thread::sleep(Duration::from_millis(2));
            }
            stream.write_all_sync(chunk).unwrap();
        }
        stream.shutdown(Shutdown::Send).unwrap();
        stream
    })
}

fn read_all<C: Decoder>(
    driver: Driver,
    framed: &mut Framed<NetworkStream, C>,
) -> (Vec<C::Item>, Result<(), Error>) {
    let mut frames = Vec::new();
    loop {
        match read(driver, framed) {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => return (frames, Ok(())),
            Err(e) => return (frames, Err(e)),
        }
    }
}

#[test]
fn lines_round_trip_both_terminators() {
    for driver in DRIVERS {
        for ending in [LineEnding::Lf, LineEnding::CrLf] {
            let (a, b) = pair();
            let long = "x".repeat(5000);
            let lines = ["hello", "", "ünïcödé ✓", long.as_str(), "bye"];
            let mut client = Framed::new(a, LinesCodec::new().line_ending(ending));
            let mut server = Framed::new(b, LinesCodec::new());
            for line in lines {
                write(driver, &mut client, line).unwrap();
                let got = read(driver, &mut server).unwrap().unwrap();
                assert_eq!(got, line, "{driver:?} {ending:?}");
                write(driver, &mut server, got.to_uppercase()).unwrap();
                let echoed = read(driver, &mut client).unwrap().unwrap();
                assert_eq!(echoed, line.to_uppercase());
            }
            client.get_ref().shutdown(Shutdown::Send).unwrap();
            assert_eq!(read(driver, &mut server).unwrap(), None, "{driver:?}");
            // The end is sticky.
            assert_eq!(read(driver, &mut server).unwrap(), None, "{driver:?}");
        }
    }
}

#[test]
fn length_delimited_variants_round_trip() {
    for driver in DRIVERS {
        for field in [
            LengthField::U8,
            LengthField::U16,
            LengthField::U32,
            LengthField::U64,
        ] {
            for endianness in [Endianness::Big, Endianness::Little] {
                for adjustment in [0, -(field.size() as i64)] {
                    let codec = LengthDelimitedCodec::new()
                        .length_field(field)
                        .endianness(endianness)
                        .length_adjustment(adjustment);
                    let (a, b) = pair();
                    let mut client = Framed::new(a, codec.clone());
                    let mut server = Framed::new(b, codec);
                    let max = match field {
                        LengthField::U8 => 200,
                        LengthField::U16 => 60_000,
                        _ => 300_000,
                    };
                    let frames: Vec<Bytes> = [0, 1, 100, max]
                        .into_iter()
                        .map(|n| Bytes::from((0..n).map(|i| (i % 251) as u8).collect::<Vec<_>>()))
                        .collect();
                    let case = format!("{driver:?} {field:?} {endianness:?} {adjustment}");
                    for frame in &frames {
                        // Write from a thread: a 300 KB frame does not fit the socket buffers.
                        let writer = {
                            let frame = frame.clone();
                            let n = frame.len();
                            thread::scope(|s| {
                                let w = s.spawn(|| write(driver, &mut client, frame));
                                let got = read(driver, &mut server);
                                let wrote = w.join().unwrap();
                                if got.is_err() {
                                    eprintln!("{case} {n}: {wrote:?}");
                                }
                                let got = got.unwrap().unwrap();
                                wrote.unwrap();
                                got
                            })
                        };
                        assert_eq!(&writer, frame, "{case}");
                    }
                    client.get_ref().shutdown(Shutdown::Send).unwrap();
                    assert_eq!(read(driver, &mut server).unwrap(), None, "{case}");
                }
            }
        }
    }
}

#[test]
fn bytes_round_trip_a_megabyte() {
    for driver in DRIVERS {
        let (a, b) = pair();
        let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 253) as u8).collect();
        let mut client = Framed::new(a, BytesCodec::new());
        let mut server = Framed::new(b, BytesCodec::new());
        let received = thread::scope(|s| {
            s.spawn(|| {
                for chunk in data.chunks(100_000) {
                    write(driver, &mut client, chunk).unwrap();
                }
                client.get_ref().shutdown(Shutdown::Send).unwrap();
            });
            let (chunks, end) = read_all(driver, &mut server);
            end.unwrap();
            assert!(
                chunks.iter().all(|c| c.len() <= 64 * 1024),
                "one read per chunk"
            );
            chunks.concat()
        });
        assert_eq!(received, data, "{driver:?}");
    }
}

#[test]
fn frames_split_at_every_boundary_arrive_whole() {
    let lines_wire = b"first\r\nsecond\n\nthird\n".to_vec();
    let mut length_wire = BytesMut::new();
    let mut codec = LengthDelimitedCodec::new().length_field(LengthField::U16);
    for f in [&b"alpha"[..], b"", b"omega!"] {
        codec.encode(f, &mut length_wire).unwrap();
    }
    for driver in DRIVERS {
        for at in 0..=lines_wire.len() {
            let (a, b) = pair();
            let writer = send_chunks(
                a,
                vec![lines_wire[..at].to_vec(), lines_wire[at..].to_vec()],
            );
            let (frames, end) = read_all(driver, &mut Framed::new(b, LinesCodec::new()));
            end.unwrap();
            assert_eq!(
                frames,
                ["first", "second", "", "third"],
                "{driver:?} split at {at}"
            );
            writer.join().unwrap();
        }
        for at in 0..=length_wire.len() {
            let (a, b) = pair();
            let writer = send_chunks(
                a,
                vec![length_wire[..at].to_vec(), length_wire[at..].to_vec()],
            );
            let (frames, end) = read_all(driver, &mut Framed::new(b, codec.clone()));
            end.unwrap();
            assert_eq!(
                frames,
                [&b"alpha"[..], b"", b"omega!"],
                "{driver:?} split at {at}"
            );
            writer.join().unwrap();
        }
        // One byte per read.
        let (a, b) = pair();
        let writer = send_chunks(a, lines_wire.chunks(1).map(<[u8]>::to_vec).collect());
        let (frames, end) = read_all(driver, &mut Framed::new(b, LinesCodec::new()));
        end.unwrap();
        assert_eq!(
            frames,
            ["first", "second", "", "third"],
            "{driver:?} byte by byte"
        );
        writer.join().unwrap();
        let (a, b) = pair();
        let writer = send_chunks(a, length_wire.chunks(1).map(<[u8]>::to_vec).collect());
        let (frames, end) = read_all(driver, &mut Framed::new(b, codec.clone()));
        end.unwrap();
        assert_eq!(
            frames,
            [&b"alpha"[..], b"", b"omega!"],
            "{driver:?} byte by byte"
        );
        writer.join().unwrap();
    }
}

#[test]
fn many_frames_in_one_read() {
    for driver in DRIVERS {
        let (a, b) = pair();
        let mut wire = Vec::new();
        for i in 0..2000 {
            writeln!(wire, "line {i}").unwrap();
        }
        let writer = send_chunks(a, vec![wire]);
        let (frames, end) = read_all(driver, &mut Framed::new(b, LinesCodec::new()));
        end.unwrap();
        assert_eq!(frames.len(), 2000, "{driver:?}");
        assert!(frames
            .iter()
            .enumerate()
            .all(|(i, f)| *f == format!("line {i}")));
        writer.join().unwrap();

        let (a, b) = pair();
        let mut wire = BytesMut::new();
        let mut codec = LengthDelimitedCodec::new();
        for i in 0..2000u32 {
            codec.encode(&i.to_be_bytes()[..], &mut wire).unwrap();
        }
        let writer = send_chunks(a, vec![wire.to_vec()]);
        let (frames, end) = read_all(driver, &mut Framed::new(b, codec));
        end.unwrap();
        assert_eq!(frames.len(), 2000, "{driver:?}");
        assert!(frames
            .iter()
            .enumerate()
            .all(|(i, f)| f[..] == (i as u32).to_be_bytes()));
        writer.join().unwrap();
    }
}

#[test]
fn a_line_over_the_limit_is_reported_and_reading_goes_on() {
    for driver in DRIVERS {
        let (a, b) = pair();
        let mut wire = b"short\n".to_vec();
        wire.extend(std::iter::repeat_n(b'y', 300_000));
        wire.extend_from_slice(b"\nafter\n");
        let writer = send_chunks(a, vec![wire]);
        let mut server = Framed::new(b, LinesCodec::new().max_length(1000));
        assert_eq!(read(driver, &mut server).unwrap().as_deref(), Some("short"));
        match read(driver, &mut server) {
            Err(Error::LineTooLong {
                limit: 1000,
                length,
            }) => assert!(length > 1000),
            other => panic!("{driver:?}: {other:?}"),
        }
        // Bounded: the limit plus one read, not the 300 KB line.
        assert!(server.read_buffer().capacity() <= 1001 + 64 * 1024 + 8 * 1024);
        assert_eq!(read(driver, &mut server).unwrap().as_deref(), Some("after"));
        assert_eq!(read(driver, &mut server).unwrap(), None);
        writer.join().unwrap();
    }
}

#[test]
fn a_frame_over_the_limit_is_reported_and_reading_goes_on() {
    for driver in DRIVERS {
        let (a, b) = pair();
        let mut wire = BytesMut::new();
        LengthDelimitedCodec::new()
            .encode(&vec![9u8; 200_000][..], &mut wire)
            .unwrap();
        LengthDelimitedCodec::new()
            .encode(&b"next"[..], &mut wire)
            .unwrap();
        let writer = send_chunks(a, vec![wire.to_vec()]);
        let mut server = Framed::new(b, LengthDelimitedCodec::new().max_frame_length(1024));
        match read(driver, &mut server) {
            Err(Error::FrameTooLong {
                length: 200_000,
                limit: 1024,
            }) => {}
            other => panic!("{driver:?}: {other:?}"),
        }
        assert_eq!(
            read(driver, &mut server).unwrap().as_deref(),
            Some(&b"next"[..])
        );
        assert!(server.read_buffer().capacity() <= 1024 + 64 * 1024 + 8 * 1024);
        assert_eq!(read(driver, &mut server).unwrap(), None);
        writer.join().unwrap();
    }
}

#[test]
fn a_stream_ending_inside_a_frame_is_reported_with_its_bytes() {
    for driver in DRIVERS {
        let (a, b) = pair();
        let writer = send_chunks(a, vec![b"whole\npart".to_vec()]);
        let mut server = Framed::new(b, LinesCodec::new());
        assert_eq!(read(driver, &mut server).unwrap().as_deref(), Some("whole"));
        match read(driver, &mut server) {
            Err(e @ Error::StreamEndedInFrame { buffered: 4 }) => {
                assert_eq!(
                    e.to_string(),
                    "framing: the stream ended inside a frame (4 bytes buffered)"
                );
            }
            other => panic!("{driver:?}: {other:?}"),
        }
        assert_eq!(&server.read_buffer()[..], b"part", "nothing dropped");
        assert_eq!(read(driver, &mut server).unwrap(), None);
        writer.join().unwrap();

        let (a, b) = pair();
        let writer = send_chunks(a, vec![b"\0\0\0\x01z\0\0\0\x09abc".to_vec()]);
        let mut server = Framed::new(b, LengthDelimitedCodec::new());
        assert_eq!(
            read(driver, &mut server).unwrap().as_deref(),
            Some(&b"z"[..])
        );
        assert!(matches!(
            read(driver, &mut server),
            Err(Error::StreamEndedInFrame { buffered: 7 })
        ));
        assert_eq!(&server.read_buffer()[..], b"\0\0\0\x09abc");
        writer.join().unwrap();
    }
}

#[test]
fn a_read_timeout_leaves_the_partial_frame_and_the_stream_usable() {
    for driver in DRIVERS {
        let (a, b) = pair();
        let mut server = Framed::new(b, LinesCodec::new());
        a.write_all_sync(b"hal").unwrap();
        let started = std::time::Instant::now();
        let err = read_within(driver, &mut server, Duration::from_millis(100)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{driver:?}");
        assert!(err.is_timeout(), "{driver:?}: {err:?}");
        assert!(err.to_string().starts_with("framing: transport: "), "{err}");
        a.write_all_sync(b"f a line\n").unwrap();
        assert_eq!(
            read(driver, &mut server).unwrap().as_deref(),
            Some("half a line")
        );
    }
}

#[test]
fn the_iterator_yields_every_frame_then_ends() {
    let (a, b) = pair();
    let writer = send_chunks(a, vec![b"a\nb\n".to_vec(), b"c\n".to_vec()]);
    let mut server = Framed::new(b, LinesCodec::new());
    let lines: Vec<String> = server.frames().collect::<Result<_, _>>().unwrap();
    assert_eq!(lines, ["a", "b", "c"]);
    writer.join().unwrap();
}

/// The `Stream` and `Sink` traits: 10,000 lines fed and flushed in batches,
/// collected on the other side, then closed.
async fn stream_and_sink(client: NetworkStream, server: NetworkStream) {
    let mut sink = Framed::new(client, LinesCodec::new());
    let stream = Framed::new(server, LinesCodec::new());
    let send = async {
        let mut lines = futures::stream::iter((0..10_000).map(|i| Ok(format!("message {i}"))));
        sink.send_all(&mut lines).await.unwrap();
        // `close` needs the item type named: the codec encodes several.
        SinkExt::<String>::close(&mut sink).await.unwrap();
    };
    let receive = stream.map(|line| line.unwrap()).collect::<Vec<String>>();
    let ((), received) = futures::join!(send, receive);
    assert_eq!(received.len(), 10_000);
    assert!(received
        .iter()
        .enumerate()
        .all(|(i, l)| *l == format!("message {i}")));
}

#[test]
fn stream_and_sink_under_futures_executor() {
    let (a, b) = pair();
    futures::executor::block_on(sockets::with_timeout(TIMEOUT, async {
        stream_and_sink(a, b).await;
        Ok(())
    }))
    .unwrap();
}

#[test]
fn stream_and_sink_under_tokio() {
    let (a, b) = pair();
    tokio_runtime().block_on(async {
        // Spawned: the futures are Send and need nothing tokio-specific.
        let bounded = sockets::with_timeout(TIMEOUT, async {
            stream_and_sink(a, b).await;
            Ok(())
        });
        tokio::spawn(bounded).await.unwrap().unwrap();
    });
}

#[test]
fn stream_and_sink_under_netstack_reactor_with_length_frames() {
    let (a, b) = pair();
    block_on(sockets::with_timeout(TIMEOUT, async {
        let mut sink = Framed::new(
            a,
            LengthDelimitedCodec::new().length_field(LengthField::U16),
        );
        let stream = Framed::new(
            b,
            LengthDelimitedCodec::new().length_field(LengthField::U16),
        );
        let send = async {
            for i in 0..1000u32 {
                sink.feed(Bytes::from(i.to_le_bytes().to_vec()))
                    .await
                    .unwrap();
            }
            sink.flush_async().await.unwrap();
            sink.close_async().await.unwrap();
        };
        let receive = stream.map(|f| f.unwrap()).collect::<Vec<Bytes>>();
        let ((), frames) = futures::join!(send, receive);
        assert_eq!(frames.len(), 1000);
        assert!(frames
            .iter()
            .enumerate()
            .all(|(i, f)| f[..] == (i as u32).to_le_bytes()));
        Ok(())
    }))
    .unwrap();
}

#[test]
fn framed_works_over_a_shared_reference_for_split_reading_and_writing() {
    let (a, b) = pair();
    let mut reader = Framed::new(&b, LinesCodec::new());
    let mut writer = Framed::new(&b, LinesCodec::new());
    a.write_all_sync(b"ping\n").unwrap();
    assert_eq!(reader.read_frame().unwrap().as_deref(), Some("ping"));
    writer.write_frame("pong").unwrap();
    let mut client = Framed::new(a, LinesCodec::new());
    assert_eq!(client.read_frame().unwrap().as_deref(), Some("pong"));
}
