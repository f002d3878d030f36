//! Which IP family an endpoint belongs to, for the types that create their
//! socket from the endpoint they bind.

use sockets::{AddressFamily, EndPoint};

use crate::error::{Error, Result};

/// The family of an IP endpoint; anything else is refused, naming `who`.
pub(crate) fn ip_family(endpoint: &EndPoint, who: &str) -> Result<AddressFamily> {
    match endpoint.family() {
        Some(family) if family.is_ip() => Ok(family),
        _ => Err(Error::InvalidInput(format!(
            "a {who} binds an IP endpoint, not {endpoint}"
        ))),
    }
}
