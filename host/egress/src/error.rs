//! Errors raised while building the egress client and a channel's policy.
//!
//! Refusals of individual requests are not here: they are
//! [`switchboard_types::FetchError`] values, because the guest sees them.

use std::time::Duration;

/// Building an [`Egress`](crate::Egress) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EgressError {
    /// The default timeout must fit under the maximum, or every guest that relies on the
    /// default would be cut short silently.
    #[error("default timeout {default:?} exceeds the maximum timeout {max:?}")]
    TimeoutAboveMax {
        /// The configured default.
        default: Duration,
        /// The configured maximum.
        max: Duration,
    },
    /// The user agent cannot be sent as a header value.
    #[error("invalid user agent {user_agent:?}")]
    InvalidUserAgent {
        /// The rejected value.
        user_agent: String,
        /// Why the header value was rejected.
        #[source]
        source: http::header::InvalidHeaderValue,
    },
    /// An entry of the name server list is not an IP address with an optional port.
    #[error(
        "invalid name server {entry:?} in {env}: use ip or ip:port",
        env = crate::resolver::NAME_SERVERS_ENV
    )]
    InvalidNameServer {
        /// The rejected entry.
        entry: String,
    },
    /// The system's resolver configuration (`/etc/resolv.conf`) cannot be read.
    #[error(
        "cannot read the system's name servers; set {env} to name them",
        env = crate::resolver::NAME_SERVERS_ENV
    )]
    SystemDns {
        /// The resolver's complaint.
        #[source]
        source: hickory_resolver::ResolveError,
    },
    /// The HTTP client could not be built (for example, TLS could not be initialised).
    #[error("could not build the http client")]
    Client {
        /// The client builder's error.
        #[source]
        source: reqwest::Error,
    },
}

/// A capability, grant or secret handed to [`Policy::new`](crate::Policy::new) is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The origin or grant string parses as a URL but cannot be a grant.
    #[error("invalid origin {grant:?}: {problem}")]
    InvalidOrigin {
        /// The offending capability origin or operator grant, as written.
        grant: String,
        /// What is wrong with it.
        problem: GrantProblem,
    },
    /// The origin or grant string is not a URL at all.
    #[error("invalid origin {grant:?}")]
    UnparsableOrigin {
        /// The offending capability origin or operator grant, as written.
        grant: String,
        /// The URL parser's complaint.
        #[source]
        source: url::ParseError,
    },
    /// A capability's path prefix is not an absolute path.
    #[error(
        "invalid path prefix {prefix:?} for {origin:?}: it must start with '/' and hold no query or fragment"
    )]
    InvalidPathPrefix {
        /// The capability's origin.
        origin: String,
        /// The rejected prefix.
        prefix: String,
    },
    /// A capability lists something that is not an HTTP method token.
    #[error("invalid method {method:?} in the capability for {origin:?}")]
    InvalidMethod {
        /// The capability's origin.
        origin: String,
        /// The rejected method.
        method: String,
        /// The method parser's complaint.
        #[source]
        source: http::method::InvalidMethod,
    },
    /// A secret's placement is unusable.
    #[error("secret {secret:?}, placement {index}: {problem}")]
    Placement {
        /// The secret's name.
        secret: String,
        /// The placement's position in the secret's list, from 0.
        index: usize,
        /// What is wrong with it.
        #[source]
        problem: crate::PlacementProblem,
    },
    /// An empty secret could never be redacted, so it is refused up front.
    #[error("secret {name:?} is empty")]
    EmptySecret {
        /// The secret's name.
        name: String,
    },
}

/// Why an origin string cannot be a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantProblem {
    /// Only `http` and `https` are supported.
    #[error("unsupported scheme")]
    UnsupportedScheme,
    /// The URL has no host to connect to.
    #[error("missing host")]
    MissingHost,
    /// Credentials belong in secrets, never in a grant.
    #[error("userinfo is not allowed")]
    Userinfo,
    /// A grant names an origin and at most a path prefix.
    #[error("query and fragment are not allowed")]
    QueryOrFragment,
    /// A manifest capability's `origin` holds no path; `path_prefix` carries it.
    #[error("a capability origin holds no path (use path_prefix)")]
    Path,
}
