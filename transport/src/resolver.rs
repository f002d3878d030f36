//! `Resolver`: how a [`TcpClient`](crate::TcpClient) turns a host name into
//! addresses. Pluggable, so users and tests can supply their own.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;

use sockets::Dns;

use crate::error::Result;

/// A boxed future of resolved addresses.
pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<IpAddr>>> + Send + 'a>>;

/// Resolves host names to addresses, in both modes.
pub trait Resolver: Send + Sync {
    /// Resolves `host`, blocking the calling thread.
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>>;

    /// Resolves `host` without blocking the caller's executor.
    fn resolve_async<'a>(&'a self, host: &'a str) -> ResolveFuture<'a>;
}

/// The system resolver (`getaddrinfo(3)` through [`sockets::Dns`]; the async
/// form runs on netstack's small pool of blocking threads).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>> {
        Ok(Dns::get_host_addresses(host)?)
    }

    fn resolve_async<'a>(&'a self, host: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move { Ok(Dns::get_host_addresses_async(host).await?) })
    }
}

/// A resolver that answers every name with a fixed list of addresses, in
/// order (for tests, and for callers that resolved elsewhere).
///
/// ```
/// use netstack::transport::{Resolver, StaticResolver};
/// let r = StaticResolver::new(vec!["::1".parse().unwrap(), "127.0.0.1".parse().unwrap()]);
/// assert_eq!(r.resolve("anything").unwrap().len(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    addresses: Vec<IpAddr>,
}

impl StaticResolver {
    /// Answers with `addresses`.
    pub fn new(addresses: Vec<IpAddr>) -> StaticResolver {
        StaticResolver { addresses }
    }

    /// Answers with the IPs of `endpoints` (ports are ignored).
    pub fn from_socket_addrs(endpoints: &[SocketAddr]) -> StaticResolver {
        StaticResolver::new(endpoints.iter().map(|e| e.ip()).collect())
    }
}

impl Resolver for StaticResolver {
    fn resolve(&self, _host: &str) -> Result<Vec<IpAddr>> {
        Ok(self.addresses.clone())
    }

    fn resolve_async<'a>(&'a self, _host: &'a str) -> ResolveFuture<'a> {
        let addresses = self.addresses.clone();
        Box::pin(async move { Ok(addresses) })
    }
}
