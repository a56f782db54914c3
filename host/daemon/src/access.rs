//! Who may talk to the agent: the operator's access policy, applied to every stored
//! message before its agent turn (`queue/turns.rs`).
//!
//! The decision runs in the turn queue, not on the webhook's path: a message is
//! stored and acknowledged whatever the policy says, and only what happens next
//! (a turn, a pairing code, a notice, nothing) depends on it. The policy is judged in
//! a conversation's order, so a sender's first message gets the pairing code and
//! their next one, after the approval, the answer.

mod gate;
mod policy;
mod rate;

pub(crate) use gate::{Admission, Gate};
pub use policy::{AccessPolicy, DmPolicy, GroupPolicy, Rate, RateError};
