//! The `fetch_scheme` example: a `kv:` scheme of its own behind the URL
//! fetcher, in both modes, with its errors sorted like the built-in ones.

#[path = "../examples/fetch_scheme.rs"]
mod fetch_scheme;

use netstack::protocols::fetch;

#[test]
fn a_custom_scheme_answers_in_both_modes_and_fails_clearly() {
    let port = fetch_scheme::start_kv_server(&[("name", "netstack"), ("empty", "")]).unwrap();
    let fetcher = fetch_scheme::fetcher();
    let url = |key: &str| format!("kv://127.0.0.1:{port}/{key}");
    assert_eq!(fetcher.download_string(url("name")).unwrap(), "netstack");
    assert_eq!(
        netstack::sockets::block_on(fetcher.download_string_async(&url("name"))).unwrap(),
        "netstack"
    );
    assert_eq!(fetcher.download_string(url("empty")).unwrap(), "");
    for err in [
        fetcher.download_string(url("absent")).unwrap_err(),
        netstack::sockets::block_on(fetcher.download_string_async(&url("absent"))).unwrap_err(),
    ] {
        assert_eq!(err.kind(), fetch::ErrorKind::NotFound, "{err}");
        assert!(
            err.to_string().contains("fetch: kv: no key \"absent\""),
            "{err}"
        );
    }
    let err = fetcher.download_string("kv://127.0.0.1/key").unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::InvalidUrl, "{err}");
    // A silent server: the async handler's timer ends the wait.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let err = netstack::sockets::block_on(
        fetcher.download_string_async(&format!("kv://127.0.0.1:{silent_port}/k")),
    )
    .unwrap_err();
    assert_eq!(err.kind(), fetch::ErrorKind::Timeout, "{err}");
    // Built-in schemes are still there.
    assert_eq!(fetcher.download_string("data:,x").unwrap(), "x");
}
