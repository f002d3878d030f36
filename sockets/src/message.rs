//! `receive_message_from`: a datagram with its sender, its destination address,
//! the interface it arrived on and its TTL or hop limit (`recvmsg(2)` with
//! `IP_PKTINFO` and `IP_RECVTTL`, or their IPv6 forms).

use std::io;
use std::mem;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;

use socket2::SockAddr;

use crate::endpoint::EndPoint;
use crate::error::Result;
use crate::flags::SocketFlags;
use crate::kind::AddressFamily;
use crate::socket::Socket;
use crate::wait::SelectMode;

/// Where a datagram was delivered: the destination address it was sent to and
/// the index of the interface it arrived on (.NET's `IPPacketInformation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacketInformation {
    /// The datagram's destination address (useful on a socket bound to a wildcard address).
    pub address: IpAddr,
    /// The receiving interface's index.
    pub interface: u32,
}

/// What [`Socket::receive_message_from`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedMessage {
    /// Bytes written into the buffer.
    pub bytes: usize,
    /// Reported flags: [`SocketFlags::TRUNCATED`] when the datagram was cut.
    pub flags: SocketFlags,
    /// The sender.
    pub remote: EndPoint,
    /// The destination address and interface, for IP sockets.
    pub packet_info: Option<PacketInformation>,
    /// The TTL (IPv4) or hop limit (IPv6) the datagram arrived with, for
    /// IP sockets (netstack's addition: .NET does not report it).
    pub hop_limit: Option<u8>,
}

/// Control-message space, aligned for `cmsghdr`.
#[repr(C, align(8))]
struct ControlBuffer([u8; 256]);

impl Socket {
    /// Receives one datagram with its sender and, for IP sockets, its
    /// destination address, arrival interface and TTL or hop limit. Packet
    /// information is switched on (`IP_PKTINFO` and `IP_RECVTTL`, or
    /// `IPV6_RECVPKTINFO` and `IPV6_RECVHOPLIMIT`) at the first call.
    pub fn receive_message_from(
        &self,
        buf: &mut [u8],
        flags: SocketFlags,
    ) -> Result<ReceivedMessage> {
        self.enable_packet_info()?;
        let raw = self.sync_op("receive_message_from", SelectMode::Read, |s| {
            receive_message(s, buf, flags)
        })?;
        self.finish_message(raw)
            .map_err(|e| self.closed_while_blocked(e, "receive_message_from"))
    }

    pub(crate) fn finish_message(&self, raw: RawMessage) -> Result<ReceivedMessage> {
        let (n, msg_flags, (packet_info, hop_limit), addr) = raw;
        if n == 0 && self.is_closed() {
            return Err(self.closed_error("receive_message_from"));
        }
        Ok(ReceivedMessage {
            bytes: n,
            flags: SocketFlags::from_msg(msg_flags) - SocketFlags::OUT_OF_BAND,
            remote: EndPoint::from_sockaddr(&addr),
            packet_info,
            hop_limit,
        })
    }

