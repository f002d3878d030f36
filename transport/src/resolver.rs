//! `Resolver`: how a [`TcpClient`](crate::TcpClient) turns a host name into
//! addresses. Pluggable, so users and tests can supply their own.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
///
/// `localhost` and the names under it (`app.localhost`) are the loopback
/// addresses of both versions, IPv4 first, answered without asking the
/// system, as RFC 6761 asks and curl does: a system whose hosts file names
/// only `127.0.0.1` still reaches `[::1]` for `localhost` over IPv6.
///
/// ```
/// use netstack::transport::{Resolver, SystemResolver};
/// let addresses = SystemResolver.resolve("App.Localhost.").unwrap();
/// assert_eq!(addresses, ["127.0.0.1".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn resolve(&self, host: &str) -> Result<Vec<IpAddr>> {
        if let Some(loopback) = localhost(host) {
            return Ok(loopback);
        }
        Ok(Dns::get_host_addresses(host)?)
    }

    fn resolve_async<'a>(&'a self, host: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            if let Some(loopback) = localhost(host) {
                return Ok(loopback);
            }
            Ok(Dns::get_host_addresses_async(host).await?)
        })
    }
}

/// The loopback addresses, for a localhost name (RFC 6761, section 6.3).
fn localhost(host: &str) -> Option<Vec<IpAddr>> {
    let name = host.strip_suffix('.').unwrap_or(host);
    let last_label = name.rsplit('.').next()?;
    last_label.eq_ignore_ascii_case("localhost").then(|| {
        vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
    })
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

#[cfg(test)]
mod tests {
    use super::localhost;

    #[test]
    fn localhost_names_are_the_loopback_addresses_and_no_others_are() {
        for name in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "app.localhost",
            "a.b.Localhost.",
        ] {
            assert_eq!(localhost(name).map(|a| a.len()), Some(2), "{name}");
        }
        for name in [
            "localhost.example",
            "notlocalhost",
            "localhostx",
            "",
            ".",
            "ĺocalhost",
        ] {
            assert_eq!(localhost(name), None, "{name}");
        }
    }
}
