//! The connection pool: idle keep-alive connections by (scheme, host,
//! port, proxy), bounded per host and overall, expired after an idle
//! timeout, and checked for a close by the server before reuse.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::http::client::stream::Stream;

/// Where a connection goes: the origin, and the proxy it goes through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    /// `http` or `https` (the only schemes a request may have).
    pub scheme: &'static str,
    pub host: String,
    pub port: u16,
    pub proxy: Option<(String, u16)>,
}

/// How many more hosts' lists than idle connections the pool keeps before
/// it drops the empty ones.
const EMPTY_LISTS_KEPT: usize = 64;

/// The pool's bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolConfig {
    pub max_idle_per_host: usize,
    pub max_idle: usize,
    pub idle_timeout: Duration,
}

#[derive(Debug)]
struct Idle {
    stream: Stream,
    since: Instant,
}

#[derive(Debug, Default)]
struct Inner {
    idle: HashMap<PoolKey, VecDeque<Idle>>,
    count: usize,
}

/// Idle connections, shared by the clones of one client.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    inner: Arc<Mutex<Inner>>,
    config: PoolConfig,
}

impl Pool {
    pub fn new(config: PoolConfig) -> Pool {
        Pool {
            inner: Arc::new(Mutex::new(Inner::default())),
            config,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The most recently used idle connection for `key` that is still
    /// open; expired and closed ones are dropped on the way.
    pub fn take(&self, key: &PoolKey) -> Option<Stream> {
        let mut dropped = Vec::new();
        let found = {
            let mut inner = self.lock();
            let mut found = None;
            let mut taken = 0;
            if let Some(list) = inner.idle.get_mut(key) {
                while let Some(idle) = list.pop_back() {
                    taken += 1;
                    if idle.since.elapsed() < self.config.idle_timeout
                        && idle.stream.idle_and_open()
                    {
                        found = Some(idle.stream);
                        break;
                    }
                    dropped.push(idle.stream);
                }
            }
            inner.count -= taken;
            // A list emptied stays for the connection's return, which then
            // allocates nothing; the empty lists go once the lists outnumber
            // the idle connections by `EMPTY_LISTS_KEPT` (a client of many hosts).
            if inner.idle.len() > inner.count + EMPTY_LISTS_KEPT {
                inner.idle.retain(|_, list| !list.is_empty());
            }
            found
        };
        // Closed outside the lock.
        drop(dropped);
        found
    }

    /// Keeps `stream` for reuse, within the bounds (the oldest idle
    /// connection makes room when the pool is full).
    pub fn put(&self, key: PoolKey, stream: Stream) {
        if self.config.max_idle_per_host == 0 || self.config.max_idle == 0 {
            return;
        }
        let mut evicted = None;
        {
            let mut inner = self.lock();
            let per_host = inner.idle.get(&key).map_or(0, VecDeque::len);
            if per_host >= self.config.max_idle_per_host {
                evicted = inner
                    .idle
                    .get_mut(&key)
                    .and_then(VecDeque::pop_front)
                    .map(|i| i.stream);
                inner.count -= 1;
            } else if inner.count >= self.config.max_idle {
                let oldest = inner
                    .idle
                    .iter()
                    .filter_map(|(k, list)| list.front().map(|i| (k.clone(), i.since)))
                    .min_by_key(|(_, since)| *since)
                    .map(|(k, _)| k);
                if let Some(oldest) = oldest {
                    let list = inner.idle.get_mut(&oldest).expect("found above");
                    evicted = list.pop_front().map(|i| i.stream);
                    if list.is_empty() {
                        inner.idle.remove(&oldest);
                    }
                    inner.count -= 1;
                }
            }
            inner.idle.entry(key).or_default().push_back(Idle {
                stream,
                since: Instant::now(),
            });
            inner.count += 1;
        }
        drop(evicted);
    }

    /// How many idle connections the pool holds.
    pub fn idle_count(&self) -> usize {
        self.lock().count
    }

    /// Closes every idle connection.
    pub fn clear(&self) {
        let idle = std::mem::take(&mut self.lock().idle);
        self.lock().count = 0;
        drop(idle);
    }
}
