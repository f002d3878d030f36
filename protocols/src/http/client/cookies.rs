//! The client's cookie jar: the cookies servers set (`Set-Cookie`), kept
//! by RFC 6265's storage model and sent back (`Cookie`) to the requests
//! they match; readable from and writable to the Netscape cookie file that
//! curl and browsers' export tools use.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cookie_store::{CookieDomain, CookieExpiration, CookieStore, RawCookie, StoreAction};
use http::header::{HeaderMap, HeaderValue, SET_COOKIE};
use url::Url;

use crate::http::client::request::parse_url;
use crate::http::{Error, Result};

/// A cookie jar (RFC 6265): give it to a client with
/// [`ClientBuilder::cookie_jar`](crate::http::client::ClientBuilder::cookie_jar),
/// and every response's `Set-Cookie` is stored in it and every request
/// carries the cookies that match its URL (domain and path, `Secure` only
/// to `https` and loopback, expired ones dropped). Clones share the cookies.
///
/// There is no public suffix list: a cookie for a bare top-level domain
/// (`Domain=com`) is refused, one for `co.uk` is not.
///
/// ```
/// use netstack::protocols::http::client::CookieJar;
/// let jar = CookieJar::new();
/// assert!(jar.set_cookie("http://example.com/a/b", "sid=42; Path=/a")?);
/// assert!(!jar.set_cookie("http://example.com/", "all=1; Domain=com")?);
/// assert_eq!(jar.header_for("http://example.com/a/c")?.unwrap(), "sid=42");
/// assert_eq!(jar.header_for("http://example.com/other")?, None);
/// # Ok::<(), netstack::protocols::http::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct CookieJar {
    store: Arc<Mutex<CookieStore>>,
}

/// One cookie in a [`CookieJar`], as its Netscape cookie file line says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCookie {
    /// The cookie's name.
    pub name: String,
    /// Its value.
    pub value: String,
    /// The host it was set for (without a leading dot).
    pub domain: String,
    /// Whether it goes to the domain's subdomains too (set with a `Domain` attribute).
    pub include_subdomains: bool,
    /// The path it goes to, and the paths under it.
    pub path: String,
    /// Sent over `https` only (and to loopback hosts).
    pub secure: bool,
    /// Not for scripts; a client sends it like any other.
    pub http_only: bool,
    /// When it expires; `None` for a session cookie.
    pub expires: Option<SystemTime>,
}

/// What starts the lines of a Netscape cookie file that carry `HttpOnly`.
const HTTP_ONLY_PREFIX: &str = "#HttpOnly_";

impl CookieJar {
    /// An empty jar.
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    fn lock(&self) -> MutexGuard<'_, CookieStore> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores what a `Set-Cookie` header value received from `url` sets.
    /// Returns false when the cookie was not kept: malformed, for another
    /// domain or a bare top-level domain, or already expired (which removes
    /// a cookie of that name).
    pub fn set_cookie(&self, url: &str, set_cookie: &str) -> Result<bool> {
        Ok(self.store_one(&parse_url(url)?, set_cookie))
    }

    fn store_one(&self, url: &Url, set_cookie: &str) -> bool {
        let Ok(raw) = RawCookie::parse(set_cookie) else {
            return false;
        };
        if let Some(domain) = raw.domain() {
            let domain = domain.trim_start_matches('.');
            let host = url.host_str().unwrap_or_default();
            if !domain.contains('.') && !domain.eq_ignore_ascii_case(host) {
                return false;
            }
        }
        matches!(
            self.lock().insert_raw(&raw.into_owned(), url),
            Ok(StoreAction::Inserted | StoreAction::UpdatedExisting)
        )
    }

