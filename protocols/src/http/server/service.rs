//! A tower `Service` on the async server (the `tower` feature): an axum
//! `Router`, or any service of `http::Request<AsyncRequestBody>` whose
//! response body is an `http_body::Body`, served as a handler is.

use std::borrow::Cow;
use std::error::Error;
use std::future::{poll_fn, Future};

use tower_service::Service;

use super::body::{AsyncRequest, AsyncResponse, AsyncResponseBody};
use super::events;
use super::AsyncHttpServer;
use crate::body_traits::HttpBodyReader;

impl AsyncHttpServer {
    /// Serves `service` as [`serve`](Self::serve) serves a handler: each
    /// request goes to a clone of it once it is ready (`poll_ready`), and
    /// its response body streams to the client as the service produces it.
    /// A service that fails answers `500 Internal Server Error` (and a
    /// `tracing` error names the failure).
    ///
    /// `examples/axum_router.rs` serves an axum `Router` this way.
    pub fn serve_service<S, B>(self, service: S) -> impl Future<Output = ()> + Send + 'static
    where
        S: Service<AsyncRequest, Response = http::Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn Error + Send + Sync>>,
        B: http_body::Body + Send + 'static,
        B::Data: Send + Unpin,
        B::Error: Into<Box<dyn Error + Send + Sync>>,
    {
        self.serve(move |request: AsyncRequest| {
            let mut service = service.clone();
            async move {
                let called = async {
                    poll_fn(|cx| service.poll_ready(cx)).await?;
                    service.call(request).await
                };
                match called.await {
                    Ok(response) => response
                        .map(|body| AsyncResponseBody::from_reader(HttpBodyReader::new(body))),
                    Err(error) => {
                        let error: Box<dyn Error + Send + Sync> = error.into();
                        events::service_failed(&*error);
                        let mut response = AsyncResponse::new(AsyncResponseBody::full(
                            Cow::Borrowed(&b"the service failed\n"[..]),
                        ));
                        *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                        response
                    }
                }
            }
        })
    }
}
