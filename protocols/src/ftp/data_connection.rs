//! What both clients need to open and read data connections: where they
//! go (the control connection's peer), their timeouts, and how much is
//! read at a time.

use std::net::IpAddr;

use sockets::Shutdown;
use transport::{NetworkStream, TcpClient};

use super::error::{Error, Result};
use super::options::FtpOptions;

/// How much is read from a connection at a time.
pub(crate) const READ_CHUNK: usize = 64 * 1024;

/// The control connection's peer address (data connections go there).
pub(crate) fn peer_ip(control: &NetworkStream) -> Result<IpAddr> {
    let endpoint = control.remote_endpoint()?;
    endpoint
        .as_ip()
        .map(|address| address.ip())
        .ok_or_else(|| Error::InvalidInput(format!("{endpoint} is not an IP endpoint")))
}

/// A data connection just opened (or not), with the session's timeouts set.
pub(crate) fn prepare(
    connected: transport::Result<TcpClient>,
    options: &FtpOptions,
) -> Result<NetworkStream> {
    let data = connected
        .map_err(|e| Error::transport(e, "the data connection"))?
        .into_stream();
    data.set_read_timeout(options.read_timeout)?;
    data.set_write_timeout(options.write_timeout)?;
    Ok(data)
}

/// The open data connection a data step needs.
pub(crate) fn present(data: &Option<NetworkStream>) -> Result<&NetworkStream> {
    data.as_ref().ok_or_else(missing)
}

/// The data connection a transfer's opening made.
pub(crate) fn opened(data: Option<NetworkStream>) -> Result<NetworkStream> {
    data.ok_or_else(missing)
}

/// Ends an upload: shuts the data connection's sending side (the server
/// sees the end of the file) and drops it.
pub(crate) fn close(data: &mut Option<NetworkStream>) {
    if let Some(data) = data.take() {
        let _ = data.shutdown(Shutdown::Send);
    }
}

fn missing() -> Error {
    Error::Protocol("internal: no data connection is open".into())
}