    pub(crate) fn enable_packet_info(&self) -> Result<()> {
        if !self.address_family().is_ip() || self.packet_info_enabled().load(Ordering::Relaxed) {
            return Ok(());
        }
        let on = 1i32.to_ne_bytes();
        match self.address_family() {
            AddressFamily::InterNetwork => {
                self.set_raw_option(libc::IPPROTO_IP, libc::IP_PKTINFO, &on)?;
                self.set_raw_option(libc::IPPROTO_IP, libc::IP_RECVTTL, &on)?;
            }
            _ => {
                self.set_raw_option(libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO, &on)?;
                self.set_raw_option(libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, &on)?;
                // IPv4 datagrams on a dual-mode socket carry the IPv4 forms; a
                // v6-only socket may refuse them, which is harmless.
                let _ = self.set_raw_option(libc::IPPROTO_IP, libc::IP_PKTINFO, &on);
                let _ = self.set_raw_option(libc::IPPROTO_IP, libc::IP_RECVTTL, &on);
            }
        }
        self.packet_info_enabled().store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// What one `recvmsg(2)` returned: bytes, `msg_flags`, packet info and hop
/// limit, sender.
pub(crate) type RawMessage = (usize, libc::c_int, ControlInfo, SockAddr);

/// What the control messages told: packet information, TTL or hop limit.
pub(crate) type ControlInfo = (Option<PacketInformation>, Option<u8>);

/// One `recvmsg(2)` with room for packet-information control messages.
pub(crate) fn receive_message(
    socket: &socket2::Socket,
    buf: &mut [u8],
    flags: SocketFlags,
) -> io::Result<RawMessage> {
    let fd = socket.as_raw_fd();
    let mut control = ControlBuffer([0; 256]);
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut msg_flags = 0;
    // SAFETY: try_init hands us zeroed storage and its length; recvmsg
    // writes at most that many bytes of address and updates the length.
    // The iovec and control buffer are valid for their lengths for the
    // whole call.
    let ((n, control_info), addr) = unsafe {
        SockAddr::try_init(|storage, len| {
            let mut msg: libc::msghdr = mem::zeroed();
            msg.msg_name = storage.cast();
            msg.msg_namelen = *len;
            msg.msg_iov = &mut iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.0.as_mut_ptr().cast();
            msg.msg_controllen = control.0.len() as _;
            let n = libc::recvmsg(fd, &mut msg, flags.to_msg());
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            *len = msg.msg_namelen;
            msg_flags = msg.msg_flags;
            Ok((n as usize, parse_control(&msg)))
        })
    }?;
    Ok((n, msg_flags, control_info, addr))
}

/// Finds `IP_PKTINFO` / `IPV6_PKTINFO` and `IP_TTL` / `IPV6_HOPLIMIT`
/// among the control messages. The first packet information counts: an
/// IPv4 datagram on a dual-mode socket brings its IPv6 form first (a
/// v4-mapped address, as `remote` is) and its IPv4 form after.
///
/// # Safety
/// `msg` must be a msghdr just filled by `recvmsg(2)` whose control buffer is still alive.
unsafe fn parse_control(msg: &libc::msghdr) -> ControlInfo {
    let (mut packet_info, mut hop_limit) = (None, None);
    // SAFETY: the caller guarantees `msg` and its control buffer are valid;
    // the CMSG_* macros walk only within msg_controllen, each payload is
    // read only when the message's length covers it (a control buffer cut
    // short can end in a message without its payload), and read unaligned
    // as the type its level and type announce.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            let header = &*cmsg;
            let data = libc::CMSG_DATA(cmsg);
            let holds =
                |size: usize| header.cmsg_len as usize >= libc::CMSG_LEN(size as u32) as usize;
            match (header.cmsg_level, header.cmsg_type) {
                (libc::IPPROTO_IP, libc::IP_PKTINFO)
                    if packet_info.is_none() && holds(mem::size_of::<libc::in_pktinfo>()) =>
                {
                    let info: libc::in_pktinfo = std::ptr::read_unaligned(data.cast());
                    packet_info = Some(PacketInformation {
                        address: IpAddr::V4(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr))),
                        interface: info.ipi_ifindex as u32,
                    });
                }
                (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO)
                    if packet_info.is_none() && holds(mem::size_of::<libc::in6_pktinfo>()) =>
                {
                    let info: libc::in6_pktinfo = std::ptr::read_unaligned(data.cast());
                    packet_info = Some(PacketInformation {
                        address: IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)),
                        interface: info.ipi6_ifindex,
                    });
                }
                (libc::IPPROTO_IP, libc::IP_TTL) | (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT)
                    if holds(mem::size_of::<libc::c_int>()) =>
                {
                    let value: libc::c_int = std::ptr::read_unaligned(data.cast());
                    hop_limit = u8::try_from(value).ok();
                }
                _ => {}
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    (packet_info, hop_limit)
}
