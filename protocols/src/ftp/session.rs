//! The command/reply logic both clients share, without I/O: each operation
//! is a [`Conversation`] that says what to do next ([`Next`]: send a
//! command, read a reply, open the data connection, move data, or done)
//! and judges each reply; the [`Session`] is what outlives one operation.
//! The concrete conversations are in `conversations.rs`; the drivers run
//! them through an `Operation` (`operation.rs`).

use super::error::{Error, Result};
use super::options::FtpOptions;
use super::reply::{Reply, ReplyParser};

/// One command line, ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    /// The bytes to send, CRLF included.
    pub line: String,
    /// The command as shown in errors (a password hidden).
    pub shown: String,
}

impl Command {
    /// `VERB arg`, refusing an argument that would end the line early.
    pub fn new(verb: &str, arg: Option<&str>) -> Result<Command> {
        if verb.is_empty() || !verb.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidInput(format!(
                "{verb:?} is not a command name (letters and digits only)"
            )));
        }
        let line = match arg {
            Some(arg) => {
                if let Some(bad) = arg.chars().find(|c| matches!(c, '\r' | '\n' | '\0')) {
                    return Err(Error::InvalidInput(format!(
                        "the argument of {verb} contains {bad:?}, which would end the command line"
                    )));
                }
                format!("{verb} {arg}")
            }
            None => verb.to_string(),
        };
        Ok(Command {
            shown: line.clone(),
            line: line + "\r\n",
        })
    }

    /// A command whose argument is a secret (`PASS`).
    pub fn secret(verb: &str, arg: &str) -> Result<Command> {
        let mut command = Command::new(verb, Some(arg))?;
        command.shown = format!("{verb} ****");
        Ok(command)
    }
}

/// What a driver does next for a conversation.
#[derive(Debug)]
pub(crate) enum Next<T> {
    /// Send this command, then read a reply.
    Send(Command),
    /// Read a reply.
    Read,
    /// Open the data connection to this port of the control connection's
    /// peer, then call [`Conversation::on_connected`].
    Connect(u16),
    /// Read from the data connection, then call [`Conversation::on_data`].
    ReadData,
    /// Read the next piece of the upload, then call [`Conversation::on_source`].
    ReadSource,
    /// Write the first `n` bytes of the piece just read to the data
    /// connection, then call [`Conversation::on_written`].
    WriteData(usize),
    /// Close the data connection (the upload is complete), then call
    /// [`Conversation::on_closed`].
    CloseData,
    /// Finished.
    Done(T),
}

impl<T> Next<T> {
    /// This step, or for `Done`, what `then` makes of the output: a
    /// conversation that goes on after an inner one finished.
    pub fn then<U>(self, then: impl FnOnce(T) -> Result<Next<U>>) -> Result<Next<U>> {
        Ok(match self {
            Next::Send(command) => Next::Send(command),
            Next::Read => Next::Read,
            Next::Connect(port) => Next::Connect(port),
            Next::ReadData => Next::ReadData,
            Next::ReadSource => Next::ReadSource,
            Next::WriteData(n) => Next::WriteData(n),
            Next::CloseData => Next::CloseData,
            Next::Done(output) => return then(output),
        })
    }
}

/// One operation's exchange of commands and replies.
pub(crate) trait Conversation {
    type Output;

    /// The first step.
    fn start(&mut self) -> Result<Next<Self::Output>>;

    /// The next step after `reply`; a reply the operation cannot accept is an error.
    fn on_reply(&mut self, reply: Reply) -> Result<Next<Self::Output>>;

    /// The next step once the data connection is open.
    fn on_connected(&mut self) -> Result<Next<Self::Output>> {
        Err(outside_a_transfer())
    }

    /// The next step after reading `bytes` from the data connection (none: its end).
    fn on_data(&mut self, bytes: &[u8]) -> Result<Next<Self::Output>> {
        let _ = bytes;
        Err(outside_a_transfer())
    }

    /// The next step after reading `n` bytes of the upload (0: its end).
    fn on_source(&mut self, n: usize) -> Result<Next<Self::Output>> {
        let _ = n;
        Err(outside_a_transfer())
    }

    /// The next step once a piece of the upload was written.
    fn on_written(&mut self) -> Result<Next<Self::Output>> {
        Err(outside_a_transfer())
    }

    /// The next step once the data connection was closed.
    fn on_closed(&mut self) -> Result<Next<Self::Output>> {
        Err(outside_a_transfer())
    }

    /// Records in the session what the conversation leaves behind, however
    /// it ended (done, failed or dropped midway): a refused `EPSV`, a
    /// transfer whose final reply is still to come.
    fn settle(&mut self, session: &mut Session) {
        let _ = session;
    }
}

fn outside_a_transfer() -> Error {
    Error::Protocol("internal: a data step outside a transfer".into())
}

/// The state of one control connection that is not the stream itself.
#[derive(Debug)]
pub(crate) struct Session {
    pub parser: ReplyParser,
    pub options: FtpOptions,
    /// The server refused `EPSV` once: use `PASV` for the rest of the session.
    pub epsv_refused: bool,
    /// A transfer's final reply has not been read (its download was dropped early).
    pub pending_final: bool,
    /// The control connection is out of step (set while a command or a
    /// reply is in flight).
    pub broken: bool,
    /// Where replies are read into.
    pub buf: Vec<u8>,
}

impl Session {
    pub fn new(options: &FtpOptions) -> Session {
        Session {
            parser: options.parser(),
            options: options.clone(),
            epsv_refused: false,
            pending_final: false,
            broken: false,
            buf: vec![0; 4096],
        }
    }

    /// Whether the next transfer tries `EPSV` first.
    pub fn use_epsv(&self) -> bool {
        self.options.epsv && !self.epsv_refused
    }

    pub fn check_usable(&self) -> Result<()> {
        if self.broken {
            Err(Error::Broken)
        } else {
            Ok(())
        }
    }
}
