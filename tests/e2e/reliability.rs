//! End-to-end tests: reliability. Each guarantee in `docs/reliability.md` names
//! the test here that proves it, run against the real daemon, a real SQLite file
//! and local mocks of the WhatsApp Graph API and of an HTTP agent.

mod api;
mod rig;

mod crash;
mod dead_letters;
mod duplicates;
mod order;
mod outbox;
mod postgres;
mod shutdown;
mod storage;
