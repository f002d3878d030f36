//! The sans-IO core of a WebSocket connection after its opening handshake
//! (RFC 6455 §5–7): bytes from the peer go in ([`Protocol::receive`]),
//! messages come out ([`Protocol::poll_message`]); messages to send go in
//! ([`Protocol::send`], [`Protocol::close`]) and the bytes to write come
//! out ([`Protocol::output`]). Both drivers, blocking and async, are loops
//! around these calls; neither knows a frame.
//!
//! The core reassembles fragmented messages (control frames may come
//! between the fragments), checks text as UTF-8 as it arrives (a bad byte
//! fails the message at the fragment that carries it), answers pings with
//! pongs and a close frame with its own, and answers a violation of the
//! protocol with a close frame carrying the violation's code, after which
//! the connection is over.

use bytes::{Buf, Bytes, BytesMut};

use super::deflate::{Codec, Deflate};
use super::error::{CloseCode, Error, Violation};
use super::frame::{apply_mask, decode_header, encode_header, FrameHeader, OpCode};
use super::random::MaskKeys;

/// The least room a read gets.
const READ_CHUNK: usize = 16 * 1024;

/// The most room offered for one frame in one read (see
/// [`Protocol::read_buffer`]): the room is zero-filled for every read, so
/// a peer that announces a long frame and sends it a byte at a time must
/// not make each of its bytes cost megabytes of filling.
const FRAME_ROOM_MAX: usize = 112 * 1024;

/// The output buffer's capacity kept between messages.
const OUTPUT_KEPT: usize = 64 * 1024;

/// Which end of the connection this is: a client masks what it sends and
/// refuses masked frames, a server the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The end that opened the connection.
    Client,
    /// The end that accepted it.
    Server,
}

/// A message, whole (fragments are joined), or a control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
    /// A ping (answered with a pong unless that is turned off).
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer's close frame: its code and reason, or `None` when it gave none.
    Close(Option<CloseFrame>),
}

/// The code and reason of a close frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, for people (at most 123 bytes of UTF-8).
    pub reason: String,
}

/// The limits and behaviour of a connection.
#[derive(Debug, Clone)]
pub struct Config {
    max_frame_size: usize,
    max_message_size: usize,
    auto_pong: bool,
    deflate: Option<Deflate>,
}

impl Default for Config {
    /// Frames up to 16 MiB, messages up to 64 MiB, pings answered, no
    /// compression.
    fn default() -> Config {
        Config {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            auto_pong: true,
            deflate: None,
        }
    }
}

impl Config {
    /// The largest frame payload accepted; a longer frame closes the
    /// connection with 1009 before its payload is read.
    pub fn max_frame_size(mut self, bytes: usize) -> Config {
        self.max_frame_size = bytes;
        self
    }

    /// The largest message accepted, its fragments together; a longer one
    /// closes the connection with 1009.
    pub fn max_message_size(mut self, bytes: usize) -> Config {
        self.max_message_size = bytes;
        self
    }

    /// Whether a ping is answered by a pong at once (the default), as RFC
    /// 6455 §5.5.2 asks. Pings are handed to the caller either way.
    pub fn auto_pong(mut self, on: bool) -> Config {
        self.auto_pong = on;
        self
    }

    /// permessage-deflate (RFC 7692): a client offers it, a server accepts
    /// a client's offer, with these settings; `None` (the default) leaves
    /// messages uncompressed. Given to [`Protocol::new`], it is what the
    /// handshake agreed, and the connection compresses.
    pub fn deflate(mut self, deflate: impl Into<Option<Deflate>>) -> Config {
        self.deflate = deflate.into();
        self
    }

    /// The permessage-deflate settings, if it is on.
    pub fn deflate_settings(&self) -> Option<&Deflate> {
        self.deflate.as_ref()
    }
}

