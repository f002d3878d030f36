//! `TcpListener`: accepts TCP connections.

use std::net::Ipv6Addr;

use sockets::{AddressFamily, EndPoint, SelectMode, Socket};

use crate::accepting::accepting_methods;
use crate::address::ip_family;
use crate::error::Result;
use crate::network_stream::NetworkStream;
use crate::tcp_client::tcp_socket;

/// Listens for TCP connections, as .NET's `TcpListener`: bind, then
/// [`start`](TcpListener::start), then accept in either mode.
#[derive(Debug)]
pub struct TcpListener {
    socket: Socket,
}

impl TcpListener {
    /// Creates a listener bound to an IPv4 or IPv6 endpoint (not yet listening).
    pub fn bind(endpoint: impl Into<EndPoint>) -> Result<TcpListener> {
        let endpoint = endpoint.into();
        let family = ip_family(&endpoint, "TcpListener")?;
        let socket = tcp_socket(family)?;
        socket.set_reuse_address(true)?;
        socket.bind(endpoint)?;
        Ok(TcpListener { socket })
    }

    /// Creates a dual-mode listener on `[::]:port` that accepts IPv6 and IPv4 clients.
    pub fn bind_dual_mode(port: u16) -> Result<TcpListener> {
        let socket = tcp_socket(AddressFamily::InterNetworkV6)?;
        socket.set_dual_mode(true)?;
        socket.set_reuse_address(true)?;
        socket.bind((Ipv6Addr::UNSPECIFIED, port))?;
        Ok(TcpListener { socket })
    }

    /// Starts listening with a backlog of pending connections.
    pub fn start(&self, backlog: i32) -> Result<()> {
        Ok(self.socket.listen(backlog)?)
    }

    accepting_methods!();

    /// The socket underneath (for options such as the receive timeout).
    pub fn server(&self) -> &Socket {
        &self.socket
    }
}
