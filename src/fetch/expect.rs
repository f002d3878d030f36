//! `Expect: 100-continue` on uploads, as curl sends it: a body over 1 MiB
//! or of unknown length waits for the server's `100 Continue`, so a server
//! that refuses the request does so before the body goes out. An `Expect`
//! given with `-H` decides instead (`-H "Expect:"` turns it off).

use std::time::Duration;

use clap::Args;
use netstack::protocols::fetch::FetcherBuilder;
use netstack::protocols::http::client::Multipart;

use super::headers::HeaderLine;
use super::Failure;

/// Bodies longer than this wait for `100 Continue` (curl's threshold).
const THRESHOLD: u64 = 1024 * 1024;

/// `--expect100-timeout`.
#[derive(Args, Debug)]
pub struct ExpectFlags {
    /// How long an upload waits for the server's `100 Continue` before its
    /// body is sent anyway, in seconds (default 1).
    #[arg(long = "expect100-timeout", value_name = "SECONDS")]
    timeout: Option<f64>,
}

impl ExpectFlags {
    /// Sets the wait on the fetcher.
    pub fn configure(&self, builder: FetcherBuilder) -> Result<FetcherBuilder, Failure> {
        let Some(seconds) = self.timeout else {
            return Ok(builder);
        };
        let wait = Duration::try_from_secs_f64(seconds).map_err(|_| {
            Failure::new(
                2,
                format!("--expect100-timeout {seconds} is not a number of seconds"),
            )
        })?;
        Ok(builder.expect_continue_timeout(wait))
    }
}

/// What a request uploads, for the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upload {
    /// No body.
    None,
    /// A body of this many bytes.
    Known(u64),
    /// A body whose length is not known before it is sent (`-T -`).
    Unknown,
}

/// Whether the body of `upload` waits for `100 Continue`: the `Expect`
/// among `lines` decides when there is one, else curl's rule.
pub fn wanted(upload: Upload, lines: &[HeaderLine]) -> bool {
    // The first `-H` of the name counts, as in curl.
    let given = lines.iter().find(|line| {
        line.name()
            .is_some_and(|n| n.eq_ignore_ascii_case("expect"))
    });
    match (upload, given) {
        (Upload::None, _) => false,
        (_, Some(HeaderLine::Set { value, .. })) => value.eq_ignore_ascii_case("100-continue"),
        (_, Some(_)) => false,
        (Upload::Known(length), None) => length > THRESHOLD,
        (Upload::Unknown, None) => true,
    }
}

/// The upload of a multipart form (`-F`): its length, when its files can
/// be measured now.
pub fn form_upload(form: &Multipart) -> Upload {
    form.content_length().map_or(Upload::Unknown, Upload::Known)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> HeaderLine {
        HeaderLine::parse(text)
    }

    #[test]
    fn large_and_unknown_bodies_wait_and_the_given_expect_decides() {
        assert!(!wanted(Upload::None, &[]));
        assert!(!wanted(Upload::Known(THRESHOLD), &[]));
        assert!(wanted(Upload::Known(THRESHOLD + 1), &[]));
        assert!(wanted(Upload::Unknown, &[]));
        assert!(!wanted(Upload::Unknown, &[line("Expect:")]));
        assert!(!wanted(Upload::Unknown, &[line("expect;")]));
        assert!(wanted(Upload::Known(10), &[line("Expect: 100-Continue")]));
        assert!(!wanted(Upload::None, &[line("Expect: 100-continue")]));
        let lines = [line("Expect:"), line("Expect: 100-continue")];
        assert!(!wanted(Upload::Unknown, &lines));
        assert!(wanted(Upload::Unknown, &[line("X-Other: 1")]));
    }
}
