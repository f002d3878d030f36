use super::*;

fn header(jar: &CookieJar, url: &str) -> Option<String> {
    jar.header_for(url)
        .unwrap()
        .map(|v| v.to_str().unwrap().to_string())
}

#[test]
fn domain_and_path_decide_where_a_cookie_goes() {
    let jar = CookieJar::new();
    assert!(jar.set_cookie("http://a.example.com/", "host=1").unwrap());
    assert!(jar
        .set_cookie("http://a.example.com/", "wide=2; Domain=.example.com")
        .unwrap());
    assert!(jar
        .set_cookie("http://a.example.com/", "deep=3; Path=/docs")
        .unwrap());
    assert_eq!(
        header(&jar, "http://a.example.com/docs/x").as_deref(),
        Some("deep=3; host=1; wide=2")
    );
    assert_eq!(
        header(&jar, "http://b.example.com/").as_deref(),
        Some("wide=2")
    );
    assert_eq!(header(&jar, "http://example.org/"), None);
    // /docsx is not under /docs.
    assert_eq!(
        header(&jar, "http://a.example.com/docsx").as_deref(),
        Some("host=1; wide=2")
    );
}

#[test]
fn cookies_for_another_domain_or_a_bare_top_level_domain_are_refused() {
    let jar = CookieJar::new();
    assert!(!jar
        .set_cookie("http://a.example.com/", "x=1; Domain=other.com")
        .unwrap());
    assert!(!jar
        .set_cookie("http://a.example.com/", "x=1; Domain=com")
        .unwrap());
    assert!(!jar
        .set_cookie("http://a.example.com/", "x=1; Domain=.com")
        .unwrap());
    // A single-label host may name itself.
    assert!(jar
        .set_cookie("http://localhost/", "x=1; Domain=localhost")
        .unwrap());
    assert!(!jar
        .set_cookie("http://a.example.com/", "no equals sign")
        .unwrap());
    assert_eq!(header(&jar, "http://a.example.com/"), None);
}

#[test]
fn secure_cookies_go_to_https_only_and_expired_ones_are_removed() {
    let jar = CookieJar::new();
    jar.set_cookie("https://example.com/", "s=1; Secure")
        .unwrap();
    jar.set_cookie("https://example.com/", "plain=2").unwrap();
    assert_eq!(
        header(&jar, "http://example.com/").as_deref(),
        Some("plain=2")
    );
    assert_eq!(
        header(&jar, "https://example.com/").as_deref(),
        Some("plain=2; s=1")
    );
    // A server removes a cookie by expiring it.
    assert!(!jar
        .set_cookie("https://example.com/", "plain=gone; Max-Age=0")
        .unwrap());
    assert_eq!(header(&jar, "https://example.com/").as_deref(), Some("s=1"));
}

#[test]
fn a_netscape_file_round_trips() {
    let jar = CookieJar::new();
    let in_a_year = SystemTime::now() + Duration::from_secs(365 * 86_400);
    let year = in_a_year.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let file = format!(
        "# Netscape HTTP Cookie File\n\
         \n\
         .example.com\tTRUE\t/\tFALSE\t{year}\twide\t1\n\
         #HttpOnly_example.com\tFALSE\t/app\tTRUE\t0\tsid\tabc\n\
         example.com\tFALSE\t/\tFALSE\t1\told\tgone\n\
         example.com\tFALSE\t/\tFALSE\t0\tempty\n"
    );
    assert_eq!(
        jar.read_netscape(&file).unwrap(),
        3,
        "the expired one is skipped"
    );
    assert_eq!(
        header(&jar, "https://www.example.com/").as_deref(),
        Some("wide=1")
    );
    assert_eq!(
        header(&jar, "https://example.com/app").as_deref(),
        Some("sid=abc; empty=; wide=1")
    );
    let mut written = Vec::new();
    jar.write_netscape(&mut written).unwrap();
    let written = String::from_utf8(written).unwrap();
    assert!(
        written.starts_with("# Netscape HTTP Cookie File\n"),
        "{written}"
    );
    assert!(
        written.contains(&format!(".example.com\tTRUE\t/\tFALSE\t{year}\twide\t1\n")),
        "{written}"
    );
    assert!(
        written.contains("#HttpOnly_example.com\tFALSE\t/app\tTRUE\t0\tsid\tabc\n"),
        "{written}"
    );
    let again = CookieJar::new();
    assert_eq!(again.read_netscape(&written).unwrap(), 3);
    assert_eq!(again.cookies().len(), 3);
}

#[test]
fn a_line_that_is_not_a_cookie_is_an_error_naming_it() {
    let jar = CookieJar::new();
    let err = jar
        .read_netscape("# comment\nexample.com\tMAYBE\t/\tFALSE\t0\tn\tv\n")
        .unwrap_err();
    assert!(
        err.to_string().contains("line 2 of the cookie file"),
        "{err}"
    );
    assert!(jar.read_netscape("just some words\n").is_err());
    assert!(jar.cookies().is_empty());
}

#[test]
fn every_set_cookie_of_a_response_is_stored() {
    let jar = CookieJar::new();
    let mut headers = HeaderMap::new();
    headers.append(SET_COOKIE, HeaderValue::from_static("a=1"));
    headers.append(SET_COOKIE, HeaderValue::from_static("b=2; Path=/"));
    let url = Url::parse("http://example.com/x/y").unwrap();
    jar.store_response(&url, &headers);
    assert_eq!(header(&jar, "http://example.com/").as_deref(), Some("b=2"));
    assert_eq!(
        header(&jar, "http://example.com/x/z").as_deref(),
        Some("a=1; b=2")
    );
    assert_eq!(
        format!("{jar:?}"),
        r#"["b@example.com/", "a@example.com/x"]"#
    );
}
