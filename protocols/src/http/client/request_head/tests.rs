use super::*;

fn prepared(url: &str) -> Prepared {
    Prepared::new(Method::GET, Url::parse(url).unwrap())
}

fn defaults(default_headers: &HeaderMap) -> HeadDefaults<'_> {
    HeadDefaults {
        user_agent: None,
        default_headers,
        accept_encoding: false,
        cookies: None,
    }
}

/// The head's field lines, in order (the request line left out).
fn fields(request: &Prepared, body: &Body, defaults: &HeadDefaults<'_>) -> Vec<String> {
    let mut out = Vec::new();
    request_head(request, body, defaults, &Route::Direct, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with("\r\n\r\n"), "{text:?}");
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn the_callers_fields_come_first_then_the_defaults_then_the_clients_own() {
    let mut request = prepared("http://example.com:8080/a?b=c");
    request
        .headers
        .append("x-one", HeaderValue::from_static("1"));
    request
        .headers
        .append(ACCEPT, HeaderValue::from_static("text/plain"));
    let mut extra = HeaderMap::new();
    extra.append("x-default", HeaderValue::from_static("d"));
    extra.append("x-one", HeaderValue::from_static("not sent"));
    assert_eq!(
        fields(&request, &Body::empty(), &defaults(&extra)),
        [
            "X-One: 1",
            "Accept: text/plain",
            "X-Default: d",
            "Host: example.com:8080"
        ]
    );
}

#[test]
fn the_framing_is_the_clients_and_a_given_length_sizes_an_unknown_body() {
    let mut request = prepared("http://example.com/");
    request.method = Method::POST;
    request
        .headers
        .append(TRANSFER_ENCODING, HeaderValue::from_static("gzip"));
    request
        .headers
        .append(CONTENT_LENGTH, HeaderValue::from_static("5"));
    let extra = HeaderMap::new();
    let body = Body::from_reader(std::io::empty());
    assert_eq!(
        fields(&request, &body, &defaults(&extra)),
        ["Host: example.com", "Accept: */*", "Content-Length: 5"]
    );
}

#[test]
fn omitted_names_get_no_default_and_expect_follows_the_request() {
    let mut request = prepared("http://user:pw@example.com/");
    request.omit(HOST).unwrap();
    request.expect_continue = true;
    request
        .headers
        .append(EXPECT, HeaderValue::from_static("caller's"));
    let extra = HeaderMap::new();
    let mut defaults = defaults(&extra);
    let agent = HeaderValue::from_static("netstack/test");
    defaults.user_agent = Some(&agent);
    // An empty body: the caller's Expect stays, the client adds none.
    assert_eq!(
        fields(&request, &Body::empty(), &defaults),
        [
            "Expect: caller's",
            "User-Agent: netstack/test",
            "Accept: */*",
            "Authorization: Basic dXNlcjpwdw=="
        ]
    );
    // A body: the client's own Expect replaces it.
    let body = Body::from(b"hello".to_vec());
    let sent = fields(&request, &body, &defaults);
    assert!(
        sent.contains(&"Expect: 100-continue".to_string()),
        "{sent:?}"
    );
    assert!(!sent.iter().any(|f| f.contains("caller's")), "{sent:?}");
}

#[test]
fn the_jars_cookies_and_every_given_cookie_go_in_one_field() {
    let mut request = prepared("http://example.com/");
    request
        .headers
        .append(COOKIE, HeaderValue::from_static("a=1"));
    request
        .headers
        .append("x-between", HeaderValue::from_static("x"));
    request
        .headers
        .append(COOKIE, HeaderValue::from_static("b=2"));
    let extra = HeaderMap::new();
    let mut with_jar = defaults(&extra);
    with_jar.cookies = Some(HeaderValue::from_static("jar=0"));
    let sent = fields(&request, &Body::empty(), &with_jar);
    assert_eq!(
        sent.iter().filter(|f| f.starts_with("Cookie:")).count(),
        1,
        "{sent:?}"
    );
    assert!(
        sent.contains(&"Cookie: jar=0; a=1; b=2".to_string()),
        "{sent:?}"
    );

    // No cookie given: the jar's go in a field of their own.
    let sent = fields(&prepared("http://example.com/"), &Body::empty(), &with_jar);
    assert_eq!(sent, ["Host: example.com", "Cookie: jar=0", "Accept: */*"]);
}
