//! The `Sec-WebSocket-Extensions` negotiation of permessage-deflate (RFC
//! 7692 §5–7.1): the client's offer, the server's choice among the
//! client's offers, and the client's check of the server's answer.

use http::header::{HeaderMap, HeaderValue};

use super::deflate::Deflate;

/// The `Sec-WebSocket-Extensions` header.
pub(crate) const SEC_EXTENSIONS: &str = "sec-websocket-extensions";

const NAME: &str = "permessage-deflate";
const SERVER_NO_CONTEXT: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT: &str = "client_no_context_takeover";
const SERVER_WINDOW: &str = "server_max_window_bits";
const CLIENT_WINDOW: &str = "client_max_window_bits";

/// One extension in a `Sec-WebSocket-Extensions` list: its name and its
/// parameters (a value without its quotes, when it has one).
struct Offer<'a> {
    name: &'a str,
    params: Vec<(&'a str, Option<&'a str>)>,
}

/// Every extension that the fields `SEC_EXTENSIONS` of `headers` list.
fn offers(headers: &HeaderMap) -> Vec<Offer<'_>> {
    headers
        .get_all(SEC_EXTENSIONS)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let params = parts
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((key, value)) => (key.trim(), Some(value.trim().trim_matches('"'))),
                    None => (p, None),
                })
                .collect();
            Offer { name, params }
        })
        .collect()
}

/// `permessage-deflate` with the parameters (names only) that are on.
fn header(params: [(&str, bool); 2]) -> HeaderValue {
    let mut value = NAME.to_string();
    for (name, _) in params.iter().filter(|(_, on)| *on) {
        value.push_str("; ");
        value.push_str(name);
    }
    HeaderValue::from_str(&value).expect("extension parameters are ASCII")
}

/// A window size parameter's value: 8 to 15.
fn window_bits(value: Option<&str>) -> Option<u8> {
    value?.parse().ok().filter(|bits| (8..=15).contains(bits))
}

/// The client's offer for `settings`. It does not offer
/// `client_max_window_bits`: its window is always 15 bits.
pub(crate) fn offer(settings: &Deflate) -> HeaderValue {
    header([
        (CLIENT_NO_CONTEXT, settings.no_context_takeover),
        (SERVER_NO_CONTEXT, settings.peer_no_context_takeover),
    ])
}

/// The server's choice: the first of the client's permessage-deflate
/// offers it can take, with `settings` for what it asks of its own, and
/// the answer's field. An offer is declined when a parameter is unknown,
/// repeated or out of range, or when it limits the server's window below
/// 15 bits.
pub(crate) fn accept(headers: &HeaderMap, settings: &Deflate) -> Option<(Deflate, HeaderValue)> {
    offers(headers)
        .into_iter()
        .filter(|offer| offer.name.eq_ignore_ascii_case(NAME))
        .find_map(|offer| {
            let mut agreed = *settings;
            let mut seen = Vec::new();
            for (key, value) in &offer.params {
                if seen.contains(key) {
                    return None;
                }
                seen.push(*key);
                match (*key, *value) {
                    (SERVER_NO_CONTEXT, None) => agreed.no_context_takeover = true,
                    (CLIENT_NO_CONTEXT, None) => agreed.peer_no_context_takeover = true,
                    (SERVER_WINDOW, bits) if window_bits(bits) == Some(15) => {}
                    (CLIENT_WINDOW, None) => {}
                    (CLIENT_WINDOW, bits) if window_bits(bits).is_some() => {}
                    _ => return None,
                }
            }
            let answer = header([
                (SERVER_NO_CONTEXT, agreed.no_context_takeover),
                (CLIENT_NO_CONTEXT, agreed.peer_no_context_takeover),
            ]);
            Some((agreed, answer))
        })
}

/// The client's check of the server's answer to an offer of `offered`
/// (`None`: nothing was offered): what was agreed, or why the answer is
/// refused.
pub(crate) fn agreed(
    headers: &HeaderMap,
    offered: Option<&Deflate>,
) -> Result<Option<Deflate>, String> {
    let answers = offers(headers);
    let Some(answer) = answers.first() else {
        return Ok(None);
    };
    let Some(offered) = offered.filter(|_| answer.name.eq_ignore_ascii_case(NAME)) else {
        return Err(format!(
            "it answered with the extension {:?}, which was not offered",
            answer.name
        ));
    };
    if answers.len() > 1 {
        return Err("it answered with more than one extension".into());
    }
    let mut agreed = *offered;
    let mut seen = Vec::new();
    for (key, value) in &answer.params {
        if seen.contains(key) {
            return Err(format!("its permessage-deflate repeats {key}"));
        }
        seen.push(*key);
        match (*key, *value) {
            (SERVER_NO_CONTEXT, None) => agreed.peer_no_context_takeover = true,
            (CLIENT_NO_CONTEXT, None) => agreed.no_context_takeover = true,
            // Any server window inflates with this side's 15 bits.
            (SERVER_WINDOW, bits) if window_bits(bits).is_some() => {}
            _ => {
                return Err(format!(
                "its permessage-deflate has the parameter {key}{}, which this client cannot take",
                value.map(|v| format!("={v}")).unwrap_or_default()
            ))
            }
        }
    }
    Ok(Some(agreed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SEC_EXTENSIONS, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn a_server_takes_the_first_offer_it_can_keep() {
        let ours = Deflate::default();
        // A browser's offer.
        let (agreed, answer) = accept(
            &headers("permessage-deflate; client_max_window_bits"),
            &ours,
        )
        .unwrap();
        assert_eq!(agreed, ours);
        assert_eq!(answer, "permessage-deflate");
        // A smaller server window is declined; the next offer is taken.
        let (agreed, answer) = accept(
            &headers(
                "permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover; server_max_window_bits=\"15\"",
            ),
            &ours.no_context_takeover(true),
        )
        .unwrap();
        assert!(agreed.no_context_takeover && agreed.peer_no_context_takeover);
        assert_eq!(
            answer,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        );
        for declined in [
            "x-webkit-deflate-frame",
            "permessage-deflate; server_max_window_bits=9",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; unknown",
            "permessage-deflate; server_no_context_takeover=1",
        ] {
            assert!(accept(&headers(declined), &ours).is_none(), "{declined}");
        }
        assert!(accept(&HeaderMap::new(), &ours).is_none());
    }

    #[test]
    fn a_client_checks_the_answer_against_its_offer() {
        let ours = Deflate::default();
        assert_eq!(offer(&ours), "permessage-deflate");
        assert_eq!(
            offer(
                &ours
                    .no_context_takeover(true)
                    .peer_no_context_takeover(true)
            ),
            "permessage-deflate; client_no_context_takeover; server_no_context_takeover"
        );
        assert_eq!(agreed(&HeaderMap::new(), Some(&ours)), Ok(None));
        let agreed_with = |value| agreed(&headers(value), Some(&ours));
        let both = agreed_with(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12",
        )
        .unwrap()
        .unwrap();
        assert!(both.no_context_takeover && both.peer_no_context_takeover);
        for refused in [
            "permessage-deflate; client_max_window_bits=10",
            "permessage-deflate, permessage-deflate",
            "permessage-deflate; server_max_window_bits=7",
            "x-other",
        ] {
            assert!(agreed_with(refused).is_err(), "{refused}");
        }
        assert!(agreed(&headers("permessage-deflate"), None)
            .unwrap_err()
            .contains("not offered"));
    }
}
