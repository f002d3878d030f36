//! One client call, run for a driver: the step machine both FTP clients
//! carry out, each in its mode. It runs one [`Conversation`] on the
//! [`Session`] and keeps the session's books, so the drivers keep none:
//!
//! - a session left out of step refuses the call ([`Error::Broken`]);
//! - the final reply of a transfer abandoned earlier (a download dropped
//!   before its end) is read first;
//! - the control connection counts as out of step while a command or a
//!   reply is in flight, so a driver that fails (or a future dropped)
//!   there leaves the session broken, while a failure on the data
//!   connection or a negative reply leaves it usable;
//! - whatever ends the operation, the conversation records what it leaves
//!   behind ([`Conversation::settle`]: a refused `EPSV`, a final reply
//!   still to come).
//!
//! The steps are drawn in the `ftp` module docs.

use std::io;

use super::conversations::Abandoned;
use super::data_connection::READ_CHUNK;
use super::error::{closed, Error, Result};
use super::options::FtpOptions;
use super::session::{Conversation, Next, Session};

/// What the driver is to do next.
pub(crate) enum Step<'a, T> {
    /// Write this command line on the control connection; answer [`Outcome::Sent`].
    Send(&'a [u8]),
    /// Read from the control connection into this buffer; answer [`Outcome::Received`].
    Receive(&'a mut [u8]),
    /// Open the data connection to `port` of the control connection's peer
    /// (the driver keeps it); answer [`Outcome::Connected`].
    Connect { port: u16, options: &'a FtpOptions },
    /// Read from the data connection into this buffer; answer [`Outcome::DataRead`].
    ReadData(&'a mut [u8]),
    /// Read the next piece of the upload into this buffer; answer [`Outcome::SourceRead`].
    ReadSource(&'a mut [u8]),
    /// Write these bytes to the data connection; answer [`Outcome::DataWritten`].
    WriteData(&'a [u8]),
    /// Shut down the data connection's sending side and drop it; answer
    /// [`Outcome::DataClosed`].
    CloseData,
    /// The operation is over.
    Done(T),
}

/// What came of a [`Step`].
pub(crate) enum Outcome {
    Sent(transport::Result<()>),
    Received(transport::Result<usize>),
    Connected(Result<()>),
    DataRead(transport::Result<usize>),
    SourceRead(io::Result<usize>),
    DataWritten(transport::Result<()>),
    DataClosed,
}

/// Whether a pending final reply belongs to this operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// A new call: a pending final reply is an abandoned transfer's, read first.
    Fresh,
    /// The end of the transfer in progress: the pending final reply is its own.
    TransferEnd,
}

/// One call on the session (see the module docs).
pub(crate) struct Operation<'s, C: Conversation> {
    session: &'s mut Session,
    conversation: C,
    /// An abandoned transfer's final reply is being read first.
    abandoned: bool,
    /// The step to hand out; `None` once it was `Done`.
    next: Option<Next<C::Output>>,
    /// Where data and upload pieces are read into (made at the first data step).
    data: Vec<u8>,
}

impl<'s, C: Conversation> Operation<'s, C> {
    pub fn new(session: &'s mut Session, conversation: C, start: Start) -> Result<Self> {
        session.check_usable()?;
        let abandoned = start == Start::Fresh && session.pending_final;
        let mut operation = Operation {
            session,
            conversation,
            abandoned,
            next: None,
            data: Vec::new(),
        };
        let first = match abandoned {
            true => Next::Read,
            false => operation.conversation.start()?,
        };
        operation.next = Some(first);
        operation.advance()?;
        Ok(operation)
    }

    /// The step to carry out now.
    pub fn step(&mut self) -> Step<'_, C::Output> {
        if let Some(Next::Done(_)) = self.next {
            self.session.broken = false;
            if let Some(Next::Done(output)) = self.next.take() {
                return Step::Done(output);
            }
        }
        if self.data.is_empty() && self.next.as_ref().is_some_and(is_data_step) {
            self.data.resize(READ_CHUNK, 0);
        }
        let session = &mut *self.session;
        session.broken = matches!(self.next, Some(Next::Send(_) | Next::Read));
        match &self.next {
            Some(Next::Send(command)) => Step::Send(command.line.as_bytes()),
            Some(Next::Read) => Step::Receive(&mut session.buf),
            Some(Next::Connect(port)) => Step::Connect {
                port: *port,
                options: &session.options,
            },
            Some(Next::ReadData) => Step::ReadData(&mut self.data),
            Some(Next::ReadSource) => Step::ReadSource(&mut self.data),
            Some(Next::WriteData(n)) => Step::WriteData(&self.data[..*n]),
            Some(Next::CloseData) => Step::CloseData,
            Some(Next::Done(_)) | None => {
                unreachable!("an operation is not stepped after it is done or failed")
            }
        }
    }

    /// Takes the outcome of the last step and moves on; an error ends the
    /// operation (the session's state says whether it is still usable).
    pub fn answer(&mut self, outcome: Outcome) -> Result<()> {
        let next = match outcome {
            Outcome::Sent(result) => {
                result.map_err(|e| {
                    Error::transport(e, "the control connection to accept a command")
                })?;
                Next::Read
            }
            Outcome::Received(result) => {
                let n = result.map_err(|e| Error::transport(e, "a reply"))?;
                if n == 0 {
                    return Err(closed());
                }
                let session = &mut *self.session;
                session.parser.feed(&session.buf[..n]);
                Next::Read
            }
            Outcome::Connected(result) => {
                result?;
                self.session.broken = true;
                self.conversation.on_connected()?
            }
            Outcome::DataRead(result) => {
                let n = result.map_err(|e| Error::transport(e, "listing data"))?;
                self.conversation.on_data(&self.data[..n])?
            }
            Outcome::SourceRead(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {
                Next::ReadSource
            }
            // The server sees the data connection close and may keep a
            // partial file; its final reply is read before the next command.
            Outcome::SourceRead(result) => self.conversation.on_source(result?)?,
            Outcome::DataWritten(result) => {
                result.map_err(|e| Error::transport(e, "the data connection to accept data"))?;
                self.conversation.on_written()?
            }
            Outcome::DataClosed => self.conversation.on_closed()?,
        };
        self.next = Some(next);
        self.advance()
    }

    /// Judges the replies already received while the conversation waits for one.
    fn advance(&mut self) -> Result<()> {
        while let Some(Next::Read) = self.next {
            let Some(reply) = self.session.parser.next_reply()? else {
                return Ok(());
            };
            let next = if self.abandoned {
                match Abandoned.on_reply(reply) {
                    Ok(Next::Done(())) => {
                        self.abandoned = false;
                        self.session.pending_final = false;
                        self.conversation.start()
                    }
                    Ok(_) => Ok(Next::Read),
                    Err(e) => Err(e),
                }
            } else {
                self.conversation.on_reply(reply)
            };
            match next {
                Ok(next) => self.next = Some(next),
                Err(e) => {
                    // The reply was read whole: the connection is in step.
                    self.session.broken = false;
                    return Err(e);
                }
            }
        }
        Ok(())
    }
}

impl<C: Conversation> Drop for Operation<'_, C> {
    fn drop(&mut self) {
        self.conversation.settle(self.session);
    }
}

fn is_data_step<T>(next: &Next<T>) -> bool {
    matches!(
        next,
        Next::ReadData | Next::ReadSource | Next::WriteData(_) | Next::CloseData
    )
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::ftp::conversations::{Listing, Simple, Store};
    use crate::ftp::session::Command;

    /// A scripted peer: the replies, the data connection's chunks (`None`:
    /// a reset), the upload's pieces; it records what the client did.
    #[derive(Default)]
    struct Peer {
        replies: VecDeque<&'static str>,
        data: VecDeque<Option<&'static [u8]>>,
        source: VecDeque<&'static [u8]>,
        refuse_connect: bool,
        did: Vec<String>,
        written: Vec<u8>,
    }

    fn reset() -> transport::Error {
        transport::Error::Socket(sockets::Error::new(
            sockets::SocketError::ConnectionReset,
            "receive",
        ))
    }

    /// The driver loop, over the script instead of sockets.
    fn drive<C: Conversation>(
        session: &mut Session,
        conversation: C,
        start: Start,
        peer: &mut Peer,
    ) -> Result<C::Output> {
        let mut operation = Operation::new(session, conversation, start)?;
        loop {
            let outcome = match operation.step() {
                Step::Send(line) => {
                    peer.did
                        .push(String::from_utf8_lossy(line).trim_end().to_string());
                    Outcome::Sent(Ok(()))
                }
                Step::Receive(buf) => {
                    let reply = peer.replies.pop_front().expect("a reply is scripted");
                    buf[..reply.len()].copy_from_slice(reply.as_bytes());
                    Outcome::Received(Ok(reply.len()))
                }
                Step::Connect { port, .. } => {
                    peer.did.push(format!("<connect {port}>"));
                    Outcome::Connected(match peer.refuse_connect {
                        true => Err(Error::Transport(reset())),
                        false => Ok(()),
                    })
                }
                Step::ReadData(buf) => Outcome::DataRead(match peer.data.pop_front() {
                    Some(Some(chunk)) => {
                        buf[..chunk.len()].copy_from_slice(chunk);
                        Ok(chunk.len())
                    }
                    Some(None) => Err(reset()),
                    None => Ok(0),
                }),
                Step::ReadSource(buf) => {
                    let piece = peer.source.pop_front().unwrap_or_default();
                    buf[..piece.len()].copy_from_slice(piece);
                    Outcome::SourceRead(Ok(piece.len()))
                }
                Step::WriteData(bytes) => {
                    peer.written.extend_from_slice(bytes);
                    Outcome::DataWritten(Ok(()))
                }
                Step::CloseData => {
                    peer.did.push("<close>".into());
                    Outcome::DataClosed
                }
                Step::Done(output) => return Ok(output),
            };
            operation.answer(outcome)?;
        }
    }

    fn session() -> Session {
        Session::new(&crate::ftp::FtpOptions::new())
    }

    fn listing() -> Listing {
        Listing::new(Command::new("LIST", None).unwrap(), true, 1 << 20)
    }

    #[test]
    fn a_listing_runs_whole_and_leaves_the_session_in_step() {
        let mut session = session();
        let mut peer = Peer {
            // Two replies may arrive in one read: both are judged.
            replies: ["229 (|||5000|)\r\n", "150 Here it comes\r\n226 Done\r\n"].into(),
            data: [Some(&b"a\r\nb"[..]), Some(&b"\r\n"[..])].into(),
            ..Peer::default()
        };
        let lines = drive(&mut session, listing(), Start::Fresh, &mut peer).unwrap();
        assert_eq!(lines, ["a", "b"]);
        assert_eq!(peer.did, ["EPSV", "<connect 5000>", "LIST"]);
        assert!(!session.broken && !session.pending_final);
    }

    #[test]
    fn a_reset_data_connection_leaves_the_final_reply_for_the_next_call() {
        let mut session = session();
        let mut peer = Peer {
            replies: ["229 (|||5000|)\r\n", "150 ok\r\n"].into(),
            data: [Some(&b"a"[..]), None].into(),
            ..Peer::default()
        };
        let err = drive(&mut session, listing(), Start::Fresh, &mut peer).unwrap_err();
        assert!(matches!(err, Error::Transport(_)), "{err}");
        assert!(!session.broken && session.pending_final);
        // The next call reads the abandoned transfer's reply, then runs.
        peer.replies = ["426 Connection closed\r\n", "257 \"/\"\r\n"].into();
        peer.did.clear();
        let pwd = Simple::new(Command::new("PWD", None).unwrap());
        let reply = drive(&mut session, pwd, Start::Fresh, &mut peer).unwrap();
        assert_eq!(reply.code, 257);
        assert_eq!(peer.did, ["PWD"]);
        assert!(!session.broken && !session.pending_final);
    }

    #[test]
    fn an_operation_dropped_with_a_reply_in_flight_breaks_the_session() {
        let mut session = session();
        {
            let pwd = Simple::new(Command::new("PWD", None).unwrap());
            let mut operation = Operation::new(&mut session, pwd, Start::Fresh).unwrap();
            assert!(matches!(operation.step(), Step::Send(_)));
            operation.answer(Outcome::Sent(Ok(()))).unwrap();
            assert!(matches!(operation.step(), Step::Receive(_)));
        }
        assert!(session.broken);
        let pwd = Simple::new(Command::new("PWD", None).unwrap());
        let err = drive(&mut session, pwd, Start::Fresh, &mut Peer::default()).unwrap_err();
        assert!(matches!(err, Error::Broken), "{err}");
    }

    #[test]
    fn a_refused_epsv_is_remembered_even_when_the_transfer_fails() {
        let mut session = session();
        let mut peer = Peer {
            replies: [
                "500 EPSV not understood\r\n",
                "227 Entering Passive Mode (127,0,0,1,19,137)\r\n",
            ]
            .into(),
            refuse_connect: true,
            ..Peer::default()
        };
        assert!(drive(&mut session, listing(), Start::Fresh, &mut peer).is_err());
        assert_eq!(peer.did, ["EPSV", "PASV", "<connect 5001>"]);
        assert!(session.epsv_refused && !session.use_epsv());
        // Nothing was asked of the server: the session is in step.
        assert!(!session.broken && !session.pending_final);
    }

    #[test]
    fn an_upload_is_copied_piece_by_piece_then_closed() {
        let mut session = session();
        let mut peer = Peer {
            replies: ["229 (|||5000|)\r\n", "150 ok\r\n", "226 stored\r\n"].into(),
            source: [&b"hello "[..], &b"world"[..]].into(),
            ..Peer::default()
        };
        let store = Store::new(Command::new("STOR", Some("f")).unwrap(), true);
        let sent = drive(&mut session, store, Start::Fresh, &mut peer).unwrap();
        assert_eq!(sent, 11);
        assert_eq!(peer.written, b"hello world");
        assert_eq!(peer.did, ["EPSV", "<connect 5000>", "STOR f", "<close>"]);
        assert!(!session.broken && !session.pending_final);
    }

    #[test]
    fn a_listing_over_the_limit_fails_in_step() {
        let mut session = session();
        let mut peer = Peer {
            replies: ["229 (|||5000|)\r\n", "150 ok\r\n"].into(),
            data: [Some(&b"0123456789"[..])].into(),
            ..Peer::default()
        };
        let small = Listing::new(Command::new("NLST", None).unwrap(), true, 4);
        let err = drive(&mut session, small, Start::Fresh, &mut peer).unwrap_err();
        assert!(err.to_string().contains("4-byte limit"), "{err}");
        assert!(!session.broken && session.pending_final);
    }
}
