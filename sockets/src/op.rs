//! The future of one asynchronous operation on a [`Socket`], and what names
//! it in errors. A hand-written state machine (not nested `async fn`s), so
//! that a parked receive stays small: it is what each of 10,000 idle
//! connections holds, and what every caller's future holds while it waits.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::Result;
use crate::socket::Socket;
use crate::source::Direction;
use crate::wait::SelectMode;
use crate::waiter::Waiter;

/// The operation an [`Op`] runs, as errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Accept,
    Connect,
    Send,
    SendTo,
    SendFile,
    Receive,
    ReceiveFrom,
    ReceiveMessageFrom,
    Wait,
    /// The `AsyncRead` impls.
    Read,
    /// The `AsyncWrite` impls.
    Write,
}

impl Verb {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Accept => "accept",
            Verb::Connect => "connect",
            Verb::Send => "send",
            Verb::SendTo => "send_to",
            Verb::SendFile => "send_file",
            Verb::Receive => "receive",
            Verb::ReceiveFrom => "receive_from",
            Verb::ReceiveMessageFrom => "receive_message_from",
            Verb::Wait => "wait",
            Verb::Read => "read",
            Verb::Write => "write",
        }
    }
}

/// One asynchronous operation: `op` is tried until it stops returning
/// `WouldBlock`. It is given the socket, so that it need not hold it. `drained` tells from a result and the bytes asked for
/// whether the direction is no longer ready; it is a function item or a
/// closure that captures nothing, so that it takes no room.
pub(crate) struct Op<'a, F, D> {
    socket: &'a Socket,
    waiter: Waiter,
    op: F,
    drained: D,
    /// For a transfer on a stream, the bytes asked for (saturated at
    /// `u32::MAX`, which only makes the readiness cache miss a short
    /// transfer of more); 0 for a call whose result says nothing about readiness.
    asked: u32,
    verb: Verb,
    direction: Direction,
}

impl<T, F, D> Future for Op<'_, F, D>
where
    F: FnMut(&Socket, &socket2::Socket) -> io::Result<T> + Unpin,
    D: Fn(&T, u32) -> bool + Unpin,
{
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = self.get_mut();
        let socket = this.socket;
        let bounded_by = match this.direction {
            Direction::Read => SelectMode::Read,
            Direction::Write => SelectMode::Write,
        };
        let (asked, drained, op) = (this.asked, &this.drained, &mut this.op);
        socket.poll_op(
            cx,
            &mut this.waiter,
            this.direction,
            this.verb,
            Some(bounded_by),
            |s| op(socket, s),
            |value| drained(value, asked),
        )
    }
}

impl<F, D> Drop for Op<'_, F, D> {
    fn drop(&mut self) {
        if self.waiter.is_idle() {
            return;
        }
        if let Some(registration) = self.socket.registration_if_made() {
            self.waiter.done(self.direction, &registration.source);
        }
    }
}

/// For calls whose result says nothing about readiness.
fn never<T>(_: &T, _: u32) -> bool {
    false
}

/// On a stream, fewer bytes than asked for mean the direction is drained
/// (the receive buffer is empty, or the send buffer full).
fn short(n: &usize, asked: u32) -> bool {
    *n > 0 && *n < asked as usize
}

impl Socket {
    /// Runs `op` asynchronously until it stops returning `WouldBlock`.
    pub(crate) fn async_op<T, F>(
        &self,
        verb: Verb,
        direction: Direction,
        op: F,
    ) -> Op<'_, F, impl Fn(&T, u32) -> bool + Unpin>
    where
        F: FnMut(&Socket, &socket2::Socket) -> io::Result<T> + Unpin,
    {
        self.op_with(verb, direction, 0, op, never::<T>)
    }

    /// Like [`async_op`](Socket::async_op) for a transfer of `len` bytes:
    /// on a stream, a shorter result means the direction is drained, so
    /// the next call waits for readiness instead of trying a system call
    /// that would fail.
    pub(crate) fn async_transfer<F>(
        &self,
        verb: Verb,
        direction: Direction,
        len: usize,
        op: F,
    ) -> Op<'_, F, impl Fn(&usize, u32) -> bool + Unpin>
    where
        F: FnMut(&Socket, &socket2::Socket) -> io::Result<usize> + Unpin,
    {
        let asked = match self.socket_type().has_message_boundaries() {
            true => 0,
            false => u32::try_from(len).unwrap_or(u32::MAX),
        };
        self.op_with(verb, direction, asked, op, short)
    }

    fn op_with<F, D>(
        &self,
        verb: Verb,
        direction: Direction,
        asked: u32,
        op: F,
        drained: D,
    ) -> Op<'_, F, D> {
        Op {
            socket: self,
            waiter: Waiter::new(),
            op,
            drained,
            asked,
            verb,
            direction,
        }
    }
}
