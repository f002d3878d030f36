//! [`DnsClient`] as the transport layer's [`Resolver`]: connections (the
//! HTTP client, the URL fetcher, `TcpClient`) can ask a DNS server of their
//! choosing instead of the system's resolver, as `curl --dns-servers` does.
//!
//! ```no_run
//! use netstack::protocols::dns::DnsClient;
//! use netstack::protocols::http::client::Client;
//!
//! let client = Client::builder()
//!     .resolver(DnsClient::new(([127, 0, 0, 53], 53)))
//!     .build();
//! # let _ = client;
//! ```

use sockets::SocketError;
use transport::{ResolveFuture, Resolver};

use super::{DnsClient, Error};

impl Resolver for DnsClient {
    fn resolve(&self, host: &str) -> transport::Result<Vec<std::net::IpAddr>> {
        self.lookup_ip(host)
            .map_err(|e| self.lookup_failed(host, e))
    }

    fn resolve_async<'a>(&'a self, host: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            self.lookup_ip_async(host)
                .await
                .map_err(|e| self.lookup_failed(host, e))
        })
    }
}

impl DnsClient {
    /// A failed lookup in the terms of the system resolver's failures, so
    /// that the layers above sort it the same way (a name that does not
    /// exist is `HostNotFound`, a server that does not answer `TryAgain`),
    /// with the DNS layer's own sentence as the detail.
    fn lookup_failed(&self, host: &str, error: Error) -> transport::Error {
        let kind = match &error {
            Error::NameError { .. } => SocketError::HostNotFound,
            Error::Timeout { .. } | Error::ServerFailure { .. } | Error::Transport(_) => {
                SocketError::TryAgain
            }
            _ => SocketError::NoRecovery,
        };
        let operation = format!("resolve {host} through {}", self.server());
        transport::Error::Socket(
            sockets::Error::new(kind, operation).with_detail(error.to_string()),
        )
    }
}
