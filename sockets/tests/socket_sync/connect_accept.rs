//! Connecting and accepting: endpoints, refusals, non-blocking connects, names,
//! address lists, dual mode, binding.

use super::*;

#[test]
fn accept_gives_a_connected_socket_whose_endpoints_mirror_the_clients() {
    for family in ALL {
        let listener = listener(family);
        let client = family.socket(SocketType::Stream);
        if matches!(family, Family::Unix) {
            client.bind(EndPoint::unix_path(temp_path())).unwrap();
        }
        client.connect(listener.local_endpoint().unwrap()).unwrap();
        let server = listener.accept().unwrap();
        assert!(server.connected() && client.connected(), "{family:?}");
        assert_eq!(
            server.remote_endpoint().unwrap(),
            client.local_endpoint().unwrap(),
            "{family:?}"
        );
        assert_eq!(
            server.local_endpoint().unwrap(),
            client.remote_endpoint().unwrap(),
            "{family:?}"
        );
        assert_eq!(server.address_family(), family.address_family());
    }
}

#[test]
fn several_pending_clients_are_all_accepted() {
    for family in ALL {
        let listener = listener(family);
        let clients: Vec<Socket> = (0..5)
            .map(|_| {
                let c = family.socket(SocketType::Stream);
                c.connect(listener.local_endpoint().unwrap()).unwrap();
                c
            })
            .collect();
        for (i, client) in clients.iter().enumerate() {
            client.send(&[i as u8]).unwrap();
        }
        let mut seen = Vec::new();
        for _ in 0..clients.len() {
            let server = listener.accept().unwrap();
            let mut b = [0u8; 1];
            assert_eq!(server.receive(&mut b).unwrap(), 1);
            seen.push(b[0]);
        }
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3, 4], "{family:?}");
    }
}

#[test]
fn connect_to_a_closed_port_is_connection_refused() {
    for family in IP {
        let target = closed_port(family);
        let client = family.socket(SocketType::Stream);
        let err = client.connect(target.clone()).unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::ConnectionRefused,
            "{family:?}: {err}"
        );
        assert_eq!(err.native_code(), Some(111), "ECONNREFUSED is kept");
        assert!(err.operation().contains(&target.to_string()), "{err}");
    }
}

#[test]
fn connect_to_a_missing_unix_path_says_so() {
    let client = Family::Unix.socket(SocketType::Stream);
    let path = temp_path();
    let err = client.connect(EndPoint::unix_path(&path)).unwrap_err();
    assert_eq!(err.kind(), SocketError::AddressNotAvailable);
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("No such file or directory"), "{text}");
}

#[test]
fn connect_on_a_connected_socket_is_is_connected() {
    for family in ALL {
        let listener = listener(family);
        let client = family.socket(SocketType::Stream);
        client.connect(listener.local_endpoint().unwrap()).unwrap();
        let err = client
            .connect(listener.local_endpoint().unwrap())
            .unwrap_err();
        assert_eq!(err.kind(), SocketError::IsConnected, "{family:?}: {err}");
    }
}

#[test]
fn non_blocking_connect_would_block_then_select_reports_it_writable() {
    for family in IP {
        let listener = listener(family);
        let client = family.socket(SocketType::Stream);
        client.set_blocking(false).unwrap();
        // Loopback may also complete the connect at once (Ok). As in .NET
        // the kind is WouldBlock; the OS code stays EINPROGRESS.
        if let Err(e) = client.connect(listener.local_endpoint().unwrap()) {
            assert_eq!(e.kind(), SocketError::WouldBlock, "{e}");
            assert_eq!(e.native_code(), Some(libc::EINPROGRESS), "{e}");
        }
        let mut write = vec![&client];
        let n = select(
            &mut vec![],
            &mut write,
            &mut vec![],
            Some(Duration::from_secs(5)),
        )
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(write.len(), 1);
        assert!(client.pending_error().unwrap().is_none());
        assert!(client.connected());
    }
}

#[test]
fn non_blocking_connect_to_a_closed_port_lands_in_the_error_list() {
    for family in IP {
        let target = closed_port(family);
        let client = family.socket(SocketType::Stream);
        client.set_blocking(false).unwrap();
        if let Err(e) = client.connect(target) {
            if e.kind() == SocketError::ConnectionRefused {
                continue; // refused synchronously: also correct
            }
            assert_eq!(e.kind(), SocketError::WouldBlock, "{e}");
        }
        let (mut w, mut e) = (vec![&client], vec![&client]);
        select(&mut vec![], &mut w, &mut e, Some(Duration::from_secs(5))).unwrap();
        assert!(w.is_empty(), "a failed connect is not writable");
        assert_eq!(e.len(), 1);
        assert!(
            !client.connected(),
            "a failed connect leaves it unconnected"
        );
        let pending = client
            .pending_error()
            .unwrap()
            .expect("an error is pending");
        assert_eq!(pending.kind(), SocketError::ConnectionRefused);
        assert!(!client.connected());
    }
}

