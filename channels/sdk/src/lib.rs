//! Guest-side helpers for Switchboard channels.
//!
//! A channel is a WebAssembly component that speaks one platform's protocol (see the
//! `switchboard:channel` WIT package). The chores every channel repeats live here:
//! reading headers and query strings of a webhook, building the response, building
//! outbound requests whose credentials are `{{secret:NAME}}` placeholders the host
//! fills in, turning an API answer into a delivery error the host knows how to
//! retry, and splitting long replies.
//!
//! A channel's logic is plain Rust against the [`Host`] trait and the plain copies
//! of the WIT records ([`Webhook`], [`Inbound`], [`Reply`], [`Response`],
//! [`Request`], [`DeliveryFailure`], [`FetchFailure`]), so it runs natively: in unit
//! tests against the fake host of the `test-support` feature, or in a host without
//! the sandbox. [`channel_glue!`] writes the WIT glue around it.
//!
//! What this crate does not own: the WIT bindings. Each channel runs
//! `wit_bindgen::generate!` itself and expands [`channel_glue!`] next to it, so this
//! crate needs no wit-bindgen, stays usable from native unit tests and works with
//! whichever `0.2.x` version of the WIT a channel targets (0.1.x channels use an
//! earlier release of this crate; the host runs both). Platform payload formats
//! belong to the channels too.
//!
//! ```
//! use switchboard_channel_sdk::{Request, bearer, join_url};
//!
//! let url = join_url("https://graph.facebook.com/v23.0/", "/12345/messages");
//! let request = Request::post_json(url, &serde_json::json!({ "status": "read" }))
//!     .header("authorization", bearer("access_token"));
//! assert_eq!(request.url, "https://graph.facebook.com/v23.0/12345/messages");
//! assert_eq!(request.headers[1].1, "Bearer {{secret:access_token}}");
//! ```

mod delivery;
#[cfg(feature = "test-support")]
pub mod fake;
mod glue;
mod headers;
mod host;
mod message;
mod poll;
mod query;
mod request;
mod response;
mod session;
mod text;
mod webhook;

pub use delivery::{DeliveryFailure, FetchFailure, check_response, retry_after_secs};
pub use headers::{Headers, header};
pub use host::{Host, Level};
pub use message::{
    Attachment, AttachmentKind, ButtonPress, ChatType, Inbound, Kind, OutboundAttachment, Reaction,
    Reply, SenderKind,
};
pub use poll::{PollOutcome, Unmapped};
pub use query::{query_pairs, query_param};
pub use request::{Body, FormPart, PartContent, Request, bearer, join_url, secret};
pub use response::Response;
pub use session::{FrameOutcome, SessionContext, SessionTarget};
pub use text::split_text;
pub use webhook::Webhook;
