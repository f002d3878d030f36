//! IP multicast on loopback, step by step: a receiver joins a group on the
//! loopback interface, a sender aims datagrams at the group through that
//! interface (TTL 1: they never leave the host), the receiver gets them,
//! leaves the group, and gets nothing more.
//!
//! `cargo run --example multicast`

use std::error::Error;
use std::net::Ipv4Addr;
use std::time::Duration;

use netstack::sockets::SocketError;
use netstack::transport::UdpClient;

/// An administratively scoped group (239.0.0.0/8: never routed beyond a site).
const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 42, 99);

fn main() -> Result<(), Box<dyn Error>> {
    // The receiver binds the wildcard address (a multicast datagram is
    // addressed to the group, not to 127.0.0.1) and joins on loopback.
    let receiver = UdpClient::bind((Ipv4Addr::UNSPECIFIED, 0))?;
    let port = receiver
        .local_endpoint()?
        .as_ip()
        .ok_or("the receiver has no IP endpoint")?
        .port();
    receiver.join_multicast_group_v4_on(GROUP, Ipv4Addr::LOCALHOST)?;
    receiver
        .client()
        .set_receive_timeout(Some(Duration::from_secs(5)))?;
    println!("receiver joined {GROUP} on 127.0.0.1, port {port}");

    // The sender picks the outgoing interface, keeps its datagrams on the
    // host (TTL 1) and lets the host's own members hear them (loopback).
    let sender = UdpClient::bind((Ipv4Addr::LOCALHOST, 0))?;
    sender.set_multicast_interface_v4(Ipv4Addr::LOCALHOST)?;
    sender.set_multicast_ttl(1)?;
    sender.set_multicast_loopback(true)?;

    let mut buf = [0u8; 64];
    for n in 1..=3 {
        let message = format!("datagram {n} to the group");
        sender.send_to(message.as_bytes(), (GROUP, port))?;
        let (len, from) = receiver.receive(&mut buf)?;
        println!(
            "received {:?} from {from}",
            String::from_utf8_lossy(&buf[..len])
        );
    }

    receiver.drop_multicast_group_v4_on(GROUP, Ipv4Addr::LOCALHOST)?;
    println!("receiver left {GROUP}");
    sender.send_to(b"after leaving", (GROUP, port))?;
    receiver
        .client()
        .set_receive_timeout(Some(Duration::from_millis(200)))?;
    match receiver.receive(&mut buf) {
        Err(e) if e.socket_error() == Some(SocketError::TimedOut) => {
            println!("nothing arrives after leaving: the group is no longer ours");
            Ok(())
        }
        Err(e) => Err(e.into()),
        Ok((len, _)) => Err(format!(
            "still received {:?} after leaving the group",
            String::from_utf8_lossy(&buf[..len])
        )
        .into()),
    }
}
