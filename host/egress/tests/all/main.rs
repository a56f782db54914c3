//! Black-box tests of `Egress::fetch` against a local mock server.

mod denials;
mod exchange;
mod limits;
mod mock;
mod streams;

use std::collections::BTreeMap;
use std::time::Duration;

use switchboard_egress::{DnsOptions, Egress, EgressOptions, Policy, Secret, SecretPlacement};
use switchboard_types::{HttpCapability, OutgoingRequest};

/// A Telegram-style bot token: the `:` must reach the server verbatim.
pub(crate) const TOKEN: &str = "123:ABC-def";
pub(crate) const API_KEY: &str = "s3cr3t-key";
pub(crate) const MAX_RESPONSE_BYTES: usize = 1024;

pub(crate) fn egress(max_timeout: Duration) -> Egress {
    Egress::new(EgressOptions {
        max_response_bytes: MAX_RESPONSE_BYTES,
        default_timeout: max_timeout,
        max_timeout,
        user_agent: "switchboard-egress-tests".to_owned(),
        dns: DnsOptions::default(),
    })
    .expect("valid options")
}

/// The test secrets, placed the way the tests use them. Their placements name no
/// origin, so they go only to the operator's grants (the mock).
pub(crate) fn secrets() -> BTreeMap<String, Secret> {
    BTreeMap::from([
        (
            "token".to_owned(),
            Secret::new(TOKEN).placed(placements(serde_json::json!([
                { "path_segment": "bot{secret}" },
            ]))),
        ),
        (
            "api_key".to_owned(),
            Secret::new(API_KEY).placed(placements(serde_json::json!([
                { "query": "key" },
                { "header": "authorization", "value": "Bearer {secret}" },
            ]))),
        ),
    ])
}

pub(crate) fn placements(json: serde_json::Value) -> Vec<SecretPlacement> {
    serde_json::from_value(json).expect("valid placements")
}

/// A policy with only operator grants.
pub(crate) fn operator_policy(grants: &[String]) -> Policy {
    Policy::new(&[], grants, secrets()).expect("valid policy")
}

/// A policy with only manifest capabilities.
pub(crate) fn manifest_policy(capabilities: &[HttpCapability]) -> Policy {
    Policy::new(capabilities, &[], secrets()).expect("valid policy")
}

pub(crate) fn capability(origin: &str, path_prefix: &str, methods: &[&str]) -> HttpCapability {
    HttpCapability {
        origin: origin.to_owned(),
        path_prefix: path_prefix.to_owned(),
        methods: methods.iter().map(|m| (*m).to_owned()).collect(),
    }
}

pub(crate) fn get(url: &str) -> OutgoingRequest {
    OutgoingRequest {
        method: "GET".to_owned(),
        url: url.to_owned(),
        headers: Vec::new(),
        body: Vec::new(),
        timeout_ms: None,
    }
}
