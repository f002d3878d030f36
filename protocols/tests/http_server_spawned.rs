//! `AsyncHttpServer::serve_spawned`: every connection as its own tokio task,
//! served in parallel, and still shut down gracefully.

use std::borrow::Cow;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use protocols::http::client::Client;
use protocols::http::server::{
    AsyncHttpServer, AsyncRequest, AsyncResponse, AsyncResponseBody, ServerConfig,
};

#[test]
fn spawned_connections_are_served_in_parallel_and_shut_down_gracefully() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let server = AsyncHttpServer::bind(
        (Ipv4Addr::LOCALHOST, 0),
        ServerConfig::default().shutdown_grace(Duration::from_secs(5)),
    )
    .unwrap();
    let base = format!("http://{}", server.local_endpoint());
    let shutdown = server.shutdown_handle();
    let spawned = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&spawned);
    let handle = runtime.handle().clone();
    // How many slow requests are inside the handler at once, and the peak.
    let in_flight_now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (in_flight_counter, peak_counter) = (Arc::clone(&in_flight_now), Arc::clone(&peak));
    let accept_loop = runtime.spawn(server.serve_spawned(
        move |request: AsyncRequest| {
            let in_flight = Arc::clone(&in_flight_counter);
            let most_in_flight = Arc::clone(&peak_counter);
            async move {
                if request.uri().path() == "/slow" {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    most_in_flight.fetch_max(now, Ordering::SeqCst);
                    sockets::sleep(Duration::from_millis(300)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                }
                AsyncResponse::new(AsyncResponseBody::full(Cow::Owned(
                    request.uri().path().as_bytes().to_vec(),
                )))
            }
        },
        move |task| {
            counter.fetch_add(1, Ordering::SeqCst);
            handle.spawn(task);
        },
    ));
    // Eight slow requests on eight connections at once overlap in the
    // handler, each connection in a task of its own.
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let url = format!("{base}/slow");
            std::thread::spawn(move || {
                let client = Client::builder()
                    .timeout(Some(Duration::from_secs(10)))
                    .build();
                let response = client.get(&url).send().unwrap();
                assert_eq!(response.status(), 200);
                assert_eq!(response.text().unwrap(), "/slow");
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(
        peak.load(Ordering::SeqCst) >= 2,
        "the slow requests ran one at a time (peak {})",
        peak.load(Ordering::SeqCst)
    );
    assert!(
        spawned.load(Ordering::SeqCst) >= 8,
        "each connection was handed to the spawner"
    );
    // Keep-alive still works on a spawned connection.
    let client = Client::builder()
        .timeout(Some(Duration::from_secs(10)))
        .build();
    for path in ["/a", "/b", "/c"] {
        assert_eq!(
            client
                .get(format!("{base}{path}"))
                .send()
                .unwrap()
                .text()
                .unwrap(),
            path
        );
    }
    let report = shutdown.shutdown();
    assert!(report.graceful, "{report:?}");
    // The accept loop ends once the shutdown has begun.
    runtime
        .block_on(sockets::with_timeout(Duration::from_secs(5), async {
            accept_loop.await.expect("the accept loop did not panic");
            Ok(())
        }))
        .expect("the accept loop ended");
    assert!(
        Client::new().get(format!("{base}/after")).send().is_err(),
        "refused after shutdown"
    );
}
