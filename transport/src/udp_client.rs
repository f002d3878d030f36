//! `UdpClient`: datagrams to and from endpoints or host names, broadcast and multicast.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use sockets::{AddressFamily, Dns, EndPoint, ProtocolType, Socket, SocketType};

use crate::address::ip_family;
use crate::error::{Error, Result};

/// A UDP client, as .NET's `UdpClient`: bind, optionally connect to a
/// default peer, then send and receive datagrams in either mode.
///
/// ```
/// use netstack::transport::UdpClient;
/// let a = UdpClient::bind(([127, 0, 0, 1], 0)).unwrap();
/// let b = UdpClient::bind(([127, 0, 0, 1], 0)).unwrap();
/// a.send_to(b"hello", b.local_endpoint().unwrap()).unwrap();
/// let mut buf = [0u8; 64];
/// let (n, from) = b.receive(&mut buf).unwrap();
/// assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_endpoint().unwrap()));
/// ```
#[derive(Debug)]
pub struct UdpClient {
    socket: Socket,
}

impl UdpClient {
    /// Binds to an IPv4 or IPv6 endpoint.
    pub fn bind(endpoint: impl Into<EndPoint>) -> Result<UdpClient> {
        let endpoint = endpoint.into();
        let family = ip_family(&endpoint, "UdpClient")?;
        let socket = Socket::new(family, SocketType::Dgram, ProtocolType::Udp)?;
        socket.bind(endpoint)?;
        Ok(UdpClient { socket })
    }

    /// Binds to `0.0.0.0:port` (IPv4, all interfaces), as .NET's `UdpClient(port)`.
    pub fn bind_port(port: u16) -> Result<UdpClient> {
        UdpClient::bind((Ipv4Addr::UNSPECIFIED, port))
    }

    /// Binds a dual-mode IPv6 socket to `[::]:port`, which also carries IPv4.
    pub fn bind_dual_mode(port: u16) -> Result<UdpClient> {
        let socket = Socket::new_dual_mode(SocketType::Dgram, ProtocolType::Udp)?;
        socket.bind((Ipv6Addr::UNSPECIFIED, port))?;
        Ok(UdpClient { socket })
    }

    /// Sets the default peer: [`send`](UdpClient::send) goes there and only
    /// its datagrams are received.
    pub fn connect(&self, endpoint: impl Into<EndPoint>) -> Result<()> {
        Ok(self.socket.connect(endpoint)?)
    }

    /// Resolves `host` and sets the first address of this socket's family as the default peer.
    pub fn connect_host(&self, host: &str, port: u16) -> Result<()> {
        let address = self.pick_address(host, &Dns::get_host_addresses(host)?)?;
        self.connect(SocketAddr::new(address, port))
    }

    /// Sends a datagram to the default peer.
    pub fn send(&self, datagram: &[u8]) -> Result<usize> {
        Ok(self.socket.send(datagram)?)
    }

    /// Sends a datagram to the default peer without blocking a thread.
    pub async fn send_async(&self, datagram: &[u8]) -> Result<usize> {
        Ok(self.socket.send_async(datagram).await?)
    }

    /// Sends a datagram to an endpoint.
    pub fn send_to(&self, datagram: &[u8], endpoint: impl Into<EndPoint>) -> Result<usize> {
        Ok(self.socket.send_to(datagram, endpoint)?)
    }

    /// Sends a datagram to an endpoint without blocking a thread.
    pub async fn send_to_async(
        &self,
        datagram: &[u8],
        endpoint: impl Into<EndPoint>,
    ) -> Result<usize> {
        Ok(self.socket.send_to_async(datagram, endpoint).await?)
    }

    /// Resolves `host` and sends a datagram to it.
    pub fn send_to_host(&self, datagram: &[u8], host: &str, port: u16) -> Result<usize> {
        let address = self.pick_address(host, &Dns::get_host_addresses(host)?)?;
        self.send_to(datagram, SocketAddr::new(address, port))
    }

    /// Resolves `host` without blocking a thread and sends a datagram to it.
    pub async fn send_to_host_async(
        &self,
        datagram: &[u8],
        host: &str,
        port: u16,
    ) -> Result<usize> {
        let addresses = Dns::get_host_addresses_async(host).await?;
        let address = self.pick_address(host, &addresses)?;
        self.send_to_async(datagram, SocketAddr::new(address, port))
            .await
    }

