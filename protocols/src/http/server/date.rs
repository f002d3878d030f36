//! The `Date` header every response carries (RFC 9110 §6.6.1): an
//! IMF-fixdate, made once a second per thread.

use http::header::{HeaderMap, HeaderValue, DATE};

/// Sets the `Date` header to now.
pub(crate) fn insert_date(headers: &mut HeaderMap) {
    if let Some(value) = current_date() {
        headers.insert(DATE, value);
    }
}

/// Calls `f` with the `Date` value for now (nothing when the clock cannot
/// be formatted).
pub(crate) fn with_date(f: impl FnOnce(&[u8])) {
    if let Some(value) = current_date() {
        f(value.as_bytes());
    }
}

/// The `Date` value for now. It changes once a second, so each thread keeps
/// the last one made (a clone is a reference-count increment) instead of
/// formatting and allocating it for every response.
fn current_date() -> Option<HeaderValue> {
    use std::cell::RefCell;
    thread_local! {
        static CACHED: RefCell<Option<(u64, HeaderValue)>> = const { RefCell::new(None) };
    }
    let now = std::time::SystemTime::now();
    let secs = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    CACHED.with(|cached| {
        let mut cached = cached.borrow_mut();
        match &*cached {
            Some((at, value)) if *at == secs => Some(value.clone()),
            _ => {
                let value = HeaderValue::from_str(&httpdate::fmt_http_date(now)).ok()?;
                *cached = Some((secs, value.clone()));
                Some(value)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn http_dates_are_imf_fixdates() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(httpdate::fmt_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(httpdate::fmt_http_date(t), "Tue, 29 Feb 2000 00:00:00 GMT");
    }
}
