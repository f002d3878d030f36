//! The conversations of the client's operations: what each sends, and how
//! it judges each reply (and, for transfers, the data connection's steps).
//! Each is a [`Conversation`]; an `Operation` runs one for a driver.

use super::error::{Error, Result};
use super::reply::{self, Reply};
use super::session::{Command, Conversation, Next, Session};

/// The `220` greeting (a `120` "ready in a while" is waited through).
pub(crate) struct Greeting;

impl Conversation for Greeting {
    type Output = Reply;

    fn start(&mut self) -> Result<Next<Reply>> {
        Ok(Next::Read)
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Next<Reply>> {
        match reply.code {
            100..=199 => Ok(Next::Read),
            200..=299 => Ok(Next::Done(reply)),
            _ => Err(Error::from_reply("(connect)", &reply)),
        }
    }
}

/// One command, one final 2yz reply.
pub(crate) struct Simple {
    command: Option<Command>,
    shown: String,
}

impl Simple {
    pub fn new(command: Command) -> Simple {
        Simple {
            shown: command.shown.clone(),
            command: Some(command),
        }
    }
}

impl Conversation for Simple {
    type Output = Reply;

    fn start(&mut self) -> Result<Next<Reply>> {
        let command = self.command.take().expect("started once");
        Ok(Next::Send(command))
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Next<Reply>> {
        if reply.is_completion() {
            Ok(Next::Done(reply))
        } else if reply.is_preliminary() {
            Ok(Next::Read)
        } else {
            Err(Error::from_reply(&self.shown, &reply))
        }
    }
}

/// `USER`, then `PASS` if the server asks (RFC 959 §5.4 login sequence).
pub(crate) struct Login {
    user: Option<Command>,
    pass: Option<Command>,
    shown: String,
}

/// The password sent for an anonymous login (RFC 1635: an e-mail-like string).
pub(crate) const ANONYMOUS_PASSWORD: &str = "anonymous@";

impl Login {
    pub fn new(user: &str, password: &str) -> Result<Login> {
        let user = Command::new("USER", Some(user))?;
        Ok(Login {
            shown: user.shown.clone(),
            user: Some(user),
            pass: Some(Command::secret("PASS", password)?),
        })
    }
}

impl Conversation for Login {
    type Output = ();

    fn start(&mut self) -> Result<Next<()>> {
        Ok(Next::Send(self.user.take().expect("started once")))
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Next<()>> {
        match reply.code {
            100..=199 => Ok(Next::Read),
            // 230 logged in; 202 superfluous (no login needed).
            200..=299 => Ok(Next::Done(())),
            331 => match self.pass.take() {
                Some(pass) => {
                    self.shown = pass.shown.clone();
                    Ok(Next::Send(pass))
                }
                None => Err(Error::from_reply(&self.shown, &reply)),
            },
            // 332: an account is needed (ACCT); this client has none to give.
            332 => Err(Error::LoginDenied {
                code: reply.code,
                message: reply.message(),
            }),
            _ => Err(Error::from_reply(&self.shown, &reply)),
        }
    }
}

/// A `RETR`/`STOR`/`LIST`/`NLST` opening: `EPSV` (or `PASV`), the data
/// connection, an optional `REST`, then the command, until its 1yz reply.
pub(crate) struct TransferOpen {
    stage: Stage,
    rest: Option<u64>,
    command: Option<Command>,
    shown: String,
    /// `EPSV` was refused (the session should not try it again).
    pub fell_back: bool,
    /// The server accepted the transfer: its final reply is to come.
    opened: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Epsv,
    Pasv,
    Rest,
    Transfer,
}

/// A transfer that has started: the server sent its 1yz reply.
#[derive(Debug, Clone)]
pub(crate) struct Started {
    /// The size the server announced (`(N bytes)`), if it did.
    pub expected: Option<u64>,
    /// The command, as shown in errors.
    pub shown: String,
}

impl TransferOpen {
    pub fn new(command: Command, rest: Option<u64>, epsv: bool) -> TransferOpen {
        TransferOpen {
            stage: if epsv { Stage::Epsv } else { Stage::Pasv },
            rest: rest.filter(|&offset| offset > 0),
            shown: command.shown.clone(),
            command: Some(command),
            fell_back: false,
            opened: false,
        }
    }

    fn opened(&mut self, reply: &Reply) -> Started {
        self.opened = true;
        Started {
            expected: reply::announced_size(reply),
            shown: self.shown.clone(),
        }
    }

