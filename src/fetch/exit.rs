//! `netstack fetch`'s exit codes: curl's numbers for the same failures.

use netstack::protocols::fetch::{FetchError, FetchErrorKind};

/// The table shown by `netstack fetch --help` and in the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes (curl's numbers for the same failures):
   0  success
   1  unsupported scheme
   2  other failure (bad option, a scheme handler's error)
   3  malformed URL (also a malformed data: URL)
   6  could not resolve host
   7  could not connect
   8  the server's reply is not valid for its protocol
  18  partial file: the body ended before its announced length
  22  HTTP error status (400 or more) with -f
  23  write error (the output file or stdout)
  25  upload refused
  26  read error (the file to upload)
  28  timeout (--connect-timeout, -m, or a silent peer)
  35  TLS handshake failed
  37  a file: URL names a missing or unreadable file
  47  too many redirects (--max-redirs)
  55  send failure
  56  receive failure (connection reset, TLS truncated, proxy refused)
  60  server certificate not accepted
  61  bad Content-Encoding
  63  a size limit was exceeded
  67  FTP login denied
  78  remote file not found (FTP)";

/// The exit code for a failed fetch of `url`.
pub fn code_for(err: &FetchError, uploading: bool) -> u8 {
    match err.kind() {
        FetchErrorKind::UnsupportedScheme => 1,
        FetchErrorKind::InvalidUrl => 3,
        FetchErrorKind::Resolve => 6,
        FetchErrorKind::Connect => 7,
        FetchErrorKind::BadReply => 8,
        FetchErrorKind::PartialBody => 18,
        FetchErrorKind::HttpStatus => 22,
        FetchErrorKind::UploadFailed => 25,
        FetchErrorKind::Timeout => 28,
        FetchErrorKind::TlsHandshake => 35,
        FetchErrorKind::TooManyRedirects => 47,
        FetchErrorKind::Send => 55,
        FetchErrorKind::Receive | FetchErrorKind::Proxy => 56,
        FetchErrorKind::Certificate => 60,
        FetchErrorKind::BadContentEncoding => 61,
        FetchErrorKind::TooLarge => 63,
        FetchErrorKind::LoginDenied => 67,
        FetchErrorKind::NotFound => match err {
            FetchError::File { .. } if uploading => 26,
            FetchError::File { .. } => 37,
            _ => 78,
        },
        FetchErrorKind::Io => {
            if uploading {
                26
            } else {
                23
            }
        }
        _ => 2,
    }
}
