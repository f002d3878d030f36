//! Where a connection's addresses come from besides the resolver: fixed
//! addresses for a host and port ([`ClientBuilder::resolve_override`], curl's
//! `--resolve`) and the IP version to keep ([`ClientBuilder::ip_version`],
//! curl's `-4` / `-6`).
//!
//! [`ClientBuilder::resolve_override`]: super::ClientBuilder::resolve_override
//! [`ClientBuilder::ip_version`]: super::ClientBuilder::ip_version

use std::net::IpAddr;

use crate::http::{Error, Result};

/// The IP version a client connects over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpVersion {
    /// IPv4 addresses only (curl's `-4`).
    V4,
    /// IPv6 addresses only (curl's `-6`).
    V6,
}

impl IpVersion {
    fn admits(self, address: &IpAddr) -> bool {
        match self {
            IpVersion::V4 => address.is_ipv4(),
            IpVersion::V6 => address.is_ipv6(),
        }
    }
}

/// Fixed addresses for connections to one host and port.
#[derive(Debug, Clone)]
pub(crate) struct ResolveOverride {
    /// The host name in lower case, or `*` for every host.
    host: String,
    port: u16,
    addresses: Vec<IpAddr>,
}

/// The overrides and the IP version of a client.
#[derive(Debug, Clone, Default)]
pub(crate) struct Addressing {
    overrides: Vec<ResolveOverride>,
    pub ip_version: Option<IpVersion>,
}

impl Addressing {
    /// Connections to `host:port` go to `addresses` (`*` as the host: any host).
    pub fn add_override(&mut self, host: &str, port: u16, addresses: Vec<IpAddr>) {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        self.overrides.retain(|o| o.host != host || o.port != port);
        self.overrides.push(ResolveOverride {
            host,
            port,
            addresses,
        });
    }

    /// The fixed addresses for `host:port`, if any (an exact host before `*`).
    pub fn overridden(&self, host: &str, port: u16) -> Option<Vec<IpAddr>> {
        let exact = self
            .overrides
            .iter()
            .find(|o| o.port == port && o.host.eq_ignore_ascii_case(host));
        exact
            .or_else(|| {
                self.overrides
                    .iter()
                    .find(|o| o.port == port && o.host == "*")
            })
            .map(|o| o.addresses.clone())
    }

    /// `addresses` of the IP version asked for. None left is an error: a
    /// name without such an address did not resolve; an IP literal of the
    /// other version cannot be connected to.
    pub fn keep_version(
        &self,
        host: &str,
        port: u16,
        mut addresses: Vec<IpAddr>,
    ) -> Result<Vec<IpAddr>> {
        let Some(version) = self.ip_version else {
            return Ok(addresses);
        };
        addresses.retain(|a| version.admits(a));
        if !addresses.is_empty() {
            return Ok(addresses);
        }
        Err(Error::Transport(if host.parse::<IpAddr>().is_ok() {
            transport::Error::ConnectFailed {
                host: host.to_string(),
                port,
                attempts: Vec::new(),
            }
        } else {
            transport::Error::NoAddresses {
                host: host.to_string(),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn overrides_match_host_and_port_and_the_wildcard_comes_last() {
        let mut addressing = Addressing::default();
        addressing.add_override("*", 80, vec![ip("10.0.0.9")]);
        addressing.add_override("Example.TEST", 80, vec![ip("127.0.0.2")]);
        addressing.add_override("[::1]", 443, vec![ip("::1")]);
        assert_eq!(
            addressing.overridden("example.test", 80),
            Some(vec![ip("127.0.0.2")])
        );
        assert_eq!(
            addressing.overridden("other.test", 80),
            Some(vec![ip("10.0.0.9")])
        );
        assert_eq!(addressing.overridden("example.test", 8080), None);
        assert_eq!(addressing.overridden("::1", 443), Some(vec![ip("::1")]));
    }

    #[test]
    fn the_ip_version_filters_and_an_empty_result_is_the_right_error() {
        let mut addressing = Addressing {
            ip_version: Some(IpVersion::V4),
            ..Addressing::default()
        };
        let both = vec![ip("::1"), ip("127.0.0.1")];
        assert_eq!(
            addressing.keep_version("h", 80, both.clone()).unwrap(),
            vec![ip("127.0.0.1")]
        );
        let by_name = addressing.keep_version("h", 80, vec![ip("::1")]);
        assert!(matches!(
            by_name,
            Err(Error::Transport(transport::Error::NoAddresses { .. }))
        ));
        let literal = addressing.keep_version("::1", 80, vec![ip("::1")]);
        assert!(matches!(
            literal,
            Err(Error::Transport(transport::Error::ConnectFailed { .. }))
        ));
        addressing.ip_version = None;
        assert_eq!(
            addressing.keep_version("h", 80, both.clone()).unwrap(),
            both
        );
    }
}
