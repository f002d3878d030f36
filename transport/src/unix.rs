//! Unix domain stream client and listener (paths and Linux abstract names),
//! giving the same [`NetworkStream`] as TCP.

use sockets::{AddressFamily, EndPoint, ProtocolType, SelectMode, Socket, SocketType};

use crate::accepting::accepting_methods;
use crate::error::{Error, Result};
use crate::network_stream::NetworkStream;

fn unix_socket() -> sockets::Result<Socket> {
    Socket::new(
        AddressFamily::Unix,
        SocketType::Stream,
        ProtocolType::Unspecified,
    )
}

fn unix_endpoint(endpoint: EndPoint) -> Result<EndPoint> {
    match endpoint {
        EndPoint::Unix(_) => Ok(endpoint),
        other => Err(Error::InvalidInput(format!(
            "a Unix domain socket needs a Unix endpoint, not {other}"
        ))),
    }
}

/// Connects to a Unix domain stream socket.
///
/// ```
/// use netstack::sockets::EndPoint;
/// use netstack::transport::{UnixClient, UnixListener};
/// let name = EndPoint::unix_abstract(format!("transport-doc-{}", std::process::id()));
/// let listener = UnixListener::bind(name.clone()).unwrap();
/// let client = UnixClient::connect(name).unwrap();
/// let server = listener.accept().unwrap();
/// client.write_all_sync(b"hi").unwrap();
/// let mut buf = [0u8; 2];
/// assert_eq!(server.read_sync(&mut buf).unwrap(), 2);
/// ```
#[derive(Debug)]
pub struct UnixClient;

impl UnixClient {
    /// Connects to `endpoint` (a path or an abstract name).
    pub fn connect(endpoint: impl Into<EndPoint>) -> Result<NetworkStream> {
        let endpoint = unix_endpoint(endpoint.into())?;
        let socket = unix_socket()?;
        socket.connect(endpoint)?;
        Ok(NetworkStream::from_connected(socket))
    }

    /// Connects without blocking a thread.
    pub async fn connect_async(endpoint: impl Into<EndPoint>) -> Result<NetworkStream> {
        let endpoint = unix_endpoint(endpoint.into())?;
        let socket = unix_socket()?;
        socket.connect_async(endpoint).await?;
        Ok(NetworkStream::from_connected(socket))
    }
}

/// Listens on a Unix domain stream socket (bound and listening once created).
#[derive(Debug)]
pub struct UnixListener {
    socket: Socket,
}

impl UnixListener {
    /// Binds `endpoint` and starts listening (backlog 128). A path must not exist yet.
    pub fn bind(endpoint: impl Into<EndPoint>) -> Result<UnixListener> {
        let endpoint = unix_endpoint(endpoint.into())?;
        let socket = unix_socket()?;
        socket.bind(endpoint)?;
        socket.listen(128)?;
        Ok(UnixListener { socket })
    }

    accepting_methods!();
}
