//! The request head the client sends: the caller's fields, the client's
//! defaults for the fields the caller neither set nor omitted, and the
//! body's framing, encoded straight into the bytes to write (no header map
//! is built per request), the names in Title-Case as curl writes them.

use http::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONNECTION,
    CONTENT_LENGTH, COOKIE, EXPECT, HOST, PROXY_AUTHORIZATION, TRANSFER_ENCODING, USER_AGENT,
};
use http::Method;
use url::{Position, Url};

use crate::http::client::auth::{basic_auth_value, percent_decode};
use crate::http::client::body::{Body, BodyKind};
use crate::http::client::request::Prepared;
use crate::http::client::Route;
use crate::http::head::{encode_field_title_case as encode_field, encode_request_line};
use crate::http::{Error, Result};

/// How the request body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// What the client adds to every request.
pub(crate) struct HeadDefaults<'a> {
    pub user_agent: Option<&'a HeaderValue>,
    pub default_headers: &'a HeaderMap,
    pub accept_encoding: bool,
    /// The jar's cookies for this request's URL.
    pub cookies: Option<HeaderValue>,
}

/// `path?query` (origin form, RFC 9112 §3.2.1), as the URL spells it.
pub(crate) fn origin_form(url: &Url) -> &str {
    match &url[Position::BeforePath..Position::AfterQuery] {
        "" => "/",
        target => target,
    }
}

/// The URL without userinfo and fragment (absolute form, for a forward proxy).
pub(crate) fn absolute_form(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    url.to_string()
}

/// The first bytes of an exchange, the same in both modes.
pub(crate) struct Opening {
    /// The request head, followed by the body when it is small bytes that
    /// need not wait for `100 Continue` (one write instead of two).
    pub(crate) bytes: Vec<u8>,
    pub(crate) framing: Framing,
    /// The body still to send, if it was not folded into `bytes`.
    pub(crate) body: Option<Body>,
    /// Whether to wait for `100 Continue` before sending `body`.
    pub(crate) expect_continue: bool,
}

/// Encodes `request`'s head (and a small body) for sending.
pub(crate) fn open_exchange(
    request: &Prepared,
    body: Body,
    defaults: &HeadDefaults<'_>,
    route: &Route,
) -> Result<Opening> {
    let mut bytes = Vec::with_capacity(512);
    let framing = request_head(request, &body, defaults, route, &mut bytes)?;
    let expect_continue = request.expect_continue && !body.is_empty();
    let body = match body.kind {
        BodyKind::Bytes(small) if !expect_continue && small.len() <= 64 * 1024 => {
            bytes.extend_from_slice(&small);
            None
        }
        kind => Some(Body { kind }),
    };
    Ok(Opening {
        bytes,
        framing,
        body,
        expect_continue,
    })
}

