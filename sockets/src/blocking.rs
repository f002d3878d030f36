//! A small bounded pool of threads for calls that can only block (name
//! resolution through `getaddrinfo(3)`, reads and writes of local files), so
//! async callers never block their executor's threads.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

/// At most this many blocking threads run at once; further jobs queue.
pub const MAX_BLOCKING_THREADS: usize = 4;
/// An idle blocking thread exits after this long.
const IDLE_EXIT: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

struct PoolState {
    queue: VecDeque<Job>,
    threads: usize,
    /// Workers waiting for work.
    idle: usize,
}

static POOL: Pool = Pool {
    state: Mutex::new(PoolState {
        queue: VecDeque::new(),
        threads: 0,
        idle: 0,
    }),
    work: Condvar::new(),
};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `job` on netstack's blocking pool (at most [`MAX_BLOCKING_THREADS`]
/// threads, started on demand, each gone after 10 s idle); the returned
/// future resolves to its result, under any executor. For work that can
/// only block: a name lookup, a file read. Dropping the future does not stop
/// the job (a blocking call cannot be interrupted); its result is then
/// discarded. With all threads busy (for example four lookups stuck on an
/// unresponsive resolver), later jobs wait in the queue. A panic in `job`
/// is resumed where the future is polled.
///
/// ```
/// let text = netstack::sockets::block_on(netstack::sockets::spawn_blocking(|| {
///     std::fs::read_to_string("/proc/self/comm").map(|name| name.len())
/// }));
/// assert!(text.unwrap() > 0);
/// ```
pub fn spawn_blocking<T, F>(job: F) -> BlockingTask<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (task, job) = task_for(job);
    let mut state = lock(&POOL.state);
    state.queue.push_back(job);
    POOL.work.notify_one();
    // Start a thread when the queued jobs outnumber the idle workers (so a
    // second job submitted before a woken worker runs does not queue behind).
    if state.queue.len() > state.idle && state.threads < MAX_BLOCKING_THREADS {
        state.threads += 1;
        let spawned = thread::Builder::new()
            .name("netstack-blocking".into())
            .spawn(worker);
        if spawned.is_err() {
            state.threads -= 1;
            // No thread could be started: run the job here rather than lose it.
            if let Some(job) = state.queue.pop_back() {
                drop(state);
                job();
            }
        }
    }
    task
}

/// `job` made ready to run on any thread, and the task its result goes to.
fn task_for<T, F>(job: F) -> (BlockingTask<T>, Job)
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
        // A panicking job must not kill the worker or leave its task pending
        // forever: the panic is resumed in the task's poll instead.
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
    (BlockingTask { slot }, job)
}

/// A thread of its own for blocking work that may wait long for its data
/// (a pipe, standard input), so that it holds none of the pool's
/// [`MAX_BLOCKING_THREADS`], which name lookups and file reads share. The
/// thread starts with the first job, runs the jobs in turn, and ends once
/// the `BlockingThread` is dropped and its last job has returned.
///
/// ```
/// let mut thread = netstack::sockets::BlockingThread::default();
/// let name = netstack::sockets::block_on(thread.run(|| {
///     std::thread::current().name().map(str::to_string)
/// }));
/// assert_eq!(name.as_deref(), Some("netstack-blocking-own"));
/// ```
#[derive(Debug, Default)]
pub struct BlockingThread {
    jobs: Option<std::sync::mpsc::Sender<Job>>,
}

impl BlockingThread {
    /// Runs `job` on this thread; the task resolves to its result, and a
    /// panic in `job` is resumed where it is polled. If no thread can be
    /// started, the job runs here, as [`spawn_blocking`]'s do, rather than
    /// be lost.
    pub fn run<T, F>(&mut self, job: F) -> BlockingTask<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (task, job) = task_for(job);
        if self.jobs.is_none() {
            let (jobs, queue) = std::sync::mpsc::channel::<Job>();
            let started = thread::Builder::new()
                .name("netstack-blocking-own".into())
                .spawn(move || queue.into_iter().for_each(|job| job()));
            self.jobs = started.ok().map(|_| jobs);
        }
        match &self.jobs {
            Some(jobs) => {
                if let Err(std::sync::mpsc::SendError(job)) = jobs.send(job) {
                    job();
                }
            }
            None => job(),
        }
        task
    }
}

fn worker() {
    let mut state = lock(&POOL.state);
    loop {
        if let Some(job) = state.queue.pop_front() {
            drop(state);
            job();
            state = lock(&POOL.state);
            continue;
        }
        state.idle += 1;
        let (next, timeout) = POOL
            .work
            .wait_timeout(state, IDLE_EXIT)
            .unwrap_or_else(|p| p.into_inner());
        state = next;
        state.idle -= 1;
        if timeout.timed_out() && state.queue.is_empty() {
            state.threads -= 1;
            return;
        }
    }
}

struct Slot<T> {
    result: Option<std::thread::Result<T>>,
    waker: Option<Waker>,
}

/// The pending result of [`spawn_blocking`]: a future of the job's result.
#[must_use = "the job runs anyway; the future gives its result"]
pub struct BlockingTask<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for BlockingTask<T> {
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

impl<T> std::fmt::Debug for BlockingTask<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let done = lock(&self.slot).result.is_some();
        f.debug_struct("BlockingTask").field("done", &done).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_threads_jobs_run_in_turn_on_one_thread_of_its_own() {
        let mut own = BlockingThread::default();
        let first = own.run(|| thread::current().name().map(str::to_string));
        let second = own.run(|| thread::current().id());
        let third = own.run(|| thread::current().id());
        let name = crate::block_on(first);
        assert_eq!(name.as_deref(), Some("netstack-blocking-own"));
        assert_eq!(crate::block_on(second), crate::block_on(third));
    }

    #[test]
    fn a_panicking_job_panics_where_its_task_is_polled_and_the_thread_lives_on() {
        let mut own = BlockingThread::default();
        let task = own.run(|| -> u8 { panic!("in the job") });
        let caught =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| crate::block_on(task)));
        assert!(caught.is_err());
        assert_eq!(crate::block_on(own.run(|| 7)), 7);
    }
}