    /// Stores every `Set-Cookie` of a response to `url`.
    pub(crate) fn store_response(&self, url: &Url, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            if let Ok(text) = std::str::from_utf8(value.as_bytes()) {
                self.store_one(url, text);
            }
        }
    }

    /// The `Cookie` header value for a request to `url`, or `None` when no
    /// cookie matches.
    pub fn header_for(&self, url: &str) -> Result<Option<HeaderValue>> {
        Ok(self.header_for_url(&parse_url(url)?))
    }

    /// Longer paths first, then longer domains, then longer names, then the
    /// older cookie: the order curl sends them in (RFC 6265 5.4 asks for the first).
    pub(crate) fn header_for_url(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.lock();
        let mut matched = store.matches(url);
        if matched.is_empty() {
            return None;
        }
        matched.sort_by_key(|c| {
            let domain = c.domain.as_cow().map_or(0, |d| d.len());
            std::cmp::Reverse((c.path.len(), domain, c.name().len()))
        });
        let pairs: Vec<String> = matched
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect();
        HeaderValue::from_str(&pairs.join("; ")).ok()
    }

    /// The unexpired cookies, session cookies included, newest first per
    /// domain and path.
    pub fn cookies(&self) -> Vec<StoredCookie> {
        let store = self.lock();
        let mut all: Vec<StoredCookie> = store
            .iter_unexpired()
            .map(|c| {
                let (domain, include_subdomains) = match &c.domain {
                    CookieDomain::Suffix(d) => (d.clone(), true),
                    CookieDomain::HostOnly(d) => (d.clone(), false),
                    _ => (String::new(), false),
                };
                StoredCookie {
                    name: c.name().to_string(),
                    value: c.value().to_string(),
                    domain,
                    include_subdomains,
                    path: c.path.to_string(),
                    secure: c.secure().unwrap_or(false),
                    http_only: c.http_only().unwrap_or(false),
                    expires: match &c.expires {
                        CookieExpiration::AtUtc(at) => {
                            let seconds = u64::try_from(at.unix_timestamp()).unwrap_or(0);
                            Some(UNIX_EPOCH + Duration::from_secs(seconds))
                        }
                        CookieExpiration::SessionEnd => None,
                    },
                }
            })
            .collect();
        all.reverse();
        all
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Adds the cookies of a Netscape cookie file (`curl -c` writes one):
    /// a line per cookie, seven fields separated by tabs (domain,
    /// include-subdomains `TRUE`/`FALSE`, path, secure `TRUE`/`FALSE`,
    /// expiry in seconds since 1970 with 0 for a session cookie, name,
    /// value), `#` comments, and the `#HttpOnly_` prefix. Expired cookies
    /// are skipped. Returns how many were added; a line that is not such a
    /// cookie is an error naming it.
    pub fn read_netscape(&self, text: &str) -> Result<usize> {
        let mut added = 0;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            let (http_only, line) = match line.strip_prefix(HTTP_ONLY_PREFIX) {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cookie = parse_line(line, http_only).ok_or_else(|| {
                Error::InvalidRequest(format!(
                    "line {} of the cookie file is not a Netscape cookie line \
                     (seven fields separated by tabs)",
                    number + 1
                ))
            })?;
            if cookie.expires.is_some_and(|at| at <= SystemTime::now()) {
                continue;
            }
            if self.insert(&cookie) {
                added += 1;
            }
        }
        Ok(added)
    }

    /// Stores a cookie as a response from its own domain would set it.
    fn insert(&self, cookie: &StoredCookie) -> bool {
        let scheme = if cookie.secure { "https" } else { "http" };
        let Ok(url) = Url::parse(&format!("{scheme}://{}{}", cookie.domain, cookie.path)) else {
            return false;
        };
        let mut line = format!("{}={}; Path={}", cookie.name, cookie.value, cookie.path);
        if cookie.include_subdomains {
            line.push_str(&format!("; Domain={}", cookie.domain));
        }
        if let Some(at) = cookie.expires {
            line.push_str(&format!("; Expires={}", httpdate::fmt_http_date(at)));
        }
        if cookie.secure {
            line.push_str("; Secure");
        }
        if cookie.http_only {
            line.push_str("; HttpOnly");
        }
        self.store_one(&url, &line)
    }

    /// Writes the unexpired cookies, session cookies included, as a
    /// Netscape cookie file (what `curl -c` writes).
    pub fn write_netscape(&self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(
            b"# Netscape HTTP Cookie File\n\
              # https://curl.se/docs/http-cookies.html\n\
              # This file was generated by netstack. Edit at your own risk.\n\n",
        )?;
        for cookie in self.cookies() {
            let expires = cookie
                .expires
                .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            writeln!(
                out,
                "{}{}{}\t{}\t{}\t{}\t{}\t{}\t{}",
                if cookie.http_only {
                    HTTP_ONLY_PREFIX
                } else {
                    ""
                },
                if cookie.include_subdomains { "." } else { "" },
                cookie.domain,
                upper(cookie.include_subdomains),
                cookie.path,
                upper(cookie.secure),
                expires,
                cookie.name,
                cookie.value
            )?;
        }
        Ok(())
    }
}

fn upper(flag: bool) -> &'static str {
    if flag {
        "TRUE"
    } else {
        "FALSE"
    }
}

fn flag(text: &str) -> Option<bool> {
    match text {
        t if t.eq_ignore_ascii_case("TRUE") => Some(true),
        t if t.eq_ignore_ascii_case("FALSE") => Some(false),
        _ => None,
    }
}

/// One cookie line (its `#HttpOnly_` prefix already taken off).
fn parse_line(line: &str, http_only: bool) -> Option<StoredCookie> {
    let fields: Vec<&str> = line.split('\t').collect();
    // A cookie with an empty value may lack the last field.
    let [domain, subdomains, path, secure, expires, name, rest @ ..] = fields.as_slice() else {
        return None;
    };
    let value = match rest {
        [] => "",
        [value] => value,
        _ => return None,
    };
    let include_subdomains = flag(subdomains)?;
    let seconds: u64 = expires.parse().ok()?;
    let domain = domain.trim_start_matches('.');
    if domain.is_empty() || name.is_empty() || !path.starts_with('/') {
        return None;
    }
    Some(StoredCookie {
        name: (*name).to_string(),
        value: value.to_string(),
        domain: domain.to_string(),
        include_subdomains,
        path: (*path).to_string(),
        secure: flag(secure)?,
        http_only,
        expires: (seconds != 0).then(|| UNIX_EPOCH + Duration::from_secs(seconds)),
    })
}

impl fmt::Debug for CookieJar {
    /// Names and domains only: values are often secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cookies = self.cookies();
        f.debug_list()
            .entries(
                cookies
                    .iter()
                    .map(|c| format!("{}@{}{}", c.name, c.domain, c.path)),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests;
