//! Without the `cookies` feature no jar can be made: the client's
//! `Option<CookieJar>` is always `None`, and the steps that would use one
//! compile to nothing.

use http::header::{HeaderMap, HeaderValue};
use url::Url;

/// A jar that cannot exist (the `cookies` feature is off).
#[derive(Debug, Clone)]
pub(crate) enum CookieJar {}

impl CookieJar {
    pub(crate) fn store_response(&self, _: &Url, _: &HeaderMap) {
        match *self {}
    }

    pub(crate) fn header_for_url(&self, _: &Url) -> Option<HeaderValue> {
        match *self {}
    }
}
