//! A blocking reader (a local file) read by an asynchronous fetch: its
//! reads run on netstack's blocking pool, so the executor's thread never
//! waits on the disk.

use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncRead;
use sockets::{spawn_blocking, BlockingTask};

/// How much one read on the pool asks for.
const CHUNK: usize = 64 * 1024;

type Reader = Box<dyn Read + Send>;

/// A blocking reader read on the pool, a chunk at a time.
pub(crate) struct PooledReader {
    state: State,
    /// What the last read brought and the caller has not taken yet.
    ready: Vec<u8>,
    taken: usize,
}

enum State {
    Idle(Reader),
    Reading(BlockingTask<(Reader, io::Result<Vec<u8>>)>),
    Ended,
}

impl PooledReader {
    pub(crate) fn new(reader: Reader) -> PooledReader {
        PooledReader {
            state: State::Idle(reader),
            ready: Vec::new(),
            taken: 0,
        }
    }
}

impl AsyncRead for PooledReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            if this.taken < this.ready.len() {
                let n = buf.len().min(this.ready.len() - this.taken);
                buf[..n].copy_from_slice(&this.ready[this.taken..this.taken + n]);
                this.taken += n;
                return Poll::Ready(Ok(n));
            }
            match std::mem::replace(&mut this.state, State::Ended) {
                State::Ended => return Poll::Ready(Ok(0)),
                State::Idle(mut reader) => {
                    this.state = State::Reading(spawn_blocking(move || {
                        let mut chunk = vec![0u8; CHUNK];
                        let result = reader.read(&mut chunk).map(|n| {
                            chunk.truncate(n);
                            chunk
                        });
                        (reader, result)
                    }));
                }
                State::Reading(mut task) => match Pin::new(&mut task).poll(cx) {
                    Poll::Pending => {
                        this.state = State::Reading(task);
                        return Poll::Pending;
                    }
                    Poll::Ready((_, Ok(chunk))) if chunk.is_empty() => {
                        return Poll::Ready(Ok(0));
                    }
                    Poll::Ready((reader, Ok(chunk))) => {
                        this.state = State::Idle(reader);
                        this.ready = chunk;
                        this.taken = 0;
                    }
                    // The reader stays usable after an error, as a blocking one does.
                    Poll::Ready((reader, Err(error))) => {
                        this.state = State::Idle(reader);
                        return Poll::Ready(Err(error));
                    }
                },
            }
        }
    }
}