    fn passive_command(&self) -> Result<Command> {
        Command::new(
            if self.stage == Stage::Epsv {
                "EPSV"
            } else {
                "PASV"
            },
            None,
        )
    }
}

impl Conversation for TransferOpen {
    type Output = Started;

    fn start(&mut self) -> Result<Next<Started>> {
        Ok(Next::Send(self.passive_command()?))
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Next<Started>> {
        match self.stage {
            Stage::Epsv => match reply.code {
                229 => Ok(Next::Connect(reply::parse_epsv(&reply)?)),
                // Not logged in, or closing: no point trying PASV.
                421 | 530 | 532 => Err(Error::from_reply("EPSV", &reply)),
                400..=599 => {
                    self.fell_back = true;
                    self.stage = Stage::Pasv;
                    Ok(Next::Send(self.passive_command()?))
                }
                100..=199 => Ok(Next::Read),
                _ => Err(Error::from_reply("EPSV", &reply)),
            },
            Stage::Pasv => match reply.code {
                // The address in the reply is ignored (only its port is
                // used, with the control connection's peer): a server cannot
                // point the client at a third host (FTP bounce), and NAT'd
                // servers that announce private addresses still work.
                227 => Ok(Next::Connect(reply::parse_pasv(&reply)?.port())),
                100..=199 => Ok(Next::Read),
                _ => Err(Error::from_reply("PASV", &reply)),
            },
            Stage::Rest => match reply.code {
                350 => {
                    self.stage = Stage::Transfer;
                    Ok(Next::Send(self.command.take().expect("sent once")))
                }
                100..=199 => Ok(Next::Read),
                _ => Err(Error::from_reply(
                    &format!("REST {}", self.rest.unwrap_or(0)),
                    &reply,
                )),
            },
            Stage::Transfer => match reply.code {
                100..=199 => Ok(Next::Done(self.opened(&reply))),
                _ => Err(Error::from_reply(&self.shown, &reply)),
            },
        }
    }

    fn on_connected(&mut self) -> Result<Next<Started>> {
        match self.rest {
            Some(offset) => {
                self.stage = Stage::Rest;
                Ok(Next::Send(Command::new("REST", Some(&offset.to_string()))?))
            }
            None => {
                self.stage = Stage::Transfer;
                Ok(Next::Send(self.command.take().expect("sent once")))
            }
        }
    }

    fn settle(&mut self, session: &mut Session) {
        if self.fell_back {
            session.epsv_refused = true;
        }
        if self.opened {
            session.pending_final = true;
        }
    }
}

/// The final reply of a transfer, after the data connection closed.
pub(crate) struct TransferEnd {
    started: Started,
    /// Bytes that went over the data connection.
    transferred: u64,
    /// The final reply came (good or bad): nothing is pending any more.
    replied: bool,
}

impl TransferEnd {
    pub fn new(started: Started, transferred: u64) -> TransferEnd {
        TransferEnd {
            started,
            transferred,
            replied: false,
        }
    }
}

impl Conversation for TransferEnd {
    type Output = Reply;

    fn start(&mut self) -> Result<Next<Reply>> {
        Ok(Next::Read)
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Next<Reply>> {
        if !reply.is_preliminary() {
            self.replied = true;
        }
        match reply.code {
            100..=199 => Ok(Next::Read),
            200..=299 => match self.started.expected {
                Some(expected) if expected != self.transferred => Err(Error::Protocol(format!(
                    "{} ended after {} of the {expected} bytes announced",
                    self.started.shown, self.transferred
                ))),
                _ => Ok(Next::Done(reply)),
            },
            _ => Err(Error::from_reply(&self.started.shown, &reply)),
        }
    }

    fn settle(&mut self, session: &mut Session) {
        if self.replied {
            session.pending_final = false;
        }
    }
}

/// The final reply of a transfer that was abandoned (its download dropped
/// early): read and thrown away, whatever it says, unless the server is
/// closing.
pub(crate) struct Abandoned;

impl Conversation for Abandoned {
    type Output = ();