/// Encodes the head of `request` (with `body`) and decides the body's
/// framing.
///
/// The fields go out in this order: the caller's, in their order; the
/// client's default headers whose names the caller did not set; then the
/// ones the client makes itself when no field of the name was given and
/// the name is not omitted (`Host`, `User-Agent`, the jar's `Cookie`,
/// `Accept`, `Accept-Encoding`, `Authorization` from the URL's userinfo);
/// then the body's framing, `Expect` and a forward proxy's
/// `Proxy-Authorization`. The framing fields are the client's alone: any
/// the caller gave are dropped (a given `Content-Length` still sizes a
/// body of unknown length).
pub(crate) fn request_head(
    request: &Prepared,
    body: &Body,
    defaults: &HeadDefaults<'_>,
    route: &Route,
    out: &mut Vec<u8>,
) -> Result<Framing> {
    let (method, url, own) = (&request.method, &request.url, &request.headers);
    let extra = defaults.default_headers;
    let omitted = |name: &HeaderName| request.omitted.contains(name);
    let wanted =
        |name: &HeaderName| !own.contains_key(name) && !extra.contains_key(name) && !omitted(name);
    let given = own.iter().chain(
        extra
            .iter()
            .filter(|(name, _)| !own.contains_key(*name) && !omitted(name)),
    );

    let declared = own
        .get(CONTENT_LENGTH)
        .or_else(|| extra.get(CONTENT_LENGTH))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let framing = match body.len().or(declared) {
        Some(0) if body.is_empty() => {
            if matches!(*method, Method::POST | Method::PUT | Method::PATCH) {
                Framing::Length(0)
            } else {
                Framing::None
            }
        }
        Some(n) => Framing::Length(n),
        None => Framing::Chunked,
    };
    let our_expect = request.expect_continue && !body.is_empty();
    // The caller's own `Expect` survives only where the client sends none
    // and was asked to wait for `100 Continue` (of an empty body).
    let keep_given_expect = request.expect_continue && !our_expect;

    let forward = match route {
        Route::Forward(proxy) => Some(proxy),
        _ => None,
    };
    match forward {
        Some(_) => encode_request_line(method, &absolute_form(url), out)?,
        None => encode_request_line(method, origin_form(url), out)?,
    }

    // The jar's cookies go first in the one `Cookie` field sent, before
    // the ones given (curl's order), or in a field of their own when none
    // was given.
    let jar = defaults.cookies.as_ref().filter(|_| !omitted(&COOKIE));
    let mut jar_sent = false;
    for (name, value) in given {
        if *name == CONTENT_LENGTH || *name == TRANSFER_ENCODING {
            continue;
        }
        if *name == EXPECT && !keep_given_expect {
            continue;
        }
        if let Some(jar) = jar.filter(|_| *name == COOKIE) {
            if !jar_sent {
                jar_sent = true;
                let source = if own.contains_key(COOKIE) { own } else { extra };
                let mut all = jar.as_bytes().to_vec();
                for cookies in source.get_all(COOKIE) {
                    all.extend_from_slice(b"; ");
                    all.extend_from_slice(cookies.as_bytes());
                }
                encode_field(&COOKIE, &all, out);
            }
            continue;
        }
        encode_field(name, value.as_bytes(), out);
    }

    if wanted(&HOST) {
        let host = url
            .host_str()
            .ok_or_else(|| Error::InvalidRequest(format!("{url} has no host")))?;
        out.extend_from_slice(b"Host: ");
        out.extend_from_slice(host.as_bytes());
        if let Some(port) = url.port() {
            out.push(b':');
            out.extend_from_slice(itoa::Buffer::new().format(port).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
    if let Some(agent) = defaults.user_agent.filter(|_| wanted(&USER_AGENT)) {
        encode_field(&USER_AGENT, agent.as_bytes(), out);
    }
    if let Some(jar) = jar.filter(|_| !jar_sent) {
        encode_field(&COOKIE, jar.as_bytes(), out);
    }
    if wanted(&ACCEPT) {
        encode_field(&ACCEPT, b"*/*", out);
    }
    if defaults.accept_encoding && wanted(&ACCEPT_ENCODING) {
        encode_field(&ACCEPT_ENCODING, b"gzip, deflate", out);
    }
    if wanted(&AUTHORIZATION) && !url.username().is_empty() {
        let password = url.password().map(percent_decode);
        let value = basic_auth_value(&percent_decode(url.username()), password.as_deref());
        encode_field(&AUTHORIZATION, value.as_bytes(), out);
    }
    match framing {
        Framing::Length(n) => {
            out.extend_from_slice(b"Content-Length: ");
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        Framing::Chunked => encode_field(&TRANSFER_ENCODING, b"chunked", out),
        Framing::None => {}
    }
    if our_expect {
        encode_field(&EXPECT, b"100-continue", out);
    }
    if let Some(auth) = forward.and_then(|proxy| proxy.auth()) {
        if wanted(&PROXY_AUTHORIZATION) {
            encode_field(&PROXY_AUTHORIZATION, auth.as_bytes(), out);
        }
    }
    out.extend_from_slice(b"\r\n");
    Ok(framing)
}

/// The `CONNECT host:port` head that opens a tunnel through a proxy.
pub(crate) fn connect_head(
    host_port: &str,
    auth: Option<&HeaderValue>,
    user_agent: Option<&HeaderValue>,
    out: &mut Vec<u8>,
) -> Result<()> {
    let host = HeaderValue::try_from(host_port)
        .map_err(|e| Error::InvalidRequest(format!("CONNECT target: {e}")))?;
    encode_request_line(&Method::CONNECT, host_port, out)?;
    encode_field(&HOST, host.as_bytes(), out);
    if let Some(agent) = user_agent {
        encode_field(&USER_AGENT, agent.as_bytes(), out);
    }
    if let Some(auth) = auth {
        encode_field(&PROXY_AUTHORIZATION, auth.as_bytes(), out);
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// True for the methods RFC 9110 §9.2.2 calls idempotent (safe to resend).
pub(crate) fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// True when the request itself asked for the connection to close.
pub(crate) fn request_closes(headers: &HeaderMap) -> bool {
    headers.get_all(CONNECTION).iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
    })
}

#[cfg(test)]
mod tests;
