//! `-b/--cookie` and `-c/--cookie-jar`: cookies sent and kept as curl does,
//! with the library's cookie jar and its Netscape cookie file.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use netstack::protocols::fetch::{FetchRequest, FetcherBuilder};
use netstack::protocols::http::client::CookieJar;

use super::Failure;

/// The cookie flags.
#[derive(Args, Debug, Default)]
pub struct CookieFlags {
    /// Send cookies: `NAME=VALUE[; NAME2=VALUE2]` as given, to every
    /// request; or, without `=`, a Netscape cookie file to read (a missing
    /// one is no error), which turns the cookie engine on: cookies that
    /// servers set are kept and sent on (after redirects too). Repeatable.
    #[arg(short = 'b', long = "cookie", value_name = "DATA|FILE")]
    cookie: Vec<String>,
    /// After the transfers, write every cookie kept (session cookies too)
    /// to FILE as a Netscape cookie file (`-`: stdout); turns the cookie
    /// engine on.
    #[arg(short = 'c', long = "cookie-jar", value_name = "FILE")]
    cookie_jar: Option<PathBuf>,
}

/// The cookies of one run.
pub struct Cookies {
    jar: Option<CookieJar>,
    literal: Option<String>,
    save_to: Option<PathBuf>,
}

impl Cookies {
    /// Reads the cookie files given with `-b`.
    pub fn load(flags: &CookieFlags) -> Result<Cookies, Failure> {
        let mut jar = flags.cookie_jar.as_ref().map(|_| CookieJar::new());
        let mut literal = Vec::new();
        for given in &flags.cookie {
            if given.contains('=') {
                literal.push(given.trim().trim_end_matches(';'));
                continue;
            }
            let jar = jar.get_or_insert_with(CookieJar::new);
            let text = match std::fs::read(given) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(Failure::new(
                        26,
                        format!("cannot read the cookie file {given}: {e}"),
                    ))
                }
            };
            jar.read_netscape(&text)
                .map_err(|e| Failure::new(26, format!("-b {given}: {e}")))?;
        }
        Ok(Cookies {
            jar,
            literal: (!literal.is_empty()).then(|| literal.join("; ")),
            save_to: flags.cookie_jar.clone(),
        })
    }

    /// Gives the fetcher the jar, when the cookie engine is on.
    pub fn configure(&self, builder: FetcherBuilder) -> FetcherBuilder {
        match &self.jar {
            Some(jar) => builder.cookie_jar(jar.clone()),
            None => builder,
        }
    }

    /// Adds `-b`'s cookies given as text, unless `-H` sets a `Cookie` header.
    pub fn add_header(&self, named: &dyn Fn(&str) -> bool, request: FetchRequest) -> FetchRequest {
        match &self.literal {
            Some(cookies) if !named("Cookie") => request.header("Cookie", cookies),
            _ => request,
        }
    }

    /// Writes `-c`'s file; a failure is a warning, as in curl, and does not
    /// change the exit code.
    pub fn save(&self, silent: bool) {
        let (Some(jar), Some(path)) = (&self.jar, &self.save_to) else {
            return;
        };
        let written = if path.as_os_str() == "-" {
            let mut out = std::io::stdout().lock();
            jar.write_netscape(&mut out).and_then(|()| out.flush())
        } else {
            std::fs::File::create(path).and_then(|mut file| jar.write_netscape(&mut file))
        };
        if let Err(e) = written {
            if !silent {
                eprintln!(
                    "netstack fetch: warning: the cookies could not be saved in {}: {e}.",
                    path.display()
                );
            }
        }
    }
}
