//! Requests that must be refused before anything is sent.

use std::time::Duration;

use switchboard_egress::Policy;
use switchboard_types::{FetchError, OutgoingRequest};

use crate::mock::Mock;
use crate::{capability, egress, get, manifest_policy, operator_policy};

async fn refused(policy: &Policy, request: OutgoingRequest) -> String {
    match egress(Duration::from_secs(5)).fetch(policy, request).await {
        Err(FetchError::Denied(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn ungranted_origin_is_refused() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    // Same server, different origin: a name is not its address.
    let url = format!("http://localhost:{}/x", mock.port());

    let reason = refused(&policy, get(&url)).await;

    assert_eq!(
        reason,
        format!("origin http://localhost:{} is not granted", mock.port())
    );
    assert!(mock.seen().is_empty());
}

#[tokio::test]
async fn path_outside_the_prefix_is_refused_segment_by_segment() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("/v1")]);

    let reason = refused(&policy, get(&mock.url("/v10/x"))).await;
    assert!(reason.starts_with("path /v10/x is outside"), "{reason}");
    assert!(mock.seen().is_empty());

    let ok = egress(Duration::from_secs(5))
        .fetch(&policy, get(&mock.url("/v1/x")))
        .await
        .expect("inside the prefix");
    assert_eq!(ok.status, 200);
    assert_eq!(mock.seen().len(), 1);
}

#[tokio::test]
async fn wrong_method_is_refused() {
    let mock = Mock::start().await;
    let policy = manifest_policy(&[capability(&mock.url(""), "/", &["POST"])]);

    let reason = refused(&policy, get(&mock.url("/send"))).await;

    assert_eq!(
        reason,
        format!("method GET is not granted for {}", mock.url("/send"))
    );
    assert!(mock.seen().is_empty());
}

#[tokio::test]
async fn loopback_needs_an_operator_grant() {
    let mock = Mock::start().await;
    let origin = mock.url("");

    let manifest = manifest_policy(&[capability(&origin, "/", &[])]);
    let reason = refused(&manifest, get(&mock.url("/x"))).await;
    assert_eq!(
        reason,
        "127.0.0.1 is a loopback address that only an operator grant may reach"
    );
    assert!(mock.seen().is_empty());

    let operator = operator_policy(&[origin]);
    let response = egress(Duration::from_secs(5))
        .fetch(&operator, get(&mock.url("/x")))
        .await
        .expect("operator grant reaches loopback");
    assert_eq!(response.status, 200);
    assert_eq!(mock.seen().len(), 1);
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_by_the_resolver() {
    let mock = Mock::start().await;
    let origin = format!("http://localhost:{}", mock.port());
    let policy = manifest_policy(&[capability(&origin, "/", &[])]);

    let reason = refused(&policy, get(&format!("{origin}/x"))).await;

    assert!(reason.starts_with("localhost resolves to "), "{reason}");
    assert!(reason.ends_with("a loopback address that only an operator grant may reach"));
    assert!(mock.seen().is_empty());
}

#[tokio::test]
async fn placeholder_in_the_host_is_refused() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);

    for url in [
        "http://{{secret:token}}/x".to_owned(),
        "http://127.0.0.1:{{secret:api_key}}/x".to_owned(),
        format!("http://{{{{secret:api_key}}}}@127.0.0.1:{}/x", mock.port()),
    ] {
        let reason = refused(&policy, get(&url)).await;
        assert_eq!(
            reason, "secret placeholders are only allowed in the url path and query",
            "{url}"
        );
    }
    assert!(mock.seen().is_empty());
}

#[tokio::test]
async fn unknown_secret_is_refused() {
    let mock = Mock::start().await;
    let policy = operator_policy(&[mock.url("")]);
    let mut request = get(&mock.url("/x"));
    request.headers.push((
        "authorization".to_owned(),
        "Bearer {{secret:missing}}".to_owned(),
    ));

    let reason = refused(&policy, request).await;

    assert_eq!(reason, "unknown secret \"missing\"");
    assert!(mock.seen().is_empty());
}

#[tokio::test]
async fn metadata_address_is_refused_for_manifest_capabilities() {
    let policy = manifest_policy(&[capability("http://169.254.169.254", "/", &[])]);

    let reason = refused(&policy, get("http://169.254.169.254/latest/meta-data/")).await;

    assert_eq!(
        reason,
        "169.254.169.254 is a link-local address that only an operator grant may reach"
    );
}
