//! [`FtpUrl`]: what an `ftp://` URL (RFC 1738 §3.2) asks for — server,
//! login and path — checked so that a URL cannot inject commands.

use url::{Host, Url};

use super::conversations::ANONYMOUS_PASSWORD;
use super::error::{Error, Result};

/// The parts of an `ftp://user:password@host:port/path;type=X` URL, decoded.
///
/// ```
/// use netstack::protocols::ftp::FtpUrl;
/// let url = url::Url::parse("ftp://alice:s%40cret@[::1]:2121/pub/a%20b.txt;type=i")?;
/// let ftp = FtpUrl::parse(&url)?;
/// assert_eq!((ftp.host.as_str(), ftp.port), ("::1", 2121));
/// assert_eq!(ftp.user.as_deref(), Some("alice"));
/// assert_eq!(ftp.password.as_deref(), Some("s@cret"));
/// assert_eq!(ftp.path, "pub/a b.txt");
/// assert_eq!(ftp.typecode, Some('i'));
/// assert!(!ftp.is_directory());
/// // A percent-encoded line end would inject a command: refused.
/// let evil = url::Url::parse("ftp://h/f%0D%0ADELE%20x")?;
/// assert!(FtpUrl::parse(&evil).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpUrl {
    /// The host: a name, or an IP address without brackets.
    pub host: String,
    /// The port (21 unless given).
    pub port: u16,
    /// The user name; `None`: log in anonymously.
    pub user: Option<String>,
    /// The password, if the URL has one.
    pub password: Option<String>,
    /// The path relative to the login directory (RFC 1738: the URL's path
    /// without its first `/`; `%2F` at its start makes it absolute),
    /// percent-decoded; a trailing `/` marks a directory.
    pub path: String,
    /// The `;type=` code: `a` (ASCII), `i` (binary) or `d` (a name listing).
    pub typecode: Option<char>,
}

impl FtpUrl {
    /// The default FTP port.
    pub const DEFAULT_PORT: u16 = 21;

    /// Reads an `ftp:` URL. Other schemes are [`Error::UnsupportedUrl`];
    /// a decoded CR, LF or NUL anywhere, or an unknown `;type=`, is
    /// [`Error::InvalidInput`].
    pub fn parse(url: &Url) -> Result<FtpUrl> {
        if url.scheme() != "ftp" {
            return Err(Error::UnsupportedUrl(format!(
                "{url}: the scheme is {:?}, not \"ftp\"",
                url.scheme()
            )));
        }
        let host = match url.host() {
            Some(Host::Domain(name)) if !name.is_empty() => name.to_string(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(Error::UnsupportedUrl(format!("{url}: no host"))),
        };
        let user = match url.username() {
            "" => None,
            name => Some(decode("user name", name)?),
        };
        let password = url.password().map(|p| decode("password", p)).transpose()?;
        let raw = url.path().strip_prefix('/').unwrap_or(url.path());
        let (raw, typecode) = match raw.rsplit_once(";type=") {
            Some((path, code)) => {
                let code = match code {
                    "a" | "A" => 'a',
                    "i" | "I" => 'i',
                    "d" | "D" => 'd',
                    other => {
                        return Err(Error::InvalidInput(format!(
                            "{url}: unknown ;type={other} (a, i or d)"
                        )))
                    }
                };
                (path, Some(code))
            }
            None => (raw, None),
        };
        Ok(FtpUrl {
            host,
            port: url.port().unwrap_or(FtpUrl::DEFAULT_PORT),
            user,
            password,
            path: decode("path", raw)?,
            typecode,
        })
    }

    /// The user and password to log in with: the URL's, or anonymous.
    pub fn credentials(&self) -> (&str, &str) {
        match &self.user {
            Some(user) => (user, self.password.as_deref().unwrap_or("")),
            None => ("anonymous", ANONYMOUS_PASSWORD),
        }
    }

    /// The `TYPE` argument: `A` for `;type=a`, else `I` (binary).
    pub fn transfer_type(&self) -> &'static str {
        if self.typecode == Some('a') {
            "A"
        } else {
            "I"
        }
    }

    /// True when the URL names a directory (a trailing `/`, an empty path, or `;type=d`).
    pub fn is_directory(&self) -> bool {
        self.path.is_empty() || self.path.ends_with('/') || self.typecode == Some('d')
    }
}

/// Percent-decodes `text`, refusing what would end a command line.
fn decode(what: &str, text: &str) -> Result<String> {
    let decoded = percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned();
    if decoded.contains(['\r', '\n', '\0']) {
        return Err(Error::InvalidInput(format!(
            "the URL's {what} contains a CR, LF or NUL, which would inject a command"
        )));
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<FtpUrl> {
        FtpUrl::parse(&Url::parse(text).unwrap())
    }

    #[test]
    fn parts() {
        let u = parse("ftp://example.com/").unwrap();
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, 21);
        assert_eq!(u.user, None);
        assert_eq!(u.path, "");
        assert!(u.is_directory());
        let u = parse("ftp://127.0.0.1:2121/%2Fetc/motd").unwrap();
        assert_eq!(u.path, "/etc/motd");
        assert_eq!(u.port, 2121);
        let u = parse("ftp://bob@h/dir/").unwrap();
        assert_eq!(
            (u.user.as_deref(), u.password.as_deref()),
            (Some("bob"), None)
        );
        assert!(u.is_directory());
        assert_eq!(parse("ftp://h/d;type=d").unwrap().typecode, Some('d'));
        assert!(parse("ftp://h/d;type=d").unwrap().is_directory());
    }

    #[test]
    fn refused() {
        assert!(matches!(parse("http://h/"), Err(Error::UnsupportedUrl(_))));
        assert!(matches!(
            parse("ftp://h/f;type=x"),
            Err(Error::InvalidInput(_))
        ));
        for evil in [
            "ftp://h/f%0d%0aDELE%20x",
            "ftp://h/f%0A",
            "ftp://u%0D%0AQUIT@h/",
            "ftp://u:p%0a@h/",
            "ftp://h/a%00b",
        ] {
            assert!(matches!(parse(evil), Err(Error::InvalidInput(_))), "{evil}");
        }
    }
}
