//! Sending and receiving: timeouts, would-block, end of stream, zero-byte
//! reads, vectored buffers, datagrams, peeking, messages, send_file, out-of-
//! band data.

use super::*;

#[test]
fn receive_timeout_fires_with_timed_out_and_the_socket_still_works() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        server
            .set_receive_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut buf = [0u8; 8];
        let started = Instant::now();
        let err = server.receive(&mut buf).unwrap_err();
        assert_eq!(err.kind(), SocketError::TimedOut, "{family:?}: {err}");
        assert!(started.elapsed() >= Duration::from_millis(40));
        client.send(b"after").unwrap();
        let n = server.receive(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"after");
    }
}

#[test]
fn non_blocking_receive_with_no_data_is_would_block() {
    let (_client, server) = connected_pair(Family::V4);
    server.set_blocking(false).unwrap();
    let err = server.receive(&mut [0u8; 4]).unwrap_err();
    assert_eq!(err.kind(), SocketError::WouldBlock);
}

#[test]
fn receive_returns_zero_after_the_peers_shutdown_send() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        client.send(b"last").unwrap();
        client.shutdown(Shutdown::Send).unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(server.receive(&mut buf).unwrap(), 4);
        assert_eq!(server.receive(&mut buf).unwrap(), 0, "{family:?}");
        assert_eq!(server.receive(&mut buf).unwrap(), 0, "{family:?}");
        // The other direction still works.
        server.send(b"reply").unwrap();
        assert_eq!(client.receive(&mut buf).unwrap(), 5);
    }
}

#[test]
fn zero_byte_receive_waits_for_data_and_consumes_nothing() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            client.send(b"data").unwrap();
            client
        });
        let started = Instant::now();
        assert_eq!(server.receive(&mut []).unwrap(), 0);
        assert!(
            started.elapsed() >= Duration::from_millis(30),
            "{family:?}: returned before data"
        );
        let mut buf = [0u8; 8];
        assert_eq!(server.receive(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"data");
        sender.join().unwrap();
    }
}

#[test]
fn zero_byte_receive_honours_the_receive_timeout() {
    let (_client, server) = connected_pair(Family::V4);
    server
        .set_receive_timeout(Some(Duration::from_millis(30)))
        .unwrap();
    let err = server.receive(&mut []).unwrap_err();
    assert_eq!(err.kind(), SocketError::TimedOut);
}

#[test]
fn a_mebibyte_sent_with_vectored_buffers_arrives_intact() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        let data: Vec<u8> = (0..1 << 20)
            .map(|i: u32| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let expected = fnv1a(&data);
        let to_send = data.clone();
        let sender = thread::spawn(move || {
            let mut offset = 0;
            while offset < to_send.len() {
                let end = (offset + 40_000).min(to_send.len());
                let mid = (offset + end) / 2;
                let slices = [
                    IoSlice::new(&[]),
                    IoSlice::new(&to_send[offset..mid]),
                    IoSlice::new(&[]),
                    IoSlice::new(&to_send[mid..end]),
                ];
                offset += client.send_vectored(&slices).unwrap();
            }
            client.shutdown(Shutdown::Send).unwrap();
        });
        let mut received = Vec::with_capacity(data.len());
        let (mut a, mut b) = (vec![0u8; 3000], vec![0u8; 7001]);
        loop {
            let mut empty = [0u8; 0];
            let mut slices = [
                IoSliceMut::new(&mut a),
                IoSliceMut::new(&mut empty),
                IoSliceMut::new(&mut b),
            ];
            let n = server.receive_vectored(&mut slices).unwrap();
            if n == 0 {
                break;
            }
            let first = n.min(a.len());
            received.extend_from_slice(&a[..first]);
            received.extend_from_slice(&b[..n - first]);
        }
        sender.join().unwrap();
        assert_eq!(received.len(), data.len(), "{family:?}");
        assert_eq!(fnv1a(&received), expected, "{family:?}");
    }
}

