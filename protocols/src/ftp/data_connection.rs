//! What both clients need to open and read data connections: where they
//! go (the control connection's peer) and how much is read at a time.

use std::net::IpAddr;

use transport::NetworkStream;

use super::error::{FtpError, Result};

/// How much is read from a connection at a time.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// The control connection's peer address (data connections go there).
pub(crate) fn peer_ip(control: &NetworkStream) -> Result<IpAddr> {
    let endpoint = control.remote_endpoint()?;
    endpoint
        .as_ip()
        .map(|address| address.ip())
        .ok_or_else(|| FtpError::InvalidInput(format!("{endpoint} is not an IP endpoint")))
}
