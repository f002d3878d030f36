//! The `multicast` example end to end: join, receive, leave, on loopback.

#[test]
fn the_multicast_example_joins_receives_and_leaves() {
    // Every wait in the example is bounded (5 s, then 200 ms).
    let stdout = testkit::run_example("multicast", &[]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("receiver joined 239.255.42.99 on 127.0.0.1"));
    for (n, line) in (1..=3).zip(&lines[1..4]) {
        assert!(
            line.starts_with(&format!(
                "received \"datagram {n} to the group\" from 127.0.0.1:"
            )),
            "{stdout}"
        );
    }
    assert_eq!(lines[4], "receiver left 239.255.42.99");
    assert_eq!(
        lines[5],
        "nothing arrives after leaving: the group is no longer ours"
    );
}