    fn start(&mut self) -> Result<Next<()>> {
        Ok(Next::Read)
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Next<()>> {
        match reply.code {
            100..=199 => Ok(Next::Read),
            421 => Err(Error::from_reply("(transfer)", &reply)),
            _ => Ok(Next::Done(())),
        }
    }
}

/// `LIST`/`NLST`: the transfer's opening, the listing read whole from the
/// data connection (up to `limit` bytes), then the final reply.
pub(crate) struct Listing {
    open: TransferOpen,
    limit: usize,
    started: Option<Started>,
    bytes: Vec<u8>,
    end: Option<TransferEnd>,
}

impl Listing {
    pub fn new(command: Command, epsv: bool, limit: usize) -> Listing {
        Listing {
            open: TransferOpen::new(command, None, epsv),
            limit,
            started: None,
            bytes: Vec::new(),
            end: None,
        }
    }

    fn opening(&mut self, next: Result<Next<Started>>) -> Result<Next<Vec<String>>> {
        next?.then(|started| {
            self.started = Some(started);
            Ok(Next::ReadData)
        })
    }
}

impl Conversation for Listing {
    type Output = Vec<String>;

    fn start(&mut self) -> Result<Next<Vec<String>>> {
        let next = self.open.start();
        self.opening(next)
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Next<Vec<String>>> {
        match &mut self.end {
            Some(end) => end
                .on_reply(reply)?
                .then(|_| Ok(Next::Done(listing_lines(&self.bytes)))),
            None => {
                let next = self.open.on_reply(reply);
                self.opening(next)
            }
        }
    }

    fn on_connected(&mut self) -> Result<Next<Vec<String>>> {
        let next = self.open.on_connected();
        self.opening(next)
    }

    fn on_data(&mut self, bytes: &[u8]) -> Result<Next<Vec<String>>> {
        if bytes.is_empty() {
            let started = self.started.take().ok_or_else(data_before_opening)?;
            self.end = Some(TransferEnd::new(started, self.bytes.len() as u64));
            return Ok(Next::Read);
        }
        if self.bytes.len() + bytes.len() > self.limit {
            return Err(listing_too_large(self.limit));
        }
        self.bytes.extend_from_slice(bytes);
        Ok(Next::ReadData)
    }

    fn settle(&mut self, session: &mut Session) {
        self.open.settle(session);
        if let Some(end) = &mut self.end {
            end.settle(session);
        }
    }
}

fn data_before_opening() -> Error {
    Error::Protocol("internal: a data step before the transfer opened".into())
}

/// `STOR`: the transfer's opening, the upload copied piece by piece to the
/// data connection, which is then closed, and the final reply.
pub(crate) struct Store {
    open: TransferOpen,
    started: Option<Started>,
    /// Bytes the data connection accepted, and the piece being written.
    sent: u64,
    writing: usize,
    end: Option<TransferEnd>,
}

impl Store {
    pub fn new(command: Command, epsv: bool) -> Store {
        Store {
            open: TransferOpen::new(command, None, epsv),
            started: None,
            sent: 0,
            writing: 0,
            end: None,
        }
    }

    fn opening(&mut self, next: Result<Next<Started>>) -> Result<Next<u64>> {
        next?.then(|started| {
            self.started = Some(started);
            Ok(Next::ReadSource)
        })
    }
}

impl Conversation for Store {
    type Output = u64;

    fn start(&mut self) -> Result<Next<u64>> {
        let next = self.open.start();
        self.opening(next)
    }

    fn on_reply(&mut self, reply: Reply) -> Result<Next<u64>> {
        match &mut self.end {
            Some(end) => end.on_reply(reply)?.then(|_| Ok(Next::Done(self.sent))),
            None => {
                let next = self.open.on_reply(reply);
                self.opening(next)
            }
        }
    }

    fn on_connected(&mut self) -> Result<Next<u64>> {
        let next = self.open.on_connected();
        self.opening(next)
    }

    fn on_source(&mut self, n: usize) -> Result<Next<u64>> {
        if n == 0 {
            return Ok(Next::CloseData);
        }
        self.writing = n;
        Ok(Next::WriteData(n))
    }

    fn on_written(&mut self) -> Result<Next<u64>> {
        self.sent += self.writing as u64;
        self.writing = 0;
        Ok(Next::ReadSource)
    }

    fn on_closed(&mut self) -> Result<Next<u64>> {
        let started = self.started.take().ok_or_else(data_before_opening)?;
        self.end = Some(TransferEnd::new(started, self.sent));
        Ok(Next::Read)
    }