#[test]
fn dual_mode_accepts_an_ipv4_client_and_reports_a_mapped_address() {
    let listener = Socket::new_dual_mode(SocketType::Stream, ProtocolType::Tcp).unwrap();
    assert!(listener.dual_mode().unwrap());
    listener.bind((Ipv6Addr::UNSPECIFIED, 0)).unwrap();
    listener.listen(8).unwrap();
    let port = listener.local_endpoint().unwrap().as_ip().unwrap().port();
    let client = Family::V4.socket(SocketType::Stream);
    client.connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    let server = listener.accept().unwrap();
    let remote = server.remote_endpoint().unwrap().as_ip().unwrap();
    let client_local = client.local_endpoint().unwrap().as_ip().unwrap();
    assert_eq!(
        remote.ip(),
        IpAddr::V6(Ipv4Addr::LOCALHOST.to_ipv6_mapped())
    );
    assert_eq!(remote.port(), client_local.port());
    // A dual-mode client reaches an IPv4 listener given an IPv4 endpoint.
    let v4_listener = listener_v4();
    let dual_client = Socket::new_dual_mode(SocketType::Stream, ProtocolType::Tcp).unwrap();
    dual_client
        .connect(v4_listener.local_endpoint().unwrap())
        .unwrap();
    assert!(dual_client.connected());
}

fn listener_v4() -> Socket {
    listener(Family::V4)
}

#[test]
fn an_ipv6_only_socket_refuses_ipv4() {
    let s = Family::V6.socket(SocketType::Stream);
    s.set_dual_mode(false).unwrap();
    let target = listener_v4().local_endpoint().unwrap();
    let err = s.connect(target).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            SocketError::NetworkUnreachable
                | SocketError::AddressFamilyNotSupported
                | SocketError::InvalidArgument
        ),
        "{err}"
    );
}

#[test]
fn bind_on_a_port_a_listener_holds_is_address_in_use_unless_both_share_it() {
    for family in IP {
        let holder = listener(family);
        let taken = holder.local_endpoint().unwrap();
        let other = family.socket(SocketType::Stream);
        let err = other.bind(taken.clone()).unwrap_err();
        assert_eq!(
            err.kind(),
            SocketError::AddressAlreadyInUse,
            "{family:?}: {err}"
        );
        assert!(err.to_string().contains(&taken.to_string()), "{err}");
        // SO_REUSEADDR alone does not let Linux share a listening port...
        let reuse_addr = family.socket(SocketType::Stream);
        reuse_addr.set_reuse_address(true).unwrap();
        assert_eq!(
            reuse_addr.bind(taken.clone()).unwrap_err().kind(),
            SocketError::AddressAlreadyInUse
        );
        // ...SO_REUSEPORT on both sockets does.
        let first = family.socket(SocketType::Stream);
        first.set_exclusive_address_use(false).unwrap();
        first.bind(family.any_endpoint()).unwrap();
        first.listen(4).unwrap();
        let second = family.socket(SocketType::Stream);
        second.set_reuse_port(true).unwrap();
        second.bind(first.local_endpoint().unwrap()).unwrap();
        assert!(!second.exclusive_address_use().unwrap());
    }
}

#[test]
fn a_unix_socket_path_and_an_abstract_name_are_usable() {
    for endpoint in [
        EndPoint::unix_path(temp_path()),
        EndPoint::unix_abstract(format!("netstack-{}", std::process::id())),
    ] {
        let listener = Family::Unix.socket(SocketType::Stream);
        listener.bind(endpoint.clone()).unwrap();
        listener.listen(4).unwrap();
        assert_eq!(listener.local_endpoint().unwrap(), endpoint);
        let client = Family::Unix.socket(SocketType::Stream);
        client.connect(endpoint.clone()).unwrap();
        let server = listener.accept().unwrap();
        client.send(b"unix").unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(server.receive(&mut buf).unwrap(), 4);
        assert_eq!(client.remote_endpoint().unwrap(), endpoint);
    }
}

