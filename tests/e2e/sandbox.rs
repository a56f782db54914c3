//! End-to-end tests: the sandbox. A deliberately hostile channel component
//! (`tests/guests/hostile`) runs under several instance names in one real daemon;
//! each misbehaviour must cost only its own call, never the daemon, another
//! channel, a secret, or a network the operator did not grant.

mod answers;
mod background;
mod edge;
mod egress;
mod guest_limits;
mod neighbours;
mod secrets;
mod support;
