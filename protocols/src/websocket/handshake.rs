//! The opening handshake (RFC 6455 §4): the client's key and upgrade
//! request fields, and the checks of the server's `101` answer.

use http::header::{HeaderMap, HeaderName, HeaderValue, CONNECTION, UPGRADE};
use http::StatusCode;
use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY};
use url::Url;

use super::error::Error;
use super::random;
use crate::http::client::auth::base64;

const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Key` header.
pub(crate) const SEC_KEY: &str = "sec-websocket-key";
/// The `Sec-WebSocket-Accept` header.
pub(crate) const SEC_ACCEPT: &str = "sec-websocket-accept";
/// The `Sec-WebSocket-Protocol` header.
pub(crate) const SEC_PROTOCOL: &str = "sec-websocket-protocol";
/// The `Sec-WebSocket-Version` header.
pub(crate) const SEC_VERSION: &str = "sec-websocket-version";

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64.
pub(crate) fn client_key() -> String {
    let mut nonce = [0u8; 16];
    random::fill(&mut nonce);
    base64(&nonce)
}

/// The `Sec-WebSocket-Accept` value that proves a server read `key`.
pub(crate) fn accept_key(key: &str) -> String {
    let mut input = key.as_bytes().to_vec();
    input.extend_from_slice(GUID.as_bytes());
    base64(digest(&SHA1_FOR_LEGACY_USE_ONLY, &input).as_ref())
}

/// The HTTP URL of a `ws://` or `wss://` URL (the same with `http`/`https`).
pub(crate) fn http_url(url: &Url) -> Result<Url, Error> {
    let scheme = match url.scheme() {
        "ws" => "http",
        "wss" => "https",
        other => {
            return Err(Error::InvalidUrl(format!(
                "a WebSocket URL starts with ws:// or wss://, not {other}://"
            )))
        }
    };
    if url.fragment().is_some() {
        return Err(Error::InvalidUrl(
            "a WebSocket URL has no fragment (#…)".to_string(),
        ));
    }
    let rest = &url.as_str()[url.scheme().len()..];
    Url::parse(&format!("{scheme}{rest}")).map_err(|e| Error::InvalidUrl(e.to_string()))
}

/// True when a field `name` lists `token` (comma-separated, any case).
pub(crate) fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

/// The request's header fields that ask for the upgrade.
pub(crate) fn request_headers(key: &str, protocols: &[String]) -> Result<HeaderMap, Error> {
    let mut headers = HeaderMap::new();
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(SEC_VERSION, HeaderValue::from_static("13"));
    headers.insert(
        SEC_KEY,
        HeaderValue::from_str(key).expect("base64 is a valid header value"),
    );
    if !protocols.is_empty() {
        let list = protocols.join(", ");
        let value = HeaderValue::from_str(&list).map_err(|_| {
            Error::InvalidUrl(format!(
                "the subprotocol list {list:?} is not a valid header value"
            ))
        })?;
        headers.insert(SEC_PROTOCOL, value);
    }
    Ok(headers)
}

/// Checks the server's answer to a request made with `key` and offering
/// `protocols`; returns the subprotocol it chose.
pub(crate) fn check_response(
    status: StatusCode,
    headers: &HeaderMap,
    key: &str,
    protocols: &[String],
) -> Result<Option<String>, Error> {
    if status != StatusCode::SWITCHING_PROTOCOLS {
        return Err(Error::Handshake(format!(
            "it answered {status} where 101 Switching Protocols was expected"
        )));
    }
    if !has_token(headers, UPGRADE, "websocket") {
        return Err(Error::Handshake(
            "its Upgrade header is not websocket".into(),
        ));
    }
    if !has_token(headers, CONNECTION, "upgrade") {
        return Err(Error::Handshake(
            "its Connection header is not Upgrade".into(),
        ));
    }
    let accept = headers.get(SEC_ACCEPT).and_then(|v| v.to_str().ok());
    if accept.map(str::trim) != Some(accept_key(key).as_str()) {
        return Err(Error::Handshake(
            "its Sec-WebSocket-Accept does not answer the key sent".into(),
        ));
    }
    let chosen = match headers.get(SEC_PROTOCOL) {
        None => None,
        Some(value) => {
            let chosen = value.to_str().unwrap_or_default().trim().to_string();
            if !protocols.contains(&chosen) {
                return Err(Error::Handshake(format!(
                    "it chose the subprotocol {chosen:?}, which was not offered"
                )));
            }
            Some(chosen)
        }
    };
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfcs_example_key_is_answered() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        assert_eq!(client_key().len(), 24);
        assert_ne!(client_key(), client_key());
    }

    #[test]
    fn ws_urls_become_http_urls() {
        let url = |s| http_url(&Url::parse(s).unwrap());
        assert_eq!(url("ws://h:9/a?b").unwrap().as_str(), "http://h:9/a?b");
        assert_eq!(url("wss://h/").unwrap().as_str(), "https://h/");
        assert!(matches!(url("http://h/"), Err(Error::InvalidUrl(_))));
        assert!(matches!(url("ws://h/#x"), Err(Error::InvalidUrl(_))));
    }

    #[test]
    fn a_wrong_answer_is_refused_with_its_reason() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let mut headers = HeaderMap::new();
        headers.insert(UPGRADE, HeaderValue::from_static("WebSocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("keep-alive, Upgrade"));
        headers.insert(
            SEC_ACCEPT,
            HeaderValue::from_static("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        );
        let offered = ["chat".to_string()];
        assert_eq!(
            check_response(StatusCode::SWITCHING_PROTOCOLS, &headers, key, &offered).unwrap(),
            None
        );
        headers.insert(SEC_PROTOCOL, HeaderValue::from_static("chat"));
        assert_eq!(
            check_response(StatusCode::SWITCHING_PROTOCOLS, &headers, key, &offered).unwrap(),
            Some("chat".into())
        );
        let refused = |status, headers: &HeaderMap| match check_response(status, headers, key, &[])
        {
            Err(Error::Handshake(why)) => why,
            other => panic!("{other:?}"),
        };
        assert!(refused(StatusCode::OK, &headers).contains("200 OK"));
        assert!(refused(StatusCode::SWITCHING_PROTOCOLS, &headers).contains("not offered"));
        headers.insert(SEC_ACCEPT, HeaderValue::from_static("wrong"));
        assert!(refused(StatusCode::SWITCHING_PROTOCOLS, &headers).contains("Accept"));
    }
}