#[test]
fn connect_by_host_name_reaches_a_localhost_listener() {
    let l = listener(Family::V4);
    let port = l.local_endpoint().unwrap().as_ip().unwrap().port();
    let client = Socket::new_dual_mode(SocketType::Stream, ProtocolType::Tcp).unwrap();
    client.connect_host("localhost", port).unwrap();
    assert!(client.connected());
    let v4 = Family::V4.socket(SocketType::Stream);
    v4.connect(DnsEndPoint::new("localhost", port)).unwrap();
}

#[test]
fn connect_to_an_address_list_tries_each_in_order() {
    let good = listener(Family::V4);
    let port = good.local_endpoint().unwrap().as_ip().unwrap().port();
    // 127.0.0.2 has no listener on this port: refused, then 127.0.0.1 succeeds.
    let client = Family::V4.socket(SocketType::Stream);
    client
        .connect_addresses(
            &[IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 1])],
            port,
        )
        .unwrap();
    assert_eq!(
        client.remote_endpoint().unwrap(),
        good.local_endpoint().unwrap()
    );
    let none = Family::V4.socket(SocketType::Stream);
    let err = none
        .connect_addresses(&[IpAddr::from(Ipv6Addr::LOCALHOST)], port)
        .unwrap_err();
    assert_eq!(err.kind(), SocketError::AddressFamilyNotSupported);
}

#[test]
fn dns_resolves_localhost_and_an_unknown_name_is_host_not_found() {
    let addresses = Dns::get_host_addresses("localhost").unwrap();
    assert!(addresses.iter().all(|a| a.is_loopback()), "{addresses:?}");
    let err = Dns::get_host_addresses("no-such-host.invalid").unwrap_err();
    assert_eq!(
        err.kind(),
        SocketError::HostNotFound,
        "the system resolver must answer NXDOMAIN for a .invalid name (is a DNS server reachable?); it answered: {err}"
    );
    assert!(err.to_string().contains("no-such-host.invalid"));
    assert_eq!(
        Dns::get_host_addresses("[::1]").unwrap(),
        vec![IpAddr::from(Ipv6Addr::LOCALHOST)]
    );
    assert!(!Dns::get_host_name().unwrap().is_empty());
    let client = Family::V4.socket(SocketType::Stream);
    assert_eq!(
        client
            .connect_host("no-such-host.invalid", 80)
            .unwrap_err()
            .kind(),
        SocketError::HostNotFound
    );
}

#[test]
fn a_dns_endpoint_is_refused_by_bind_and_send_to() {
    let s = bound_dgram(Family::V4);
    let dns = DnsEndPoint::new("localhost", 9);
    for err in [
        Family::V4
            .socket(SocketType::Dgram)
            .bind(dns.clone())
            .unwrap_err(),
        s.send_to(b"x", dns).unwrap_err(),
    ] {
        assert_eq!(err.kind(), SocketError::InvalidArgument);
        assert!(err.to_string().contains("DnsEndPoint"), "{err}");
    }
}

#[test]
fn connecting_a_connected_stream_socket_fails_with_is_connected() {
    for family in ALL {
        let other = listener(family);
        let target = other.local_endpoint().unwrap();
        let (client, _server) = connected_pair(family);
        let err = client.connect(target.clone()).unwrap_err();
        assert_eq!(err.kind(), SocketError::IsConnected, "{family:?}: {err}");
        let err = client
            .connect_timeout(target.clone(), Duration::from_secs(5))
            .unwrap_err();
        assert_eq!(err.kind(), SocketError::IsConnected, "{family:?}: {err}");
        client.set_blocking(false).unwrap();
        let err = client.connect(target.clone()).unwrap_err();
        assert_eq!(err.kind(), SocketError::IsConnected, "{family:?}: {err}");
        let err = sockets::block_on(client.connect_async(target)).unwrap_err();
        assert_eq!(err.kind(), SocketError::IsConnected, "{family:?}: {err}");
    }
}

/// Kept from POSIX and std on purpose: a datagram socket's connect only
/// sets its default peer, and may set another.
#[test]
fn a_datagram_socket_may_connect_again_to_another_peer() {
    let first = bound_dgram(Family::V4);
    let second = bound_dgram(Family::V4);
    let client = bound_dgram(Family::V4);
    client.connect(first.local_endpoint().unwrap()).unwrap();
    client.connect(second.local_endpoint().unwrap()).unwrap();
    client.send(b"to the second").unwrap();
    second
        .set_receive_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 32];
    let (n, _) = second.receive_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"to the second");
}