    /// Receives one datagram and its sender. A datagram larger than `buf` is
    /// an error (`MessageSize`), never silently cut.
    pub fn receive(&self, buf: &mut [u8]) -> Result<(usize, EndPoint)> {
        Ok(self.socket.receive_from(buf)?)
    }

    /// Receives one datagram without blocking a thread.
    pub async fn receive_async(&self, buf: &mut [u8]) -> Result<(usize, EndPoint)> {
        Ok(self.socket.receive_from_async(buf).await?)
    }

    /// The bound endpoint.
    pub fn local_endpoint(&self) -> Result<EndPoint> {
        Ok(self.socket.local_endpoint()?)
    }

    /// Allows sending to broadcast addresses.
    pub fn set_broadcast(&self, enabled: bool) -> Result<()> {
        Ok(self.socket.set_broadcast(enabled)?)
    }

    /// Whether broadcast is allowed.
    pub fn broadcast(&self) -> Result<bool> {
        Ok(self.socket.broadcast()?)
    }

    /// Joins a multicast group (IPv4 on the default interface, IPv6 on interface 0).
    pub fn join_multicast_group(&self, group: IpAddr) -> Result<()> {
        Ok(self.socket.join_multicast(group)?)
    }

    /// Joins an IPv4 multicast group on the interface with address `interface`.
    pub fn join_multicast_group_v4_on(&self, group: Ipv4Addr, interface: Ipv4Addr) -> Result<()> {
        Ok(self.socket.join_multicast_v4(group, interface)?)
    }

    /// Joins an IPv6 multicast group on the interface with this index.
    pub fn join_multicast_group_v6_on(&self, group: Ipv6Addr, interface_index: u32) -> Result<()> {
        Ok(self.socket.join_multicast_v6(group, interface_index)?)
    }

    /// Leaves a multicast group joined with [`join_multicast_group`](UdpClient::join_multicast_group).
    pub fn drop_multicast_group(&self, group: IpAddr) -> Result<()> {
        Ok(self.socket.leave_multicast(group)?)
    }

    /// Leaves an IPv4 group joined on a given interface.
    pub fn drop_multicast_group_v4_on(&self, group: Ipv4Addr, interface: Ipv4Addr) -> Result<()> {
        Ok(self.socket.leave_multicast_v4(group, interface)?)
    }

    /// Leaves an IPv6 group joined on a given interface.
    pub fn drop_multicast_group_v6_on(&self, group: Ipv6Addr, interface_index: u32) -> Result<()> {
        Ok(self.socket.leave_multicast_v6(group, interface_index)?)
    }

    /// Sets the multicast time-to-live (IPv4) or hop limit (IPv6).
    pub fn set_multicast_ttl(&self, ttl: u32) -> Result<()> {
        Ok(self.socket.set_multicast_ttl(ttl)?)
    }

    /// Sets whether our own multicast datagrams loop back to this host.
    pub fn set_multicast_loopback(&self, enabled: bool) -> Result<()> {
        Ok(self.socket.set_multicast_loopback(enabled)?)
    }

    /// Sends IPv4 multicast out of the interface with this address.
    pub fn set_multicast_interface_v4(&self, interface: Ipv4Addr) -> Result<()> {
        Ok(self.socket.set_multicast_interface_v4(interface)?)
    }

    /// Sends IPv6 multicast out of the interface with this index.
    pub fn set_multicast_interface_v6(&self, interface_index: u32) -> Result<()> {
        Ok(self.socket.set_multicast_interface_v6(interface_index)?)
    }

    /// The socket underneath (for any other option).
    pub fn client(&self) -> &Socket {
        &self.socket
    }

    /// Closes the client; a pending receive ends with `OperationAborted`.
    pub fn close(&self) {
        self.socket.close()
    }

    fn pick_address(&self, host: &str, addresses: &[IpAddr]) -> Result<IpAddr> {
        let dual = self.socket.address_family() == AddressFamily::InterNetworkV6
            && self.socket.dual_mode().unwrap_or(false);
        addresses
            .iter()
            .copied()
            .find(|ip| match ip {
                IpAddr::V4(_) => {
                    self.socket.address_family() == AddressFamily::InterNetwork || dual
                }
                IpAddr::V6(_) => self.socket.address_family() == AddressFamily::InterNetworkV6,
            })
            .ok_or_else(|| Error::NoAddresses {
                host: host.to_string(),
            })
    }
}