    fn settle(&mut self, session: &mut Session) {
        self.open.settle(session);
        if let Some(end) = &mut self.end {
            end.settle(session);
        }
    }
}

/// Splits a listing into lines (CRLF or LF), decoded lossily, without empty ones.
pub(crate) fn listing_lines(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.is_empty())
        .map(|line| String::from_utf8_lossy(line).into_owned())
        .collect()
}

/// A download read whole into memory: appends `bytes` to `out` unless
/// that passes `limit`. Also checks a size the server announced, before
/// any byte is read (call with `bytes` empty).
pub(crate) fn append_within(
    out: &mut Vec<u8>,
    bytes: &[u8],
    announced: Option<u64>,
    limit: u64,
) -> Result<()> {
    let total = (out.len() as u64).saturating_add(bytes.len() as u64);
    if total > limit || announced.is_some_and(|size| size > limit) {
        return Err(Error::TooLarge { limit });
    }
    out.extend_from_slice(bytes);
    Ok(())
}

/// The error for a listing larger than the limit.
pub(crate) fn listing_too_large(limit: usize) -> Error {
    Error::Protocol(format!("the listing exceeds the {limit}-byte limit"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ftp::session::Command;

    fn drive<C: Conversation>(conv: &mut C, replies: &[Reply]) -> (Vec<String>, Result<C::Output>) {
        let mut sent = Vec::new();
        let mut replies = replies.iter().cloned();
        let mut next = conv.start();
        loop {
            match next {
                Err(e) => return (sent, Err(e)),
                Ok(Next::Done(out)) => return (sent, Ok(out)),
                Ok(Next::Connect(port)) => {
                    sent.push(format!("<connect {port}>"));
                    next = conv.on_connected();
                    continue;
                }
                Ok(Next::Send(command)) => sent.push(command.shown),
                Ok(Next::Read) => {}
                Ok(_) => panic!("no data steps in these conversations"),
            }
            let reply = replies.next().expect("a reply left");
            next = conv.on_reply(reply);
        }
    }

    #[test]
    fn command_injection_is_refused() {
        for bad in ["a\r\nDELE b", "a\nb", "a\rb", "a\0b"] {
            assert!(matches!(
                Command::new("RETR", Some(bad)),
                Err(Error::InvalidInput(_))
            ));
        }
        assert_eq!(
            Command::new("CWD", Some("a b")).unwrap().line,
            "CWD a b\r\n"
        );
        assert_eq!(Command::secret("PASS", "x").unwrap().shown, "PASS ****");
        assert!(Login::new("u\r\nDELE x", "p").is_err());
        assert!(Login::new("u", "p\nQUIT").is_err());
    }

    #[test]
    fn login_sequences() {
        let (sent, out) = drive(
            &mut Login::new("alice", "secret").unwrap(),
            &[Reply::new(331, "pw"), Reply::new(230, "ok")],
        );
        assert_eq!(sent, ["USER alice", "PASS ****"]);
        out.unwrap();
        let (sent, out) = drive(&mut Login::new("a", "b").unwrap(), &[Reply::new(230, "in")]);
        assert_eq!(sent, ["USER a"]);
        out.unwrap();
        let (_, out) = drive(
            &mut Login::new("a", "b").unwrap(),
            &[
                Reply::new(331, "pw"),
                Reply::new(530, "Authentication failed."),
            ],
        );
        assert!(
            matches!(out, Err(Error::LoginDenied { code: 530, .. })),
            "{out:?}"
        );
        let (_, out) = drive(
            &mut Login::new("a", "b").unwrap(),
            &[Reply::new(331, "pw"), Reply::new(332, "account")],
        );
        assert!(matches!(out, Err(Error::LoginDenied { code: 332, .. })));
        let (_, out) = drive(
            &mut Login::new("a", "b").unwrap(),
            &[Reply::new(421, "bye")],
        );
        assert!(matches!(out, Err(Error::ServiceNotAvailable { .. })));
        let (_, out) = drive(
            &mut Login::new("a", "b").unwrap(),
            &[Reply::new(331, "pw"), Reply::new(503, "bad sequence")],
        );
        let err = out.unwrap_err();
        assert!(matches!(err, Error::Rejected { code: 503, .. }));
        // The password never shows in an error.
        assert!(err.to_string().contains("PASS ****"), "{err}");
        assert!(!err.to_string().contains("PASS b"), "{err}");
    }

    #[test]
    fn transfer_with_epsv_rest_and_size() {
        let mut open = TransferOpen::new(Command::new("RETR", Some("f")).unwrap(), Some(10), true);
        let (sent, out) = drive(
            &mut open,
            &[
                Reply::new(229, "Entering Extended Passive Mode (|||5000|)"),
                Reply::new(350, "Restarting"),
                Reply::new(150, "Opening BINARY mode data connection for f (90 bytes)"),
            ],
        );
        assert_eq!(sent, ["EPSV", "<connect 5000>", "REST 10", "RETR f"]);
        let started = out.unwrap();
        assert_eq!(started.expected, Some(90));
        assert!(!open.fell_back);
        // The final reply, with the announced size checked.
        let (_, out) = drive(
            &mut TransferEnd::new(started.clone(), 90),
            &[Reply::new(226, "Transfer complete")],
        );
        out.unwrap();
        let (_, out) = drive(
            &mut TransferEnd::new(started.clone(), 89),
            &[Reply::new(226, "Transfer complete")],
        );
        assert!(matches!(out, Err(Error::Protocol(_))));
        let (_, out) = drive(
            &mut TransferEnd::new(started, 12),
            &[Reply::new(426, "Connection closed; transfer aborted.")],
        );
        assert!(matches!(out, Err(Error::Rejected { code: 426, .. })));
    }

    #[test]
    fn epsv_refused_falls_back_to_pasv_ignoring_its_address() {
        let mut open = TransferOpen::new(Command::new("LIST", None).unwrap(), None, true);
        let (sent, out) = drive(
            &mut open,
            &[
                Reply::new(500, "Command EPSV not understood"),
                Reply::new(227, "Entering Passive Mode (10,9,8,7,19,137)."),
                Reply::new(125, "Data connection already open. Transfer starting."),
            ],
        );
        assert_eq!(sent, ["EPSV", "PASV", "<connect 5001>", "LIST"]);
        assert_eq!(out.unwrap().expected, None);
        assert!(open.fell_back);
        // Without EPSV from the start.
        let mut open = TransferOpen::new(Command::new("NLST", None).unwrap(), None, false);
        let (sent, _) = drive(
            &mut open,
            &[Reply::new(227, "(127,0,0,1,19,137)"), Reply::new(150, "ok")],
        );
        assert_eq!(sent, ["PASV", "<connect 5001>", "NLST"]);
        // Not logged in: no fallback.
        let (_, out) = drive(
            &mut TransferOpen::new(Command::new("LIST", None).unwrap(), None, true),
            &[Reply::new(530, "Log in with USER and PASS first.")],
        );
        assert!(matches!(out, Err(Error::LoginDenied { .. })));
        // A malformed 229 is an error, not a guess.
        let (_, out) = drive(
            &mut TransferOpen::new(Command::new("LIST", None).unwrap(), None, true),
            &[Reply::new(229, "Entering Extended Passive Mode (|||x|)")],
        );
        assert!(matches!(out, Err(Error::MalformedReply(_))));
    }

    #[test]
    fn missing_file_is_file_unavailable() {
        let (_, out) = drive(
            &mut TransferOpen::new(Command::new("RETR", Some("nope")).unwrap(), None, true),
            &[
                Reply::new(229, "(|||5000|)"),
                Reply::new(550, "No such file or directory."),
            ],
        );
        let err = out.unwrap_err();
        assert!(
            matches!(err, Error::FileUnavailable { code: 550, .. }),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "ftp: file unavailable (550 No such file or directory.)"
        );
    }

    #[test]
    fn simple_commands() {
        let (sent, out) = drive(
            &mut Simple::new(Command::new("SIZE", Some("f")).unwrap()),
            &[Reply::new(213, "12")],
        );
        assert_eq!(sent, ["SIZE f"]);
        assert_eq!(reply::parse_size(&out.unwrap()).unwrap(), 12);
        let (_, out) = drive(
            &mut Simple::new(Command::new("CWD", Some("x")).unwrap()),
            &[Reply::new(350, "?")],
        );
        assert!(matches!(out, Err(Error::Rejected { code: 350, .. })));
        let (_, out) = drive(
            &mut Greeting,
            &[Reply::new(120, "soon"), Reply::new(220, "hi")],
        );
        assert_eq!(out.unwrap().code, 220);
        let (_, out) = drive(&mut Greeting, &[Reply::new(421, "Too many connections")]);
        assert!(matches!(out, Err(Error::ServiceNotAvailable { .. })));
    }

    #[test]
    fn listings() {
        assert_eq!(listing_lines(b"a\r\nb\n\r\nc"), ["a", "b", "c"]);
        assert!(listing_lines(b"").is_empty());
    }
}
