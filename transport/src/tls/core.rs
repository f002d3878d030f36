//! The one TLS driver core shared by the synchronous and asynchronous
//! modes.
//!
//! `Core` owns the rustls connection and knows, for each operation
//! (handshake, read, write, flush, close), what the connection wants next:
//! records written out, records read in, or plaintext handed over. It does
//! its I/O through any `Read + Write`: the synchronous driver passes the
//! stream itself (wrapped in a deadline during the handshake), the
//! asynchronous driver passes an adapter whose reads and writes poll the
//! async stream and report `Pending` as `WouldBlock`. All state lives in
//! rustls and here, so an operation interrupted by `WouldBlock` is simply
//! called again, and nothing is lost when an async call is dropped.

use std::io::{self, Read, Write};

use rustls::Connection;

use super::TlsError;

pub(crate) struct Core {
    conn: Connection,
    /// Who the peer is, for error messages: the server name on the client
    /// side, `client` on the server side.
    peer: String,
    /// The first fatal protocol error; every later call reports it again.
    fatal: Option<rustls::Error>,
    close_sent: bool,
}

impl Core {
    pub(crate) fn new(conn: Connection, peer: String) -> Core {
        Core {
            conn,
            peer,
            fatal: None,
            close_sent: false,
        }
    }

    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn peer(&self) -> &str {
        &self.peer
    }

    pub(crate) fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Completes the handshake: writes the records rustls has queued, reads
    /// the peer's, until rustls says the handshake is over, then sends the
    /// last flight.
    pub(crate) fn handshake<IO: Read + Write>(&mut self, io: &mut IO) -> Result<(), TlsError> {
        self.check()?;
        while self.conn.is_handshaking() {
            if self.conn.wants_write() {
                self.write_tls(io)?;
            } else if !self.read_tls(io)? {
                return Err(TlsError::Truncated {
                    during_handshake: true,
                });
            }
        }
        self.write_tls(io)
    }

    /// Reads plaintext. `Ok(0)` only after the peer's `close_notify`; a TCP
    /// end of stream without it is [`TlsError::Truncated`].
    pub(crate) fn read<IO: Read + Write>(
        &mut self,
        io: &mut IO,
        buf: &mut [u8],
    ) -> Result<usize, TlsError> {
        if buf.is_empty() {
            return self.check().map(|()| 0);
        }
        if self.conn.is_handshaking() {
            self.check()?;
            self.handshake(io)?;
        }
        loop {
            // Plaintext that arrived before a broken record is delivered
            // first; the error comes after it, and never as an end of stream.
            match self.conn.reader().read(buf) {
                Ok(0) if self.fatal.is_some() => self.check()?,
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(TlsError::Truncated {
                        during_handshake: false,
                    })
                }
                Err(e) => return Err(TlsError::Io(e)),
            }
            self.check()?;
            // More records are needed; first send anything queued (a key
            // update, an alert), then read. An end of stream shows up in
            // `reader()` on the next turn, as a clean or an unclean close.
            if self.conn.wants_write() {
                self.write_tls(io)?;
            }
            if let Err(err) = self.read_tls(io) {
                if self.fatal.is_none() {
                    return Err(err);
                }
            }
        }
    }

    /// Encrypts some of `buf` and sends it; returns how much was taken.
    /// Bytes taken are never lost: if the send must wait (`WouldBlock`,
    /// `TimedOut`) they stay queued and go out on the next write or flush.
    pub(crate) fn write<IO: Read + Write>(
        &mut self,
        io: &mut IO,
        buf: &[u8],
    ) -> Result<usize, TlsError> {
        self.check()?;
        if buf.is_empty() {
            return Ok(0);
        }
        if self.conn.is_handshaking() {
            self.handshake(io)?;
        }
        // Send what is queued before taking more, so the queue stays bounded.
        self.write_tls(io)?;
        let n = self.conn.writer().write(buf)?;
        match self.write_tls(io) {
            // rustls holds the `n` bytes now: report them taken, or a caller
            // would send them again. The records wait in rustls's queue, and
            // an error that lasts shows again at the next call.
            Err(TlsError::Io(_)) if n > 0 => Ok(n),
            Err(e) => Err(e),
            Ok(()) => Ok(n),
        }
    }

    /// Sends every queued record.
    pub(crate) fn flush<IO: Write>(&mut self, io: &mut IO) -> Result<(), TlsError> {
        self.check()?;
        self.write_tls(io)
    }

    /// Queues `close_notify` (once) and sends it with anything still queued.
    pub(crate) fn close<IO: Write>(&mut self, io: &mut IO) -> Result<(), TlsError> {
        if self.fatal.is_some() {
            // rustls has already sent its fatal alert; there is no session to close.
            return Ok(());
        }
        if !self.close_sent {
            self.conn.send_close_notify();
            self.close_sent = true;
        }
        self.write_tls(io)
    }

    /// Writes out the records rustls has queued.
    fn write_tls<IO: Write>(&mut self, io: &mut IO) -> Result<(), TlsError> {
        while self.conn.wants_write() {
            match self.conn.write_tls(io) {
                Ok(0) => {
                    return Err(TlsError::Io(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the stream beneath accepted no bytes",
                    )))
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TlsError::Io(e)),
            }
        }
        io.flush()?;
        Ok(())
    }

    /// Reads records from `io` and processes them; false at end of stream.
    fn read_tls<IO: Read + Write>(&mut self, io: &mut IO) -> Result<bool, TlsError> {
        let n = loop {
            match self.conn.read_tls(io) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TlsError::Io(e)),
            }
        };
        match self.conn.process_new_packets() {
            Ok(_) => Ok(n > 0),
            Err(err) => {
                // rustls has queued an alert for the peer: send it if we can.
                let _ = self.write_tls(io);
                self.fatal = Some(err.clone());
                Err(TlsError::from_rustls(err, &self.peer))
            }
        }
    }

    fn check(&self) -> Result<(), TlsError> {
        match &self.fatal {
            Some(err) => Err(TlsError::from_rustls(err.clone(), &self.peer)),
            None => Ok(()),
        }
    }
}
