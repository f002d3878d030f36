//! A blocking reader read by an asynchronous fetch, so the executor's
//! thread never waits on it: a local file on netstack's blocking pool, a
//! reader to upload (which may wait long for its data) on a thread of its
//! own.

use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncRead;
use sockets::{spawn_blocking, BlockingThread};

/// How much one read asks for.
const CHUNK: usize = 64 * 1024;

type Reader = Box<dyn Read + Send>;

/// A blocking reader read on the pool or its own thread, a chunk at a time.
pub(crate) struct PooledReader {
    state: State,
    /// The reader's own thread; `None` reads on the pool.
    worker: Option<BlockingThread>,
    /// What the last read brought and the caller has not taken yet.
    ready: Vec<u8>,
    taken: usize,
}

type Reading = Pin<Box<dyn Future<Output = (Reader, io::Result<Vec<u8>>)> + Send>>;

enum State {
    Idle(Reader),
    Reading(Reading),
    Ended,
}

impl PooledReader {
    /// Read on the blocking pool: for a reader that never waits long.
    pub(crate) fn new(reader: Reader) -> PooledReader {
        PooledReader {
            state: State::Idle(reader),
            worker: None,
            ready: Vec::new(),
            taken: 0,
        }
    }

    /// Read on a thread of its own: for a reader that may wait.
    pub(crate) fn on_own_thread(reader: Reader) -> PooledReader {
        PooledReader {
            worker: Some(BlockingThread::default()),
            ..PooledReader::new(reader)
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
                    let job = move || {
                        let mut chunk = vec![0u8; CHUNK];
                        let result = reader.read(&mut chunk).map(|n| {
                            chunk.truncate(n);
                            chunk
                        });
                        (reader, result)
                    };
                    this.state = State::Reading(match &mut this.worker {
                        Some(worker) => Box::pin(worker.run(job)),
                        None => Box::pin(spawn_blocking(job)),
                    });
                }
                State::Reading(mut task) => match task.as_mut().poll(cx) {
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