/// The next thing a driver does to read a message.
#[derive(Debug)]
pub enum ReadStep {
    /// Write all of [`Protocol::output`], then
    /// [`Protocol::consume_output`] it.
    Write,
    /// Read from the transport into [`Protocol::receive`] (or tell
    /// [`Protocol::end_of_input`] that it ended).
    Read,
    /// A message for the caller.
    Deliver(Message),
    /// The peer broke the protocol; the close frame that says so is written.
    Failed(Violation),
    /// The connection is over.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// This side sent its close frame and waits for the peer's.
    CloseSent,
    /// Both close frames are out (or a violation ended it): nothing more.
    Closed,
}

/// What decoding one frame came to.
enum Frame {
    /// It completed a message (or was a control frame).
    Message(Message),
    /// It was a fragment that did not end its message.
    Consumed,
    /// Its header or payload has not all arrived.
    Incomplete,
}

/// A text or binary message whose first fragments have arrived.
#[derive(Debug)]
struct Partial {
    text: bool,
    /// Its first frame had RSV1: the whole message is DEFLATE data.
    compressed: bool,
    data: BytesMut,
    /// How many bytes of `data` are known to be UTF-8 (text only); the
    /// rest is at most an unfinished character.
    checked: usize,
}

/// The state of one WebSocket connection, without I/O.
#[derive(Debug)]
pub struct Protocol {
    role: Role,
    config: Config,
    input: BytesMut,
    output: Vec<u8>,
    /// Bytes of `output` already written.
    written: usize,
    /// Where [`Protocol::read_buffer`]'s room starts, until it is filled.
    unfilled: Option<usize>,
    /// The length of the last frame whose head was decoded, at most
    /// [`FRAME_ROOM_MAX`]: the room offered for the next frame before
    /// its head arrives, as peers tend to send frames of one size.
    expected_frame: usize,
    partial: Option<Partial>,
    state: State,
    masks: MaskKeys,
    /// permessage-deflate's state, when the handshake agreed on it.
    codec: Option<Codec>,
    /// What [`Protocol::next_read_step`] decoded, kept until the output
    /// it caused is written.
    ready: Option<Result<Message, Violation>>,
}

impl Protocol {
    /// A connection whose opening handshake is done, as `role`.
    pub fn new(role: Role, config: Config) -> Protocol {
        let codec = config.deflate.map(Codec::new);
        Protocol {
            role,
            config,
            input: BytesMut::new(),
            output: Vec::new(),
            written: 0,
            unfilled: None,
            expected_frame: 0,
            partial: None,
            state: State::Open,
            masks: MaskKeys::default(),
            codec,
            ready: None,
        }
    }

