//! What a URL parameter takes: text (`&str`, `String`, `&String`, …) or a
//! parsed [`url::Url`], so a caller passes what it has.

use url::Url;

/// A URL for a request: `&str`, `String`, `&String`, `Url` or `&Url`
/// (anything `AsRef<str>` behind a reference). Text is parsed where the
/// request is built, and a malformed one is that layer's error.
///
/// ```
/// use netstack::protocols::fetch::Fetcher;
/// let url = url::Url::parse("data:,parsed").unwrap();
/// let fetcher = Fetcher::new();
/// assert_eq!(fetcher.download_string(&url).unwrap(), "parsed");
/// assert_eq!(fetcher.download_string("data:,text").unwrap(), "text");
/// assert_eq!(fetcher.download_string(String::from("data:,owned")).unwrap(), "owned");
/// ```
pub trait IntoUrl: sealed::Sealed {
    /// The URL as text.
    #[doc(hidden)]
    fn url_text(&self) -> &str;

    /// The URL parsed, or why the text is not one. A `Url` given by value
    /// is taken as it is, not printed and parsed again.
    #[doc(hidden)]
    fn into_parsed(self) -> Result<Url, String>
    where
        Self: Sized,
    {
        let text = self.url_text();
        Url::parse(text).map_err(|e| format!("URL {text:?}: {e}"))
    }
}

impl<T: AsRef<str> + ?Sized> IntoUrl for &T {
    fn url_text(&self) -> &str {
        (**self).as_ref()
    }
}

impl IntoUrl for String {
    fn url_text(&self) -> &str {
        self
    }
}

impl IntoUrl for Url {
    fn url_text(&self) -> &str {
        self.as_str()
    }

    fn into_parsed(self) -> Result<Url, String> {
        Ok(self)
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T: AsRef<str> + ?Sized> Sealed for &T {}
    impl Sealed for String {}
    impl Sealed for url::Url {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_taken_as_it_is_and_bad_text_says_what_it_was() {
        let url = Url::parse("http://example.com/a?b").unwrap();
        assert_eq!(url.clone().into_parsed().unwrap(), url);
        assert_eq!((&url).into_parsed().unwrap(), url);
        assert_eq!("http://example.com/a?b".into_parsed().unwrap(), url);
        let err = "http://exa mple.com/".into_parsed().unwrap_err();
        assert!(err.starts_with("URL \"http://exa mple.com/\": "), "{err}");
    }
}
