//! Name lookups for outbound requests: asynchronous, bounded in time, and for
//! manifest capabilities limited to public addresses.
//!
//! The system resolver (`getaddrinfo`) blocks a thread and cannot be cancelled, so a
//! name whose DNS never answers would hold a thread of the blocking pool, which the
//! store also needs, long after the request gave up. These lookups run on the async
//! runtime instead, and give up after [`DnsOptions::lookup_timeout`].
//!
//! Checking a name's addresses inside the resolver, rather than before the request,
//! means the addresses that were checked are exactly the ones the connector dials: a
//! second lookup that could answer differently (DNS rebinding) never happens. It also
//! lets every channel share one client and its connection pool.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{ResolveError, TokioResolver};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::address;
use crate::error::EgressError;

/// The environment variable that replaces the system's name servers: a
/// comma-separated list of `ip` or `ip:port` (port 53 when left out).
pub const NAME_SERVERS_ENV: &str = "SWITCHBOARD_NAME_SERVERS";

/// Where and how the names of outbound requests are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsOptions {
    /// Name servers asked instead of the system's (`/etc/resolv.conf` on Unix).
    /// Empty: the system's.
    pub name_servers: Vec<SocketAddr>,
    /// A lookup that has no answer by then fails. A request's own timeout may end it
    /// sooner.
    pub lookup_timeout: Duration,
}

impl Default for DnsOptions {
    fn default() -> DnsOptions {
        DnsOptions {
            name_servers: Vec::new(),
            lookup_timeout: Duration::from_secs(5),
        }
    }
}

impl DnsOptions {
    /// The defaults, with the name servers of [`NAME_SERVERS_ENV`] when it is set
    /// and not empty.
    pub fn from_env() -> Result<DnsOptions, EgressError> {
        let mut options = DnsOptions::default();
        if let Ok(list) = std::env::var(NAME_SERVERS_ENV) {
            options.name_servers = parse_name_servers(&list)?;
        }
        Ok(options)
    }
}

fn parse_name_servers(list: &str) -> Result<Vec<SocketAddr>, EgressError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<SocketAddr>()
                .or_else(|_| entry.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
                .map_err(|_| EgressError::InvalidNameServer {
                    entry: entry.to_owned(),
                })
        })
        .collect()
}

/// Builds the resolver both clients share (and so share its cache).
pub(crate) fn build(options: &DnsOptions) -> Result<TokioResolver, EgressError> {
    let provider = TokioConnectionProvider::default();
    let mut builder = if options.name_servers.is_empty() {
        TokioResolver::builder(provider).map_err(|source| EgressError::SystemDns { source })?
    } else {
        let mut config = ResolverConfig::new();
        for addr in &options.name_servers {
            config.add_name_server(NameServerConfig::new(*addr, Protocol::Udp));
            config.add_name_server(NameServerConfig::new(*addr, Protocol::Tcp));
        }
        TokioResolver::builder_with_config(config, provider)
    };
    // Two tries that fit in the lookup timeout, so a lost datagram is retried before
    // the lookup gives up.
    let opts = builder.options_mut();
    opts.timeout = options.lookup_timeout / 2;
    opts.attempts = 2;
    Ok(builder.build())
}

/// Resolves names for one client. For manifest capabilities (`public_only`) the
/// connection fails if any answer is a restricted address.
pub(crate) struct Lookups {
    resolver: TokioResolver,
    public_only: bool,
    timeout: Duration,
    pending: Arc<Pending>,
}

impl Lookups {
    pub(crate) fn new(
        resolver: TokioResolver,
        public_only: bool,
        timeout: Duration,
        pending: Arc<Pending>,
    ) -> Lookups {
        Lookups {
            resolver,
            public_only,
            timeout,
            pending,
        }
    }
}

