//! Where the connections go, as curl decides it: `-4` / `-6`, `--resolve`,
//! `-x` and the proxies of the environment (`http_proxy`, `https_proxy`,
//! `all_proxy`, `no_proxy`, each but `http_proxy` in upper case too),
//! `--noproxy`. All of it through the fetcher's own settings.

use std::net::IpAddr;

use clap::Args;
use netstack::protocols::fetch::FetcherBuilder;
use netstack::protocols::http::client::{IpVersion, Proxy};

use super::{Failure, FetchArgs};

/// The network flags (flattened into `FetchArgs`).
#[derive(Args, Debug)]
pub struct NetworkFlags {
    /// Connect over IPv4 only.
    #[arg(short = '4', long = "ipv4", overrides_with = "ipv6")]
    pub ipv4: bool,
    /// Connect over IPv6 only.
    #[arg(short = '6', long = "ipv6", overrides_with = "ipv4")]
    pub ipv6: bool,
    /// Connect to ADDR (a comma-separated list) for HOST:PORT, keeping HOST
    /// for the Host header and TLS (`*` as HOST: any host; HTTP and HTTPS; repeatable).
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Hosts that bypass the proxy, comma-separated (`*`: all), instead of
    /// `no_proxy` from the environment.
    #[arg(long = "noproxy", value_name = "LIST")]
    pub noproxy: Option<String>,
}

/// `builder` with the IP version, the `--resolve` entries and the proxies.
pub fn configure(args: &FetchArgs, mut builder: FetcherBuilder) -> Result<FetcherBuilder, Failure> {
    let flags = &args.network;
    let version = match (flags.ipv4, flags.ipv6) {
        (true, _) => Some(IpVersion::V4),
        (_, true) => Some(IpVersion::V6),
        _ => None,
    };
    builder = builder.ip_version(version);
    for entry in &flags.resolve {
        let (host, port, addresses) = parse_resolve(entry)?;
        builder = builder.resolve_override(&host, port, addresses);
    }
    for proxy in proxies(args, |name| std::env::var(name).ok())? {
        builder = builder.proxy(proxy);
    }
    Ok(builder)
}

/// `[+]HOST:PORT:ADDR[,ADDR]…`, an IPv6 address in brackets or not.
fn parse_resolve(entry: &str) -> Result<(String, u16, Vec<IpAddr>), Failure> {
    let bad = |why: &str| Failure::new(49, format!("--resolve {entry:?}: {why}"));
    if entry.starts_with('-') {
        return Err(bad("removing an entry is not supported"));
    }
    let text = entry.strip_prefix('+').unwrap_or(entry);
    let (host, rest) = text
        .split_once(':')
        .ok_or_else(|| bad("expected HOST:PORT:ADDR"))?;
    let (port, list) = rest
        .split_once(':')
        .ok_or_else(|| bad("expected HOST:PORT:ADDR"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| bad("the port is not a number from 0 to 65535"))?;
    if host.is_empty() {
        return Err(bad("the host is empty"));
    }
    let addresses = list
        .split(',')
        .map(|a| {
            let a = a.trim();
            let a = a
                .strip_prefix('[')
                .and_then(|a| a.strip_suffix(']'))
                .unwrap_or(a);
            a.parse::<IpAddr>()
                .map_err(|_| bad(&format!("{a:?} is not an IP address")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((host.to_string(), port, addresses))
}

/// The proxies: `-x` (none for `-x ""`) or the environment's, read
/// through `env`; `--noproxy` replaces `no_proxy` for either.
fn proxies(args: &FetchArgs, env: impl Fn(&str) -> Option<String>) -> Result<Vec<Proxy>, Failure> {
    let no_proxy = match &args.network.noproxy {
        Some(list) => list.clone(),
        None => env("no_proxy")
            .or_else(|| env("NO_PROXY"))
            .unwrap_or_default(),
    };
    match args.proxy.as_deref() {
        Some("") => Ok(Vec::new()),
        Some(text) => {
            let url = if text.contains("://") {
                text.to_string()
            } else {
                format!("http://{text}")
            };
            let proxy =
                Proxy::all(&url).map_err(|e| Failure::new(5, format!("proxy {url}: {e}")))?;
            Ok(vec![proxy.no_proxy(&no_proxy)])
        }
        None => Ok(Proxy::from_env_lookup(|name| {
            if name.eq_ignore_ascii_case("no_proxy") {
                Some(no_proxy.clone())
            } else {
                env(name)
            }
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_resolve;

    #[test]
    fn resolve_entries_parse_as_curl_writes_them() {
        let (host, port, addresses) = parse_resolve("example.test:443:127.0.0.1,[::1]").unwrap();
        assert_eq!((host.as_str(), port), ("example.test", 443));
        assert_eq!(
            addresses,
            [
                "127.0.0.1".parse::<std::net::IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert!(parse_resolve("+h:80:::1").is_ok());
        for bad in [
            "h:80",
            "h:x:1.2.3.4",
            ":80:1.2.3.4",
            "h:80:nope",
            "-h:80",
            "h:99999:1.1.1.1",
        ] {
            let failure = parse_resolve(bad).unwrap_err();
            assert_eq!(failure.code, 49, "{bad}");
        }
    }
}
