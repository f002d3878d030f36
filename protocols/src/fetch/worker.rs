//! A thread of its own for blocking work that may wait long for its data:
//! an upload's reader (a pipe, standard input). netstack's blocking pool
//! has few threads, shared with name lookups and file reads, and a reader
//! that waits must not hold one of them.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

type Job = Box<dyn FnOnce() + Send>;

/// One thread, started by the first job, running jobs in turn; it ends
/// when the `Worker` is dropped and its last job has returned.
#[derive(Default)]
pub(crate) struct Worker {
    jobs: Option<mpsc::Sender<Job>>,
}

impl Worker {
    /// Runs `job` on the worker's thread; the task resolves to its result.
    /// If no thread can be started, the job runs here, as the blocking
    /// pool does, rather than be lost.
    pub(crate) fn run<T, F>(&mut self, job: F) -> Task<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = Arc::new(Mutex::new(Slot {
            result: None,
            waker: None,
        }));
        let filled = Arc::clone(&slot);
        let job: Job = Box::new(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            let waker = {
                let mut slot = lock(&filled);
                slot.result = Some(result);
                slot.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        });
        if self.jobs.is_none() {
            let (jobs, queue) = mpsc::channel::<Job>();
            let started = std::thread::Builder::new()
                .name("netstack-upload".into())
                .spawn(move || queue.into_iter().for_each(|job| job()));
            if started.is_ok() {
                self.jobs = Some(jobs);
            }
        }
        match &self.jobs {
            Some(jobs) => {
                if let Err(mpsc::SendError(job)) = jobs.send(job) {
                    job();
                }
            }
            None => job(),
        }
        Task { slot }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Slot<T> {
    result: Option<std::thread::Result<T>>,
    waker: Option<Waker>,
}

/// The pending result of [`Worker::run`].
pub(crate) struct Task<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for Task<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = lock(&self.slot);
        match slot.result.take() {
            Some(Ok(result)) => Poll::Ready(result),
            Some(Err(panic)) => {
                drop(slot);
                std::panic::resume_unwind(panic)
            }
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_in_turn_on_one_thread_of_their_own() {
        let mut worker = Worker::default();
        let first = worker.run(|| std::thread::current().name().map(str::to_string));
        let second = worker.run(|| std::thread::current().id());
        let third = worker.run(|| std::thread::current().id());
        let name = sockets::block_on(first);
        assert_eq!(name.as_deref(), Some("netstack-upload"));
        assert_eq!(sockets::block_on(second), sockets::block_on(third));
    }

    #[test]
    fn a_panicking_job_panics_where_its_task_is_polled() {
        let mut worker = Worker::default();
        let task = worker.run(|| -> u8 { panic!("in the job") });
        let caught =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sockets::block_on(task)));
        assert!(caught.is_err());
        // The thread lives on for the next job.
        assert_eq!(sockets::block_on(worker.run(|| 7)), 7);
    }
}
