//! `SocketFlags`: per-call send and receive flags, and what a receive reports back.

bitflags::bitflags! {
    /// Flags for one send or receive call, and the flags a receive reports.
    ///
    /// The input flags map to `MSG_*`; [`SocketFlags::TRUNCATED`] and
    /// [`SocketFlags::CONTROL_DATA_TRUNCATED`] are reported by receives.
    ///
    /// ```
    /// use netstack::sockets::SocketFlags;
    /// let flags = SocketFlags::PEEK | SocketFlags::OUT_OF_BAND;
    /// assert!(flags.contains(SocketFlags::PEEK));
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct SocketFlags: u32 {
        /// Process out-of-band (urgent) data (`MSG_OOB`).
        const OUT_OF_BAND = 1 << 0;
        /// Look at the incoming data without consuming it (`MSG_PEEK`).
        const PEEK = 1 << 1;
        /// Send without using routing tables (`MSG_DONTROUTE`).
        const DONT_ROUTE = 1 << 2;
        /// Reported: the message was larger than the buffer and was cut (`MSG_TRUNC`).
        const TRUNCATED = 1 << 3;
        /// Reported: the control data did not fit (`MSG_CTRUNC`).
        const CONTROL_DATA_TRUNCATED = 1 << 4;
        /// Wait until the whole buffer is filled, on stream sockets (`MSG_WAITALL`).
        const WAIT_ALL = 1 << 5;
        /// More data follows; hold back a partial segment (`MSG_MORE`, Linux).
        const MORE = 1 << 6;
    }
}

impl SocketFlags {
    /// The `MSG_*` bits for the input flags.
    pub(crate) fn to_msg(self) -> libc::c_int {
        let mut msg = 0;
        if self.contains(SocketFlags::OUT_OF_BAND) {
            msg |= libc::MSG_OOB;
        }
        if self.contains(SocketFlags::PEEK) {
            msg |= libc::MSG_PEEK;
        }
        if self.contains(SocketFlags::DONT_ROUTE) {
            msg |= libc::MSG_DONTROUTE;
        }
        if self.contains(SocketFlags::WAIT_ALL) {
            msg |= libc::MSG_WAITALL;
        }
        if self.contains(SocketFlags::MORE) {
            msg |= libc::MSG_MORE;
        }
        msg
    }

    /// The flags reported in a `msghdr`'s `msg_flags`.
    pub(crate) fn from_msg(msg: libc::c_int) -> SocketFlags {
        let mut flags = SocketFlags::empty();
        if msg & libc::MSG_TRUNC != 0 {
            flags |= SocketFlags::TRUNCATED;
        }
        if msg & libc::MSG_CTRUNC != 0 {
            flags |= SocketFlags::CONTROL_DATA_TRUNCATED;
        }
        if msg & libc::MSG_OOB != 0 {
            flags |= SocketFlags::OUT_OF_BAND;
        }
        flags
    }
}