impl Resolve for Lookups {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let resolver = self.resolver.clone();
        let (public_only, timeout) = (self.public_only, self.timeout);
        let pending = self.pending.clone();
        Box::pin(async move {
            let _waiting = pending.begin(&host);
            let answer =
                match tokio::time::timeout(timeout, resolver.lookup_ip(host.as_str())).await {
                    Ok(Ok(answer)) => answer,
                    Ok(Err(err)) if is_timeout(&err) => {
                        return Err(NoAnswer::new(&host, timeout).into());
                    }
                    Ok(Err(err)) => return Err(err.into()),
                    Err(_elapsed) => return Err(NoAnswer::new(&host, timeout).into()),
                };
            // The port is replaced by the connector; 0 is the documented placeholder.
            let addrs: Vec<SocketAddr> = answer.iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            if addrs.is_empty() {
                let err = io::Error::new(io::ErrorKind::NotFound, "no addresses found");
                return Err(err.into());
            }
            if public_only {
                // One restricted answer refuses the whole name: a name that mixes public
                // and private answers is misconfigured or an attempt to pick the private
                // one.
                for addr in &addrs {
                    address::check(&host, addr.ip())?;
                }
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

fn is_timeout(err: &ResolveError) -> bool {
    err.proto()
        .is_some_and(|proto| matches!(proto.kind(), ProtoErrorKind::Timeout))
}

/// A name that got no DNS answer in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no DNS answer for {host} within {} ms", .after.as_millis())]
pub(crate) struct NoAnswer {
    pub(crate) host: String,
    pub(crate) after: Duration,
}

impl NoAnswer {
    pub(crate) fn new(host: &str, after: Duration) -> NoAnswer {
        NoAnswer {
            host: host.to_owned(),
            after,
        }
    }
}

/// The names being looked up right now, so that a request that times out while
/// its name is still unresolved can say so rather than just "timed out".
#[derive(Debug, Default)]
pub(crate) struct Pending {
    names: Mutex<HashMap<String, usize>>,
}

impl Pending {
    fn begin(self: &Arc<Self>, host: &str) -> Waiting {
        *self.lock().entry(host.to_owned()).or_default() += 1;
        Waiting {
            pending: self.clone(),
            host: host.to_owned(),
        }
    }

    /// Whether a lookup of `host` is under way.
    pub(crate) fn contains(&self, host: &str) -> bool {
        self.lock().contains_key(host)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.names.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One lookup under way; ends when the lookup finishes or is dropped.
struct Waiting {
    pending: Arc<Pending>,
    host: String,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut names = self.pending.lock();
        if let Some(count) = names.get_mut(&self.host) {
            *count -= 1;
            if *count == 0 {
                names.remove(&self.host);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::RestrictedAddress;

    fn lookups(options: &DnsOptions, public_only: bool) -> (Lookups, Arc<Pending>) {
        let pending = Arc::new(Pending::default());
        let resolver = build(options).expect("resolver");
        let lookups = Lookups::new(
            resolver,
            public_only,
            options.lookup_timeout,
            pending.clone(),
        );
        (lookups, pending)
    }

    #[tokio::test]
    async fn localhost_is_refused_with_the_restricted_address() {
        let (public, _) = lookups(&DnsOptions::default(), true);
        let name: Name = "localhost".parse().expect("valid name");
        let Err(err) = public.resolve(name).await else {
            panic!("localhost must be refused");
        };
        let refused = err
            .downcast_ref::<RestrictedAddress>()
            .expect("the error is the address refusal");
        assert_eq!(refused.host, "localhost");
        assert!(refused.addr.is_loopback());

        // The operator's client resolves the same name without the check.
        let (operator, _) = lookups(&DnsOptions::default(), false);
        let name: Name = "localhost".parse().expect("valid name");
        let addrs: Vec<SocketAddr> = operator.resolve(name).await.expect("resolves").collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[tokio::test]
    async fn a_name_server_that_never_answers_fails_the_lookup_in_time() {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let options = DnsOptions {
            name_servers: vec![silent.local_addr().expect("addr")],
            lookup_timeout: Duration::from_millis(300),
        };
        let (lookups, pending) = lookups(&options, true);
        let name: Name = "never-answers.test".parse().expect("valid name");
        let started = std::time::Instant::now();
        let lookup = lookups.resolve(name);
        let Err(err) = lookup.await else {
            panic!("nothing answered");
        };
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        let no_answer = err
            .downcast_ref::<NoAnswer>()
            .unwrap_or_else(|| panic!("expected no answer, got {err}"));
        assert_eq!(
            no_answer.to_string(),
            "no DNS answer for never-answers.test within 300 ms"
        );
        assert!(
            !pending.contains("never-answers.test"),
            "the lookup is over"
        );
    }

    #[test]
    fn pending_lookups_are_counted_per_name() {
        let pending = Arc::new(Pending::default());
        let first = pending.begin("a.example");
        let second = pending.begin("a.example");
        drop(first);
        assert!(pending.contains("a.example"));
        drop(second);
        assert!(!pending.contains("a.example"));
    }

    #[test]
    fn name_servers_parse_with_and_without_a_port() {
        assert_eq!(
            parse_name_servers("127.0.0.1:5353, ::1 ,[::1]:54,").expect("valid"),
            vec![
                "127.0.0.1:5353".parse::<SocketAddr>().expect("addr"),
                "[::1]:53".parse().expect("addr"),
                "[::1]:54".parse().expect("addr"),
            ]
        );
        let err = parse_name_servers("127.0.0.1,dns.example").expect_err("a name");
        assert_eq!(
            err.to_string(),
            "invalid name server \"dns.example\" in SWITCHBOARD_NAME_SERVERS: use ip or ip:port"
        );
    }
}
