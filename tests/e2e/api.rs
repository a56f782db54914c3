//! End-to-end tests: the HTTP API on the admin listener (`/v1/`) and `switchboard
//! send`, through the real daemon, the WhatsApp channel and a mock Graph API.

mod rig;

mod cli;
mod refusals;
mod sends;
