//! HTTP proxies: configured or from `http_proxy` / `HTTPS_PROXY` /
//! `NO_PROXY`; plain `http://` requests go through them in absolute form,
//! `https://` ones through a `CONNECT` tunnel.

use http::HeaderValue;
use url::Url;

use crate::http::client::auth::basic_auth_value;
use crate::http::{Error, Result};

/// Which request schemes a [`Proxy`] serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Http,
    Https,
    All,
}

/// An HTTP proxy (`http://[user:password@]host[:port]`, port 80 by
/// default… or 3128-style explicit ports), for `http://` requests, for
/// `https://` requests (through `CONNECT`), or both.
///
/// ```
/// use netstack::protocols::http::client::Proxy;
/// let proxy = Proxy::all("http://user:secret@proxy.example:3128")?
///     .no_proxy("localhost, .internal.example");
/// assert!(proxy.applies_to("http", "example.com"));
/// assert!(!proxy.applies_to("https", "api.internal.example"));
/// # Ok::<(), netstack::protocols::http::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Proxy {
    scope: Scope,
    host: String,
    port: u16,
    auth: Option<HeaderValue>,
    no_proxy: NoProxy,
}

impl Proxy {
    /// A proxy for `http://` requests.
    pub fn http(url: &str) -> Result<Proxy> {
        Proxy::new(url, Scope::Http)
    }

    /// A proxy for `https://` requests (a `CONNECT` tunnel).
    pub fn https(url: &str) -> Result<Proxy> {
        Proxy::new(url, Scope::Https)
    }

    /// A proxy for both schemes.
    pub fn all(url: &str) -> Result<Proxy> {
        Proxy::new(url, Scope::All)
    }

    fn new(url: &str, scope: Scope) -> Result<Proxy> {
        // "host:port" without a scheme is common in the environment variables.
        let text = if url.contains("://") {
            url.to_string()
        } else {
            format!("http://{url}")
        };
        let parsed = Url::parse(&text)
            .map_err(|e| Error::InvalidRequest(format!("proxy URL {url:?}: {e}")))?;
        if parsed.scheme() != "http" {
            return Err(Error::InvalidRequest(format!(
                "proxy URL {url:?}: only http:// proxies are supported"
            )));
        }
        let host = super::url_host(&parsed)?;
        let port = parsed.port_or_known_default().unwrap_or(80);
        let auth = if parsed.username().is_empty() {
            None
        } else {
            Some(basic_auth_value(
                &super::auth::percent_decode(parsed.username()),
                parsed
                    .password()
                    .map(super::auth::percent_decode)
                    .as_deref(),
            ))
        };
        Ok(Proxy {
            scope,
            host,
            port,
            auth,
            no_proxy: NoProxy::default(),
        })
    }

    /// Sends `Proxy-Authorization: Basic …` with these credentials
    /// (replacing any from the proxy URL).
    pub fn basic_auth(mut self, user: &str, password: &str) -> Proxy {
        self.auth = Some(basic_auth_value(user, Some(password)));
        self
    }

    /// Hosts that bypass this proxy, in `NO_PROXY` syntax: a comma-separated
    /// list of host names (matching the name and its subdomains; a leading
    /// dot is allowed), IP addresses, or `*` for all.
    pub fn no_proxy(mut self, list: &str) -> Proxy {
        self.no_proxy = NoProxy::parse(list);
        self
    }

    /// True when a request with this scheme to this host goes through the proxy.
    pub fn applies_to(&self, scheme: &str, host: &str) -> bool {
        let scheme_ok = match self.scope {
            Scope::Http => scheme == "http",
            Scope::Https => scheme == "https",
            Scope::All => true,
        };
        scheme_ok && !self.no_proxy.matches(host)
    }

    /// The proxy's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn auth(&self) -> Option<&HeaderValue> {
        self.auth.as_ref()
    }

    /// The proxies described by the environment as curl reads it, through
    /// `lookup`: `http_proxy` (lower case only: a CGI program receives a
    /// request's `Proxy:` header as `HTTP_PROXY`), `https_proxy` or
    /// `HTTPS_PROXY`, `all_proxy` or `ALL_PROXY`, and the hosts that bypass
    /// them in `no_proxy` or `NO_PROXY` (the lower-case name wins). Invalid
    /// values are skipped.
    pub fn from_env_lookup(lookup: impl Fn(&str) -> Option<String>) -> Vec<Proxy> {
        let get = |name: &str| {
            lookup(&name.to_ascii_lowercase())
                .or_else(|| (name != "HTTP_PROXY").then(|| lookup(name)).flatten())
                .filter(|v| !v.trim().is_empty())
        };
        let no_proxy = get("NO_PROXY").unwrap_or_default();
        let mut proxies = Vec::new();
        for (name, scope) in [
            ("HTTP_PROXY", Scope::Http),
            ("HTTPS_PROXY", Scope::Https),
            ("ALL_PROXY", Scope::All),
        ] {
            if let Some(value) = get(name) {
                if let Ok(proxy) = Proxy::new(value.trim(), scope) {
                    proxies.push(proxy.no_proxy(&no_proxy));
                }
            }
        }
        proxies
    }

    /// The proxies the process environment describes (see [`Proxy::from_env_lookup`]).
    pub fn from_env() -> Vec<Proxy> {
        Proxy::from_env_lookup(|name| std::env::var(name).ok())
    }
}

/// A `NO_PROXY` list.
#[derive(Debug, Clone, Default)]
struct NoProxy {
    all: bool,
    entries: Vec<String>,
}

impl NoProxy {
    fn parse(list: &str) -> NoProxy {
        let mut no_proxy = NoProxy::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                no_proxy.all = true;
            } else {
                let entry = entry.trim_start_matches("*.").trim_start_matches('.');
                let entry = entry.trim_start_matches('[').trim_end_matches(']');
                no_proxy.entries.push(entry.to_ascii_lowercase());
            }
        }
        no_proxy
    }

    fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        self.entries.iter().any(|entry| {
            host == *entry
                || (host.len() > entry.len()
                    && host.ends_with(entry.as_str())
                    && host.as_bytes()[host.len() - entry.len() - 1] == b'.')
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_variables_become_proxies() {
        let env = |name: &str| match name {
            "http_proxy" => Some("proxy.test:3128".to_string()),
            "https_proxy" => Some("http://u:p%40ss@secure.test:8080".to_string()),
            "NO_PROXY" => Some("localhost,.corp.test,10.0.0.1".to_string()),
            _ => None,
        };
        let proxies = Proxy::from_env_lookup(env);
        assert_eq!(proxies.len(), 2);
        assert_eq!((proxies[0].host(), proxies[0].port()), ("proxy.test", 3128));
        assert!(proxies[0].applies_to("http", "example.com"));
        assert!(!proxies[0].applies_to("https", "example.com"));
        assert!(!proxies[0].applies_to("http", "localhost"));
        assert!(!proxies[0].applies_to("http", "a.corp.test"));
        assert!(!proxies[0].applies_to("http", "corp.test"));
        assert!(proxies[0].applies_to("http", "xcorp.test"));
        assert!(!proxies[0].applies_to("http", "10.0.0.1"));
        assert_eq!(
            proxies[1].auth().unwrap(),
            &basic_auth_value("u", Some("p@ss"))
        );
        assert!(Proxy::all("socks5://x").is_err());
        let upper_case_http = |name: &str| (name == "HTTP_PROXY").then(|| "p.test:1".to_string());
        assert!(Proxy::from_env_lookup(upper_case_http).is_empty());
        assert!(Proxy::all("http://a").unwrap().no_proxy("*").no_proxy.all);
    }
}
