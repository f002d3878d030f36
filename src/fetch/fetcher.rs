//! The fetcher a run of `netstack fetch` uses, made from its flags.

use netstack::protocols::fetch::{Fetcher, FetcherBuilder};
use netstack::protocols::http::client::TraceEvent;
use netstack::transport::tls::{PublicKeyPin, TlsClientConfig};

use super::dump_header::HeadLog;
use super::{cookies, network, request_flags, seconds, verbose, Failure, FetchArgs};

/// The fetcher of a run: redirects, timeouts, TLS, the network flags,
/// `Expect`, cookies, and the trace that `-v` and `-D` read.
pub(super) fn build(
    args: &FetchArgs,
    heads: &HeadLog,
    cookies: &cookies::Cookies,
) -> Result<Fetcher, Failure> {
    let mut builder: FetcherBuilder = Fetcher::builder()
        .follow_redirects(args.location)
        .max_redirects(if args.max_redirs < 0 {
            usize::MAX
        } else {
            args.max_redirs as usize
        })
        .referer_on_redirect(request_flags::referer(&args.request).1)
        .decompress(args.compressed)
        .user_agent(
            args.request
                .user_agent
                .as_deref()
                .unwrap_or(concat!("netstack/", env!("CARGO_PKG_VERSION"))),
        );
    if let Some(s) = args.connect_timeout {
        builder = builder.connect_timeout(Some(seconds(s, "--connect-timeout")?));
    }
    if let Some(s) = args.max_time {
        let limit = seconds(s, "-m")?;
        builder = builder.timeout(Some(limit)).read_timeout(Some(limit));
    }
    if args.insecure
        || args.cacert.is_some()
        || args.cert.is_some()
        || args.pinned_public_key.is_some()
    {
        builder = builder.tls_config(tls_config(args)?);
    }
    builder = network::configure(args, builder)?;
    builder = args.expect.configure(builder)?;
    builder = cookies.configure(builder);
    if args.verbose || args.output_flags.dump_header.is_some() {
        let (verbose, heads) = (args.verbose, heads.clone());
        builder = builder.trace(move |event: &TraceEvent<'_>| {
            if verbose {
                verbose::trace(event);
            }
            heads.record(event);
        });
    }
    Ok(builder.build())
}

fn tls_config(args: &FetchArgs) -> Result<TlsClientConfig, Failure> {
    let mut tls = TlsClientConfig::builder().alpn_protocols(["http/1.1"]);
    if args.insecure {
        tls = tls.dangerous_accept_any_certificate();
    }
    if let Some(cacert) = &args.cacert {
        let pem = std::fs::read(cacert)
            .map_err(|e| Failure::new(77, format!("--cacert {}: {e}", cacert.display())))?;
        tls = tls.system_roots(false).add_root_certificates_pem(pem);
    }
    if let Some(pins) = &args.pinned_public_key {
        let pins = PublicKeyPin::parse_list(pins).map_err(|e| {
            Failure::new(
                2,
                format!("--pinnedpubkey: {e} (a file of the public key is not supported)"),
            )
        })?;
        for pin in pins {
            tls = tls.pin_public_key(pin);
        }
    }
    match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => tls = tls.client_certificate_pem_files(cert, key),
        (Some(cert), None) => tls = tls.client_certificate_pem_files(cert, cert),
        (None, Some(_)) => return Err(Failure::new(2, "--key needs --cert")),
        (None, None) => {}
    }
    tls.build().map_err(|e| Failure::new(58, e.to_string()))
}
