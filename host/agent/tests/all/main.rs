//! Integration tests: each agent is driven through the public API against a mock
//! server on loopback.

mod echo;
mod http;
mod mock;
mod openai;
mod support;
