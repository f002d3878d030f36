//! Redirects, decided sans-IO: whether to follow a response, and how the
//! request changes for the next hop (RFC 9110 §15.4).

use http::header::{HeaderMap, HeaderValue, AUTHORIZATION, COOKIE, HOST, LOCATION, REFERER};
use http::{Method, StatusCode};
use url::Url;

use crate::http::client::body::Body;
use crate::http::client::conn::BODY_HEADERS;
use crate::http::client::request::Prepared;
use crate::http::client::Config;
use crate::http::{Error, Result};

/// True when `a` and `b` have the same scheme, host and port.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Rewrites `request` for the redirect that `status` and `headers` ask for
/// and returns true, or returns false when the response is the answer (not
/// a redirect, redirects off, no usable `Location`, or a redirect that
/// keeps the body (307, 308; 301 and 302 of all but `POST`) whose streamed
/// body cannot be sent again). `followed` redirects were followed already.
pub(crate) fn follow(
    config: &Config,
    request: &mut Prepared,
    status: StatusCode,
    headers: &HeaderMap,
    followed: usize,
) -> Result<bool> {
    if !config.follow_redirects {
        return Ok(false);
    }
    let code = status.as_u16();
    if !matches!(code, 301 | 302 | 303 | 307 | 308) {
        return Ok(false);
    }
    let Some(location) = headers.get(LOCATION).and_then(|v| v.to_str().ok()) else {
        return Ok(false);
    };
    let mut next = request
        .url
        .join(location.trim())
        .map_err(|e| Error::InvalidRequest(format!("redirect to {location:?}: {e}")))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Ok(false);
    }
    // A 303 turns any method but HEAD into GET, a 301/302 turns POST into
    // GET (as browsers do); the body goes with the method. A request that
    // keeps its method on redirects (curl's -X) still loses the body.
    let to_get = (code == 303 && request.method != Method::HEAD)
        || (matches!(code, 301 | 302) && request.method == Method::POST);
    if !to_get && !request.replayable() {
        // The body goes on, but was streamed once: the redirect is the answer.
        return Ok(false);
    }
    if followed >= config.max_redirects {
        return Err(Error::TooManyRedirects {
            limit: config.max_redirects,
        });
    }
    if request.url.scheme() == "https" && next.scheme() == "http" && !config.allow_https_downgrade {
        return Err(Error::InvalidRequest(format!(
            "redirect from {} to {next} refused: it downgrades https to http (see ClientBuilder::allow_https_downgrade)",
            request.url
        )));
    }
    if next.fragment().is_none() {
        next.set_fragment(request.url.fragment());
    }
    if to_get {
        if !request.keep_method_on_redirect {
            request.method = Method::GET;
        }
        request.body = Body::empty();
        request.body_spent = false;
        request.expect_continue = false;
        for name in &BODY_HEADERS {
            request.headers.remove(name);
        }
    }
    if !same_origin(&request.url, &next) {
        request.headers.remove(AUTHORIZATION);
        request.headers.remove(COOKIE);
        request.headers.remove(HOST);
    }
    if config.referer_on_redirect {
        request.headers.remove(REFERER);
        if let Some(referer) = referer(&request.url, &next) {
            request.headers.insert(REFERER, referer);
        }
    }
    request.url = next;
    Ok(true)
}

/// The `Referer` of a redirect from `from` to `to`: `from` without its
/// fragment and credentials, and none from `https` to `http`.
fn referer(from: &Url, to: &Url) -> Option<HeaderValue> {
    if from.scheme() == "https" && to.scheme() != "https" {
        return None;
    }
    let mut referer = from.clone();
    referer.set_fragment(None);
    let _ = referer.set_username("");
    let _ = referer.set_password(None);
    HeaderValue::from_str(referer.as_str()).ok()
}
