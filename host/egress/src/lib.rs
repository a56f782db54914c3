//! Outbound HTTP for channels: grants, secret injection and address policy.
//!
//! A channel component asks the host to send HTTP requests for it. This crate decides
//! whether each request may go out and sends it:
//!
//! - [`Policy`] holds one channel instance's grants (the manifest's capabilities plus
//!   the operator's extra origins) and its secrets. It is built once at startup.
//! - [`Egress`] holds the HTTP clients and their connection pools, shared by every
//!   instance. [`Egress::fetch`] checks a request against a policy, fills in
//!   `{{secret:NAME}}` placeholders where the manifest placed them, sends it and returns the response with every secret
//!   value redacted.
//!
//! The guarantees, in the order they are checked:
//!
//! | Threat | Mitigation |
//! |---|---|
//! | A secret picks the destination | Placeholders only in path, query and header values; the origin is decided with placeholders masked and re-checked after filling in |
//! | A secret sent where it should not go | Each secret only where its manifest places it (a header and its value, a path segment, a query parameter), towards the origins the placement names or an operator's grant; a secret without placements goes nowhere; bodies are never filled in |
//! | Reaching something not granted | Origin (default ports normalised), segment-aware path prefix and method must match a grant; under a prefix, paths a server may read as another path (dot segments, `%2F`, `%5C`, `\`, `;`) are refused |
//! | SSRF to the host, the LAN or cloud metadata | Manifest grants reach public addresses only: IP literals are checked directly, names by the client's resolver, whose checked answers are the ones dialled |
//! | Redirect to an ungranted origin | Redirects are never followed; a 3xx goes back to the guest |
//! | Secrets leaking back | Secret values (raw and URL-encoded, in any ASCII case) are redacted from response header names and values, the body and error text |
//! | Resource exhaustion | Capped timeout, a streamed, capped response body, and name lookups on the async runtime with their own timeout (never on the blocking pool) |
//!
//! This crate does not count requests per call, log on behalf of guests, or know any
//! platform's API; the runtime and the channels own those. It never reads config files:
//! grants and secrets arrive as values.

mod address;
mod client;
mod error;
mod frame;
mod path;
mod placeholder;
mod placement;
mod policy;
mod prepare;
mod resolver;
mod secret;
mod socket;
mod stream;
mod target;

pub use client::{Egress, EgressOptions};
pub use error::{EgressError, GrantProblem, PolicyError};
pub use frame::SessionGrant;
pub use placement::{PlacementProblem, SECRET_MARK, SecretPlacement};
pub use policy::Policy;
pub use resolver::{DnsOptions, NAME_SERVERS_ENV};
pub use secret::{Secret, redact};
pub use socket::{Socket, SocketLimits, SocketStream};
pub use stream::{BodyPart, Download, StreamedBody};
