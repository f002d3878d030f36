//! `Dns`: name resolution through the system resolver (`getaddrinfo(3)`).

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ptr;

use crate::error::{Error, Result, SocketError};

/// Name resolution, as .NET's `System.Net.Dns`.
///
/// ```
/// use netstack::sockets::Dns;
/// let addresses = Dns::get_host_addresses("127.0.0.1").unwrap();
/// assert_eq!(addresses, vec![std::net::IpAddr::from([127, 0, 0, 1])]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Dns;

impl Dns {
    /// Resolves a host name (or an address literal) to its addresses, in the
    /// order the system resolver prefers (RFC 6724), without duplicates.
    ///
    /// An unknown name fails with [`SocketError::HostNotFound`]; a temporary
    /// resolver failure with [`SocketError::TryAgain`].
    pub fn get_host_addresses(host: &str) -> Result<Vec<IpAddr>> {
        let operation = || format!("resolve {host}");
        if let Some(ip) = literal_address(host) {
            return Ok(vec![ip]);
        }
        if host.is_empty() {
            return Err(Error::new(SocketError::HostNotFound, operation())
                .with_detail("the host name is empty"));
        }
        let c_host = CString::new(host).map_err(|_| {
            Error::new(SocketError::InvalidArgument, operation())
                .with_detail("the host name contains a NUL byte")
        })?;
        // SAFETY: an all-zero addrinfo is a valid "no hints" value; we then set fields.
        let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        let mut list: *mut libc::addrinfo = ptr::null_mut();
        // SAFETY: valid NUL-terminated host, null service, valid hints and out pointer.
        let rc = unsafe { libc::getaddrinfo(c_host.as_ptr(), ptr::null(), &hints, &mut list) };
        if rc != 0 {
            return Err(addrinfo_error(rc, operation()));
        }
        let mut addresses = Vec::new();
        let mut entry = list;
        while !entry.is_null() {
            // SAFETY: `entry` is a node of the list getaddrinfo returned, not yet freed.
            let info = unsafe { &*entry };
            if let Some(ip) = ip_of(info) {
                if !addresses.contains(&ip) {
                    addresses.push(ip);
                }
            }
            entry = info.ai_next;
        }
        // SAFETY: `list` came from a successful getaddrinfo and is freed once.
        unsafe { libc::freeaddrinfo(list) };
        if addresses.is_empty() {
            return Err(Error::new(SocketError::NoData, operation()));
        }
        Ok(addresses)
    }

    /// Resolves a host name without blocking the caller's executor: the
    /// system resolver runs on netstack's pool of at most
    /// [`MAX_BLOCKING_THREADS`](crate::MAX_BLOCKING_THREADS) (4) blocking
    /// threads; further lookups queue. Address literals resolve at once.
    pub async fn get_host_addresses_async(host: &str) -> Result<Vec<IpAddr>> {
        if let Some(ip) = literal_address(host) {
            return Ok(vec![ip]);
        }
        let host = host.to_string();
        crate::blocking::spawn_blocking(move || Dns::get_host_addresses(&host)).await
    }

    /// The name of this machine (`gethostname(2)`).
    pub fn get_host_name() -> Result<String> {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it
        // (we also keep the last byte zero).
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len() - 1) };
        if rc != 0 {
            return Err(Error::from_io(
                &std::io::Error::last_os_error(),
                "gethostname",
            ));
        }
        let name = CStr::from_bytes_until_nul(&buf)
            .map_err(|_| Error::new(SocketError::SocketError, "gethostname"))?;
        Ok(name.to_string_lossy().into_owned())
    }
}

/// An address literal (`127.0.0.1`, `::1`, `[::1]`) needs no resolver.
fn literal_address(host: &str) -> Option<IpAddr> {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse()
        .ok()
}

fn ip_of(info: &libc::addrinfo) -> Option<IpAddr> {
    if info.ai_addr.is_null() {
        return None;
    }
    match info.ai_family {
        libc::AF_INET => {
            // SAFETY: for AF_INET, ai_addr points to a sockaddr_in.
            let sin = unsafe { &*(info.ai_addr as *const libc::sockaddr_in) };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                sin.sin_addr.s_addr,
            ))))
        }
        libc::AF_INET6 => {
            // SAFETY: for AF_INET6, ai_addr points to a sockaddr_in6.
            let sin6 = unsafe { &*(info.ai_addr as *const libc::sockaddr_in6) };
            Some(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

fn addrinfo_error(rc: libc::c_int, operation: String) -> Error {
    let kind = match rc {
        libc::EAI_NONAME => SocketError::HostNotFound,
        libc::EAI_AGAIN => SocketError::TryAgain,
        libc::EAI_FAIL => SocketError::NoRecovery,
        libc::EAI_NODATA => SocketError::NoData,
        libc::EAI_MEMORY => SocketError::NoBufferSpaceAvailable,
        libc::EAI_SYSTEM => {
            return Error::from_io(&std::io::Error::last_os_error(), operation);
        }
        _ => SocketError::SocketError,
    };
    // SAFETY: gai_strerror returns a pointer to a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) };
    Error::new(kind, operation).with_detail(format!(
        "{} (getaddrinfo code {rc})",
        text.to_string_lossy()
    ))
}
