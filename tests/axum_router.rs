//! The `axum_router` example end to end: an axum Router on netstack's
//! async server, asked by netstack's client.

#[test]
fn an_axum_router_serves_on_netstacks_server() {
    // Every request in the example has a 10 s timeout; it ends by itself.
    let stdout = testkit::run_example("axum_router", &[]);
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(
        lines,
        [
            r#"GET / -> 200 OK "hello from axum, on netstack's server""#,
            r#"GET /users/42 -> 200 OK "user 42""#,
            r#"POST /shout -> 200 OK "NETSTACK SPEAKS TOWER""#,
            r#"GET /missing -> 404 Not Found """#,
        ],
        "{stdout}"
    );
}