#[test]
fn a_500_byte_datagram_into_a_100_byte_buffer_reports_truncated() {
    for family in ALL {
        let receiver = bound_dgram(family);
        let sender = bound_dgram(family);
        let payload = [7u8; 500];
        sender
            .send_to(&payload, receiver.local_endpoint().unwrap())
            .unwrap();
        sender
            .send_to(&payload, receiver.local_endpoint().unwrap())
            .unwrap();
        let mut buf = [0u8; 100];
        let (n, flags) = receiver
            .receive_with_flags(&mut buf, SocketFlags::empty())
            .unwrap();
        assert_eq!(n, 100, "{family:?}");
        assert!(flags.contains(SocketFlags::TRUNCATED), "{family:?}");
        let err = receiver.receive(&mut buf).unwrap_err();
        assert_eq!(err.kind(), SocketError::MessageSize, "{family:?}");
        assert!(err.to_string().contains("100-byte buffer"), "{err}");
    }
}

#[test]
fn receive_from_reports_truncation_too() {
    let receiver = bound_dgram(Family::V4);
    let sender = bound_dgram(Family::V4);
    sender
        .send_to(&[1u8; 300], receiver.local_endpoint().unwrap())
        .unwrap();
    let err = receiver.receive_from(&mut [0u8; 10]).unwrap_err();
    assert_eq!(err.kind(), SocketError::MessageSize);
}

#[test]
fn peek_then_receive_returns_the_same_datagram() {
    for family in ALL {
        let receiver = bound_dgram(family);
        let sender = bound_dgram(family);
        sender
            .send_to(b"first", receiver.local_endpoint().unwrap())
            .unwrap();
        sender
            .send_to(b"second", receiver.local_endpoint().unwrap())
            .unwrap();
        let mut peeked = [0u8; 32];
        let (n, _) = receiver
            .receive_with_flags(&mut peeked, SocketFlags::PEEK)
            .unwrap();
        assert_eq!(&peeked[..n], b"first", "{family:?}");
        let mut buf = [0u8; 32];
        let (m, from) = receiver.receive_from(&mut buf).unwrap();
        assert_eq!(&buf[..m], b"first");
        assert_eq!(from, sender.local_endpoint().unwrap());
        let (m, _) = receiver.receive_from(&mut buf).unwrap();
        assert_eq!(&buf[..m], b"second");
    }
}

