//! What a request costs its caller's future: the async client's `send`
//! future is moved at every `.await` that holds it, so the exchange's
//! kilobytes live on the heap behind it. These bounds keep it from growing
//! unnoticed.

use std::mem::size_of_val;

use protocols::http::client::AsyncClient;

#[test]
fn the_async_clients_send_future_stays_within_one_kib() {
    let client = AsyncClient::new();
    let send = client.get("http://127.0.0.1:1/").send();
    let size = size_of_val(&send);
    assert!(size <= 1024, "a send future takes {size} bytes");
    let execute = client.execute(http::Request::get("http://127.0.0.1:1/").body(()).unwrap());
    let size = size_of_val(&execute);
    assert!(size <= 1024, "an execute future takes {size} bytes");
}
