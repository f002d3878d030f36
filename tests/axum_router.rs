//! The `axum_router` example end to end: an axum Router on netstack's
//! async server, asked by netstack's client.

use std::process::Command;

#[test]
fn an_axum_router_serves_on_netstacks_server() {
    let example = testkit::example_program("axum_router");
    // Every request in the example has a 10 s timeout; it ends by itself.
    let output = Command::new(&example).output().expect("run axum_router");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
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
