//! The `line_chat` example end to end: its demo mode runs an async chat
//! server on loopback with three scripted clients and prints the transcript.

#[test]
fn the_line_chat_demo_relays_nicknamed_lines_to_everyone_else() {
    // The demo bounds itself (20 s) and exits on its own.
    let stdout = testkit::run_example("line_chat", &[]);
    let lines: Vec<&str> = stdout.lines().collect();
    let position = |wanted: &str| {
        lines
            .iter()
            .position(|l| *l == wanted)
            .unwrap_or_else(|| panic!("missing {wanted:?} in:\n{stdout}"))
    };
    assert!(
        lines[0].starts_with("chat server on 127.0.0.1:"),
        "{stdout}"
    );
    // Nicknames: greeting, who is online, a taken name refused.
    position("alice < * hello alice; online: nobody else");
    position("bob < * hello bob; online: alice");
    position("carol < * alice is taken; try again");
    position("carol < * hello carol; online: alice, bob");
    // Joins are announced to the others.
    assert!(position("alice < * bob joined") > position("bob > bob"));
    position("bob < * carol joined");
    // Broadcast: everyone else gets the line, the sender does not.
    let said = position("alice > hi everyone");
    assert!(position("bob < <alice> hi everyone") > said);
    assert!(position("carol < <alice> hi everyone") > said);
    assert!(!stdout.contains("alice < <alice>"), "{stdout}");
    position("alice < <bob> hi alice!");
    position("carol < <bob> hi alice!");
    // An over-long line is answered with the framing error; the session goes on.
    assert!(
        stdout.contains("carol < * error: framing: line too long: "),
        "{stdout}"
    );
    position("alice < <carol> sorry, that was long");
    position("bob < <carol> sorry, that was long");
    // Leaving: a farewell, the end of the stream, and a notice to the others.
    position("carol < * bye");
    position("carol < (end of stream)");
    position("alice < * carol left");
    position("bob < * alice left");
    position("bob < (end of stream)");
    assert_eq!(lines.last(), Some(&"demo finished"), "{stdout}");
}
