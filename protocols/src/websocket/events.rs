//! What the WebSocket server tells `tracing` subscribers (the `tracing`
//! feature), under the target `netstack::websocket`.

use super::error::Error;

/// A connection switched to WebSocket but could not be set up (its
/// timeouts could not be set: the socket is already gone).
pub(crate) fn open_failed(error: &Error) {
    #[cfg(feature = "tracing")]
    tracing::warn!(target: "netstack::websocket", "a WebSocket could not be opened: {error}");
    #[cfg(not(feature = "tracing"))]
    let _ = error;
}
