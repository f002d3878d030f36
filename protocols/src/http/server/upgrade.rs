//! Leaving HTTP on a connection: a handler answers `101 Switching
//! Protocols` with a callback attached to the response, and once the head
//! is written the driver hands the connection to it (the WebSocket server,
//! [`crate::websocket::Accept`]). The steps both drivers share are here;
//! each driver writes the head in its own mode between them.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use http::{HeaderMap, StatusCode};
use transport::NetworkStream;

use super::state::{ConnGuard, GoingAway};
use super::stream::{lock, Link, Stream};

/// A connection taken over after its `101`: the stream, and the bytes the
/// client sent after its request.
pub(crate) struct Upgraded {
    pub stream: Stream,
    pub net: Arc<NetworkStream>,
    pub leftover: Vec<u8>,
    /// Set when the server shuts down.
    pub going_away: GoingAway,
    /// Where the stream goes back when what it was lent to drops it.
    pub give_back: StreamSlot,
}

/// Where a connection's stream comes back to the server from the protocol
/// it was lent to, so that the server can end it properly: a TLS stream
/// with `close_notify`, which the socket underneath cannot send.
#[derive(Clone, Default)]
pub(crate) struct StreamSlot(Arc<Mutex<Option<Stream>>>);

impl StreamSlot {
    pub(crate) fn put(&self, stream: Stream) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(stream);
    }

    /// The stream, once given back (`None` while the protocol still has it,
    /// as when its handler moved it elsewhere and returned).
    pub(crate) fn take(&self) -> Option<Stream> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

type Serve = Box<dyn FnOnce(Upgraded) + Send>;
type ServeAsync = Box<dyn FnOnce(Upgraded) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// What a blocking handler's `101` response carries: run on the
/// connection's thread once the head is written.
#[derive(Clone)]
pub(crate) struct OnUpgrade(Arc<Mutex<Option<Serve>>>);

/// What an async handler's `101` response carries: a future the
/// connection's task drives once the head is written.
#[derive(Clone)]
pub(crate) struct OnUpgradeAsync(Arc<Mutex<Option<ServeAsync>>>);

impl OnUpgrade {
    pub(crate) fn new(serve: impl FnOnce(Upgraded) + Send + 'static) -> OnUpgrade {
        OnUpgrade(Arc::new(Mutex::new(Some(Box::new(serve)))))
    }

    /// The callback of a `101` response that has one.
    pub(crate) fn take<B>(response: &mut http::Response<B>) -> Option<Serve> {
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            return None;
        }
        let on = response.extensions_mut().remove::<OnUpgrade>()?;
        let serve = on.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        serve
    }
}

impl OnUpgradeAsync {
    pub(crate) fn new<F>(serve: impl FnOnce(Upgraded) -> F + Send + 'static) -> OnUpgradeAsync
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let serve: ServeAsync = Box::new(move |upgraded| Box::pin(serve(upgraded)));
        OnUpgradeAsync(Arc::new(Mutex::new(Some(serve))))
    }

    /// The callback of a `101` response that has one.
    pub(crate) fn take<B>(response: &mut http::Response<B>) -> Option<ServeAsync> {
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            return None;
        }
        let on = response.extensions_mut().remove::<OnUpgradeAsync>()?;
        let serve = on.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        serve
    }
}

/// Queues the `101` head and leaves HTTP (see `Conn::switch_protocols`):
/// the bytes that followed the request, or `None` when the request cannot
/// switch (an error response is queued instead; write it and close).
pub(crate) fn begin(link: &Link, mut headers: HeaderMap) -> Option<Vec<u8>> {
    lock(link).core.switch_protocols(&mut headers)
}

/// Ends a connection whose new protocol is over, after the driver's
/// lingering read (`io::linger_sync` or `io::linger_async`): the peer may
/// still be sending (a WebSocket's answer to the close frame just sent),
/// and a close with unread data resets the connection, which can destroy
/// that close frame before the peer reads it. Not with `close`: the
/// close at the end of a shutdown's grace period may come at this moment,
/// and two closes of one socket from two threads must not race. Both
/// directions are shut instead; the
/// descriptor closes when the last handle to it drops, once the server's
/// registry lets go of it.
pub(crate) fn end(net: &NetworkStream) {
    let _ = net.shutdown(sockets::Shutdown::Both);
}

/// Takes the connection out of the link once the head is written, to be
/// served `blocking` or not. `None` when something still holds the link: a
/// request body the handler kept, which would read from the same stream.
pub(crate) fn finish(
    link: Link,
    leftover: Vec<u8>,
    guard: &ConnGuard,
    blocking: bool,
) -> Option<Upgraded> {
    let shared = Arc::try_unwrap(link)
        .ok()?
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let going_away = guard.upgraded(blocking);
    Some(Upgraded {
        stream: shared.stream,
        net: shared.net,
        leftover,
        going_away,
        give_back: StreamSlot::default(),
    })
}
