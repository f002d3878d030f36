//! `netstack fetch`'s exit codes: curl's numbers for the same failures.

use netstack::protocols::fetch;

/// The table shown by `netstack fetch --help` and in the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes (curl's numbers for the same failures):
   0  success
   1  unsupported scheme, or an HTTP/0.9 reply (no status line)
   2  other failure (bad option, a scheme handler's error)
   3  malformed URL (also a malformed data: URL)
   6  could not resolve host
   7  could not connect
   8  the server's reply is not valid for its protocol (a broken status line)
  18  partial file: the body ended before its announced length
  22  HTTP error status (400 or more) with -f
  23  write error (the output file or stdout)
  25  upload refused
  26  read error (the file to upload)
  28  timeout (--connect-timeout, -m, or a silent peer)
  33  the server did not resume at the offset -C asked for
  35  TLS handshake failed
  37  a file: URL names a missing or unreadable file
  47  too many redirects (--max-redirs)
  49  a malformed --resolve entry
  52  empty reply: the server closed without a byte
  55  send failure
  56  receive failure (connection reset, a broken chunked body, TLS
      truncated, proxy refused)
  60  server certificate not accepted
  61  bad Content-Encoding
  63  a size limit was exceeded
  65  -T -: standard input was sent already and cannot be read again (a
      retry, a redirect that resends the body, or another URL)
  67  FTP login denied
  78  remote file not found (FTP)
  90  the server's public key is not one pinned with --pinnedpubkey
 100  the response head exceeds the limits";

/// The exit code for a failed fetch of `url`.
pub fn code_for(err: &fetch::Error, uploading: bool) -> u8 {
    match err.kind() {
        fetch::ErrorKind::UnsupportedScheme | fetch::ErrorKind::Http09Reply => 1,
        fetch::ErrorKind::InvalidUrl => 3,
        fetch::ErrorKind::Resolve => 6,
        fetch::ErrorKind::Connect => 7,
        fetch::ErrorKind::BadReply => 8,
        fetch::ErrorKind::PartialBody => 18,
        fetch::ErrorKind::HttpStatus => 22,
        fetch::ErrorKind::UploadFailed => 25,
        fetch::ErrorKind::Timeout => 28,
        fetch::ErrorKind::TlsHandshake => 35,
        fetch::ErrorKind::TooManyRedirects => 47,
        fetch::ErrorKind::EmptyReply => 52,
        fetch::ErrorKind::Send => 55,
        fetch::ErrorKind::Receive | fetch::ErrorKind::Proxy => 56,
        fetch::ErrorKind::Certificate => 60,
        fetch::ErrorKind::BadContentEncoding => 61,
        fetch::ErrorKind::TooLarge => 63,
        fetch::ErrorKind::LoginDenied => 67,
        fetch::ErrorKind::PinnedPublicKey => 90,
        fetch::ErrorKind::NotFound => match err {
            fetch::Error::File { .. } if uploading => 26,
            fetch::Error::File { .. } => 37,
            _ => 78,
        },
        fetch::ErrorKind::Range => 33,
        fetch::ErrorKind::HeadTooLarge => 100,
        fetch::ErrorKind::Io => {
            if uploading {
                26
            } else {
                23
            }
        }
        _ => 2,
    }
}