#[test]
fn peek_on_a_stream_leaves_the_bytes_in_place() {
    let (client, server) = connected_pair(Family::V4);
    client.send(b"abc").unwrap();
    let mut buf = [0u8; 8];
    let (n, _) = server
        .receive_with_flags(&mut buf, SocketFlags::PEEK)
        .unwrap();
    assert_eq!(&buf[..n], b"abc");
    assert_eq!(server.available().unwrap(), 3);
    assert_eq!(server.receive(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");
}

#[test]
fn receive_message_from_reports_the_destination_address_and_the_hop_limit() {
    for (family, wildcard, dest) in [
        (
            Family::V4,
            IpAddr::from(Ipv4Addr::UNSPECIFIED),
            IpAddr::from(Ipv4Addr::new(127, 0, 0, 3)),
        ),
        (
            Family::V6,
            IpAddr::from(Ipv6Addr::UNSPECIFIED),
            IpAddr::from(Ipv6Addr::LOCALHOST),
        ),
    ] {
        let receiver = family.socket(SocketType::Dgram);
        receiver.bind((wildcard, 0)).unwrap();
        let port = receiver.local_endpoint().unwrap().as_ip().unwrap().port();
        let sender = bound_dgram(family);
        sender.set_ttl(42).unwrap();
        // Switch packet info on before the datagram arrives.
        receiver.set_blocking(false).unwrap();
        let _ = receiver.receive_message_from(&mut [0u8; 4], SocketFlags::empty());
        receiver.set_blocking(true).unwrap();
        sender.send_to(b"where", (dest, port)).unwrap();
        let mut buf = [0u8; 16];
        let message = receiver
            .receive_message_from(&mut buf, SocketFlags::empty())
            .unwrap();
        assert_eq!(&buf[..message.bytes], b"where");
        assert_eq!(message.remote, sender.local_endpoint().unwrap());
        let info = message.packet_info.expect("packet info");
        assert_eq!(info.address, dest, "{family:?}");
        assert!(info.interface > 0);
        assert_eq!(message.hop_limit, Some(42), "{family:?}");
    }
}

#[test]
fn send_file_sends_the_files_bytes_exactly() {
    let path = std::env::temp_dir().join(format!("netstack-sendfile-{}", std::process::id()));
    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    for family in ALL {
        let (client, server) = connected_pair(family);
        let p = path.clone();
        let sender = thread::spawn(move || {
            let sent = client.send_file(&p, Some(b"HEAD"), Some(b"TAIL")).unwrap();
            client.shutdown(Shutdown::Send).unwrap();
            sent
        });
        let mut received = Vec::new();
        let mut buf = vec![0u8; 65536];
        loop {
            let n = server.receive(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buf[..n]);
        }
        let sent = sender.join().unwrap();
        assert_eq!(sent, content.len() as u64 + 8);
        assert_eq!(&received[..4], b"HEAD");
        assert_eq!(&received[received.len() - 4..], b"TAIL");
        assert_eq!(
            fnv1a(&received[4..received.len() - 4]),
            fnv1a(&content),
            "{family:?}"
        );
    }
    let (client, _server) = connected_pair(Family::V4);
    let missing = client
        .send_file("/nonexistent/netstack", None, None)
        .unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent/netstack"),
        "{missing}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn send_file_handle_sends_from_the_files_position_and_moves_it_to_the_end() {
    use std::io::{Seek, SeekFrom};
    let path = std::env::temp_dir().join(format!("netstack-sendfile-pos-{}", std::process::id()));
    let content: Vec<u8> = (0..70_000u32).map(|i| (i % 241) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let mut file = std::fs::File::open(&path).unwrap();
    file.seek(SeekFrom::Start(1000)).unwrap();
    let (client, server) = connected_pair(Family::V4);
    server
        .set_receive_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let sender = thread::spawn(move || {
        let sent = client.send_file_handle(&file, None, None).unwrap();
        client.shutdown(Shutdown::Send).unwrap();
        (sent, file.stream_position().unwrap())
    });
    let mut received = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let n = server.receive(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buf[..n]);
    }
    let (sent, position) = sender.join().unwrap();
    assert_eq!(sent, content.len() as u64 - 1000);
    assert_eq!(
        position,
        content.len() as u64,
        "the position moved to the end"
    );
    assert_eq!(fnv1a(&received), fnv1a(&content[1000..]));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn multicast_join_send_receive_leave_on_loopback() {
    let group = Ipv4Addr::new(239, 255, 42, 99);
    let receiver = Family::V4.socket(SocketType::Dgram);
    receiver.set_reuse_address(true).unwrap();
    receiver.bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
    let port = receiver.local_endpoint().unwrap().as_ip().unwrap().port();
    receiver
        .join_multicast_v4(group, Ipv4Addr::LOCALHOST)
        .unwrap();
    let sender = Family::V4.socket(SocketType::Dgram);
    sender
        .set_multicast_interface_v4(Ipv4Addr::LOCALHOST)
        .unwrap();
    sender.set_multicast_loopback(true).unwrap();
    sender.send_to(b"group", (group, port)).unwrap();
    receiver
        .set_receive_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    let (n, _) = receiver.receive_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"group");
    receiver
        .leave_multicast_v4(group, Ipv4Addr::LOCALHOST)
        .unwrap();
    sender.send_to(b"again", (group, port)).unwrap();
    receiver
        .set_receive_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    assert_eq!(
        receiver.receive_from(&mut buf).unwrap_err().kind(),
        SocketError::TimedOut
    );
}

#[test]
fn out_of_band_data_is_received_with_the_flag() {
    let (client, server) = connected_pair(Family::V4);
    client.send(b"normal").unwrap();
    client
        .send_with_flags(b"!", SocketFlags::OUT_OF_BAND)
        .unwrap();
    let mut error = vec![&server];
    select(
        &mut vec![],
        &mut vec![],
        &mut error,
        Some(Duration::from_secs(5)),
    )
    .unwrap();
    assert_eq!(error.len(), 1, "urgent data shows in the error list");
    let mut urgent = [0u8; 1];
    let (n, _) = server
        .receive_with_flags(&mut urgent, SocketFlags::OUT_OF_BAND)
        .unwrap();
    assert_eq!((n, urgent[0]), (1, b'!'));
}

#[test]
fn disconnect_with_reuse_lets_a_datagram_socket_connect_elsewhere() {
    let a = bound_dgram(Family::V4);
    let b = bound_dgram(Family::V4);
    let s = bound_dgram(Family::V4);
    s.connect(a.local_endpoint().unwrap()).unwrap();
    assert!(s.connected());
    s.disconnect(true).unwrap();
    assert!(!s.connected());
    s.connect(b.local_endpoint().unwrap()).unwrap();
    s.send(b"to b").unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(b.receive(&mut buf).unwrap(), 4);
    s.disconnect(false).unwrap();
    assert!(s.is_closed());
}

#[test]
fn an_address_family_mismatch_in_send_to_is_an_error() {
    let s = bound_dgram(Family::V4);
    let err = s
        .send_to(b"x", SocketAddr::from((Ipv6Addr::LOCALHOST, 9)))
        .unwrap_err();
    assert_eq!(err.kind(), SocketError::AddressFamilyNotSupported, "{err}");
}

#[test]
fn vectored_transfers_take_any_number_of_buffers_on_a_stream() {
    for family in ALL {
        let (client, server) = connected_pair(family);
        // 3,000 one-byte buffers with empty ones between: past the 1,024
        // one system call takes.
        let data: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let empty: [u8; 0] = [];
        let slices: Vec<IoSlice<'_>> = data
            .chunks(1)
            .flat_map(|byte| [IoSlice::new(byte), IoSlice::new(&empty)])
            .collect();
        assert_eq!(client.send_vectored(&slices).unwrap(), 3000, "{family:?}");
        // Receiving: 2,000 empty buffers first, then 3,000 one-byte ones.
        let mut received = vec![0u8; 3000];
        let mut got = 0;
        server
            .set_receive_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        while got < received.len() {
            let mut empties = [[0u8; 0]; 2000];
            let mut bufs: Vec<IoSliceMut<'_>> =
                empties.iter_mut().map(|e| IoSliceMut::new(e)).collect();
            bufs.extend(received[got..].chunks_mut(1).map(IoSliceMut::new));
            let n = server.receive_vectored(&mut bufs).unwrap();
            assert!(n > 0 && n <= 1024, "{family:?}: {n}");
            got += n;
        }
        assert_eq!(received, data, "{family:?}");
    }
}

#[test]
fn a_datagram_of_more_than_1024_buffers_is_refused_with_a_clear_error() {
    let receiver = bound_dgram(Family::V4);
    let sender = bound_dgram(Family::V4);
    sender.connect(receiver.local_endpoint().unwrap()).unwrap();
    let byte = [1u8];
    let slices = vec![IoSlice::new(&byte); 1025];
    let err = sender.send_vectored(&slices).unwrap_err();
    assert_eq!(err.kind(), SocketError::MessageSize, "{err}");
    assert!(err.to_string().contains("at most 1024 buffers"), "{err}");
    let mut storage = vec![[0u8; 1]; 1025];
    let mut bufs: Vec<IoSliceMut<'_>> = storage.iter_mut().map(|b| IoSliceMut::new(b)).collect();
    let err = receiver.receive_vectored(&mut bufs).unwrap_err();
    assert_eq!(err.kind(), SocketError::MessageSize, "{err}");
}