    /// Bytes that arrived from the peer.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.filled(0);
        self.input.extend_from_slice(bytes);
    }

    /// Room to read the peer's next bytes into, without a copy: the rest
    /// of a frame whose head has arrived (before that, the length of the
    /// last frame), up to 112 KiB, and 16 KiB more, so that one read can
    /// also take the head of the frame behind it (a stream of long frames
    /// then costs one read per frame, not two). Tell [`Protocol::filled`]
    /// how many were read.
    pub fn read_buffer(&mut self) -> &mut [u8] {
        self.filled(0);
        let pending = match decode_header(&self.input, self.codec.is_some()) {
            Ok(Some((header, at))) => (at as u64 + header.len)
                .saturating_sub(self.input.len() as u64)
                .min(FRAME_ROOM_MAX as u64) as usize,
            Ok(None) => self.expected_frame,
            Err(_) => 0,
        };
        let start = self.input.len();
        self.input.resize(start + pending + READ_CHUNK, 0);
        self.unfilled = Some(start);
        &mut self.input[start..]
    }

    /// `n` bytes were read into [`Protocol::read_buffer`].
    pub fn filled(&mut self, n: usize) {
        if let Some(start) = self.unfilled.take() {
            self.input.truncate(start + n);
        }
    }

    /// The next message in what has arrived: `Ok(None)` when more bytes
    /// are needed (or the connection is over: see [`Protocol::is_closed`]).
    /// A ping puts its pong in the output, a close frame this side's
    /// answer; a violation puts a close frame with its code there and ends
    /// the connection.
    pub fn poll_message(&mut self) -> Result<Option<Message>, Violation> {
        self.filled(0);
        while self.state != State::Closed {
            match self.next_frame() {
                Ok(Frame::Message(message)) => return Ok(Some(message)),
                // A fragment that did not finish its message: on to the next.
                Ok(Frame::Consumed) => {}
                Ok(Frame::Incomplete) => return Ok(None),
                Err(violation) => {
                    self.fail(&violation);
                    return Err(violation);
                }
            }
        }
        Ok(None)
    }

    /// What a driver does next to read a message: write the output first
    /// (a pong, a close frame), then deliver what has arrived, or read more.
    pub fn next_read_step(&mut self) -> ReadStep {
        if !self.output().is_empty() {
            return ReadStep::Write;
        }
        if let Some(ready) = self.ready.take() {
            return match ready {
                Ok(message) => ReadStep::Deliver(message),
                Err(violation) => ReadStep::Failed(violation),
            };
        }
        match self.poll_message() {
            Ok(Some(message)) => self.ready = Some(Ok(message)),
            Ok(None) if self.is_closed() => return ReadStep::Closed,
            Ok(None) => return ReadStep::Read,
            Err(violation) => self.ready = Some(Err(violation)),
        }
        self.next_read_step()
    }

    /// Queues `message` (text, binary, ping or pong) as one frame. A
    /// `Close` goes through [`Protocol::close`].
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        if self.state != State::Open {
            return Err(Error::SendAfterClose);
        }
        match message {
            Message::Text(text) => self.data_frame(OpCode::Text, text.as_bytes()),
            Message::Binary(data) => self.data_frame(OpCode::Binary, &data),
            Message::Ping(data) => self.control(OpCode::Ping, &data)?,
            Message::Pong(data) => self.control(OpCode::Pong, &data)?,
            Message::Close(frame) => return self.close(frame),
        }
        Ok(())
    }

    /// Starts the close handshake: queues a close frame (with `frame`'s
    /// code and reason, or none). Messages that arrive until the peer's
    /// close frame are still delivered.
    pub fn close(&mut self, frame: Option<CloseFrame>) -> Result<(), Error> {
        if self.state != State::Open {
            return Err(Error::SendAfterClose);
        }
        let payload = match &frame {
            None => Vec::new(),
            Some(CloseFrame { code, reason }) => {
                if !code.is_sendable() {
                    return Err(Error::InvalidClose(format!(
                        "the close code {code} may not be sent"
                    )));
                }
                if reason.len() > 123 {
                    return Err(Error::InvalidClose(format!(
                        "a close reason is at most 123 bytes; this one has {}",
                        reason.len()
                    )));
                }
                close_payload(*code, reason)
            }
        };
        self.frame(OpCode::Close, &payload);
        self.state = State::CloseSent;
        Ok(())
    }

    /// The bytes to write to the peer, in order.
    pub fn output(&self) -> &[u8] {
        &self.output[self.written..]
    }

    /// Forgets the first `n` bytes of the output (they were written).
    pub fn consume_output(&mut self, n: usize) {
        self.written = (self.written + n).min(self.output.len());
        if self.written == self.output.len() {
            self.output.clear();
            self.written = 0;
            if self.output.capacity() > OUTPUT_KEPT {
                // A big message's buffer goes back once it is written.
                self.output = Vec::new();
            }
        }
    }

    /// True once the close handshake is over or a violation ended the
    /// connection: write what [`Protocol::output`] holds, then close the
    /// transport.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The permessage-deflate settings the connection runs with, if any.
    pub fn deflate(&self) -> Option<&Deflate> {
        self.codec.as_ref().map(Codec::settings)
    }

    /// True once this side has sent its close frame.
    pub fn close_sent(&self) -> bool {
        self.state != State::Open
    }

    /// The transport ended. An error unless the close handshake was over:
    /// bytes that had not made a whole frame are lost with the connection.
    pub fn end_of_input(&mut self) -> Result<(), Error> {
        let closed = self.state == State::Closed;
        self.state = State::Closed;
        match closed {
            true => Ok(()),
            false => Err(Error::ConnectionLost),
        }
    }

    /// Decodes one frame if it is all here. What its header shows is
    /// checked as soon as the header is: the answer to a bad frame does not
    /// wait for its payload.
    fn next_frame(&mut self) -> Result<Frame, Violation> {
        let Some((header, at)) = decode_header(&self.input, self.codec.is_some())? else {
            return Ok(Frame::Incomplete);
        };
        match (self.role, header.mask.is_some()) {
            (Role::Server, false) => return Err(Violation::UnmaskedFrame),
            (Role::Client, true) => return Err(Violation::MaskedFrame),
            _ => {}
        }
        if header.len > self.config.max_frame_size as u64 {
            return Err(Violation::FrameTooLarge {
                len: header.len,
                limit: self.config.max_frame_size,
            });
        }
        // Fits in usize: at most max_frame_size.
        let len = header.len as usize;
        self.expected_frame = len.min(FRAME_ROOM_MAX);
        if self.input.len() - at < len {
            self.input.reserve(at + len - self.input.len());
            return Ok(Frame::Incomplete);
        }
        self.input.advance(at);
        let mut payload = self.input.split_to(len);
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        Ok(match self.deliver(&header, payload)? {
            Some(message) => Frame::Message(message),
            None => Frame::Consumed,
        })
    }

    fn deliver(
        &mut self,
        header: &FrameHeader,
        payload: BytesMut,
    ) -> Result<Option<Message>, Violation> {
        match header.opcode {
            OpCode::Text | OpCode::Binary => {
                if self.partial.is_some() {
                    return Err(Violation::UnfinishedMessage);
                }
                self.check_message_size(payload.len())?;
                let mut partial = Partial {
                    text: header.opcode == OpCode::Text,
                    compressed: header.rsv1,
                    data: payload,
                    checked: 0,
                };
                if header.fin {
                    return self.whole(partial).map(Some);
                }
                check_utf8_so_far(&mut partial)?;
                self.partial = Some(partial);
                Ok(None)
            }
            _ if header.rsv1 => Err(Violation::ReservedBits(4)),
            OpCode::Continuation => {
                let Some(mut partial) = self.partial.take() else {
                    return Err(Violation::UnexpectedContinuation);
                };
                self.check_message_size(partial.data.len() + payload.len())?;
                partial.data.unsplit(payload);
                check_utf8_so_far(&mut partial)?;
                if header.fin {
                    return self.whole(partial).map(Some);
                }
                self.partial = Some(partial);
                Ok(None)
            }
            OpCode::Ping => {
                let payload = payload.freeze();
                if self.config.auto_pong && self.state == State::Open {
                    self.frame(OpCode::Pong, &payload);
                }
                Ok(Some(Message::Ping(payload)))
            }
            OpCode::Pong => Ok(Some(Message::Pong(payload.freeze()))),
            OpCode::Close => {
                let frame = parse_close(&payload)?;
                if self.state == State::Open {
                    // Echo the code, as RFC 6455 §5.5.1 suggests.
                    let reply = frame
                        .as_ref()
                        .map(|f| close_payload(f.code, ""))
                        .unwrap_or_default();
                    self.frame(OpCode::Close, &reply);
                }
                self.state = State::Closed;
                Ok(Some(Message::Close(frame)))
            }
        }
    }

    /// The message that `partial` has become now that its last frame is
    /// in: inflated when it was compressed, checked when it is text.
    fn whole(&mut self, partial: Partial) -> Result<Message, Violation> {
        let data = match (partial.compressed, self.codec.as_mut()) {
            (false, _) if !partial.text => return Ok(Message::Binary(partial.data.freeze())),
            (false, _) => Vec::from(partial.data),
            (true, Some(codec)) => codec.decompress(&partial.data, self.config.max_message_size)?,
            (true, None) => return Err(Violation::ReservedBits(4)),
        };
        if !partial.text {
            return Ok(Message::Binary(Bytes::from(data)));
        }
        String::from_utf8(data)
            .map(Message::Text)
            .map_err(|_| Violation::InvalidUtf8)
    }

    fn check_message_size(&self, len: usize) -> Result<(), Violation> {
        if len > self.config.max_message_size {
            return Err(Violation::MessageTooLarge {
                limit: self.config.max_message_size,
            });
        }
        Ok(())
    }

    /// Ends the connection for `violation`: a close frame with its code,
    /// unless this side already sent one.
    fn fail(&mut self, violation: &Violation) {
        if self.state == State::Open {
            let payload = close_payload(violation.close_code(), "");
            self.frame(OpCode::Close, &payload);
        }
        self.state = State::Closed;
        self.partial = None;
        self.input.clear();
    }

    fn control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > super::frame::MAX_CONTROL_PAYLOAD {
            return Err(Error::InvalidClose(format!(
                "a ping or pong carries at most 125 bytes; this one has {}",
                payload.len()
            )));
        }
        self.frame(opcode, payload);
        Ok(())
    }

    /// Appends a text or binary message as one frame, compressed when
    /// permessage-deflate is on.
    fn data_frame(&mut self, opcode: OpCode, payload: &[u8]) {
        match self
            .codec
            .as_mut()
            .and_then(|codec| codec.compress(payload))
        {
            Some(compressed) => self.frame_with(opcode, &compressed, true),
            None => self.frame_with(opcode, payload, false),
        }
    }

    /// Appends one whole frame to the output, masked when this is a client.
    fn frame(&mut self, opcode: OpCode, payload: &[u8]) {
        self.frame_with(opcode, payload, false)
    }

    fn frame_with(&mut self, opcode: OpCode, payload: &[u8], rsv1: bool) {
        let mask = match self.role {
            Role::Client => Some(self.masks.next()),
            Role::Server => None,
        };
        let header = FrameHeader {
            fin: true,
            rsv1,
            opcode,
            mask,
            len: payload.len() as u64,
        };
        self.output
            .reserve(payload.len() + super::frame::MAX_HEADER_LEN);
        encode_header(&mut self.output, &header);
        let start = self.output.len();
        self.output.extend_from_slice(payload);
        if let Some(key) = mask {
            apply_mask(&mut self.output[start..], key, 0);
        }
    }
}

