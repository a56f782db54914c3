//! The DNS resolver of the client that serves manifest capabilities.
//!
//! Checking a name's addresses inside the resolver, rather than before the request,
//! means the addresses that were checked are exactly the ones the connector dials: a
//! second lookup that could answer differently (DNS rebinding) never happens. It also
//! lets every channel share one client and its connection pool.

use std::io;
use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::address;

/// Resolves with the system resolver and fails the connection if any answer is a
/// restricted address.
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // The port is replaced by the connector; 0 is the documented placeholder.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                let err = io::Error::new(io::ErrorKind::NotFound, "no addresses found");
                return Err(err.into());
            }
            // One restricted answer refuses the whole name: a name that mixes public and
            // private answers is misconfigured or an attempt to pick the private one.
            for addr in &addrs {
                address::check(&host, addr.ip())?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::RestrictedAddress;

    #[tokio::test]
    async fn localhost_is_refused_with_the_restricted_address() {
        let name: Name = "localhost".parse().expect("valid name");
        let Err(err) = PublicOnly.resolve(name).await else {
            panic!("localhost must be refused");
        };
        let refused = err
            .downcast_ref::<RestrictedAddress>()
            .expect("the error is the address refusal");
        assert_eq!(refused.host, "localhost");
        assert!(refused.addr.is_loopback());
    }
}
