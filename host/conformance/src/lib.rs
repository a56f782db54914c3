//! Conformance cases for channel components: runs a component against recorded
//! cases (a request in; the response, the messages emitted, the outbound requests
//! made) with no daemon and no network, and says field by field what differs.
//!
//! The host's parts that a case exercises are the real ones: the manifest's
//! verification scheme (when the case gives the secret), the egress policy that
//! decides whether each outbound request would be allowed (grants and secret
//! placements), settings with the manifest's defaults, and the sandbox with its
//! per-call limits. Only the network is replaced: each `http-fetch` is answered
//! from the case's `fetch` list, in order. `switchboard channel test` is the
//! command line; `docs/plugin-guide.md` documents the case format.

mod case;
mod compare;
mod error;
mod render;
mod report;
mod run;
mod services;

pub use case::{Call, Case, load_case, load_cases};
pub use compare::Mismatch;
pub use error::{CaseError, SubjectError};
pub use report::render as render_report;
pub use run::{CaseOutcome, Subject};