/// Checks the text received so far: an invalid byte fails now, an
/// unfinished character at the end waits for the next fragment.
fn check_utf8_so_far(partial: &mut Partial) -> Result<(), Violation> {
    if !partial.text || partial.compressed {
        return Ok(());
    }
    match std::str::from_utf8(&partial.data[partial.checked..]) {
        Ok(_) => partial.checked = partial.data.len(),
        Err(err) if err.error_len().is_none() => partial.checked += err.valid_up_to(),
        Err(_) => return Err(Violation::InvalidUtf8),
    }
    Ok(())
}

fn parse_close(payload: &[u8]) -> Result<Option<CloseFrame>, Violation> {
    match payload {
        [] => Ok(None),
        [_] => Err(Violation::ClosePayloadTooShort),
        [high, low, reason @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*high, *low]));
            if !code.is_sendable() {
                return Err(Violation::InvalidCloseCode(code.0));
            }
            let reason = std::str::from_utf8(reason).map_err(|_| Violation::InvalidUtf8)?;
            Ok(Some(CloseFrame {
                code,
                reason: reason.to_owned(),
            }))
        }
    }
}

fn close_payload(code: CloseCode, reason: &str) -> Vec<u8> {
    let mut payload = code.0.to_be_bytes().to_vec();
    payload.extend_from_slice(reason.as_bytes());
    payload
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
