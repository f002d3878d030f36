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
}

mod sealed {
    pub trait Sealed {}
    impl<T: AsRef<str> + ?Sized> Sealed for &T {}
    impl Sealed for String {}
    impl Sealed for url::Url {}
}
