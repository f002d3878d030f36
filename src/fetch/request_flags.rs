//! The flags that shape the request as curl's do: `-A`, `-e`, `--url`,
//! `-G`, `--data-raw`, `--data-urlencode`, `--json` and `-r`, and the URL
//! list they make with the positional URLs.

use clap::Args;
use netstack::protocols::fetch::FetchRequest;

use super::sequence::Sequenced;
use super::{Failure, FetchArgs};

/// The request flags (flattened into `FetchArgs`).
#[derive(Args, Debug)]
pub struct RequestFlags {
    /// Another URL to fetch, after those before it on the command line (repeatable).
    #[arg(long = "url", value_name = "URL", value_parser = Sequenced::parse)]
    pub more_urls: Vec<Sequenced>,
    /// Take `{}` and `[]` in URLs as they are, not as globs.
    #[arg(short = 'g', long = "globoff")]
    pub globoff: bool,
    /// Send this User-Agent (an empty one: send none).
    #[arg(short = 'A', long = "user-agent", value_name = "NAME")]
    pub user_agent: Option<String>,
    /// Send this Referer; `URL;auto` or `;auto` also sends the URL
    /// redirected from on each redirect of -L.
    #[arg(short = 'e', long = "referer", value_name = "URL")]
    pub referer: Option<String>,
    /// Send the -d data in the query string (`?` or `&` after the URL) with GET.
    #[arg(short = 'G', long = "get")]
    pub get: bool,
    /// POST this data as is, a leading `@` included (repeatable, joined by `&`).
    #[arg(long = "data-raw", value_name = "DATA", value_parser = Sequenced::parse)]
    pub data_raw: Vec<Sequenced>,
    /// POST this data percent-encoded: `content`, `=content`, `name=content`,
    /// `@FILE` or `name@FILE` (`@-`: standard input; repeatable, joined by `&`).
    #[arg(long = "data-urlencode", value_name = "DATA", value_parser = Sequenced::parse)]
    pub data_urlencode: Vec<Sequenced>,
    /// POST this JSON (`@FILE`, `@-`: read it) with `Content-Type` and
    /// `Accept: application/json` (repeatable, pieces joined as they are).
    #[arg(long = "json", value_name = "DATA", value_parser = Sequenced::parse)]
    pub json: Vec<Sequenced>,
    /// Ask for these bytes only (`Range: bytes=RANGE`, e.g. `0-99`, `-500`, `100-`; HTTP).
    #[arg(
        short = 'r',
        long = "range",
        value_name = "RANGE",
        allow_hyphen_values = true
    )]
    pub range: Option<String>,
}

/// The URLs to fetch, positional and `--url` in command-line order, each
/// with a scheme (see [`with_scheme`]).
pub fn urls(args: &FetchArgs) -> Vec<String> {
    let mut all: Vec<&Sequenced> = args.urls.iter().chain(&args.request.more_urls).collect();
    all.sort_by_key(|url| url.place);
    all.into_iter().map(|url| with_scheme(&url.value)).collect()
}

/// `url` with curl's guess of a scheme when it has none: `ftp://` for a
/// host starting with `ftp.` (likewise `dict.`, `ldap.`, `imap.`, `smtp.`,
/// `pop3.`), `http://` otherwise. A `data:` URL is kept as it is.
pub fn with_scheme(url: &str) -> String {
    if url.contains("://")
        || url
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("data:"))
    {
        return url.to_string();
    }
    let guessed = ["ftp", "dict", "ldap", "imap", "smtp", "pop3"]
        .into_iter()
        .find(|scheme| {
            url.get(..scheme.len() + 1)
                .is_some_and(|s| s.eq_ignore_ascii_case(&format!("{scheme}.")))
        })
        .unwrap_or("http");
    format!("{guessed}://{url}")
}

/// `url` with `query` appended for `-G` (after `?`, or `&` when it has a query).
pub fn with_query(url: &str, query: &[u8]) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let separator = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{separator}{}", String::from_utf8_lossy(query));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `-e`'s Referer for the first request (none for a bare `;auto`), and
/// whether each redirect sends the URL it came from (`;auto`).
pub fn referer(flags: &RequestFlags) -> (Option<&str>, bool) {
    match flags.referer.as_deref() {
        None => (None, false),
        Some(referer) => match referer.strip_suffix(";auto") {
            Some(first) => (Some(first).filter(|f| !f.is_empty()), true),
            None => (Some(referer), false),
        },
    }
}

/// Adds `-e`'s Referer and `-r`'s Range to `request` (to `url`).
pub fn add_headers(
    flags: &RequestFlags,
    url: &str,
    mut request: FetchRequest,
) -> Result<FetchRequest, Failure> {
    if let (Some(referer), _) = referer(flags) {
        request = request.header("Referer", referer);
    }
    if let Some(range) = &flags.range {
        let http = url
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("http:"))
            || url
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case("https:"));
        if !http {
            return Err(Failure::new(
                2,
                format!("-r is supported for http and https URLs only, not {url}"),
            ));
        }
        request = request.header("Range", &format!("bytes={range}"));
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::{with_query, with_scheme};

    #[test]
    fn schemes_are_guessed_as_curl_does() {
        assert_eq!(with_scheme("127.0.0.1:8080/x"), "http://127.0.0.1:8080/x");
        assert_eq!(
            with_scheme("ftp.example.test/f"),
            "ftp://ftp.example.test/f"
        );
        assert_eq!(with_scheme("https://h/"), "https://h/");
        assert_eq!(with_scheme("data:,hi"), "data:,hi");
        assert_eq!(with_scheme("é"), "http://é");
    }

    #[test]
    fn get_appends_the_query() {
        assert_eq!(with_query("http://h/p", b"a=1"), "http://h/p?a=1");
        assert_eq!(with_query("http://h/p?q", b"a=1"), "http://h/p?q&a=1");
        assert_eq!(with_query("http://h/p#f", b"a=1"), "http://h/p?a=1#f");
    }
}
